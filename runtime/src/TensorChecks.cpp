//===- TensorChecks.cpp - Layout checks on one tensor ---------------------===//

#include "TensorChecks.h"

#include "Fail.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

namespace larc::runtime {

namespace {
std::string labels(const NamedTensor &tensor) {
  return fmt::format("[{}]", fmt::join(tensor.labels, ", "));
}

std::string shapeOf(const TensorView &view) {
  return formatShape(view.shape, view.rank);
}
} // namespace

void checkRank(const NamedTensor &tensor) {
  int expected = static_cast<int>(tensor.labels.size());
  if (tensor.view.rank == expected)
    return;
  fail("argument '{}': expected rank {} {}, got rank {} {}", tensor.name,
       expected, labels(tensor), tensor.view.rank, shapeOf(tensor.view));
}

void checkShape(const NamedTensor &tensor, const std::vector<int64_t> &expected,
                const std::string &note) {
  if (std::equal(expected.begin(), expected.end(), tensor.view.shape,
                 tensor.view.shape + tensor.view.rank) &&
      static_cast<int>(expected.size()) == tensor.view.rank)
    return;
  fail("argument '{}': expected shape {} = {}, got {}{}", tensor.name,
       labels(tensor),
       formatShape(expected.data(), static_cast<int>(expected.size())),
       shapeOf(tensor.view), note.empty() ? "" : " (" + note + ")");
}

void checkDType(const NamedTensor &tensor, DType expected,
                const std::string &note) {
  if (tensor.view.dtype == expected)
    return;
  fail("argument '{}': expected dtype {}{}, got {}", tensor.name,
       dtypeName(expected), note.empty() ? "" : " (" + note + ")",
       dtypeName(tensor.view.dtype));
}

void checkData(const NamedTensor &tensor) {
  if (!tensor.view.data && tensor.view.numElements() > 0)
    fail("argument '{}': the data pointer is null, but the shape {} has {} "
         "elements",
         tensor.name, shapeOf(tensor.view), tensor.view.numElements());
}

void checkStrides(const NamedTensor &tensor) {
  const TensorView &view = tensor.view;
  for (int d = 0; d < view.rank; ++d)
    if (view.strides[d] < 0)
      fail("argument '{}': negative stride {} in dim {} ({}); strides must be "
           "non-negative",
           tensor.name, view.strides[d], d, tensor.labels[d]);
  int inner = view.rank - 1;
  if (inner >= 0 && view.shape[inner] > 1 && view.strides[inner] != 1)
    fail("argument '{}': the innermost dim ({}) must be contiguous (stride "
         "1), got stride {}; make the tensor contiguous",
         tensor.name, tensor.labels[inner], view.strides[inner]);
}

void checkAlignment(const NamedTensor &tensor, size_t bytes,
                    const std::string &why) {
  const TensorView &view = tensor.view;
  size_t element = dtypeSize(view.dtype);
  auto address = reinterpret_cast<uintptr_t>(view.data);
  if (address % bytes)
    fail("argument '{}': {} needs {}-byte aligned data, got the pointer {:#x}",
         tensor.name, why, bytes, address);
  for (int d = 0; d + 1 < view.rank; ++d) {
    if (view.shape[d] <= 1)
      continue; // the stride of a dim of one element is never used
    uint64_t strideBytes = static_cast<uint64_t>(view.strides[d]) * element;
    if (strideBytes % bytes)
      fail("argument '{}': {} needs strides that are multiples of {} bytes; "
           "the stride of dim {} ({}) is {} elements = {} bytes",
           tensor.name, why, bytes, d, tensor.labels[d], view.strides[d],
           strideBytes);
  }
}

void checkNoOverlap(const NamedTensor &tensor) {
  const TensorView &view = tensor.view;
  // Sorted by stride, each dim must step past the whole extent of the
  // smaller ones; dims of one element never move.
  std::vector<int> order;
  for (int d = 0; d < view.rank; ++d) {
    if (view.shape[d] == 0)
      return; // empty: nothing is written
    if (view.shape[d] > 1)
      order.push_back(d);
  }
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return view.strides[a] < view.strides[b]; });
  int64_t extent = 1; // elements spanned by the dims so far
  for (int d : order) {
    if (view.strides[d] < extent)
      fail("argument '{}': the kernel writes it, but its strides {} make "
           "elements overlap (dim {} ({}) has stride {}); pass a tensor with "
           "distinct elements",
           tensor.name, formatShape(view.strides, view.rank), d,
           tensor.labels[d], view.strides[d]);
    extent = view.strides[d] * (view.shape[d] - 1) + extent;
  }
}

} // namespace larc::runtime
