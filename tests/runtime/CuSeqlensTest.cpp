//===- CuSeqlensTest.cpp - Variable-length batches ------------------------===//

#include "TestPackages.h"

#include "larc/runtime/Error.h"
#include "larc/runtime/Validate.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace larc::runtime;
using namespace larc::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {
const Manifest &gdn() {
  static const Manifest manifest = parse(gatedDeltaManifest());
  return manifest;
}

Plan plan(const Arguments &args) {
  return validateArguments(gdn(), args, Stage::Plan);
}

TensorView hostOffsets(std::vector<int32_t> &values) {
  return TensorView::contiguous(values.data(), DType::Int32,
                                {static_cast<int64_t>(values.size())},
                                {DeviceType::CPU, 0});
}

// q, k, v, g, beta for B = 1, T = 100 and device offsets [4] (N = 3).
Arguments packed() {
  Arguments args = gatedDeltaCall(gdn(), 1, 100, 4, 128, 128);
  args.cuSeqlens = cudaTensor(DType::Int32, {4}, 10);
  return args;
}
} // namespace

TEST_CASE("cu_seqlens: N comes from its length", "[cu_seqlens]") {
  Arguments args = packed();
  Plan p = plan(args);
  CHECK(p.sequences == 3);
  CHECK(p.batch == 1);
  CHECK(p.stateShapes[0] == Shape{3, 4, 128, 128});
  CHECK(p.grid == std::array<uint64_t, 3>{2, 4, 3});
}

TEST_CASE("cu_seqlens: its own shape, dtype and place", "[cu_seqlens]") {
  Arguments args = packed();
  SECTION("int64 offsets") {
    args.cuSeqlens = cudaTensor(DType::Int64, {4}, 10);
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens': expected dtype "
                             "int32 (the kernel reads int32 offsets), got "
                             "int64"));
  }
  SECTION("rank") {
    args.cuSeqlens = cudaTensor(DType::Int32, {1, 4}, 10);
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens': expected rank 1 "
                             "[N+1], got rank 2 [1, 4]"));
  }
  SECTION("one offset") {
    args.cuSeqlens = cudaTensor(DType::Int32, {1}, 10);
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens': expected N + 1 >= "
                             "2 offsets, got shape [1]"));
  }
  SECTION("a batch") {
    Arguments batched = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
    batched.cuSeqlens = cudaTensor(DType::Int32, {4}, 10);
    CHECK_THROWS_WITH(plan(batched),
                      Equals("larc: argument 'cu_seqlens': with cu_seqlens "
                             "the sequences are packed along T and B must be "
                             "1, got B = 2 (from 'q')"));
  }
  SECTION("strided") {
    TensorView offsets = cudaTensor(DType::Int32, {4}, 10);
    offsets.strides[0] = 2;
    args.cuSeqlens = offsets;
    CHECK_THROWS_WITH(plan(args),
                      Contains("argument 'cu_seqlens': the innermost dim "
                               "(N+1) must be contiguous"));
  }
  SECTION("on another device") {
    TensorView offsets = cudaTensor(DType::Int32, {4}, 10);
    offsets.device.index = 2;
    args.cuSeqlens = offsets;
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens': on cuda:2, but 'q' "
                             "is on cuda:0; all tensors must be on one "
                             "device"));
  }
  SECTION("a host copy without the offsets") {
    Arguments plain = gatedDeltaCall(gdn(), 1, 100, 4, 128, 128);
    std::vector<int32_t> values = {0, 100};
    plain.cuSeqlensHost = hostOffsets(values);
    CHECK_THROWS_WITH(plan(plain),
                      Equals("larc: argument 'cu_seqlens_host' was given "
                             "without 'cu_seqlens'"));
  }
}

