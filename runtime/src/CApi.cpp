//===- CApi.cpp - The runtime's C ABI -------------------------------------===//
//
// Thin: converts C structs to Arguments, calls Package, turns exceptions into
// status codes and a thread-local message. No exception crosses the ABI.
//
//===----------------------------------------------------------------------===//

#include "larc/runtime/CApi.h"

#include "larc/runtime/LaunchParams.h"
#include "larc/runtime/Package.h"

#include "Fail.h"
#include "Launcher.h"

#include <cstring>
#include <string>
#include <vector>

using namespace larc::runtime;

struct LarcPackage {
  std::unique_ptr<Package> package;
  std::vector<std::string> kernelDescriptions;
};

namespace {

thread_local std::string lastError;

template <typename Body> int32_t guarded(Body &&body) {
  try {
    body();
    return LARC_OK;
  } catch (const CudaError &error) {
    lastError = error.what();
    return LARC_ERROR_CUDA;
  } catch (const Error &error) {
    lastError = error.what();
    return LARC_ERROR_INVALID;
  } catch (const std::exception &error) {
    lastError = std::string("larc: internal error: ") + error.what();
    return LARC_ERROR_INTERNAL;
  } catch (...) {
    lastError = "larc: internal error: an unknown exception";
    return LARC_ERROR_INTERNAL;
  }
}

TensorView toView(const std::string &name, const LarcTensor &tensor) {
  if (tensor.rank < 0 || tensor.rank > kMaxRank)
    fail("argument '{}': rank {} is outside [0, {}]", name, tensor.rank,
         kMaxRank);
  if (tensor.deviceType != LARC_DEVICE_CPU &&
      tensor.deviceType != LARC_DEVICE_CUDA)
    fail("argument '{}': unknown device type {}", name, tensor.deviceType);
  TensorView view;
  view.data = tensor.data;
  view.dtype = static_cast<DType>(tensor.dtype);
  if (dtypeSize(view.dtype) == 0)
    view.dtype = DType::Unknown;
  view.rank = tensor.rank;
  for (int d = 0; d < tensor.rank; ++d) {
    view.shape[d] = tensor.shape[d];
    view.strides[d] = tensor.strides[d];
  }
  view.device = {static_cast<DeviceType>(tensor.deviceType),
                 tensor.deviceIndex};
  return view;
}

template <typename Specs>
void fillSlots(std::vector<std::optional<TensorView>> &slots,
               const LarcTensor *const *tensors, const Specs &names) {
  if (!tensors)
    return;
  for (size_t i = 0; i < slots.size(); ++i)
    if (tensors[i])
      slots[i] = toView(names(i), *tensors[i]);
}

Arguments toArguments(const Manifest &manifest, const LarcCall *call) {
  if (!call)
    fail("the call is NULL");
  if (call->numInputs != static_cast<int32_t>(manifest.inputs.size()) ||
      call->numOutputs != static_cast<int32_t>(manifest.outputs.size()) ||
      call->numStates != static_cast<int32_t>(manifest.states.size()))
    fail("the call has {} inputs, {} outputs and {} states, but rule '{}' "
         "has {}, {} and {}",
         call->numInputs, call->numOutputs, call->numStates, manifest.rule,
         manifest.inputs.size(), manifest.outputs.size(),
         manifest.states.size());
  if (call->flags & ~LARC_FLAG_COPY_CU_SEQLENS_TO_HOST)
    fail("unknown flags {:#x} in the call", call->flags);
  Arguments arguments(manifest);
  fillSlots(arguments.inputs, call->inputs,
            [&](size_t i) { return manifest.inputs[i].name; });
  fillSlots(arguments.outputs, call->outputs,
            [&](size_t i) { return manifest.outputs[i].name; });
  fillSlots(arguments.initialStates, call->initialStates,
            [&](size_t i) { return manifest.stateArgumentName(i, false); });
  fillSlots(arguments.finalStates, call->finalStates,
            [&](size_t i) { return manifest.stateArgumentName(i, true); });
  if (call->cuSeqlens)
    arguments.cuSeqlens = toView("cu_seqlens", *call->cuSeqlens);
  if (call->cuSeqlensHost)
    arguments.cuSeqlensHost = toView("cu_seqlens_host", *call->cuSeqlensHost);
  arguments.copyCuSeqlensToHost =
      call->flags & LARC_FLAG_COPY_CU_SEQLENS_TO_HOST;
  if (call->hasScale)
    arguments.scale = call->scale;
  return arguments;
}

void fillShape(const Shape &shape, int32_t &rank, int64_t *dims) {
  rank = static_cast<int32_t>(shape.size());
  for (size_t d = 0; d < 4; ++d)
    dims[d] = d < shape.size() ? shape[d] : 0;
}

void toPlanInfo(const Plan &plan, LarcPlanInfo *info) {
  if (!info)
    return;
  std::memset(info, 0, sizeof(*info));
  info->kernelIndex = plan.kernelIndex;
  info->dtype = static_cast<int32_t>(plan.dtype);
  info->deviceType = static_cast<int32_t>(plan.device.type);
  info->deviceIndex = plan.device.index;
  info->batch = plan.batch;
  info->seqLen = plan.seqLen;
  info->heads = plan.heads;
  info->valueHeads = plan.valueHeads;
  info->sequences = plan.sequences;
  for (int a = 0; a < 3; ++a)
    info->grid[a] = plan.grid[a];
  info->scale = plan.scale;
  info->numOutputs = static_cast<int32_t>(plan.outputShapes.size());
  for (size_t o = 0; o < plan.outputShapes.size(); ++o) {
    fillShape(plan.outputShapes[o], info->outputRanks[o],
              info->outputShapes[o]);
    info->outputDTypes[o] = static_cast<int32_t>(plan.outputDTypes[o]);
  }
  info->numStates = static_cast<int32_t>(plan.stateShapes.size());
  for (size_t s = 0; s < plan.stateShapes.size(); ++s)
    fillShape(plan.stateShapes[s], info->stateRanks[s], info->stateShapes[s]);
}

// Accessors answer NULL (or 0) for a bad index instead of failing.
template <typename Specs>
const char *nameAt(const Specs &specs, int32_t index) {
  if (index < 0 || static_cast<size_t>(index) >= specs.size())
    return nullptr;
  return specs[index].name.c_str();
}

} // namespace

