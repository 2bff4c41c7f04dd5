// Text parsers and the flat-YAML reader shared by every config table (config_table.h).
#include "config/config_table.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

#include <yaml-cpp/yaml.h>

namespace gram::config {
namespace {

std::string quoted(const std::string& name) { return "'" + name + "'"; }

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
std::string value_text(const std::string& path, const std::string& name, const std::string& type,
                       const YAML::Node& key, const YAML::Node& value) {
  switch (value.Type()) {
    case YAML::NodeType::Scalar:
      return value.Scalar();
    case YAML::NodeType::Sequence: {
      if (type != "list") {
        fail_at(path, value.Mark(), "'" + name + "' expects a single " + type +
                                        " value, not a list");
      }
      std::string joined;
      for (const auto& item : value) {
        if (!item.IsScalar()) {
          fail_at(path, item.Mark(), "'" + name + "' items must be plain values");
        }
        joined += (joined.empty() ? "" : ",") + item.Scalar();
      }
      return joined;
    }
    case YAML::NodeType::Map:
      fail_at(path, value.Mark(), "'" + name + "' must be a single value, not a nested map");
    default:
      fail_at(path, key.Mark(), "'" + name + "' has no value");
  }
}

}  // namespace

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    text += (i == 0 ? "" : separator) + items[i];
  }
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

int parse_int(const std::string& name, const std::string& text, int minimum) {
  int value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, status] = std::from_chars(first, last, value);
  if (text.empty() || end != last || status == std::errc::invalid_argument) {
    throw Error(quoted(name) + " expects an integer");
  }
  if (status == std::errc::result_out_of_range) {
    throw Error(quoted(name) + " is out of range (got " + text + ")");
  }
  if (value < minimum) {
    throw Error(quoted(name) + " must be >= " + std::to_string(minimum) + " (got " + text + ")");
  }
  return value;
}

// Decimal digits only: a seed written as "-1" or "0x10" is more likely a mistake than a wish,
// and a silently wrapped seed would make a run impossible to reproduce from its config.
std::uint64_t parse_uint64(const std::string& name, const std::string& text) {
  bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!digits_only) {
    throw Error(quoted(name) + " expects a non-negative decimal integer");
  }
  std::uint64_t value = 0;
  auto status = std::from_chars(text.data(), text.data() + text.size(), value).ec;
  if (status == std::errc::result_out_of_range) {
    throw Error(quoted(name) + " is out of range (max " +
                std::to_string(std::numeric_limits<std::uint64_t>::max()) + ", got " + text +
                ")");
  }
  return value;
}

std::uint64_t parse_bytes(const std::string& name, const std::string& text) {
  std::string digits = text;
  int shift = 0;
  if (!digits.empty()) {
    const std::string suffixes = "KMGT";
    const auto unit = suffixes.find(static_cast<char>(std::toupper(
        static_cast<unsigned char>(digits.back()))));
    if (unit != std::string::npos) {
      shift = 10 * (static_cast<int>(unit) + 1);
      digits.pop_back();
    }
  }
  const bool digits_only = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (!digits_only) {
    throw Error(quoted(name) + " expects a size in bytes, optionally with K, M, G or T (got '" +
                text + "')");
  }
  std::uint64_t value = 0;
  const auto status = std::from_chars(digits.data(), digits.data() + digits.size(), value).ec;
  if (status == std::errc::result_out_of_range ||
      value > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
    throw Error(quoted(name) + " is out of range (got " + text + ")");
  }
  return value << shift;
}

bool parse_bool(const std::string& name, const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  throw Error(quoted(name) + " expects a bool (true/false, 1/0, yes/no, on/off)");
}

// "a, b,c" -> {"a", "b", "c"}; "" -> {} (validate() then says the list may not be empty).
std::vector<std::string> parse_list(const std::string& name, const std::string& text) {
  std::vector<std::string> items;
  if (trim(text).empty()) return items;
  std::size_t start = 0;
  while (true) {
    auto comma = text.find(',', start);
    std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                          : comma - start));
    if (item.empty()) {
      throw Error(quoted(name) + " has an empty item in '" + text + "'");
    }
    items.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

double parse_double(const std::string& name, const std::string& text, double minimum) {
  double value = 0.0;
  const char* first = text.data();
  const char* last = first + text.size();
  auto [end, status] = std::from_chars(first, last, value);
  if (text.empty() || end != last || status != std::errc() || !std::isfinite(value)) {
    throw Error(quoted(name) + " expects a number (got '" + text + "')");
  }
  if (value < minimum) {
    char shortest[32];  // "1", "0.5": std::to_string would print "1.000000"
    std::snprintf(shortest, sizeof(shortest), "%g", minimum);
    throw Error(quoted(name) + " must be >= " + shortest + " (got " + text + ")");
  }
  return value;
}

std::vector<YamlEntry> read_flat_yaml(const std::string& path,
                                      const std::function<std::string(const std::string&)>& type_of,
                                      const std::string& known) {
  std::vector<YamlEntry> entries;
  YAML::Node root = load_yaml(path);
  if (root.IsNull()) return entries;  // an empty file (or only comments) changes nothing
  if (!root.IsMap()) fail_at(path, root.Mark(), "expected a map of key: value lines");

  std::set<std::string> seen;
  for (const auto& entry : root) {
    // Copies, not references: yaml-cpp's iterator hands out a temporary pair of handles.
    const YAML::Node key = entry.first;
    const YAML::Node value = entry.second;
    if (!key.IsScalar()) fail_at(path, key.Mark(), "keys must be plain names");
    const std::string& name = key.Scalar();
    const std::string type = type_of(name);
    if (type.empty()) fail_at(path, key.Mark(), "unknown key '" + name + "' (known: " + known + ")");
    // yaml-cpp keeps both copies of a repeated key; which one wins would be an accident.
    if (!seen.insert(name).second) fail_at(path, key.Mark(), "duplicate key '" + name + "'");
    const YAML::Mark mark = value.Mark().is_null() ? key.Mark() : value.Mark();
    entries.push_back({name, value_text(path, name, type, key, value), mark.line + 1});
  }
  return entries;
}

}  // namespace gram::config
