#include "engine/search_run.h"

#include <algorithm>
#include <chrono>

#include "engine/latent_search.h"
#include "util/error.h"
#include "util/vocabulary.h"

namespace gram::engine {

SearchKind parse_search_kind(const std::string& name) {
  const std::vector<std::string>& names = search_names();
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) {
    throw Error("unknown search '" + name + "' (known: " + spoken_list(names, names.size(), ", ") +
                ")");
  }
  return static_cast<SearchKind>(found - names.begin());
}

std::string search_kind_name(SearchKind kind) { return search_names()[static_cast<int>(kind)]; }

int rows_per_searched_puzzle(const SearchSettings& settings) {
  return settings.kind == SearchKind::kSmc ? settings.particles
                                           : settings.beams * settings.expand;
}

int search_answers(const SearchSettings& settings) {
  return settings.kind == SearchKind::kSmc ? settings.particles : settings.beams;
}

LatentSearch::LatentSearch(RecursiveModel& model, const tasks::Task& task, SearchSettings settings)
    : model_(model), task_(task), settings_(settings) {
  GRAM_ASSERT(settings.depth >= 1, "search depth must be at least one supervision step");
  GRAM_ASSERT(settings.particles >= 1 && settings.beams >= 1 && settings.expand >= 1 &&
                  settings.resample_every >= 1,
              "search particles, beams, expand and resample_every are >= 1");
  GRAM_ASSERT(settings.temperature > 0.0, "search temperature must be positive");
  GRAM_ASSERT(model.config().seq_len == task.seq_len(), "model and task disagree on L");
  GRAM_ASSERT(model.max_rows() >= rows_per_searched_puzzle(settings),
              "the model's rows must hold one puzzle's search rows");
}

