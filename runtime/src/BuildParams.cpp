//===- BuildParams.cpp - Fill LarcLaunchParams from a checked call --------===//

#include "larc/runtime/BuildParams.h"

#include "Fail.h"

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

size_t alignUp(size_t bytes) {
  return (bytes + kIntermediateAlignment - 1) / kIntermediateAlignment *
         kIntermediateAlignment;
}

size_t shapeBytes(const Shape &shape, DType dtype) {
  size_t bytes = dtypeSize(dtype);
  for (int64_t extent : shape)
    bytes *= static_cast<size_t>(extent);
  return bytes;
}

TensorView packed(void *data, DType dtype, const Shape &shape, Device device) {
  TensorView view;
  view.data = data;
  view.dtype = dtype;
  view.rank = static_cast<int32_t>(shape.size());
  view.device = device;
  int64_t stride = 1;
  for (int d = view.rank - 1; d >= 0; --d) {
    view.shape[d] = shape[d];
    view.strides[d] = stride;
    stride *= shape[d];
  }
  return view;
}
} // namespace

size_t intermediateBytes(const Manifest &manifest, const Plan &plan) {
  size_t bytes = 0;
  for (size_t i = 0; i < manifest.intermediates.size(); ++i)
    bytes += alignUp(shapeBytes(plan.intermediateShapes[i],
                                manifest.intermediates[i].dtype));
  return bytes;
}

std::vector<TensorView> intermediateViews(const Manifest &manifest,
                                          const Plan &plan, void *base) {
  std::vector<TensorView> views;
  size_t offset = 0;
  for (size_t i = 0; i < manifest.intermediates.size(); ++i) {
    const Shape &shape = plan.intermediateShapes[i];
    DType dtype = manifest.intermediates[i].dtype;
    size_t bytes = shapeBytes(shape, dtype);
    // An empty one (T = 0) gets no memory: the kernels must not touch it.
    void *data = bytes ? static_cast<char *>(base) + offset : nullptr;
    views.push_back(packed(data, dtype, shape, plan.device));
    offset += alignUp(bytes);
  }
  return views;
}

std::optional<TensorView>
slotTensor(const Arguments &arguments,
           const std::vector<TensorView> &intermediates,
           const TensorSlot &slot) {
  switch (slot.kind) {
  case TensorSlot::Kind::Input:
    return arguments.inputs[slot.index];
  case TensorSlot::Kind::Output:
    return arguments.outputs[slot.index];
  case TensorSlot::Kind::InitialState:
    return arguments.initialStates[slot.index];
  case TensorSlot::Kind::FinalState:
    return arguments.finalStates[slot.index];
  case TensorSlot::Kind::Intermediate:
    if (static_cast<size_t>(slot.index) >= intermediates.size())
      fail("the call's intermediates were not given to buildLaunchParams "
           "(a staged package: see intermediateViews)");
    return intermediates[slot.index];
  }
  return std::nullopt;
}

LarcLaunchParams
buildLaunchParams(const Manifest &manifest, const Plan &plan,
                  const Arguments &arguments, size_t stage,
                  const std::vector<TensorView> &intermediates) {
  if (stage >= manifest.stages.size())
    fail("buildLaunchParams: stage {} of a package with {}", stage,
         manifest.stages.size());
  const StageSpec &spec = manifest.stages[stage];
  LarcLaunchParams params;
  std::memset(&params, 0, sizeof(params));
  for (size_t i = 0; i < spec.inputs.size(); ++i)
    params.inputs[i] =
        tensorRef(slotTensor(arguments, intermediates, spec.inputs[i]));
  for (size_t i = 0; i < spec.outputs.size(); ++i)
    params.outputs[i] =
        tensorRef(slotTensor(arguments, intermediates, spec.outputs[i]));
  for (size_t i = 0; i < spec.states.size(); ++i) {
    params.initialStates[i] =
        tensorRef(arguments.initialStates[spec.states[i]]);
    params.finalStates[i] = tensorRef(arguments.finalStates[spec.states[i]]);
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
  int kernel = stage < plan.stages.size() ? plan.stages[stage].kernelIndex
                                          : plan.kernelIndex;
  params.numTensorMaps =
      static_cast<uint32_t>(manifest.kernels[kernel].tensorMaps.size());
  return params;
}

} // namespace larc::runtime
