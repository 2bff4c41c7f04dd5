// ModelConfig as JSON: a table of fields drives parsing, so every key has one spelling, one type
// check and one error wording; to_json writes the same keys back.
#include "model/model_config.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace gram::model {
namespace {

using json = nlohmann::json;

// See validate(): a cap on blocks per network, far above any published model.
constexpr int kMaxLayers = 1024;

[[noreturn]] void fail(const std::string& message) { throw Error("model config: " + message); }

// One accepted key: its full name (for messages), whether it must be present, and how to read it.
struct Field {
  std::string name;
  bool required = false;
  std::function<void(const json&, ModelConfig&)> read;
};

std::string got(const json& value) { return std::string(", got ") + value.type_name(); }

template <typename Target>
Field int_field(const std::string& name, Target target, bool required = false) {
  return {name, required, [name, target](const json& value, ModelConfig& config) {
            if (!value.is_number_integer()) fail("'" + name + "' must be an integer" + got(value));
            bool fits = value.is_number_unsigned()
                            ? value.get<std::uint64_t>() <=
                                  static_cast<std::uint64_t>(std::numeric_limits<int>::max())
                            : value.get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                                  value.get<std::int64_t>() <= std::numeric_limits<int>::max();
            if (!fits) fail("'" + name + "' is " + value.dump() + ", outside the 32-bit integer range");
            target(config) = static_cast<int>(value.get<std::int64_t>());
          }};
}

template <typename Target>
Field float_field(const std::string& name, Target target) {
  return {name, false, [name, target](const json& value, ModelConfig& config) {
            if (!value.is_number()) fail("'" + name + "' must be a number" + got(value));
            double number = value.get<double>();
            if (!std::isfinite(number) || std::fabs(number) > std::numeric_limits<float>::max()) {
              fail("'" + name + "' is " + value.dump() + ", outside the 32-bit float range");
            }
            target(config) = static_cast<float>(number);
          }};
}

template <typename Target>
Field bool_field(const std::string& name, Target target) {
  return {name, false, [name, target](const json& value, ModelConfig& config) {
            if (!value.is_boolean()) fail("'" + name + "' must be a boolean" + got(value));
            target(config) = value.get<bool>();
          }};
}

// An enum written as one of a few strings; `names[i]` is the spelling of enum value i.
template <typename Enum, typename Target>
Field enum_field(const std::string& name, std::vector<std::string> names, Target target,
                 bool required = false) {
  return {name, required, [name, names, target](const json& value, ModelConfig& config) {
            std::string choices;
            for (const auto& choice : names) choices += (choices.empty() ? "\"" : ", \"") + choice + "\"";
            if (!value.is_string()) fail("'" + name + "' must be a string (" + choices + ")" + got(value));
            for (std::size_t i = 0; i < names.size(); ++i) {
              if (value.get<std::string>() == names[i]) {
                target(config) = static_cast<Enum>(i);
                return;
              }
            }
            fail("'" + name + "' must be one of " + choices + ", got " + value.dump());
          }};
}

const std::vector<std::string> kMixerNames = {"mlp_t", "attention"};
const std::vector<std::string> kPositionNames = {"none", "rope", "learned"};
const std::vector<std::string> kHaltNames = {"sigmoid", "compare"};

void read_object(const json& object, const std::vector<Field>& fields, const std::string& prefix,
                 ModelConfig& config) {
  for (const auto& [key, value] : object.items()) {
    const Field* field = nullptr;
    for (const auto& candidate : fields) {
      if (candidate.name == prefix + key) field = &candidate;
    }
    if (field == nullptr) fail("unknown key '" + prefix + key + "'");
    field->read(value, config);
  }
  for (const auto& field : fields) {
    if (field.required && !object.contains(field.name.substr(prefix.size()))) {
      fail("missing required key '" + field.name + "'");
    }
  }
}

const std::vector<Field>& noise_fields() {
  static const std::vector<Field> fields = {
      bool_field("noise.enabled", [](ModelConfig& c) -> bool& { return c.noise.enabled; }),
      int_field("noise.hidden", [](ModelConfig& c) -> int& { return c.noise.hidden; }),
      float_field("noise.sigma_min", [](ModelConfig& c) -> float& { return c.noise.sigma_min; }),
      float_field("noise.sigma_max", [](ModelConfig& c) -> float& { return c.noise.sigma_max; }),
  };
  return fields;
}

const std::vector<Field>& config_fields() {
#define GRAM_MEMBER(member) [](ModelConfig& c) -> decltype(c.member)& { return c.member; }
  static const std::vector<Field> fields = {
      int_field("format_version", GRAM_MEMBER(format_version)),
      {"task", true,
       [](const json& value, ModelConfig& config) {
         if (!value.is_string()) fail("'task' must be a string" + got(value));
         config.task = value.get<std::string>();
       }},
      int_field("vocab_size", GRAM_MEMBER(vocab_size), true),
      int_field("seq_len", GRAM_MEMBER(seq_len), true),
      int_field("prefix_len", GRAM_MEMBER(prefix_len)),
      int_field("hidden_size", GRAM_MEMBER(hidden_size), true),
      int_field("num_layers", GRAM_MEMBER(num_layers), true),
      int_field("num_heads", GRAM_MEMBER(num_heads)),
      enum_field<Mixer>("mixer", kMixerNames, GRAM_MEMBER(mixer), true),
      enum_field<PositionEncoding>("position_encoding", kPositionNames,
                                   GRAM_MEMBER(position_encoding)),
      float_field("rope_theta", GRAM_MEMBER(rope_theta)),
      int_field("ffn_hidden", GRAM_MEMBER(ffn_hidden), true),
      int_field("mlp_t_hidden", GRAM_MEMBER(mlp_t_hidden)),
      int_field("l_cycles", GRAM_MEMBER(l_cycles), true),
      int_field("h_cycles", GRAM_MEMBER(h_cycles), true),
      int_field("max_steps", GRAM_MEMBER(max_steps), true),
      bool_field("shared_networks", GRAM_MEMBER(shared_networks)),
      float_field("norm_eps", GRAM_MEMBER(norm_eps)),
      {"noise", false,
       [](const json& value, ModelConfig& config) {
         if (!value.is_object()) fail("'noise' must be an object" + got(value));
         read_object(value, noise_fields(), "noise.", config);
       }},
      enum_field<HaltRule>("halt_rule", kHaltNames, GRAM_MEMBER(halt_rule)),
      bool_field("has_value_head", GRAM_MEMBER(has_value_head)),
  };
#undef GRAM_MEMBER
  return fields;
}

// The float as the shortest decimal that reads back to the same float, so the stored JSON says
// 1e-05 rather than 9.999999747378752e-06. If the double nearest that decimal would not round
// back to the float (double rounding), the exact widened value is written instead.
double float_for_json(float value) {
  char text[32];
  auto result = std::to_chars(text, text + sizeof(text) - 1, value);
  *result.ptr = '\0';
  double shortest = std::strtod(text, nullptr);
  return static_cast<float>(shortest) == value ? shortest : static_cast<double>(value);
}

void require_positive(const char* name, int value) {
  if (value <= 0) fail(std::string(name) + " must be positive, got " + std::to_string(value));
}

}  // namespace

