#include "engine/recursive_model.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "backend/confidence_math.h"
#include "backend/sampler_math.h"
#include "rng/sampler_stream.h"
#include "util/error.h"

namespace gram::engine {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Element counts of the row buffers for `rows` slots. Every one is linear in `rows`, which is
// what lets a run's memory estimate (bytes_per_row) choose the row cap.
struct RowBufferSizes {
  std::size_t state = 0;   // h, l, e, transposed, residual: (rows, P+L, D) each
  std::size_t wide = 0;    // gate_up or qkv or prior (mu | sigma_pre)
  std::size_t narrow = 0;  // after SwiGLU / attention / prior hidden
  std::size_t logits = 0;  // (rows * (P+L), V)
  std::size_t tokens = 0;  // (rows * (P+L))
};

RowBufferSizes row_buffer_sizes(const model::ModelConfig& c, std::size_t rows) {
  const std::size_t positions = static_cast<std::size_t>(c.positions());
  const std::size_t hidden = static_cast<std::size_t>(c.hidden_size);
  RowBufferSizes sizes;
  sizes.state = rows * positions * hidden;
  sizes.wide = std::max<std::size_t>(sizes.state * 2 / hidden * c.ffn_hidden, 2 * sizes.state);
  sizes.narrow = std::max<std::size_t>(sizes.state / hidden * c.ffn_hidden, sizes.state);
  if (c.mixer == model::Mixer::kMlpT) {
    sizes.wide = std::max(sizes.wide, rows * hidden * 2 * c.mlp_t_hidden);
    sizes.narrow = std::max(sizes.narrow, rows * hidden * c.mlp_t_hidden);
  } else {
    sizes.wide = std::max(sizes.wide, sizes.state * 3);
  }
  if (c.noise.enabled) {
    sizes.narrow = std::max(sizes.narrow, rows * positions * c.noise.hidden);
  }
  sizes.logits = rows * positions * c.vocab_size;
  sizes.tokens = rows * positions;
  return sizes;
}

// A model the backend's kernels cannot run is refused here, at load, with the model and the
// limit named, rather than by the first attention call of the first step.
void check_backend_limits(const model::Model& model, const backend::Backend& backend) {
  const auto& c = model.config;
  if (c.mixer != model::Mixer::kAttention) return;
  const backend::AttentionLimits limits = backend.attention_limits();
  if (c.head_dim() > limits.max_head_dim) {
    throw Error(model.source + ": head_dim " + std::to_string(c.head_dim()) + " (hidden_size " +
                std::to_string(c.hidden_size) + " / " + std::to_string(c.num_heads) +
                " heads) exceeds the " + backend.name() + " backend's attention limit of " +
                std::to_string(limits.max_head_dim) + "; use more heads or backend=cpu");
  }
  if (c.positions() > limits.max_seq) {
    throw Error(model.source + ": " + std::to_string(c.positions()) +
                " positions (prefix_len + seq_len) exceed the " + backend.name() +
                " backend's attention limit of " + std::to_string(limits.max_seq) +
                "; use backend=cpu");
  }
}

}  // namespace

std::uint64_t RecursiveModel::bytes_per_row(const model::ModelConfig& config) {
  const RowBufferSizes sizes = row_buffer_sizes(config, 1);
  return (5 * sizes.state + sizes.wide + sizes.narrow + sizes.logits + 3) * sizeof(float) +
         sizes.tokens * sizeof(std::int32_t) + sizeof(backend::NoiseRow);
}

