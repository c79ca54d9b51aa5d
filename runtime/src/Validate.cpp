//===- Validate.cpp - Check a call against a package ----------------------===//
//
// Sizes are bound in one pass over the inputs, in manifest order: the first
// input gives B and T, the first query/key input H, the first other input HV,
// and the first input over a dim gives that dim; every later tensor is
// checked against them, so a message can say where an expected size came
// from. Tensor conventions: docs/package-format.md, "Arguments".
//
//===----------------------------------------------------------------------===//

#include "larc/runtime/Validate.h"

#include "CuSeqlens.h"
#include "Fail.h"
#include "TensorChecks.h"

#include <fmt/ranges.h>

#include <cmath>

namespace larc::runtime {

namespace {

constexpr int64_t kMaxGridX = 2147483647, kMaxGridYZ = 65535;

class Validator {
public:
  Validator(const Manifest &manifest, const Arguments &arguments, Stage stage)
      : manifest(manifest), args(arguments), stage(stage),
        dimValues(manifest.dims.size(), -1), dimFrom(manifest.dims.size()) {}

  Plan run() {
    checkCounts();
    checkPresence();
    bindSizes();
    checkInputShapes();
    checkInputDTypes();
    chooseKernel();
    chooseStageKernels();
    checkCuSeqlens();
    checkStates();
    checkOutputs();
    planIntermediates();
    checkDevices();
    checkLayouts();
    chooseScale();
    computeGrids();
    return std::move(plan);
  }

private:
  const Manifest &manifest;
  const Arguments &args;
  Stage stage;
  Plan plan;
  // Where each size came from, for messages.
  std::string batchFrom, headsFrom, valueHeadsFrom, dtypeFrom;
  std::vector<int64_t> dimValues; // -1: not bound yet
  std::vector<std::string> dimFrom;
  bool headsBound = false, valueHeadsBound = false;
  // Every tensor given, with its labels, for the layout and device checks.
  struct Given {
    NamedTensor tensor;
    bool written;       // outputs and final states
    bool featureTensor; // innermost dim is a kernel dim: kernel alignment
    std::optional<TensorSlot> slot; // none: cu_seqlens
  };
  std::vector<Given> given;

  std::string headLabel(bool keyHeads) const {
    return keyHeads || !manifest.groupedValueHeads ? "H" : "HV";
  }

  std::string initialName(size_t state) const {
    return manifest.stateArgumentName(state, false);
  }
  std::string finalName(size_t state) const {
    return manifest.stateArgumentName(state, true);
  }

  std::vector<std::string> inputLabels(const InputSpec &input) const {
    std::vector<std::string> labels = {"B", "T",
                                       headLabel(input.usesKeyHeads())};
    if (input.dim)
      labels.push_back(manifest.dims[*input.dim]);
    return labels;
  }

  void checkCounts() {
    // Arguments built for another manifest would index out of range.
    if (args.inputs.size() != manifest.inputs.size() ||
        args.outputs.size() != manifest.outputs.size() ||
        args.initialStates.size() != manifest.states.size() ||
        args.finalStates.size() != manifest.states.size())
      fail("the arguments were made for another package (rule '{}' has {} "
           "inputs, {} states, {} outputs)",
           manifest.rule, manifest.inputs.size(), manifest.states.size(),
           manifest.outputs.size());
  }

  void checkPresence() {
    for (size_t i = 0; i < manifest.inputs.size(); ++i)
      if (!args.inputs[i])
        fail("argument '{}' ({}) is required by rule '{}' but was not given",
             manifest.inputs[i].name, roleName(manifest.inputs[i].role),
             manifest.rule);
    if (stage == Stage::Launch)
      for (size_t i = 0; i < manifest.outputs.size(); ++i)
        if (!args.outputs[i])
          fail("output '{}' was not given; allocate it with the shape the "
               "plan gives",
               manifest.outputs[i].name);
    if (args.cuSeqlensHost && !args.cuSeqlens)
      fail("argument 'cu_seqlens_host' was given without 'cu_seqlens'");
  }