ModelConfig ModelConfig::from_json(const json& json_config) {
  if (!json_config.is_object()) fail("must be a JSON object" + got(json_config));
  ModelConfig config;
  read_object(json_config, config_fields(), "", config);
  return config;
}

json ModelConfig::to_json() const {
  return json{
      {"format_version", format_version},
      {"task", task},
      {"vocab_size", vocab_size},
      {"seq_len", seq_len},
      {"prefix_len", prefix_len},
      {"hidden_size", hidden_size},
      {"num_layers", num_layers},
      {"num_heads", num_heads},
      {"mixer", kMixerNames.at(static_cast<std::size_t>(mixer))},
      {"position_encoding", kPositionNames.at(static_cast<std::size_t>(position_encoding))},
      {"rope_theta", float_for_json(rope_theta)},
      {"ffn_hidden", ffn_hidden},
      {"mlp_t_hidden", mlp_t_hidden},
      {"l_cycles", l_cycles},
      {"h_cycles", h_cycles},
      {"max_steps", max_steps},
      {"shared_networks", shared_networks},
      {"norm_eps", float_for_json(norm_eps)},
      {"noise",
       {{"enabled", noise.enabled},
        {"hidden", noise.hidden},
        {"sigma_min", float_for_json(noise.sigma_min)},
        {"sigma_max", float_for_json(noise.sigma_max)}}},
      {"halt_rule", kHaltNames.at(static_cast<std::size_t>(halt_rule))},
      {"has_value_head", has_value_head},
  };
}

