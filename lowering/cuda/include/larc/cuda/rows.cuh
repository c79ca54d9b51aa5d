// Row-wise work on bf16 tiles in shared memory, 16 or 8 bytes at a time: the
// pack/unpack/load of bf16 pairs, and a per-row scaling of a whole swizzled tile
// by a block's threads (e.g. A ⊙ e^{b_C − b}: every row times its own decay).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <type_traits>

#include "larc/cuda/fragment.cuh"
#include "larc/cuda/smem.cuh"

namespace larc::gpu {

/// Two floats as a bf16 pair in one 32-bit word (round to nearest), the
/// lower one first.
__device__ inline uint32_t pack_bf16(float lo, float hi) {
  return detail::pack_bits<__nv_bfloat16>(lo, hi);
}

/// Two bf16 of one 32-bit word as floats (exact), the lower one first.
__device__ inline float2 unpack_bf16(uint32_t word) {
  return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(&word));
}

/// 2 or 4 consecutive bf16 (one 32- or 64-bit word) as floats.
__device__ inline void unpack_bf16(float (&x)[2], uint32_t word) {
  const float2 f = unpack_bf16(word);
  x[0] = f.x;
  x[1] = f.y;
}
__device__ inline void unpack_bf16(float (&x)[4], uint2 words) {
  const float2 lo = unpack_bf16(words.x), hi = unpack_bf16(words.y);
  x[0] = lo.x;
  x[1] = lo.y;
  x[2] = hi.x;
  x[3] = hi.y;
}

__device__ inline void unpack_bf16(float (&x)[8], uint4 words) {
  const uint32_t w[4] = {words.x, words.y, words.z, words.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = unpack_bf16(w[i]);
    x[2 * i] = f.x;
    x[2 * i + 1] = f.y;
  }
}

/// N = 2, 4 or 8 consecutive bf16 at `p` (global or shared; 4-, 8- or
/// 16-byte aligned) as floats, in one load.
template <int N>
__device__ inline void load_bf16(float (&x)[N], const __nv_bfloat16 *p) {
  static_assert(N == 2 || N == 4 || N == 8, "one 32-, 64- or 128-bit word");
  using Word = std::conditional_t<N == 8, uint4,
                                  std::conditional_t<N == 4, uint2, uint32_t>>;
  unpack_bf16(x, *reinterpret_cast<const Word *>(p));
}

/// How Lanes consecutive lanes (2 to 32; 32 / Lanes rows a warp) hold a row
/// of Lanes N elements (N even), N per lane: in groups of G consecutive
/// elements, group g of lane l at column G (Lanes g + l). Up to 8 elements
/// (N = 2, 4 or 8) are one group, [N l, N l + N): one 16-byte load or store
/// at most. More are groups of 4 (2 where N is not a multiple of 4), so a
/// group never crosses a 16-byte swizzle chunk and the lanes store whole
/// 128-byte rows.
template <int N, int Lanes = 32> struct LaneRow {
  static_assert(N % 2 == 0, "rows of whole 64-element blocks");
  static_assert(Lanes >= 2 && Lanes <= 32 && 32 % Lanes == 0,
                "a row's lanes divide the warp");
  /// Lane l holds columns [N l, N l + N).
  static constexpr bool kContiguous = N == 2 || N == 4 || N == 8;
  static constexpr int kGroup = kContiguous ? N : N % 4 == 0 ? 4 : 2;
  static constexpr int kGroups = N / kGroup;
  /// The column of element j of lane `lane` (of the row's lanes).
  __host__ __device__ static constexpr int column(int lane, int j) {
    return kGroup * (Lanes * (j / kGroup) + lane) + j % kGroup;
  }
};

/// Row r of a [Rows, Cols] bf16 tile times factor(r), for every row, by
/// Threads threads (thread = 0..Threads-1, e.g. one or two warpgroups):
/// thread t takes row t / (Threads / Rows) and every (Threads / Rows)-th
/// 16-byte chunk of it, so `factor` runs once per thread. A row of fewer
/// 16-byte chunks than that (a 16-wide feature tile) takes one thread per
/// chunk, and the threads past them do nothing.
template <int Threads, int Rows, int Cols, class Factor>
__device__ inline void scale_rows(SwizzledTile<__nv_bfloat16, Rows, Cols> &tile,
                                  Factor factor, int thread) {
  static_assert(Threads % Rows == 0 && Cols % 8 == 0, "whole rows per thread");
  constexpr int kThreadsPerRow =
      8 * (Threads / Rows) <= Cols ? Threads / Rows : Cols / 8;
  static_assert(Cols % (8 * kThreadsPerRow) == 0, "whole chunks per thread");
  if (thread >= Rows * kThreadsPerRow)
    return;
  const int r = thread / kThreadsPerRow;
  const float f = factor(r);
#pragma unroll
  for (int c = 8 * (thread % kThreadsPerRow); c < Cols;
       c += 8 * kThreadsPerRow) {
    uint4 &chunk = *reinterpret_cast<uint4 *>(&tile.at(r, c));
    uint4 v = chunk;
    uint32_t *w = reinterpret_cast<uint32_t *>(&v);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 x = unpack_bf16(w[i]);
      w[i] = pack_bf16(x.x * f, x.y * f);
    }
    chunk = v;
  }
}

} // namespace larc::gpu
