//===- ValidationTest.cpp - bad arguments and bad IR are errors -----------===//

#include "Rules.h"
#include "TestSupport.h"

using namespace larc;
using namespace larc::test;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

/// A valid DeltaNet problem: B = 2, T = 5, H = 3, K = 32, V = 16.
Problem validProblem() {
  std::mt19937_64 rng(11);
  Problem p = makeProblem(/*T=*/5, /*H=*/3, {{"K", 32}, {"V", 16}}, /*B=*/2);
  p.inputs["q"] = randomTensor({2, 5, 3, 32}, rng);
  p.inputs["k"] = randomTensor({2, 5, 3, 32}, rng);
  p.inputs["v"] = randomTensor({2, 5, 3, 16}, rng);
  p.inputs["beta"] = randomTensor({2, 5, 3}, rng, 0, 1);
  return p;
}

} // namespace

TEST_CASE("the valid baseline runs", "[reference][errors]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  CHECK(runError(parsed.rule, validProblem()) == "");
}

TEST_CASE("input errors name the input", "[reference][errors]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  Problem p = validProblem();
  SECTION("missing") {
    p.inputs.erase("k");
    CHECK_THAT(runError(parsed.rule, p), Contains("missing input 'k'") &&
                                             Contains("[B=2, T=5, H=3, K=32]"));
  }
  SECTION("wrong last dimension") {
    p.inputs["k"] = Tensor({2, 5, 3, 16});
    CHECK_THAT(runError(parsed.rule, p),
               Equals("input 'k' has shape [2, 5, 3, 16], expected "
                      "[B=2, T=5, H=3, K=32]"));
  }
  SECTION("wrong rank of a scalar input") {
    p.inputs["beta"] = Tensor({2, 5, 3, 1});
    CHECK_THAT(runError(parsed.rule, p),
               Equals("input 'beta' has shape [2, 5, 3, 1], expected "
                      "[B=2, T=5, H=3]"));
  }
  SECTION("data does not match the shape") {
    p.inputs["v"].data.pop_back();
    CHECK_THAT(runError(parsed.rule, p), Contains("input 'v' holds"));
  }
  SECTION("an input the rule does not read") {
    p.inputs["kk"] = Tensor({2, 5, 3, 32});
    CHECK_THAT(runError(parsed.rule, p),
               Contains("input 'kk' is not read by rule @deltanet"));
  }
}

TEST_CASE("dimension errors name the dimension", "[reference][errors]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  Problem p = validProblem();
  SECTION("unbound") {
    p.dimSizes.erase("V");
    CHECK_THAT(runError(parsed.rule, p),
               Contains("dimension 'V'") && Contains("unbound"));
  }
  SECTION("not positive") {
    p.dimSizes["K"] = 0;
    CHECK_THAT(runError(parsed.rule, p), Contains("dimension 'K' has size 0"));
  }
}

TEST_CASE("initial state errors name the state", "[reference][errors]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  Problem p = validProblem();
  SECTION("wrong shape") {
    p.initialStates["S"] = Tensor({2, 3, 16, 32});
    CHECK_THAT(runError(parsed.rule, p),
               Equals("initial state 'S' has shape [2, 3, 16, 32], expected "
                      "[N=2, H=3, K=32, V=16]"));
  }
  SECTION("N follows cu_seqlens") {
    Problem packed = makeProblem(10, 3, {{"K", 32}, {"V", 16}});
    for (auto &entry : p.inputs) {
      Tensor t = entry.getValue();
      t.shape[1] = 10;
      t.shape[0] = 1;
      packed.inputs[entry.getKey()] = t;
    }
    packed.cuSeqlens = std::vector<int64_t>{0, 2, 7, 10};
    packed.initialStates["S"] = Tensor({2, 3, 32, 16});
    CHECK_THAT(runError(parsed.rule, packed),
               Contains("initial state 'S'") &&
                   Contains("[N=3, H=3, K=32, V=16]"));
  }
  SECTION("not a state of the rule") {
    p.initialStates["z"] = Tensor({2, 3, 32});
    CHECK_THAT(runError(parsed.rule, p),
               Contains("initial state 'z' is not a state of rule @deltanet"));
  }
}

