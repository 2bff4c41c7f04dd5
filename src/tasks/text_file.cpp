#include "tasks/text_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "util/error.h"

namespace gram::tasks {

LineReader::LineReader(const std::string& path) : path_(path), stream_(path, std::ios::binary) {
  std::error_code error;
  if (!stream_ || std::filesystem::is_directory(path, error)) {
    throw Error(path + ": cannot open");
  }
}

bool LineReader::next() {
  if (!std::getline(stream_, text_)) {
    if (stream_.bad()) {
      throw Error(path_ + ":" + std::to_string(line_number_ + 1) + ": read failed");
    }
    return false;
  }
  ++line_number_;
  std::size_t end = text_.find_last_not_of(" \t\r");
  text_.resize(end == std::string::npos ? 0 : end + 1);
  return true;
}

bool LineReader::is_skippable(bool hash_comments) const {
  return text_.empty() || (hash_comments && text_.front() == '#') ||
         text_.find_first_not_of(" \t") == std::string::npos;
}

void LineReader::fail(int column, const std::string& message) const {
  throw Error(path_ + ":" + std::to_string(line_number_) + ":" + std::to_string(column) + ": " +
              message);
}

void LineReader::fail_line(const std::string& message) const {
  throw Error(path_ + ":" + std::to_string(line_number_) + ": " + message);
}

std::vector<Field> split_fields(std::string_view line, char separator) {
  std::vector<Field> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t end = line.find(separator, start);
    fields.push_back({line.substr(start, end - start), static_cast<int>(start) + 1});
    if (end == std::string_view::npos) {
      return fields;
    }
    start = end + 1;
  }
}

void write_text_file(const std::string& path, const std::string& contents) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  if (!stream) {
    throw Error(path + ": cannot open for writing: " + std::strerror(errno));
  }
  stream.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  stream.close();
  if (!stream) {
    throw Error(path + ": write failed");
  }
}

std::string quote_symbol(char symbol) {
  auto byte = static_cast<unsigned char>(symbol);
  if (byte >= 0x20 && byte < 0x7f) {
    return std::string("'") + symbol + "'";
  }
  char text[8];
  std::snprintf(text, sizeof(text), "'\\x%02x'", byte);
  return text;
}

std::string quote_text(std::string_view text) {
  constexpr std::size_t kShown = 24;
  std::string quoted = "'";
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      quoted += text[i];
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      quoted += escaped;
    }
  }
  return quoted + (text.size() > kShown ? "...'" : "'");
}

std::optional<int> parse_small_number(std::string_view text) {
  if (text.empty() || text.size() > 6) {
    return std::nullopt;
  }
  int value = 0;
  for (char symbol : text) {
    if (symbol < '0' || symbol > '9') {
      return std::nullopt;
    }
    value = value * 10 + (symbol - '0');
  }
  return value;
}

void LineReader::fail_no_puzzles() const { throw Error(path_ + ": no puzzles"); }

}  // namespace gram::tasks
