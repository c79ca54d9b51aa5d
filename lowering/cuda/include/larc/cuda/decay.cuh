// Gates and decays of the chunk forms (shared/design.md §2): cumulative
// log-gates b inside a chunk, the decay mask Γ_rs = exp(b_r − b_s) for r ≥ s
// (0 above the diagonal) applied to a Q Kᵀ accumulator, and the diag(e^b) row
// scaling. Gates are natural-log and ≤ 0, so b is non-increasing and every
// exponent taken here on a kept entry is ≤ 0: no overflow, as §2 requires.
#pragma once

#include "larc/cuda/fragment.cuh"
#include "larc/cuda/math.cuh"

namespace larc::gpu {

/// out[r] = Σ_{i ≤ r} in[i] over C values (C a multiple of 32) in shared
/// memory, run by one whole warp; `in` may equal `out`. Lane l owns the C/32
/// consecutive values from l·C/32: a serial scan, then a warp scan of totals.
template <int C>
__device__ inline void warp_cumsum(const float *in, float *out) {
  static_assert(C % 32 == 0, "whole lanes");
  constexpr int kPer = C / 32;
  const int lane = int(threadIdx.x % 32);
  float x[kPer];
  float run = 0.f;
#pragma unroll
  for (int j = 0; j < kPer; ++j) {
    run += in[lane * kPer + j];
    x[j] = run;
  }
  const float before = warp_inclusive_sum(run) - run;
#pragma unroll
  for (int j = 0; j < kPer; ++j)
    out[lane * kPer + j] = x[j] + before;
}

/// Zero the entries of a [64, N] accumulator tile above the diagonal: keep
/// (r, c) where row0 + r ≥ col0 + c (row0, col0: the tile's token offsets).
template <int N>
__device__ inline void apply_causal_mask(Accum<N> &s, int row0 = 0,
                                         int col0 = 0) {
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; ++i)
    if (row0 + Accum<N>::row(t, i) < col0 + Accum<N>::col(t, i))
      s.v[i] = 0.f;
}

/// s ⊙ Γ on a [64, N] tile: s[r][c] · exp(b_row[r] − b_col[c]) where
/// row0 + r ≥ col0 + c, else 0. b_row/b_col: cumulative log-gates of the
/// tile's rows and columns (shared memory or registers' source), indexed from
/// the tile's first row/column.
template <int N>
__device__ inline void apply_decay_mask(Accum<N> &s, const float *b_row,
                                        const float *b_col, int row0 = 0,
                                        int col0 = 0) {
  const int t = warpgroup_thread();
  const float b_lo = b_row[Accum<N>::row(t, 0)],
              b_hi = b_row[Accum<N>::row(t, 2)];
#pragma unroll
  for (int i = 0; i < N / 2; ++i) {
    const int r = Accum<N>::row(t, i), c = Accum<N>::col(t, i);
    const float g = exp_fast(((i / 2) % 2 ? b_hi : b_lo) - b_col[c]);
    s.v[i] = row0 + r >= col0 + c ? s.v[i] * g : 0.f;
  }
}

/// d[r][:] *= exp(b_row[r]): diag(e^b) on the left, e.g. diag(e^b) Q S_0.
template <int N>
__device__ inline void scale_rows_exp(Accum<N> &d, const float *b_row) {
  const int t = warpgroup_thread();
  const float lo = exp_fast(b_row[Accum<N>::row(t, 0)]);
  const float hi = exp_fast(b_row[Accum<N>::row(t, 2)]);
#pragma unroll
  for (int i = 0; i < N / 2; ++i)
    d.v[i] *= (i / 2) % 2 ? hi : lo;
}

} // namespace larc::gpu
