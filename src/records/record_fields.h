#pragma once
// What every record reader shares: the names of the fields that more than one record type
// carries, spelled once here for writers and readers alike, and `Fields`, the checked access
// that names the file, line and record in every message ("runs/a/cells.jsonl:7: cell: missing
// field 'width'"). The report reads a whole sweep through it, so a missing or mistyped field is
// one gram::Error line and never a crash in a table.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace gram::records {

// Fields of more than one record type.
namespace field {
inline constexpr const char* kType = "type";
inline constexpr const char* kName = "name";
inline constexpr const char* kModel = "model";
inline constexpr const char* kHalting = "halting";
inline constexpr const char* kWidth = "width";
inline constexpr const char* kDepth = "depth";
inline constexpr const char* kSeed = "seed";
inline constexpr const char* kSourceRun = "source_run";
inline constexpr const char* kSettings = "settings";
inline constexpr const char* kSearch = "search";
inline constexpr const char* kTiming = "timing";
inline constexpr const char* kPuzzles = "puzzles";
}  // namespace field

class Fields {
 public:
  Fields(const nlohmann::json& object, std::string where)
      : object_(object), where_(std::move(where)) {}

  const std::string& where() const { return where_; }

  [[noreturn]] void fail(const std::string& what) const;

  // Present and not null.
  bool has(const std::string& name) const;
  const nlohmann::json& require(const std::string& name) const;
  std::string string(const std::string& name) const;
  // Fields that only describe a run: shown if present, "?" otherwise.
  std::string text_or_unknown(const std::string& name) const;
  double number(const std::string& name) const;
  double non_negative(const std::string& name) const;
  std::optional<double> optional_number(const std::string& name) const;
  std::int64_t integer(const std::string& name, std::int64_t minimum) const;
  bool boolean(const std::string& name) const;
  const nlohmann::json& object(const std::string& name) const;

 private:
  const nlohmann::json& object_;
  std::string where_;
};

}  // namespace gram::records
