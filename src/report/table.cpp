#include "report/table.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "util/error.h"

namespace gram::report {

namespace {

std::string csv_field(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();  // shortest round-trip form
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

void Table::add(nlohmann::json row) {
  GRAM_ASSERT(row.is_object(), name);
  // Not a structured binding: clang before 16 cannot capture one in the lambda below.
  for (const auto& item : row.items()) {
    const std::string& key = item.key();
    const bool known = std::any_of(columns.begin(), columns.end(),
                                   [&](const Column& column) { return column.key == key; });
    GRAM_ASSERT(known, "table " + name + " has no column " + key);
  }
  for (const Column& column : columns) {
    if (!row.contains(column.key)) row[column.key] = nullptr;
  }
  rows.push_back(std::move(row));
}

std::string to_csv(const Table& table) {
  std::string text;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i) text += ',';
    text += csv_field(table.columns[i].key);
  }
  text += "\n";
  for (const nlohmann::json& row : table.rows) {
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (i) text += ',';
      text += csv_field(row.at(table.columns[i].key));
    }
    text += "\n";
  }
  return text;
}

nlohmann::json to_json(const Table& table) {
  nlohmann::json columns = nlohmann::json::array();
  for (const Column& column : table.columns) {
    columns.push_back({{"key", column.key}, {"description", column.description}});
  }
  return {{"name", table.name}, {"title", table.title}, {"columns", columns}, {"rows", table.rows}};
}

void write_text_file(const std::string& path, const std::string& text) {
  // Written beside the target and renamed over it: a reader (or a report rerun after a full
  // disk or a kill) sees the old file or the new one, never half of one.
  const std::string temporary = path + ".tmp";
  std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(temporary + ": cannot write: " + std::strerror(errno));
  file << text;
  file.close();
  if (!file) {
    const int error_number = errno;
    std::remove(temporary.c_str());
    throw Error(temporary + ": cannot write: " + std::strerror(error_number));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    std::remove(temporary.c_str());
    throw Error(path + ": cannot replace with " + temporary + ": " + std::strerror(error_number));
  }
}

}  // namespace gram::report
