//===- ManifestTest.cpp - Reading and checking manifest.json --------------===//

#include "TestPackages.h"

#include "larc/runtime/Error.h"
#include "larc/runtime/Manifest.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace larc::runtime;
using namespace larc::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {
// The gated-delta manifest with `from` replaced by `to` (which must occur).
std::string edited(const std::string &from, const std::string &to) {
  std::string text = gatedDeltaManifest();
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}
} // namespace

TEST_CASE("manifest: the gated delta rule", "[manifest]") {
  Manifest m = parse(gatedDeltaManifest());
  CHECK(m.format == 1);
  CHECK(m.rule == "gated_delta_rule");
  CHECK(m.cubin == "gated_delta_rule.cubin");
  CHECK(m.header == "gated_delta_rule.h");
  CHECK(m.arch.name == "sm_90a");
  CHECK(m.arch.major == 9);
  CHECK(m.arch.minor == 0);
  CHECK(m.arch.suffix == 'a');
  // Without "dims", the first kernel's dims object gives them in order.
  REQUIRE(m.dims == std::vector<std::string>{"K", "V"});
  REQUIRE(m.kernels.size() == 3);
  const KernelSpec &k = m.kernels[0];
  CHECK(k.name == "larc_gated_delta_rule_fwd_k128_v128_bf16");
  CHECK(k.dims == std::vector<int64_t>{128, 128});
  CHECK(k.dtype == DType::BFloat16);
  CHECK(k.chunkSize == 64);
  CHECK(k.block == std::array<uint32_t, 3>{384, 1, 1});
  CHECK(k.sharedBytes == 200000);
  CHECK(k.grid == std::array<GridAxis, 3>{GridAxis::ValueTiles, GridAxis::Heads,
                                          GridAxis::Sequences});
  CHECK(k.valueTile == 64);
  CHECK_FALSE(k.cluster);
  CHECK(k.alignment == 0);
  CHECK_FALSE(k.dependentLaunch); // plain launches unless the package says so
  CHECK(m.kernels[1].grid == k.grid); // the array spelling
  CHECK(m.kernels[2].dtype == DType::Float16);
  CHECK(m.describeKernel(m.kernels[1]) == "K=64 V=64 bf16");

  REQUIRE(m.inputs.size() == 5);
  CHECK(m.inputs[0].role == Role::Query);
  CHECK(m.inputs[0].dim == 0);
  CHECK_FALSE(m.inputs[0].dtype); // the kernel's dtype
  CHECK(m.inputs[2].dim == 1);
  CHECK(m.inputs[3].role == Role::LogGate);
  CHECK_FALSE(m.inputs[3].dim);
  CHECK(m.inputs[3].dtype == DType::Float32); // gates default to fp32
  CHECK(m.inputs[4].role == Role::Coefficient);
  CHECK_FALSE(m.inputs[4].dtype);
  CHECK(m.inputs[0].usesKeyHeads());
  CHECK_FALSE(m.inputs[2].usesKeyHeads());
  REQUIRE(m.states.size() == 1);
  CHECK(m.states[0].keyDim == 0);
  CHECK(m.states[0].valueDim == 1);
  CHECK(m.states[0].rank() == 4);
  REQUIRE(m.outputs.size() == 1);
  CHECK(m.outputs[0].dim == 1);
  CHECK(m.scaleDefault.kind == ScaleDefault::Kind::InverseSqrtDim);
  CHECK(m.scaleDefault.dim == 0);
  CHECK(m.valueDim == 1);
  CHECK_FALSE(m.groupedValueHeads);
  CHECK(m.findInput("beta") == 4);
  CHECK(m.findInput("S") == -1);
  CHECK(m.stateArgumentName(0, false) == "initial_state");
  CHECK(m.stateArgumentName(0, true) == "final_state");
}

TEST_CASE("manifest: two states, explicit dims", "[manifest]") {
  Manifest m = parse(linearAttentionManifest());
  CHECK(m.dims == std::vector<std::string>{"K", "V"});
  REQUIRE(m.states.size() == 2);
  CHECK(m.states[1].rank() == 3);
  CHECK(m.stateArgumentName(1, false) == "initial_state['z']");
  CHECK(m.slotName({TensorSlot::Kind::FinalState, 1}) == "z.final");
  CHECK(m.kernels[0].grid == std::array<GridAxis, 3>{GridAxis::Heads,
                                                     GridAxis::Sequences,
                                                     GridAxis::One});
}

