//===- HandVariantsTest.cpp - every variant against hand-worked numbers ---===//
//
// Tiny dims (K = 2, V = 2 or 3), known initial states, T = 1 and T = 2: each
// case sets up two tokens and checks the first token alone (T = 1) and both
// (T = 2). The expected numbers are worked out by hand in the comments;
// layouts are flash-linear-attention's, so with B = H = 1 a tensor is its
// tokens in order.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"
#include "TestSupport.h"

using namespace larc;
using namespace larc::test;

// Hand cases: values are O(1) and each passes through a handful of roundings,
// so 1e-12 absolute is far above fp64 noise and far below any real mistake.
static constexpr double kHand = 1e-12;

static const double e = std::exp(1.0);

TEST_CASE("linear attention with elu+1 and the normaliser",
          "[reference][hand]") {
  ParsedRule parsed = parseRule(kLinearAttention);
  Problem p = makeProblem(/*T=*/2, /*H=*/1, {{"K", 2}, {"V", 2}});
  // phi(x) = elu(x) + 1 = x + 1 for x > 0, e^x for x <= 0.
  p.inputs["k"] = makeTensor({1, 2, 1, 2}, {1, 0, /*t2*/ -1, 1});
  p.inputs["v"] = makeTensor({1, 2, 1, 2}, {1, 2, /*t2*/ 3, -1});
  p.inputs["q"] = makeTensor({1, 2, 1, 2}, {0, 1, /*t2*/ 1, -1});

  // t1: phi(k1) = (2, 1), phi(q1) = (1, 2).
  //   S1 = phi(k1) v1^T = [[2, 4], [1, 2]], z1 = (2, 1).
  //   num = S1^T phi(q1) = (2 + 2, 4 + 4) = (4, 8); den = 2 + 2 = 4.
  //   o1 = (1, 2).
  SECTION("T = 1") {
    Result r = runOk(parsed.rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {1, 2}, kHand);
    checkClose(r.outputs["den"], {4}, kHand);
    checkClose(r.finalStates["S"], {2, 4, 1, 2}, kHand);
    checkClose(r.finalStates["z"], {2, 1}, kHand);
  }
  // t2: phi(k2) = (1/e, 2), phi(q2) = (2, 1/e).
  //   S2 = S1 + phi(k2) v2^T = [[2 + 3/e, 4 - 1/e], [1 + 6, 2 - 2]],
  //   z2 = (2 + 1/e, 3).
  //   num = (2 (2 + 3/e) + 7/e, 2 (4 - 1/e) + 0) = (4 + 13/e, 8 - 2/e);
  //   den = 2 (2 + 1/e) + 3/e = 4 + 5/e.
  SECTION("T = 2") {
    Result r = runOk(parsed.rule, p);
    double den2 = 4 + 5 / e;
    checkClose(r.outputs["o"], {1, 2, (4 + 13 / e) / den2, (8 - 2 / e) / den2},
               kHand);
    checkClose(r.outputs["den"], {4, den2}, kHand);
    CHECK(r.outputs["den"].shape == std::vector<int64_t>{1, 2, 1});
    checkClose(r.finalStates["S"], {2 + 3 / e, 4 - 1 / e, 7, 0}, kHand);
    checkClose(r.finalStates["z"], {2 + 1 / e, 3}, kHand);
    CHECK(r.finalStates["z"].shape == std::vector<int64_t>{1, 1, 2});
  }
}

