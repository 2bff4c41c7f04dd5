// Attention's AVX-512 kernel against the portable one (backend/attention_kernels.h), bit for
// bit, for sequence lengths around the kernel's blocks of 16 keys and 16 queries and head
// sizes with and without a partial vector. Skipped on a CPU without AVX-512.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <random>
#include <vector>

#include "backend/attention_kernels.h"
#include "backend/fixed_order_gemm.h"

namespace gram {
namespace {

TEST(AttentionKernels, AvxHeadEqualsThePortableHead) {
  if (!backend::cpu_supports(backend::GemmKernel::kAvx512)) {
    GTEST_SKIP() << "this CPU has no AVX-512: the portable kernel is the only one";
  }
  std::mt19937 generator(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (int seq : {1, 5, 16, 17, 37, 82, 130, 160}) {
    for (int head_dim : {8, 16, 24, 64}) {
      const std::size_t count = static_cast<std::size_t>(seq) * head_dim;
      std::vector<float> q(count), k(count), v(count);
      for (float* values : {q.data(), k.data(), v.data()}) {
        for (std::size_t i = 0; i < count; ++i) values[i] = normal(generator);
      }
      std::vector<float> got(count), want(count);
      std::vector<float> scratch(backend::attention_detail::scratch_floats(seq, head_dim));
      backend::attention_detail::HeadArgs head;
      head.seq = seq;
      head.head_dim = head_dim;
      head.q = q.data();
      head.k = k.data();
      head.v = v.data();
      head.v_stride = static_cast<std::size_t>(head_dim);
      head.out_stride = static_cast<std::size_t>(head_dim);
      head.scale = 0.125f;
      head.scratch = scratch.data();
      head.out = got.data();
      backend::attention_detail::head_avx512(head);
      head.out = want.data();
      backend::attention_detail::head_portable(head);
      int differing = 0;
      for (std::size_t i = 0; i < count; ++i) {
        differing += std::bit_cast<std::uint32_t>(got[i]) != std::bit_cast<std::uint32_t>(want[i]);
      }
      EXPECT_EQ(differing, 0) << "seq " << seq << ", head_dim " << head_dim;
    }
  }
}

}  // namespace
}  // namespace gram
