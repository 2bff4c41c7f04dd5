#pragma once
// The pure decisions of LPRM-guided latent search, free of any model: how value scores become
// particle weights, when and how sequential Monte Carlo resamples, which beams survive, and where
// the copies of a chosen state go. engine/search_run.h drives a RecursiveModel with them.
//
// Both searches keep a fixed block of rows per puzzle (SMC: N particles; beam: B beams x K
// children). After a supervision step each row has a value score v (the LPRM's estimate that
// the row's answer is right). A decision is a count per row, how many rows its state should fill
// for the next step (the counts sum to the block size), and place_children() turns counts into
// an ancestor per row such that every surviving row keeps its own slot: only rows whose state
// was dropped are overwritten, so the copies can run in any order and no state is copied onto
// itself. A row's noise is keyed by its slot (rng/philox_noise.h), so the copies of one state
// continue with different noise and diverge.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gram::engine {

// Normalised weights w_i = exp(v_i / temperature) / sum_j exp(v_j / temperature), computed with
// the largest v subtracted first; an infinite temperature gives exactly uniform weights.
std::vector<double> search_weights(std::span<const float> values, double temperature);

// (sum w)^2 / sum w^2: N for uniform weights, 1 when one weight holds everything.
double effective_sample_size(std::span<const double> weights);

// The one uniform in [0, 1) systematic resampling draws for puzzle `puzzle` after step `step`:
// Philox4x32-10 keyed by the seed, in a counter space of its own (the transition noise never
// uses counter word 3 = 0xFFFFFFFF, a puzzle index no puzzle file reaches).
double resampling_uniform(std::uint64_t seed, std::uint32_t puzzle, std::uint32_t step);

// Systematic resampling: N pointers (uniform + k) / N, k = 0..N-1, over the cumulative weights;
// returns how many children each particle gets (sums to N). Weights need not be normalised.
std::vector<int> systematic_resample(std::span<const double> weights, double uniform);

// The `keep` rows with the highest values, in row order; ties go to the lower row.
std::vector<int> top_rows(std::span<const float> values, int keep);

// From children per row (summing to the row count) to the ancestor of each row: a row with at
// least one child keeps its own state, the extra children fill the rows that have none, in row
// order. ancestor[r] == r means no copy.
std::vector<int> place_children(std::span<const int> counts);

// Rows whose state is replaced by another's under `ancestors` (the state copies to make).
int count_copies(std::span<const int> ancestors);

}  // namespace gram::engine
