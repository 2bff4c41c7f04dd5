#pragma once
// Samplers: width for a model whose transitions are deterministic (TRM, HRM), after You et al.,
// "Parallel Test-Time Scaling for Latent Reasoning Models" (ACL 2026).
//
//   injected noise  additive Gaussian noise on the latent state after each chosen update:
//                   on l after each L update and/or on h after each H update (after GRAM's
//                   own prior noise, for a GRAM model), with a scale that is absolute or
//                   relative to the state's RMS at that position (backend/sampler_math.h)
//   MC dropout      inverted dropout (keep with probability 1 - rate, scale by 1 / (1 - rate))
//                   on the outputs of the chosen sublayers (the mixer's, the FFN's) of the
//                   chosen layers, in the chosen networks' applications (F_L's, F_H's)
//
// Every draw comes from Philox keyed by (seed, puzzle, trajectory, step, transition, site,
// element) on a stream of its own (rng/sampler_stream.h), so trajectory t is the same on any
// rank, row cap, thread count or backend, and a sweep still reads cell N' x S' from a run's
// prefixes. Zero scale and zero rate turn a sampler off: the run is then the model's own, bit
// for bit. Samplers add elementwise work only, which FLOP counts exclude (science.md s3).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_config.h"

namespace gram::engine {

struct SamplerSettings {
  double noise_scale = 0.0;     // 0: no injected noise
  bool noise_relative = false;  // amplitude = scale x the position's RMS (else scale)
  bool noise_after_h = true;    // on h after each H update
  bool noise_after_l = false;   // on l after each L update
  double dropout_rate = 0.0;    // 0: no dropout; below 1
  bool dropout_in_h = true;     // in F_H's applications
  bool dropout_in_l = true;     // in F_L's applications
  bool dropout_mixer = true;    // on the mixer's output, before its residual add
  bool dropout_ffn = true;      // on the FFN's output, before its residual add
  std::vector<int> dropout_layers;  // layer indices; empty: every layer

  bool noise_active() const { return noise_scale > 0.0 && (noise_after_h || noise_after_l); }
  bool dropout_active() const {
    return dropout_rate > 0.0 && (dropout_in_h || dropout_in_l) && (dropout_mixer || dropout_ffn);
  }
  bool active() const { return noise_active() || dropout_active(); }
  bool drops_layer(int layer) const;
};

// From the config keys of the same names (docs/cli.md): `noise_at` and `dropout_at` name "h"
// and "l", `dropout_sites` "mixer" and "ffn", `noise_mode` "absolute" or "relative".
SamplerSettings make_sampler(double noise_scale, const std::string& noise_mode,
                             const std::vector<std::string>& noise_at, double dropout_rate,
                             const std::vector<std::string>& dropout_at,
                             const std::vector<std::string>& dropout_sites,
                             const std::vector<int>& dropout_layers);

// Refuses settings the model cannot run, naming the model file: a dropout layer it does not
// have, a row too large for the samplers' counters, or more draw points than they number.
void check_sampler(const SamplerSettings& sampler, const model::ModelConfig& config,
                   const std::string& model_path);

// "none", "noise0.1", "noise0.1-relative", "dropout0.05", "noise0.1+dropout0.05": names a
// sampler setting in sweep model names and report rows (the other settings are in the records).
std::string sampler_label(const SamplerSettings& sampler);

// The resolved settings for result files: {"label", "noise": {...} | null, "dropout": {...} |
// null}.
nlohmann::json sampler_json(const SamplerSettings& sampler);

}  // namespace gram::engine
