#pragma once
// Greedy decoding's order of candidates, one rule for every backend: the larger logit wins;
// NaN ranks below every number, -inf included, so a NaN logit is chosen only when its whole row
// is NaN (then index 0); equal values, and two NaNs, go to the lower index.
//
// This is a total order on (value, index) pairs, so the argmax of a row does not depend on the
// order in which a reduction meets the candidates: the CPU backend's left-to-right scan and the
// GPU's strided lanes followed by a warp butterfly (kernels/argmax.cu) pick the same token. A
// plain `value > best` is not a total order once NaN appears: a NaN best never loses, and a
// lane holding a NaN drops its partner's candidate, so the two backends differed. Compiled for
// host and device (tests/kernels checks the GPU's reduction on the host with this function).
#include "util/host_device.h"

namespace gram::backend {

// True when (value, index) comes before (other_value, other_index) in the argmax order.
GRAM_HOST_DEVICE inline bool argmax_prefers(float value, int index, float other_value,
                                            int other_index) {
  const bool is_nan = value != value;  // no <cmath>: the same test on host and device
  const bool other_is_nan = other_value != other_value;
  if (is_nan != other_is_nan) return other_is_nan;
  if (!is_nan && value != other_value) return value > other_value;
  return index < other_index;
}

}  // namespace gram::backend
