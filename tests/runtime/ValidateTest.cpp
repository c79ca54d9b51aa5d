//===- ValidateTest.cpp - Argument checks and the plan --------------------===//

#include "TestPackages.h"

#include "larc/runtime/Error.h"
#include "larc/runtime/Validate.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace larc::runtime;
using namespace larc::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {
Plan plan(const Manifest &manifest, const Arguments &args) {
  return validateArguments(manifest, args, Stage::Plan);
}
Plan launchCheck(const Manifest &manifest, const Arguments &args) {
  return validateArguments(manifest, args, Stage::Launch);
}
const Manifest &gdn() {
  static const Manifest manifest = parse(gatedDeltaManifest());
  return manifest;
}
} // namespace

TEST_CASE("validate: a good call and its plan", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  Plan p = plan(gdn(), args);
  CHECK(p.kernelIndex == 0);
  CHECK(p.dtype == DType::BFloat16);
  CHECK(p.device == Device{DeviceType::CUDA, 0});
  CHECK(p.batch == 2);
  CHECK(p.seqLen == 100);
  CHECK(p.heads == 4);
  CHECK(p.valueHeads == 4);
  CHECK(p.sequences == 2);
  CHECK(p.dims == std::vector<int64_t>{128, 128});
  CHECK(p.scale == Approx(1 / std::sqrt(128.0)));
  REQUIRE(p.outputShapes.size() == 1);
  CHECK(p.outputShapes[0] == Shape{2, 100, 4, 128});
  CHECK(p.outputDTypes[0] == DType::BFloat16);
  REQUIRE(p.stateShapes.size() == 1);
  CHECK(p.stateShapes[0] == Shape{2, 4, 128, 128});
  // value_tiles = 128 / 64, heads, sequences.
  CHECK(p.grid == std::array<uint64_t, 3>{2, 4, 2});
  CHECK_FALSE(p.empty());
}

TEST_CASE("validate: kernels are chosen by dims and dtype", "[validate]") {
  CHECK(plan(gdn(), gatedDeltaCall(gdn(), 1, 7, 2, 64, 64)).kernelIndex == 1);
  Arguments half(gdn());
  half.input("q", cudaTensor(DType::Float16, {1, 7, 2, 128}, 1))
      .input("k", cudaTensor(DType::Float16, {1, 7, 2, 128}, 2))
      .input("v", cudaTensor(DType::Float16, {1, 7, 2, 128}, 3))
      .input("g", cudaTensor(DType::Float32, {1, 7, 2}, 4))
      .input("beta", cudaTensor(DType::Float16, {1, 7, 2}, 5));
  Plan p = plan(gdn(), half);
  CHECK(p.kernelIndex == 2);
  CHECK(p.outputDTypes[0] == DType::Float16);
  CHECK_THROWS_WITH(
      plan(gdn(), gatedDeltaCall(gdn(), 2, 100, 4, 96, 128)),
      Equals("larc: rule 'gated_delta_rule' has no kernel for K=96 (from 'q') "
             "V=128 (from 'v') bf16; available: K=128 V=128 bf16; K=64 V=64 "
             "bf16; K=128 V=128 fp16"));
}

TEST_CASE("validate: presence and names", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  args.inputs[3].reset();
  CHECK_THROWS_WITH(plan(gdn(), args),
                    Equals("larc: argument 'g' (log_gate) is required by rule "
                           "'gated_delta_rule' but was not given"));
  CHECK_THROWS_WITH(
      args.input("gk", cudaTensor(DType::Float32, {2, 100, 4}, 9)),
      Equals("larc: rule 'gated_delta_rule' has no input 'gk' (its inputs: "
             "q, k, v, g, beta)"));
  CHECK_THROWS_WITH(
      args.finalState("h", cudaTensor(DType::Float32, {1}, 9)),
      Equals("larc: rule 'gated_delta_rule' has no state 'h' (its states: "
             "S)"));
  CHECK_THROWS_WITH(args.output("out", cudaTensor(DType::Float32, {1}, 9)),
                    Equals("larc: rule 'gated_delta_rule' has no output 'out' "
                           "(its outputs: o)"));
  Arguments other(parse(linearAttentionManifest()));
  CHECK_THROWS_WITH(plan(gdn(), other),
                    Contains("the arguments were made for another package"));
}

