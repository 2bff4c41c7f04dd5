#pragma once
// A deliberately plain forward pass of the recursive model for one trajectory, written from
// science.md s2 with loops and double accumulators and nothing shared with the engine except
// the weight map and the Philox noise header. The engine must agree with it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "model/verifier.h"
#include "model/weights.h"
#include "rng/philox_noise.h"

namespace gram::testing {

class ReferenceModel {
 public:
  explicit ReferenceModel(const model::Model& model) : model_(model), c_(model.config) {}

  struct State {
    std::vector<float> h, l, e;  // (P+L, D)
  };
  struct Heads {
    float q_halt = 0, q_continue = 0, value_logit = 0;
    std::vector<float> logits;  // (L, V)
  };

  // The samplers as docs/model-format.md ("Samplers") states them, written here from the
  // document: noise after the chosen updates, dropout on the chosen sublayer outputs, each
  // element's Philox words from the documented counter.
  struct Sampler {
    double noise_scale = 0.0;
    bool relative = false;
    bool after_h = true, after_l = false;
    double dropout_rate = 0.0;
    bool in_h = true, in_l = true, mixer = true, ffn = true;
    std::vector<int> layers;  // empty: every layer
  };
  void set_sampler(const Sampler& sampler) { sampler_ = sampler; }

  State start(const std::vector<std::int32_t>& input) const {
    const int S = c_.positions(), D = c_.hidden_size;
    State state;
    state.e.assign(static_cast<std::size_t>(S) * D, 0.0f);
    for (int p = 0; p < S; ++p) {
      for (int d = 0; d < D; ++d) {
        float v = p < c_.prefix_len
                      ? model_.tensor("embed.prefix").values[p * D + d]
                      : model_.tensor("embed.tokens").values[input[p - c_.prefix_len] * D + d];
        if (c_.position_encoding == model::PositionEncoding::kLearned) {
          v = 0.707106781f * (v + model_.tensor("embed.position").values[p * D + d]);
        }
        state.e[p * D + d] = std::sqrt(static_cast<float>(D)) * v;
      }
    }
    state.h.resize(state.e.size());
    state.l.resize(state.e.size());
    for (int p = 0; p < S; ++p) {
      for (int d = 0; d < D; ++d) {
        state.h[p * D + d] = model_.tensor("init.h").values[d];
        state.l[p * D + d] = model_.tensor("init.l").values[d];
      }
    }
    return state;
  }

  void supervision_step(State& s, std::uint64_t seed, std::uint32_t puzzle,
                        std::uint32_t trajectory, std::uint32_t step) const {
    const std::string low = c_.shared_networks ? "net." : "net_l.";
    const std::string high = c_.shared_networks ? "net." : "net_h.";
    for (int t = 0; t < c_.h_cycles; ++t) {
      const rng::NoiseKey key{seed, puzzle, trajectory, step, static_cast<std::uint32_t>(t)};
      for (int k = 0; k < c_.l_cycles; ++k) {
        for (std::size_t i = 0; i < s.l.size(); ++i) s.l[i] = s.l[i] + s.h[i] + s.e[i];
        draw_ = {key, k};
        network(low, s.l);
        if (sampler_.noise_scale > 0 && sampler_.after_l) inject(s.l);
      }
      for (std::size_t i = 0; i < s.h.size(); ++i) s.h[i] = s.h[i] + s.l[i];
      draw_ = {key, c_.l_cycles};
      network(high, s.h);
      if (c_.noise.enabled) noise(s.h, key);
      if (sampler_.noise_scale > 0 && sampler_.after_h) inject(s.h);
    }
  }

  // backend/confidence_math.h's statistics, written from its comment in double precision:
  // logits (L, V) of a step, its answer and the previous step's (empty before the first step).
  static std::vector<double> confidence(const std::vector<float>& logits, int vocab,
                                        const std::vector<int>& answer,
                                        const std::vector<int>& previous) {
    const std::size_t cells = answer.size();
    std::vector<double> logp(cells), margin(cells), same(cells);
    for (std::size_t c = 0; c < cells; ++c) {
      std::vector<double> x(logits.begin() + c * vocab, logits.begin() + (c + 1) * vocab);
      std::sort(x.rbegin(), x.rend());
      double total = 0;
      for (double v : x) total += std::exp(v - x[0]);
      logp[c] = -std::log(total);
      margin[c] = x[0] - x[1];
      same[c] = !previous.empty() && previous[c] == answer[c] ? 1.0 : 0.0;
    }
    std::vector<double> out;
    for (const auto* values : {&logp, &margin, &same}) {
      double sum = 0;
      for (double v : *values) sum += v;
      out.push_back(sum / static_cast<double>(cells));
      out.push_back(*std::min_element(values->begin(), values->end()));
    }
    return out;
  }