RecursiveModel::RecursiveModel(const model::Model& model, backend::Backend& backend, int max_rows,
                               const SamplerSettings& sampler)
    : config_(model.config),
      backend_(backend),
      sampler_(sampler),
      max_rows_(max_rows),
      row_size_(static_cast<std::size_t>(model.config.positions()) * model.config.hidden_size) {
  GRAM_ASSERT(max_rows > 0, "max_rows must be positive");
  check_backend_limits(model, backend_);
  check_sampler(sampler_, model.config, model.source);
  if (sampler_.dropout_active()) {
    dropout_below_ = backend::dropout_threshold(sampler_.dropout_rate);
    dropout_keep_scale_ = static_cast<float>(1.0 / (1.0 - sampler_.dropout_rate));
  }
  upload_weights(model);
  upload_initial_states(model);
  if (config_.position_encoding == model::PositionEncoding::kRope) upload_rope_tables();
  keep_embeddings(model);
  allocate_rows(max_rows);
}

void RecursiveModel::upload_weights(const model::Model& model) {
  const auto& c = config_;
  if (c.shared_networks) {
    low_ = upload_network(model, "net.");
    high_ = low_;
  } else {
    low_ = upload_network(model, "net_l.");
    high_ = upload_network(model, "net_h.");
  }
  head_lm_ = upload_linear(model, "head.lm");
  head_q_ = upload_linear(model, "head.q");
  head_q_bias_ = upload(model, "head.q_bias");
  if (c.has_value_head) {
    head_value_ = upload_linear(model, "head.value");
    head_value_bias_ = upload(model, "head.value_bias");
  }
  if (c.noise.enabled) {
    prior_hidden_ = upload_linear(model, "prior.hidden");
    prior_hidden_bias_ = upload(model, "prior.hidden_bias");
    prior_mu_ = upload_linear(model, "prior.mu");
    prior_mu_bias_ = upload(model, "prior.mu_bias");
    prior_sigma_ = upload_linear(model, "prior.sigma");
    prior_sigma_bias_ = upload(model, "prior.sigma_bias");
  }
}

// h0 and l0 broadcast over positions once, so starting a row is one device copy.
void RecursiveModel::upload_initial_states(const model::Model& model) {
  const int positions = config_.positions();
  const int hidden = config_.hidden_size;
  auto broadcast = [&](const std::string& name) {
    const auto& vector = model.tensor(name).values;  // (D)
    std::vector<float> rows(row_size_);
    for (int position = 0; position < positions; ++position) {
      std::copy(vector.begin(), vector.end(), rows.begin() + position * hidden);
    }
    weights_.emplace_back(backend_, rows.size());
    backend_.copy_to_device(weights_.back().data(), rows.data(), rows.size() * sizeof(float));
    return weights_.back().data();
  };
  init_h_row_ = broadcast("init.h");
  init_l_row_ = broadcast("init.l");
}

// Rotate-half RoPE: channel pair (i, i + head_dim/2) turns by position * theta^(-2i/head_dim).
void RecursiveModel::upload_rope_tables() {
  const auto& c = config_;
  const int positions = c.positions();
  const int half = c.head_dim() / 2;
  std::vector<float> cos_table(static_cast<std::size_t>(positions) * half);
  std::vector<float> sin_table(cos_table.size());
  for (int position = 0; position < positions; ++position) {
    for (int i = 0; i < half; ++i) {
      const double frequency = std::pow(static_cast<double>(c.rope_theta), -2.0 * i / c.head_dim());
      const double angle = position * frequency;
      cos_table[position * half + i] = static_cast<float>(std::cos(angle));
      sin_table[position * half + i] = static_cast<float>(std::sin(angle));
    }
  }
  for (auto* table : {&cos_table, &sin_table}) {
    weights_.emplace_back(backend_, table->size());
    backend_.copy_to_device(weights_.back().data(), table->data(), table->size() * sizeof(float));
  }
  rope_cos_ = weights_[weights_.size() - 2].data();
  rope_sin_ = weights_.back().data();
}

// Host copies the embeddings are built from (embed).
void RecursiveModel::keep_embeddings(const model::Model& model) {
  const auto& c = config_;
  token_embedding_ = model.tensor("embed.tokens").values;
  if (c.prefix_len > 0) prefix_embedding_ = model.tensor("embed.prefix").values;
  if (c.position_encoding == model::PositionEncoding::kLearned) {
    position_embedding_ = model.tensor("embed.position").values;
  }
}