void ModelConfig::validate() const {
  if (format_version != 1) {
    fail("format_version " + std::to_string(format_version) + " is not supported (expected 1)");
  }
  if (task.empty()) fail("task must not be empty");
  if (vocab_size < 2) fail("vocab_size must be at least 2, got " + std::to_string(vocab_size));
  require_positive("seq_len", seq_len);
  if (prefix_len < 0) fail("prefix_len must be >= 0, got " + std::to_string(prefix_len));
  if (static_cast<std::int64_t>(prefix_len) + seq_len > std::numeric_limits<int>::max()) {
    fail("prefix_len + seq_len overflows a 32-bit integer");
  }
  require_positive("hidden_size", hidden_size);
  require_positive("num_layers", num_layers);
  // No model of this family has more than a handful of blocks; the cap keeps a corrupt config
  // from asking for billions of tensor entries before any tensor is compared.
  if (num_layers > kMaxLayers) {
    fail("num_layers " + std::to_string(num_layers) + " exceeds the limit of " +
         std::to_string(kMaxLayers));
  }
  require_positive("ffn_hidden", ffn_hidden);
  require_positive("l_cycles", l_cycles);
  require_positive("h_cycles", h_cycles);
  require_positive("max_steps", max_steps);
  if (num_heads < 0) fail("num_heads must be >= 0, got " + std::to_string(num_heads));
  if (mlp_t_hidden < 0) fail("mlp_t_hidden must be >= 0, got " + std::to_string(mlp_t_hidden));
  if (mixer == Mixer::kAttention) {
    if (num_heads <= 0) fail("the attention mixer needs num_heads > 0");
    if (hidden_size % num_heads != 0) {
      fail("hidden_size " + std::to_string(hidden_size) + " is not divisible by num_heads " +
           std::to_string(num_heads));
    }
  } else {
    if (mlp_t_hidden <= 0) fail("the mlp_t mixer needs mlp_t_hidden > 0");
  }
  if (position_encoding == PositionEncoding::kRope) {
    if (mixer != Mixer::kAttention) fail("position_encoding \"rope\" needs the attention mixer");
    if (head_dim() % 2 != 0) {
      fail("position_encoding \"rope\" needs an even head_dim, got " + std::to_string(head_dim()) +
           " (hidden_size / num_heads)");
    }
  }
  if (!(rope_theta > 0) || !std::isfinite(rope_theta)) {
    fail("rope_theta must be positive, got " + std::to_string(rope_theta));
  }
  if (!(norm_eps > 0) || !std::isfinite(norm_eps)) {
    fail("norm_eps must be positive, got " + std::to_string(norm_eps));
  }
  if (noise.hidden < 0) fail("noise.hidden must be >= 0, got " + std::to_string(noise.hidden));
  if (noise.enabled) {
    if (noise.hidden <= 0) fail("noise.enabled needs noise.hidden > 0");
    if (!(noise.sigma_min > 0) || !(noise.sigma_min <= noise.sigma_max) ||
        !std::isfinite(noise.sigma_max)) {
      fail("noise needs 0 < sigma_min <= sigma_max, got sigma_min " +
           std::to_string(noise.sigma_min) + ", sigma_max " + std::to_string(noise.sigma_max));
    }
  }
  count_parameters(*this);  // throws if the total does not fit in 64 bits
}

}  // namespace gram::model