  void bindSizes() {
    for (size_t i = 0; i < manifest.inputs.size(); ++i) {
      const InputSpec &input = manifest.inputs[i];
      const TensorView &view = *args.inputs[i];
      checkRank({input.name, view, inputLabels(input)});
      if (i == 0) {
        plan.batch = view.shape[0];
        plan.seqLen = view.shape[1];
        batchFrom = input.name;
      }
      bool keyHeads = input.usesKeyHeads();
      if (keyHeads && !headsBound) {
        plan.heads = view.shape[2];
        headsFrom = input.name;
        headsBound = true;
      }
      if (!keyHeads && !valueHeadsBound && manifest.groupedValueHeads) {
        plan.valueHeads = view.shape[2];
        valueHeadsFrom = input.name;
        valueHeadsBound = true;
      }
      if (input.dim && dimValues[*input.dim] < 0) {
        dimValues[*input.dim] = view.shape[3];
        dimFrom[*input.dim] = input.name;
      }
    }
    // Without grouping (or without inputs of one kind) H and HV are one.
    if (!headsBound) {
      const TensorView &first = *args.inputs[0];
      plan.heads = first.shape[2];
      headsFrom = manifest.inputs[0].name;
    }
    if (!valueHeadsBound) {
      plan.valueHeads = plan.heads;
      valueHeadsFrom = headsFrom;
    }
    for (size_t i = 0; i < manifest.inputs.size(); ++i) {
      const TensorView &view = *args.inputs[i];
      for (int d = 0; d < view.rank; ++d)
        if (view.shape[d] < 0)
          fail("argument '{}': negative size in shape {}",
               manifest.inputs[i].name, formatShape(view.shape, view.rank));
    }
    if (manifest.groupedValueHeads &&
        (plan.heads == 0 ? plan.valueHeads != 0
                         : plan.valueHeads % plan.heads != 0))
      fail("argument '{}': its {} heads (HV) must be a multiple of the {} "
           "query/key heads (H) of '{}'",
           valueHeadsFrom, plan.valueHeads, plan.heads, headsFrom);
  }

  void checkInputShapes() {
    for (size_t i = 0; i < manifest.inputs.size(); ++i) {
      const InputSpec &input = manifest.inputs[i];
      Shape expected = {plan.batch, plan.seqLen,
                        input.usesKeyHeads() ? plan.heads : plan.valueHeads};
      if (input.dim)
        expected.push_back(dimValues[*input.dim]);
      NamedTensor tensor{input.name, *args.inputs[i], inputLabels(input)};
      checkShape(tensor, expected);
      given.push_back({tensor, false, input.dim.has_value(),
                       TensorSlot{TensorSlot::Kind::Input, int(i)}});
    }
  }

  void checkInputDTypes() {
    for (size_t i = 0; i < manifest.inputs.size(); ++i) {
      const InputSpec &input = manifest.inputs[i];
      const TensorView &view = *args.inputs[i];
      NamedTensor tensor{input.name, view, inputLabels(input)};
      if (input.dtype) {
        checkDType(tensor, *input.dtype);
        continue;
      }
      if (plan.dtype != DType::Unknown) {
        checkDType(tensor, plan.dtype, fmt::format("as '{}'", dtypeFrom));
        continue;
      }
      if (view.dtype != DType::BFloat16 && view.dtype != DType::Float16)
        fail("argument '{}': dtype {} is not supported; expected bf16 or fp16",
             input.name, dtypeName(view.dtype));
      plan.dtype = view.dtype;
      dtypeFrom = input.name;
    }
  }

  bool matches(const KernelSpec &candidate) const {
    if (plan.dtype != DType::Unknown && candidate.dtype != plan.dtype)
      return false;
    for (size_t d = 0; d < dimValues.size(); ++d)
      if (dimValues[d] >= 0 && candidate.dims[d] != dimValues[d])
        return false;
    return true;
  }

  // The first stage's kernel by the dims the inputs fix and q's dtype; the
  // other stages follow it (chooseStageKernels).
  void chooseKernel() {
    std::vector<int> candidates;
    for (size_t k = 0; k < manifest.kernels.size(); ++k)
      if (manifest.kernels[k].stage == 0 && matches(manifest.kernels[k]))
        candidates.push_back(static_cast<int>(k));
    std::vector<std::string> available;
    for (const KernelSpec &k : manifest.kernels)
      if (k.stage == 0)
        available.push_back(manifest.describeKernel(k));
    std::vector<std::string> asked;
    for (size_t d = 0; d < dimValues.size(); ++d)
      asked.push_back(dimValues[d] < 0
                          ? fmt::format("{}=?", manifest.dims[d])
                          : fmt::format("{}={} (from '{}')", manifest.dims[d],
                                        dimValues[d], dimFrom[d]));
    std::string dtype = plan.dtype == DType::Unknown
                            ? "any dtype"
                            : std::string(dtypeName(plan.dtype));
    if (candidates.empty())
      fail("rule '{}' has no kernel for {} {}; available: {}", manifest.rule,
           fmt::join(asked, " "), dtype, fmt::join(available, "; "));
    if (candidates.size() > 1)
      fail("rule '{}': {} {} leaves the kernel open ({} match); the inputs "
           "must fix every dim",
           manifest.rule, fmt::join(asked, " "), dtype, candidates.size());
    plan.kernelIndex = candidates[0];
    const KernelSpec &kernel = manifest.kernels[plan.kernelIndex];
    plan.dims = kernel.dims;
    if (plan.dtype == DType::Unknown)
      plan.dtype = kernel.dtype;
  }

