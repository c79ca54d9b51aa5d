// Register fragments of a warpgroup (128 threads, 4 consecutive warps starting
// at a warp index divisible by 4): the fp32 accumulator of wgmma m64nN, and the
// bf16/fp16 A operand of register-sourced (RS) wgmma.
//
// Accumulator layout (PTX ISA "wgmma .m64nNk16 register fragment D"): thread t
// of the warpgroup owns rows r = 16 * (t / 32) + (t % 32) / 4 and r + 8, and in
// every 8-column block j the two columns 8 j + 2 (t % 4) + {0, 1}. Register
// v[4 j + 2 h + e] holds (r + 8 h, 8 j + 2 (t % 4) + e). So a warp owns 16
// rows, a row is shared by the 4 threads of a quad, and each thread holds N / 2
// floats.
//
// The A fragment of a k16 slice has the same layout over its 16 columns, two
// 16-bit values per register, so an accumulator becomes an A operand by
// converting neighbouring pairs in place: no shuffles (the FlashAttention-3
// trick for P·V after Q·Kᵀ).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "larc/cuda/smem.cuh"

namespace larc::gpu {

using bf16 = __nv_bfloat16;
using fp16 = __half;

/// Index of this thread inside its warpgroup (0..127).
__device__ inline int warpgroup_thread() { return int(threadIdx.x % 128); }

/// fp32 accumulator of an m64nN wgmma (N = 8..256, a multiple of 8).
template <int N> struct Accum {
  static_assert(N % 8 == 0 && N >= 8 && N <= 256, "wgmma has N = 8..256");
  static constexpr int kCols = N;
  static constexpr int kRegs = N / 2;
  float v[N / 2];

  /// Row of register i in thread t (0..127) of the warpgroup.
  __host__ __device__ static constexpr int row(int t, int i) {
    return 16 * (t / 32) + (t % 32) / 4 + 8 * ((i / 2) % 2);
  }
  /// Column of register i in thread t.
  __host__ __device__ static constexpr int col(int t, int i) {
    return 8 * (i / 4) + 2 * (t % 4) + (i % 2);
  }
  __device__ void fill(float x) {
#pragma unroll
    for (int i = 0; i < kRegs; ++i)
      v[i] = x;
  }
};

/// A operand of RS wgmma for a [64, K] tile of T (bf16 or fp16): v[s] is the
/// k16 slice s, four registers of two values each (low half = lower column).
template <class T, int K> struct AFrag {
  static_assert(K % 16 == 0, "whole k16 slices");
  static constexpr int kSlices = K / 16;
  uint32_t v[K / 16][4];
};

namespace detail {
// Two values of T packed in 32 bits, first in the low half (cvt.rn.bf16x2.f32
// / cvt.rn.f16x2.f32 for the 16-bit types).
template <class T> struct Pair;
template <> struct Pair<float> {
  using type = float2;
  __device__ static float2 pack(float a, float b) { return make_float2(a, b); }
  __device__ static float2 unpack(float2 p) { return p; }
};
template <> struct Pair<bf16> {
  using type = __nv_bfloat162;
  __device__ static type pack(float a, float b) {
    return __floats2bfloat162_rn(a, b);
  }
  __device__ static float2 unpack(type p) { return __bfloat1622float2(p); }
};
template <> struct Pair<fp16> {
  using type = __half2;
  __device__ static type pack(float a, float b) {
    return __floats2half2_rn(a, b);
  }
  __device__ static float2 unpack(type p) { return __half22float2(p); }
};
template <class T> __device__ inline uint32_t pack_bits(float a, float b) {
  const typename Pair<T>::type p = Pair<T>::pack(a, b);
  return *reinterpret_cast<const uint32_t *>(&p);
}
} // namespace detail

/// The accumulator rounded to T as the A operand of a following RS wgmma
/// (columns of d become the K dimension).
template <class T, int N>
__device__ inline AFrag<T, N> to_afrag(const Accum<N> &d) {
  static_assert(N % 16 == 0, "whole k16 slices");
  AFrag<T, N> a;
#pragma unroll
  for (int s = 0; s < N / 16; ++s)
#pragma unroll
    for (int q = 0; q < 4; ++q)
      a.v[s][q] =
          detail::pack_bits<T>(d.v[8 * s + 2 * q], d.v[8 * s + 2 * q + 1]);
  return a;
}

/// Write the warpgroup's [64, N] accumulator to a row-major array of T
/// (float, bf16, fp16) at `out` with row stride `ld` elements (even): one
/// st.global of a pair (8 or 4 bytes) per two registers.
template <class T, int N>
__device__ inline void store(const Accum<N> &d, T *out, long ld) {
  using P = detail::Pair<T>;
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; i += 2) {
    const long off = long(Accum<N>::row(t, i)) * ld + Accum<N>::col(t, i);
    *reinterpret_cast<typename P::type *>(out + off) =
        P::pack(d.v[i], d.v[i + 1]);
  }
}

/// Write the accumulator into rows [row0, row0 + 64), columns [col0, col0 + N)
/// of a swizzled tile, one st.shared of a pair per two registers (then, for a
/// TMA store: tma::fence_shared_to_async and a barrier).
template <class T, int N, int Rows, int Cols>
__device__ inline void store(const Accum<N> &d,
                             SwizzledTile<T, Rows, Cols> &tile, int row0 = 0,
                             int col0 = 0) {
  using P = detail::Pair<T>;
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; i += 2) {
    T *p = &tile.at(row0 + Accum<N>::row(t, i), col0 + Accum<N>::col(t, i));
    *reinterpret_cast<typename P::type *>(p) = P::pack(d.v[i], d.v[i + 1]);
  }
}

/// Read rows [row0, row0 + 64), columns [col0, col0 + N) of a swizzled tile
/// into an accumulator (e.g. a state tile to update in registers).
template <class T, int N, int Rows, int Cols>
__device__ inline void load(Accum<N> &d,
                            const SwizzledTile<T, Rows, Cols> &tile,
                            int row0 = 0, int col0 = 0) {
  using P = detail::Pair<T>;
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; i += 2) {
    const T *p =
        &tile.at(row0 + Accum<N>::row(t, i), col0 + Accum<N>::col(t, i));
    const float2 f = P::unpack(*reinterpret_cast<const typename P::type *>(p));
    d.v[i] = f.x;
    d.v[i + 1] = f.y;
  }
}

} // namespace larc::gpu
