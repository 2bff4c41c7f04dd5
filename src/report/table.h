#pragma once
// A report table as data: named columns and rows of JSON values. Every table of a report is
// built once as a Table; the CSV, the JSON and the Markdown are all rendered from its rows, so
// the three can never disagree.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gram::report {

struct Column {
  std::string key;          // the CSV header and JSON field
  std::string description;  // one line, for the JSON's "columns" (docs/reports.md has more)
};

struct Table {
  std::string name;   // file stem: tables/<name>.csv, tables/<name>.json
  std::string title;  // one line
  std::vector<Column> columns;
  std::vector<nlohmann::json> rows;  // objects keyed by Column::key; null = not applicable

  // Appends a row; every key must be a column (a typo would silently drop data otherwise).
  void add(nlohmann::json row);
};

// CSV per RFC 4180: header line of keys, then one line per row; null -> empty field, booleans
// -> true/false, numbers with full precision, strings quoted when they need it.
std::string to_csv(const Table& table);
// {"name", "title", "columns": [{"key", "description"}], "rows": [...]}.
nlohmann::json to_json(const Table& table);

// Writes text to a file, replacing it; errors name the path.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace gram::report
