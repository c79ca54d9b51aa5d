//===- BuildParams.h - Fill LarcLaunchParams from a checked call ----------===//
//
// Public so that an application can launch a package's kernel itself (in a
// CUDA graph, say): validateArguments, then buildLaunchParams, then encode
// the tensor maps (if the kernel has any) and launch with the plan's grid and
// the manifest's block and shared_bytes.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_BUILDPARAMS_H
#define LARC_RUNTIME_BUILDPARAMS_H

#include "larc/runtime/Arguments.h"
#include "larc/runtime/LaunchParams.h"
#include "larc/runtime/Manifest.h"
#include "larc/runtime/Validate.h"

namespace larc::runtime {

// Pointers, strides, sizes and scale; tensorMaps are left zero (the launcher
// encodes them, which needs the driver). `plan` must come from
// validateArguments on the same arguments.
LarcLaunchParams buildLaunchParams(const Manifest &manifest, const Plan &plan,
                                   const Arguments &arguments);

} // namespace larc::runtime

#endif // LARC_RUNTIME_BUILDPARAMS_H
