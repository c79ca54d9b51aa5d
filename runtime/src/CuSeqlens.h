//===- CuSeqlens.h - Check the values of sequence offsets -----------------===//

#ifndef LARC_RUNTIME_SRC_CUSEQLENS_H
#define LARC_RUNTIME_SRC_CUSEQLENS_H

#include "larc/runtime/Tensor.h"

#include <string>

namespace larc::runtime {

// `offsets` is host memory (int32 or int64, any stride). Refuses offsets that
// do not start at 0, decrease, or do not end at `seqLen` (T); `name` and
// `seqLenFrom` (the argument T came from) are for the messages.
void checkCuSeqlensValues(const TensorView &offsets, int64_t seqLen,
                          const std::string &name,
                          const std::string &seqLenFrom);

} // namespace larc::runtime

#endif // LARC_RUNTIME_SRC_CUSEQLENS_H
