//===- Launcher.cpp - Modules per device and the launch itself ------------===//
//
// One module per device, loaded on first use into the device's primary
// context (where PyTorch and the CUDA runtime allocate), and unloaded with
// the package. Before a launch it checks what only the driver can: the
// device's compute capability against the package's arch, that the stream
// belongs to that context, and that every pointer is memory of that device.
//
//===----------------------------------------------------------------------===//

#include "Launcher.h"

#include "larc/runtime/BuildParams.h"
#include "larc/runtime/ChunkTiles.h"
#include "larc/runtime/SegmentPlan.h"

#include "CuSeqlens.h"
#include "Driver.h"
#include "Fail.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

namespace larc::runtime {

static_assert(sizeof(CUtensorMap) == sizeof(LarcTensorMap) &&
                  alignof(CUtensorMap) == alignof(LarcTensorMap),
              "LarcTensorMap must have CUtensorMap's layout");

namespace {

// Makes a context current for the scope.
class ContextScope {
public:
  ContextScope(const DriverApi &api, CUcontext context) : api(api) {
    check(api.ctxPushCurrent(context), "cuCtxPushCurrent");
  }
  ~ContextScope() {
    CUcontext popped;
    api.ctxPopCurrent(&popped);
  }

private:
  const DriverApi &api;
};

// Phases 1 and 2 of a kernel's sequence-split plan.
struct SplitFunctions {
  CUfunction summary = nullptr, combine = nullptr;
};

struct DeviceModule {
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUmodule module = nullptr;
  int smCount = 0;
  std::vector<CUfunction> functions; // per manifest kernel
  std::vector<SplitFunctions> split; // per manifest kernel; null: none
  std::vector<CUfunction> solve;     // per manifest kernel; null: none
};

CUtensorMapDataType tensorMapType(DType dtype) {
  switch (dtype) {
  case DType::BFloat16:
    return CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
  case DType::Float16:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
  case DType::Int32:
    return CU_TENSOR_MAP_DATA_TYPE_INT32;
  default:
    return CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
  }
}

CUtensorMapSwizzle tensorMapSwizzle(uint32_t bytes) {
  switch (bytes) {
  case 32:
    return CU_TENSOR_MAP_SWIZZLE_32B;
  case 64:
    return CU_TENSOR_MAP_SWIZZLE_64B;
  case 128:
    return CU_TENSOR_MAP_SWIZZLE_128B;
  default:
    return CU_TENSOR_MAP_SWIZZLE_NONE;
  }
}

CUtensorMapL2promotion tensorMapL2(uint32_t bytes) {
  switch (bytes) {
  case 64:
    return CU_TENSOR_MAP_L2_PROMOTION_L2_64B;
  case 128:
    return CU_TENSOR_MAP_L2_PROMOTION_L2_128B;
  case 256:
    return CU_TENSOR_MAP_L2_PROMOTION_L2_256B;
  default:
    return CU_TENSOR_MAP_L2_PROMOTION_NONE;
  }
}

} // namespace

struct Launcher::Impl {
  const Manifest &manifest;
  std::string cubin;
  std::mutex mutex;
  std::map<int, DeviceModule> modules; // by device index; nodes are stable

  Impl(const Manifest &manifest, std::string cubin)
      : manifest(manifest), cubin(std::move(cubin)) {}

  void launchStage(const DriverApi &api, const DeviceModule &loaded,
                   const Plan &plan, size_t stage, const Arguments &args,
                   const std::vector<TensorView> &intermediates,
                   CUstream stream);

  ~Impl() {
    if (modules.empty())
      return;
    // The driver may already be shutting down at process exit; a failure
    // to unload then is harmless.
    try {
      const DriverApi &api = driver();
      for (auto &[index, loaded] : modules) {
        if (api.ctxPushCurrent(loaded.context) == CUDA_SUCCESS) {
          api.moduleUnload(loaded.module);
          CUcontext popped;
          api.ctxPopCurrent(&popped);
        }
        api.primaryCtxRelease(loaded.device);
      }
    } catch (const Error &) {
    }
  }

