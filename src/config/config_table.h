#pragma once
// The machinery behind every typed config of the engine (`gram run`, `gram sweep`).
//
// A config is a plain struct plus one table of Field rows (name, type, help, how to read and
// write the member). The same table drives YAML loading (configs/*.yaml), `--set key=value`
// overrides, the generated --help text and the resolved config echoed into every result file,
// so none of them can drift from the others. Unknown keys and unparsable values are gram::Error
// lines naming the file:line or the flag.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace gram::config {

template <class Config>
struct Field {
  std::string name;
  std::string type;  // "string", "int", "uint64", "bool", "list", "a|b|c"
  std::string help;
  std::function<std::string(const Config&)> get;  // value as text
  // Parses + range-checks. Throws gram::Error without a location ("'width' expects an
  // integer"); apply_yaml_file and apply_override prefix it with the file:line or the flag.
  std::function<void(Config&, const std::string& text)> set;
  std::function<nlohmann::json(const Config&)> get_json;  // typed value for results
  bool required = false;  // must be non-empty after loading (checked by check_fields)
};

// Text parsers shared by the rows; each names the key in its error.
std::string join(const std::vector<std::string>& items, const std::string& separator);
std::string trim(const std::string& text);
int parse_int(const std::string& name, const std::string& text, int minimum);
std::uint64_t parse_uint64(const std::string& name, const std::string& text);
double parse_double(const std::string& name, const std::string& text, double minimum);
bool parse_bool(const std::string& name, const std::string& text);
// A size in bytes: decimal digits with an optional binary suffix K, M, G or T ("512M", "2G").
std::uint64_t parse_bytes(const std::string& name, const std::string& text);
// "a, b,c" -> {"a", "b", "c"}; "" -> {}.
std::vector<std::string> parse_list(const std::string& name, const std::string& text);

// A YAML file as (key, value text, line) entries, in file order: a flat map whose values are
// scalars or lists of scalars (joined with ','). `type_of(key)` gives the row's type, or ""
// for an unknown key (an error naming the known ones in `known`).
struct YamlEntry {
  std::string key;
  std::string text;
  int line = 0;  // 1-based, for errors
};
std::vector<YamlEntry> read_flat_yaml(const std::string& path,
                                      const std::function<std::string(const std::string&)>& type_of,
                                      const std::string& known);

// ---- row builders -------------------------------------------------------------------------

template <class Config>
Field<Config> string_field(std::string name, std::string Config::*member, std::string help,
                           bool required = false) {
  return {name, "string", std::move(help),
          [member](const Config& c) { return c.*member; },
          [member](Config& c, const std::string& text) { c.*member = text; },
          [member](const Config& c) { return nlohmann::json(c.*member); }, required};
}