void RecursiveModel::allocate_rows(int max_rows) {
  const auto& c = config_;
  // Sized by row_buffer_sizes, which bytes_per_row also reads: the memory estimate and the
  // allocations cannot drift apart.
  const std::size_t rows = static_cast<std::size_t>(max_rows);
  const RowBufferSizes sizes = row_buffer_sizes(c, rows);
  h_ = backend::DeviceArray<float>(backend_, sizes.state);
  l_ = backend::DeviceArray<float>(backend_, sizes.state);
  e_ = backend::DeviceArray<float>(backend_, sizes.state);
  transposed_ = backend::DeviceArray<float>(backend_, sizes.state);
  residual_ = backend::DeviceArray<float>(backend_, sizes.state);
  wide_ = backend::DeviceArray<float>(backend_, sizes.wide);
  narrow_ = backend::DeviceArray<float>(backend_, sizes.narrow);
  row_keys_ = backend::DeviceArray<backend::NoiseRow>(backend_, rows);
  head_out_ = backend::DeviceArray<float>(backend_, rows * 3);
  logits_ = backend::DeviceArray<float>(backend_, sizes.logits);
  tokens_ = backend::DeviceArray<std::int32_t>(backend_, sizes.tokens);
}

const float* RecursiveModel::upload(const model::Model& model, const std::string& name) {
  const auto& tensor = model.tensor(name);
  weights_.emplace_back(backend_, tensor.values.size());
  backend_.copy_to_device(weights_.back().data(), tensor.values.data(),
                          tensor.values.size() * sizeof(float));
  return weights_.back().data();
}

RecursiveModel::Weight RecursiveModel::upload_linear(const model::Model& model,
                                                     const std::string& name,
                                                     backend::WeightUse use) {
  const auto& shape = model.tensor(name).shape;
  GRAM_ASSERT(shape.size() == 2, "a linear weight is a matrix");
  const float* uploaded = upload(model, name);
  linear_weights_.push_back(backend_.prepare_linear(uploaded, static_cast<int>(shape[0]),
                                                    static_cast<int>(shape[1]), use));
  return linear_weights_.back().get();
}

RecursiveModel::Network RecursiveModel::upload_network(const model::Model& model,
                                                       const std::string& prefix) {
  Network network(config_.num_layers);
  for (int index = 0; index < config_.num_layers; ++index) {
    const std::string layer = prefix + "layers." + std::to_string(index) + ".";
    if (config_.mixer == model::Mixer::kMlpT) {
      network[index].mixer_in =
          upload_linear(model, layer + "mlp_t.gate_up", backend::WeightUse::kMlpTGateUp);
      network[index].mixer_out =
          upload_linear(model, layer + "mlp_t.down", backend::WeightUse::kMlpTDown);
    } else {
      network[index].mixer_in = upload_linear(model, layer + "attn.qkv");
      network[index].mixer_out = upload_linear(model, layer + "attn.out");
    }
    network[index].ffn_gate_up =
        upload_linear(model, layer + "ffn.gate_up", backend::WeightUse::kSwiGLUGateUp);
    network[index].ffn_down =
        upload_linear(model, layer + "ffn.down", backend::WeightUse::kSwiGLUDown);
  }
  return network;
}

