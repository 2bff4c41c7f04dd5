// Latent search: the resampling, ESS and beam-selection rules on hand-worked numbers, and the
// searches on a small random model: their limits reproduce the uniform run bit for bit, copied
// states continue exactly as their ancestors would, and answers and compute do not depend on
// the row cap.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "backend/backend.h"
#include "common/tiny_model_config.h"
#include "engine/distributed_search.h"
#include "engine/latent_search.h"
#include "engine/recursive_model.h"
#include "engine/runner.h"
#include "engine/search_run.h"
#include "tasks/task.h"

namespace gram {
namespace {

using engine::SearchKind;
using engine::SearchSettings;

TEST(SystematicResampling, PointersFallWhereTheCumulativeWeightsSay) {
  // Cumulative 0.1, 0.3, 0.6, 1.0. With u = 0.5 the pointers are 0.125, 0.375, 0.625, 0.875.
  const std::vector<double> weights = {0.1, 0.2, 0.3, 0.4};
  EXPECT_EQ(engine::systematic_resample(weights, 0.5), (std::vector<int>{0, 1, 1, 2}));
  // With u = 0 they are 0, 0.25, 0.5, 0.75: one each.
  EXPECT_EQ(engine::systematic_resample(weights, 0.0), (std::vector<int>{1, 1, 1, 1}));
  // Unnormalised weights give the same children.
  const std::vector<double> scaled = {1.0, 2.0, 3.0, 4.0};
  EXPECT_EQ(engine::systematic_resample(scaled, 0.5), (std::vector<int>{0, 1, 1, 2}));
  // A particle of weight zero never gets a child, even at the last pointer.
  const std::vector<double> gaps = {0.0, 1.0, 0.0, 1.0, 0.0};
  EXPECT_EQ(engine::systematic_resample(gaps, 0.5), (std::vector<int>{0, 2, 0, 3, 0}));
  EXPECT_EQ(engine::systematic_resample(gaps, 0.9999999), (std::vector<int>{0, 2, 0, 3, 0}));
}

TEST(SystematicResampling, EffectiveSampleSize) {
  EXPECT_DOUBLE_EQ(engine::effective_sample_size(std::vector<double>{0.25, 0.25, 0.25, 0.25}), 4.0);
  EXPECT_DOUBLE_EQ(engine::effective_sample_size(std::vector<double>{1.0, 0.0, 0.0, 0.0}), 1.0);
  EXPECT_DOUBLE_EQ(engine::effective_sample_size(std::vector<double>{0.5, 0.5, 0.0, 0.0}), 2.0);
  // 1 / (0.01 + 0.04 + 0.09 + 0.16)
  EXPECT_NEAR(engine::effective_sample_size(std::vector<double>{0.1, 0.2, 0.3, 0.4}), 1.0 / 0.3,
              1e-12);
}

TEST(SystematicResampling, WeightsFollowTheTemperature) {
  const std::vector<float> values = {0.0f, 1.0f};
  const auto warm = engine::search_weights(values, 1.0);
  EXPECT_NEAR(warm[0], 1.0 / (1.0 + std::exp(1.0)), 1e-12);
  EXPECT_NEAR(warm[1], std::exp(1.0) / (1.0 + std::exp(1.0)), 1e-12);
  const auto cold = engine::search_weights(values, 0.01);
  EXPECT_LT(cold[0], 1e-40);
  // An infinite temperature is exactly uniform, so its ESS is exactly N.
  const std::vector<float> spread = {0.1f, 0.7f, 0.3f};
  const auto flat = engine::search_weights(spread, std::numeric_limits<double>::infinity());
  EXPECT_EQ(flat, (std::vector<double>(3, 1.0 / 3.0)));
  EXPECT_EQ(engine::effective_sample_size(flat), 3.0);
}

TEST(SystematicResampling, UniformIsKeyedBySeedPuzzleAndStep) {
  const double u = engine::resampling_uniform(7, 3, 2);
  EXPECT_GE(u, 0.0);
  EXPECT_LT(u, 1.0);
  EXPECT_EQ(engine::resampling_uniform(7, 3, 2), u);
  EXPECT_NE(engine::resampling_uniform(8, 3, 2), u);
  EXPECT_NE(engine::resampling_uniform(7, 4, 2), u);
  EXPECT_NE(engine::resampling_uniform(7, 3, 3), u);
}

TEST(BeamSelection, KeepsTheHighestValuesInRowOrder) {
  const std::vector<float> values = {0.3f, 0.9f, 0.1f, 0.8f, 0.5f};
  EXPECT_EQ(engine::top_rows(values, 2), (std::vector<int>{1, 3}));
  EXPECT_EQ(engine::top_rows(values, 3), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(engine::top_rows(values, 5), (std::vector<int>{0, 1, 2, 3, 4}));
  // Ties go to the lower row.
  const std::vector<float> tied = {0.5f, 0.7f, 0.5f, 0.5f};
  EXPECT_EQ(engine::top_rows(tied, 2), (std::vector<int>{0, 1}));
}

TEST(ChildPlacement, SurvivorsKeepTheirRowsAndExtrasFillTheDropped) {
  EXPECT_EQ(engine::place_children(std::vector<int>{0, 1, 1, 2}), (std::vector<int>{3, 1, 2, 3}));
  EXPECT_EQ(engine::place_children(std::vector<int>{4, 0, 0, 0}), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(engine::place_children(std::vector<int>{0, 2, 0, 2}), (std::vector<int>{1, 1, 3, 3}));
  EXPECT_EQ(engine::place_children(std::vector<int>{1, 1, 1}), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(engine::count_copies(std::vector<int>{3, 1, 2, 3}), 1);
  EXPECT_EQ(engine::count_copies(std::vector<int>{0, 0, 0, 0}), 3);
  EXPECT_EQ(engine::count_copies(std::vector<int>{0, 1, 2}), 0);
}

// A small stochastic model with a value head, on 4x4 Sudoku.
class SearchOnModel : public ::testing::Test {
 protected:
  SearchOnModel()
      : model_(model::random_model(testing::tiny_config(model::Mixer::kMlpT, true, true,
                                                        model::PositionEncoding::kNone, 16, 12),
                                   11)),
        task_(tasks::make_task(tasks::TaskSpec::parse("sudoku:4"))) {
    tasks::GenerateOptions options;
    options.count = 5;
    options.seed = 2;
    puzzles_ = task_->generate(options);
  }

  std::vector<engine::SearchOutcome> search(const SearchSettings& settings, int max_rows) {
    auto backend = backend::make_cpu_backend(1);
    engine::RecursiveModel recursive(model_, *backend, max_rows);
    engine::LatentSearch search(recursive, *task_, settings);
    std::vector<engine::SearchOutcome> outcomes;
    search.run(puzzles_, [&](engine::SearchOutcome&& outcome) {
      outcomes.push_back(std::move(outcome));
    });
    return outcomes;
  }

  // (puzzle, trajectory) -> result of a uniform run of `width`.
  std::map<std::pair<std::uint32_t, std::uint32_t>, engine::TrajectoryResult> uniform(
      int width, int depth, std::uint64_t seed) {
    auto backend = backend::make_cpu_backend(1);
    engine::RecursiveModel recursive(model_, *backend, 8);
    engine::RunSettings settings;
    settings.depth = depth;
    settings.seed = seed;
    engine::Runner runner(recursive, *task_, settings);
    std::map<std::pair<std::uint32_t, std::uint32_t>, engine::TrajectoryResult> results;
    const auto items = engine::make_work(0, static_cast<std::uint32_t>(puzzles_.size()), width);
    runner.run(puzzles_, items, [&](engine::TrajectoryResult&& result) {
      results[{result.puzzle, result.trajectory}] = std::move(result);
    });
    return results;
  }

  static void expect_same_answers(const std::vector<engine::SearchOutcome>& a,
                                  const std::vector<engine::SearchOutcome>& b,
                                  const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t p = 0; p < a.size(); ++p) {
      const auto& x = a[p].outcome.trajectories;
      const auto& y = b[p].outcome.trajectories;
      ASSERT_EQ(x.size(), y.size()) << what;
      for (std::size_t t = 0; t < x.size(); ++t) {
        EXPECT_EQ(x[t].trajectory, y[t].trajectory) << what;
        EXPECT_EQ(x[t].answer_hash, y[t].answer_hash) << what;
        EXPECT_EQ(std::bit_cast<std::uint32_t>(x[t].value), std::bit_cast<std::uint32_t>(y[t].value))
            << what << ": puzzle " << p << " answer " << t;
      }
      EXPECT_EQ(a[p].compute.state_copies, b[p].compute.state_copies) << what;
      EXPECT_EQ(a[p].compute.applications, b[p].compute.applications) << what;
    }
  }

  std::int64_t applications_per_step() const {
    return static_cast<std::int64_t>(model_.config.h_cycles) * (model_.config.l_cycles + 1);
  }

  model::Model model_;
  std::unique_ptr<tasks::Task> task_;
  std::vector<tasks::Puzzle> puzzles_;
};

// Without resampling SMC is the uniform run; beam with one child per beam is too.
TEST_F(SearchOnModel, LimitsReproduceTheUniformRunBitForBit) {
  const auto reference = uniform(4, 3, 5);
  SearchSettings never;
  never.kind = SearchKind::kSmc;
  never.depth = 3;
  never.seed = 5;
  never.particles = 4;
  never.temperature = std::numeric_limits<double>::infinity();
  never.ess_threshold = 1.0;  // an infinite temperature keeps ESS at exactly N
  SearchSettings zero = never;
  zero.temperature = 0.01;
  zero.ess_threshold = 0.0;
  SearchSettings single = never;
  single.kind = SearchKind::kBeam;
  single.beams = 4;
  single.expand = 1;
  for (const auto& [settings, what] : {std::pair{never, "infinite temperature"},
                                       std::pair{zero, "threshold 0"},
                                       std::pair{single, "beam K = 1"}}) {
    const auto outcomes = search(settings, 8);
    ASSERT_EQ(outcomes.size(), puzzles_.size()) << what;
    for (const auto& searched : outcomes) {
      EXPECT_EQ(searched.compute.state_copies, 0) << what;
      ASSERT_EQ(searched.outcome.trajectories.size(), 4u) << what;
      for (const auto& answer : searched.outcome.trajectories) {
        const auto& expected = reference.at({answer.puzzle, answer.trajectory});
        EXPECT_EQ(answer.answer, expected.answer) << what;
        EXPECT_EQ(std::bit_cast<std::uint32_t>(answer.value),
                  std::bit_cast<std::uint32_t>(expected.value))
            << what << ": puzzle " << answer.puzzle << " trajectory " << answer.trajectory;
      }
    }
  }
}

// A copied row holds its ancestor's state exactly and, given the ancestor's noise, takes the
// same next step.
TEST_F(SearchOnModel, CopiedStateContinuesAsItsAncestor) {
  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel recursive(model_, *backend, 4);
  std::vector<backend::NoiseRow> keys;
  for (std::uint32_t row = 0; row < 4; ++row) {
    recursive.start_row(static_cast<int>(row), puzzles_[0].input);
    keys.push_back({0, row, 0});
  }
  recursive.supervision_step(4, keys, 9);
  std::vector<float> h0, l0, h1, l1;
  recursive.read_state(0, h0, l0);
  recursive.read_state(1, h1, l1);
  ASSERT_NE(h0, h1) << "rows with different noise should differ before the copy";

  const std::vector<int> ancestors = engine::place_children(std::vector<int>{2, 0, 1, 1});
  ASSERT_EQ(ancestors, (std::vector<int>{0, 0, 2, 3}));
  for (int row = 0; row < 4; ++row) {
    if (ancestors[row] != row) recursive.move_row(ancestors[row], row);
  }
  recursive.read_state(1, h1, l1);
  EXPECT_EQ(h1, h0);
  EXPECT_EQ(l1, l0);

  // Next step: row 1 with row 0's noise must match row 0 exactly.
  for (auto& key : keys) key.step = 1;
  keys[1].trajectory = 0;
  recursive.supervision_step(4, keys, 9);
  recursive.read_state(0, h0, l0);
  recursive.read_state(1, h1, l1);
  EXPECT_EQ(h1, h0);
  EXPECT_EQ(l1, l0);
}

TEST_F(SearchOnModel, SameSeedSameAnswersWhateverTheRowCap) {
  SearchSettings smc;
  smc.kind = SearchKind::kSmc;
  smc.depth = 4;
  smc.seed = 3;
  smc.particles = 4;
  smc.temperature = 0.001;  // values differ, so the weights collapse and it resamples
  smc.ess_threshold = 0.9;
  SearchSettings beam = smc;
  beam.kind = SearchKind::kBeam;
  beam.beams = 2;
  beam.expand = 3;
  for (const auto& [settings, what] : {std::pair{smc, "smc"}, std::pair{beam, "beam"}}) {
    const int rows = engine::rows_per_searched_puzzle(settings);
    const auto reference = search(settings, rows);
    expect_same_answers(search(settings, rows), reference, std::string(what) + " again");
    expect_same_answers(search(settings, 3 * rows), reference, std::string(what) + " 3 puzzles a batch");
    expect_same_answers(search(settings, 5 * rows + 1), reference, std::string(what) + " all at once");
    std::int64_t copies = 0;
    for (const auto& searched : reference) copies += searched.compute.state_copies;
    EXPECT_GT(copies, 0) << what << ": the test needs the search to copy states";
    SearchSettings other = settings;
    other.seed = 4;
    const auto reseeded = search(other, rows);
    bool differs = false;
    for (std::size_t p = 0; p < reseeded.size(); ++p) {
      differs |= reseeded[p].outcome.trajectories.front().value !=
                 reference[p].outcome.trajectories.front().value;
    }
    EXPECT_TRUE(differs) << what << ": another seed should draw other noise";
  }
}

TEST_F(SearchOnModel, ComputeCountsEveryRowAndCopy) {
  SearchSettings beam;
  beam.kind = SearchKind::kBeam;
  beam.depth = 4;
  beam.beams = 2;
  beam.expand = 3;
  const std::int64_t step = applications_per_step();
  for (const auto& searched : search(beam, 6)) {
    // All 6 rows ran all 4 steps, discarded children included.
    EXPECT_EQ(searched.compute.applications, 6 * 4 * step);
    EXPECT_EQ(searched.compute.uniform_width, 2);
    EXPECT_EQ(searched.compute.uniform_applications, 2 * 4 * step);
    // After each of the first 3 steps, 2 survivors each fill 2 more rows.
    EXPECT_EQ(searched.compute.resamplings, 3);
    EXPECT_EQ(searched.compute.state_copies, 3 * 2 * 2);
    EXPECT_EQ(searched.outcome.trajectories.size(), 2u);
  }
  SearchSettings smc;
  smc.kind = SearchKind::kSmc;
  smc.depth = 5;
  smc.particles = 4;
  smc.temperature = 0.001;
  smc.ess_threshold = 1.0;
  smc.resample_every = 2;  // checks after steps 2 and 4 only
  for (const auto& searched : search(smc, 4)) {
    EXPECT_EQ(searched.compute.applications, 4 * 5 * step);
    EXPECT_EQ(searched.compute.uniform_applications, 4 * 5 * step);
    // Distinct values never give exactly uniform weights, so both checks resample.
    EXPECT_EQ(searched.compute.resamplings, 2);
    EXPECT_LE(searched.compute.state_copies, searched.compute.resamplings * 3);
    EXPECT_EQ(searched.compute.state_copy_bytes,
              searched.compute.state_copies * 3 * model_.config.positions() *
                  model_.config.hidden_size * static_cast<std::int64_t>(sizeof(float)));
    EXPECT_EQ(searched.outcome.trajectories.size(), 4u);
  }
}


// ---- search over ranks (engine/distributed_search.h) ---------------------------------------

// The blocks of whole puzzles cover the file in order, and differ in size by at most one.
TEST(SearchShare, BlocksCoverTheFileInOrderAndEvenly) {
  for (std::size_t puzzles : {0u, 1u, 5u, 7u, 100u}) {
    for (int size : {1, 2, 3, 8}) {
      std::size_t next = 0, smallest = puzzles, largest = 0;
      for (int rank = 0; rank < size; ++rank) {
        const engine::PuzzleBlock block = engine::search_share(puzzles, rank, size);
        EXPECT_EQ(block.begin, next) << puzzles << " puzzles, rank " << rank << " of " << size;
        ASSERT_GE(block.end, block.begin);
        smallest = std::min(smallest, block.end - block.begin);
        largest = std::max(largest, block.end - block.begin);
        next = block.end;
      }
      EXPECT_EQ(next, puzzles) << puzzles << " puzzles on " << size << " ranks";
      EXPECT_LE(largest - smallest, 1u) << puzzles << " puzzles on " << size << " ranks";
    }
  }
}

// Two shares of the file searched apart, each keyed by its puzzles' places in the file, give
// what the whole file gives: what each rank of a job computes.
TEST_F(SearchOnModel, SharesSearchedApartEqualTheWholeFile) {
  SearchSettings settings;
  settings.kind = SearchKind::kSmc;
  settings.depth = 3;
  settings.seed = 4;
  settings.particles = 4;
  settings.temperature = 0.01;  // resamples, so the resampling draws' keys matter too
  const auto whole = search(settings, 8);
  std::vector<engine::SearchOutcome> shared;
  auto backend = backend::make_cpu_backend(1);
  engine::RecursiveModel recursive(model_, *backend, 8);
  engine::LatentSearch search(recursive, *task_, settings);
  const std::span<const tasks::Puzzle> all(puzzles_);
  for (const auto& [begin, end] : {std::pair{0, 2}, std::pair{2, 5}}) {
    search.run(all.subspan(begin, end - begin),
               [&](engine::SearchOutcome&& outcome) { shared.push_back(std::move(outcome)); },
               static_cast<std::uint32_t>(begin));
  }
  expect_same_answers(whole, shared, "shares of 2 and 3 puzzles");
  std::int64_t copies = 0;
  for (std::size_t p = 0; p < shared.size(); ++p) {
    EXPECT_EQ(shared[p].outcome.puzzle, p);
    copies += shared[p].compute.state_copies;
  }
  EXPECT_GT(copies, 0) << "the search never resampled, so the test would not see its keys";
}

// What rank 0 gathers is what each rank searched, bit for bit.
TEST_F(SearchOnModel, OutcomesSurviveTheGatherExactly) {
  SearchSettings settings;
  settings.kind = SearchKind::kBeam;
  settings.depth = 2;
  settings.beams = 2;
  settings.expand = 2;
  const auto outcomes = search(settings, 8);
  const auto back =
      engine::deserialize_search_outcomes(engine::serialize_search_outcomes(outcomes));
  expect_same_answers(outcomes, back, "serialised");
  ASSERT_EQ(back.size(), outcomes.size());
  for (std::size_t p = 0; p < back.size(); ++p) {
    const auto& a = outcomes[p].compute;
    const auto& b = back[p].compute;
    EXPECT_EQ(back[p].outcome.puzzle, outcomes[p].outcome.puzzle);
    EXPECT_EQ(std::tie(a.rows, a.applications, a.state_copies, a.state_copy_bytes, a.resamplings,
                       a.uniform_width, a.uniform_applications),
              std::tie(b.rows, b.applications, b.state_copies, b.state_copy_bytes, b.resamplings,
                       b.uniform_width, b.uniform_applications));
    for (std::size_t t = 0; t < back[p].outcome.trajectories.size(); ++t) {
      EXPECT_EQ(back[p].outcome.trajectories[t].answer, outcomes[p].outcome.trajectories[t].answer);
      EXPECT_EQ(back[p].outcome.trajectories[t].valid, outcomes[p].outcome.trajectories[t].valid);
    }
  }
  EXPECT_TRUE(engine::deserialize_search_outcomes(engine::serialize_search_outcomes({})).empty());
}

}  // namespace
}  // namespace gram
