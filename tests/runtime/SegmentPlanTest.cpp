//===- SegmentPlanTest.cpp - The sequence-split plan: manifest and choice -===//

#include "TestPackages.h"

#include "larc/runtime/Error.h"
#include "larc/runtime/SegmentPlan.h"
#include "larc/runtime/Validate.h"

#include <catch2/catch.hpp>

using namespace larc::runtime;
using namespace larc::test;
using Catch::Matchers::Contains;

namespace {
// The gated-delta manifest whose first kernel has the split plan's kernels.
const char *kSegments =
    R"("value_tile": 64, "segments": {"summary": "gdr_summary",
       "summary_grid_x": 2, "combine": "gdr_combine", "combine_block": [256, 1, 1],
       "combine_grid_x": 4, "workspace_floats": 49152} },)";

std::string withSegments(const std::string &segments = kSegments) {
  std::string text = gatedDeltaManifest();
  const std::string from = R"("value_tile": 64 },)";
  return text.replace(text.find(from), from.size(), segments);
}

// The plan of a valid call of B sequences of T tokens and H heads.
Plan planFor(const Manifest &manifest, int64_t B, int64_t T, int64_t H) {
  return validateArguments(
      manifest, gatedDeltaCall(manifest, B, T, H, 128, 128), Stage::Plan);
}
} // namespace

TEST_CASE("segments: the manifest's split-plan kernels", "[segments]") {
  Manifest m = parse(withSegments());
  REQUIRE(m.kernels[0].segments);
  const SegmentKernels &s = *m.kernels[0].segments;
  CHECK(s.summary == "gdr_summary");
  CHECK(s.combine == "gdr_combine");
  CHECK(s.summaryGridX == 2);
  CHECK(s.combineGridX == 4);
  CHECK(s.combineBlock == std::array<uint32_t, 3>{256, 1, 1});
  CHECK(s.workspaceFloats == 49152);
  CHECK_FALSE(m.kernels[1].segments);
}

TEST_CASE("segments: manifest errors name the key", "[segments]") {
  CHECK_THROWS_WITH(
      parse(withSegments(R"("value_tile": 64, "segments": {"summary": "a",
          "combine": "b"} },)")),
      Contains("workspace_floats"));
  CHECK_THROWS_WITH(
      parse(withSegments(R"("value_tile": 64, "segments": {"summary": "a",
          "combine": "a", "workspace_floats": 8} },)")),
      Contains("summary and combine are both a"));
  CHECK_THROWS_WITH(
      parse(withSegments(R"("value_tile": 64, "segments": {"summary": "a",
          "combine": "b", "workspace_floats": 8, "phases": 3} },)")),
      Contains("phases"));
}

TEST_CASE("segments: split when the grid leaves most SMs idle", "[segments]") {
  Manifest m = parse(withSegments());
  const KernelSpec &kernel = m.kernels[0];
  // B1 T32768 H16: 2 × 16 × 1 CTAs on 132 SMs. 4 segments: 128 CTAs in
  // phase 3, 2 × 16 × 3 = 96 in phase 1 (one wave each).
  Plan longOne = planFor(m, 1, 32768, 16);
  SegmentChoice choice = chooseSegments(kernel, longOne, false, 132, nullptr);
  CHECK(choice.segments == 4);
  CHECK(choice.segmentTokens == 8192);
  // The same on 16 SMs would take as many waves split as not.
  CHECK_FALSE(chooseSegments(kernel, longOne, false, 16, nullptr).split());
  // cu_seqlens: never split.
  CHECK_FALSE(chooseSegments(kernel, longOne, true, 132, nullptr).split());
  // B8 T2048 H16: 256 CTAs already fill the GPU.
  CHECK_FALSE(
      chooseSegments(kernel, planFor(m, 8, 2048, 16), false, 132, nullptr)
          .split());
  // B2 T1000 H2: 8 CTAs; segments of at least 4 chunks, so 4 of 256 tokens
  // (the last one holds 232).
  choice = chooseSegments(kernel, planFor(m, 2, 1000, 2), false, 132, nullptr);
  CHECK(choice.segments == 4);
  CHECK(choice.segmentTokens == 256);
  // A kernel without the split plan.
  CHECK_FALSE(
      chooseSegments(m.kernels[1], longOne, false, 132, nullptr).split());
}

TEST_CASE("segments: LARC_SEGMENTS forces a count", "[segments]") {
  Manifest m = parse(withSegments());
  const KernelSpec &kernel = m.kernels[0];
  Plan plan = planFor(m, 8, 2048, 16);
  SegmentChoice choice = chooseSegments(kernel, plan, false, 132, "5");
  CHECK(choice.segments == 5); // ceil(2048 / 5) = 410 → 448 tokens
  CHECK(choice.segmentTokens == 448);
  CHECK_FALSE(chooseSegments(kernel, plan, false, 132, "1").split());
  CHECK(chooseSegments(kernel, plan, false, 132, "").segments == 1);
  // More segments than chunks: one chunk each.
  choice = chooseSegments(kernel, planFor(m, 1, 130, 1), false, 132, "64");
  CHECK(choice.segments == 3);
  CHECK(choice.segmentTokens == 64);
  CHECK_THROWS_WITH(chooseSegments(kernel, plan, false, 132, "two"),
                    Contains("LARC_SEGMENTS=two"));
  CHECK_THROWS_WITH(chooseSegments(kernel, plan, false, 132, "0"),
                    Contains("from 1 to 4096"));
}
