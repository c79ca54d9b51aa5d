// Fast exponentials and the reductions a chunk kernel needs over warps and
// over the rows of a warpgroup accumulator (larc/cuda/fragment.cuh).
#pragma once

#include "larc/cuda/fragment.cuh"

namespace larc::gpu {

/// 2^x (ex2.approx.ftz.f32: relative error about 2^-22, denormals flushed,
/// 2^-inf = 0). The exponential of choice: fold log2(e) into the inputs.
__device__ inline float exp2_fast(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

/// e^x as 2^(x log2 e): one multiply and ex2.approx; the rounding of the
/// product adds a relative error of about |x| 2^-24.
__device__ inline float exp_fast(float x) {
  return exp2_fast(x * 1.4426950408889634f);
}

struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

/// All-reduce over the 4 lanes of a quad (shfl.sync.bfly 1, 2): in an
/// accumulator these are the threads that share a row.
template <class Op> __device__ inline float quad_allreduce(float x, Op op) {
  x = op(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return op(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

/// All-reduce over each group of Lanes consecutive lanes of a warp (all 32
/// by default: shfl.sync.bfly 16, 8, 4, 2, 1; Lanes = 16 starts at 8).
template <int Lanes = 32, class Op>
__device__ inline float warp_allreduce(float x, Op op) {
  static_assert(Lanes >= 1 && Lanes <= 32 && 32 % Lanes == 0,
                "groups of lanes divide the warp");
#pragma unroll
  for (int m = Lanes / 2; m > 0; m /= 2)
    x = op(x, __shfl_xor_sync(0xffffffffu, x, m));
  return x;
}

/// Inclusive prefix sum over the 32 lanes of a warp (shfl.sync.up 1..16).
__device__ inline float warp_inclusive_sum(float x) {
  const int lane = int(threadIdx.x % 32);
#pragma unroll
  for (int d = 1; d < 32; d *= 2) {
    const float y = __shfl_up_sync(0xffffffffu, x, d);
    if (lane >= d)
      x += y;
  }
  return x;
}

/// Reduce each row of a warpgroup's [64, N] accumulator over its N columns.
/// Every thread gets its two rows (Accum::row of registers 0 and 2): .x for
/// row r, .y for row r + 8. A row lives in one quad, so no shared memory.
template <int N, class Op>
__device__ inline float2 row_reduce(const Accum<N> &d, Op op) {
  float lo = d.v[0], hi = d.v[2];
#pragma unroll
  for (int i = 1; i < N / 2; ++i) {
    if ((i / 2) % 2 == 0)
      lo = op(lo, d.v[i]);
    else if (i != 2)
      hi = op(hi, d.v[i]);
  }
  return make_float2(quad_allreduce(lo, op), quad_allreduce(hi, op));
}

/// Σ_c d[r][c] w[c] for each row of a warpgroup's [64, N] accumulator (w: N
/// floats, e.g. shared memory), as row_reduce returns its rows.
template <int N>
__device__ inline float2 row_dot(const Accum<N> &d, const float *w) {
  float lo = 0.f, hi = 0.f;
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; ++i) {
    const float x = d.v[i] * w[Accum<N>::col(t, i)];
    if ((i / 2) % 2 == 0)
      lo += x;
    else
      hi += x;
  }
  return make_float2(quad_allreduce(lo, SumOp{}), quad_allreduce(hi, SumOp{}));
}

template <int N> __device__ inline float2 row_sum(const Accum<N> &d) {
  return row_reduce(d, SumOp{});
}
template <int N> __device__ inline float2 row_max(const Accum<N> &d) {
  return row_reduce(d, MaxOp{});
}

} // namespace larc::gpu
