// gram info MODEL: what a checkpoint is and what one unit of compute costs.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/weights.h"
#include "util/error.h"

namespace gram::cli {

namespace {

int info_command(const CommandContext& context) {
  const std::vector<std::string>& arguments = context.arguments;
  if (arguments.size() != 1 || arguments[0] == "--help") {
    std::puts("usage: gram info MODEL.safetensors");
    if (arguments.size() == 1) return 0;
    throw Error("gram info: expects exactly one model path");
  }
  const model::Model model = model::load_model(arguments[0]);
  const model::FlopCounts flops = model::count_flops(model.config);
  std::printf("model: %s\n", arguments[0].c_str());
  std::printf("config: %s\n", model.config.to_json().dump(2).c_str());
  std::printf("parameters: %lld\n",
              static_cast<long long>(model::count_parameters(model.config)));
  std::printf("FLOPs per application (one pass of F over P+L positions): %.6g\n",
              flops.per_application);
  std::printf("FLOPs of the prior per transition: %.6g\n", flops.prior_per_transition);
  std::printf("FLOPs per transition ((K+1) applications + prior): %.6g\n", flops.per_transition);
  std::printf("FLOPs of the heads per supervision step: %.6g\n", flops.heads_per_step);
  std::printf("FLOPs per supervision step: %.6g\n", flops.per_step);
  std::printf("applications per supervision step: %lld\n",
              static_cast<long long>(flops.applications_per_step));
  std::puts("(GEMMs counted as 2*m*n*k with attention score/value products; elementwise work excluded)");
  return 0;
}

}  // namespace

GRAM_REGISTER_COMMAND("info", "describe a model: config, parameters, FLOPs", info_command);

}  // namespace gram::cli
