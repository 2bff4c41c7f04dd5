// The sampler and verifier of a `gram run` (cli/sampling_setup.h).
#include "cli/sampling_setup.h"

namespace gram::cli {

SamplingSetup sampling_setup(const config::RunConfig& run, const model::Model& model) {
  SamplingSetup setup;
  setup.sampler = engine::make_sampler(run.noise_scale, run.noise_mode, run.noise_at,
                                       run.dropout_rate, run.dropout_at, run.dropout_sites,
                                       run.dropout_layers);
  engine::check_sampler(setup.sampler, model.config, run.model);
  setup.flops = model::count_flops(model.config);
  if (!run.verifier.empty()) {
    setup.verifier = model::load_verifier(run.verifier);
    model::check_verifier_fits(*setup.verifier, model);
    setup.flops = model::with_verifier(setup.flops, model.config, setup.verifier->config);
    setup.verifier_warning = model::verifier_model_mismatch(*setup.verifier, run.model);
  }
  setup.has_value_source = model.config.has_value_head || setup.verifier.has_value();
  return setup;
}

nlohmann::json SamplingSetup::to_json(const std::string& verifier_path) const {
  nlohmann::json verifier_json = nullptr;
  if (verifier) {
    verifier_json = {{"path", verifier_path},
                     {"config", verifier->config.to_json()},
                     {"flops_per_step", model::verifier_flops(verifier->config)},
                     {"matches_model", verifier_warning.empty()}};
  }
  return {{"sampler", engine::sampler_json(sampler)}, {"verifier", verifier_json}};
}

}  // namespace gram::cli
