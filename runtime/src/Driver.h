//===- Driver.h - The CUDA driver API, loaded at run time -----------------===//
//
// libcuda.so.1 is opened with dlopen on first use and its entry points are
// resolved with cuGetProcAddress at the ABI of CUDA 12.0, so the runtime has
// no link-time dependency on the driver: it loads, parses and checks on a
// machine without one, and a launch there fails with "larc: no CUDA driver".
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_SRC_DRIVER_H
#define LARC_RUNTIME_SRC_DRIVER_H

#include <cuda.h>
#include <cudaTypedefs.h>

#include <string>

namespace larc::runtime {

struct DriverApi {
  PFN_cuGetErrorName_v6000 getErrorName;
  PFN_cuGetErrorString_v6000 getErrorString;
  PFN_cuDeviceGet_v2000 deviceGet;
  PFN_cuDeviceGetCount_v2000 deviceGetCount;
  PFN_cuDeviceGetAttribute_v2000 deviceGetAttribute;
  PFN_cuDevicePrimaryCtxRetain_v7000 primaryCtxRetain;
  PFN_cuDevicePrimaryCtxRelease_v11000 primaryCtxRelease;
  PFN_cuCtxPushCurrent_v4000 ctxPushCurrent;
  PFN_cuCtxPopCurrent_v4000 ctxPopCurrent;
  PFN_cuModuleLoadData_v2000 moduleLoadData;
  PFN_cuModuleUnload_v2000 moduleUnload;
  PFN_cuModuleGetFunction_v2000 moduleGetFunction;
  PFN_cuFuncSetAttribute_v9000 funcSetAttribute;
  PFN_cuLaunchKernel_v4000 launchKernel;
  PFN_cuLaunchKernelEx_v11060 launchKernelEx;
  PFN_cuStreamGetCtx_v9020 streamGetCtx;
  PFN_cuStreamSynchronize_v2000 streamSynchronize;
  PFN_cuMemcpyDtoHAsync_v3020 memcpyDtoHAsync;
  PFN_cuPointerGetAttribute_v4000 pointerGetAttribute;
  PFN_cuTensorMapEncodeTiled_v12000 tensorMapEncodeTiled;
  PFN_cuMemAllocAsync_v11020 memAllocAsync; // the split plan's workspace
  PFN_cuMemFreeAsync_v11020 memFreeAsync;
};

// The driver's entry points; throws CudaError("larc: no CUDA driver: ...")
// when libcuda cannot be loaded or initialised (the reason is kept, so every
// call says the same).
const DriverApi &driver();

// Throws CudaError("larc: WHAT: CUDA_ERROR_X (description)") unless ok.
void check(CUresult result, const std::string &what);

} // namespace larc::runtime

#endif // LARC_RUNTIME_SRC_DRIVER_H