TEST_CASE("validate: ranks and shapes", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  SECTION("the example of the issue") {
    args.input("k", cudaTensor(DType::BFloat16, {2, 100, 4, 64}, 2));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'k': expected shape [B, T, H, K] "
                             "= [2, 100, 4, 128], got [2, 100, 4, 64]"));
  }
  SECTION("rank") {
    args.input("v", cudaTensor(DType::BFloat16, {2, 100, 512}, 3));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'v': expected rank 4 [B, T, H, "
                             "V], got rank 3 [2, 100, 512]"));
  }
  SECTION("a gate with a feature dim") {
    args.input("g", cudaTensor(DType::Float32, {2, 100, 4, 128}, 4));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'g': expected rank 3 [B, T, H], "
                             "got rank 4 [2, 100, 4, 128]"));
  }
  SECTION("T differs") {
    args.input("beta", cudaTensor(DType::BFloat16, {2, 99, 4}, 5));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'beta': expected shape [B, T, H] "
                             "= [2, 100, 4], got [2, 99, 4]"));
  }
  SECTION("more value heads without grouping") {
    args.input("v", cudaTensor(DType::BFloat16, {2, 100, 8, 128}, 3));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'v': expected shape [B, T, H, V] "
                             "= [2, 100, 4, 128], got [2, 100, 8, 128]"));
  }
  SECTION("negative sizes") {
    TensorView q = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 1);
    q.shape[1] = -1;
    args.input("q", q);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'q': negative size in shape [2, "
                             "-1, 4, 128]"));
  }
}

TEST_CASE("validate: grouped value heads", "[validate]") {
  std::string text = gatedDeltaManifest();
  text.replace(text.find("\"scale_default\""), 15,
               "\"grouped_value_heads\": true, \"scale_default\"");
  Manifest grouped = parse(text);
  Arguments args(grouped);
  args.input("q", cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 1))
      .input("k", cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 2))
      .input("v", cudaTensor(DType::BFloat16, {2, 100, 8, 128}, 3))
      .input("g", cudaTensor(DType::Float32, {2, 100, 8}, 4))
      .input("beta", cudaTensor(DType::BFloat16, {2, 100, 8}, 5));
  Plan p = plan(grouped, args);
  CHECK(p.heads == 4);
  CHECK(p.valueHeads == 8);
  CHECK(p.outputShapes[0] == Shape{2, 100, 8, 128});
  CHECK(p.stateShapes[0] == Shape{2, 8, 128, 128});
  CHECK(p.grid == std::array<uint64_t, 3>{2, 8, 2});
  args.input("g", cudaTensor(DType::Float32, {2, 100, 4}, 4));
  CHECK_THROWS_WITH(plan(grouped, args),
                    Equals("larc: argument 'g': expected shape [B, T, HV] = "
                           "[2, 100, 8], got [2, 100, 4]"));
  args.input("v", cudaTensor(DType::BFloat16, {2, 100, 6, 128}, 3));
  CHECK_THROWS_WITH(plan(grouped, args),
                    Equals("larc: argument 'v': its 6 heads (HV) must be a "
                           "multiple of the 4 query/key heads (H) of 'q'"));
}

TEST_CASE("validate: dtypes", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  SECTION("fp32 queries") {
    args.input("q", cudaTensor(DType::Float32, {2, 100, 4, 128}, 1));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'q': dtype fp32 is not "
                             "supported; expected bf16 or fp16"));
  }
  SECTION("mixed half types") {
    args.input("k", cudaTensor(DType::Float16, {2, 100, 4, 128}, 2));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'k': expected dtype bf16 (as "
                             "'q'), got fp16"));
  }
  SECTION("gates are fp32") {
    args.input("g", cudaTensor(DType::BFloat16, {2, 100, 4}, 4));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'g': expected dtype fp32, got "
                             "bf16"));
  }
  SECTION("coefficients follow the kernel's dtype") {
    args.input("beta", cudaTensor(DType::Float32, {2, 100, 4}, 5));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'beta': expected dtype bf16 (as "
                             "'q'), got fp32"));
  }
  SECTION("unknown dtype codes") {
    TensorView v = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 3);
    v.dtype = DType::Unknown;
    args.input("v", v);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'v': expected dtype bf16 (as "
                             "'q'), got unknown"));
  }
}

