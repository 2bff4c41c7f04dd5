#include "report/markdown_format.h"

#include <cstdio>

namespace gram::report {

using nlohmann::json;

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

std::string text(const json& value) {
  if (value.is_null()) return "–";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_number_integer()) return value.dump();
  return format("%.4g", value.get<double>());
}

std::string percent(const json& value) {
  return value.is_null() ? "–" : format("%.1f%%", 100.0 * value.get<double>());
}

std::string number(const json& value, const char* pattern) {
  return value.is_null() ? "–" : format(pattern, value.get<double>());
}

std::string giga(const json& value) {
  return value.is_null() ? "–" : format("%.4g", value.get<double>() / 1e9);
}

std::string p_value(const json& value) { return value.is_null() ? "–" : format("%.3g", value.get<double>()); }

// "31/50 62.0% [48.2, 74.1]"
std::string accuracy_cell(const json& row, const std::string& prefix, bool with_count) {
  if (row.at(prefix + "accuracy").is_null()) return "–";
  std::string cell;
  if (with_count) cell = text(row.at(prefix + "correct")) + "/" + text(row.at("puzzles")) + " ";
  return cell + percent(row.at(prefix + "accuracy")) + " [" +
         format("%.1f", 100.0 * row.at(prefix + "low").get<double>()) + ", " +
         format("%.1f", 100.0 * row.at(prefix + "high").get<double>()) + "]";
}

// `text` in backticks. (Appending, not operator+ on a literal, which trips GCC 12's -Wrestrict.)
std::string code(const std::string& text) {
  std::string quoted = "`";
  quoted += text;
  quoted += '`';
  return quoted;
}

std::string halting_text(const json& value) { return value.get<bool>() ? "halting on" : "halting off"; }

std::string budget_text(const json& budget, const std::string& unit) {
  if (unit == "flops") return number(budget) + " FLOPs/puzzle";
  return number(budget, "%g") + " steps/puzzle";
}

std::string table_row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const std::string& cell : cells) line += " " + cell + " |";
  return line + "\n";
}

std::string table_header(const std::vector<std::string>& headers) {
  std::string line = table_row(headers) + "|";
  for (std::size_t i = 0; i < headers.size(); ++i) line += "---|";
  return line + "\n";
}

}  // namespace gram::report
