// Gates and decays of the chunk forms (shared/design.md §2): cumulative
// log-gates b inside a chunk, the decay mask Γ_rs = exp(b_r − b_s) for r ≥ s
// (0 above the diagonal) applied to a Q Kᵀ accumulator, the diag(e^b) row
// scaling, and for per-key decays the column-wise cumsum and the anchored
// elementwise factors of a tile. Gates are natural-log and ≤ 0, so b is
// non-increasing and the scalar forms only take exponents ≤ 0; the anchored
// per-key factors are bounded by e^{−b_C / 2} instead (key_cumsum's limit).
#pragma once

#include <type_traits>

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

/// Calls f(std::integral_constant<int, J>{}) where J is the number of 8-column
/// blocks of a [64, N] accumulator that hold entries at or left of the
/// diagonal (c ≤ r) in this warp's rows 16 w + [0, 16): min(N / 8, 2 w + 2).
/// The warp index is uniform, so a causal mask skips the blocks to the right,
/// all zeros, without computing their factors (3/8 of a 64 × 64 tile's). The
/// solve kernel's L uses it; the chunk loop's score masks do not (four copies
/// of the mask made the gated delta and simple GLA loops 2-3 % slower, H100).
template <int N, class F> __device__ inline void with_lower_blocks(F &&f) {
  constexpr int kAll = N / 8;
  switch (warpgroup_thread() / 32) {
  case 0:
    f(std::integral_constant<int, (kAll < 2 ? kAll : 2)>{});
    break;
  case 1:
    f(std::integral_constant<int, (kAll < 4 ? kAll : 4)>{});
    break;
  case 2:
    f(std::integral_constant<int, (kAll < 6 ? kAll : 6)>{});
    break;
  default:
    f(std::integral_constant<int, (kAll < 8 ? kAll : 8)>{});
  }
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

/// The mask of a readout with a previous-state read or a bonus, on a [64, N]
/// score tile: keep (r, c) for c < r (kStrict: the readout of S_{t−1}) or
/// c ≤ r, times exp(b_row[r] − b_col[c]) when b_row is given; then add
/// bonus[r] on the diagonal when bonus is given (o_r += bonus_r x_r, RWKV-6's
/// u term). Rows and columns are the tile's, from 0.
template <bool kStrict, int N>
__device__ inline void apply_readout_mask(Accum<N> &s, const float *b_row,
                                          const float *b_col,
                                          const float *bonus) {
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; ++i) {
    const int r = Accum<N>::row(t, i), c = Accum<N>::col(t, i);
    const bool keep = kStrict ? c < r : c <= r;
    float x = keep ? s.v[i] : 0.f;
    if (keep && b_row)
      x *= exp_fast(b_row[r] - b_col[c]);
    if (bonus && c == r)
      x += bonus[r];
    s.v[i] = x;
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

/// d[r][c] *= exp(b_last − b[r]): the rows of a tile decayed to the chunk's
/// end (the data of a scalar-decay state update, C ⊙ e^{b_C − b}).
template <int N>
__device__ inline void decay_rows_to_end(Accum<N> &d, const float *b_row,
                                         float b_last) {
  const int t = warpgroup_thread();
  const float lo = exp_fast(b_last - b_row[Accum<N>::row(t, 0)]);
  const float hi = exp_fast(b_last - b_row[Accum<N>::row(t, 2)]);
#pragma unroll
  for (int i = 0; i < N / 2; ++i)
    d.v[i] *= (i / 2) % 2 ? hi : lo;
}

/// d[r][c] *= exp(b[r][col0 + c] − mid[col0 + c]) on a [64, N] tile whose
/// columns are the keys col0 + c: the per-key decay e^{b − m} of an output
/// over keys (o = S p, the state applied to a probe), the anchor m undone.
template <int C, int K, int N>
__device__ inline void scale_keys_exp(Accum<N> &d, const float (&b)[C][K],
                                      const float (&mid)[K], int col0) {
  const int t = warpgroup_thread();
#pragma unroll
  for (int i = 0; i < N / 2; ++i) {
    const int r = Accum<N>::row(t, i), k = col0 + Accum<N>::col(t, i);
    d.v[i] *= exp_fast(b[r][k] - mid[k]);
  }
}

/// b[r][k] = Σ_{i ≤ r} g[r][k] in place over the C rows of a [C, K] fp32
/// array (per-key log-gates), one column per thread k < K; also
/// mid[k] = b[C−1][k] / 2, the anchor of key k (scale_by_key_decay), or NaN
/// where b[C−1][k] < −2 limit: past that the anchored factors leave bf16's
/// range, and NaN makes every output that depends on them loud instead of
/// wrong. The loads run ahead of the serial sum (all C in registers).
template <int C, int K>
__device__ inline void key_cumsum(float (&b)[C][K], float (&mid)[K], int k,
                                  float limit) {
  float x[C];
#pragma unroll
  for (int r = 0; r < C; ++r)
    x[r] = b[r][k];
#pragma unroll
  for (int r = 1; r < C; ++r)
    x[r] += x[r - 1];
#pragma unroll
  for (int r = 0; r < C; ++r)
    b[r][k] = x[r];
  const float m = 0.5f * x[C - 1];
  mid[k] = m >= -limit ? m : __int_as_float(0x7fc00000);
}

/// out = x ⊙ exp(sign · (b − m)) over N consecutive keys (a lane's part of a
/// row): the per-key anchored factors Q ⊙ e^{b − m}, A ⊙ e^{m − b},
/// Y ⊙ e^{b' − m}. b and m point at the lane's first key (16-byte aligned
/// shared memory, 8-byte for N = 2); b == nullptr reads zeros (b' of a chunk's
/// row 0).
template <int N>
__device__ inline void anchor_keys(float (&out)[N], const float (&x)[N],
                                   const float *b, const float *m,
                                   float sign) {
  static_assert(N == 2 || N == 4 || N == 8, "2, 4 or 8 keys a lane");
  constexpr int kPiece = N == 2 ? 2 : 4; // floats a load
  using Vec = std::conditional_t<kPiece == 4, float4, float2>;
  float bv[N], mv[N];
#pragma unroll
  for (int i = 0; i < N; i += kPiece) {
    *reinterpret_cast<Vec *>(mv + i) = *reinterpret_cast<const Vec *>(m + i);
    if (b)
      *reinterpret_cast<Vec *>(bv + i) = *reinterpret_cast<const Vec *>(b + i);
    else
#pragma unroll
      for (int j = 0; j < kPiece; ++j)
        bv[i + j] = 0.f;
  }
#pragma unroll
  for (int j = 0; j < N; ++j)
    out[j] = x[j] * exp_fast(sign * (bv[j] - mv[j]));
}

} // namespace larc::gpu
