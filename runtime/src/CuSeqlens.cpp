//===- CuSeqlens.cpp - Check the values of sequence offsets ---------------===//

#include "CuSeqlens.h"

#include "Fail.h"

namespace larc::runtime {

namespace {
int64_t offsetAt(const TensorView &offsets, int64_t i) {
  const char *base = static_cast<const char *>(offsets.data);
  int64_t element = i * offsets.strides[0];
  if (offsets.dtype == DType::Int64)
    return reinterpret_cast<const int64_t *>(base)[element];
  return reinterpret_cast<const int32_t *>(base)[element];
}
} // namespace

void checkCuSeqlensValues(const TensorView &offsets, int64_t seqLen,
                          const std::string &name,
                          const std::string &seqLenFrom) {
  int64_t count = offsets.shape[0];
  if (count == 0)
    return; // the shape check refuses this with a better message
  int64_t first = offsetAt(offsets, 0);
  if (first != 0)
    fail("argument '{}': offsets must start at 0, got {}[0] = {}", name, name,
         first);
  for (int64_t i = 1; i < count; ++i) {
    int64_t previous = offsetAt(offsets, i - 1);
    int64_t current = offsetAt(offsets, i);
    if (current < previous)
      fail("argument '{}': offsets must not decrease, got {}[{}] = {} after "
           "{}[{}] = {}",
           name, name, i, current, name, i - 1, previous);
  }
  int64_t last = offsetAt(offsets, count - 1);
  if (last != seqLen)
    fail("argument '{}': the last offset must be T = {} (the tokens of '{}'), "
         "got {}[{}] = {}",
         name, seqLen, seqLenFrom, name, count - 1, last);
}

} // namespace larc::runtime
