// What a config implies: the tensors a model must store, its parameter count and its FLOPs.
// docs/model-format.md states the same table and formulas; change both together.
#include <string>
#include <vector>

#include "model/model_config.h"
#include "util/error.h"

namespace gram::model {
namespace {

// The networks a model stores: one shared by both levels (TRM), or F_L then F_H (HRM).
std::vector<std::string> network_prefixes(const ModelConfig& config) {
  if (config.shared_networks) return {"net."};
  return {"net_l.", "net_h."};
}

}  // namespace

std::vector<TensorSpec> expected_tensors(const ModelConfig& config) {
  const std::int64_t V = config.vocab_size;
  const std::int64_t D = config.hidden_size;
  const std::int64_t P = config.prefix_len;
  const std::int64_t S = static_cast<std::int64_t>(config.prefix_len) + config.seq_len;
  const std::int64_t F = config.ffn_hidden;
  const std::int64_t Ft = config.mlp_t_hidden;
  const std::int64_t H = config.noise.hidden;

  std::vector<TensorSpec> specs;
  specs.push_back({"embed.tokens", {V, D}});
  if (P > 0) specs.push_back({"embed.prefix", {P, D}});
  if (config.position_encoding == PositionEncoding::kLearned) {
    specs.push_back({"embed.position", {S, D}});
  }
  specs.push_back({"init.h", {D}});
  specs.push_back({"init.l", {D}});
  for (const auto& net : network_prefixes(config)) {
    for (int layer = 0; layer < config.num_layers; ++layer) {
      std::string prefix = net + "layers." + std::to_string(layer) + ".";
      if (config.mixer == Mixer::kMlpT) {
        // A SwiGLU along the sequence axis: its "features" are the S positions.
        specs.push_back({prefix + "mlp_t.gate_up", {2 * Ft, S}});
        specs.push_back({prefix + "mlp_t.down", {S, Ft}});
      } else {
        specs.push_back({prefix + "attn.qkv", {3 * D, D}});
        specs.push_back({prefix + "attn.out", {D, D}});
      }
      specs.push_back({prefix + "ffn.gate_up", {2 * F, D}});
      specs.push_back({prefix + "ffn.down", {D, F}});
    }
  }
  specs.push_back({"head.lm", {V, D}});
  specs.push_back({"head.q", {2, D}});
  specs.push_back({"head.q_bias", {2}});
  if (config.has_value_head) {
    specs.push_back({"head.value", {1, D}});
    specs.push_back({"head.value_bias", {1}});
  }
  if (config.noise.enabled) {
    specs.push_back({"prior.hidden", {H, D}});
    specs.push_back({"prior.hidden_bias", {H}});
    specs.push_back({"prior.mu", {D, H}});
    specs.push_back({"prior.mu_bias", {D}});
    specs.push_back({"prior.sigma", {D, H}});
    specs.push_back({"prior.sigma_bias", {D}});
  }
  return specs;
}

FlopCounts count_flops(const ModelConfig& config) {
  // Doubles throughout: counts for large runs pass 2^53 only far beyond any real budget, and
  // they never overflow.
  const double V = config.vocab_size;
  const double D = config.hidden_size;
  const double L = config.seq_len;
  const double S = static_cast<double>(config.prefix_len) + config.seq_len;
  const double F = config.ffn_hidden;
  const double Ft = config.mlp_t_hidden;
  const double H = config.noise.hidden;
  const double K = config.l_cycles;
  const double T = config.h_cycles;

  // SwiGLU of width F on S rows of D features: gate and up (2 GEMMs S x D -> F), down (F -> D).
  const double ffn = 6 * S * D * F;
  double mixer = 0;
  if (config.mixer == Mixer::kMlpT) {
    mixer = 6 * D * S * Ft;  // the same SwiGLU on D rows of S features
  } else {
    // qkv (2*S*D*3D) + out (2*S*D*D) + scores QK^T (2*S*S*D) + weighted values (2*S*S*D).
    mixer = 8 * S * D * D + 4 * S * S * D;
  }

  FlopCounts counts;
  counts.per_application = config.num_layers * (mixer + ffn);
  counts.prior_per_transition = config.noise.enabled ? 6 * S * D * H : 0;
  counts.per_transition = (K + 1) * counts.per_application + counts.prior_per_transition;
  // LM head on the L answer positions, the 2-way Q head and the value head on h[0].
  counts.heads_per_step = 2 * L * D * V + 2 * D * 2 + (config.has_value_head ? 2 * D : 0);
  counts.per_step = T * counts.per_transition + counts.heads_per_step;
  counts.applications_per_step =
      static_cast<std::int64_t>(config.h_cycles) * (static_cast<std::int64_t>(config.l_cycles) + 1);
  return counts;
}

std::int64_t count_parameters(const ModelConfig& config) {
  std::int64_t total = 0;
  for (const auto& spec : expected_tensors(config)) {
    std::int64_t numel = 1;
    for (auto dim : spec.shape) {
      if (__builtin_mul_overflow(numel, dim, &numel)) {
        throw Error("model config: tensor '" + spec.name + "' has more elements than fit in 64 bits");
      }
    }
    if (__builtin_add_overflow(total, numel, &total)) {
      throw Error("model config: the parameter count does not fit in 64 bits");
    }
  }
  return total;
}

}  // namespace gram::model
