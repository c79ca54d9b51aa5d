//===- StagedTest.cpp - Rules computed by several kernels in sequence -----===//
//
// A staged package (docs/package-format.md, "stages") up to the launch:
// its manifest and refusals, the kernel and grid of each stage, the
// intermediates and each stage's LarcLaunchParams. And that a package
// without "stages" is one implicit stage that behaves as before.
//
//===----------------------------------------------------------------------===//

#include "TestPackages.h"

#include "larc/runtime/BuildParams.h"
#include "larc/runtime/CApi.h"
#include "larc/runtime/Error.h"
#include "larc/runtime/Package.h"
#include "larc/runtime/SegmentPlan.h"
#include "larc/runtime/Validate.h"

#include <catch2/catch.hpp>

#include <cstring>

using namespace larc::runtime;
using namespace larc::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {
using Kind = TensorSlot::Kind;

// The gsa manifest with `from` replaced by `to` (which must occur).
std::string editedGsa(const std::string &from, const std::string &to) {
  std::string text = gsaManifest();
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

const Manifest &gsa() {
  static const Manifest manifest = parse(gsaManifest());
  return manifest;
}

Plan plan(const Manifest &manifest, const Arguments &args) {
  return validateArguments(manifest, args, Stage::Plan);
}

// A gsa call with its output and final states, ready to launch.
Arguments fullGsaCall(int64_t B, int64_t T, int64_t H, int64_t K, int64_t V,
                      int64_t M) {
  Arguments args = gsaCall(gsa(), B, T, H, K, V, M);
  args.output("o", cudaTensor(DType::BFloat16, {B, T, H, V}, 6))
      .initialState("hkT", cudaTensor(DType::Float32, {B, H, M, K}, 7))
      .finalState("hkT", cudaTensor(DType::Float32, {B, H, M, K}, 8))
      .initialState("hv", cudaTensor(DType::Float32, {B, H, M, V}, 9))
      .finalState("hv", cudaTensor(DType::Float32, {B, H, M, V}, 10));
  return args;
}
} // namespace

TEST_CASE("staged: a staged manifest loads", "[staged]") {
  const Manifest &m = gsa();
  CHECK(m.dims == std::vector<std::string>{"K", "V", "M"});
  CHECK(m.staged());
  REQUIRE(m.intermediates.size() == 1);
  CHECK(m.intermediates[0].name == "hkT_read");
  CHECK(m.intermediates[0].dim == 2);
  CHECK(m.intermediates[0].dtype == DType::BFloat16);
  CHECK(m.findIntermediate("hkT_read") == 0);
  CHECK(m.findIntermediate("o") == -1);
  REQUIRE(m.stages.size() == 2);

  const StageSpec &s0 = m.stages[0];
  CHECK(s0.rule == "gsa_s0");
  CHECK(s0.inputs == std::vector<TensorSlot>{{Kind::Input, 0},
                                             {Kind::Input, 1},
                                             {Kind::Input, 3},
                                             {Kind::Input, 4}});
  CHECK(s0.states == std::vector<int>{0});
  CHECK(s0.outputs == std::vector<TensorSlot>{{Kind::Intermediate, 0}});
  CHECK(s0.valueDim == 0); // hkT [M, K]: its CTAs split K

  const StageSpec &s1 = m.stages[1];
  CHECK(s1.inputs == std::vector<TensorSlot>{{Kind::Intermediate, 0},
                                             {Kind::Input, 2},
                                             {Kind::Input, 3},
                                             {Kind::Input, 4}});
  CHECK(s1.states == std::vector<int>{1});
  CHECK(s1.outputs == std::vector<TensorSlot>{{Kind::Output, 0}});
  CHECK(s1.valueDim == 1); // hv [M, V]

  CHECK(s0.uses({Kind::InitialState, 0}));
  CHECK(s0.uses({Kind::FinalState, 0}));
  CHECK_FALSE(s0.uses({Kind::FinalState, 1}));
  CHECK(s0.uses({Kind::Intermediate, 0})); // written
  CHECK(s1.uses({Kind::Intermediate, 0})); // read
  CHECK_FALSE(s1.uses({Kind::Input, 0}));
  CHECK(m.describeStage(1) == "stages[1] (gsa_s1)");

  REQUIRE(m.kernels.size() == 4);
  CHECK(m.kernels[0].stage == 0);
  CHECK(m.kernels[1].stage == 1);
  CHECK(m.kernels[2].stage == 0);
  CHECK(m.kernels[3].stage == 1);
  CHECK(m.kernels[0].dims == std::vector<int64_t>{64, 64, 64});
  REQUIRE(m.kernels[1].tensorMaps.size() == 2);
  CHECK(m.kernels[1].tensorMaps[0].tensor == TensorSlot{Kind::Intermediate, 0});
  CHECK(m.slotName(m.kernels[1].tensorMaps[0].tensor) == "hkT_read");
  CHECK(tensorMapOrder(Kind::Intermediate, 4) == std::vector<int>{3, 1, 2, 0});
  CHECK(m.kernels[3].segments);

  // A stage's name may be absent.
  Manifest other =
      parse(editedGsa(R"({"rule": "gsa_s0", "inputs")", R"({"inputs")"));
  CHECK(other.stages[0].rule.empty());
  CHECK(other.describeStage(0) == "stages[0]");
}

TEST_CASE("staged: a manifest without stages is one implicit stage",
          "[staged]") {
  Manifest m = parse(gatedDeltaManifest());
  CHECK_FALSE(m.staged());
  CHECK(m.intermediates.empty());
  REQUIRE(m.stages.size() == 1);
  const StageSpec &stage = m.stages[0];
  CHECK(stage.rule == "gated_delta_rule");
  REQUIRE(stage.inputs.size() == 5);
  for (int i = 0; i < 5; ++i)
    CHECK(stage.inputs[i] == TensorSlot{Kind::Input, i});
  CHECK(stage.states == std::vector<int>{0});
  CHECK(stage.outputs == std::vector<TensorSlot>{{Kind::Output, 0}});
  CHECK(stage.valueDim == m.valueDim);
  for (const KernelSpec &kernel : m.kernels)
    CHECK(kernel.stage == 0);
  // "stage": 0 is allowed without "stages", nothing else.
  std::string text = gatedDeltaManifest();
  std::string key = R"("dims": {"K": 64, "V": 64})";
  size_t at = text.find(key);
  REQUIRE(at != std::string::npos);
  CHECK(
      parse(std::string(text).insert(at, R"("stage": 0, )")).kernels[1].stage ==
      0);
  CHECK_THROWS_WITH(parse(text.insert(at, R"("stage": 1, )")),
                    Equals("larc: test/manifest.json:14:16: kernels[1]: "
                           "stage: expected an integer in [0, 0], got the "
                           "number 1"));
}

TEST_CASE("staged: malformed stages are refused", "[staged]") {
  struct Case {
    std::string from, to, message;
  };
  const std::string stage0 =
      R"({"rule": "gsa_s0", "inputs": ["q", "k", "s", "g"], "states": ["hkT"],
     "outputs": ["hkT_read"]})";
  const std::string stage1 =
      R"({"rule": "gsa_s1", "inputs": ["hkT_read", "v", "s", "g"], "states": ["hv"],
     "outputs": ["o"]})";
  const Case cases[] = {
      {R"(["q", "k", "s", "g"])", R"(["q", "kk", "s", "g"])",
       "larc: test/manifest.json:35:40: stages[0]: inputs[1]: \"kk\" is not "
       "an input or an intermediate of the rule"},
      {R"(["q", "k", "s", "g"])", R"(["q", "hkT_read", "s", "g"])",
       "larc: test/manifest.json:35:40: stages[0]: inputs[1]: intermediate "
       "\"hkT_read\" is read before a stage writes it"},
      // The two stages swapped: stage 0 reads what only stage 1 writes.
      {stage0 + ",\n    " + stage1, stage1 + ",\n    " + stage0,
       "larc: test/manifest.json:35:35: stages[0]: inputs[0]: intermediate "
       "\"hkT_read\" is read before a stage writes it"},
      {R"(["q", "k", "s", "g"])", R"(["q", "k", "s", "g", "q"])",
       "larc: test/manifest.json:35:55: stages[0]: inputs[4]: \"q\" is "
       "listed twice"},
      {R"("states": ["hv"])", R"("states": ["hkT"])",
       "larc: test/manifest.json:37:74: stages[1]: states[0]: state \"hkT\" "
       "already belongs to stages[0]"},
      {R"("states": ["hv"])", R"("states": [])",
       "larc: test/manifest.json:34:13: stages: state \"hv\" belongs to no "
       "stage"},
      {R"("states": ["hv"])", R"("states": ["h"])",
       "larc: test/manifest.json:37:74: stages[1]: states[0]: \"h\" is not a "
       "state of the rule (its states: hkT, hv)"},
      {R"("outputs": ["o"])", R"("outputs": [])",
       "larc: test/manifest.json:34:13: stages: output \"o\" is written by "
       "no stage"},
      {R"("outputs": ["hkT_read"])", R"("outputs": ["hkT_read", "o"])",
       "larc: test/manifest.json:38:18: stages[1]: outputs[0]: \"o\" is "
       "already written by stages[0]"},
      {R"("outputs": ["o"])", R"("outputs": ["o", "hkT_read"])",
       "larc: test/manifest.json:38:23: stages[1]: outputs[1]: \"hkT_read\" "
       "is already written by stages[0]"},
      {R"("outputs": ["o"])", R"("outputs": ["o", "q"])",
       "larc: test/manifest.json:38:23: stages[1]: outputs[1]: \"q\" is not "
       "an output or an intermediate of the rule"},
      {R"("outputs": ["hkT_read"])", R"("outputs": [])",
       "larc: test/manifest.json:37:35: stages[1]: inputs[0]: intermediate "
       "\"hkT_read\" is read before a stage writes it"},
      {R"("intermediates": [ {"name": "hkT_read", "dim": "M", "dtype": "bf16"} ])",
       R"("intermediates": [ {"name": "hkT_read", "dim": "M", "dtype": "bf16"},
                     {"name": "unused", "dim": "K"} ])",
       "larc: test/manifest.json:34:22: intermediates[1]: \"unused\" is "
       "written by no stage"},
      {R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"})",
       R"({"name": "hkT_read", "dim": "M", "dtype": "int8"})",
       "larc: test/manifest.json:33:64: intermediates[0]: dtype: expected "
       "\"bf16\", \"fp16\" or \"fp32\", got \"int8\""},
      {R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"})",
       R"({"name": "hkT_read", "dim": "D", "dtype": "bf16"})",
       "larc: test/manifest.json:33:50: intermediates[0]: dim: \"D\" is not "
       "one of the rule's dims (K, V, M)"},
      {R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"})",
       R"({"name": "s", "dim": "M", "dtype": "bf16"})",
       "larc: test/manifest.json:33:31: intermediates[0]: name: \"s\" is "
       "already an input, state or output"},
      {R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"})",
       R"({"name": "hkT_read", "dim": "M"}, {"name": "hkT_read"})",
       "larc: test/manifest.json:33:65: intermediates[1]: name: \"hkT_read\" "
       "is already an intermediate"},
      {R"("rule": "gsa_s1",)", R"("rule": "gsa_s1", "state": [],)",
       "larc: test/manifest.json:37:33: stages[1]: unknown key \"state\" "
       "(known: \"rule\", \"inputs\", \"states\", \"outputs\")"},
      {R"("outputs": ["o"]})",
       R"("outputs": ["o"]}, {"inputs": ["hkT_read"], "outputs": []})",
       "larc: test/manifest.json:8:14: kernels: stages[2] has no kernel"},
      {R"("name": "larc_gsa_s1_k128_v128_m64_bf16", "stage": 1,)",
       R"("name": "larc_gsa_s1_k128_v128_m64_bf16", "stage": 2,)",
       "larc: test/manifest.json:25:58: kernels[3]: stage: expected an "
       "integer in [0, 1], got the number 2"},
      {R"("name": "larc_gsa_s1_k128_v128_m64_bf16", "stage": 1,)",
       R"("name": "larc_gsa_s1_k128_v128_m64_bf16",)",
       "larc: test/manifest.json:25:5: kernels[3]: missing key \"stage\" (the "
       "index of the kernel's entry in \"stages\")"},
      {R"("name": "larc_gsa_s1_k128_v128_m64_bf16", "stage": 1,)",
       R"("name": "larc_gsa_s1_k128_v128_m64_bf16", "stage": 0,)",
       "larc: test/manifest.json:25:5: kernels[3]: "
       "larc_gsa_s1_k128_v128_m64_bf16 has the same dims and dtype (K=128 "
       "V=128 M=64 bf16) as larc_gsa_s0_k128_v128_m64_bf16 in stages[0]"},
      // Stage 1's kernel for K=V=128 M=64 becomes one for M=32.
      {R"("dims": {"K": 128, "V": 128, "M": 64}, "dtype": "bf16", "chunk_size": 64,
      "block": [128, 1, 1])",
       R"("dims": {"K": 128, "V": 128, "M": 32}, "dtype": "bf16", "chunk_size": 64,
      "block": [128, 1, 1])",
       "larc: test/manifest.json:21:5: kernels[2]: stages[1] (gsa_s1) has no "
       "kernel for K=128 V=128 M=64 bf16, the dims and dtype of "
       "larc_gsa_s0_k128_v128_m64_bf16"},
      {R"("tensor_maps": [ {"tensor": "q", "box": [1, 64, 1, 64]},)",
       R"("tensor_maps": [ {"tensor": "v", "box": [1, 64, 1, 64]},)",
       "larc: test/manifest.json:13:35: kernels[0].tensor_maps[0]: tensor: "
       "\"v\" is not a tensor of stages[0] (gsa_s0)"},
      {R"({"tensor": "hkT.final", "box": [1, 1, 64, 32]})",
       R"({"tensor": "hv.final", "box": [1, 1, 64, 32]})",
       "larc: test/manifest.json:14:35: kernels[0].tensor_maps[1]: tensor: "
       "\"hv.final\" is not a tensor of stages[0] (gsa_s0)"},
      {R"({"tensor": "hkT_read", "box": [1, 64, 1, 64]})",
       R"({"tensor": "hkT_read", "box": [1, 64, 64]})",
       "larc: test/manifest.json:19:54: kernels[1].tensor_maps[0]: box: "
       "\"hkT_read\" has rank 4; expected an array of 4 extents, got an "
       "array of 3"},
      {R"({"tensor": "hkT_read", "box": [1, 64, 1, 64]})",
       R"({"tensor": "hkT_rd", "box": [1, 64, 1, 64]})",
       "larc: test/manifest.json:19:35: kernels[1].tensor_maps[0]: tensor: "
       "\"hkT_rd\" is not an input, an output, an intermediate, or "
       "STATE.initial / STATE.final"},
      {"\"stages\": [", "\"stages\": 1, \"_stages\": [",
       "larc: test/manifest.json:34:13: stages: expected an array of 1 to 16 "
       "entries, got the number 1"},
  };
  for (const Case &c : cases) {
    INFO(c.to);
    CHECK_THROWS_WITH(parse(editedGsa(c.from, c.to)), Equals(c.message));
  }
}

