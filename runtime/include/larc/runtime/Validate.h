//===- Validate.h - Check a call against a package; the launch plan -------===//
//
// validateArguments is the whole of argument checking, and needs no GPU:
// presence, ranks, shapes (B, T, H shared; dims as the kernel's), dtypes,
// strides and alignment, one device, cu_seqlens, state shapes, scale. Each
// refusal is an Error naming the argument, what was expected and what came.
// What it returns is everything a launch needs to know besides the pointers.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_VALIDATE_H
#define LARC_RUNTIME_VALIDATE_H

#include "larc/runtime/Arguments.h"
#include "larc/runtime/Manifest.h"

#include <array>
#include <cstdint>
#include <vector>

namespace larc::runtime {

using Shape = std::vector<int64_t>;

// One kernel launch of a call, per Manifest::stages (one for a package
// without "stages").
struct StagePlan {
  int kernelIndex = -1; // into Manifest::kernels
  std::array<uint64_t, 3> grid = {1, 1, 1};
};

struct Plan {
  int kernelIndex = -1;         // the first stage's, into Manifest::kernels
  DType dtype = DType::Unknown; // of query, key and value inputs
  Device device;
  int64_t batch = 0, seqLen = 0;     // B, T
  int64_t heads = 0, valueHeads = 0; // H, HV
  int64_t sequences = 0;             // N
  std::vector<int64_t> dims;         // the kernel's, in Manifest::dims order
  float scale = 1;
  std::vector<Shape> outputShapes; // per manifest output
  std::vector<DType> outputDTypes;
  std::vector<Shape> stateShapes; // per manifest state, fp32
  std::array<uint64_t, 3> grid = {1, 1, 1}; // the first stage's
  // Per Manifest::stages, launched in this order; stages[0] is kernelIndex
  // and grid above.
  std::vector<StagePlan> stages;
  // Per Manifest::intermediates: [B, T, HV, dim] or [B, T, HV], allocated
  // contiguous by the launch.
  std::vector<Shape> intermediateShapes;

  // Nothing to launch: no sequences (or no heads).
  bool empty() const {
    for (const StagePlan &stage : stages)
      if (stage.grid[0] * stage.grid[1] * stage.grid[2] == 0)
        return true;
    return grid[0] * grid[1] * grid[2] == 0;
  }
};

// Plan: inputs, initial states, cu_seqlens and scale; outputs and final
// states are checked only if given. Launch: also every output, and every
// tensor on one CUDA device.
enum class Stage { Plan, Launch };

Plan validateArguments(const Manifest &manifest, const Arguments &arguments,
                       Stage stage);

} // namespace larc::runtime

#endif // LARC_RUNTIME_VALIDATE_H