TEST_CASE("cu_seqlens: values are checked from a host copy", "[cu_seqlens]") {
  Arguments args = packed();
  std::vector<int32_t> values = {0, 30, 30, 100};
  args.cuSeqlensHost = hostOffsets(values);
  CHECK(plan(args).sequences == 3); // an empty sequence is fine
  SECTION("start") {
    values[0] = 5;
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens_host': offsets must "
                             "start at 0, got cu_seqlens_host[0] = 5"));
  }
  SECTION("order") {
    values[2] = 20;
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens_host': offsets must "
                             "not decrease, got cu_seqlens_host[2] = 20 after "
                             "cu_seqlens_host[1] = 30"));
  }
  SECTION("end") {
    values[3] = 99;
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens_host': the last "
                             "offset must be T = 100 (the tokens of 'q'), got "
                             "cu_seqlens_host[3] = 99"));
  }
  SECTION("length") {
    std::vector<int32_t> short_ = {0, 100};
    args.cuSeqlensHost = hostOffsets(short_);
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens_host': expected shape "
                             "[N+1] = [4], got [2] (as 'cu_seqlens')"));
  }
  SECTION("int64 host copies, strided") {
    std::vector<int64_t> wide = {0, -1, 60, -1, 70, -1, 100, -1};
    TensorView view = TensorView::contiguous(wide.data(), DType::Int64, {4},
                                             {DeviceType::CPU, 0});
    view.strides[0] = 2;
    args.cuSeqlensHost = view;
    CHECK(plan(args).sequences == 3);
    wide[4] = 50;
    CHECK_THROWS_WITH(plan(args), Contains("offsets must not decrease"));
  }
  SECTION("a host copy without data") {
    TensorView view = hostOffsets(values);
    view.data = nullptr;
    args.cuSeqlensHost = view;
    CHECK_THROWS_WITH(plan(args), Contains("argument 'cu_seqlens_host': the "
                                           "data pointer is null"));
  }
  SECTION("the host copy must be on the host") {
    args.cuSeqlensHost = cudaTensor(DType::Int32, {4}, 11);
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens_host': expected a "
                             "host (cpu) tensor, got one on cuda:0"));
  }
  SECTION("float host copies") {
    std::vector<float> floats = {0, 30, 30, 100};
    args.cuSeqlensHost = TensorView::contiguous(floats.data(), DType::Float32,
                                                {4}, {DeviceType::CPU, 0});
    CHECK_THROWS_WITH(plan(args),
                      Equals("larc: argument 'cu_seqlens_host': expected dtype "
                             "int32 or int64, got fp32"));
  }
}

TEST_CASE("cu_seqlens: host offsets are checked directly", "[cu_seqlens]") {
  // Everything on the host: a plan (not a launch) reads the offsets.
  Arguments args = packed();
  for (auto &input : args.inputs)
    input->device = {DeviceType::CPU, 0};
  std::vector<int32_t> values = {0, 50, 40, 100};
  args.cuSeqlens = hostOffsets(values);
  CHECK_THROWS_WITH(plan(args),
                    Equals("larc: argument 'cu_seqlens': offsets must not "
                           "decrease, got cu_seqlens[2] = 40 after "
                           "cu_seqlens[1] = 50"));
  values[2] = 60;
  CHECK(plan(args).sequences == 3);
}

TEST_CASE("cu_seqlens: states are per sequence", "[cu_seqlens]") {
  Arguments args = packed();
  args.initialState("S", cudaTensor(DType::Float32, {3, 4, 128, 128}, 7));
  CHECK_NOTHROW(plan(args));
  args.initialState("S", cudaTensor(DType::Float32, {1, 4, 128, 128}, 7));
  CHECK_THROWS_WITH(plan(args),
                    Equals("larc: argument 'initial_state': expected shape "
                           "[N, H, K, V] = [3, 4, 128, 128], got [1, 4, 128, "
                           "128] (N = 3 sequences from cu_seqlens)"));
  args.initialStates[0].reset();
  args.finalState("S", cudaTensor(DType::Float32, {4, 4, 128, 128}, 8));
  CHECK_THROWS_WITH(plan(args),
                    Contains("argument 'final_state': expected shape [N, H, "
                             "K, V] = [3, 4, 128, 128]"));
}