TEST_CASE("RetNet: per-head decay 1 - 2^(-5-h) from larc.head_index",
          "[reference][hand]") {
  ParsedRule parsed = parseRule(kRetNet);
  Problem p = makeProblem(/*T=*/2, /*H=*/2, {{"K", 2}, {"V", 2}});
  // The same inputs on both heads ([B, T, H, d]: per token, head 0 then
  // head 1), so the heads differ only through gamma_h.
  p.inputs["k"] = makeTensor({1, 2, 2, 2}, {1, 0, 1, 0, /*t2*/ 0, 1, 0, 1});
  p.inputs["v"] = makeTensor({1, 2, 2, 2}, {1, 2, 1, 2, /*t2*/ 2, -1, 2, -1});
  p.inputs["q"] = makeTensor({1, 2, 2, 2}, {1, 1, 1, 1, /*t2*/ 2, 1, 2, 1});
  const double g0 = 31.0 / 32, g1 = 63.0 / 64; // 1 - 2^-5, 1 - 2^-6

  // S1 = k1 v1^T = [[1, 2], [0, 0]];  o1 = s S1^T q1 = s (1, 2).
  // S2 = g S1 + k2 v2^T = [[g, 2g], [2, -1]];
  // o2 = s S2^T q2 = s (2g + 2, 4g - 1).
  SECTION("T = 1, scale 0.5") {
    Problem p1 = firstTokens(p, 1);
    p1.scale = 0.5;
    Result r = runOk(parsed.rule, p1);
    checkClose(r.outputs["gamma"], {g0, g1}, kHand);
    checkClose(r.outputs["o"], {0.5, 1, 0.5, 1}, kHand);
    checkClose(r.finalStates["S"], {1, 2, 0, 0, 1, 2, 0, 0}, kHand);
  }
  SECTION("T = 2, scale 0.5") {
    p.scale = 0.5;
    Result r = runOk(parsed.rule, p);
    checkClose(r.outputs["gamma"], {g0, g1, g0, g1}, kHand);
    // o2 head 0: (g0 + 1, 2 g0 - 1/2) = (63/32, 23/16);
    // o2 head 1: (g1 + 1, 2 g1 - 1/2) = (127/64, 47/32).
    checkClose(r.outputs["o"],
               {0.5, 1, 0.5, 1, 63.0 / 32, 23.0 / 16, 127.0 / 64, 47.0 / 32},
               kHand);
    // Final states [N=1, H=2, K, V]: head 0 then head 1.
    checkClose(r.finalStates["S"], {g0, 2 * g0, 2, -1, g1, 2 * g1, 2, -1},
               kHand);
  }
  SECTION("T = 2, default scale 1/sqrt(|K|)") {
    Result r = runOk(parsed.rule, p);
    const double s = 1 / std::sqrt(2.0);
    checkClose(r.outputs["o"],
               {s, 2 * s, s, 2 * s, s * (2 * g0 + 2), s * (4 * g0 - 1),
                s * (2 * g1 + 2), s * (4 * g1 - 1)},
               kHand);
  }
}

TEST_CASE("simple GLA: scalar gate diag(exp(g)), V = 3", "[reference][hand]") {
  ParsedRule parsed = parseRule(kSimpleGla);
  Problem p = makeProblem(/*T=*/2, /*H=*/1, {{"K", 2}, {"V", 3}});
  p.inputs["g"] = makeTensor({1, 2, 1}, {std::log(0.5), 0.0});
  p.inputs["k"] = makeTensor({1, 2, 1, 2}, {1, 1, /*t2*/ 0, 2});
  p.inputs["v"] = makeTensor({1, 2, 1, 3}, {1, 0, -1, /*t2*/ 1, 1, 1});
  p.inputs["q"] = makeTensor({1, 2, 1, 2}, {1, 0, /*t2*/ 1, 1});
  p.initialStates["S"] = makeTensor({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6});

  // t1: exp(g1) = 1/2. S1 = S0 / 2 + k1 v1^T
  //   = [[0.5, 1, 1.5], [2, 2.5, 3]] + [[1, 0, -1], [1, 0, -1]]
  //   = [[1.5, 1, 0.5], [3, 2.5, 2]];  o1 = S1^T (1, 0) = (1.5, 1, 0.5).
  SECTION("T = 1") {
    Result r = runOk(parsed.rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {1.5, 1, 0.5}, kHand);
    checkClose(r.finalStates["S"], {1.5, 1, 0.5, 3, 2.5, 2}, kHand);
  }
  // t2: exp(0) = 1. S2 = S1 + (0, 2)(1, 1, 1)^T = [[1.5, 1, 0.5], [5, 4.5, 4]];
  //   o2 = S2^T (1, 1) = (6.5, 5.5, 4.5).
  SECTION("T = 2") {
    Result r = runOk(parsed.rule, p);
    checkClose(r.outputs["o"], {1.5, 1, 0.5, 6.5, 5.5, 4.5}, kHand);
    checkClose(r.finalStates["S"], {1.5, 1, 0.5, 5, 4.5, 4}, kHand);
  }
}

