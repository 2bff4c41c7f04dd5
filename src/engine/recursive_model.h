#pragma once
// The recursive latent model (science.md s2) running on a backend, over a batch of rows.
//
// A row is one trajectory of one puzzle: its state (h, l) and its input embedding e, each
// (P+L, D). The model owns the row slots in backend memory; the runner decides what each slot
// holds. Everything here is written once against backend::Backend, so CPU and CUDA share it.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "engine/sampler.h"
#include "model/verifier.h"
#include "model/weights.h"

namespace gram::engine {

// What the heads say about a row after a supervision step.
struct StepOutput {
  bool wants_halt = false;
  float value = 0.0f;                // sigmoid of the LPRM head (0 without one)
  std::vector<std::int32_t> answer;  // (L) argmax tokens of the puzzle positions
};

// The raw head outputs of one row behind StepOutput, for tests and golden-file comparisons.
struct HeadValues {
  float q_halt = 0.0f;
  float q_continue = 0.0f;
  float value_logit = 0.0f;   // before the sigmoid; 0 without a value head
  std::vector<float> logits;  // (L, V) over the puzzle positions
};

class RecursiveModel {
 public:
  // Uploads the weights and sizes every buffer for `max_rows` slots, once per run. `sampler`
  // adds injected noise or dropout to every trajectory (engine/sampler.h; off by default).
  RecursiveModel(const model::Model& model, backend::Backend& backend, int max_rows,
                 const SamplerSettings& sampler = {});

  // Backend bytes of the row buffers (state, workspace, heads) per row slot: a run's memory
  // estimate multiplies it by the row cap (engine/memory_plan.h).
  static std::uint64_t bytes_per_row(const model::ModelConfig& config);

  const model::ModelConfig& config() const { return config_; }
  const SamplerSettings& sampler() const { return sampler_; }

  // Scores every row with `verifier` (its input checked against this model by
  // model::check_verifier_fits) in place of the model's value head, from the next read_heads on.
  void attach_verifier(const model::Verifier& verifier);
  // A value score is read: the model's value head or an attached verifier.
  bool has_value_source() const { return verifier_ || config_.has_value_head; }
  int max_rows() const { return max_rows_; }

  // Starts slot `slot` on a puzzle: e = embedding of `input` (L tokens), h = h0, l = l0.
  void start_row(int slot, std::span<const std::int32_t> input);
  // Moves slot `from` into slot `to` (keeps the active rows contiguous at the front).
  void move_row(int from, int to);

  // Uploads the noise keys of slots [0, keys.size()) for the next supervision step: `keys[r]`
  // identifies slot r's trajectory and step. Apart from the step, so that a step is device work
  // only (once per step instead of once per transition, and a step could be captured as a CUDA
  // graph, docs/performance.md).
  void load_noise_keys(std::span<const backend::NoiseRow> keys);
  // One supervision step (T transitions of K low-level updates and one high-level update) for
  // slots [0, rows), drawing the noise of the keys last loaded.
  void supervision_step(int rows, std::uint64_t seed);
  // load_noise_keys(keys), then supervision_step(rows, seed).
  void supervision_step(int rows, std::span<const backend::NoiseRow> keys, std::uint64_t seed);
  // Runs the heads on slots [0, rows) and brings their outputs to the host.
  void read_heads(int rows, std::vector<StepOutput>& outputs);
  // Copies slot `slot`'s state to the host, each (P+L, D): for tests and golden files.
  void read_state(int slot, std::vector<float>& h, std::vector<float>& l);
  // Copies slot `slot`'s head outputs as the last read_heads(rows, ...) computed them
  // (slot < rows): for tests and golden files.
  void read_head_values(int slot, HeadValues& values);

 private:
  using Weight = const backend::LinearWeight*;
  struct Layer {
    Weight mixer_in = nullptr;   // mlp_t.gate_up or attn.qkv
    Weight mixer_out = nullptr;  // mlp_t.down or attn.out
    Weight ffn_gate_up = nullptr;
    Weight ffn_down = nullptr;
  };
  using Network = std::vector<Layer>;

  const float* upload(const model::Model& model, const std::string& name);
  // Uploads a (out, in) matrix and prepares it for backend::linear.
  Weight upload_linear(const model::Model& model, const std::string& name,
                       backend::WeightUse use = backend::WeightUse::kLinear);
  Network upload_network(const model::Model& model, const std::string& prefix);
  std::vector<float> embed(std::span<const std::int32_t> input) const;

  // Where in a supervision step a network application runs, for the samplers' draws.
  struct DrawPoint {
    std::uint64_t seed = 0;
    int transition = 0;
    int application = 0;  // 0..K-1: the L updates; K: the H update
  };

