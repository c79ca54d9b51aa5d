//===- BuildParams.cpp - Fill LarcLaunchParams from a checked call --------===//

#include "larc/runtime/BuildParams.h"

#include <cstring>

namespace larc::runtime {

namespace {
LarcTensorRef tensorRef(const std::optional<TensorView> &view) {
  LarcTensorRef ref;
  std::memset(&ref, 0, sizeof(ref));
  if (!view)
    return ref;
  ref.data = view->data;
  for (int d = 0; d < view->rank && d < 4; ++d)
    ref.strides[d] = view->strides[d];
  return ref;
}
} // namespace

LarcLaunchParams buildLaunchParams(const Manifest &manifest, const Plan &plan,
                                   const Arguments &arguments) {
  LarcLaunchParams params;
  std::memset(&params, 0, sizeof(params));
  for (size_t i = 0; i < arguments.inputs.size(); ++i)
    params.inputs[i] = tensorRef(arguments.inputs[i]);
  for (size_t i = 0; i < arguments.outputs.size(); ++i)
    params.outputs[i] = tensorRef(arguments.outputs[i]);
  for (size_t i = 0; i < arguments.initialStates.size(); ++i) {
    params.initialStates[i] = tensorRef(arguments.initialStates[i]);
    params.finalStates[i] = tensorRef(arguments.finalStates[i]);
  }
  if (arguments.cuSeqlens)
    params.cuSeqlens = static_cast<const int32_t *>(arguments.cuSeqlens->data);
  params.batch = plan.batch;
  params.seqLen = plan.seqLen;
  params.heads = static_cast<int32_t>(plan.heads);
  params.valueHeads = static_cast<int32_t>(plan.valueHeads);
  params.sequences = static_cast<int32_t>(plan.sequences);
  params.scale = plan.scale;
  for (size_t d = 0; d < plan.dims.size(); ++d)
    params.dims[d] = static_cast<int32_t>(plan.dims[d]);
  params.version = LARC_LAUNCH_PARAMS_VERSION;
  params.numTensorMaps = static_cast<uint32_t>(
      manifest.kernels[plan.kernelIndex].tensorMaps.size());
  return params;
}

} // namespace larc::runtime
