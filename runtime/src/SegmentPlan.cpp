//===- SegmentPlan.cpp - When to split few long sequences -----------------===//

#include "larc/runtime/SegmentPlan.h"

#include "Fail.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace larc::runtime {

namespace {
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int parseForced(const char *text) {
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > 4096)
    fail("{}={}: expected a number of segments from 1 to 4096 (1: never "
         "split), or nothing to choose by shape",
         kSegmentsEnv, text);
  return static_cast<int>(value);
}

// The time of a call in steps (one chunk of one CTA), one CTA per SM.
// Unsplit: the chunks, in waves of the kernel's CTAs. Split into P segments:
// phase 1 in waves of its CTAs, a summary chunk costing about 0.75 of a
// whole one (no outputs; 0.6 to 0.8 measured on the H100), then phase 3 in
// waves of P times the kernel's CTAs, and half a step per segment for
// phase 2 (P steps in order) and the launches.
double cost(const KernelSpec &kernel, const std::array<uint64_t, 3> &grid,
            int64_t chunks, int64_t segments, int smCount) {
  auto waves = [&](int64_t ctas) { return double(ceilDiv(ctas, smCount)); };
  const int64_t ctas = int64_t(grid[0]) * grid[1] * grid[2];
  if (segments == 1)
    return chunks * waves(ctas);
  const int64_t summaryCtas = int64_t(kernel.segments->summaryGridX) * grid[1] *
                              grid[2] * (segments - 1);
  return ceilDiv(chunks, segments) *
             (0.75 * waves(summaryCtas) + waves(ctas * segments)) +
         0.5 * segments;
}
} // namespace

SegmentChoice chooseSegments(const KernelSpec &kernel, const Plan &plan,
                             bool varlen, int smCount, const char *forced) {
  return chooseSegments(kernel, plan, plan.grid, varlen, smCount, forced);
}

SegmentChoice chooseSegments(const KernelSpec &kernel, const Plan &plan,
                             const std::array<uint64_t, 3> &grid, bool varlen,
                             int smCount, const char *forced) {
  SegmentChoice choice;
  const int64_t chunk = std::max<int64_t>(kernel.chunkSize, 1);
  if (!kernel.segments || kernel.cluster || varlen || plan.seqLen <= chunk ||
      grid[0] * grid[1] * grid[2] == 0 || smCount < 1)
    return choice;
  const int64_t chunks = ceilDiv(plan.seqLen, chunk);
  int64_t wanted = 1;
  if (forced && *forced) {
    wanted = std::min<int64_t>(parseForced(forced), chunks);
  } else {
    // The cheapest P by the model above, with segments of at least 4 chunks;
    // split only if that saves a fifth of the unsplit time.
    const double unsplit = cost(kernel, grid, chunks, 1, smCount);
    double best = 0.8 * unsplit;
    for (int64_t p = 2; p <= std::min<int64_t>(chunks / 4, 256); ++p)
      if (double c = cost(kernel, grid, chunks, p, smCount); c < best) {
        best = c;
        wanted = p;
      }
  }
  if (wanted < 2)
    return choice;
  choice.segmentTokens = ceilDiv(ceilDiv(plan.seqLen, wanted), chunk) * chunk;
  choice.segments =
      static_cast<int>(ceilDiv(plan.seqLen, choice.segmentTokens));
  if (choice.segments < 2)
    return SegmentChoice{};
  return choice;
}

} // namespace larc::runtime