  // x (rows, P+L, D) = F(x), in place; with the sampler's dropout where `point` asks for it.
  void apply_network(const Network& network, int rows, float* x, const DrawPoint& point);
  // The mask of the sampler's dropout of slot `slot` (0: mixer, 1: FFN) of `layer`, or none
  // when the sampler does not drop there.
  std::optional<backend::DropoutMask> dropout_mask(int rows, const DrawPoint& point, int layer,
                                                   int slot) const;
  // That mask on a block's branch (backend::BlockDropout), for swiglu_block and mlp_t_block.
  std::optional<backend::BlockDropout> block_dropout(int rows, const DrawPoint& point, int layer,
                                                     int slot) const;
  // That dropout on `rows` rows of `per_row` elements, when the sampler drops there.
  void maybe_dropout(int rows, std::size_t per_row, float* x, const DrawPoint& point, int layer,
                     int slot);
  // The sampler's noise on state x after application `point`, when it adds noise there.
  void maybe_inject_noise(int rows, float* x, const DrawPoint& point);
  // The attached verifier's score logits of rows [0, rows) into `scores` (rows).
  void run_verifier(int rows, float* scores);
  // The constructor's steps: every weight on the device, h0 and l0 broadcast over positions, the
  // RoPE tables, host copies of the embeddings, and the row buffers for `max_rows` rows.
  void upload_weights(const model::Model& model);
  void upload_initial_states(const model::Model& model);
  void upload_rope_tables();
  void keep_embeddings(const model::Model& model);
  void allocate_rows(int max_rows);
  // Its inputs besides h and l, from the last LM head: confidence statistics (then this step's
  // answers become the rows' previous ones) and the one-hot answer.
  void compute_verifier_inputs(int rows);
  // Sets rows first..first+count-1 to "no previous answer" (a verifier's confidence input).
  void forget_previous_tokens(int first, int count);
  void apply_prior_and_noise(int rows, float* u_then_h, std::uint64_t seed, int transition);

  model::ModelConfig config_;
  backend::Backend& backend_;
  SamplerSettings sampler_;
  std::uint32_t dropout_below_ = 0;  // backend::DropoutMask::drop_below of the rate
  float dropout_keep_scale_ = 1.0f;
  int max_rows_;
  std::size_t row_size_;  // (P+L) * D floats

  std::vector<backend::DeviceArray<float>> weights_;  // owns every uploaded tensor
  std::vector<std::unique_ptr<backend::LinearWeight>> linear_weights_;  // prepared from weights_
  Network low_;
  Network high_;  // same layers as low_ when the networks are shared
  const float* init_h_row_ = nullptr;  // (P+L, D) h0 broadcast over positions
  const float* init_l_row_ = nullptr;
  Weight head_lm_ = nullptr;
  Weight head_q_ = nullptr;
  const float* head_q_bias_ = nullptr;
  Weight head_value_ = nullptr;
  const float* head_value_bias_ = nullptr;
  Weight prior_hidden_ = nullptr;
  const float* prior_hidden_bias_ = nullptr;
  Weight prior_mu_ = nullptr;
  const float* prior_mu_bias_ = nullptr;
  Weight prior_sigma_ = nullptr;
  const float* prior_sigma_bias_ = nullptr;
  // An attached verifier (model/verifier.h): its first layer per state, bias, output layer.
  struct VerifierWeights {
    Weight in_h = nullptr;  // (width, I), I = D or (P+L) D
    Weight in_l = nullptr;
    Weight in_confidence = nullptr;  // (width, 6) over backend/confidence_math.h's statistics
    Weight in_answer = nullptr;      // (width, L V) over the one-hot answer
    const float* in_bias = nullptr;
    Weight out = nullptr;   // (1, hidden); null for a linear verifier
    const float* out_bias = nullptr;
    int width = 0;          // hidden, or 1
    bool all_positions = false;
  };
  std::optional<VerifierWeights> verifier_;
  backend::DeviceArray<float> verifier_work_;  // (rows, 2 width)
  // For a verifier that reads "confidence": its statistics (rows, 6), and each row's answer
  // tokens after its previous supervision step (rows * (P+L); kNoPreviousToken before the first).
  backend::DeviceArray<float> confidence_;
  backend::DeviceArray<std::int32_t> previous_tokens_;
  backend::DeviceArray<float> answer_one_hot_;  // (rows, L V), for a verifier reading "answer"
  const float* rope_cos_ = nullptr;  // (P+L, head_dim / 2)
  const float* rope_sin_ = nullptr;

  // Host copies used to build embeddings.
  std::vector<float> token_embedding_;     // (V, D)
  std::vector<float> prefix_embedding_;    // (P, D)
  std::vector<float> position_embedding_;  // (P+L, D), learned positions only

  // Row state: (max_rows, P+L, D) each.
  backend::DeviceArray<float> h_;
  backend::DeviceArray<float> l_;
  backend::DeviceArray<float> e_;
  // Workspace, sized for the largest intermediate of any layer.
  backend::DeviceArray<float> transposed_;  // (rows, D, P+L) for mlp_t
  backend::DeviceArray<float> wide_;        // gate_up or qkv or prior (mu | sigma_pre)
  backend::DeviceArray<float> narrow_;      // activations after SwiGLU / attention / prior hidden
  backend::DeviceArray<float> residual_;    // block outputs before the residual add
  backend::DeviceArray<backend::NoiseRow> row_keys_;
  backend::DeviceArray<float> head_out_;     // (rows, 2) q, (rows, 1) value
  backend::DeviceArray<float> logits_;       // (rows * (P+L), V)
  backend::DeviceArray<std::int32_t> tokens_;  // (rows * (P+L))
  int head_rows_ = 0;  // rows covered by the last read_heads (its layout of head_out_)
  int keys_loaded_ = 0;  // slots covered by the last load_noise_keys
};

}  // namespace gram::engine