namespace {

// What the search decides for one puzzle's block after a step that is not the last: children
// per row, or nothing when every row simply continues.
std::vector<int> decide(const SearchSettings& settings, std::span<const float> values,
                        std::uint32_t puzzle, std::uint32_t step) {
  const int rows = static_cast<int>(values.size());
  if (settings.kind == SearchKind::kBeam) {
    std::vector<int> counts(rows, 0);
    for (int row : top_rows(values, settings.beams)) counts[row] = settings.expand;
    return counts;
  }
  if ((step + 1) % static_cast<std::uint32_t>(settings.resample_every) != 0) return {};
  const std::vector<double> weights = search_weights(values, settings.temperature);
  if (effective_sample_size(weights) >= settings.ess_threshold * rows) return {};
  return systematic_resample(weights, resampling_uniform(settings.seed, puzzle, step));
}

// One searched puzzle's rows after a step: the search decides from their values whether to
// resample (decide); if so, each row takes its ancestor's state (survivors keep their slot, so
// sources stay intact), counted in `compute`.
void resample_group(RecursiveModel& model, const SearchSettings& settings, int group,
                    std::span<const StepOutput> outputs, std::uint32_t puzzle, std::uint32_t step,
                    std::int64_t copy_bytes, SearchCompute& compute) {
  const int rows = static_cast<int>(outputs.size());
  std::vector<float> values(rows);
  for (int row = 0; row < rows; ++row) values[row] = outputs[row].value;
  const std::vector<int> counts = decide(settings, values, puzzle, step);
  if (counts.empty()) return;
  compute.resamplings += 1;
  const std::vector<int> ancestors = place_children(counts);
  for (int row = 0; row < rows; ++row) {
    if (ancestors[row] == row) continue;
    model.move_row(group * rows + ancestors[row], group * rows + row);
    compute.state_copies += 1;
    compute.state_copy_bytes += copy_bytes;
  }
}

// The answers a searched puzzle gives after its last step: every row (smc), or the best
// `beams` rows by value (beam). `outputs` are the puzzle's rows, which the answers are moved
// out of.
std::vector<TrajectoryResult> search_answers_of(const tasks::Task& task,
                                                const SearchSettings& settings,
                                                const tasks::Puzzle& puzzle, std::uint32_t index,
                                                std::span<StepOutput> outputs,
                                                std::int64_t applications_per_step,
                                                double started, double finished) {
  const int rows = static_cast<int>(outputs.size());
  std::vector<float> values(rows);
  for (int row = 0; row < rows; ++row) values[row] = outputs[row].value;
  std::vector<int> answers(rows);
  for (int row = 0; row < rows; ++row) answers[row] = row;
  if (settings.kind == SearchKind::kBeam) answers = top_rows(values, settings.beams);
  std::vector<TrajectoryResult> results;
  for (int row : answers) {
    StepOutput& output = outputs[row];
    TrajectoryResult result;
    result.puzzle = index;
    result.trajectory = static_cast<std::uint32_t>(row);
    result.answer = std::move(output.answer);
    result.answer_hash = task.answer_hash(result.answer);
    result.valid = task.is_valid(puzzle, result.answer);
    result.value = output.value;
    result.steps = settings.depth;
    result.applications = applications_per_step * settings.depth;  // its own lineage
    result.started_seconds = started;
    result.finished_seconds = finished;
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace

void LatentSearch::run(std::span<const tasks::Puzzle> puzzles,
                       const std::function<void(SearchOutcome&&)>& on_puzzle,
                       std::uint32_t first_puzzle) {
  const auto start = std::chrono::steady_clock::now();
  auto seconds_now = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const auto& config = model_.config();
  const std::int64_t applications_per_step = model::count_flops(config).applications_per_step;
  // move_row copies h, l and e, each (P+L, D) floats.
  const std::int64_t copy_bytes = 3LL * config.positions() * config.hidden_size * sizeof(float);
  const int rows = rows_per_searched_puzzle(settings_);
  const int per_batch = model_.max_rows() / rows;  // whole puzzles only

  std::vector<backend::NoiseRow> keys;
  std::vector<StepOutput> outputs;
  for (std::size_t first = 0; first < puzzles.size(); first += per_batch) {
    const int count = static_cast<int>(std::min<std::size_t>(per_batch, puzzles.size() - first));
    const int active = count * rows;
    const double started = seconds_now();
    std::vector<SearchCompute> compute(count);
    for (int group = 0; group < count; ++group) {
      for (int row = 0; row < rows; ++row) {
        model_.start_row(group * rows + row, puzzles[first + group].input);
      }
      compute[group].rows = rows;
      compute[group].uniform_width = search_answers(settings_);
      compute[group].uniform_applications =
          applications_per_step * settings_.depth * compute[group].uniform_width;
    }
    keys.resize(active);
    for (int step = 0; step < settings_.depth; ++step) {
      for (int group = 0; group < count; ++group) {
        for (int row = 0; row < rows; ++row) {
          keys[group * rows + row] = {first_puzzle + static_cast<std::uint32_t>(first + group),
                                      static_cast<std::uint32_t>(row),
                                      static_cast<std::uint32_t>(step)};
        }
      }
      model_.load_noise_keys(keys);
      model_.supervision_step(active, settings_.seed);
      model_.read_heads(active, outputs);
      if (step + 1 == settings_.depth) break;

      for (int group = 0; group < count; ++group) {
        compute[group].applications += applications_per_step * rows;
        const auto puzzle = first_puzzle + static_cast<std::uint32_t>(first + group);
        resample_group(model_, settings_, group, std::span(outputs).subspan(group * rows, rows),
                       puzzle, static_cast<std::uint32_t>(step), copy_bytes, compute[group]);
      }
    }

    const double finished = seconds_now();
    for (int group = 0; group < count; ++group) {
      const auto local = first + group;
      SearchOutcome searched;
      searched.compute = compute[group];
      searched.compute.applications += applications_per_step * rows;  // the last step
      searched.outcome.puzzle = first_puzzle + static_cast<std::uint32_t>(local);
      searched.outcome.trajectories = search_answers_of(
          task_, settings_, puzzles[local], searched.outcome.puzzle,
          std::span(outputs).subspan(group * rows, rows), applications_per_step, started, finished);
      on_puzzle(std::move(searched));
    }
  }
}

nlohmann::json search_puzzle_record(const tasks::Task& task, const tasks::Puzzle& puzzle,
                                    const SearchOutcome& searched,
                                    std::span<const Aggregator> aggregators,
                                    const model::FlopCounts& flops, RunTotals& totals) {
  const std::int64_t before = totals.applications;
  nlohmann::json record =
      puzzle_record(task, puzzle, searched.outcome, aggregators, flops, totals);
  const SearchCompute& compute = searched.compute;
  // puzzle_record counted the answers' lineages; the search spent every row's steps.
  totals.applications = before + compute.applications;
  const auto per_step = [&](std::int64_t applications) {
    return static_cast<double>(applications / std::max<std::int64_t>(1, flops.applications_per_step)) *
           flops.per_step;
  };
  record["applications"] = compute.applications;
  record["flops"] = per_step(compute.applications);
  record["search"] = {{"rows", compute.rows},
                      {"resamplings", compute.resamplings},
                      {"state_copies", compute.state_copies},
                      {"state_copy_bytes", compute.state_copy_bytes},
                      {"uniform_width", compute.uniform_width},
                      {"uniform_applications", compute.uniform_applications},
                      {"uniform_flops", per_step(compute.uniform_applications)}};
  return record;
}

}  // namespace gram::engine