TEST_CASE("staged: intermediates need stages", "[staged]") {
  std::string text = gsaManifest();
  size_t from = text.find("\"stages\": [");
  size_t to = text.find("\"inputs\": [\n");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  text.erase(from, to - from);
  CHECK_THROWS_WITH(parse(text),
                    Equals("larc: test/manifest.json:33:20: intermediates: "
                           "only a package with \"stages\" has "
                           "intermediates"));
}

TEST_CASE("staged: each stage gets its kernel and grid", "[staged]") {
  SECTION("K = V = M = 64") {
    Plan p = plan(gsa(), gsaCall(gsa(), 2, 100, 4, 64, 64, 64));
    REQUIRE(p.stages.size() == 2);
    CHECK(p.stages[0].kernelIndex == 0);
    CHECK(p.stages[1].kernelIndex == 1);
    // Stage 0 splits hkT's K = 64 in tiles of 32, stage 1 hv's V = 64 in 64.
    CHECK(p.stages[0].grid == std::array<uint64_t, 3>{2, 4, 2});
    CHECK(p.stages[1].grid == std::array<uint64_t, 3>{1, 4, 2});
    CHECK(p.kernelIndex == p.stages[0].kernelIndex);
    CHECK(p.grid == p.stages[0].grid);
    CHECK(p.dims == std::vector<int64_t>{64, 64, 64});
    REQUIRE(p.intermediateShapes.size() == 1);
    CHECK(p.intermediateShapes[0] == Shape{2, 100, 4, 64});
    CHECK(p.outputShapes[0] == Shape{2, 100, 4, 64});
    REQUIRE(p.stateShapes.size() == 2);
    CHECK(p.stateShapes[0] == Shape{2, 4, 64, 64});
    CHECK(p.stateShapes[1] == Shape{2, 4, 64, 64});
    CHECK_FALSE(p.empty());
  }
  SECTION("K = V = 128, M = 64") {
    Plan p = plan(gsa(), gsaCall(gsa(), 1, 33, 3, 128, 128, 64));
    CHECK(p.stages[0].kernelIndex == 2);
    CHECK(p.stages[1].kernelIndex == 3);
    CHECK(p.stages[0].grid == std::array<uint64_t, 3>{4, 3, 1});
    CHECK(p.stages[1].grid == std::array<uint64_t, 3>{2, 3, 1});
    CHECK(p.kernelIndex == 2);
    CHECK(p.stateShapes[0] == Shape{1, 3, 64, 128}); // hkT [N, HV, M, K]
    CHECK(p.intermediateShapes[0] == Shape{1, 33, 3, 64});
  }
  SECTION("dims without kernels: the first stage's are listed") {
    CHECK_THROWS_WITH(
        plan(gsa(), gsaCall(gsa(), 1, 33, 3, 128, 128, 32)),
        Equals("larc: rule 'gsa' has no kernel for K=128 (from 'q') V=128 "
               "(from 'v') M=32 (from 's') bf16; available: K=64 V=64 M=64 "
               "bf16; K=128 V=128 M=64 bf16"));
  }
  SECTION("no sequences: nothing to launch") {
    Plan p = plan(gsa(), gsaCall(gsa(), 0, 33, 3, 64, 64, 64));
    CHECK(p.empty());
  }
}