  // Every later stage runs its kernel of the first one's dims and dtype
  // (the manifest reader makes sure there is one).
  void chooseStageKernels() {
    plan.stages.assign(manifest.stages.size(), StagePlan{});
    plan.stages[0].kernelIndex = plan.kernelIndex;
    for (size_t s = 1; s < manifest.stages.size(); ++s) {
      for (size_t k = 0; k < manifest.kernels.size(); ++k) {
        const KernelSpec &candidate = manifest.kernels[k];
        if (candidate.stage == int(s) && candidate.dims == plan.dims &&
            candidate.dtype == plan.dtype)
          plan.stages[s].kernelIndex = static_cast<int>(k);
      }
      if (plan.stages[s].kernelIndex < 0)
        fail("rule '{}' has no kernel for {} in {}", manifest.rule,
             manifest.describeKernel(manifest.kernels[plan.kernelIndex]),
             manifest.describeStage(s));
    }
  }

  const KernelSpec &stageKernel(size_t stage) const {
    return manifest.kernels[plan.stages[stage].kernelIndex];
  }

  // The shapes the launch allocates the intermediates with.
  void planIntermediates() {
    for (const IntermediateSpec &intermediate : manifest.intermediates) {
      Shape shape = {plan.batch, plan.seqLen, plan.valueHeads};
      if (intermediate.dim)
        shape.push_back(plan.dims[*intermediate.dim]);
      plan.intermediateShapes.push_back(shape);
    }
  }

  void checkCuSeqlens() {
    plan.sequences = plan.batch;
    if (!args.cuSeqlens)
      return;
    const TensorView &offsets = *args.cuSeqlens;
    NamedTensor tensor{"cu_seqlens", offsets, {"N+1"}};
    checkRank(tensor);
    checkDType(tensor, DType::Int32, "the kernel reads int32 offsets");
    if (offsets.shape[0] < 2)
      fail("argument 'cu_seqlens': expected N + 1 >= 2 offsets, got shape {}",
           formatShape(offsets.shape, offsets.rank));
    if (plan.batch != 1)
      fail("argument 'cu_seqlens': with cu_seqlens the sequences are packed "
           "along T and B must be 1, got B = {} (from '{}')",
           plan.batch, batchFrom);
    if (plan.seqLen > INT32_MAX)
      fail("argument 'cu_seqlens': T = {} (from '{}') does not fit the int32 "
           "offsets",
           plan.seqLen, batchFrom);
    given.push_back({tensor, false, false, std::nullopt});
    plan.sequences = offsets.shape[0] - 1;
    if (args.cuSeqlensHost) {
      const TensorView &host = *args.cuSeqlensHost;
      NamedTensor hostTensor{"cu_seqlens_host", host, {"N+1"}};
      checkRank(hostTensor);
      checkShape(hostTensor, {offsets.shape[0]}, "as 'cu_seqlens'");
      if (host.dtype != DType::Int32 && host.dtype != DType::Int64)
        fail("argument 'cu_seqlens_host': expected dtype int32 or int64, got "
             "{}",
             dtypeName(host.dtype));
      if (host.device.type != DeviceType::CPU)
        fail("argument 'cu_seqlens_host': expected a host (cpu) tensor, got "
             "one on {}",
             deviceName(host.device));
      checkData(hostTensor);
      checkCuSeqlensValues(host, plan.seqLen, "cu_seqlens_host", batchFrom);
    } else if (offsets.device.type == DeviceType::CPU) {
      checkData(tensor);
      checkCuSeqlensValues(offsets, plan.seqLen, "cu_seqlens", batchFrom);
    }
  }

  std::string sequencesNote() const {
    return args.cuSeqlens
               ? fmt::format("N = {} sequences from cu_seqlens", plan.sequences)
               : fmt::format("N = B = {} sequences", plan.sequences);
  }