TEST_CASE("validate: strides and alignment", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  SECTION("innermost not contiguous") {
    TensorView k = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 2);
    k.strides[3] = 2;
    args.input("k", k);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'k': the innermost dim (K) must "
                             "be contiguous (stride 1), got stride 2; make the "
                             "tensor contiguous"));
  }
  SECTION("gates too") {
    TensorView g = cudaTensor(DType::Float32, {2, 100, 4}, 4);
    g.strides[2] = 100;
    args.input("g", g);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Contains("argument 'g': the innermost dim (H) must be "
                               "contiguous"));
  }
  SECTION("negative strides") {
    TensorView q = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 1);
    q.strides[1] = -512;
    args.input("q", q);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'q': negative stride -512 in dim "
                             "1 (T); strides must be non-negative"));
  }
  SECTION("non-contiguous outer dims are fine, broadcast too") {
    TensorView q = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 1);
    q.strides[0] = 3 * 100 * 4 * 128; // a slice of a larger batch
    q.strides[2] = 3 * 128;           // a slice of packed qkv heads
    args.input("q", q);
    TensorView g = cudaTensor(DType::Float32, {2, 100, 4}, 4);
    g.strides[0] = 0; // expanded over the batch
    args.input("g", g);
    CHECK_NOTHROW(plan(gdn(), args));
  }
  SECTION("innermost stride of a single element does not matter") {
    TensorView g = cudaTensor(DType::Float32, {2, 100, 1}, 4);
    g.strides[2] = 7;
    Arguments one = gatedDeltaCall(gdn(), 2, 100, 1, 128, 128);
    one.input("g", g);
    CHECK_NOTHROW(plan(gdn(), one));
  }
  SECTION("null data") {
    TensorView v = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 3);
    v.data = nullptr;
    args.input("v", v);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'v': the data pointer is null, "
                             "but the shape [2, 100, 4, 128] has 102400 "
                             "elements"));
    Arguments empty = gatedDeltaCall(gdn(), 2, 0, 4, 128, 128);
    TensorView q = cudaTensor(DType::BFloat16, {2, 0, 4, 128}, 1);
    q.data = nullptr; // PyTorch's empty tensors have no storage
    empty.input("q", q);
    CHECK_NOTHROW(plan(gdn(), empty));
  }
  SECTION("element alignment") {
    TensorView v = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 3);
    v.data = static_cast<char *>(v.data) + 1;
    args.input("v", v);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'v': its dtype needs 2-byte "
                             "aligned data, got the pointer 0x7f0030000001"));
  }
}

TEST_CASE("validate: the kernel's alignment and TMA", "[validate]") {
  std::string text = gatedDeltaManifest();
  text.replace(text.find("\"value_tile\": 64 },"), 19,
               R"("value_tile": 64, "alignment": 16,
                  "tensor_maps": [{"tensor": "v", "box": [1, 64, 1, 64]}] },)");
  Manifest m = parse(text);
  Arguments args = gatedDeltaCall(m, 2, 100, 4, 128, 128);
  CHECK_NOTHROW(plan(m, args));
  SECTION("a pointer off by one element") {
    TensorView q = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 1);
    q.data = static_cast<char *>(q.data) + 2;
    args.input("q", q);
    CHECK_THROWS_WITH(plan(m, args),
                      Equals("larc: argument 'q': the kernel needs 16-byte "
                             "aligned data, got the pointer 0x7f0010000002"));
  }
  SECTION("a row stride that breaks 16 bytes") {
    TensorView v = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 3);
    v.strides[2] = 130; // heads 260 bytes apart
    args.input("v", v);
    CHECK_THROWS_WITH(plan(m, args),
                      Equals("larc: argument 'v': the kernel needs strides "
                             "that are multiples of 16 bytes; the stride of "
                             "dim 2 (H) is 130 elements = 260 bytes"));
  }
  SECTION("scalar gates keep their natural alignment") {
    TensorView g = cudaTensor(DType::Float32, {2, 100, 4}, 4);
    g.data = static_cast<char *>(g.data) + 4;
    args.input("g", g);
    CHECK_NOTHROW(plan(m, args));
  }
}

TEST_CASE("validate: TMA alignment without a kernel alignment", "[validate]") {
  std::string text = gatedDeltaManifest();
  text.replace(text.find("\"value_tile\": 64 },"), 19,
               R"("value_tile": 64,
                  "tensor_maps": [{"tensor": "o", "box": [1, 64, 1, 64]}] },)");
  Manifest m = parse(text);
  Arguments args = gatedDeltaCall(m, 2, 100, 4, 128, 128);
  TensorView o = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 6);
  o.data = static_cast<char *>(o.data) + 8;
  args.output("o", o);
  CHECK_THROWS_WITH(plan(m, args),
                    Equals("larc: argument 'o': the kernel's TMA load needs "
                           "16-byte aligned data, got the pointer "
                           "0x7f0060000008"));
}