  std::string cubinPath() const {
    return manifest.path.substr(0, manifest.path.rfind('/') + 1) +
           manifest.cubin;
  }

  DeviceModule &moduleFor(const DriverApi &api, int index) {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = modules.find(index); it != modules.end())
      return it->second;
    int count = 0;
    check(api.deviceGetCount(&count), "cuDeviceGetCount");
    if (index < 0 || index >= count)
      fail("the tensors are on cuda:{}, but the driver sees {} device(s)",
           index, count);
    DeviceModule loaded;
    check(api.deviceGet(&loaded.device, index), "cuDeviceGet");
    int major = 0, minor = 0;
    check(api.deviceGetAttribute(&major,
                                 CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                 loaded.device),
          "cuDeviceGetAttribute");
    check(api.deviceGetAttribute(&minor,
                                 CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                 loaded.device),
          "cuDeviceGetAttribute");
    if (!manifest.arch.runsOn(major, minor))
      fail("{}: the package is compiled for {}, but cuda:{} is sm_{}{} "
           "(compute capability {}.{})",
           manifest.path, manifest.arch.name, index, major, minor, major,
           minor);
    check(api.deviceGetAttribute(&loaded.smCount,
                                 CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                                 loaded.device),
          "cuDeviceGetAttribute");
    check(api.primaryCtxRetain(&loaded.context, loaded.device),
          fmt::format("retaining the primary context of cuda:{}", index));
    try {
      ContextScope scope(api, loaded.context);
      check(api.moduleLoadData(&loaded.module, cubin.data()),
            fmt::format("loading {} on cuda:{}", cubinPath(), index));
      try {
        for (const KernelSpec &kernel : manifest.kernels) {
          loaded.functions.push_back(
              loadFunction(api, loaded, kernel.name, kernel.sharedBytes));
          allowCluster(api, loaded.functions.back(), kernel);
          SplitFunctions split;
          if (kernel.segments) {
            split.summary = loadFunction(api, loaded, kernel.segments->summary,
                                         kernel.sharedBytes);
            split.combine =
                loadFunction(api, loaded, kernel.segments->combine, 0);
          }
          loaded.split.push_back(split);
          loaded.solve.push_back(
              kernel.solve ? loadFunction(api, loaded, kernel.solve->name,
                                          kernel.solve->sharedBytes)
                           : nullptr);
        }
      } catch (...) {
        api.moduleUnload(loaded.module);
        throw;
      }
    } catch (...) {
      api.primaryCtxRelease(loaded.device);
      throw;
    }
    return modules.emplace(index, std::move(loaded)).first->second;
  }

  CUfunction loadFunction(const DriverApi &api, const DeviceModule &loaded,
                          const std::string &name, uint32_t sharedBytes) {
    CUfunction function = nullptr;
    CUresult result =
        api.moduleGetFunction(&function, loaded.module, name.c_str());
    if (result == CUDA_ERROR_NOT_FOUND)
      fail("{}: kernel {} is not in {}", manifest.path, name, cubinPath());
    check(result, fmt::format("cuModuleGetFunction({})", name));
    // Above 48 KiB, dynamic shared memory must be opted into per function.
    if (sharedBytes > 48 * 1024)
      check(api.funcSetAttribute(
                function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                static_cast<int>(sharedBytes)),
            fmt::format("allowing {} bytes of shared memory for {}",
                        sharedBytes, name));
    return function;
  }

  void allowCluster(const DriverApi &api, CUfunction function,
                    const KernelSpec &kernel) {
    if (kernel.cluster &&
        (*kernel.cluster)[0] * (*kernel.cluster)[1] * (*kernel.cluster)[2] > 8)
      check(
          api.funcSetAttribute(
              function, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1),
          fmt::format("allowing a non-portable cluster size for {}",
                      kernel.name));
  }

