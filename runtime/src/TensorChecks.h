//===- TensorChecks.h - Layout checks on one tensor -----------------------===//
//
// Shape, stride, alignment and overlap checks shared by every argument. Each
// takes the argument's name and the labels of its dims ("B", "T", "H", "K")
// so that messages read like the tensor conventions in the docs.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_SRC_TENSORCHECKS_H
#define LARC_RUNTIME_SRC_TENSORCHECKS_H

#include "larc/runtime/Tensor.h"

#include <string>
#include <vector>

namespace larc::runtime {

// A tensor as an argument: its name for messages and its dims' labels.
struct NamedTensor {
  std::string name;
  const TensorView &view;
  std::vector<std::string> labels;
};

// Rank equals labels.size() (the error shows the expected layout).
void checkRank(const NamedTensor &tensor);
// Shape equals `expected` ("[B, T, H, K] = [2, 100, 4, 128]"); `note` is
// appended to the message when it is not empty.
void checkShape(const NamedTensor &tensor, const std::vector<int64_t> &expected,
                const std::string &note = "");
void checkDType(const NamedTensor &tensor, DType expected,
                const std::string &note = "");
// A non-empty tensor has a data pointer.
void checkData(const NamedTensor &tensor);
// No negative strides; the innermost dim contiguous (stride 1) unless it has
// at most one element.
void checkStrides(const NamedTensor &tensor);
// The data pointer and every outer stride a multiple of `bytes`; `why` says
// who needs it ("the kernel", "TMA").
void checkAlignment(const NamedTensor &tensor, size_t bytes,
                    const std::string &why);
// For tensors the kernel writes: no two indices share an element.
void checkNoOverlap(const NamedTensor &tensor);

} // namespace larc::runtime

#endif // LARC_RUNTIME_SRC_TENSORCHECKS_H
