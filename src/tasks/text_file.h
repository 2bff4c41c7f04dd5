#pragma once
// Line-by-line reading and whole-file writing of puzzle files, and the one error format every
// task parser shares: "<path>:<line>:<column>: <what>" (the column is left out when a whole
// line is at fault), so that an error in a million-line file points at the character to fix.
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gram::tasks {

class LineReader {
 public:
  explicit LineReader(const std::string& path);  // throws "<path>: cannot open"

  // Advances to the next line; false at the end of the file. Trailing whitespace (and the '\r'
  // of files written on Windows) is dropped; leading text is kept so columns stay true.
  bool next();
  int line_number() const { return line_number_; }
  const std::string& text() const { return text_; }
  // Blank lines carry no puzzle, nor (with `hash_comments`) lines starting with '#'.
  bool is_skippable(bool hash_comments = true) const;

  const std::string& path() const { return path_; }
  [[noreturn]] void fail(int column, const std::string& message) const;  // 1-based column
  [[noreturn]] void fail_line(const std::string& message) const;
  [[noreturn]] void fail_no_puzzles() const;  // "<path>: no puzzles"

 private:
  std::string path_;
  std::ifstream stream_;
  std::string text_;
  int line_number_ = 0;
};

// Reads every non-skippable line of `path` with `parse_line`; a file without puzzles is an
// error ("<path>: no puzzles"). The formats with one puzzle per line share it; one whose lines
// may start with '#' (a maze's wall) passes `hash_comments` false.
template <typename ParseLine>
auto read_puzzle_lines(const std::string& path, ParseLine parse_line, bool hash_comments = true) {
  LineReader reader(path);
  std::vector<decltype(parse_line(reader))> puzzles;
  while (reader.next()) {
    if (!reader.is_skippable(hash_comments)) puzzles.push_back(parse_line(reader));
  }
  if (puzzles.empty()) reader.fail_no_puzzles();
  return puzzles;
}

// A field of a line and the 1-based column where it starts, so errors inside it can name the
// exact character.
struct Field {
  std::string_view text;
  int column = 1;
};

// Splits at every `separator`; n separators give n + 1 fields (some may be empty).
std::vector<Field> split_fields(std::string_view line, char separator);

// Writes `contents` to `path`, replacing the file; throws gram::Error when it cannot.
void write_text_file(const std::string& path, const std::string& contents);

// A character as an error message shows it: 'x', or '\x07' for bytes that do not print.
std::string quote_symbol(char symbol);

// A piece of a line as an error message shows it: quoted, unprintable bytes escaped, cut after
// 24 characters so that a garbage line still gives a short one-line message.
std::string quote_text(std::string_view text);

// A small non-negative decimal number ("12"); nullopt for signs, spaces, other characters or
// more than six digits, so that no input can overflow the int.
std::optional<int> parse_small_number(std::string_view text);

}  // namespace gram::tasks
