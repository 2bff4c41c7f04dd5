#pragma once
// Adaptive policies derived from a sweep's width runs, at matched compute.
//
// An adaptive run (engine/adaptive_run.h) and a difficulty-aware allocation (engine/allocation.h)
// draw, for every puzzle, a prefix of the trajectories a uniform run draws. A width run of N x S
// records every trajectory's answer and value score, so the policy's run is read from it without
// running anything: replay the rounds on the recorded answers (engine::settled_width,
// engine::allocate_widths), then score the prefixes as any cell (cell_metrics.h).
//
// Each policy cell is compared with the uniform cell of the same run and depth at the nearest
// not smaller compute: the fewest trajectories w (1 <= w <= N, any whole number, not only the
// plan's widths) whose applications per puzzle are at least the policy's mean. That is the
// uniform cell a user would pick for the same spend, and it is read from the same trajectories,
// so the comparison is paired puzzle by puzzle (McNemar). docs/reports.md lists the fields.
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/sweep_config.h"
#include "engine/adaptive_run.h"
#include "engine/allocation.h"
#include "records/record_keys.h"
#include "sweep/cell_metrics.h"

namespace gram::sweep {

struct Policy {
  std::string name;  // beta, agreement, verifier, oracle (stopping rules) or allocate
  engine::StoppingSettings stopping;      // stopping rules
  int round = 4;                          // stopping rules: per round; allocate: the probe
  double budget = 8.0;                    // allocate: mean trajectories per puzzle
  bool use_values = true;                 // allocate: value scores in the difficulty estimate

  // Whether a run of `width` trajectories can host this policy (more than one round, and for
  // allocate room for its budget).
  bool fits(int width) const;
  // The settings as written into the record.
  nlohmann::json settings_json() const;
};

// The sweep's `policies` as model runs them (allocate reads value scores only from a model with
// a value head).
std::vector<Policy> sweep_policies(const config::SweepConfig& config, bool has_value_head);

// Identity of a policy record on file (for resume and shard merges), and the identity of a
// record read back: "" unless it is a policy record with string `source_run` and `policy`.
// (records/record_keys.h)
using records::policy_key;
using records::policy_record_key;

// Trajectories per puzzle the policy draws, replayed on a run's outcomes read at `depth`, with
// at most `width` per puzzle.
std::vector<int> policy_widths(std::span<const engine::PuzzleOutcome> outcomes,
                               const Policy& policy, int width, int depth);

// A uniform cell a policy or a search may be compared with: its width and its cell_figures.
struct UniformCandidate {
  int width = 1;
  nlohmann::json figures;
};

// Adds to a policy's or a search's figures (cell_figures plus the compute it really spent in
// "applications_per_puzzle") its accuracy with Wilson intervals, "matched_uniform" (the first
// candidate, in order of increasing compute, that spends at least as much), "full_uniform" (the
// last candidate) and "saving" against the full one. Candidates are on the same puzzles at
// `depth`, so each comparison is paired (McNemar). There must be a matched one.
void add_uniform_comparisons(nlohmann::json& figures, std::span<const UniformCandidate> uniform,
                             int depth, std::span<const engine::Aggregator> aggregators);

// The figures of a "policy" record (without its identity fields): cell_figures of the policy's
// prefixes, the compute per puzzle (mean and quantiles of trajectories, applications, FLOPs),
// Wilson intervals, and the paired comparisons with the matched and the full-width uniform
// cells.
nlohmann::json policy_figures(std::span<const engine::PuzzleOutcome> outcomes,
                              const PuzzleTruth& truth,
                              std::span<const engine::Aggregator> aggregators,
                              const Policy& policy, int width, int depth, CellCosts costs);

}  // namespace gram::sweep