TEST_CASE("GLA: per-key gates diag(exp(gk))", "[reference][hand]") {
  ParsedRule parsed = parseRule(kGla);
  Problem p = makeProblem(/*T=*/2, /*H=*/1, {{"K", 2}, {"V", 2}});
  p.inputs["gk"] = makeTensor(
      {1, 2, 1, 2}, {std::log(0.5), std::log(0.25), /*t2*/ 0, std::log(0.5)});
  p.inputs["k"] = makeTensor({1, 2, 1, 2}, {1, 2, /*t2*/ 0, 1});
  p.inputs["v"] = makeTensor({1, 2, 1, 2}, {1, -1, /*t2*/ 4, 0});
  p.inputs["q"] = makeTensor({1, 2, 1, 2}, {1, 1, /*t2*/ 2, 0});
  p.initialStates["S"] = makeTensor({1, 1, 2, 2}, {1, 1, 1, 1});

  // t1: D = diag(1/2, 1/4). S1 = D S0 + k1 v1^T
  //   = [[0.5, 0.5], [0.25, 0.25]] + [[1, -1], [2, -2]]
  //   = [[1.5, -0.5], [2.25, -1.75]];  o1 = (1.5 + 2.25, -0.5 - 1.75)
  //   = (3.75, -2.25).
  SECTION("T = 1") {
    Result r = runOk(parsed.rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {3.75, -2.25}, kHand);
    checkClose(r.finalStates["S"], {1.5, -0.5, 2.25, -1.75}, kHand);
  }
  // t2: D = diag(1, 1/2). S2 = [[1.5, -0.5], [1.125, -0.875]] + [[0, 0], [4,
  // 0]]
  //   = [[1.5, -0.5], [5.125, -0.875]];  o2 = S2^T (2, 0) = (3, -1).
  SECTION("T = 2") {
    Result r = runOk(parsed.rule, p);
    checkClose(r.outputs["o"], {3.75, -2.25, 3, -1}, kHand);
    checkClose(r.finalStates["S"], {1.5, -0.5, 5.125, -0.875}, kHand);
  }
}

// DeltaNet, its spelling with sums, and the prediction form all see these.
static Problem deltaProblem() {
  Problem p = makeProblem(/*T=*/2, /*H=*/1, {{"K", 2}, {"V", 2}});
  p.inputs["k"] = makeTensor({1, 2, 1, 2}, {1, 0, /*t2*/ 0.6, 0.8});
  p.inputs["beta"] = makeTensor({1, 2, 1}, {0.5, 1.0});
  p.inputs["v"] = makeTensor({1, 2, 1, 2}, {2, 2, /*t2*/ 1, 0});
  p.inputs["q"] = makeTensor({1, 2, 1, 2}, {1, 1, /*t2*/ 0, 1});
  p.initialStates["S"] = makeTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  return p;
}

// t1: k1^T S0 = (1, 2). S1 = S0 - 0.5 k1 (1, 2) + 0.5 k1 (2, 2)
//   = [[1 - 0.5 + 1, 2 - 1 + 1], [3, 4]] = [[1.5, 2], [3, 4]];
//   o1 = S1^T (1, 1) = (4.5, 6).
// t2: k2^T S1 = 0.6 (1.5, 2) + 0.8 (3, 4) = (3.3, 4.4).
//   S2 = S1 + k2 ((1, 0) - (3.3, 4.4)) = S1 + k2 (-2.3, -4.4)
//   = [[1.5 - 1.38, 2 - 2.64], [3 - 1.84, 4 - 3.52]]
//   = [[0.12, -0.64], [1.16, 0.48]];  o2 = S2^T (0, 1) = (1.16, 0.48).
static void checkDelta(RuleOp rule) {
  Problem p = deltaProblem();
  SECTION("T = 1") {
    Result r = runOk(rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {4.5, 6}, kHand);
    checkClose(r.finalStates["S"], {1.5, 2, 3, 4}, kHand);
  }
  SECTION("T = 2") {
    Result r = runOk(rule, p);
    checkClose(r.outputs["o"], {4.5, 6, 1.16, 0.48}, kHand);
    checkClose(r.finalStates["S"], {0.12, -0.64, 1.16, 0.48}, kHand);
  }
}