TEST_CASE("staged: states and outputs are checked at the rule level",
          "[staged]") {
  Arguments args = fullGsaCall(2, 100, 4, 64, 64, 64);
  CHECK_NOTHROW(validateArguments(gsa(), args, Stage::Launch));
  args.finalState("hv", cudaTensor(DType::Float32, {2, 4, 64, 32}, 10));
  CHECK_THROWS_WITH(plan(gsa(), args),
                    Equals("larc: argument 'final_state['hv']': expected shape "
                           "[N, H, M, V] = [2, 4, 64, 64], got [2, 4, 64, 32] "
                           "(N = B = 2 sequences)"));
}

TEST_CASE("staged: each stage kernel's alignment applies to its tensors",
          "[staged]") {
  // Stage 1's K=V=M=64 kernel asks for 16 bytes; stage 0's for nothing.
  auto misaligned = [](DType dtype, std::initializer_list<int64_t> shape,
                       uintptr_t slot) {
    TensorView view = cudaTensor(dtype, shape, slot);
    view.data = static_cast<char *>(view.data) + 2;
    return view;
  };
  Arguments args = gsaCall(gsa(), 1, 64, 2, 64, 64, 64);
  args.input("k", misaligned(DType::BFloat16, {1, 64, 2, 64}, 2));
  CHECK_NOTHROW(plan(gsa(), args)); // k: only stage 0
  args.input("s", misaligned(DType::BFloat16, {1, 64, 2, 64}, 4));
  CHECK_THROWS_WITH(plan(gsa(), args),
                    StartsWith("larc: argument 's': ") &&
                        Contains("the kernel needs 16-byte aligned data"));
  // q has a TMA map in stage 0: 16 bytes whatever the alignment.
  args = gsaCall(gsa(), 1, 64, 2, 64, 64, 64);
  args.input("q", misaligned(DType::BFloat16, {1, 64, 2, 64}, 1));
  CHECK_THROWS_WITH(plan(gsa(), args), StartsWith("larc: argument 'q': ") &&
                                           Contains("the kernel's TMA load"));
}

