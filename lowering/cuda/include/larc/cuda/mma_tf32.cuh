// Warp-level fp32 products on tensor cores: mma.sync m16n8k8 with tf32
// operands, each fp32 operand split in two tf32 parts (x = hi + lo, "3xTF32":
// hi·hi + hi·lo + lo·hi), which keeps about fp32's accuracy (the lo·lo term and
// the parts' truncation are below 2^-20 relative) at three tensor-core steps a
// k8 slice. For the small fp32 block products of the triangular solve, where
// CUDA-core FMAs cost an instruction per multiply-add.
#pragma once

#include <cstdint>

namespace larc::gpu {

/// x's top 19 bits (sign, exponent, 10 mantissa bits): x truncated to tf32,
/// the bits mma reads. One LOP3, where cvt.rna.tf32.f32 (round to nearest)
/// takes four instructions on sm_90.
__device__ inline uint32_t truncate_tf32(float x) {
  return __float_as_uint(x) & 0xffffe000u;
}

/// x ≈ hi + lo in two tf32 parts: hi = x truncated, x − hi exactly (the low
/// 13 bits of x's mantissa), then truncated to lo, which drops at most 2^-20
/// of |x|. Three instructions; splitting was most of the solve's product
/// instructions with round-to-nearest conversions.
__device__ inline void split_tf32(float x, uint32_t &hi, uint32_t &lo) {
  hi = truncate_tf32(x);
  lo = truncate_tf32(x - __uint_as_float(hi));
}

/// d += a b on one m16n8k8 tile (a: 16×8 row-major fragment, b: 8×8
/// column-major fragment; PTX ISA "Matrix Fragments for mma.m16n8k8").
__device__ inline void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4],
                                        const uint32_t (&b)[2]) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]));
}

/// One warp's 16×(8 N) strip of A B for row-major fp32 A [16, K] and B
/// [K, 8 N] in shared memory (a and b at the strip's first elements, rows
/// `pitch` floats apart; a pitch of 4 mod 32 floats loads the fragments
/// without bank conflicts): N m16n8 tiles side by side, which share A's
/// fragments and their split. Lane (g, t) = (lane / 4, lane % 4) gets, of
/// tile j (columns 8 j + [0, 8)), d[j][0..1] = row g, columns 2 t and 2 t + 1,
/// and d[j][2..3] the same of row g + 8.
template <int K, int Pitch, int N>
__device__ inline void
warp_strip_product_3xtf32(float (&d)[N][4], const float *a, const float *b) {
  static_assert(K % 8 == 0, "whole k8 steps");
  const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
#pragma unroll
  for (int j = 0; j < N; ++j)
#pragma unroll
    for (int i = 0; i < 4; ++i)
      d[j][i] = 0.0f;
#pragma unroll
  for (int k = 0; k < K; k += 8) {
    uint32_t ah[4], al[4];
    split_tf32(a[g * Pitch + k + t], ah[0], al[0]);
    split_tf32(a[(g + 8) * Pitch + k + t], ah[1], al[1]);
    split_tf32(a[g * Pitch + k + t + 4], ah[2], al[2]);
    split_tf32(a[(g + 8) * Pitch + k + t + 4], ah[3], al[3]);
#pragma unroll
    for (int j = 0; j < N; ++j) {
      uint32_t bh[2], bl[2];
      split_tf32(b[(k + t) * Pitch + 8 * j + g], bh[0], bl[0]);
      split_tf32(b[(k + t + 4) * Pitch + 8 * j + g], bh[1], bl[1]);
      mma_m16n8k8_tf32(d[j], al, bh); // small terms first
      mma_m16n8k8_tf32(d[j], ah, bl);
      mma_m16n8k8_tf32(d[j], ah, bh);
    }
  }
}

} // namespace larc::gpu