std::vector<float> RecursiveModel::embed(std::span<const std::int32_t> input) const {
  const auto& c = config_;
  GRAM_ASSERT(static_cast<int>(input.size()) == c.seq_len, "puzzle length differs from the model's");
  const int hidden = c.hidden_size;
  std::vector<float> embedding(row_size_);  // (P+L, D)
  std::copy(prefix_embedding_.begin(), prefix_embedding_.end(), embedding.begin());
  for (int position = 0; position < c.seq_len; ++position) {
    const int token = input[position];
    GRAM_ASSERT(token >= 0 && token < c.vocab_size, "token outside the model's vocabulary");
    std::copy_n(token_embedding_.begin() + static_cast<std::size_t>(token) * hidden, hidden,
                embedding.begin() + static_cast<std::size_t>(c.prefix_len + position) * hidden);
  }
  float scale = std::sqrt(static_cast<float>(hidden));
  if (!position_embedding_.empty()) {
    // TRM's learned positions: 1/sqrt(2) keeps the variance of the sum equal to one term's.
    for (std::size_t i = 0; i < embedding.size(); ++i) {
      embedding[i] = 0.707106781f * (embedding[i] + position_embedding_[i]);
    }
  }
  for (float& value : embedding) value *= scale;
  return embedding;
}

void RecursiveModel::start_row(int slot, std::span<const std::int32_t> input) {
  GRAM_ASSERT(slot >= 0 && slot < max_rows_, "slot out of range");
  const std::vector<float> embedding = embed(input);
  const std::size_t offset = static_cast<std::size_t>(slot) * row_size_;
  const std::size_t bytes = row_size_ * sizeof(float);
  backend_.copy_to_device(e_.data() + offset, embedding.data(), bytes);
  backend_.copy_on_device(h_.data() + offset, init_h_row_, bytes);
  backend_.copy_on_device(l_.data() + offset, init_l_row_, bytes);
  if (verifier_ && verifier_->in_confidence) forget_previous_tokens(slot, 1);
}

void RecursiveModel::forget_previous_tokens(int first, int count) {
  const std::size_t positions = static_cast<std::size_t>(config_.positions());
  const std::vector<std::int32_t> none(positions * count, backend::kNoPreviousToken);
  backend_.copy_to_device(previous_tokens_.data() + static_cast<std::size_t>(first) * positions, none.data(),
                          none.size() * sizeof(std::int32_t));
}

void RecursiveModel::move_row(int from, int to) {
  GRAM_ASSERT(from >= 0 && from < max_rows_ && to >= 0 && to < max_rows_, "slot out of range");
  if (from == to) return;
  const std::size_t bytes = row_size_ * sizeof(float);
  for (auto* array : {&h_, &l_, &e_}) {
    backend_.copy_on_device(array->data() + static_cast<std::size_t>(to) * row_size_,
                            array->data() + static_cast<std::size_t>(from) * row_size_, bytes);
  }
  if (verifier_ && verifier_->in_confidence) {
    const std::size_t positions = static_cast<std::size_t>(config_.positions());
    backend_.copy_on_device(previous_tokens_.data() + static_cast<std::size_t>(to) * positions,
                            previous_tokens_.data() + static_cast<std::size_t>(from) * positions,
                            positions * sizeof(std::int32_t));
  }
}

void RecursiveModel::read_state(int slot, std::vector<float>& h, std::vector<float>& l) {
  GRAM_ASSERT(slot >= 0 && slot < max_rows_, "slot out of range");
  h.resize(row_size_);
  l.resize(row_size_);
  const std::size_t offset = static_cast<std::size_t>(slot) * row_size_;
  backend_.copy_to_host(h.data(), h_.data() + offset, row_size_ * sizeof(float));
  backend_.copy_to_host(l.data(), l_.data() + offset, row_size_ * sizeof(float));
}