template <class Config>
Field<Config> choice_field(std::string name, std::string Config::*member,
                           std::vector<std::string> choices, std::string help) {
  return {name, join(choices, "|"), std::move(help),
          [member](const Config& c) { return c.*member; },
          [member, name, choices](Config& c, const std::string& text) {
            if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
              throw Error("'" + name + "' expects one of " + join(choices, "|") + " (got '" +
                          text + "')");
            }
            c.*member = text;
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

// A choice held as an enum whose values index `names` (util/vocabulary.h); read and written by
// name, so the echo and the records show the name.
template <class Config, class Enum>
Field<Config> enum_field(std::string name, Enum Config::*member,
                         const std::vector<std::string>& names, std::string help) {
  return {name, join(names, "|"), std::move(help),
          [member, &names](const Config& c) { return names[static_cast<std::size_t>(c.*member)]; },
          [member, name, &names](Config& c, const std::string& text) {
            const auto found = std::find(names.begin(), names.end(), text);
            if (found == names.end()) {
              throw Error("'" + name + "' expects one of " + join(names, "|") + " (got '" +
                          text + "')");
            }
            c.*member = static_cast<Enum>(found - names.begin());
          },
          [member, &names](const Config& c) {
            return nlohmann::json(names[static_cast<std::size_t>(c.*member)]);
          }};
}

template <class Config>
Field<Config> int_field(std::string name, int Config::*member, int minimum, std::string help) {
  return {name, "int", std::move(help),
          [member](const Config& c) { return std::to_string(c.*member); },
          [member, name, minimum](Config& c, const std::string& text) {
            c.*member = parse_int(name, text, minimum);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

// A list of whole numbers, each >= `minimum`, kept as the text given (so the echo shows what
// was written); the JSON echo holds the numbers.
template <class Config>
Field<Config> int_list_field(std::string name, std::vector<std::string> Config::*member,
                             int minimum, std::string help) {
  auto numbers = [name, minimum](const std::vector<std::string>& items) {
    std::vector<int> values;
    for (const auto& item : items) values.push_back(parse_int(name, item, minimum));
    return values;
  };
  return {name, "list", std::move(help),
          [member](const Config& c) { return join(c.*member, ","); },
          [member, name, numbers](Config& c, const std::string& text) {
            auto items = parse_list(name, text);
            numbers(items);
            c.*member = std::move(items);
          },
          [member, numbers](const Config& c) { return nlohmann::json(numbers(c.*member)); }};
}

template <class Config>
Field<Config> uint64_field(std::string name, std::uint64_t Config::*member, std::string help) {
  return {name, "uint64", std::move(help),
          [member](const Config& c) { return std::to_string(c.*member); },
          [member, name](Config& c, const std::string& text) {
            c.*member = parse_uint64(name, text);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

template <class Config>
Field<Config> double_field(std::string name, double Config::*member, double minimum,
                           std::string help) {
  return {name, "number", std::move(help),
          [member](const Config& c) {
            std::string text = std::to_string(c.*member);
            text.erase(text.find_last_not_of('0') + 1);  // "0.950000" -> "0.95"
            if (!text.empty() && text.back() == '.') text.pop_back();
            return text;
          },
          [member, name, minimum](Config& c, const std::string& text) {
            c.*member = parse_double(name, text, minimum);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

template <class Config>
Field<Config> bytes_field(std::string name, std::uint64_t Config::*member, std::string help) {
  return {name, "bytes", std::move(help),
          [member](const Config& c) { return std::to_string(c.*member); },
          [member, name](Config& c, const std::string& text) {
            c.*member = parse_bytes(name, text);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

template <class Config>
Field<Config> bool_field(std::string name, bool Config::*member, std::string help) {
  return {name, "bool", std::move(help),
          [member](const Config& c) { return std::string(c.*member ? "true" : "false"); },
          [member, name](Config& c, const std::string& text) {
            c.*member = parse_bool(name, text);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

// A list whose items must come from `choices`; `item_noun` names one of them in errors.
template <class Config>
Field<Config> list_field(std::string name, std::vector<std::string> Config::*member,
                         const std::vector<std::string>& choices, std::string item_noun,
                         std::string help) {
  return {name, "list", std::move(help),
          [member](const Config& c) { return join(c.*member, ","); },
          [member, name, choices, item_noun](Config& c, const std::string& text) {
            auto items = parse_list(name, text);
            for (const auto& item : items) {
              if (std::find(choices.begin(), choices.end(), item) == choices.end()) {
                throw Error("'" + name + "': unknown " + item_noun + " '" + item +
                            "' (known: " + join(choices, ", ") + ")");
              }
            }
            c.*member = std::move(items);
          },
          [member](const Config& c) { return nlohmann::json(c.*member); }};
}

// ---- table-driven operations --------------------------------------------------------------

template <class Config>
const Field<Config>* find_in(const std::vector<Field<Config>>& fields, const std::string& name) {
  for (const auto& field : fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

template <class Config>
std::string known_keys(const std::vector<Field<Config>>& fields) {
  std::vector<std::string> names;
  for (const auto& field : fields) names.push_back(field.name);
  return join(names, ", ");
}

// Applies a YAML file (a flat map of the table's keys). `path` appears in every error.
template <class Config>
void apply_yaml_file(Config& config, const std::string& path,
                     const std::vector<Field<Config>>& fields) {
  auto type_of = [&](const std::string& key) {
    const Field<Config>* field = find_in(fields, key);
    return field == nullptr ? std::string() : field->type;
  };
  for (const YamlEntry& entry : read_flat_yaml(path, type_of, known_keys(fields))) {
    try {
      find_in(fields, entry.key)->set(config, entry.text);
    } catch (const Error& error) {
      throw Error(path + ":" + std::to_string(entry.line) + ": " + error.what());
    }
  }
}

// Applies one "key=value" override (from --set).
template <class Config>
void apply_override(Config& config, const std::string& assignment,
                    const std::vector<Field<Config>>& fields) {
  const std::string where = "--set " + assignment;
  auto equals = assignment.find('=');
  if (equals == std::string::npos) throw Error(where + ": expected key=value");
  std::string name = trim(assignment.substr(0, equals));
  std::string text = trim(assignment.substr(equals + 1));
  const Field<Config>* field = find_in(fields, name);
  if (field == nullptr) {
    throw Error(where + ": unknown key '" + name + "' (known: " + known_keys(fields) + ")");
  }
  try {
    field->set(config, text);
  } catch (const Error& error) {
    throw Error(where + ": " + error.what());
  }
}

// Required keys are present and every value passes its row's parser and range check, so a
// config built in code meets the same rules as one loaded from text.
template <class Config>
void check_fields(const Config& config, const std::vector<Field<Config>>& fields) {
  for (const auto& field : fields) {
    std::string text = field.get(config);
    if (field.required && text.empty()) throw Error("config: '" + field.name + "' is required");
    Config scratch = config;
    try {
      field.set(scratch, text);
    } catch (const Error& error) {
      throw Error(std::string("config: ") + error.what());
    }
  }
}

template <class Config>
nlohmann::json fields_to_json(const Config& config, const std::vector<Field<Config>>& fields) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& field : fields) json[field.name] = field.get_json(config);
  return json;
}

template <class Config>
std::string fields_help_text(const std::vector<Field<Config>>& fields) {
  const Config defaults;
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

namespace gram::config {

// Applies a command line to `config`, left to right: `--config FILE.yaml`, `--set key=value`,
// and `--<key> value` for every row (a bool row may stand alone: `--halting` means true).
// Returns false when `--help` was asked for (the caller prints its usage and the table).
template <class Config>
bool apply_command_line(Config& config, const std::vector<std::string>& arguments,
                        const std::vector<Field<Config>>& fields, const std::string& command) {
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    if (flag == "--help" || flag == "-h") return false;
    auto value = [&]() -> std::string {
      if (i + 1 >= arguments.size()) throw Error(flag + ": needs a value");
      return arguments[++i];
    };
    const Field<Config>* field =
        flag.rfind("--", 0) == 0 ? find_in(fields, flag.substr(2)) : nullptr;
    if (flag == "--config") {
      apply_yaml_file(config, value(), fields);
    } else if (flag == "--set") {
      apply_override(config, value(), fields);
    } else if (field != nullptr && field->type == "bool") {
      const bool has_value = i + 1 < arguments.size() && arguments[i + 1].rfind("--", 0) != 0;
      apply_override(config, field->name + "=" + (has_value ? value() : std::string("true")),
                     fields);
    } else if (field != nullptr) {
      apply_override(config, field->name + "=" + value(), fields);
    } else {
      throw Error(command + ": unknown option '" + flag + "' (see " + command + " --help)");
    }
  }
  return true;
}

}  // namespace gram::config
