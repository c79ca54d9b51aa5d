//===- Arguments.h - The tensors and options of one call ------------------===//
//
// Slots follow the manifest's order (inputs, outputs, states); the named
// setters resolve names and refuse unknown ones. An empty optional is an
// argument that was not given: an error for inputs (and, at launch, for
// outputs), "start from zeros" for an initial state, "don't write it" for a
// final state.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_ARGUMENTS_H
#define LARC_RUNTIME_ARGUMENTS_H

#include "larc/runtime/Manifest.h"
#include "larc/runtime/Tensor.h"

#include <optional>
#include <string_view>
#include <vector>

namespace larc::runtime {

struct Arguments {
  explicit Arguments(const Manifest &manifest);

  std::vector<std::optional<TensorView>> inputs;
  std::vector<std::optional<TensorView>> outputs;
  std::vector<std::optional<TensorView>> initialStates;
  std::vector<std::optional<TensorView>> finalStates;
  // N + 1 int32 offsets on the kernel's device (FlashAttention's cu_seqlens);
  // with it B must be 1 and sequence n is tokens [cu[n], cu[n+1]) of T.
  std::optional<TensorView> cuSeqlens;
  // A host copy of the same offsets (int32 or int64), checked for order and
  // range; flash-linear-attention calls it cu_seqlens_cpu. Without it the
  // offsets are checked only if cuSeqlens is itself on the host, or at launch
  // when copyCuSeqlensToHost asks for a (synchronising) device-to-host copy.
  std::optional<TensorView> cuSeqlensHost;
  bool copyCuSeqlensToHost = false;
  // The spec's `scale`; none: the manifest's scale_default.
  std::optional<double> scale;

  Arguments &input(std::string_view name, const TensorView &tensor);
  Arguments &output(std::string_view name, const TensorView &tensor);
  Arguments &initialState(std::string_view name, const TensorView &tensor);
  Arguments &finalState(std::string_view name, const TensorView &tensor);

private:
  const Manifest *manifest;
};

} // namespace larc::runtime

#endif // LARC_RUNTIME_ARGUMENTS_H
