//===- BuildParams.h - Fill LarcLaunchParams from a checked call ----------===//
//
// Public so that an application can launch a package's kernels itself (in a
// CUDA graph, say): validateArguments, then for a staged package allocate
// intermediateBytes and carve it with intermediateViews, then per stage
// buildLaunchParams, encode the tensor maps of the stage's kernel (if any)
// and launch with the stage's grid and the kernel's block and shared_bytes.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_BUILDPARAMS_H
#define LARC_RUNTIME_BUILDPARAMS_H

#include "larc/runtime/Arguments.h"
#include "larc/runtime/LaunchParams.h"
#include "larc/runtime/Manifest.h"
#include "larc/runtime/Validate.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace larc::runtime {

// Where each intermediate starts in one allocation: 256-byte aligned, as
// device allocations are, so that TMA and vector loads may use them.
constexpr size_t kIntermediateAlignment = 256;

// The bytes of one allocation that holds every intermediate of a call
// (0 when the package has none or they are empty).
size_t intermediateBytes(const Manifest &manifest, const Plan &plan);

// Contiguous views of the call's intermediates, per Manifest::intermediates,
// in the allocation at `base` (intermediateBytes long) on the plan's device.
std::vector<TensorView> intermediateViews(const Manifest &manifest,
                                          const Plan &plan, void *base);

// The tensor of a slot in a call: the caller's argument (none if not given),
// or the view in `intermediates` for an intermediate.
std::optional<TensorView>
slotTensor(const Arguments &arguments,
           const std::vector<TensorView> &intermediates,
           const TensorSlot &slot);

// Pointers, strides, sizes and scale for the kernel of `stage`: its
// inputs, states and outputs in the order that stage lists them; tensorMaps
// are left zero (the launcher encodes them, which needs the driver). `plan`
// must come from validateArguments on the same arguments; `intermediates`
// from intermediateViews, needed only by stages that use one.
LarcLaunchParams
buildLaunchParams(const Manifest &manifest, const Plan &plan,
                  const Arguments &arguments, size_t stage = 0,
                  const std::vector<TensorView> &intermediates = {});

} // namespace larc::runtime

#endif // LARC_RUNTIME_BUILDPARAMS_H
