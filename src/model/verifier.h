#pragma once
// A verifier for a frozen checkpoint: a small network trained (tools/train_verifier.py) on the
// latent states of the model's sampled trajectories, saved as its own safetensors file and
// attached at run time, where its score replaces the model's value head (best-of-n, weighted
// vote, the verifier stopping rule, the searches). docs/model-format.md, "Verifier files", is
// the format; every load error is one line naming the file and the field or tensor, and a
// verifier whose input does not fit the model names both files.
//
//   z     = sum over the inputs s it reads of W_s x_s + b        x_s: h or l, position 0 (D) or
//                                                                the whole state (P+L times D);
//                                                                or "confidence", the 6 statistics
//                                                                of backend/confidence_math.h; or
//                                                                "answer", the answer tokens one-hot
//                                                                (L times V)
//   score = W_out silu(z) + b_out      (hidden > 0)    or    z   (hidden = 0: a linear score)
//   value = sigmoid(score)
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model_config.h"
#include "model/weights.h"

namespace gram::model {

// Inputs of "confidence": the statistics of backend/confidence_math.h (the engine checks that
// the two counts agree; the model layer does not include the backend's).
inline constexpr int kConfidenceInputs = 6;

struct VerifierConfig {
  int format_version = 1;
  bool reads_h = true;           // states: "h"
  bool reads_l = false;          // states: "l"
  bool reads_confidence = false; // states: "confidence" (backend/confidence_math.h)
  bool reads_answer = false;     // states: "answer" (one-hot answer tokens, L x V)
  bool all_positions = false;    // positions: "all" (the whole state) or "first" (position 0)
  int hidden = 0;                // width of the hidden layer; 0: a linear score
  // What the input must fit: the model's hidden_size and P + L, and its task when given.
  int model_hidden_size = 0;
  int model_positions = 0;
  std::string model_task;        // "" when not recorded
  int model_seq_len = 0;         // L and V, recorded (and required) when it reads "answer"
  int model_vocab_size = 0;
  nlohmann::json model_record = nlohmann::json::object();  // the whole "model" object as read
  std::string objective;         // how it was trained ("contrastive", "regression"; free text)
  nlohmann::json training = nlohmann::json::object();  // its training record (free form)

  // Features per state h or l: hidden_size (first) or positions x hidden_size (all).
  std::int64_t input_size() const;
  // Features of "answer": one-hot answer tokens, L x V.
  std::int64_t answer_size() const {
    return static_cast<std::int64_t>(model_seq_len) * model_vocab_size;
  }
  // The h and l states it reads (0, 1 or 2).
  int latent_states() const { return (reads_h ? 1 : 0) + (reads_l ? 1 : 0); }
  int first_layer_width() const { return hidden > 0 ? hidden : 1; }

  // Throws gram::Error naming the field: unknown keys, wrong types, impossible values.
  static VerifierConfig from_json(const nlohmann::json& json);
  nlohmann::json to_json() const;
};

struct Verifier {
  VerifierConfig config;
  std::map<std::string, HostTensor> tensors;
  std::string source;  // its file, for messages

  const HostTensor& tensor(const std::string& name) const;
};

// Every tensor the config requires, in a stable order (verifier.in_h, verifier.in_l,
// verifier.in_confidence, verifier.in_answer, verifier.in_bias, verifier.out, verifier.out_bias).
std::vector<TensorSpec> verifier_tensors(const VerifierConfig& config);

// Loads and checks `path`: container, "gram_verifier" metadata, the exact tensor set, shapes and
// finite values.
Verifier load_verifier(const std::string& path);
void save_verifier(const std::string& path, const Verifier& verifier);

// Refuses a verifier whose input does not fit `model` (hidden size, positions, task), with one
// line naming both files.
void check_verifier_fits(const Verifier& verifier, const Model& model);

// "" when the verifier records no model fingerprint (its "model.fnv1a64", FNV-1a 64 of the
// model file's bytes) or `model_path` matches it; else one line saying that the model file is
// not the one the verifier was trained on. A warning, not an error: the shapes fit.
std::string verifier_model_mismatch(const Verifier& verifier, const std::string& model_path);

// FLOPs of the verifier per trajectory and supervision step (its products, 2 m n k).
double verifier_flops(const VerifierConfig& config);
// `counts` with the verifier scoring every step in place of the model's value head.
FlopCounts with_verifier(FlopCounts counts, const ModelConfig& model, const VerifierConfig& config);

// A seeded random verifier for `model` (tests, demos): weights N(0, 1/in), biases 0.
Verifier random_verifier(const ModelConfig& model, const VerifierConfig& shape, std::uint64_t seed);

}  // namespace gram::model