void RecursiveModel::apply_network(const Network& network, int rows, float* x,
                                   const DrawPoint& point) {
  const auto& c = config_;
  const int positions = c.positions();
  const int hidden = c.hidden_size;
  const int tokens = rows * positions;
  // For backends that run the blocks as separate operations (backend.h).
  backend::BlockWorkspace workspace;
  workspace.wide = wide_.data();
  workspace.narrow = narrow_.data();
  workspace.residual = residual_.data();
  workspace.transposed = transposed_.data();
  const std::size_t per_row = row_size_;  // a row's mixer or FFN output, in either layout
  for (int index = 0; index < static_cast<int>(network.size()); ++index) {
    const Layer& layer = network[index];
    if (c.mixer == model::Mixer::kMlpT) {
      // Mixing along the sequence axis: SwiGLU over positions, normalised over positions.
      const auto dropout = block_dropout(rows, point, index, 0);
      backend_.mlp_t_block(rows, positions, hidden, x, *layer.mixer_in, *layer.mixer_out,
                           c.norm_eps, workspace,
                           dropout ? &*dropout : nullptr);               // (rows, P+L, D)
    } else {
      backend_.linear(tokens, x, hidden, *layer.mixer_in, nullptr,
                      wide_.data());                                     // (rows*(P+L), 3D)
      backend_.attention(rows, positions, c.num_heads, c.head_dim(), wide_.data(), rope_cos_,
                         rope_sin_, narrow_.data());                     // (rows*(P+L), D)
      backend_.linear(tokens, narrow_.data(), hidden, *layer.mixer_out, nullptr,
                      residual_.data());                                 // (rows*(P+L), D)
      maybe_dropout(rows, per_row, residual_.data(), point, index, 0);
      backend_.add_rmsnorm(tokens, hidden, x, residual_.data(), c.norm_eps);
    }
    const auto dropout = block_dropout(rows, point, index, 1);
    backend_.swiglu_block(tokens, x, *layer.ffn_gate_up, *layer.ffn_down, c.norm_eps, workspace,
                          dropout ? &*dropout : nullptr);                // (rows*(P+L), D)
  }
}

std::optional<backend::DropoutMask> RecursiveModel::dropout_mask(int rows, const DrawPoint& point,
                                                                 int layer, int slot) const {
  const SamplerSettings& s = sampler_;
  const bool high = point.application == config_.l_cycles;
  if (!s.dropout_active() || !(high ? s.dropout_in_h : s.dropout_in_l) ||
      !(slot == 0 ? s.dropout_mixer : s.dropout_ffn) || !s.drops_layer(layer)) {
    return std::nullopt;
  }
  GRAM_ASSERT(keys_loaded_ >= rows, "one noise key per row (load_noise_keys)");
  backend::DropoutMask mask;
  mask.draw = {point.seed, static_cast<std::uint32_t>(point.transition),
               rng::sampler_site(point.application, 1 + 2 * layer + slot, config_.num_layers)};
  mask.drop_below = dropout_below_;
  mask.keep_scale = dropout_keep_scale_;
  return mask;
}

std::optional<backend::BlockDropout> RecursiveModel::block_dropout(int rows,
                                                                   const DrawPoint& point,
                                                                   int layer, int slot) const {
  const auto mask = dropout_mask(rows, point, layer, slot);
  if (!mask) return std::nullopt;
  return backend::BlockDropout{row_keys_.data(), row_size_, *mask};
}

void RecursiveModel::maybe_dropout(int rows, std::size_t per_row, float* x,
                                   const DrawPoint& point, int layer, int slot) {
  if (const auto mask = dropout_mask(rows, point, layer, slot)) {
    backend_.dropout(rows, per_row, x, row_keys_.data(), *mask);
  }
}

void RecursiveModel::maybe_inject_noise(int rows, float* x, const DrawPoint& point) {
  const SamplerSettings& s = sampler_;
  const bool high = point.application == config_.l_cycles;
  if (!s.noise_active() || !(high ? s.noise_after_h : s.noise_after_l)) return;
  GRAM_ASSERT(keys_loaded_ >= rows, "one noise key per row (load_noise_keys)");
  backend::InjectedNoise noise;
  noise.draw = {point.seed, static_cast<std::uint32_t>(point.transition),
                rng::sampler_site(point.application, 0, config_.num_layers)};
  noise.scale = static_cast<float>(s.noise_scale);
  noise.relative = s.noise_relative;
  backend_.inject_noise(rows, config_.positions(), config_.hidden_size, x, row_keys_.data(), noise);
}

