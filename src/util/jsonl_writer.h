#pragma once
// Results are data first: one JSON record per line (JSONL), appended as the run goes.
//
// JsonlWriter owns one result file for one run. Each record goes to the file with a single
// write(2) of the whole line, newline included, so a killed run leaves complete lines plus at
// most one torn line at the very end, never a torn line in the middle. read_jsonl is the
// matching reader: it parses every complete line and sets a torn tail aside, so the records of
// a killed run stay usable. Markdown, CSV and figures are rendered from these records.
//
//   gram::JsonlWriter out(config.output, config.overwrite);
//   out.write(to_json(capture_run_context(argc, argv)));   // the context block comes first
//   out.write(record);
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gram {

class JsonlWriter {
 public:
  // Creates `path` (and its parent directory). Refuses an existing file unless `overwrite`.
  JsonlWriter(const std::string& path, bool overwrite);
  // Opens `path` to continue it (resume): creates it if missing, and cuts a torn last line (a
  // killed writer's partial record) so the next record starts on a line of its own.
  static JsonlWriter append_to(const std::string& path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;
  JsonlWriter(JsonlWriter&& other) noexcept;
  JsonlWriter& operator=(JsonlWriter&& other) noexcept;

  // Appends `record` as one line. NaN and infinities become null; invalid UTF-8 in strings is
  // replaced (U+FFFD) rather than failing the run. After a failed write the writer refuses
  // further records, so the file never holds a line after a gap.
  void write(const nlohmann::json& record);
  // Flushes to stable storage (fsync) and closes, reporting errors the destructor would
  // swallow. Optional: the destructor closes without syncing.
  void close();
  // Flushes what is written so far to stable storage (fsync) and keeps the file open: a sweep
  // calls it after each run's cells, so a lost node loses at most the run under way.
  void sync();
  // Throws when `path` no longer names the file this writer holds open (its directory or the
  // file was removed or replaced): records written then would go to a file nobody can read.
  // write() checks before every record; a long computation may check before it starts.
  void check_in_place() const;

  const std::string& path() const { return path_; }
  std::size_t records_written() const { return records_; }
  std::size_t bytes_written() const { return bytes_; }  // file size, earlier records included

 private:
  JsonlWriter() = default;
  std::string path_;
  int fd_ = -1;
  std::size_t records_ = 0;
  std::size_t bytes_ = 0;  // file size: the file starts empty and only this writer appends
  bool failed_ = false;
  // The open file's identity (st_dev, st_ino), to notice that `path_` stopped naming it.
  unsigned long long device_ = 0;
  unsigned long long inode_ = 0;
  void remember_identity();
};

// Parses every complete line of `path`. A last line without '\n' (the torn tail of a killed
// run) is not parsed; the number of such lines (0 or 1) goes to `ignored_lines` if given.
// Empty lines are skipped. Errors: "<path>: cannot open: ...", "<path>: not a regular file",
// "<path>:<line>: not JSON".
// `line_numbers`, if given, receives each record's 1-based line, for errors about its fields.
std::vector<nlohmann::json> read_jsonl(const std::string& path,
                                       std::size_t* ignored_lines = nullptr,
                                       std::vector<std::size_t>* line_numbers = nullptr);

}  // namespace gram
