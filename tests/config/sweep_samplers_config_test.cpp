// The sweep keys of the samplers and verifiers: sampler specs, the expansion of `models` into
// one model per (model, sampler) pair, verifiers per base model, and a plan hash that stays
// what it was for sweeps without them.
#include "config/sweep_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error_message.h"
#include "util/error.h"

namespace gram::config {
namespace {

using gram::testing_support::error_message;

TEST(SweepSamplers, SpecsParseAndLabel) {
  EXPECT_EQ(parse_sampler_spec("none").kind, "none");
  EXPECT_EQ(parse_sampler_spec("none").label(), "");
  const SamplerSpec noise = parse_sampler_spec(" noise:0.25 ");
  EXPECT_EQ(noise.kind, "noise");
  EXPECT_EQ(noise.value, 0.25);
  EXPECT_EQ(noise.label(), "noise0.25");
  EXPECT_EQ(parse_sampler_spec("dropout:0.1").label(), "dropout0.1");
  EXPECT_EQ(error_message([] { parse_sampler_spec("noise"); }),
            "'samplers': entry 'noise' must be none, noise:SCALE or dropout:RATE");
  EXPECT_EQ(error_message([] { parse_sampler_spec("dropout:1"); }),
            "'samplers': entry 'dropout:1' needs a rate in (0, 1) (none is 'none')");
  EXPECT_EQ(error_message([] { parse_sampler_spec("noise:0"); }),
            "'samplers': entry 'noise:0' needs a scale > 0 (none is 'none')");
}

TEST(SweepSamplers, EveryModelUnderEverySettingModelMajor) {
  SweepConfig config;
  config.models = {"a=a.safetensors", "b=b.safetensors"};
  config.samplers = {"none", "noise:0.5", "dropout:0.2"};
  config.verifiers = {"b=vb.safetensors"};
  const std::vector<SweepModel> models = sweep_models(config);
  std::vector<std::string> names;
  for (const SweepModel& model : models) names.push_back(model.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "a+noise0.5", "a+dropout0.2", "b",
                                             "b+noise0.5", "b+dropout0.2"}));
  EXPECT_EQ(models[4].base, "b");
  EXPECT_EQ(models[4].path, "b.safetensors");
  EXPECT_EQ(models[4].sampler.kind, "noise");
  EXPECT_EQ(models[4].verifier, "vb.safetensors");
  EXPECT_EQ(models[1].verifier, "");
  config.verifiers = {"c=vc.safetensors"};
  EXPECT_EQ(error_message([&] { sweep_models(config); }),
            "config: 'verifiers' entry 'c=vc.safetensors' must be name=path for a model of "
            "'models'");
}

TEST(SweepSamplers, ValidationAndThePlanHash) {
  SweepConfig config;
  config.models = {"a.safetensors"};
  config.puzzles = "p.txt";
  validate(config);
  const nlohmann::json plain = result_defining_json(config);
  for (const char* key : {"samplers", "noise_mode", "noise_at", "dropout_at", "dropout_sites",
                          "dropout_layers", "verifiers"}) {
    EXPECT_FALSE(plain.contains(key)) << key << ": sweeps written before samplers would not resume";
  }
  config.samplers = {"none", "noise:0.1"};
  validate(config);
  EXPECT_EQ(result_defining_json(config)["samplers"], nlohmann::json({"none", "noise:0.1"}));
  config.samplers = {"noise:0.1", "noise:0.1"};
  EXPECT_EQ(error_message([&] { validate(config); }), "config: 'samplers' names 'noise:0.1' twice");
  config.samplers = {"noise:0.1"};
  config.noise_at = {"h", "h"};
  EXPECT_EQ(error_message([&] { validate(config); }), "config: 'noise_at' names an item twice");
}

}  // namespace
}  // namespace gram::config
