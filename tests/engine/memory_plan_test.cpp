// The memory estimate against what RecursiveModel really allocates, and the row-cap plan: lowered
// to fit a limit, refused with the figures when one row does not fit.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend/backend.h"
#include "common/delegating_backend.h"
#include "common/error_message.h"
#include "common/tiny_model_config.h"
#include "engine/memory_plan.h"
#include "engine/rank_rows.h"
#include "engine/recursive_model.h"

namespace gram {
namespace {

// The CPU backend, counting the bytes allocated through it.
class CountingBackend : public testing::DelegatingBackend {
 public:
  std::size_t allocated = 0;
  void* allocate(std::size_t bytes) override {
    allocated += bytes;
    return DelegatingBackend::allocate(bytes);
  }
};

std::size_t allocated_for(const model::Model& model, int rows) {
  CountingBackend counting;
  engine::RecursiveModel recursive(model, counting, rows);
  return counting.allocated;
}

class MemoryEstimate : public ::testing::TestWithParam<testing::Variant> {};

// Every row buffer is counted (the estimate is what the allocations grow by per row), and the
// weights are not underestimated (the host-only embeddings make the estimate a little high).
TEST_P(MemoryEstimate, MatchesTheAllocationsOfRecursiveModel) {
  const testing::Variant v = GetParam();
  const model::ModelConfig config = testing::tiny_config(v.mixer, v.shared, v.noise, v.positions, 16, 12);
  const model::Model model = model::random_model(config, 3);
  const engine::MemoryEstimate estimate = engine::estimate_memory(config, 10, 0);
  const std::size_t one = allocated_for(model, 1);
  const std::size_t five = allocated_for(model, 5);
  EXPECT_EQ(five - one, 4 * estimate.row_bytes);
  EXPECT_GE(estimate.weight_bytes, one - estimate.row_bytes);
  EXPECT_LE(estimate.weight_bytes, 2 * (one - estimate.row_bytes));
  EXPECT_GT(estimate.result_bytes, 10u * config.seq_len * sizeof(std::int32_t));
  EXPECT_GT(engine::estimate_memory(config, 10, 8).result_bytes, estimate.result_bytes);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, MemoryEstimate,
    ::testing::Values(
        testing::Variant{"mlp_t", model::Mixer::kMlpT, true, true, model::PositionEncoding::kLearned},
        testing::Variant{"attention_rope", model::Mixer::kAttention, false, true,
                         model::PositionEncoding::kRope},
        testing::Variant{"attention_plain", model::Mixer::kAttention, true, false,
                         model::PositionEncoding::kLearned}),
    [](const ::testing::TestParamInfo<testing::Variant>& info) { return info.param.name; });

// The CPU backend's capacity: weights, rows and results share host memory.
const backend::MemoryCapacity kHost{0, true, 0, "host memory"};
// A device's: weights and rows on the device, results on the host.
backend::MemoryCapacity device_capacity(std::uint64_t free, std::uint64_t host) {
  return {free, false, host, "device memory of Test GPU (device 0)"};
}

TEST(PlanRows, LowersTheRowCapToFitTheLimit) {
  const engine::MemoryEstimate estimate{1000, 100, 500};
  EXPECT_EQ(engine::plan_rows(estimate, 64, 2050, kHost).row_cap, 5);  // (2050 - 1500) / 100
  EXPECT_EQ(engine::plan_rows(estimate, 64, 2050, kHost).needed_bytes, 2000u);
  EXPECT_EQ(engine::plan_rows(estimate, 3, 2050, kHost).row_cap, 3);   // already fits
  EXPECT_EQ(engine::plan_rows(estimate, 64, 1600, kHost).row_cap, 1);  // exactly one row
  EXPECT_EQ(engine::plan_rows(estimate, 64, 2050, kHost).limit_source, "memory_limit");
}

// On a device the results stay on the host: the same limit holds more rows, and the device's
// free memory is the default limit.
TEST(PlanRows, DeviceCapacityCountsWeightsAndRowsOnly) {
  const engine::MemoryEstimate estimate{1000, 100, 500};
  const auto device = device_capacity(1550, 1 << 20);
  EXPECT_EQ(engine::plan_rows(estimate, 64, 2050, device).row_cap, 10);  // (2050 - 1000) / 100
  const engine::RowPlan fitted = engine::plan_rows(estimate, 64, 0, device);
  EXPECT_EQ(fitted.row_cap, 5);  // (1550 - 1000) / 100
  EXPECT_EQ(fitted.limit_bytes, 1550u);
  EXPECT_EQ(fitted.needed_bytes, 1500u);
  EXPECT_EQ(fitted.limit_source, "device memory of Test GPU (device 0)");
  EXPECT_EQ(testing_support::error_message(
                [&] { engine::plan_rows(estimate, 64, 0, device_capacity(1050, 1 << 20)); }),
            "memory: the run needs 1.07 KiB of device memory of Test GPU (device 0) with a single "
            "row (weights 1000 bytes, 100 bytes per row) but only 1.03 KiB is free; lower width, "
            "limit or the model size, or raise memory_limit");
  // The results must still fit the host.
  EXPECT_EQ(testing_support::error_message(
                [&] { engine::plan_rows(estimate, 64, 0, device_capacity(1 << 20, 400)); }),
            "memory: the run's results need 500 bytes of host memory but only 400 bytes is "
            "available; lower width or limit");
}

// The capacity query as the engine makes it: the backend's, through the interface.
TEST(PlanRows, TakesTheLimitFromTheBackendsCapacity) {
  class SmallDevice : public testing::DelegatingBackend {
   public:
    backend::MemoryCapacity memory_capacity() const override { return device_capacity(5000, 0); }
  };
  SmallDevice device;
  const engine::MemoryEstimate estimate{1000, 1000, 1u << 30};
  const engine::RowPlan plan = engine::plan_rows(estimate, 64, 0, device.memory_capacity());
  EXPECT_EQ(plan.row_cap, 4);
  const backend::MemoryCapacity cpu = backend::make_cpu_backend(1)->memory_capacity();
  EXPECT_TRUE(cpu.holds_host_results);
  EXPECT_EQ(cpu.where, "host memory");
}

TEST(PlanRows, RefusesWithTheFiguresWhenOneRowDoesNotFit) {
  const engine::MemoryEstimate estimate{1u << 20, 4096, 2048};
  const std::string message = testing_support::error_message(
      [&] { engine::plan_rows(estimate, 8, 1u << 20, kHost); });
  EXPECT_EQ(message,
            "memory: the run needs 1.01 MiB with a single row (weights 1.00 MiB, results 2.00 KiB, "
            "4.00 KiB per row) but memory_limit is 1.00 MiB; lower width, limit or the model "
            "size, or raise memory_limit");
}

TEST(PlanRows, DefaultsToTheMachinesAvailableMemory) {
  const std::uint64_t available = backend::available_host_memory_bytes();
  if (available == 0) GTEST_SKIP() << "/proc/meminfo has no MemAvailable here";
  const auto cpu = backend::make_cpu_backend(1);
  const engine::MemoryEstimate small{1000, 100, 0};
  const engine::RowPlan plan = engine::plan_rows(small, 16, 0, cpu->memory_capacity());
  EXPECT_EQ(plan.row_cap, 16);
  // MemAvailable moves while other processes run, so the limit read inside plan_rows is the
  // figure read above only up to that drift: within a factor of two of it, never zero.
  EXPECT_GT(plan.limit_bytes, available / 2);
  EXPECT_LT(plan.limit_bytes, available * 2);
  const engine::MemoryEstimate huge{available * 4, 100, 0};
  const std::string message = testing_support::error_message(
      [&] { engine::plan_rows(huge, 16, 0, cpu->memory_capacity()); });
  EXPECT_NE(message.find(" is available"), std::string::npos) << message;
}

TEST(FormatBytes, PicksTheUnit) {
  EXPECT_EQ(engine::format_bytes(12), "12 bytes");
  EXPECT_EQ(engine::format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(engine::format_bytes(3ull << 30), "3.00 GiB");
}

}  // namespace
}  // namespace gram

namespace gram {
namespace {

const backend::MemoryCapacity kUnlimited{0, true, 0, "host memory"};

// A rank's share of uniform work is ceil(P x width / W) rows, and the cap never exceeds it.
TEST(PlanRankRows, UniformWorkIsTheRanksShareOfTrajectories) {
  const model::ModelConfig config = testing::tiny_config(model::Mixer::kMlpT, false, true, model::PositionEncoding::kLearned, 16, 12);
  const engine::WorkShape shape{5, 8, false, 0};  // 40 trajectories
  EXPECT_EQ(engine::plan_rank_rows(config, shape, 256, 0, kUnlimited, 0, 1).row_cap, 40);
  EXPECT_EQ(engine::plan_rank_rows(config, shape, 256, 0, kUnlimited, 2, 3).row_cap, 14);
  EXPECT_EQ(engine::plan_rank_rows(config, shape, 16, 0, kUnlimited, 0, 1).row_cap, 16);
  EXPECT_FALSE(engine::plan_rank_rows(config, shape, 16, 0, kUnlimited, 0, 1).lowered());
}

// A search holds whole puzzles: the rank's block of puzzles x its rows, rounded down to whole
// puzzles after the memory fit; a row_cap below one puzzle's rows is refused.
TEST(PlanRankRows, SearchesHoldWholePuzzlesOfTheRanksBlock) {
  const model::ModelConfig config = testing::tiny_config(model::Mixer::kMlpT, false, true, model::PositionEncoding::kLearned, 16, 12);
  const engine::WorkShape shape{5, 4, true, 0};
  // Rank 0 of 2 searches puzzles [0, 2): at most 8 rows; alone, 10 of 20 rows fit as 8.
  EXPECT_EQ(engine::plan_rank_rows(config, shape, 256, 0, kUnlimited, 0, 2).row_cap, 8);
  EXPECT_EQ(engine::plan_rank_rows(config, shape, 10, 0, kUnlimited, 0, 1).row_cap, 8);
  // A rank without puzzles still gets one puzzle's rows.
  EXPECT_EQ(engine::plan_rank_rows(config, {1, 4, true, 0}, 256, 0, kUnlimited, 0, 2).row_cap, 4);
  const std::string refused = testing_support::error_message(
      [&] { engine::plan_rank_rows(config, shape, 3, 0, kUnlimited, 0, 1); });
  EXPECT_EQ(refused, "row_cap 3 cannot hold one puzzle's 4 search rows; raise row_cap to at least 4");
  // Memory for six and a half rows: lowered to 6, then to one whole puzzle block of 4.
  const engine::MemoryEstimate estimate = engine::estimate_memory(config, 20, 0);
  const std::uint64_t limit = estimate.weight_bytes + estimate.result_bytes +
                              6 * estimate.row_bytes + estimate.row_bytes / 2;
  const backend::MemoryCapacity host{limit, true, 0, "host memory"};
  const engine::RankRows fitted = engine::plan_rank_rows(config, shape, 256, 0, host, 0, 1);
  EXPECT_EQ(fitted.memory.row_cap, 6);
  EXPECT_EQ(fitted.row_cap, 4);
  EXPECT_TRUE(fitted.lowered());
}

}  // namespace
}  // namespace gram
