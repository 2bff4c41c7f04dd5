// The table behind RunConfig: one row per member, each with its text parser and range check.
//
// Rows are built from a member pointer by a handful of typed helpers, so adding a field to
// RunConfig is one line here and the YAML loader, --set, --help and to_json pick it up.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "config/run_config.h"
#include "util/error.h"

namespace gram::config {
namespace {

std::string quoted(const std::string& name) { return "'" + name + "'"; }

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

FieldSpec string_field(std::string name, std::string RunConfig::*member, std::string help,
                       bool required = false) {
  return FieldSpec{
      name, "string", std::move(help),
      [member](const RunConfig& c) { return c.*member; },
      [member](RunConfig& c, const std::string& text) { c.*member = text; },
      [member](const RunConfig& c) { return nlohmann::json(c.*member); },
      required};
}

FieldSpec choice_field(std::string name, std::string RunConfig::*member,
                       std::vector<std::string> choices, std::string help) {
  return FieldSpec{
      name, join(choices, "|"), std::move(help),
      [member](const RunConfig& c) { return c.*member; },
      [member, name, choices](RunConfig& c, const std::string& text) {
        if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
          throw Error(quoted(name) + " expects one of " + join(choices, "|") + " (got '" +
                      text + "')");
        }
        c.*member = text;
      },
      [member](const RunConfig& c) { return nlohmann::json(c.*member); }};
}

FieldSpec int_field(std::string name, int RunConfig::*member, int minimum, std::string help) {
  return FieldSpec{
      name, "int", std::move(help),
      [member](const RunConfig& c) { return std::to_string(c.*member); },
      [member, name, minimum](RunConfig& c, const std::string& text) {
        c.*member = parse_int(name, text, minimum);
      },
      [member](const RunConfig& c) { return nlohmann::json(c.*member); }};
}

FieldSpec uint64_field(std::string name, std::uint64_t RunConfig::*member, std::string help) {
  return FieldSpec{
      name, "uint64", std::move(help),
      [member](const RunConfig& c) { return std::to_string(c.*member); },
      [member, name](RunConfig& c, const std::string& text) {
        c.*member = parse_uint64(name, text);
      },
      [member](const RunConfig& c) { return nlohmann::json(c.*member); }};
}

FieldSpec bool_field(std::string name, bool RunConfig::*member, std::string help) {
  return FieldSpec{
      name, "bool", std::move(help),
      [member](const RunConfig& c) { return std::string(c.*member ? "true" : "false"); },
      [member, name](RunConfig& c, const std::string& text) {
        c.*member = parse_bool(name, text);
      },
      [member](const RunConfig& c) { return nlohmann::json(c.*member); }};
}

// A list whose items must come from `choices`; `item_noun` names one of them in errors.
FieldSpec list_field(std::string name, std::vector<std::string> RunConfig::*member,
                     const std::vector<std::string>& choices, std::string item_noun,
                     std::string help) {
  return FieldSpec{
      name, "list", std::move(help),
      [member](const RunConfig& c) { return join(c.*member, ","); },
      [member, name, choices, item_noun](RunConfig& c, const std::string& text) {
        auto items = parse_list(name, text);
        for (const auto& item : items) {
          if (std::find(choices.begin(), choices.end(), item) == choices.end()) {
            throw Error(quoted(name) + ": unknown " + item_noun + " '" + item + "' (known: " +
                        join(choices, ", ") + ")");
          }
        }
        c.*member = std::move(items);
      },
      [member](const RunConfig& c) { return nlohmann::json(c.*member); }};
}

}  // namespace

const std::vector<std::string>& known_aggregators() {
  static const std::vector<std::string> names = {"majority", "best_of_n", "weighted_vote",
                                                 "oracle"};
  return names;
}

const std::vector<FieldSpec>& run_config_fields() {
  // Same order as the members of RunConfig (a test holds the two together).
  static const std::vector<FieldSpec> fields = {
      string_field("model", &RunConfig::model, "safetensors checkpoint to load", true),
      string_field("puzzles", &RunConfig::puzzles,
                   "puzzle file (its format is chosen by the model's task)", true),
      string_field("output", &RunConfig::output, "JSONL file the results are written to"),
      choice_field("backend", &RunConfig::backend, {"cpu", "cuda"},
                   "where the model's forward pass runs"),
      int_field("width", &RunConfig::width, 1, "trajectories per puzzle (N)"),
      int_field("depth", &RunConfig::depth, 1,
                "supervision steps per trajectory (S; the maximum when halting)"),
      bool_field("halting", &RunConfig::halting,
                 "stop a trajectory early when its halt head says so"),
      list_field("aggregators", &RunConfig::aggregators, known_aggregators(), "aggregator",
                 "comma-separated rules that turn N answers into one"),
      uint64_field("seed", &RunConfig::seed,
                   "base seed; trajectory noise is derived from it per trajectory"),
      int_field("row_cap", &RunConfig::row_cap, 1,
                "trajectories advanced together in one batch"),
      int_field("threads", &RunConfig::threads, 0, "CPU threads (0 = all cores)"),
      int_field("limit", &RunConfig::limit, 0, "use only the first `limit` puzzles (0 = all)"),
      bool_field("overwrite", &RunConfig::overwrite, "replace an existing output file"),
  };
  return fields;
}

const FieldSpec* find_field(const std::string& name) {
  for (const auto& field : run_config_fields()) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

}  // namespace gram::config