extern "C" {

const char *larcLastError(void) { return lastError.c_str(); }

int32_t larcAbiVersion(void) { return LARC_ABI_VERSION; }

size_t larcStructSize(const char *name) {
  if (!name)
    return 0;
  std::string_view which(name);
  if (which == "LarcTensor")
    return sizeof(LarcTensor);
  if (which == "LarcCall")
    return sizeof(LarcCall);
  if (which == "LarcPlanInfo")
    return sizeof(LarcPlanInfo);
  if (which == "LarcLaunchParams")
    return sizeof(LarcLaunchParams);
  return 0;
}

int32_t larcDriverAvailable(void) {
  std::string why;
  if (driverAvailable(why))
    return LARC_OK;
  lastError = why;
  return LARC_ERROR_CUDA;
}

int32_t larcPackageLoad(const char *directory, LarcPackage **package) {
  return guarded([&] {
    if (!directory || !package)
      fail("larcPackageLoad: directory and package must not be NULL");
    *package = nullptr;
    auto loaded = std::make_unique<LarcPackage>();
    loaded->package = Package::load(directory);
    const Manifest &manifest = loaded->package->getManifest();
    for (const KernelSpec &kernel : manifest.kernels)
      loaded->kernelDescriptions.push_back(manifest.describeKernel(kernel));
    *package = loaded.release();
  });
}

void larcPackageFree(LarcPackage *package) { delete package; }

const char *larcPackageRule(const LarcPackage *package) {
  return package ? package->package->getManifest().rule.c_str() : nullptr;
}

const char *larcPackageDirectory(const LarcPackage *package) {
  return package ? package->package->getDirectory().c_str() : nullptr;
}

int32_t larcPackageUsesScale(const LarcPackage *package) {
  return package && package->package->getManifest().scaleDefault.kind !=
                        ScaleDefault::Kind::Unused;
}

int32_t larcPackageNumInputs(const LarcPackage *package) {
  return package ? static_cast<int32_t>(
                       package->package->getManifest().inputs.size())
                 : 0;
}

const char *larcPackageInputName(const LarcPackage *package, int32_t index) {
  return package ? nameAt(package->package->getManifest().inputs, index)
                 : nullptr;
}

const char *larcPackageInputRole(const LarcPackage *package, int32_t index) {
  if (!package || !nameAt(package->package->getManifest().inputs, index))
    return nullptr;
  // roleName returns views of string literals, so data() is terminated.
  return roleName(package->package->getManifest().inputs[index].role).data();
}

int32_t larcPackageInputDType(const LarcPackage *package, int32_t index) {
  if (!package || !nameAt(package->package->getManifest().inputs, index))
    return LARC_DTYPE_UNKNOWN;
  std::optional<DType> dtype =
      package->package->getManifest().inputs[index].dtype;
  return dtype ? static_cast<int32_t>(*dtype) : LARC_DTYPE_UNKNOWN;
}

int32_t larcPackageNumStates(const LarcPackage *package) {
  return package ? static_cast<int32_t>(
                       package->package->getManifest().states.size())
                 : 0;
}

const char *larcPackageStateName(const LarcPackage *package, int32_t index) {
  return package ? nameAt(package->package->getManifest().states, index)
                 : nullptr;
}

int32_t larcPackageNumOutputs(const LarcPackage *package) {
  return package ? static_cast<int32_t>(
                       package->package->getManifest().outputs.size())
                 : 0;
}

const char *larcPackageOutputName(const LarcPackage *package, int32_t index) {
  return package ? nameAt(package->package->getManifest().outputs, index)
                 : nullptr;
}

int32_t larcPackageNumKernels(const LarcPackage *package) {
  return package ? static_cast<int32_t>(
                       package->package->getManifest().kernels.size())
                 : 0;
}

const char *larcPackageKernelName(const LarcPackage *package, int32_t index) {
  return package ? nameAt(package->package->getManifest().kernels, index)
                 : nullptr;
}

const char *larcPackageKernelDescription(const LarcPackage *package,
                                         int32_t index) {
  if (!package || index < 0 ||
      static_cast<size_t>(index) >= package->kernelDescriptions.size())
    return nullptr;
  return package->kernelDescriptions[index].c_str();
}

int32_t larcPlan(const LarcPackage *package, const LarcCall *call,
                 LarcPlanInfo *plan) {
  return guarded([&] {
    if (!package)
      fail("larcPlan: the package is NULL");
    const Package &loaded = *package->package;
    Plan result = loaded.plan(toArguments(loaded.getManifest(), call));
    toPlanInfo(result, plan);
  });
}

int32_t larcLaunch(LarcPackage *package, const LarcCall *call, void *stream,
                   LarcPlanInfo *plan) {
  return guarded([&] {
    if (!package)
      fail("larcLaunch: the package is NULL");
    Package &loaded = *package->package;
    Plan result =
        loaded.launch(toArguments(loaded.getManifest(), call), stream);
    toPlanInfo(result, plan);
  });
}

} // extern "C"