TEST_CASE("DeltaNet", "[reference][hand]") {
  ParsedRule parsed = parseRule(kDeltaNet);
  checkDelta(parsed.rule);
}

TEST_CASE("DeltaNet written with matrix sum, difference and scalings",
          "[reference][hand]") {
  // A = (I - beta k k^T) / 1 and B = (k v^T) beta: the same numbers as
  // DeltaNet, through the Difference / Scaled operator paths.
  ParsedRule parsed = parseRule(kDeltaNetBySum);
  checkDelta(parsed.rule);
}

TEST_CASE("delta rule as S + beta k (v - S^T k)^T with readout prev",
          "[reference][hand]") {
  SECTION("prediction form") {
    ParsedRule parsed = parseRule(kDeltaPrediction);
    checkDelta(parsed.rule);
    // The prediction reads S_{t-1}: p1 = S0^T k1 = (1, 2),
    // p2 = S1^T k2 = (3.3, 4.4); read after the update, `prev` still
    // means S_{t-1}.
    Result r = runOk(parsed.rule, deltaProblem());
    checkClose(r.outputs["p"], {1, 2, 3.3, 4.4}, kHand);
    checkClose(r.outputs["p_after"], {1, 2, 3.3, 4.4}, kHand);
  }
  SECTION("update as a difference of two outer products") {
    ParsedRule parsed = parseRule(kDeltaPredictionSplit);
    checkDelta(parsed.rule);
  }
}

TEST_CASE("Gated DeltaNet", "[reference][hand]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  Problem p = deltaProblem();
  p.inputs["g"] = makeTensor({1, 2, 1}, {std::log(0.5), std::log(0.5)});
  // t1: (I - 0.5 k1 k1^T) S0 = [[0.5, 1], [3, 4]]; times 1/2:
  //   [[0.25, 0.5], [1.5, 2]]; + 0.5 k1 (2, 2) = [[1, 1], [0, 0]]:
  //   S1 = [[1.25, 1.5], [1.5, 2]];  o1 = S1^T (1, 1) = (2.75, 3.5).
  SECTION("T = 1") {
    Result r = runOk(parsed.rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {2.75, 3.5}, kHand);
    checkClose(r.finalStates["S"], {1.25, 1.5, 1.5, 2}, kHand);
  }
  // t2: k2^T S1 = 0.6 (1.25, 1.5) + 0.8 (1.5, 2) = (1.95, 2.5).
  //   S1 - k2 (1.95, 2.5) = [[1.25 - 1.17, 1.5 - 1.5], [1.5 - 1.56, 2 - 2]]
  //   = [[0.08, 0], [-0.06, 0]]; times 1/2: [[0.04, 0], [-0.03, 0]];
  //   + k2 (1, 0) = [[0.6, 0], [0.8, 0]]:  S2 = [[0.64, 0], [0.77, 0]];
  //   o2 = S2^T (0, 1) = (0.77, 0).
  SECTION("T = 2") {
    Result r = runOk(parsed.rule, p);
    checkClose(r.outputs["o"], {2.75, 3.5, 0.77, 0}, kHand);
    checkClose(r.finalStates["S"], {0.64, 0, 0.77, 0}, kHand);
  }
}