  void checkStream(const DriverApi &api, CUstream stream,
                   const DeviceModule &loaded, int index) {
    if (stream == nullptr || stream == CU_STREAM_LEGACY ||
        stream == CU_STREAM_PER_THREAD)
      return; // these name the current context's default stream
    CUcontext context = nullptr;
    check(api.streamGetCtx(stream, &context),
          "the stream is not a usable CUDA stream: cuStreamGetCtx");
    if (context != loaded.context)
      fail("the stream belongs to another CUDA context than the primary "
           "context of cuda:{}, where the tensors are",
           index);
  }

  void checkPointer(const DriverApi &api, const std::string &name,
                    const std::optional<TensorView> &view, int index) {
    if (!view || !view->data || view->numElements() == 0)
      return;
    int ordinal = -1;
    CUresult result =
        api.pointerGetAttribute(&ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                                reinterpret_cast<CUdeviceptr>(view->data));
    if (result != CUDA_SUCCESS)
      fail("argument '{}': {} is not CUDA device memory (is it on the "
           "host?)",
           name, view->data);
    if (ordinal != index)
      fail("argument '{}': its memory is on cuda:{}, but it was passed as "
           "being on cuda:{}",
           name, ordinal, index);
  }

  void checkPointers(const DriverApi &api, const Arguments &args, int index) {
    for (size_t i = 0; i < args.inputs.size(); ++i)
      checkPointer(api, manifest.inputs[i].name, args.inputs[i], index);
    for (size_t i = 0; i < args.outputs.size(); ++i)
      checkPointer(api, manifest.outputs[i].name, args.outputs[i], index);
    for (size_t s = 0; s < manifest.states.size(); ++s) {
      checkPointer(api, manifest.stateArgumentName(s, false),
                   args.initialStates[s], index);
      checkPointer(api, manifest.stateArgumentName(s, true),
                   args.finalStates[s], index);
    }
    checkPointer(api, "cu_seqlens", args.cuSeqlens, index);
  }

  // The offsets were not checked on the host: copy them (this waits for the
  // stream) and check them now.
  void checkDeviceCuSeqlens(const DriverApi &api, const Plan &plan,
                            const Arguments &args, CUstream stream) {
    int64_t count = args.cuSeqlens->shape[0];
    std::vector<int32_t> host(static_cast<size_t>(count));
    check(api.memcpyDtoHAsync(
              host.data(), reinterpret_cast<CUdeviceptr>(args.cuSeqlens->data),
              host.size() * sizeof(int32_t), stream),
          "copying cu_seqlens to the host");
    check(api.streamSynchronize(stream), "waiting for cu_seqlens");
    TensorView view = TensorView::contiguous(host.data(), DType::Int32, {count},
                                             {DeviceType::CPU, 0});
    checkCuSeqlensValues(view, plan.seqLen, "cu_seqlens",
                         manifest.inputs[0].name);
  }