TEST_CASE("manifest: optional kernel fields", "[manifest]") {
  Manifest m =
      parse(edited(R"("value_tile": 64 },)",
                   R"("value_tile": 64, "cluster": [2, 1, 1], "alignment": 16,
         "dependent_launch": true,
         "tensor_maps": [
           {"tensor": "q", "box": [1, 64, 1, 64], "swizzle": "128B"},
           {"tensor": "S.initial", "box": [1, 1, 64, 32], "l2_promotion": "128B", "swizzle": "none"},
           {"tensor": "g", "box": [1, 64, 4]} ] },)"));
  const KernelSpec &k = m.kernels[0];
  REQUIRE(k.cluster);
  CHECK(*k.cluster == std::array<uint32_t, 3>{2, 1, 1});
  CHECK(k.alignment == 16);
  CHECK(k.dependentLaunch);
  REQUIRE(k.tensorMaps.size() == 3);
  CHECK(k.tensorMaps[0].tensor.kind == TensorSlot::Kind::Input);
  CHECK(k.tensorMaps[0].box == std::vector<uint32_t>{1, 64, 1, 64});
  CHECK(k.tensorMaps[0].swizzleBytes == 128);
  CHECK(k.tensorMaps[0].l2PromotionBytes == 256); // tensor_map.h's defaults
  CHECK(k.tensorMaps[1].tensor.kind == TensorSlot::Kind::InitialState);
  CHECK(k.tensorMaps[1].l2PromotionBytes == 128);
  CHECK(k.tensorMaps[1].swizzleBytes == 0);
  CHECK(k.tensorMaps[2].tensor.index == 3);
}

TEST_CASE("manifest: TMA coordinate order", "[manifest]") {
  using Kind = TensorSlot::Kind;
  // [B, T, H, K] -> (K, T, H, B), as tensor_map.h's bthd_tile_map.
  CHECK(tensorMapOrder(Kind::Input, 4) == std::vector<int>{3, 1, 2, 0});
  CHECK(tensorMapOrder(Kind::Output, 4) == std::vector<int>{3, 1, 2, 0});
  // [B, T, H] -> (H, T, B).
  CHECK(tensorMapOrder(Kind::Input, 3) == std::vector<int>{2, 1, 0});
  // [N, H, K, V] -> (V, K, H, N); [N, H, K] -> (K, H, N).
  CHECK(tensorMapOrder(Kind::InitialState, 4) == std::vector<int>{3, 2, 1, 0});
  CHECK(tensorMapOrder(Kind::FinalState, 3) == std::vector<int>{2, 1, 0});
}

TEST_CASE("manifest: scale, grouping, dtypes", "[manifest]") {
  Manifest constant = parse(edited("\"1/sqrt(K)\"", "0.125"));
  CHECK(constant.scaleDefault.kind == ScaleDefault::Kind::Constant);
  CHECK(constant.scaleDefault.value == 0.125);
  Manifest spaced = parse(edited("\"1/sqrt(K)\"", "\"1 / sqrt(V)\""));
  CHECK(spaced.scaleDefault.dim == 1);
  Manifest none = parse(edited(",\n  \"scale_default\": \"1/sqrt(K)\"", ""));
  CHECK(none.scaleDefault.kind == ScaleDefault::Kind::Unused);
  Manifest grouped = parse(edited(
      R"("scale_default")", R"("grouped_value_heads": true, "scale_default")"));
  CHECK(grouped.groupedValueHeads);
  Manifest typed = parse(
      edited(R"({"name": "beta", "role": "coefficient"})",
             R"({"name": "beta", "role": "coefficient", "dtype": "fp32"})"));
  CHECK(typed.inputs[4].dtype == DType::Float32);
  Manifest io =
      parse(edited(R"({"name": "g", "role": "log_gate"})",
                   R"({"name": "g", "role": "log_gate", "dtype": "io"})"));
  CHECK_FALSE(io.inputs[3].dtype);
}

