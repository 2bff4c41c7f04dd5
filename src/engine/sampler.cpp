#include "engine/sampler.h"

#include <algorithm>
#include <sstream>

#include "rng/sampler_stream.h"
#include "util/error.h"

namespace gram::engine {
namespace {

std::string number_text(double value) {
  std::ostringstream text;
  text.precision(15);
  text << value;
  return text.str();
}

nlohmann::json updates_json(bool h, bool l) {
  nlohmann::json at = nlohmann::json::array();
  if (h) at.push_back("h");
  if (l) at.push_back("l");
  return at;
}

}  // namespace

SamplerSettings make_sampler(double noise_scale, const std::string& noise_mode,
                             const std::vector<std::string>& noise_at, double dropout_rate,
                             const std::vector<std::string>& dropout_at,
                             const std::vector<std::string>& dropout_sites,
                             const std::vector<int>& dropout_layers) {
  auto names = [](const std::vector<std::string>& items, const char* item) {
    return std::find(items.begin(), items.end(), item) != items.end();
  };
  SamplerSettings sampler;
  sampler.noise_scale = noise_scale;
  sampler.noise_relative = noise_mode == "relative";
  sampler.noise_after_h = names(noise_at, "h");
  sampler.noise_after_l = names(noise_at, "l");
  sampler.dropout_rate = dropout_rate;
  sampler.dropout_in_h = names(dropout_at, "h");
  sampler.dropout_in_l = names(dropout_at, "l");
  sampler.dropout_mixer = names(dropout_sites, "mixer");
  sampler.dropout_ffn = names(dropout_sites, "ffn");
  sampler.dropout_layers = dropout_layers;
  return sampler;
}

bool SamplerSettings::drops_layer(int layer) const {
  return dropout_layers.empty() ||
         std::find(dropout_layers.begin(), dropout_layers.end(), layer) != dropout_layers.end();
}

void check_sampler(const SamplerSettings& sampler, const model::ModelConfig& config,
                   const std::string& model_path) {
  if (!sampler.active()) return;
  if (sampler.dropout_rate >= 1.0 || sampler.dropout_rate < 0.0 || sampler.noise_scale < 0.0) {
    throw Error("sampler: dropout_rate must lie in [0, 1) and noise_scale be >= 0");
  }
  for (int layer : sampler.dropout_layers) {
    if (layer < 0 || layer >= config.num_layers) {
      throw Error("dropout_layers: " + model_path + " has layers 0.." +
                  std::to_string(config.num_layers - 1) + ", not layer " + std::to_string(layer));
    }
  }
  const std::size_t per_row =
      static_cast<std::size_t>(config.positions()) * static_cast<std::size_t>(config.hidden_size);
  if (per_row > rng::kSamplerMaxRowElements) {
    throw Error(model_path + ": a trajectory's state holds " + std::to_string(per_row) +
                " elements, more than the samplers' 2^22 (their Philox counter layout)");
  }
  // The last draw point of a transition: the H update's last layer's FFN dropout.
  const std::uint64_t last_site = 1 + static_cast<std::uint64_t>(config.l_cycles) *
                                          (1 + 2 * static_cast<std::uint64_t>(config.num_layers)) +
                                  2 * static_cast<std::uint64_t>(config.num_layers);
  if (last_site > rng::kSamplerMaxSite) {
    throw Error(model_path + ": " + std::to_string(last_site) +
                " sampler draw points per transition (l_cycles + 1 updates x (1 + 2 num_layers)) "
                "exceed the samplers' 4095");
  }
}

std::string sampler_label(const SamplerSettings& sampler) {
  std::string label;
  if (sampler.noise_active()) {
    label.append("noise").append(number_text(sampler.noise_scale));
    if (sampler.noise_relative) label.append("-relative");
  }
  if (sampler.dropout_active()) {
    if (!label.empty()) label.append("+");
    label.append("dropout").append(number_text(sampler.dropout_rate));
  }
  return label.empty() ? "none" : label;
}

nlohmann::json sampler_json(const SamplerSettings& sampler) {
  nlohmann::json json = {{"label", sampler_label(sampler)}, {"noise", nullptr},
                         {"dropout", nullptr}};
  if (sampler.noise_active()) {
    json["noise"] = {{"scale", sampler.noise_scale},
                     {"mode", sampler.noise_relative ? "relative" : "absolute"},
                     {"at", updates_json(sampler.noise_after_h, sampler.noise_after_l)}};
  }
  if (sampler.dropout_active()) {
    nlohmann::json sites = nlohmann::json::array();
    if (sampler.dropout_mixer) sites.push_back("mixer");
    if (sampler.dropout_ffn) sites.push_back("ffn");
    json["dropout"] = {{"rate", sampler.dropout_rate},
                       {"at", updates_json(sampler.dropout_in_h, sampler.dropout_in_l)},
                       {"sites", sites},
                       {"layers", sampler.dropout_layers.empty()
                                      ? nlohmann::json("all")
                                      : nlohmann::json(sampler.dropout_layers)}};
  }
  return json;
}

}  // namespace gram::engine
