#pragma once
// A comparison named before a sweep runs (its config's `comparisons`), which the report then
// tests at every budget both sides reach (science.md s4: name the comparisons before the run,
// or correct for multiplicity). Written "A vs B", each side "model/strategy/aggregator":
//
//   gram-small/width/majority vs gram-small/depth/majority     width against depth
//   gram-small/width/best_of_n vs gram-small/width/majority    verifier against vote
//   gram-small/width/majority vs gram-large/depth/majority     small-wide against large-narrow
//
// strategy is `width` (N x fixed_depth), `depth` (1 x S) or `grid:N` (the grid cell with N
// trajectories). Sides of different models are paired at matched inference FLOPs per puzzle.
#include <cstdint>
#include <string>

namespace gram::analysis {

struct ComparisonSide {
  std::string model;
  std::string strategy;    // "width", "depth" or "grid"
  std::int64_t width = 0;  // grid only: the cell's N
  std::string aggregator;

  std::string label() const;  // as written: "gram-small/grid:4/majority"
};

struct ComparisonSpec {
  ComparisonSide a, b;
  std::string text() const;  // "A vs B", normalised
};

// Parses one entry; a gram::Error naming the entry and what is wrong otherwise.
ComparisonSpec parse_comparison(const std::string& text);

}  // namespace gram::analysis