TEST_CASE("manifest: arch compatibility", "[manifest]") {
  Arch exact{"sm_90a", 9, 0, 'a'};
  CHECK(exact.runsOn(9, 0));
  CHECK_FALSE(exact.runsOn(10, 0));
  CHECK_FALSE(exact.runsOn(8, 0));
  Arch plain{"sm_80", 8, 0, 0};
  CHECK(plain.runsOn(8, 6));
  CHECK_FALSE(plain.runsOn(9, 0));
  Manifest m = parse(edited(R"("sm_90a")", R"("sm_100a")"));
  CHECK(m.arch.major == 10);
  CHECK(m.arch.minor == 0);
}

TEST_CASE("manifest: errors name file, line, key and what was expected",
          "[manifest]") {
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {R"("format": 1)", R"("format": 2)",
       "larc: test/manifest.json:2:13: format: package format 2 is not "
       "supported; this runtime reads format 1"},
      {R"("format": 1,)", "",
       "larc: test/manifest.json:1:1: missing key \"format\" (the package "
       "format, 1)"},
      {R"("rule": "gated_delta_rule")", R"("rule": "gated-delta")",
       "larc: test/manifest.json:3:11: rule: \"gated-delta\" is not an "
       "identifier ([A-Za-z_][A-Za-z0-9_]*)"},
      {R"("cubin": "gated_delta_rule.cubin")", R"("cubin": "../x.cubin")",
       "larc: test/manifest.json:4:12: cubin: expected a path inside the "
       "package directory, got \"../x.cubin\""},
      {R"("sm_90a")", R"("sm90")",
       "larc: test/manifest.json:6:11: arch: expected sm_<major><minor>[a|f] "
       "such as sm_90a, got \"sm90\""},
      {R"("block": [384, 1, 1], "shared_bytes": 200000,)",
       R"("block": "384", "shared_bytes": 200000,)",
       "larc: test/manifest.json:11:16: kernels[0]: block: expected an array "
       "of 3 positive integers, got the string \"384\""},
      {R"("block": [384, 1, 1], "shared_bytes": 200000,)",
       R"("block": [384, 0, 1], "shared_bytes": 200000,)",
       "larc: test/manifest.json:11:22: kernels[0]: block[1]: expected an "
       "integer in [1, 2147483647], got the number 0"},
      {R"("block": [384, 1, 1], "shared_bytes": 200000,)",
       R"("block": [384, 4, 1], "shared_bytes": 200000,)",
       "larc: test/manifest.json:11:16: kernels[0]: block: 1536 threads; at "
       "most 1024"},
      {R"("shared_bytes": 200000,)", R"("shared_byte": 200000,)",
       "larc: test/manifest.json:11:44: kernels[0]: unknown key "
       "\"shared_byte\" (known: \"name\", \"dims\", \"stage\", \"dtype\", "
       "\"chunk_size\", \"block\", \"shared_bytes\", \"grid\", "
       "\"value_tile\", \"cluster\", \"alignment\", "
       "\"dependent_launch\", \"tensor_maps\", \"segments\", \"solve\")"},
      {R"("dtype": "bf16", "chunk_size": 64,
      "block": [384)",
       R"("dtype": "fp32", "chunk_size": 64,
      "block": [384)",
       "larc: test/manifest.json:10:46: kernels[0]: dtype: expected \"bf16\" "
       "or \"fp16\", got \"fp32\""},
      {R"("grid": "value_tiles,heads,sequences", "value_tile": 64 },
    { "name": "larc_gated_delta_rule_fwd_k64)",
       R"("grid": "value_tiles,heads,sequences", "value_tile": 64,
         "dependent_launch": "yes" },
    { "name": "larc_gated_delta_rule_fwd_k64)",
       "larc: test/manifest.json:13:30: kernels[0]: dependent_launch: "
       "expected true or false, got the string \"yes\""},
      {R"("grid": "value_tiles,heads,sequences", "value_tile": 64 },
    { "name": "larc_gated_delta_rule_fwd_k64)",
       R"("grid": "value_tiles,rows", "value_tile": 64 },
    { "name": "larc_gated_delta_rule_fwd_k64)",
       "larc: test/manifest.json:12:15: kernels[0]: grid: unknown axis "
       "\"rows\" (known: value_tiles, heads, key_heads, sequences, batch, 1)"},
      {R"("grid": "value_tiles,heads,sequences", "value_tile": 64 },
    { "name": "larc_gated_delta_rule_fwd_k64)",
       R"("grid": "value_tiles,heads,sequences" },
    { "name": "larc_gated_delta_rule_fwd_k64)",
       "larc: test/manifest.json:9:5: kernels[0]: missing key "
       "\"value_tile\": the grid has value_tiles"},
      {R"("name": "larc_gated_delta_rule_fwd_k64_v64_bf16",
      "dims": {"K": 64, "V": 64})",
       R"("name": "larc_gated_delta_rule_fwd_k64_v64_bf16",
      "dims": {"K": 128, "V": 128})",
       "larc: test/manifest.json:13:5: kernels[1]: "
       "larc_gated_delta_rule_fwd_k64_v64_bf16 has the same dims and dtype "
       "(K=128 V=128 bf16) as larc_gated_delta_rule_fwd_k128_v128_bf16"},
      {R"("name": "larc_gated_delta_rule_fwd_k64_v64_bf16")",
       R"("name": "larc_gated_delta_rule_fwd_k128_v128_bf16")",
       "larc: test/manifest.json:13:5: kernels[1]: the name "
       "larc_gated_delta_rule_fwd_k128_v128_bf16 is taken"},
      {R"({"name": "g", "role": "log_gate"})",
       R"({"name": "g", "role": "forget"})",
       "larc: test/manifest.json:26:27: inputs[3]: role: expected query, "
       "key, value, log_gate, gate or coefficient, got \"forget\""},
      {R"({"name": "k", "role": "key", "dim": "K"})",
       R"({"name": "k", "role": "key", "dim": "D"})",
       "larc: test/manifest.json:24:41: inputs[1]: dim: \"D\" is not one of "
       "the rule's dims (K, V)"},
      {R"({"name": "k", "role": "key", "dim": "K"})",
       R"({"name": "k", "role": "key"})",
       "larc: test/manifest.json:24:5: inputs[1]: missing key \"dim\": a key "
       "input is a vector over a dim"},
      {R"({"name": "beta", "role": "coefficient"})",
       R"({"name": "q", "role": "coefficient"})",
       "larc: test/manifest.json:27:14: inputs[4]: name: \"q\" is already an "
       "input, state or output"},
      {R"({"name": "beta", "role": "coefficient"})",
       R"({"name": "beta", "role": "coefficient", "dtype": "int8"})",
       "larc: test/manifest.json:27:54: inputs[4]: dtype: expected \"io\" "
       "(the kernel's dtype), \"fp32\", \"bf16\" or \"fp16\", got \"int8\""},
      {R"("states": [ {"name": "S", "key_dim": "K", "value_dim": "V"} ])",
       R"("states": [])",
       "larc: test/manifest.json:29:13: states: expected an array of 1 to 4 "
       "entries, got an array of 0"},
      {R"("outputs": [ {"name": "o", "dim": "V"} ])",
       R"("outputs": [ {"name": "S", "dim": "V"} ])",
       "larc: test/manifest.json:30:25: outputs[0]: name: \"S\" is already "
       "an input, state or output"},
      {"\"1/sqrt(K)\"", "\"1/sqrt(D)\"",
       "larc: test/manifest.json:31:20: scale_default: expected a positive "
       "number or \"1/sqrt(DIM)\" with DIM one of K, V, got the string "
       "\"1/sqrt(D)\""},
      {"\"1/sqrt(K)\"", "-1",
       "larc: test/manifest.json:31:20: scale_default: expected a positive "
       "number or \"1/sqrt(DIM)\" with DIM one of K, V, got the number -1"},
      {R"("scale_default")", R"("grouped_value_heads": 1, "scale_default")",
       "larc: test/manifest.json:31:26: grouped_value_heads: expected true "
       "or false, got the number 1"},
      {R"("scale_default")", R"("scales": 1, "scale_default")",
       "larc: test/manifest.json:31:13: unknown key \"scales\" (known: "
       "\"format\", \"rule\", \"cubin\", \"header\", \"arch\", \"dims\", "
       "\"inputs\", \"states\", \"outputs\", \"intermediates\", "
       "\"stages\", \"kernels\", \"scale_default\", \"grouped_value_heads\")"},
  };
  for (const Case &c : cases) {
    INFO(c.to);
    CHECK_THROWS_WITH(parse(edited(c.from, c.to)), Equals(c.message));
  }
}

TEST_CASE("manifest: every kernel sizes every dim", "[manifest]") {
  std::string text = edited(R"("arch": "sm_90a",)",
                            R"("arch": "sm_90a", "dims": ["K", "V"],)");
  size_t at = text.find(R"({"K": 128, "V": 128})");
  text.replace(at, 20, R"({"K": 128})");
  CHECK_THROWS_WITH(parse(text),
                    Equals("larc: test/manifest.json:10:15: kernels[0].dims: "
                           "missing key \"V\" (the dim's size)"));
  text.replace(at, 10, R"({"K": 128, "V": 128, "D": 1})");
  CHECK_THROWS_WITH(parse(text),
                    Equals("larc: test/manifest.json:10:41: kernels[0].dims: "
                           "unknown key \"D\" (known: \"K\", \"V\")"));
}

TEST_CASE("manifest: tensor map errors", "[manifest]") {
  auto withMaps = [](const std::string &maps) {
    return edited(R"("value_tile": 64 },)",
                  R"("value_tile": 64, "tensor_maps": [)" + maps + "] },");
  };
  CHECK_THROWS_WITH(parse(withMaps(R"({"tensor": "x", "box": [1]})")),
                    Contains("tensor: \"x\" is not an input, an output, or "
                             "STATE.initial / STATE.final"));
  CHECK_THROWS_WITH(parse(withMaps(R"({"tensor": "q", "box": [64, 128]})")),
                    Contains("box: \"q\" has rank 4; expected an array of 4 "
                             "extents, got an array of 2"));
  CHECK_THROWS_WITH(parse(withMaps(R"({"tensor": "q", "box": [1, 64, 1, 4]})")),
                    Contains("box: the innermost extent is 8 bytes; TMA needs "
                             "a multiple of 16"));
  CHECK_THROWS_WITH(
      parse(withMaps(
          R"({"tensor": "q", "box": [1, 64, 1, 128], "swizzle": "64B"})")),
      Contains("box: the innermost extent is 256 bytes, more than the 64B "
               "swizzle span"));
  CHECK_THROWS_WITH(
      parse(withMaps(
          R"({"tensor": "o", "box": [1, 64, 1, 64], "swizzle": "16B"})")),
      Contains("swizzle: expected \"none\" or one of 32B, 64B, 128B, got "
               "\"16B\""));
  CHECK_THROWS_WITH(
      parse(withMaps(R"({"tensor": "S.final", "box": [1, 1, 300, 64]})")),
      Contains("kernels[0].tensor_maps[0]: box[2]: expected an integer in "
               "[1, 256], got the number 300"));
}

TEST_CASE("manifest: dims must be named somewhere", "[manifest]") {
  CHECK_THROWS_WITH(
      parse(R"({"format": 1, "rule": "r", "cubin": "r.cubin", "arch": "sm_90a",
                "kernels": [], "inputs": [], "states": [], "outputs": []})"),
      Contains("missing key \"dims\" (the rule's dim names), and "
               "kernels[0].dims does not name 1 to 4 dims either"));
}

TEST_CASE("manifest: keys starting with _ are notes", "[manifest]") {
  Manifest m = parse(edited(R"("chunk_size": 64,)",
                            R"("chunk_size": 64, "_plan": {"why": "fused"},)"));
  CHECK(m.kernels[0].chunkSize == 64);
}

TEST_CASE("manifest: a missing file", "[manifest]") {
  CHECK_THROWS_WITH(readManifest("/nonexistent/manifest.json"),
                    StartsWith("larc: /nonexistent/manifest.json: cannot open "
                               "the manifest: No such file"));
}