TEST_CASE("staged: an intermediate's shape must suit its TMA map", "[staged]") {
  // A scalar intermediate [B, T, HV] with a map: its rows are HV elements.
  std::string text =
      editedGsa(R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"})",
                R"({"name": "hkT_read", "dtype": "bf16"})");
  std::string box = R"({"tensor": "hkT_read", "box": [1, 64, 1, 64]})";
  text.replace(text.find(box), box.size(),
               R"({"tensor": "hkT_read", "box": [1, 64, 8]})");
  Manifest m = parse(text);
  CHECK_NOTHROW(plan(m, gsaCall(m, 2, 64, 8, 64, 64, 64)));
  CHECK_NOTHROW(plan(m, gsaCall(m, 1, 3, 8, 64, 64, 64)));
  CHECK_THROWS_WITH(
      plan(m, gsaCall(m, 2, 64, 4, 64, 64, 64)),
      Equals("larc: intermediate 'hkT_read' of shape [2, 64, 4] has a stride "
             "of 8 bytes, not a multiple of the 16 that the TMA load of "
             "larc_gsa_s1_k64_v64_m64_bf16 in stages[1] (gsa_s1) needs"));
}

TEST_CASE("staged: each stage's launch params", "[staged]") {
  const int64_t B = 2, T = 100, H = 4, D = 64;
  Arguments args = fullGsaCall(B, T, H, D, D, D);
  Plan p = validateArguments(gsa(), args, Stage::Launch);
  // One allocation; bf16 [2, 100, 4, 64] is 102400 bytes, a multiple of 256.
  CHECK(intermediateBytes(gsa(), p) == size_t(B * T * H * D * 2));
  void *base = fakePointer(20);
  std::vector<TensorView> views = intermediateViews(gsa(), p, base);
  REQUIRE(views.size() == 1);
  CHECK(views[0].data == base);
  CHECK(views[0].dtype == DType::BFloat16);
  CHECK(views[0].rank == 4);
  CHECK(views[0].strides[0] == T * H * D);
  CHECK(views[0].strides[2] == D);
  CHECK(views[0].device == Device{DeviceType::CUDA, 0});

  LarcLaunchParams first = buildLaunchParams(gsa(), p, args, 0, views);
  CHECK(first.inputs[0].data == fakePointer(1)); // q
  CHECK(first.inputs[1].data == fakePointer(2)); // k
  CHECK(first.inputs[2].data == fakePointer(4)); // s
  CHECK(first.inputs[3].data == fakePointer(5)); // g
  CHECK(first.inputs[3].strides[1] == H * D);
  CHECK(first.inputs[4].data == nullptr);
  CHECK(first.initialStates[0].data == fakePointer(7)); // hkT
  CHECK(first.finalStates[0].data == fakePointer(8));
  CHECK(first.initialStates[1].data == nullptr);
  CHECK(first.outputs[0].data == base); // hkT_read
  CHECK(first.outputs[0].strides[0] == T * H * D);
  CHECK(first.outputs[0].strides[1] == H * D);
  CHECK(first.outputs[0].strides[3] == 1);
  CHECK(first.numTensorMaps == 2);
  CHECK(first.dims[2] == 64);
  CHECK(first.scale == Approx(0.125f));

  LarcLaunchParams second = buildLaunchParams(gsa(), p, args, 1, views);
  CHECK(second.inputs[0].data == base); // hkT_read
  CHECK(second.inputs[0].strides[2] == D);
  CHECK(second.inputs[1].data == fakePointer(3));        // v
  CHECK(second.inputs[2].data == fakePointer(4));        // s
  CHECK(second.initialStates[0].data == fakePointer(9)); // hv
  CHECK(second.finalStates[0].data == fakePointer(10));
  CHECK(second.outputs[0].data == fakePointer(6)); // o
  CHECK(second.outputs[1].data == nullptr);
  CHECK(second.batch == B);
  CHECK(second.sequences == B);

  // A stage that reads or writes an intermediate needs the views.
  CHECK_THROWS_WITH(buildLaunchParams(gsa(), p, args, 1),
                    Contains("the call's intermediates were not given"));
  CHECK_THROWS_WITH(buildLaunchParams(gsa(), p, args, 2, views),
                    Contains("stage 2 of a package with 2"));
  CHECK(slotTensor(args, views, {Kind::Intermediate, 0})->data == base);
  CHECK_FALSE(
      slotTensor(gsaCall(gsa(), B, T, H, D, D, D), views, {Kind::Output, 0}));
}

