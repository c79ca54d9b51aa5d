//===- SegmentPlan.h - When to split few long sequences -------------------===//
//
// A call with few (sequence, head) pairs fills few SMs: one CTA each, running
// its chunks in order. The sequence-split plan (docs/package-format.md,
// "Plans") runs each sequence as P segments instead: phase 1 summarises every
// segment as S_end = M S_start + N, phase 2 chains the start states, phase 3
// runs the segments in parallel. It does more work (phase 1) for P times the
// CTAs, so it pays only when the grid leaves most SMs idle.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_SEGMENTPLAN_H
#define LARC_RUNTIME_SEGMENTPLAN_H

#include "larc/runtime/Manifest.h"
#include "larc/runtime/Validate.h"

#include <array>
#include <cstdint>

namespace larc::runtime {

struct SegmentChoice {
  int segments = 1;          // P; 1: not split
  int64_t segmentTokens = 0; // L, a multiple of the kernel's chunk size
  bool split() const { return segments > 1; }
};

// The environment variable that forces a number of segments (1: never
// split); unset or empty: chosen by shape.
inline constexpr const char *kSegmentsEnv = "LARC_SEGMENTS";

// P for a call: 1 unless the kernel has the split plan and the call has no
// cu_seqlens; `forced` is LARC_SEGMENTS (or null), `smCount` the device's.
// Unforced, P minimises a cost model of the three phases in waves of CTAs
// (SegmentPlan.cpp) over segments of at least 4 chunks, and the call splits
// only if that saves a fifth of the unsplit time.
SegmentChoice chooseSegments(const KernelSpec &kernel, const Plan &plan,
                             bool varlen, int smCount, const char *forced);
// The same for the kernel of one stage of a staged package, whose grid is
// `grid` (Plan::stages[i].grid) rather than the first stage's.
SegmentChoice chooseSegments(const KernelSpec &kernel, const Plan &plan,
                             const std::array<uint64_t, 3> &grid, bool varlen,
                             int smCount, const char *forced);

} // namespace larc::runtime

#endif // LARC_RUNTIME_SEGMENTPLAN_H
