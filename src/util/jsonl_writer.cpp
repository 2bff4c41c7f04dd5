#include "util/jsonl_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "util/error.h"

namespace gram {
namespace {

std::string cannot_write(const std::string& path, int error_number) {
  return path + ": cannot write: " + std::strerror(error_number);
}

}  // namespace

JsonlWriter::JsonlWriter(const std::string& path, bool overwrite) : path_(path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) throw Error(cannot_write(path, error.value()));
  }
  // O_EXCL makes "refuse an existing file" atomic: two runs pointed at the same output cannot
  // both pass the check. O_APPEND keeps each write(2) at the end of the file.
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  do {
    fd_ = ::open(path.c_str(), flags, 0644);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) {
    if (errno == EEXIST) throw Error(path + ": exists (pass --overwrite to replace it)");
    throw Error(cannot_write(path, errno));
  }
  remember_identity();
}

JsonlWriter JsonlWriter::append_to(const std::string& path) {
  if (!std::filesystem::exists(path)) return JsonlWriter(path, false);
  JsonlWriter writer;
  writer.path_ = path;
  do {
    writer.fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  } while (writer.fd_ < 0 && errno == EINTR);
  if (writer.fd_ < 0) throw Error(cannot_write(path, errno));
  writer.remember_identity();
  // Find the end of the last complete line and cut whatever follows it.
  const off_t size = ::lseek(writer.fd_, 0, SEEK_END);
  off_t keep = size;
  char byte = 0;
  while (keep > 0 && ::pread(writer.fd_, &byte, 1, keep - 1) == 1 && byte != '\n') --keep;
  if (keep != size && ::ftruncate(writer.fd_, keep) != 0) throw Error(cannot_write(path, errno));
  writer.bytes_ = static_cast<std::size_t>(keep);
  return writer;
}

JsonlWriter::~JsonlWriter() {
  if (fd_ >= 0) ::close(fd_);
}

JsonlWriter::JsonlWriter(JsonlWriter&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      records_(other.records_),
      bytes_(other.bytes_),
      failed_(other.failed_),
      device_(other.device_),
      inode_(other.inode_) {}

JsonlWriter& JsonlWriter::operator=(JsonlWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    records_ = other.records_;
    bytes_ = other.bytes_;
    failed_ = other.failed_;
    device_ = other.device_;
    inode_ = other.inode_;
  }
  return *this;
}

void JsonlWriter::write(const nlohmann::json& record) {
  if (fd_ < 0) throw Error(path_ + ": cannot write: the file is closed");
  if (failed_) throw Error(path_ + ": cannot write: an earlier write failed");
  try {
    check_in_place();
  } catch (const Error&) {
    failed_ = true;
    throw;
  }
  // dump() escapes control characters, so the only '\n' in `line` is the one added here.
  std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  ssize_t written;
  do {
    written = ::write(fd_, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) {
    failed_ = true;
    throw Error(cannot_write(path_, errno));
  }
  if (static_cast<std::size_t>(written) != line.size()) {
    // A short write means the disk or a quota filled up mid-line. Cut the partial line off
    // (best effort: a device such as /dev/full cannot be truncated) so the file still ends
    // on a record boundary.
    failed_ = true;
    int truncated = ::ftruncate(fd_, static_cast<off_t>(bytes_));
    (void)truncated;
    throw Error(path_ + ": cannot write: short write (" + std::to_string(written) + " of " +
                std::to_string(line.size()) + " bytes; is the disk full?)");
  }
  // No user-space buffer sits between us and the kernel, so the line is already visible to
  // readers and survives a crash of this process; close() adds fsync for power loss.
  bytes_ += line.size();
  ++records_;
}

void JsonlWriter::remember_identity() {
  struct stat status {};
  if (::fstat(fd_, &status) != 0) throw Error(cannot_write(path_, errno));
  device_ = status.st_dev;
  inode_ = status.st_ino;
}

void JsonlWriter::check_in_place() const {
  // stat follows symbolic links, as open() did: an output that is a link stays valid.
  struct stat status {};
  if (::stat(path_.c_str(), &status) != 0) {
    throw Error(path_ + ": cannot write: the file was removed during the run (" +
                std::strerror(errno) + ")");
  }
  if (status.st_dev != device_ || status.st_ino != inode_) {
    throw Error(path_ + ": cannot write: the file was replaced during the run by another one");
  }
}

void JsonlWriter::sync() {
  if (fd_ < 0) throw Error(path_ + ": cannot sync: the file is closed");
  check_in_place();
  // EINVAL/EROFS: the file cannot be synced (a pipe, a device such as /dev/null); nothing to do.
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
    failed_ = true;
    throw Error(cannot_write(path_, errno));
  }
}

void JsonlWriter::close() {
  if (fd_ < 0) return;
  int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    int error_number = errno;
    ::close(fd);
    throw Error(cannot_write(path_, error_number));
  }
  if (::close(fd) != 0) throw Error(cannot_write(path_, errno));
}

std::vector<nlohmann::json> read_jsonl(const std::string& path, std::size_t* ignored_lines,
                                       std::vector<std::size_t>* line_numbers) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path + ": cannot open: " + std::strerror(errno));
  // A device or a pipe (an output linked to /dev/zero, say) would be read without end.
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(path, ignored)) {
    throw Error(path + ": not a regular file");
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();

  std::vector<nlohmann::json> records;
  std::size_t start = 0;
  std::size_t line_number = 0;
  while (true) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    ++line_number;
    if (end > start) {
      auto record = nlohmann::json::parse(text.begin() + static_cast<std::ptrdiff_t>(start),
                                          text.begin() + static_cast<std::ptrdiff_t>(end),
                                          nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded()) {
        throw Error(path + ":" + std::to_string(line_number) + ": not JSON");
      }
      records.push_back(std::move(record));
      if (line_numbers != nullptr) line_numbers->push_back(line_number);
    }
    start = end + 1;
  }
  if (ignored_lines != nullptr) *ignored_lines = start < text.size() ? 1 : 0;
  return records;
}

}  // namespace gram