TEST_CASE("staged: intermediates of several sizes and of no tokens",
          "[staged]") {
  std::string text =
      editedGsa(R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"})",
                R"({"name": "hkT_read", "dim": "M", "dtype": "bf16"},
         {"name": "scalar", "dtype": "fp32"})");
  text.replace(text.find(R"("outputs": ["hkT_read"])"), 23,
               R"("outputs": ["scalar", "hkT_read"])");
  Manifest m = parse(text);
  Plan p = plan(m, gsaCall(m, 1, 3, 1, 64, 64, 64));
  // hkT_read: 3 * 64 bf16 = 384 bytes, 512 aligned; scalar: 12 bytes, 256.
  CHECK(intermediateBytes(m, p) == 512 + 256);
  std::vector<TensorView> views = intermediateViews(m, p, fakePointer(20));
  CHECK(views[0].data == fakePointer(20));
  CHECK(views[1].data == static_cast<char *>(fakePointer(20)) + 512);
  CHECK(views[1].rank == 3);
  LarcLaunchParams first =
      buildLaunchParams(m, p, gsaCall(m, 1, 3, 1, 64, 64, 64), 0, views);
  CHECK(first.outputs[0].data == views[1].data);
  CHECK(first.outputs[1].data == views[0].data);

  // T = 0 still launches (final states), with no intermediate memory.
  Plan empty = plan(m, gsaCall(m, 1, 0, 1, 64, 64, 64));
  CHECK_FALSE(empty.empty());
  CHECK(intermediateBytes(m, empty) == 0);
  for (const TensorView &view : intermediateViews(m, empty, nullptr))
    CHECK(view.data == nullptr);
}

