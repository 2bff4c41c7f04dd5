// The blocks of backend.h as their separate operations: what every backend computes, and what
// runs on a backend that does not fuse them (the CUDA backend).
#include "backend/backend.h"
#include "util/error.h"

namespace gram::backend {

void Backend::swiglu_block(int tokens, float* x, const LinearWeight& gate_up,
                           const LinearWeight& down, float eps, const BlockWorkspace& workspace,
                           const BlockDropout* dropout) {
  const int hidden = down.out();  // D
  const int ffn = down.in();      // F
  GRAM_ASSERT(gate_up.out() == 2 * ffn && gate_up.in() == hidden, "swiglu block shapes");
  linear(tokens, x, hidden, gate_up, nullptr, workspace.wide);               // (tokens, 2F)
  swiglu(tokens, ffn, workspace.wide, workspace.narrow);                     // (tokens, F)
  linear(tokens, workspace.narrow, ffn, down, nullptr, workspace.residual);  // (tokens, D)
  if (dropout != nullptr) {
    const std::size_t elements = static_cast<std::size_t>(tokens) * hidden;
    GRAM_ASSERT(dropout->per_row > 0 && elements % dropout->per_row == 0,
                "swiglu block dropout: tokens of whole trajectories");
    this->dropout(static_cast<int>(elements / dropout->per_row), dropout->per_row,
                  workspace.residual, dropout->row_keys, dropout->mask);
  }
  add_rmsnorm(tokens, hidden, x, workspace.residual, eps);
}

void Backend::mlp_t_block(int rows, int positions, int hidden, float* x,
                          const LinearWeight& gate_up, const LinearWeight& down, float eps,
                          const BlockWorkspace& workspace, const BlockDropout* dropout) {
  const int mixer = down.in();  // Ft
  GRAM_ASSERT(down.out() == positions && gate_up.out() == 2 * mixer && gate_up.in() == positions,
              "mlp_t block shapes");
  const int lines = rows * hidden;  // one per (row, channel)
  transpose(rows, positions, hidden, x, workspace.transposed);                // (rows, D, P+L)
  linear(lines, workspace.transposed, positions, gate_up, nullptr, workspace.wide);  // (., 2Ft)
  swiglu(lines, mixer, workspace.wide, workspace.narrow);                      // (., Ft)
  linear(lines, workspace.narrow, mixer, down, nullptr, workspace.residual);   // (., P+L)
  if (dropout != nullptr) {
    GRAM_ASSERT(dropout->per_row == static_cast<std::size_t>(positions) * hidden,
                "mlp_t block dropout: one trajectory per row");
    this->dropout(rows, dropout->per_row, workspace.residual, dropout->row_keys, dropout->mask);
  }
  // TRM normalises after the sequence mixer in the transposed layout: over positions.
  add_rmsnorm(lines, positions, workspace.transposed, workspace.residual, eps);
  transpose(rows, hidden, positions, workspace.transposed, x);                // (rows, P+L, D)
}

}  // namespace gram::backend