  void checkStates() {
    for (size_t s = 0; s < manifest.states.size(); ++s) {
      const StateSpec &state = manifest.states[s];
      std::vector<std::string> labels = {"N", headLabel(false),
                                         manifest.dims[state.keyDim]};
      Shape shape = {plan.sequences, plan.valueHeads, plan.dims[state.keyDim]};
      if (state.valueDim) {
        labels.push_back(manifest.dims[*state.valueDim]);
        shape.push_back(plan.dims[*state.valueDim]);
      }
      plan.stateShapes.push_back(shape);
      const std::optional<TensorView> *values[2] = {&args.initialStates[s],
                                                    &args.finalStates[s]};
      for (int final = 0; final < 2; ++final) {
        if (!*values[final])
          continue;
        NamedTensor tensor{final ? finalName(s) : initialName(s),
                           **values[final], labels};
        checkRank(tensor);
        checkShape(tensor, shape, sequencesNote());
        checkDType(tensor, DType::Float32, "states are fp32");
        // A vector state is read and written one fp32 element at a time
        // (Based's z [N, H, 273]): its dtype's alignment is enough.
        given.push_back({tensor, final == 1, state.valueDim.has_value(),
                         TensorSlot{final ? TensorSlot::Kind::FinalState
                                          : TensorSlot::Kind::InitialState,
                                    int(s)}});
      }
    }
  }

  void checkOutputs() {
    for (size_t o = 0; o < manifest.outputs.size(); ++o) {
      const OutputSpec &output = manifest.outputs[o];
      std::vector<std::string> labels = {"B", "T", headLabel(false)};
      Shape shape = {plan.batch, plan.seqLen, plan.valueHeads};
      if (output.dim) {
        labels.push_back(manifest.dims[*output.dim]);
        shape.push_back(plan.dims[*output.dim]);
      }
      DType dtype = output.dtype.value_or(plan.dtype);
      plan.outputShapes.push_back(shape);
      plan.outputDTypes.push_back(dtype);
      if (!args.outputs[o])
        continue;
      NamedTensor tensor{output.name, *args.outputs[o], labels};
      checkRank(tensor);
      checkShape(tensor, shape);
      checkDType(tensor, dtype);
      given.push_back({tensor, true, output.dim.has_value(),
                       TensorSlot{TensorSlot::Kind::Output, int(o)}});
    }
  }

  // The tensor a map's slot was checked as, or none if that tensor was not
  // given (or is an intermediate).
  const Given *findGiven(const TensorSlot &slot) const {
    for (const Given &g : given)
      if (g.slot == slot)
        return &g;
    return nullptr;
  }

  // The alignment the kernels that use a tensor ask of it: the largest
  // "alignment" among the stages that read or write it.
  size_t kernelAlignment(const Given &g) const {
    size_t alignment = 0;
    for (size_t s = 0; s < plan.stages.size(); ++s)
      if (g.slot && manifest.stages[s].uses(*g.slot))
        alignment = std::max<size_t>(alignment, stageKernel(s).alignment);
    return alignment;
  }

  void checkLayouts() {
    for (const Given &g : given) {
      checkData(g.tensor);
      checkStrides(g.tensor);
      size_t element = dtypeSize(g.tensor.view.dtype);
      size_t alignment = g.featureTensor
                             ? std::max<size_t>(kernelAlignment(g), element)
                             : element;
      checkAlignment(g.tensor, alignment,
                     alignment > element ? "the kernel" : "its dtype");
      if (g.written)
        checkNoOverlap(g.tensor);
    }
    for (size_t s = 0; s < plan.stages.size(); ++s)
      for (const TensorMapSpec &map : stageKernel(s).tensorMaps) {
        if (map.tensor.kind == TensorSlot::Kind::Intermediate)
          checkIntermediateMap(s, map.tensor.index);
        else if (const Given *g = findGiven(map.tensor))
          checkAlignment(g->tensor, 16, "the kernel's TMA load");
      }
  }

  // The runtime allocates intermediates packed (and 256-byte aligned), so
  // only their shape can break TMA's 16-byte strides: say which size did.
  void checkIntermediateMap(size_t stage, int index) {
    const IntermediateSpec &intermediate = manifest.intermediates[index];
    const Shape &shape = plan.intermediateShapes[index];
    int64_t stride = static_cast<int64_t>(dtypeSize(intermediate.dtype));
    for (size_t d = shape.size() - 1; d > 0; --d) {
      stride *= shape[d]; // that of dim d - 1; any will do where it has one
      if (stride % 16 && shape[d - 1] != 1)
        fail("intermediate '{}' of shape {} has a stride of {} bytes, not a "
             "multiple of the 16 that the TMA load of {} in {} needs",
             intermediate.name, formatShape(shape.data(), int(shape.size())),
             stride, stageKernel(stage).name, manifest.describeStage(stage));
    }
  }