void RecursiveModel::apply_prior_and_noise(int rows, float* u_then_h, std::uint64_t seed,
                                           int transition) {
  const auto& c = config_;
  const int tokens = rows * c.positions();
  const int hidden = c.hidden_size;
  float* activation = narrow_.data();                       // (rows*(P+L), H)
  float* mu = wide_.data();                                 // (rows*(P+L), D)
  float* sigma_pre = wide_.data() + static_cast<std::size_t>(tokens) * hidden;  // (rows*(P+L), D)
  backend_.linear(tokens, u_then_h, hidden, *prior_hidden_, prior_hidden_bias_, activation);
  backend_.silu(static_cast<std::size_t>(tokens) * c.noise.hidden, activation);
  backend_.linear(tokens, activation, c.noise.hidden, *prior_mu_, prior_mu_bias_, mu);
  backend_.linear(tokens, activation, c.noise.hidden, *prior_sigma_, prior_sigma_bias_, sigma_pre);
  GRAM_ASSERT(keys_loaded_ >= rows, "one noise key per row (load_noise_keys)");
  backend::NoiseParams params;
  params.seed = seed;
  params.transition = static_cast<std::uint32_t>(transition);
  params.sigma_min = c.noise.sigma_min;
  params.sigma_max = c.noise.sigma_max;
  backend_.noise_step(rows, c.positions(), hidden, u_then_h, mu, sigma_pre, row_keys_.data(),
                      params);
}

void RecursiveModel::load_noise_keys(std::span<const backend::NoiseRow> keys) {
  GRAM_ASSERT(keys.size() <= static_cast<std::size_t>(max_rows_), "more noise keys than rows");
  keys_loaded_ = static_cast<int>(keys.size());
  if ((!config_.noise.enabled && !sampler_.active()) || keys.empty()) return;
  backend_.copy_to_device(row_keys_.data(), keys.data(), sizeof(backend::NoiseRow) * keys.size());
}

void RecursiveModel::supervision_step(int rows, std::span<const backend::NoiseRow> keys,
                                      std::uint64_t seed) {
  GRAM_ASSERT(static_cast<int>(keys.size()) >= rows, "one noise key per row");
  load_noise_keys(keys.first(rows));
  supervision_step(rows, seed);
}

void RecursiveModel::supervision_step(int rows, std::uint64_t seed) {
  GRAM_ASSERT(rows > 0 && rows <= max_rows_, "row count out of range");
  const auto& c = config_;
  const std::size_t count = static_cast<std::size_t>(rows) * row_size_;
  float* h = h_.data();
  float* l = l_.data();
  for (int transition = 0; transition < c.h_cycles; ++transition) {
    for (int cycle = 0; cycle < c.l_cycles; ++cycle) {
      const DrawPoint point{seed, transition, cycle};
      backend_.add(count, l, h, e_.data(), l);  // l = F_L(l + h + e)
      apply_network(low_, rows, l, point);
      maybe_inject_noise(rows, l, point);
    }
    const DrawPoint point{seed, transition, c.l_cycles};
    backend_.add(count, h, l, nullptr, h);      // u = F_H(h + l)
    apply_network(high_, rows, h, point);
    if (c.noise.enabled) {
      apply_prior_and_noise(rows, h, seed, transition);  // h = u + mu + sigma * eps
    }
    maybe_inject_noise(rows, h, point);         // after GRAM's own noise
  }
}