TEST_CASE("validate: one device", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  TensorView k = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 2);
  k.device.index = 1;
  args.input("k", k);
  CHECK_THROWS_WITH(plan(gdn(), args),
                    Equals("larc: argument 'k': on cuda:1, but 'q' is on "
                           "cuda:0; all tensors must be on one device"));
  k.device = {DeviceType::CPU, 0};
  args.input("k", k);
  CHECK_THROWS_WITH(plan(gdn(), args),
                    Equals("larc: argument 'k': on cpu, but 'q' is on cuda:0; "
                           "all tensors must be on one device"));
}

TEST_CASE("validate: a launch needs outputs on a CUDA device", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  CHECK_THROWS_WITH(launchCheck(gdn(), args),
                    Equals("larc: output 'o' was not given; allocate it with "
                           "the shape the plan gives"));
  args.output("o", cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 6));
  CHECK_NOTHROW(launchCheck(gdn(), args));
  Arguments host(gdn());
  for (size_t i = 0; i < args.inputs.size(); ++i) {
    TensorView view = *args.inputs[i];
    view.device = {DeviceType::CPU, 0};
    host.inputs[i] = view;
  }
  TensorView o = *args.outputs[0];
  o.device = {DeviceType::CPU, 0};
  host.outputs[0] = o;
  CHECK_NOTHROW(plan(gdn(), host));
  CHECK_THROWS_WITH(launchCheck(gdn(), host),
                    Equals("larc: argument 'q': on cpu; the kernels run on a "
                           "CUDA device"));
}

TEST_CASE("validate: outputs", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  SECTION("shape") {
    args.output("o", cudaTensor(DType::BFloat16, {2, 100, 4, 64}, 6));
    CHECK_THROWS_WITH(launchCheck(gdn(), args),
                      Equals("larc: argument 'o': expected shape [B, T, H, V] "
                             "= [2, 100, 4, 128], got [2, 100, 4, 64]"));
  }
  SECTION("dtype") {
    args.output("o", cudaTensor(DType::Float32, {2, 100, 4, 128}, 6));
    CHECK_THROWS_WITH(launchCheck(gdn(), args),
                      Equals("larc: argument 'o': expected dtype bf16, got "
                             "fp32"));
  }
  SECTION("overlapping elements") {
    TensorView o = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 6);
    o.strides[0] = 0;
    args.output("o", o);
    CHECK_THROWS_WITH(launchCheck(gdn(), args),
                      Equals("larc: argument 'o': the kernel writes it, but "
                             "its strides [0, 512, 128, 1] make elements "
                             "overlap (dim 0 (B) has stride 0); pass a tensor "
                             "with distinct elements"));
    o.strides[0] = 100 * 512;
    o.strides[2] = 64; // heads overlap half a row
    args.output("o", o);
    CHECK_THROWS_WITH(launchCheck(gdn(), args),
                      Contains("dim 2 (H) has stride 64"));
  }
  SECTION("a strided view into a larger buffer is fine") {
    TensorView o = cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 6);
    o.strides[1] = 1024; // every other row of a [2, 100, 8, 128] buffer
    o.strides[0] = 100 * 1024;
    args.output("o", o);
    CHECK_NOTHROW(launchCheck(gdn(), args));
  }
}

TEST_CASE("validate: initial and final state", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  args.initialState("S", cudaTensor(DType::Float32, {2, 4, 128, 128}, 7));
  args.finalState("S", cudaTensor(DType::Float32, {2, 4, 128, 128}, 8));
  CHECK_NOTHROW(plan(gdn(), args));
  SECTION("shape") {
    args.initialState("S", cudaTensor(DType::Float32, {2, 4, 128, 64}, 7));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'initial_state': expected shape "
                             "[N, H, K, V] = [2, 4, 128, 128], got [2, 4, 128, "
                             "64] (N = B = 2 sequences)"));
  }
  SECTION("dtype") {
    args.initialState("S", cudaTensor(DType::BFloat16, {2, 4, 128, 128}, 7));
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Equals("larc: argument 'initial_state': expected dtype "
                             "fp32 (states are fp32), got bf16"));
  }
  SECTION("final state must not overlap") {
    TensorView s = cudaTensor(DType::Float32, {2, 4, 128, 128}, 8);
    s.strides[1] = 0;
    args.finalState("S", s);
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Contains("argument 'final_state': the kernel writes it"));
  }
  SECTION("initial state may be a broadcast") {
    TensorView s = cudaTensor(DType::Float32, {2, 4, 128, 128}, 7);
    s.strides[0] = 0;
    args.initialState("S", s);
    CHECK_NOTHROW(plan(gdn(), args));
  }
}