  void encodeTensorMaps(const DriverApi &api, const KernelSpec &kernel,
                        const Arguments &args,
                        const std::vector<TensorView> &intermediates,
                        LarcLaunchParams &params) {
    for (size_t m = 0; m < kernel.tensorMaps.size(); ++m) {
      const TensorMapSpec &spec = kernel.tensorMaps[m];
      const std::optional<TensorView> view =
          slotTensor(args, intermediates, spec.tensor);
      if (!view || view->numElements() == 0)
        continue; // left zero: the kernel must not load it
      int rank = view->rank;
      size_t element = dtypeSize(view->dtype);
      std::vector<int> order = tensorMapOrder(spec.tensor.kind, rank);
      cuuint64_t dims[5], strides[4];
      cuuint32_t box[5], elementStrides[5];
      // Coordinate i of the map is logical dim order[i]; strides in bytes
      // for all coordinates but the first (contiguous) one.
      for (int i = 0; i < rank; ++i) {
        int d = order[i];
        dims[i] = static_cast<cuuint64_t>(view->shape[d]);
        box[i] = spec.box[d];
        elementStrides[i] = 1;
        if (i == 0)
          continue;
        cuuint64_t stride = static_cast<cuuint64_t>(view->strides[d]) * element;
        // A dim of one element may carry any stride; TMA still wants a
        // multiple of 16, so give it a packed one.
        if (view->shape[d] == 1) {
          cuuint64_t packed = (i == 1 ? element : strides[i - 2]) * dims[i - 1];
          stride = (packed + 15) / 16 * 16;
        }
        strides[i - 1] = stride;
      }
      check(api.tensorMapEncodeTiled(
                reinterpret_cast<CUtensorMap *>(&params.tensorMaps[m]),
                tensorMapType(view->dtype), static_cast<cuuint32_t>(rank),
                view->data, dims, strides, box, elementStrides,
                CU_TENSOR_MAP_INTERLEAVE_NONE,
                tensorMapSwizzle(spec.swizzleBytes),
                tensorMapL2(spec.l2PromotionBytes),
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE),
            fmt::format("encoding the TMA descriptor of '{}' "
                        "({}.tensor_maps[{}])",
                        manifest.slotName(spec.tensor), kernel.name, m));
    }
  }
};

Launcher::Launcher(const Manifest &manifest, std::string cubin)
    : impl(std::make_unique<Impl>(manifest, std::move(cubin))) {}

Launcher::~Launcher() = default;