  void checkDevices() {
    const Given &first = given.front();
    plan.device = first.tensor.view.device;
    for (const Given &g : given) {
      Device device = g.tensor.view.device;
      if (device != plan.device)
        fail("argument '{}': on {}, but '{}' is on {}; all tensors must be on "
             "one device",
             g.tensor.name, deviceName(device), first.tensor.name,
             deviceName(plan.device));
    }
    if (stage == Stage::Launch && plan.device.type != DeviceType::CUDA)
      fail("argument '{}': on {}; the kernels run on a CUDA device",
           first.tensor.name, deviceName(plan.device));
  }

  void chooseScale() {
    const ScaleDefault &fallback = manifest.scaleDefault;
    if (args.scale) {
      if (fallback.kind == ScaleDefault::Kind::Unused)
        fail("argument 'scale': rule '{}' has no scale (its spec never uses "
             "`scale`)",
             manifest.rule);
      double scale = *args.scale;
      if (!std::isfinite(scale) || scale <= 0 ||
          !std::isfinite(static_cast<float>(scale)))
        fail("argument 'scale': expected a finite number > 0, got {}", scale);
      plan.scale = static_cast<float>(scale);
      return;
    }
    switch (fallback.kind) {
    case ScaleDefault::Kind::Unused:
      plan.scale = 1;
      break;
    case ScaleDefault::Kind::Constant:
      plan.scale = static_cast<float>(fallback.value);
      break;
    case ScaleDefault::Kind::InverseSqrtDim:
      plan.scale = static_cast<float>(
          1 / std::sqrt(static_cast<double>(plan.dims[fallback.dim])));
      break;
    }
  }

  void computeGrids() {
    for (size_t s = 0; s < plan.stages.size(); ++s)
      plan.stages[s].grid = computeGrid(s);
    plan.grid = plan.stages[0].grid;
    if (plan.heads > INT32_MAX || plan.valueHeads > INT32_MAX ||
        plan.sequences > INT32_MAX)
      fail("H = {}, HV = {} or N = {} does not fit the kernel's int32 fields",
           plan.heads, plan.valueHeads, plan.sequences);
  }

  // "the kernel", or for a staged package "the kernel NAME of stages[1]".
  std::string kernelLabel(size_t stage) const {
    if (!manifest.staged())
      return "the kernel";
    return fmt::format("the kernel {} of {}", stageKernel(stage).name,
                       manifest.describeStage(stage));
  }

  std::array<uint64_t, 3> computeGrid(size_t stage) const {
    static constexpr const char *kAxisNames[] = {"x", "y", "z"};
    const KernelSpec *kernel = &stageKernel(stage);
    std::array<uint64_t, 3> grid = {1, 1, 1};
    for (int a = 0; a < 3; ++a) {
      int64_t extent = 1;
      switch (kernel->grid[a]) {
      case GridAxis::ValueTiles: {
        int64_t values = plan.dims[*manifest.stages[stage].valueDim];
        extent = (values + kernel->valueTile - 1) / kernel->valueTile;
        break;
      }
      case GridAxis::Heads:
        extent = plan.valueHeads;
        break;
      case GridAxis::KeyHeads:
        extent = plan.heads;
        break;
      case GridAxis::Sequences:
        extent = plan.sequences;
        break;
      case GridAxis::Batch:
        extent = plan.batch;
        break;
      case GridAxis::One:
        break;
      }
      int64_t limit = a == 0 ? kMaxGridX : kMaxGridYZ;
      if (extent > limit)
        fail("{}'s grid {} axis ({}) would be {}, above CUDA's limit of {}",
             kernelLabel(stage), kAxisNames[a], gridAxisName(kernel->grid[a]),
             extent, limit);
      grid[a] = static_cast<uint64_t>(extent);
      if (kernel->cluster && extent % (*kernel->cluster)[a])
        fail("{}'s grid {} axis ({}) would be {}, not a multiple of its "
             "cluster size {}",
             kernelLabel(stage), kAxisNames[a], gridAxisName(kernel->grid[a]),
             extent, (*kernel->cluster)[a]);
    }
    return grid;
  }
};

} // namespace

Plan validateArguments(const Manifest &manifest, const Arguments &arguments,
                       Stage stage) {
  return Validator(manifest, arguments, stage).run();
}

} // namespace larc::runtime
