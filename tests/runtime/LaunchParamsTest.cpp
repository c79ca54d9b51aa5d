//===- LaunchParamsTest.cpp - The kernel's parameter block ----------------===//

#include "TestPackages.h"

#include "larc/runtime/BuildParams.h"
#include "larc/runtime/CApi.h"
#include "larc/runtime/LaunchParams.h"

#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

using namespace larc::runtime;
using namespace larc::test;

extern "C" size_t larcTestOffsetsFromC(size_t *offsets);

TEST_CASE("launch params: layout 1 is pinned, and C agrees with C++",
          "[params]") {
  // docs/package-format.md lists these offsets; generated kernels rely on
  // them through the header, applications through the ABI.
  const std::vector<size_t> expected = {0,    // inputs[8]
                                        320,  // outputs[4]
                                        480,  // initialStates[4]
                                        640,  // finalStates[4]
                                        800,  // cuSeqlens
                                        808,  // batch
                                        816,  // seqLen
                                        824,  // heads
                                        828,  // valueHeads
                                        832,  // sequences
                                        836,  // scale
                                        840,  // dims[4]
                                        856,  // version
                                        860,  // numTensorMaps
                                        864,  // segments
                                        868,  // segmentTokens
                                        872,  // workspace
                                        880,  // chunkTiles
                                        896,  // tensorMaps[8]
                                        1920, // sizeof
                                        128,  // alignof
                                        sizeof(LarcTensor),
                                        sizeof(LarcCall),
                                        sizeof(LarcPlanInfo)};
  const std::vector<size_t> cpp = {offsetof(LarcLaunchParams, inputs),
                                   offsetof(LarcLaunchParams, outputs),
                                   offsetof(LarcLaunchParams, initialStates),
                                   offsetof(LarcLaunchParams, finalStates),
                                   offsetof(LarcLaunchParams, cuSeqlens),
                                   offsetof(LarcLaunchParams, batch),
                                   offsetof(LarcLaunchParams, seqLen),
                                   offsetof(LarcLaunchParams, heads),
                                   offsetof(LarcLaunchParams, valueHeads),
                                   offsetof(LarcLaunchParams, sequences),
                                   offsetof(LarcLaunchParams, scale),
                                   offsetof(LarcLaunchParams, dims),
                                   offsetof(LarcLaunchParams, version),
                                   offsetof(LarcLaunchParams, numTensorMaps),
                                   offsetof(LarcLaunchParams, segments),
                                   offsetof(LarcLaunchParams, segmentTokens),
                                   offsetof(LarcLaunchParams, workspace),
                                   offsetof(LarcLaunchParams, chunkTiles),
                                   offsetof(LarcLaunchParams, tensorMaps),
                                   sizeof(LarcLaunchParams),
                                   alignof(LarcLaunchParams),
                                   sizeof(LarcTensor),
                                   sizeof(LarcCall),
                                   sizeof(LarcPlanInfo)};
  CHECK(cpp == expected);
  std::vector<size_t> c(32);
  c.resize(larcTestOffsetsFromC(c.data()));
  CHECK(c == expected);
  CHECK(sizeof(LarcTensor) == 152);
  CHECK(sizeof(LarcCall) == 80);
}

TEST_CASE("launch params: filled from a checked call", "[params]") {
  Manifest manifest = parse(gatedDeltaManifest());
  Arguments args = gatedDeltaCall(manifest, 1, 100, 4, 64, 64);
  TensorView q = cudaTensor(DType::BFloat16, {1, 100, 4, 64}, 1);
  q.strides[0] = 100 * 3 * 4 * 64; // q of a packed qkv projection
  q.strides[1] = 3 * 4 * 64;
  args.input("q", q);
  args.output("o", cudaTensor(DType::BFloat16, {1, 100, 4, 64}, 6));
  args.finalState("S", cudaTensor(DType::Float32, {2, 4, 64, 64}, 8));
  args.cuSeqlens = cudaTensor(DType::Int32, {3}, 10);
  args.scale = 0.25;
  Plan plan = validateArguments(manifest, args, Stage::Launch);
  LarcLaunchParams p = buildLaunchParams(manifest, plan, args);
  CHECK(p.version == LARC_LAUNCH_PARAMS_VERSION);
  CHECK(p.inputs[0].data == fakePointer(1));
  CHECK(p.inputs[0].strides[0] == 100 * 768);
  CHECK(p.inputs[0].strides[1] == 768);
  CHECK(p.inputs[0].strides[2] == 64);
  CHECK(p.inputs[0].strides[3] == 1);
  CHECK(p.inputs[3].data == fakePointer(4)); // g [B, T, H]
  CHECK(p.inputs[3].strides[0] == 400);
  CHECK(p.inputs[3].strides[1] == 4);
  CHECK(p.inputs[3].strides[2] == 1);
  CHECK(p.inputs[3].strides[3] == 0);
  CHECK(p.inputs[5].data == nullptr); // unused slots are zero
  CHECK(p.outputs[0].data == fakePointer(6));
  CHECK(p.initialStates[0].data == nullptr); // not given: zeros
  CHECK(p.finalStates[0].data == fakePointer(8));
  CHECK(p.finalStates[0].strides[0] == 4 * 64 * 64);
  CHECK(p.cuSeqlens == fakePointer(10));
  CHECK(p.batch == 1);
  CHECK(p.seqLen == 100);
  CHECK(p.heads == 4);
  CHECK(p.valueHeads == 4);
  CHECK(p.sequences == 2);
  CHECK(p.scale == 0.25f);
  CHECK(p.dims[0] == 64);
  CHECK(p.dims[1] == 64);
  CHECK(p.dims[2] == 0);
  CHECK(p.numTensorMaps == 0);
  for (const LarcTensorMap &map : p.tensorMaps)
    for (uint64_t word : map.opaque)
      CHECK(word == 0);
}