void RecursiveModel::attach_verifier(const model::Verifier& verifier) {
  const model::VerifierConfig& v = verifier.config;
  GRAM_ASSERT(v.model_hidden_size == config_.hidden_size &&
                  v.model_positions == config_.positions() &&
                  (!v.reads_answer || v.answer_size() == config_.seq_len * config_.vocab_size),
              "attach_verifier: check_verifier_fits first");
  auto upload_tensor = [&](const std::string& name) {
    const auto& tensor = verifier.tensor(name);
    weights_.emplace_back(backend_, tensor.values.size());
    backend_.copy_to_device(weights_.back().data(), tensor.values.data(),
                            tensor.values.size() * sizeof(float));
    return static_cast<const float*>(weights_.back().data());
  };
  auto upload_matrix = [&](const std::string& name) {
    const auto& shape = verifier.tensor(name).shape;
    const float* uploaded = upload_tensor(name);
    linear_weights_.push_back(backend_.prepare_linear(uploaded, static_cast<int>(shape[0]),
                                                      static_cast<int>(shape[1]),
                                                      backend::WeightUse::kLinear));
    return static_cast<Weight>(linear_weights_.back().get());
  };
  VerifierWeights weights;
  if (v.reads_h) weights.in_h = upload_matrix("verifier.in_h");
  if (v.reads_l) weights.in_l = upload_matrix("verifier.in_l");
  if (v.reads_confidence) weights.in_confidence = upload_matrix("verifier.in_confidence");
  if (v.reads_answer) weights.in_answer = upload_matrix("verifier.in_answer");
  weights.in_bias = upload_tensor("verifier.in_bias");
  if (v.hidden > 0) {
    weights.out = upload_matrix("verifier.out");
    weights.out_bias = upload_tensor("verifier.out_bias");
  }
  weights.width = v.first_layer_width();
  weights.all_positions = v.all_positions;
  verifier_ = weights;
  // A few floats per row beside the state's (P+L) D: left out of bytes_per_row.
  verifier_work_ = backend::DeviceArray<float>(
      backend_, static_cast<std::size_t>(max_rows_) * 2 * static_cast<std::size_t>(weights.width));
  if (v.reads_answer) {
    answer_one_hot_ = backend::DeviceArray<float>(
        backend_, static_cast<std::size_t>(max_rows_) * static_cast<std::size_t>(v.answer_size()));
  }
  if (v.reads_confidence) {
    static_assert(model::kConfidenceInputs == backend::kConfidenceFeatures);
    confidence_ = backend::DeviceArray<float>(
        backend_, static_cast<std::size_t>(max_rows_) * backend::kConfidenceFeatures);
    previous_tokens_ = backend::DeviceArray<std::int32_t>(
        backend_, static_cast<std::size_t>(max_rows_) * config_.positions());
    forget_previous_tokens(0, max_rows_);
  }
}

void RecursiveModel::compute_verifier_inputs(int rows) {
  const VerifierWeights& v = *verifier_;
  const auto& c = config_;
  if (v.in_confidence) {
    backend_.confidence(rows, c.positions(), c.prefix_len, c.vocab_size, logits_.data(),
                        tokens_.data(), previous_tokens_.data(), confidence_.data());
    // This step's answers are the next step's previous ones.
    backend_.copy_on_device(previous_tokens_.data(), tokens_.data(),
                            static_cast<std::size_t>(rows) * c.positions() * sizeof(std::int32_t));
  }
  if (v.in_answer) {
    backend_.one_hot(rows, c.positions(), c.prefix_len, c.vocab_size, tokens_.data(),
                     answer_one_hot_.data());
  }
}

void RecursiveModel::run_verifier(int rows, float* scores) {
  const VerifierWeights& v = *verifier_;
  compute_verifier_inputs(rows);
  float* first = verifier_work_.data();                                  // (rows, width)
  float* second = first + static_cast<std::size_t>(rows) * v.width;      // (rows, width)
  // h and l at position 0 (in = D) or whole (in = (P+L) D), read in place with the state's stride.
  const int state_stride = static_cast<int>(row_size_);
  const int answer_size = config_.seq_len * config_.vocab_size;
  bool started = false;
  for (const auto& [weight, input, input_stride] :
       {std::tuple{v.in_h, h_.data(), state_stride}, std::tuple{v.in_l, l_.data(), state_stride},
        std::tuple{v.in_confidence, confidence_.data(), backend::kConfidenceFeatures},
        std::tuple{v.in_answer, answer_one_hot_.data(), answer_size}}) {
    if (weight == nullptr) continue;
    backend_.linear(rows, input, input_stride, *weight, started ? nullptr : v.in_bias,
                    started ? second : first);
    if (started) backend_.add(static_cast<std::size_t>(rows) * v.width, first, second, nullptr, first);
    started = true;
  }
  if (v.out == nullptr) {
    backend_.copy_on_device(scores, first, static_cast<std::size_t>(rows) * sizeof(float));
    return;
  }
  backend_.silu(static_cast<std::size_t>(rows) * v.width, first);
  backend_.linear(rows, first, v.width, *v.out, v.out_bias, scores);    // (rows, 1)
}