namespace {

// A stream-ordered device allocation (cuMemAllocAsync) for one call. free()
// frees it on the stream with its error checked; one still held when the
// object goes (a launch threw) is freed unchecked, so the first error stands.
class StreamAllocation {
public:
  StreamAllocation() = default;
  StreamAllocation(const DriverApi &api, CUstream stream, size_t bytes,
                   const std::string &what)
      : api(&api), stream(stream) {
    check(api.memAllocAsync(&ptr, bytes, stream),
          fmt::format("allocating {} ({} bytes)", what, bytes));
  }
  StreamAllocation(StreamAllocation &&other) noexcept {
    *this = std::move(other);
  }
  StreamAllocation &operator=(StreamAllocation &&other) noexcept {
    std::swap(api, other.api);
    std::swap(stream, other.stream);
    std::swap(ptr, other.ptr);
    return *this;
  }
  ~StreamAllocation() {
    if (ptr)
      api->memFreeAsync(ptr, stream);
  }
  template <class T = void> T *get() const {
    return reinterpret_cast<T *>(ptr);
  }
  void free(const std::string &what) {
    if (CUdeviceptr held = std::exchange(ptr, 0))
      check(api->memFreeAsync(held, stream), "freeing " + what);
  }

private:
  const DriverApi *api = nullptr;
  CUstream stream = nullptr;
  CUdeviceptr ptr = 0;
};

// cuLaunchKernelEx's configuration with one attribute, which must outlive it.
CUlaunchConfig launchConfig(const std::array<uint64_t, 3> &grid,
                            const std::array<uint32_t, 3> &block,
                            uint32_t sharedBytes, CUstream stream,
                            CUlaunchAttribute &attribute) {
  CUlaunchConfig config{};
  config.gridDimX = static_cast<unsigned>(grid[0]);
  config.gridDimY = static_cast<unsigned>(grid[1]);
  config.gridDimZ = static_cast<unsigned>(grid[2]);
  config.blockDimX = block[0];
  config.blockDimY = block[1];
  config.blockDimZ = block[2];
  config.sharedMemBytes = sharedBytes;
  config.hStream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  return config;
}

// dependent: the package's kernels wait for the stream's kernel before them
// (KernelSpec::dependentLaunch), so this one may start while it finishes
// (programmatic stream serialization).
void launchGrid(const DriverApi &api, CUfunction function, const char *name,
                const std::array<uint64_t, 3> &grid,
                const std::array<uint32_t, 3> &block, uint32_t sharedBytes,
                CUstream stream, LarcLaunchParams &params, bool dependent) {
  void *kernelArgs[] = {&params};
  std::string what = fmt::format("launching {} with grid [{}, {}, {}]", name,
                                 grid[0], grid[1], grid[2]);
  if (!dependent) {
    check(api.launchKernel(function, static_cast<unsigned>(grid[0]),
                           static_cast<unsigned>(grid[1]),
                           static_cast<unsigned>(grid[2]), block[0], block[1],
                           block[2], sharedBytes, stream, kernelArgs, nullptr),
          what);
    return;
  }
  CUlaunchAttribute serialization{};
  serialization.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  serialization.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig config =
      launchConfig(grid, block, sharedBytes, stream, serialization);
  check(api.launchKernelEx(&config, function, kernelArgs, nullptr), what);
}

// The sequence-split plan: phase 1 (summary) and phase 2 (combine) into a
// stream-ordered fp32 workspace, then the kernel over every segment.
void launchSplit(const DriverApi &api, const KernelSpec &kernel,
                 const DeviceModule &loaded, const StagePlan &stage,
                 const SegmentChoice &choice, CUstream stream,
                 LarcLaunchParams &params) {
  const SegmentKernels &spec = *kernel.segments;
  const SplitFunctions &split = loaded.split[stage.kernelIndex];
  const std::array<uint64_t, 3> &grid = stage.grid;
  const uint64_t segments = static_cast<uint64_t>(choice.segments);
  const uint64_t rows = grid[2] * segments * grid[1];
  const std::string what = "the split plan's workspace";
  StreamAllocation workspace(api, stream,
                             rows * spec.workspaceFloats * sizeof(float), what);
  params.segments = choice.segments;
  params.segmentTokens = static_cast<int32_t>(choice.segmentTokens);
  params.workspace = workspace.get<float>();
  launchGrid(api, split.summary, spec.summary.c_str(),
             {spec.summaryGridX, grid[1], grid[2] * segments}, kernel.block,
             kernel.sharedBytes, stream, params, false);
  launchGrid(api, split.combine, spec.combine.c_str(),
             {spec.combineGridX, grid[1], grid[2]}, spec.combineBlock, 0,
             stream, params, false);
  launchGrid(api, loaded.functions[stage.kernelIndex], kernel.name.c_str(),
             {grid[0], grid[1], grid[2] * segments}, kernel.block,
             kernel.sharedBytes, stream, params, false);
  workspace.free(what);
}

constexpr const char *kSolveTiles = "the solve kernel's tiles";

// The solve kernel: one CTA per chunk slot and value head writes the chunk's
// tile into a stream-ordered allocation that the kernel reads (the caller
// frees it after the kernel). Holds nothing when the call has no chunks.
StreamAllocation launchSolve(const DriverApi &api, const KernelSpec &kernel,
                             CUfunction function, bool varlen, bool dependent,
                             CUstream stream, LarcLaunchParams &params) {
  const SolveKernel &solve = *kernel.solve;
  const uint64_t slots = chunkSlots(kernel.chunkSize, params.batch,
                                    params.seqLen, params.sequences, varlen);
  const uint64_t heads = static_cast<uint64_t>(params.valueHeads);
  if (slots == 0 || heads == 0)
    return {};
  StreamAllocation tiles(api, stream, slots * heads * solve.tileBytes,
                         kSolveTiles);
  params.chunkTiles = tiles.get();
  launchGrid(api, function, solve.name.c_str(), {slots, heads, 1}, solve.block,
             solve.sharedBytes, stream, params, dependent);
  return tiles;
}

// A kernel with a thread-block cluster: cuLaunchKernelEx.
void launchClustered(const DriverApi &api, CUfunction function,
                     const KernelSpec &kernel,
                     const std::array<uint64_t, 3> &grid, CUstream stream,
                     LarcLaunchParams &params) {
  void *kernelArgs[] = {&params};
  std::string what = fmt::format("launching {} with grid [{}, {}, {}]",
                                 kernel.name, grid[0], grid[1], grid[2]);
  CUlaunchAttribute cluster{};
  cluster.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
  cluster.value.clusterDim.x = (*kernel.cluster)[0];
  cluster.value.clusterDim.y = (*kernel.cluster)[1];
  cluster.value.clusterDim.z = (*kernel.cluster)[2];
  CUlaunchConfig config =
      launchConfig(grid, kernel.block, kernel.sharedBytes, stream, cluster);
  check(api.launchKernelEx(&config, function, kernelArgs, nullptr), what);
}

} // namespace