TEST_CASE("cu_seqlens errors name cu_seqlens", "[reference][errors]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  Problem p = validProblem();
  SECTION("needs B = 1") {
    p.cuSeqlens = std::vector<int64_t>{0, 5};
    CHECK_THAT(runError(parsed.rule, p),
               Contains("cu_seqlens needs batch B = 1") && Contains("B = 2"));
  }
  // A packed B = 1 problem with T = 10.
  Problem packed = makeProblem(10, 3, {{"K", 32}, {"V", 16}});
  std::mt19937_64 rng(12);
  packed.inputs["q"] = randomTensor({1, 10, 3, 32}, rng);
  packed.inputs["k"] = randomTensor({1, 10, 3, 32}, rng);
  packed.inputs["v"] = randomTensor({1, 10, 3, 16}, rng);
  packed.inputs["beta"] = randomTensor({1, 10, 3}, rng);
  SECTION("must start at 0") {
    packed.cuSeqlens = std::vector<int64_t>{1, 4, 10};
    CHECK_THAT(runError(parsed.rule, packed),
               Contains("cu_seqlens must start at 0") &&
                   Contains("cu_seqlens[0] = 1"));
  }
  SECTION("must be monotone") {
    packed.cuSeqlens = std::vector<int64_t>{0, 6, 4, 10};
    CHECK_THAT(runError(parsed.rule, packed),
               Contains("cu_seqlens is not monotone") &&
                   Contains("cu_seqlens[2] = 4"));
  }
  SECTION("must end at T") {
    packed.cuSeqlens = std::vector<int64_t>{0, 4, 9};
    CHECK_THAT(runError(parsed.rule, packed),
               Contains("cu_seqlens ends at 9") && Contains("T = 10"));
  }
  SECTION("needs two offsets") {
    packed.cuSeqlens = std::vector<int64_t>{0};
    CHECK_THAT(runError(parsed.rule, packed), Contains("cu_seqlens has 1"));
  }
  SECTION("a valid one runs") {
    packed.cuSeqlens = std::vector<int64_t>{0, 4, 10};
    CHECK(runError(parsed.rule, packed) == "");
  }
}

TEST_CASE("sizes and scale are checked", "[reference][errors]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  Problem p = validProblem();
  SECTION("scale NaN") {
    p.scale = std::nan("");
    CHECK_THAT(runError(parsed.rule, p),
               Contains("scale") && Contains("not finite"));
  }
  SECTION("scale infinite") {
    p.scale = INFINITY;
    CHECK_THAT(runError(parsed.rule, p),
               Contains("scale = ") && Contains("is not finite"));
  }
  SECTION("batch") {
    p.batch = 0;
    CHECK_THAT(runError(parsed.rule, p), Contains("batch B = 0"));
  }
  SECTION("heads") {
    p.heads = 0;
    CHECK_THAT(runError(parsed.rule, p), Contains("heads H = 0"));
  }
  SECTION("seqLen") {
    p.seqLen = -1;
    CHECK_THAT(runError(parsed.rule, p), Contains("seqLen T = -1"));
  }
}

TEST_CASE("IR the reference cannot run is an error, not a crash",
          "[reference][errors]") {
  Problem p = makeProblem(1, 1, {{"K", 2}});
  p.inputs["x"] = Tensor({1, 1, 1, 2});
  SECTION("an unknown op in the body") {
    // Parsed without verification: the verifier would refuse it too.
    ParsedRule parsed = parseRule(R"mlir(
      larc.rule @foreign dims ["K"] {
        %x = larc.input "x" query : !larc.vec<K>
        %y = "test.mystery"(%x) : (!larc.vec<K>) -> !larc.vec<K>
        larc.output "o", %y : !larc.vec<K>
      }
    )mlir",
                                  /*verify=*/false);
    CHECK_THAT(runError(parsed.rule, p),
               Contains("'test.mystery'") && Contains("@foreign"));
  }
  SECTION("a readout of the updated state before its recur") {
    ParsedRule parsed = parseRule(R"mlir(
      larc.rule @early dims ["K"] {
        %x = larc.input "x" query : !larc.vec<K>
        %z = larc.state "z" : !larc.state<K>
        %r = larc.readout %z, %x : !larc.state<K>, !larc.vec<K> -> !larc.scalar
        %I = larc.identity : !larc.mat<K, K>
        larc.recur %z = %I, %x : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
        larc.output "o", %r : !larc.scalar
      }
    )mlir",
                                  /*verify=*/false);
    CHECK_THAT(runError(parsed.rule, p),
               Contains("state 'z'") && Contains("before its larc.recur"));
  }
  SECTION("a state updated twice") {
    ParsedRule parsed = parseRule(R"mlir(
      larc.rule @twice dims ["K"] {
        %x = larc.input "x" query : !larc.vec<K>
        %z = larc.state "z" : !larc.state<K>
        %I = larc.identity : !larc.mat<K, K>
        larc.recur %z = %I, %x : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
        larc.recur %z = %I, %x : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
        %r = larc.readout %z, %x : !larc.state<K>, !larc.vec<K> -> !larc.scalar
        larc.output "o", %r : !larc.scalar
      }
    )mlir",
                                  /*verify=*/false);
    CHECK_THAT(runError(parsed.rule, p),
               Contains("state 'z' is updated by more than one larc.recur"));
  }
}

TEST_CASE("unverified IR with mismatched types is refused",
          "[reference][errors]") {
  Problem p = makeProblem(1, 1, {{"K", 2}, {"V", 3}});
  p.inputs["x"] = Tensor({1, 1, 1, 2});
  // larc.exp's result has another dimension than its operand.
  ParsedRule parsed = parseRule(R"mlir(
    larc.rule @mismatch dims ["K", "V"] {
      %x = larc.input "x" query : !larc.vec<K>
      %y = "larc.exp"(%x) : (!larc.vec<K>) -> !larc.vec<V>
      larc.output "o", %y : !larc.vec<V>
    }
  )mlir",
                                /*verify=*/false);
  CHECK_THAT(runError(parsed.rule, p),
             Contains("'larc.exp' has a result type that does not match"));
}
