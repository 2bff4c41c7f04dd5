#pragma once
// The first record of a sweep's raw run file, runs/NAME.jsonl: which run of the plan it holds
// ("run": a width run of the plan; "search_run": a latent search). The puzzle records after it
// keep every trajectory's per-step answers (sweep/sweep.cpp), so cells can be re-derived. Only
// written: nothing in the engine reads a raw file back.
//
// What stays JSON, and why: a search's `settings` (one shape per search kind,
// sweep::search_settings_json, as in the sweep's "search" record).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace gram::records {

struct RunHeader {
  std::string name;  // the planned run's name
  std::string model;
  bool halting = false;
  int width = 1;
  int depth = 1;
  std::uint64_t seed = 0;
};

struct SearchRunHeader {
  std::string name;  // the search's name
  std::string model;
  std::string search;       // smc or beam
  nlohmann::json settings;  // its particles, temperature, ... or beams and expansion
  int rows = 1;             // rows per searched puzzle
  int depth = 1;
  std::uint64_t seed = 0;
};

nlohmann::json to_json(const RunHeader& run);
nlohmann::json to_json(const SearchRunHeader& search);

}  // namespace gram::records