// One stage's kernel: its own parameters and tensor maps, and the split plan
// when that kernel has one and the call pays for it.
void Launcher::Impl::launchStage(const DriverApi &api,
                                 const DeviceModule &loaded, const Plan &plan,
                                 size_t stage, const Arguments &args,
                                 const std::vector<TensorView> &intermediates,
                                 CUstream stream) {
  const StagePlan &stagePlan = plan.stages[stage];
  const KernelSpec &kernel = manifest.kernels[stagePlan.kernelIndex];
  LarcLaunchParams params =
      buildLaunchParams(manifest, plan, args, stage, intermediates);
  encodeTensorMaps(api, kernel, args, intermediates, params);
  SegmentChoice choice =
      chooseSegments(kernel, plan, stagePlan.grid, args.cuSeqlens.has_value(),
                     loaded.smCount, std::getenv(kSegmentsEnv));
  // Dependent launches (KernelSpec::dependentLaunch) save 1-2 us a kernel
  // boundary on the H100, but made the split plan 12 % slower (gated delta
  // B1-T32768, bench/NOTES.md session 13): a split call launches plainly.
  const bool dependent = kernel.dependentLaunch && !choice.split();
  StreamAllocation tiles =
      kernel.solve
          ? launchSolve(api, kernel, loaded.solve[stagePlan.kernelIndex],
                        args.cuSeqlens.has_value(), dependent, stream, params)
          : StreamAllocation();
  CUfunction function = loaded.functions[stagePlan.kernelIndex];
  if (choice.split())
    launchSplit(api, kernel, loaded, stagePlan, choice, stream, params);
  else if (kernel.cluster)
    launchClustered(api, function, kernel, stagePlan.grid, stream, params);
  else
    launchGrid(api, function, kernel.name.c_str(), stagePlan.grid, kernel.block,
               kernel.sharedBytes, stream, params, dependent);
  tiles.free(kSolveTiles);
}

void Launcher::launch(const Plan &plan, const Arguments &args,
                      void *rawStream) {
  const DriverApi &api = driver();
  auto stream = static_cast<CUstream>(rawStream);
  int index = plan.device.index;
  DeviceModule &loaded = impl->moduleFor(api, index);
  ContextScope scope(api, loaded.context);
  impl->checkStream(api, stream, loaded, index);
  impl->checkPointers(api, args, index);
  if (args.copyCuSeqlensToHost && args.cuSeqlens && !args.cuSeqlensHost &&
      args.cuSeqlens->device.type == DeviceType::CUDA)
    impl->checkDeviceCuSeqlens(api, plan, args, stream);
  if (plan.empty())
    return;
  // The intermediates of a staged package: one stream-ordered allocation
  // for the call, freed after its last stage (or on failure).
  const std::string what = "the intermediates";
  const size_t bytes = intermediateBytes(impl->manifest, plan);
  StreamAllocation block =
      bytes ? StreamAllocation(api, stream, bytes, what) : StreamAllocation();
  std::vector<TensorView> intermediates =
      intermediateViews(impl->manifest, plan, block.get());
  for (size_t stage = 0; stage < plan.stages.size(); ++stage)
    impl->launchStage(api, loaded, plan, stage, args, intermediates, stream);
  block.free(what);
}

bool driverAvailable(std::string &why) {
  try {
    driver();
    return true;
  } catch (const Error &error) {
    why = error.what();
    return false;
  }
}

} // namespace larc::runtime
