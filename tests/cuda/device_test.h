// Shared scaffolding of the device unit tests of larc's tile library:
// checked CUDA calls, poisoned device buffers, seeded random bf16-exact data,
// tensor maps through the runtime's driver entry point, a bounded mbarrier
// wait, and the result table. Each test program includes it once.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include "larc/cuda/larc.cuh"
#include "larc/cuda/tensor_map.h"

namespace larc::test {

#define LARC_CHECK_CUDA(call)                                                  \
  do {                                                                         \
    cudaError_t err_ = (call);                                                 \
    if (err_ != cudaSuccess) {                                                 \
      std::fflush(stdout);                                                     \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,       \
                   cudaGetErrorString(err_));                                  \
      std::exit(2);                                                            \
    }                                                                          \
  } while (0)

/// After a launch: the launch error, then the kernel's own (a trap, a fault).
#define LARC_CHECK_LAUNCH()                                                    \
  do {                                                                         \
    LARC_CHECK_CUDA(cudaGetLastError());                                       \
    LARC_CHECK_CUDA(cudaDeviceSynchronize());                                  \
  } while (0)

/// Device array, poisoned with 0xFF bytes (NaN in fp32, bf16 and fp16), so an
/// element the kernel never writes fails every comparison.
template <class T> struct DeviceBuffer {
  T *ptr = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) {
    LARC_CHECK_CUDA(cudaMalloc(&ptr, n * sizeof(T)));
    poison();
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  ~DeviceBuffer() { cudaFree(ptr); }
  void poison() { LARC_CHECK_CUDA(cudaMemset(ptr, 0xFF, n * sizeof(T))); }
  void upload(const std::vector<T> &h) {
    LARC_CHECK_CUDA(
        cudaMemcpy(ptr, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> h(n);
    LARC_CHECK_CUDA(
        cudaMemcpy(h.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
};

/// Fresh inputs every run (METHOD.md); LARC_TEST_SEED reproduces a failure.
inline std::mt19937_64 &rng() {
  static std::mt19937_64 gen = [] {
    const char *env = std::getenv("LARC_TEST_SEED");
    const uint64_t seed =
        env ? std::strtoull(env, nullptr, 0) : std::random_device{}();
    std::printf("seed %llu (rerun with LARC_TEST_SEED=%llu)\n",
                (unsigned long long)seed, (unsigned long long)seed);
    return std::mt19937_64(seed);
  }();
  return gen;
}

inline double uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng());
}

inline float to_float(float x) { return x; }
inline float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
inline float to_float(__half x) { return __half2float(x); }
template <class T> T from_float(float x);
template <> inline float from_float<float>(float x) { return x; }
template <> inline __nv_bfloat16 from_float<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}
template <> inline __half from_float<__half>(float x) {
  return __float2half_rn(x);
}

/// n values uniform in [lo, hi), already rounded to T, so a reference in
/// double sees exactly the values the device sees.
template <class T>
std::vector<T> random_vector(size_t n, double lo = -1, double hi = 1) {
  std::vector<T> v(n);
  for (auto &x : v)
    x = from_float<T>(float(uniform(lo, hi)));
  return v;
}

/// cuTensorMapEncodeTiled from the driver, as the runtime would get it,
/// without linking libcuda.
inline PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void *p = nullptr;
    cudaDriverEntryPointQueryResult q;
    LARC_CHECK_CUDA(cudaGetDriverEntryPointByVersion(
        "cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q));
    if (q != cudaDriverEntryPointSuccess || !p) {
      std::fprintf(stderr, "cuTensorMapEncodeTiled not found in the driver\n");
      std::exit(2);
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  }();
  return fn;
}

inline CUtensorMap make_map(const gpu::TileMapDesc &d) {
  alignas(64) CUtensorMap map;
  const CUresult r = gpu::encode_tile_map(encode_fn(), &map, d);
  if (r != CUDA_SUCCESS) {
    std::fprintf(stderr, "encode_tile_map failed: CUresult %d\n", int(r));
    std::exit(2);
  }
  return map;
}

/// A row-major [rows, cols] matrix with row stride `ld` as a rank-2 map.
inline gpu::TileMapDesc matrix_map(gpu::TileElem e, const void *base,
                                   uint64_t rows, uint64_t cols, uint64_t ld,
                                   uint32_t box_rows) {
  gpu::TileMapDesc d;
  d.elem = e;
  d.base = base;
  d.rank = 2;
  d.dims[0] = cols;
  d.dims[1] = rows;
  d.strides[0] = 1;
  d.strides[1] = ld;
  d.box_rows = box_rows;
  return d;
}

template <class T> constexpr gpu::TileElem elem_of() {
  if constexpr (std::is_same_v<T, float>)
    return gpu::TileElem::F32;
  else if constexpr (std::is_same_v<T, __half>)
    return gpu::TileElem::F16;
  else
    return gpu::TileElem::BF16;
}

/// Bounded wait for the tests: a lost transaction byte traps (a reported
/// launch failure) instead of hanging the run.
__device__ inline void wait_or_trap(gpu::Barrier &bar, uint32_t parity) {
#pragma unroll 1
  for (long i = 0; i < (1l << 26); ++i)
    if (gpu::mbarrier::try_wait(bar, parity))
      return;
  __trap();
}

/// Dynamic shared memory for a kernel, above the 48 KB default when needed.
template <class Kernel> void allow_smem(Kernel k, size_t bytes) {
  LARC_CHECK_CUDA(cudaFuncSetAttribute(
      k, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
}

/// One row of the result table per check.
struct Report {
  struct Row {
    std::string name;
    double max_abs, rel, bound;
    long bad;
    bool ok;
  };
  std::vector<Row> rows;

  /// ‖out − ref‖₂ / ‖ref‖₂ against `bound` (0 demands exact equality); any
  /// non-finite output (a poisoned, unwritten element) fails.
  void check(const std::string &name, const std::vector<double> &out,
             const std::vector<double> &ref, double bound) {
    double num = 0, den = 0, max_abs = 0;
    long bad = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const double e = out[i] - ref[i];
      if (!std::isfinite(out[i]) || (bound == 0 && e != 0))
        ++bad;
      num += e * e;
      den += ref[i] * ref[i];
      max_abs = std::fmax(max_abs, std::fabs(e));
    }
    const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
    const bool ok = out.size() == ref.size() && bad == 0 &&
                    std::isfinite(rel) && rel <= bound;
    rows.push_back({name, max_abs, rel, bound, bad, ok});
  }

  /// Largest elementwise relative error |out − ref| / |ref| against `bound`
  /// (for functions like exp whose values span many orders of magnitude).
  void check_max_rel(const std::string &name, const std::vector<double> &out,
                     const std::vector<double> &ref, double bound) {
    double worst = 0, max_abs = 0;
    long bad = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const double e = std::fabs(out[i] - ref[i]);
      const double r = e / std::fabs(ref[i]);
      if (!std::isfinite(out[i]) || !(r <= bound))
        ++bad;
      worst = std::fmax(worst, r);
      max_abs = std::fmax(max_abs, e);
    }
    rows.push_back({name, max_abs, worst, bound, bad,
                    bad == 0 && out.size() == ref.size()});
  }

  /// A yes/no property (e.g. a barrier's parity on a fresh phase).
  void expect(const std::string &name, bool ok) {
    rows.push_back({name, 0.0, ok ? 0.0 : 1.0, 0.0, ok ? 0L : 1L, ok});
  }

  /// Print the table; the process exit code (0 only if every row passed).
  int finish(const char *program) const {
    int failed = 0;
    std::printf("\n%-44s %11s %11s %9s %6s  %s\n", "check", "max|err|",
                "rel err", "bound", "bad", "result");
    for (const Row &r : rows) {
      std::printf("%-44s %11.3e %11.3e %9.1e %6ld  %s\n", r.name.c_str(),
                  r.max_abs, r.rel, r.bound, r.bad, r.ok ? "ok" : "FAIL");
      failed += !r.ok;
    }
    std::printf("%s: %zu checks, %d failed\n", program, rows.size(), failed);
    return failed ? 1 : 0;
  }
};

template <class T> std::vector<double> as_double(const std::vector<T> &v) {
  std::vector<double> d(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    d[i] = to_float(v[i]);
  return d;
}

} // namespace larc::test