TEST_CASE("staged: the split plan is chosen per stage kernel", "[staged]") {
  Plan p = plan(gsa(), gsaCall(gsa(), 1, 32768, 2, 128, 128, 64));
  const KernelSpec &first = gsa().kernels[p.stages[0].kernelIndex];
  const KernelSpec &second = gsa().kernels[p.stages[1].kernelIndex];
  CHECK_FALSE(
      chooseSegments(first, p, p.stages[0].grid, false, 132, nullptr).split());
  SegmentChoice choice =
      chooseSegments(second, p, p.stages[1].grid, false, 132, "8");
  CHECK(choice.segments == 8);
  CHECK(choice.segmentTokens == 4096);
  CHECK(
      chooseSegments(second, p, p.stages[1].grid, false, 132, nullptr).split());
}

TEST_CASE("staged: an unstaged call is unchanged", "[staged]") {
  Manifest m = parse(gatedDeltaManifest());
  Arguments args = gatedDeltaCall(m, 2, 100, 4, 128, 128);
  args.output("o", cudaTensor(DType::BFloat16, {2, 100, 4, 128}, 6));
  Plan p = validateArguments(m, args, Stage::Launch);
  REQUIRE(p.stages.size() == 1);
  CHECK(p.stages[0].kernelIndex == p.kernelIndex);
  CHECK(p.stages[0].grid == p.grid);
  CHECK(p.intermediateShapes.empty());
  CHECK(intermediateBytes(m, p) == 0);
  CHECK(intermediateViews(m, p, nullptr).empty());
  LarcLaunchParams before = buildLaunchParams(m, p, args);
  LarcLaunchParams stage = buildLaunchParams(m, p, args, 0, {});
  CHECK(std::memcmp(&before, &stage, sizeof(before)) == 0);
  CHECK(before.inputs[4].data == fakePointer(5));
  CHECK(before.outputs[0].data == fakePointer(6));
}

