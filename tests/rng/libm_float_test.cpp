// rng/libm_float.h against the C library it copies: glibc 2.36 on a CPU with FMA, where glibc
// runs the same algorithms (elsewhere the comparison says nothing and is skipped). Every float
// was compared once when the functions were written (docs/performance.md); this checks a
// sample spread over all of them, every run.
#include <gnu/libc-version.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>

#include "rng/libm_float.h"

namespace gram {
namespace {

namespace libm = rng::libm;

bool same(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

class LibmFloat : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string version = gnu_get_libc_version();
    if (version != "2.36") GTEST_SKIP() << "the C library is glibc " << version << ", not 2.36";
    if (!__builtin_cpu_supports("fma")) GTEST_SKIP() << "glibc runs its non-FMA variants here";
  }
};

TEST_F(LibmFloat, EqualsGlibcOnASampleOfEveryFloat) {
  int differing = 0;
  for (std::uint64_t pattern = 0; pattern < (1ull << 32); pattern += 65521) {
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(pattern));
    differing += !same(libm::expf(x), ::expf(x));
    differing += !same(libm::logf(x), ::logf(x));
    differing += !same(libm::log1pf(x), ::log1pf(x));
    if (std::fabs(x) < 100.0f) {
      float s1, c1, s2, c2;
      libm::sincosf(x, &s1, &c1);
      ::sincosf(x, &s2, &c2);
      differing += !same(s1, s2) + !same(c1, c2);
    }
  }
  EXPECT_EQ(differing, 0);
}

// Bits that pin the functions on any machine: values glibc 2.36 gives.
TEST(LibmFloatValues, KnownResults) {
  EXPECT_EQ(std::bit_cast<std::uint32_t>(libm::expf(1.0f)), 0x402df854u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(libm::logf(0.1f)), 0xc0135d8eu);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(libm::log1pf(0.5f)), 0x3ecf991fu);
  float sine, cosine;
  libm::sincosf(1.0f, &sine, &cosine);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(sine), 0x3f576aa4u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(cosine), 0x3f0a5140u);
}

}  // namespace
}  // namespace gram
