#pragma once
// LPRM-guided latent search on a RecursiveModel: sequential Monte Carlo over N particles, or
// beam search with B beams of K children, each puzzle in a fixed block of rows that advance one
// supervision step together (engine/latent_search.h has the decisions and their rules).
//
//   smc   N rows. After every `resample_every` steps (never after the last), weights
//         w ∝ exp(value / temperature) from the current value scores; when the effective sample
//         size falls below ess_threshold x N, systematic resampling (its uniform from Philox,
//         keyed by (seed, puzzle, step)) picks the ancestors and their (h, l) are copied into the
//         dropped rows. The answers are the N particles after the last step.
//   beam  B x K rows. After every step the B rows with the highest value survive and each fills
//         K rows for the next step; after the last step the B best rows are the answers.
//
// Row r of a puzzle always draws the noise of trajectory r, so the copies of one state continue
// with their own noise and diverge. Without resampling (infinite temperature, threshold 0) SMC
// is the uniform run of width N, and beam with K = 1 the uniform run of width B, bit for bit.
// Puzzles are independent and the CPU backend is bitwise independent of the batch, so the
// answers do not depend on the row cap. A puzzle's block never splits across batches or ranks;
// `gram run` runs search on one rank (docs/cli.md).
//
// Compute is counted as spent: every row runs every step, children that are dropped included,
// plus the state copies; each outcome also says what a uniform run of the answer width costs.
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/puzzle_results.h"
#include "engine/recursive_model.h"
#include "tasks/task.h"

namespace gram::engine {

enum class SearchKind { kSmc, kBeam };  // named by search_names() (util/vocabulary.h)
SearchKind parse_search_kind(const std::string& name);  // "smc" | "beam"; gram::Error otherwise
std::string search_kind_name(SearchKind kind);

struct SearchSettings {
  SearchKind kind = SearchKind::kSmc;
  int depth = 16;             // supervision steps
  std::uint64_t seed = 0;
  int particles = 8;          // smc: N
  int resample_every = 1;     // smc: steps between resampling checks
  double temperature = 0.1;   // smc: w ∝ exp(value / temperature)
  double ess_threshold = 0.5; // smc: resample when ESS < ess_threshold x N
  int beams = 4;              // beam: B
  int expand = 2;             // beam: K children per beam per step
};

// Rows a puzzle occupies (N or B x K) and answers it returns (N or B).
int rows_per_searched_puzzle(const SearchSettings& settings);
int search_answers(const SearchSettings& settings);

struct SearchCompute {
  int rows = 0;                            // rows run per step
  std::int64_t applications = 0;           // network applications spent, all rows
  std::int64_t state_copies = 0;           // rows overwritten with another row's (h, l)
  std::int64_t state_copy_bytes = 0;       // bytes those copies moved (h, l and e)
  int resamplings = 0;                     // smc: resampling events; beam: selections
  int uniform_width = 0;                   // answers returned: the uniform run to compare with
  std::int64_t uniform_applications = 0;   // what that uniform run spends at the same depth
};

struct SearchOutcome {
  PuzzleOutcome outcome;  // the answers: trajectory = the row they finished in
  SearchCompute compute;
};

class LatentSearch {
 public:
  // The model's row count must hold at least one puzzle's rows.
  LatentSearch(RecursiveModel& model, const tasks::Task& task, SearchSettings settings);

  // Searches every puzzle, as many at a time as the rows allow; `on_puzzle` gets them in order.
  // `first_puzzle` is the index of puzzles[0] in the whole puzzle file: the noise and the
  // resampling draws are keyed by it, so a share of the file searched alone (one rank's) gives
  // the answers the whole file gives.
  void run(std::span<const tasks::Puzzle> puzzles,
           const std::function<void(SearchOutcome&&)>& on_puzzle, std::uint32_t first_puzzle = 0);

 private:
  RecursiveModel& model_;
  const tasks::Task& task_;
  SearchSettings settings_;
};

// The "puzzle" record of a searched puzzle: puzzle_record() of its answers, with "applications"
// and "flops" replaced by what the search spent and a "search" object with the accounting.
nlohmann::json search_puzzle_record(const tasks::Task& task, const tasks::Puzzle& puzzle,
                                    const SearchOutcome& searched,
                                    std::span<const Aggregator> aggregators,
                                    const model::FlopCounts& flops, RunTotals& totals);

}  // namespace gram::engine
