#include "sweep/search_cells.h"

#include <algorithm>
#include <map>

#include "sweep/policy_cells.h"
#include "util/error.h"

namespace gram::sweep {

std::string search_run_name(const std::string& model, const engine::SearchSettings& settings) {
  return model + "-" + engine::search_kind_name(settings.kind) + "-r" +
         std::to_string(engine::rows_per_searched_puzzle(settings)) + "-d" +
         std::to_string(settings.depth);
}

std::vector<SearchRun> plan_searches(const config::SweepConfig& config,
                                     std::span<const PlanModel> models) {
  std::vector<SearchRun> searches;
  for (int model = 0; model < static_cast<int>(models.size()); ++model) {
    for (const std::string& kind : config.searches) {
      for (int rows : config.search_rows) {
        SearchRun search;
        search.model = model;
        engine::SearchSettings& settings = search.settings;
        settings.kind = engine::parse_search_kind(kind);
        settings.depth = config.fixed_depth;
        settings.seed = config.seed;
        settings.particles = rows;
        settings.resample_every = config.search_resample_every;
        settings.temperature = config.search_temperature;
        settings.ess_threshold = config.search_ess_threshold;
        settings.expand = config.search_expand;
        settings.beams = std::max(1, rows / config.search_expand);
        search.name = search_run_name(models[model].name, settings);
        searches.push_back(search);
      }
    }
  }
  return searches;
}

void check_search_plan(std::span<const SearchRun> searches, const SweepPlan& plan,
                       std::span<const PlanModel> models) {
  for (const SearchRun& search : searches) {
    const int rows = engine::rows_per_searched_puzzle(search.settings);
    const auto compares = [&](const PlannedCell& cell) {
      return cell.model == search.model && !cell.halting && cell.depth == search.settings.depth &&
             cell.width >= rows;
    };
    const bool matched = std::any_of(plan.cells.begin(), plan.cells.end(), compares);
    if (!matched) {
      throw Error("config: search " + search.name + " has no uniform cell to be compared with: "
                  "it needs a cell of " + models[search.model].name + " with halting off, depth " +
                  std::to_string(search.settings.depth) + " (fixed_depth) and width >= " +
                  std::to_string(rows) + " (add the width strategy, halting off, or a budget of " +
                  std::to_string(rows * search.settings.depth) + " steps)");
    }
  }
}

nlohmann::json search_settings_json(const engine::SearchSettings& settings) {
  if (settings.kind == engine::SearchKind::kBeam) {
    return {{"beams", settings.beams}, {"expand", settings.expand}};
  }
  return {{"particles", settings.particles},
          {"temperature", settings.temperature},
          {"resample_every", settings.resample_every},
          {"ess_threshold", settings.ess_threshold}};
}

nlohmann::json search_figures(std::span<const engine::SearchOutcome> searched,
                              const PuzzleTruth& truth,
                              std::span<const engine::Aggregator> aggregators,
                              const SearchRun& search, CellCosts costs,
                              std::span<const nlohmann::json> uniform_cells) {
  // The answers as a one-step run, so that cell_figures reads them like any cell's.
  std::vector<engine::PuzzleOutcome> outcomes;
  std::int64_t applications = 0, state_copies = 0, copy_bytes = 0, resamplings = 0;
  for (const engine::SearchOutcome& puzzle : searched) {
    engine::PuzzleOutcome outcome = puzzle.outcome;
    for (engine::TrajectoryResult& answer : outcome.trajectories) {
      answer.history = {{answer.answer_hash, answer.valid, answer.value}};
    }
    outcomes.push_back(std::move(outcome));
    applications += puzzle.compute.applications;
    state_copies += puzzle.compute.state_copies;
    copy_bytes += puzzle.compute.state_copy_bytes;
    resamplings += puzzle.compute.resamplings;
  }
  const int answers = engine::search_answers(search.settings);
  nlohmann::json figures = cell_figures(outcomes, truth, aggregators, {answers, 1}, costs);

  // What the search spent: every row ran every step, the rows whose state was dropped included.
  const double puzzles = static_cast<double>(searched.size());
  const double flops =
      static_cast<double>(applications) / costs.applications_per_step * costs.flops_per_step;
  const int rows = engine::rows_per_searched_puzzle(search.settings);
  figures["applications"] = applications;
  figures["flops"] = flops;
  figures["applications_per_puzzle"] = applications / puzzles;
  figures["flops_per_puzzle"] = flops / puzzles;
  figures["answers"] = answers;
  figures["trajectories_per_puzzle"] = {
      {"mean", rows}, {"p50", rows}, {"p90", rows}, {"max", rows}};
  figures["state_copies_per_puzzle"] = state_copies / puzzles;
  figures["state_copy_bytes_per_puzzle"] = copy_bytes / puzzles;
  figures["resamplings_per_puzzle"] = resamplings / puzzles;

  // The uniform cells at the search's depth, one per width, in order of compute.
  std::map<int, const nlohmann::json*> by_width;
  for (const nlohmann::json& cell : uniform_cells) {
    by_width.emplace(cell.at("width").get<int>(), &cell);
  }
  std::vector<UniformCandidate> uniform;
  for (const auto& [width, cell] : by_width) uniform.push_back({width, *cell});
  GRAM_ASSERT(!uniform.empty(), "check_search_plan guarantees a uniform cell");
  add_uniform_comparisons(figures, uniform, search.settings.depth, aggregators);
  return figures;
}

}  // namespace gram::sweep