void RecursiveModel::read_heads(int rows, std::vector<StepOutput>& outputs) {
  const auto& c = config_;
  const int positions = c.positions();
  const int hidden = c.hidden_size;
  const int row_stride = positions * hidden;  // position 0 of each row, read in place
  backend_.linear(rows, h_.data(), row_stride, *head_q_, head_q_bias_, head_out_.data());
  // LM head over every position (the prefix rows are cheap and skipping them would need a
  // strided GEMM per row); before the verifier, which may read the answers' confidence.
  backend_.linear(rows * positions, h_.data(), hidden, *head_lm_, nullptr, logits_.data());
  backend_.argmax(rows * positions, c.vocab_size, logits_.data(), tokens_.data());
  if (verifier_) {
    run_verifier(rows, head_out_.data() + 2 * rows);
  } else if (c.has_value_head) {
    backend_.linear(rows, h_.data(), row_stride, *head_value_, head_value_bias_,
                    head_out_.data() + 2 * rows);
  }
  head_rows_ = rows;

  std::vector<float> heads(static_cast<std::size_t>(rows) * 3);
  std::vector<std::int32_t> tokens(static_cast<std::size_t>(rows) * positions);
  backend_.copy_to_host(heads.data(), head_out_.data(), heads.size() * sizeof(float));
  backend_.copy_to_host(tokens.data(), tokens_.data(), tokens.size() * sizeof(std::int32_t));
  outputs.resize(rows);
  for (int row = 0; row < rows; ++row) {
    const float q_halt = heads[2 * row];
    const float q_continue = heads[2 * row + 1];
    StepOutput& output = outputs[row];
    output.wants_halt = c.halt_rule == model::HaltRule::kSigmoid ? q_halt > 0.0f
                                                                 : q_halt > q_continue;
    output.value = has_value_source() ? sigmoid(heads[2 * rows + row]) : 0.0f;
    const auto first = tokens.begin() + static_cast<std::ptrdiff_t>(row) * positions + c.prefix_len;
    output.answer.assign(first, first + c.seq_len);
  }
}

void RecursiveModel::read_head_values(int slot, HeadValues& values) {
  GRAM_ASSERT(slot >= 0 && slot < head_rows_, "slot not covered by the last read_heads");
  const auto& c = config_;
  float heads[3] = {0.0f, 0.0f, 0.0f};
  backend_.copy_to_host(heads, head_out_.data() + 2 * slot, 2 * sizeof(float));
  if (has_value_source()) {
    backend_.copy_to_host(heads + 2, head_out_.data() + 2 * head_rows_ + slot, sizeof(float));
  }
  values.q_halt = heads[0];
  values.q_continue = heads[1];
  values.value_logit = heads[2];
  // Logits are (rows * (P+L), V); the puzzle positions of a row follow its P prefix rows.
  const std::size_t first =
      (static_cast<std::size_t>(slot) * c.positions() + c.prefix_len) * c.vocab_size;
  values.logits.resize(static_cast<std::size_t>(c.seq_len) * c.vocab_size);
  backend_.copy_to_host(values.logits.data(), logits_.data() + first,
                        values.logits.size() * sizeof(float));
}

}  // namespace gram::engine