  // The verifier's score logit on a state (model/verifier.h); `confidence` as above and the
  // step's `answer` (L tokens) when it reads those inputs.
  double verifier_logit(const model::Verifier& verifier, const State& s,
                        const std::vector<double>& confidence = {},
                        const std::vector<int>& answer = {}) const {
    const model::VerifierConfig& v = verifier.config;
    const std::size_t in = static_cast<std::size_t>(v.input_size());
    const int width = v.first_layer_width();
    std::vector<double> z(width);
    for (int j = 0; j < width; ++j) {
      double sum = verifier.tensor("verifier.in_bias").values[j];
      if (v.reads_h) {
        for (std::size_t i = 0; i < in; ++i) sum += verifier.tensor("verifier.in_h").values[j * in + i] * double(s.h[i]);
      }
      if (v.reads_l) {
        for (std::size_t i = 0; i < in; ++i) sum += verifier.tensor("verifier.in_l").values[j * in + i] * double(s.l[i]);
      }
      if (v.reads_confidence) {
        const auto& w = verifier.tensor("verifier.in_confidence").values;
        for (std::size_t i = 0; i < confidence.size(); ++i) sum += w[j * confidence.size() + i] * confidence[i];
      }
      if (v.reads_answer) {  // one-hot, cell-major: the weight of each cell's token
        const auto& w = verifier.tensor("verifier.in_answer").values;
        const std::size_t row = answer.size() * c_.vocab_size;
        for (std::size_t cell = 0; cell < answer.size(); ++cell) {
          sum += w[j * row + cell * c_.vocab_size + answer[cell]];
        }
      }
      z[j] = sum;
    }
    if (v.hidden == 0) return z[0];
    double score = verifier.tensor("verifier.out_bias").values[0];
    for (int j = 0; j < width; ++j) score += verifier.tensor("verifier.out").values[j] * (z[j] / (1.0 + std::exp(-z[j])));
    return score;
  }

  Heads heads(const State& s) const {
    const int D = c_.hidden_size, V = c_.vocab_size;
    Heads out;
    std::vector<float> first(s.h.begin(), s.h.begin() + D);
    std::vector<float> q = linear(first, 1, "head.q", "head.q_bias");
    out.q_halt = q[0];
    out.q_continue = q[1];
    if (c_.has_value_head) out.value_logit = linear(first, 1, "head.value", "head.value_bias")[0];
    std::vector<float> puzzle_rows(s.h.begin() + static_cast<std::size_t>(c_.prefix_len) * D, s.h.end());
    out.logits = linear(puzzle_rows, c_.seq_len, "head.lm", "");
    (void)V;
    return out;
  }

 private:
  const std::vector<float>& w(const std::string& name) const { return model_.tensor(name).values; }

  // y (rows, out) = x (rows, in) W^T + b, W (out, in).
  std::vector<float> linear(const std::vector<float>& x, int rows, const std::string& weight,
                            const std::string& bias) const {
    const auto& shape = model_.tensor(weight).shape;
    const int out = static_cast<int>(shape[0]), in = static_cast<int>(shape[1]);
    std::vector<float> y(static_cast<std::size_t>(rows) * out);
    for (int r = 0; r < rows; ++r) {
      for (int o = 0; o < out; ++o) {
        double sum = bias.empty() ? 0.0 : w(bias)[o];
        for (int i = 0; i < in; ++i) sum += static_cast<double>(x[r * in + i]) * w(weight)[o * in + i];
        y[r * out + o] = static_cast<float>(sum);
      }
    }
    return y;
  }

  static float silu(float x) { return x / (1.0f + std::exp(-x)); }

