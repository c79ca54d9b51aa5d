// The sequence-split plan's workspace and its combine step
// (docs/gpu-next.md, "Few long sequences").
//
// Every rule larc compiles updates its state affinely, so a segment of a
// sequence maps its start state to S_end = M S_start + N. Phase 1 (the
// kernel's summary instance) writes N and M for every segment but the last,
// phase 2 (combineSegments, here) chains them, S_start(j + 1) = M_j S_start(j)
// + N_j, and phase 3 (the kernel itself) runs every segment from its S_start.
// M is diag(d) when the rule has no probes (d: the segment's decay per key),
// else a K × K matrix.
#pragma once

#include "larc/runtime/LaunchParams.h"

#include <cstdint>

namespace larc::gpu {

/// The fp32 workspace of the split plan: per segment row z = n · P + j
/// (sequence n, segment j) and value head h, the start state [K, V], the
/// segment's N [K, V] and its M ([K, K], or the diagonal [K]).
template <int K, int V, bool kMatrix> struct SegmentWorkspace {
  static constexpr int64_t kTransitionFloats = kMatrix ? int64_t(K) * K : K;
  /// Floats per (segment, head): the runtime allocates rows × this.
  static constexpr int64_t kFloatsPerRow =
      2 * int64_t(K) * V + kTransitionFloats;

  float *base;
  int64_t rows; // N · P · HV

  __device__ SegmentWorkspace(const LarcLaunchParams &p)
      : base(p.workspace),
        rows(int64_t(p.sequences) * p.segments * p.valueHeads) {}

  __device__ int64_t row(int64_t z, int head, int valueHeads) const {
    return z * valueHeads + head;
  }
  __device__ float *start(int64_t row) const { return base + row * K * V; }
  __device__ float *delta(int64_t row) const {
    return base + (rows + row) * K * V;
  }
  __device__ float *transition(int64_t row) const {
    return base + 2 * rows * K * V + row * kTransitionFloats;
  }
};

/// Phase 2. CTA (x, h, n) chains the segments of sequence n, head h, for the
/// kSegmentColumns value columns from kSegmentColumns · x: S_start(0) is the
/// initial state (or zeros), S_start(j + 1) = M_j S_start(j) + N_j. 256
/// threads; thread t holds column t % 8 of rows t / 8 + 32 i. A K × K M is
/// read 32 rows at a time into shared memory (coalesced, from L2: every CTA
/// of the head reads it), so the step is a small matmul from shared memory.
constexpr int kSegmentColumns = 8;

template <int K, int V, bool kMatrix>
__device__ void combineSegments(const LarcLaunchParams &p, int stateIndex) {
  constexpr int kCols = kSegmentColumns, kBlockRows = 256 / kCols;
  constexpr int kRows = K / kBlockRows; // a thread's rows
  static_assert(K % kBlockRows == 0 && V % kCols == 0 && K % 4 == 0,
                "combineSegments: K % 32, V % 8");
  using Workspace = SegmentWorkspace<K, V, kMatrix>;
  const Workspace ws(p);
  const int col = threadIdx.x % kCols, r0 = threadIdx.x / kCols;
  const int c = kCols * blockIdx.x + col;
  const int head = blockIdx.y;
  const int64_t seq = blockIdx.z;
  const LarcTensorRef &initial = p.initialStates[stateIndex];

  float s[kRows];
  for (int i = 0; i < kRows; ++i) {
    const int k = r0 + kBlockRows * i;
    s[i] =
        initial.data
            ? static_cast<const float *>(
                  initial.data)[seq * initial.strides[0] +
                                head * initial.strides[1] +
                                k * initial.strides[2] + c * initial.strides[3]]
            : 0.0f;
  }
  // S_start(j)'s columns, and 32 rows of M (padded: the 4 rows a warp reads
  // start in different banks).
  __shared__ float slice[kMatrix ? K : 1][kCols];
  __shared__ __align__(16) float rows[kMatrix ? kBlockRows : 1][K + 4];
  for (int j = 0; j < p.segments; ++j) {
    const int64_t row = ws.row(seq * p.segments + j, head, p.valueHeads);
    float *start = ws.start(row);
    for (int i = 0; i < kRows; ++i)
      start[(r0 + kBlockRows * i) * V + c] = s[i];
    if (j + 1 == p.segments)
      break;
    const float *n = ws.delta(row);
    const float *m = ws.transition(row);
    if constexpr (kMatrix) {
      __syncthreads(); // the previous step is done with slice and rows
      for (int i = 0; i < kRows; ++i)
        slice[r0 + kBlockRows * i][col] = s[i];
      for (int i = 0; i < kRows; ++i) { // block i: rows kBlockRows i + [0, 32)
        float acc = n[(r0 + kBlockRows * i) * V + c];
        __syncthreads(); // slice is written; the previous block is read
        const float4 *src =
            reinterpret_cast<const float4 *>(m + int64_t(kBlockRows) * i * K);
        for (int q = threadIdx.x; q < kBlockRows * K / 4; q += 256)
          *reinterpret_cast<float4 *>(&rows[q / (K / 4)][4 * (q % (K / 4))]) =
              src[q];
        __syncthreads();
#pragma unroll 8
        for (int k = 0; k < K; k += 4) {
          const float4 w = *reinterpret_cast<const float4 *>(&rows[r0][k]);
          acc += w.x * slice[k][col] + w.y * slice[k + 1][col] +
                 w.z * slice[k + 2][col] + w.w * slice[k + 3][col];
        }
        s[i] = acc; // slice keeps S_start(j) until the next step
      }
    } else {
      for (int i = 0; i < kRows; ++i) {
        const int k = r0 + kBlockRows * i;
        s[i] = m[k] * s[i] + n[k * V + c];
      }
    }
  }
}

} // namespace larc::gpu
