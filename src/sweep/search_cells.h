#pragma once
// LPRM-guided latent searches (engine/search_run.h) as runs of a sweep, compared with uniform
// width at matched compute.
//
// Unlike the adaptive policies (policy_cells.h), a search cannot be read from a width run: its
// rows copy each other's states between steps, so every search is a run of its own, named
// "<model>-<smc|beam>-r<rows>-d<S>", at the sweep's fixed_depth with halting off (a search
// advances its rows together). Every row runs every step, so a search of R rows spends what a
// uniform cell of width R spends, plus the state copies, which are counted apart; it is compared
// puzzle by puzzle with the uniform cell of the same model and depth at the nearest not smaller
// compute, read from the sweep's own cell records. The plan must hold such a cell
// (check_search_plan), so the comparison is never missing.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/sweep_config.h"
#include "backend/backend.h"
#include "model/weights.h"
#include "engine/distributed_search.h"
#include "engine/search_run.h"
#include "records/record_keys.h"
#include "sweep/cell_metrics.h"
#include "sweep/sweep_plan.h"
#include "tasks/task.h"

namespace gram::sweep {

struct SearchRun {
  int model = 0;
  engine::SearchSettings settings;  // depth = the sweep's fixed_depth
  std::string name;                 // names its raw file and its record
};

// Every (model, search, rows) of the config, in that order.
std::vector<SearchRun> plan_searches(const config::SweepConfig& config,
                                     std::span<const PlanModel> models);

// Refuses, with one line, a search that no uniform cell of the plan matches (same model, halting
// off, depth fixed_depth, width at least the search's rows).
void check_search_plan(std::span<const SearchRun> searches, const SweepPlan& plan,
                       std::span<const PlanModel> models);

std::string search_run_name(const std::string& model, const engine::SearchSettings& settings);
// Identity of a search record on file, and of a record read back (records/record_keys.h).
using records::search_key;
using records::search_record_key;
nlohmann::json search_settings_json(const engine::SearchSettings& settings);

// The figures of a "search" record: cell_figures of the answers after the last step, the
// compute the search spent (every row, every step; state copies apart), and the comparisons
// with the uniform cells (cell records of this sweep, any order) of the same model, halting off
// and depth.
nlohmann::json search_figures(std::span<const engine::SearchOutcome> searched,
                              const PuzzleTruth& truth,
                              std::span<const engine::Aggregator> aggregators,
                              const SearchRun& search, CellCosts costs,
                              std::span<const nlohmann::json> uniform_cells);

}  // namespace gram::sweep
