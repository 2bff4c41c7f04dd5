#pragma once
// How report.md writes a value: the formatting shared by every section of the Markdown
// renderer (markdown.cpp, findings.cpp), so a percentage or a p-value reads the same anywhere.
// A null JSON value (not applicable) renders as "–".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gram::report {

std::string format(const char* pattern, double value);   // printf of one double
std::string text(const nlohmann::json& value);            // strings as is, numbers %.4g
std::string percent(const nlohmann::json& value);         // 0.625 -> "62.5%"
std::string number(const nlohmann::json& value, const char* pattern = "%.3g");
std::string giga(const nlohmann::json& value);            // FLOPs -> GFLOPs, %.4g
std::string p_value(const nlohmann::json& value);
// "31/50 62.0% [48.2, 74.1]" from row[prefix + "accuracy" / "low" / "high" / "correct"].
std::string accuracy_cell(const nlohmann::json& row, const std::string& prefix, bool with_count);
std::string code(const std::string& text);                // in backticks
std::string halting_text(const nlohmann::json& value);    // "halting on" / "halting off"
std::string budget_text(const nlohmann::json& budget, const std::string& unit);
std::string table_row(const std::vector<std::string>& cells);
std::string table_header(const std::vector<std::string>& headers);

}  // namespace gram::report
