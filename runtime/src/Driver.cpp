//===- Driver.cpp - The CUDA driver API, loaded at run time ---------------===//

#include "Driver.h"

#include "larc/runtime/Error.h"

#include <fmt/format.h>

#include <dlfcn.h>

namespace larc::runtime {

namespace {

// Entry points at the ABI of this version; our PFN types above match it.
constexpr int kDriverAbi = 12000;

struct LoadedDriver {
  DriverApi api{};
  std::string error; // empty when loaded
};

LoadedDriver loadDriver() {
  LoadedDriver loaded;
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *reason = dlerror();
    loaded.error = fmt::format(
        "larc: no CUDA driver: libcuda.so.1 could not be loaded ({})",
        reason ? reason : "unknown reason");
    return loaded;
  }
  auto init = reinterpret_cast<PFN_cuInit_v2000>(dlsym(library, "cuInit"));
  auto getVersion = reinterpret_cast<PFN_cuDriverGetVersion_v2020>(
      dlsym(library, "cuDriverGetVersion"));
  // cuGetProcAddress_v2 (CUDA 12.0+) also reports whether a symbol was
  // found; the older entry point only whether the call failed.
  auto getProc = reinterpret_cast<PFN_cuGetProcAddress_v12000>(
      dlsym(library, "cuGetProcAddress_v2"));
  auto getProcOld = reinterpret_cast<PFN_cuGetProcAddress_v11030>(
      dlsym(library, "cuGetProcAddress"));
  int version = 0;
  if (!init || !getVersion || (!getProc && !getProcOld) ||
      getVersion(&version) != CUDA_SUCCESS || version < kDriverAbi) {
    loaded.error = fmt::format(
        "larc: no CUDA driver: libcuda.so.1 is too old (version {}.{}); "
        "larc needs a CUDA 12.0 driver or newer",
        version / 1000, version % 1000 / 10);
    return loaded;
  }
  if (CUresult result = init(0); result != CUDA_SUCCESS) {
    loaded.error = fmt::format("larc: no CUDA driver: cuInit failed with "
                               "error {} (is there a GPU, and may this "
                               "process use it?)",
                               static_cast<int>(result));
    return loaded;
  }
  struct Entry {
    const char *name;
    void **slot;
  };
  DriverApi &api = loaded.api;
  const Entry entries[] = {
      {"cuGetErrorName", reinterpret_cast<void **>(&api.getErrorName)},
      {"cuGetErrorString", reinterpret_cast<void **>(&api.getErrorString)},
      {"cuDeviceGet", reinterpret_cast<void **>(&api.deviceGet)},
      {"cuDeviceGetCount", reinterpret_cast<void **>(&api.deviceGetCount)},
      {"cuDeviceGetAttribute",
       reinterpret_cast<void **>(&api.deviceGetAttribute)},
      {"cuDevicePrimaryCtxRetain",
       reinterpret_cast<void **>(&api.primaryCtxRetain)},
      {"cuDevicePrimaryCtxRelease",
       reinterpret_cast<void **>(&api.primaryCtxRelease)},
      {"cuCtxPushCurrent", reinterpret_cast<void **>(&api.ctxPushCurrent)},
      {"cuCtxPopCurrent", reinterpret_cast<void **>(&api.ctxPopCurrent)},
      {"cuModuleLoadData", reinterpret_cast<void **>(&api.moduleLoadData)},
      {"cuModuleUnload", reinterpret_cast<void **>(&api.moduleUnload)},
      {"cuModuleGetFunction",
       reinterpret_cast<void **>(&api.moduleGetFunction)},
      {"cuFuncSetAttribute", reinterpret_cast<void **>(&api.funcSetAttribute)},
      {"cuLaunchKernel", reinterpret_cast<void **>(&api.launchKernel)},
      {"cuLaunchKernelEx", reinterpret_cast<void **>(&api.launchKernelEx)},
      {"cuStreamGetCtx", reinterpret_cast<void **>(&api.streamGetCtx)},
      {"cuStreamSynchronize",
       reinterpret_cast<void **>(&api.streamSynchronize)},
      {"cuMemcpyDtoHAsync", reinterpret_cast<void **>(&api.memcpyDtoHAsync)},
      {"cuPointerGetAttribute",
       reinterpret_cast<void **>(&api.pointerGetAttribute)},
      {"cuTensorMapEncodeTiled",
       reinterpret_cast<void **>(&api.tensorMapEncodeTiled)},
      {"cuMemAllocAsync", reinterpret_cast<void **>(&api.memAllocAsync)},
      {"cuMemFreeAsync", reinterpret_cast<void **>(&api.memFreeAsync)},
  };
  for (const Entry &entry : entries) {
    CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SUCCESS;
    CUresult result = getProc ? getProc(entry.name, entry.slot, kDriverAbi,
                                        CU_GET_PROC_ADDRESS_DEFAULT, &found)
                              : getProcOld(entry.name, entry.slot, kDriverAbi,
                                           CU_GET_PROC_ADDRESS_DEFAULT);
    if (result != CUDA_SUCCESS || found != CU_GET_PROC_ADDRESS_SUCCESS ||
        !*entry.slot) {
      loaded.error = fmt::format(
          "larc: no CUDA driver: libcuda.so.1 lacks {} at the CUDA 12.0 ABI",
          entry.name);
      return loaded;
    }
  }
  return loaded;
}

} // namespace

const DriverApi &driver() {
  // Loaded once; a failure is remembered and reported on every call.
  static const LoadedDriver loaded = loadDriver();
  if (!loaded.error.empty())
    throw CudaError(loaded.error);
  return loaded.api;
}

void check(CUresult result, const std::string &what) {
  if (result == CUDA_SUCCESS)
    return;
  const DriverApi &api = driver();
  const char *name = nullptr, *description = nullptr;
  api.getErrorName(result, &name);
  api.getErrorString(result, &description);
  throw CudaError(fmt::format("larc: {}: {} ({})", what,
                              name ? name : "unknown CUDA error",
                              description ? description : "no description"));
}

} // namespace larc::runtime