  std::vector<float> swiglu_mlp(const std::vector<float>& x, int rows, const std::string& prefix) const {
    std::vector<float> gu = linear(x, rows, prefix + ".gate_up", "");
    const int hidden = static_cast<int>(model_.tensor(prefix + ".gate_up").shape[0]) / 2;
    std::vector<float> act(static_cast<std::size_t>(rows) * hidden);
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < hidden; ++j)
        act[r * hidden + j] = silu(gu[r * 2 * hidden + j]) * gu[r * 2 * hidden + hidden + j];
    return linear(act, rows, prefix + ".down", "");
  }

  void add_rmsnorm(std::vector<float>& x, const std::vector<float>& y, int rows, int width) const {
    for (int r = 0; r < rows; ++r) {
      double sq = 0;
      for (int i = 0; i < width; ++i) {
        x[r * width + i] += y[r * width + i];
        sq += static_cast<double>(x[r * width + i]) * x[r * width + i];
      }
      const double scale = 1.0 / std::sqrt(sq / width + c_.norm_eps);
      for (int i = 0; i < width; ++i) x[r * width + i] = static_cast<float>(x[r * width + i] * scale);
    }
  }

  std::vector<float> attention(const std::vector<float>& x, const std::string& prefix) const {
    const int S = c_.positions(), D = c_.hidden_size, H = c_.num_heads, hd = c_.head_dim();
    std::vector<float> qkv = linear(x, S, prefix + ".qkv", "");
    auto rotate = [&](float* v, int p) {
      if (c_.position_encoding != model::PositionEncoding::kRope) return;
      for (int i = 0; i < hd / 2; ++i) {
        const double angle = p * std::pow(static_cast<double>(c_.rope_theta), -2.0 * i / hd);
        const double a = v[i], b = v[i + hd / 2];
        v[i] = static_cast<float>(a * std::cos(angle) - b * std::sin(angle));
        v[i + hd / 2] = static_cast<float>(b * std::cos(angle) + a * std::sin(angle));
      }
    };
    for (int p = 0; p < S; ++p)
      for (int h = 0; h < H; ++h) {
        rotate(&qkv[p * 3 * D + h * hd], p);
        rotate(&qkv[p * 3 * D + D + h * hd], p);
      }
    std::vector<float> out(static_cast<std::size_t>(S) * D, 0.0f);
    for (int h = 0; h < H; ++h)
      for (int qp = 0; qp < S; ++qp) {
        std::vector<double> score(S);
        double mx = -1e300;
        for (int kp = 0; kp < S; ++kp) {
          double dot = 0;
          for (int i = 0; i < hd; ++i) dot += static_cast<double>(qkv[qp * 3 * D + h * hd + i]) * qkv[kp * 3 * D + D + h * hd + i];
          score[kp] = dot / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, score[kp]);
        }
        double total = 0;
        for (double& v : score) total += (v = std::exp(v - mx));
        for (int i = 0; i < hd; ++i) {
          double acc = 0;
          for (int kp = 0; kp < S; ++kp) acc += score[kp] / total * qkv[kp * 3 * D + 2 * D + h * hd + i];
          out[qp * D + h * hd + i] = static_cast<float>(acc);
        }
      }
    return linear(out, S, prefix + ".out", "");
  }

  void network(const std::string& net, std::vector<float>& x) const {
    const int S = c_.positions(), D = c_.hidden_size;
    for (int i = 0; i < c_.num_layers; ++i) {
      const std::string layer = net + "layers." + std::to_string(i);
      if (c_.mixer == model::Mixer::kMlpT) {
        std::vector<float> xt(x.size());
        for (int p = 0; p < S; ++p)
          for (int d = 0; d < D; ++d) xt[d * S + p] = x[p * D + d];
        std::vector<float> y = swiglu_mlp(xt, D, layer + ".mlp_t");
        dropout(y, i, 0);  // elements numbered in the transposed (D, S) layout
        add_rmsnorm(xt, y, D, S);  // normalised over the sequence axis, as TRM does
        for (int p = 0; p < S; ++p)
          for (int d = 0; d < D; ++d) x[p * D + d] = xt[d * S + p];
      } else {
        std::vector<float> y = attention(x, layer + ".attn");
        dropout(y, i, 0);
        add_rmsnorm(x, y, S, D);
      }
      std::vector<float> y = swiglu_mlp(x, S, layer + ".ffn");
      dropout(y, i, 1);
      add_rmsnorm(x, y, S, D);
    }
  }

  // The four words of group g at draw point `site`: key (seed lo, seed hi), counter
  // ((site << 20) | g, (step << 8) | transition, trajectory, puzzle).
  static r123::Philox4x32::ctr_type sampler_bits(const rng::NoiseKey& key, std::uint32_t site,
                                                 std::uint32_t group) {
    r123::Philox4x32 philox;
    const r123::Philox4x32::key_type k = {{static_cast<std::uint32_t>(key.seed),
                                           static_cast<std::uint32_t>(key.seed >> 32)}};
    const r123::Philox4x32::ctr_type counter = {
        {(site << 20) | group, (key.step << 8) | key.transition, key.trajectory, key.puzzle}};
    return philox(counter, k);
  }
  // Sites: 1 + application * (1 + 2 layers) + slot; slot 0 noise, 1 + 2 layer + s dropout.
  std::uint32_t site(int slot) const {
    return 1 + static_cast<std::uint32_t>(draw_.application * (1 + 2 * c_.num_layers) + slot);
  }

  void inject(std::vector<float>& x) const {
    const int S = c_.positions(), D = c_.hidden_size;
    const std::uint32_t point = site(0);
    for (int p = 0; p < S; ++p) {
      double squares = 0;
      for (int d = 0; d < D; ++d) squares += double(x[p * D + d]) * x[p * D + d];
      const double amplitude = sampler_.noise_scale * (sampler_.relative ? std::sqrt(squares / D) : 1.0);
      for (int d = 0; d < D; ++d) {
        const std::size_t i = static_cast<std::size_t>(p) * D + d;
        const auto bits = sampler_bits(draw_.key, point, static_cast<std::uint32_t>(i / 4));
        const int lane = static_cast<int>(i % 4);
        const r123::float2 pair = lane < 2 ? r123::boxmuller(bits.v[0], bits.v[1])
                                           : r123::boxmuller(bits.v[2], bits.v[3]);
        x[i] = static_cast<float>(x[i] + amplitude * ((lane % 2 == 0) ? pair.x : pair.y));
      }
    }
  }

  void dropout(std::vector<float>& y, int layer, int sublayer) const {
    const Sampler& s = sampler_;
    const bool high = draw_.application == c_.l_cycles;
    if (s.dropout_rate <= 0 || !(high ? s.in_h : s.in_l) || !(sublayer == 0 ? s.mixer : s.ffn)) return;
    if (!s.layers.empty() && std::find(s.layers.begin(), s.layers.end(), layer) == s.layers.end()) return;
    const double threshold = std::floor(s.dropout_rate * 4294967296.0);
    const float keep = static_cast<float>(1.0 / (1.0 - s.dropout_rate));
    const std::uint32_t point = site(1 + 2 * layer + sublayer);
    for (std::size_t i = 0; i < y.size(); ++i) {
      const auto bits = sampler_bits(draw_.key, point, static_cast<std::uint32_t>(i / 4));
      y[i] = bits.v[i % 4] < threshold ? 0.0f : y[i] * keep;
    }
  }

  void noise(std::vector<float>& u, const rng::NoiseKey& key) const {
    const int S = c_.positions();
    std::vector<float> a = linear(u, S, "prior.hidden", "prior.hidden_bias");
    for (float& v : a) v = silu(v);
    std::vector<float> mu = linear(a, S, "prior.mu", "prior.mu_bias");
    std::vector<float> pre = linear(a, S, "prior.sigma", "prior.sigma_bias");
    for (std::size_t i = 0; i < u.size(); ++i) {
      float eps[4];
      rng::normal4(key, static_cast<std::uint32_t>(i / 4), eps);
      const double softplus = pre[i] > 20 ? pre[i] : std::log1p(std::exp(static_cast<double>(pre[i])));
      const double sigma = std::min<double>(c_.noise.sigma_min + softplus, c_.noise.sigma_max);
      u[i] = static_cast<float>(u[i] + mu[i] + sigma * eps[i % 4]);
    }
  }

  const model::Model& model_;
  const model::ModelConfig& c_;
  Sampler sampler_;
  struct Draw {
    rng::NoiseKey key;
    int application = 0;  // 0..K-1: L updates; K: the H update
  };
  mutable Draw draw_;
};

}  // namespace gram::testing