TEST_CASE("staged: packages and the C ABI", "[staged]") {
  TempPackage dir(gsaManifest(), "gsa.cubin", fakeCubin());
  std::unique_ptr<Package> package = Package::load(dir.path());
  CHECK(package->getManifest().stages.size() == 2);
  Arguments args = gsaCall(package->getManifest(), 1, 9, 2, 128, 128, 64);
  Plan p = package->plan(args);
  CHECK(p.stages[1].kernelIndex == 3);
  // A launch checks the outputs first, then fails cleanly without a driver
  // (or, with one, on the fake cubin or pointers).
  CHECK_THROWS_WITH(package->launch(args, nullptr),
                    Contains("output 'o' was not given"));
  args.output("o", cudaTensor(DType::BFloat16, {1, 9, 2, 128}, 6));
  CHECK_THROWS_WITH(package->launch(args, nullptr), StartsWith("larc: "));

  LarcPackage *loaded = nullptr;
  REQUIRE(larcPackageLoad(dir.path().c_str(), &loaded) == LARC_OK);
  CHECK(larcPackageNumKernels(loaded) == 4);
  CHECK(larcPackageNumInputs(loaded) == 5); // no intermediates
  CHECK(larcPackageNumOutputs(loaded) == 1);
  larcPackageFree(loaded);
}