TEST_CASE("validate: two states", "[validate]") {
  Manifest la = parse(linearAttentionManifest());
  Arguments args(la);
  args.input("q", cudaTensor(DType::BFloat16, {3, 10, 2, 64}, 1))
      .input("k", cudaTensor(DType::BFloat16, {3, 10, 2, 64}, 2))
      .input("v", cudaTensor(DType::BFloat16, {3, 10, 2, 64}, 3))
      .initialState("z", cudaTensor(DType::Float32, {3, 2, 64}, 4));
  Plan p = plan(la, args);
  REQUIRE(p.stateShapes.size() == 2);
  CHECK(p.stateShapes[1] == Shape{3, 2, 64});
  CHECK(p.grid == std::array<uint64_t, 3>{2, 3, 1});
  args.initialState("z", cudaTensor(DType::Float32, {3, 2, 64, 64}, 4));
  CHECK_THROWS_WITH(plan(la, args),
                    Equals("larc: argument 'initial_state['z']': expected "
                           "rank 3 [N, H, K], got rank 4 [3, 2, 64, 64]"));
}

TEST_CASE("validate: scale", "[validate]") {
  Arguments args = gatedDeltaCall(gdn(), 2, 100, 4, 128, 128);
  args.scale = 0.5;
  CHECK(plan(gdn(), args).scale == 0.5f);
  for (double bad : {0.0, -1.0, std::nan(""),
                     std::numeric_limits<double>::infinity(), 1e300}) {
    args.scale = bad;
    CHECK_THROWS_WITH(plan(gdn(), args),
                      Contains("larc: argument 'scale': expected a finite "
                               "number > 0, got"));
  }
  std::string text = gatedDeltaManifest();
  text.erase(text.find(",\n  \"scale_default\""));
  text += "}";
  Manifest unscaled = parse(text);
  Arguments plain = gatedDeltaCall(unscaled, 2, 100, 4, 128, 128);
  CHECK(plan(unscaled, plain).scale == 1.0f);
  plain.scale = 0.5;
  CHECK_THROWS_WITH(plan(unscaled, plain),
                    Equals("larc: argument 'scale': rule 'gated_delta_rule' "
                           "has no scale (its spec never uses `scale`)"));
}

TEST_CASE("validate: empty problems", "[validate]") {
  Plan noTokens = plan(gdn(), gatedDeltaCall(gdn(), 2, 0, 4, 128, 128));
  CHECK(noTokens.seqLen == 0);
  CHECK_FALSE(noTokens.empty()); // final states must still be written
  Plan noBatch = plan(gdn(), gatedDeltaCall(gdn(), 0, 5, 4, 128, 128));
  CHECK(noBatch.empty());
}

TEST_CASE("validate: grid limits and clusters", "[validate]") {
  std::string text = gatedDeltaManifest();
  text.replace(text.find("\"value_tile\": 64 },"), 19,
               R"("value_tile": 64, "cluster": [2, 1, 1] },)");
  Manifest clustered = parse(text);
  CHECK_NOTHROW(plan(clustered, gatedDeltaCall(clustered, 2, 10, 4, 128, 128)));
  text = gatedDeltaManifest();
  text.replace(text.find("\"value_tile\": 64 },"), 19,
               R"("value_tile": 128, "cluster": [1, 2, 1] },)");
  Manifest odd = parse(text);
  CHECK_THROWS_WITH(plan(odd, gatedDeltaCall(odd, 2, 10, 3, 128, 128)),
                    Equals("larc: the kernel's grid y axis (heads) would be 3, "
                           "not a multiple of its cluster size 2"));
  CHECK_THROWS_WITH(plan(gdn(), gatedDeltaCall(gdn(), 70000, 1, 1, 128, 128)),
                    Equals("larc: the kernel's grid z axis (sequences) would "
                           "be 70000, above CUDA's limit of 65535"));
}