TEST_CASE("KDA: (I - beta k k^T) diag(exp(g)) S + beta k v^T",
          "[reference][hand]") {
  ParsedRule parsed = parseRule(kKda);
  Problem p = deltaProblem();
  p.inputs["g"] =
      makeTensor({1, 2, 1, 2}, {std::log(0.5), 0, /*t2*/ 0, std::log(0.5)});
  // t1: D S0 = diag(1/2, 1) S0 = [[0.5, 1], [3, 4]]; k1^T (D S0) = (0.5, 1);
  //   (I - 0.5 k1 k1^T) D S0 = [[0.25, 0.5], [3, 4]]; + [[1, 1], [0, 0]]:
  //   S1 = [[1.25, 1.5], [3, 4]];  o1 = (4.25, 5.5).
  SECTION("T = 1") {
    Result r = runOk(parsed.rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {4.25, 5.5}, kHand);
    checkClose(r.finalStates["S"], {1.25, 1.5, 3, 4}, kHand);
  }
  // t2: D S1 = diag(1, 1/2) S1 = [[1.25, 1.5], [1.5, 2]];
  //   k2^T (D S1) = (1.95, 2.5);  S2 = D S1 + k2 ((1, 0) - (1.95, 2.5))
  //   = [[1.25 - 0.57, 1.5 - 1.5], [1.5 - 0.76, 2 - 2]]
  //   = [[0.68, 0], [0.74, 0]];  o2 = (0.74, 0).
  SECTION("T = 2") {
    Result r = runOk(parsed.rule, p);
    checkClose(r.outputs["o"], {4.25, 5.5, 0.74, 0}, kHand);
    checkClose(r.finalStates["S"], {0.68, 0, 0.74, 0}, kHand);
  }
}

TEST_CASE("DeltaProduct: two Householder factors per token",
          "[reference][hand]") {
  ParsedRule parsed = parseRule(kDeltaProduct);
  Problem p = makeProblem(/*T=*/2, /*H=*/1, {{"K", 2}, {"V", 2}});
  p.inputs["k1"] = makeTensor({1, 2, 1, 2}, {1, 0, /*t2*/ 0.6, 0.8});
  p.inputs["beta1"] = makeTensor({1, 2, 1}, {0.5, 1.0});
  p.inputs["v1"] = makeTensor({1, 2, 1, 2}, {2, 2, /*t2*/ 1, 0});
  p.inputs["k2"] = makeTensor({1, 2, 1, 2}, {0, 1, /*t2*/ 1, 0});
  p.inputs["beta2"] = makeTensor({1, 2, 1}, {1.0, 2.0}); // t2: a reflection
  p.inputs["v2"] = makeTensor({1, 2, 1, 2}, {-1, 5, /*t2*/ 0, 0});
  p.inputs["q"] = makeTensor({1, 2, 1, 2}, {1, 1, /*t2*/ 1, 0});
  p.initialStates["S"] = makeTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  // H2 H1 S + H2 u1 + u2 is two delta sub-steps, H1 first.
  // t1, step 1 (k1 = (1, 0), beta 1/2, v1 = (2, 2)): as DeltaNet's t1,
  //   S' = [[1.5, 2], [3, 4]].
  // t1, step 2 (k2 = (0, 1), beta 1, v2 = (-1, 5)): row 1 becomes v2:
  //   S1 = [[1.5, 2], [-1, 5]];  o1 = S1^T (1, 1) = (0.5, 7).
  SECTION("T = 1") {
    Result r = runOk(parsed.rule, firstTokens(p, 1));
    checkClose(r.outputs["o"], {0.5, 7}, kHand);
    checkClose(r.finalStates["S"], {1.5, 2, -1, 5}, kHand);
  }
  // t2, step 1 (k1 = (0.6, 0.8), beta 1, v1 = (1, 0)):
  //   k1^T S1 = 0.6 (1.5, 2) + 0.8 (-1, 5) = (0.1, 5.2);
  //   S' = S1 + k1 (0.9, -5.2)
  //   = [[1.5 + 0.54, 2 - 3.12], [-1 + 0.72, 5 - 4.16]]
  //   = [[2.04, -1.12], [-0.28, 0.84]].
  // t2, step 2 (k2 = (1, 0), beta 2, v2 = 0): I - 2 e1 e1^T negates row 0:
  //   S2 = [[-2.04, 1.12], [-0.28, 0.84]];  o2 = S2^T (1, 0) = (-2.04, 1.12).
  SECTION("T = 2") {
    Result r = runOk(parsed.rule, p);
    checkClose(r.outputs["o"], {0.5, 7, -2.04, 1.12}, kHand);
    checkClose(r.finalStates["S"], {-2.04, 1.12, -0.28, 0.84}, kHand);
  }
}
