// Loading, overriding, checking and echoing a RunConfig, all through run_config_fields().
#include "config/run_config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "util/error.h"

namespace gram::config {
namespace {

std::string known_keys() {
  std::string text;
  for (const auto& field : run_config_fields()) {
    text += (text.empty() ? "" : ", ") + field.name;
  }
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

// yaml-cpp marks are 0-based; editors and the error format are 1-based.
[[noreturn]] void fail_at(const std::string& path, const YAML::Mark& mark,
                          const std::string& message) {
  if (mark.is_null()) throw Error(path + ": " + message);
  throw Error(path + ":" + std::to_string(mark.line + 1) + ": " + message);
}

YAML::Node load_yaml(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) throw Error(path + ": cannot read: " + std::strerror(errno));
  try {
    return YAML::Load(text.str());
  } catch (const YAML::Exception& error) {
    // error.what() repeats the position in yaml-cpp's own words; msg is just the complaint.
    fail_at(path, error.mark, error.msg);
  }
}

// The text a field's parser sees for one YAML value; a sequence is accepted for lists only.
// `key` gives the line for a missing value: yaml-cpp marks an empty value where the next
// token starts, which can be lines further down.
std::string value_text(const std::string& path, const FieldSpec& field, const YAML::Node& key,
                       const YAML::Node& value) {
  switch (value.Type()) {
    case YAML::NodeType::Scalar:
      return value.Scalar();
    case YAML::NodeType::Sequence: {
      if (field.type != "list") {
        fail_at(path, value.Mark(), "'" + field.name + "' expects a single " + field.type +
                                        " value, not a list");
      }
      std::string joined;
      for (const auto& item : value) {
        if (!item.IsScalar()) {
          fail_at(path, item.Mark(), "'" + field.name + "' items must be plain values");
        }
        joined += (joined.empty() ? "" : ",") + item.Scalar();
      }
      return joined;
    }
    case YAML::NodeType::Map:
      fail_at(path, value.Mark(), "'" + field.name + "' must be a single value, not a nested map");
    default:
      fail_at(path, key.Mark(), "'" + field.name + "' has no value");
  }
}

}  // namespace

void apply_yaml_file(RunConfig& config, const std::string& path) {
  YAML::Node root = load_yaml(path);
  if (root.IsNull()) return;  // an empty file (or only comments) changes nothing
  if (!root.IsMap()) fail_at(path, root.Mark(), "expected a map of key: value lines");

  std::set<std::string> seen;
  for (const auto& entry : root) {
    // Copies, not references: yaml-cpp's iterator hands out a temporary pair of handles.
    const YAML::Node key = entry.first;
    const YAML::Node value = entry.second;
    if (!key.IsScalar()) fail_at(path, key.Mark(), "keys must be plain names");
    const std::string& name = key.Scalar();
    const FieldSpec* field = find_field(name);
    if (field == nullptr) {
      fail_at(path, key.Mark(), "unknown key '" + name + "' (known: " + known_keys() + ")");
    }
    // yaml-cpp keeps both copies of a repeated key; which one wins would be an accident.
    if (!seen.insert(name).second) fail_at(path, key.Mark(), "duplicate key '" + name + "'");
    std::string text = value_text(path, *field, key, value);
    try {
      field->set(config, text);
    } catch (const Error& error) {
      fail_at(path, value.Mark(), error.what());
    }
  }
}

void apply_override(RunConfig& config, const std::string& assignment) {
  const std::string where = "--set " + assignment;
  auto equals = assignment.find('=');
  if (equals == std::string::npos) throw Error(where + ": expected key=value");
  std::string name = trim(assignment.substr(0, equals));
  std::string text = trim(assignment.substr(equals + 1));
  const FieldSpec* field = find_field(name);
  if (field == nullptr) {
    throw Error(where + ": unknown key '" + name + "' (known: " + known_keys() + ")");
  }
  try {
    field->set(config, text);
  } catch (const Error& error) {
    throw Error(where + ": " + error.what());
  }
}

void validate(const RunConfig& config) {
  for (const auto& field : run_config_fields()) {
    std::string text = field.get(config);
    if (field.required && text.empty()) {
      throw Error("config: '" + field.name + "' is required");
    }
    // Re-parse each value so a RunConfig built in code meets the same ranges as one loaded
    // from text (width >= 1, a known backend, ...).
    RunConfig scratch = config;
    try {
      field.set(scratch, text);
    } catch (const Error& error) {
      throw Error(std::string("config: ") + error.what());
    }
  }
  if (config.aggregators.empty()) {
    throw Error("config: 'aggregators' must name at least one aggregator");
  }
  std::set<std::string> seen;
  for (const auto& name : config.aggregators) {
    if (!seen.insert(name).second) {
      throw Error("config: 'aggregators' names '" + name + "' twice");
    }
  }
}

nlohmann::json to_json(const RunConfig& config) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& field : run_config_fields()) {
    json[field.name] = field.get_json(config);
  }
  return json;
}

std::string help_text() {
  const RunConfig defaults;
  const auto& fields = run_config_fields();
  std::size_t width = 0;
  for (const auto& field : fields) {
    width = std::max(width, field.name.size() + field.type.size() + 3);
  }
  std::string text;
  for (const auto& field : fields) {
    std::string left = "--" + field.name + " " + field.type;
    std::string value = field.get(defaults);
    std::string fallback = field.required ? "(required)"
                                          : "(default: " + (value.empty() ? "\"\"" : value) + ")";
    text += "  " + left + std::string(width - left.size(), ' ') + "  " + field.help + " " +
            fallback + "\n";
  }
  return text;
}

}  // namespace gram::config
