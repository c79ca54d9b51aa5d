//===- ElementwiseTest.cpp - scalar and vector ops, one token -------------===//

#include "TestSupport.h"

using namespace larc;
using namespace larc::test;

// Each value is one libm call or a few roundings from exact.
static constexpr double kHand = 1e-12;

static constexpr const char *kOps = R"mlir(
larc.rule @ops dims ["K"] {
  %x = larc.input "x" query : !larc.vec<K>
  %y = larc.input "y" key : !larc.vec<K>
  %s = larc.input "s" coefficient : !larc.scalar
  %w = larc.input "w" gate : !larc.scalar
  %big = larc.input "big" coefficient : !larc.scalar
  %two = larc.constant 2.0
  %neg = larc.neg %x : !larc.vec<K>
  %exp = larc.exp %x : !larc.vec<K>
  %log = larc.log %s : !larc.scalar
  %sqrt = larc.sqrt %s : !larc.scalar
  %sigmoid = larc.sigmoid %x : !larc.vec<K>
  %softplus = larc.softplus %x : !larc.vec<K>
  %relu = larc.relu %x : !larc.vec<K>
  %elu = larc.elu %x : !larc.vec<K>
  %silu = larc.silu %x : !larc.vec<K>
  %l2 = larc.l2norm %x : !larc.vec<K>
  %l2exact = larc.l2norm %y {eps = 0.0 : f64} : !larc.vec<K>
  %dot = larc.dot %x, %x : !larc.vec<K>
  %sq = larc.pow %x, %two : !larc.vec<K>, !larc.scalar
  %spow = larc.pow %s, %x : !larc.scalar, !larc.vec<K>
  %xdivs = larc.div %x, %s : !larc.vec<K>, !larc.scalar
  %sdivx = larc.div %s, %x : !larc.scalar, !larc.vec<K>
  %ssubx = larc.sub %s, %x : !larc.scalar, !larc.vec<K>
  %xaddx = larc.add %x, %x : !larc.vec<K>, !larc.vec<K>
  %xmuly = larc.mul %x, %y : !larc.vec<K>, !larc.vec<K>
  %spbig = larc.softplus %big : !larc.scalar
  %nbig = larc.neg %big : !larc.scalar
  %sgsmall = larc.sigmoid %nbig : !larc.scalar
  larc.output "neg", %neg : !larc.vec<K>
  larc.output "exp", %exp : !larc.vec<K>
  larc.output "log", %log : !larc.scalar
  larc.output "sqrt", %sqrt : !larc.scalar
  larc.output "sigmoid", %sigmoid : !larc.vec<K>
  larc.output "softplus", %softplus : !larc.vec<K>
  larc.output "relu", %relu : !larc.vec<K>
  larc.output "elu", %elu : !larc.vec<K>
  larc.output "silu", %silu : !larc.vec<K>
  larc.output "l2", %l2 : !larc.vec<K>
  larc.output "l2exact", %l2exact : !larc.vec<K>
  larc.output "dot", %dot : !larc.scalar
  larc.output "sq", %sq : !larc.vec<K>
  larc.output "spow", %spow : !larc.vec<K>
  larc.output "xdivs", %xdivs : !larc.vec<K>
  larc.output "sdivx", %sdivx : !larc.vec<K>
  larc.output "ssubx", %ssubx : !larc.vec<K>
  larc.output "xaddx", %xaddx : !larc.vec<K>
  larc.output "xmuly", %xmuly : !larc.vec<K>
  larc.output "w", %w : !larc.scalar
  larc.output "spbig", %spbig : !larc.scalar
  larc.output "sgsmall", %sgsmall : !larc.scalar
}
)mlir";

TEST_CASE("elementwise ops, broadcasts, l2norm and dot", "[reference][hand]") {
  ParsedRule parsed = parseRule(kOps);
  Problem p = makeProblem(/*T=*/1, /*H=*/1, {{"K", 2}});
  p.inputs["x"] = makeTensor({1, 1, 1, 2}, {-1, 2});
  p.inputs["y"] = makeTensor({1, 1, 1, 2}, {3, 4});
  p.inputs["s"] = makeTensor({1, 1, 1}, {4});
  p.inputs["w"] = makeTensor({1, 1, 1}, {0.25});
  p.inputs["big"] = makeTensor({1, 1, 1}, {800});
  Result r = runOk(parsed.rule, p);
  const double e = std::exp(1.0), e2 = std::exp(2.0);

  checkClose(r.outputs["neg"], {1, -2}, kHand);
  checkClose(r.outputs["exp"], {1 / e, e2}, kHand);
  checkClose(r.outputs["log"], {std::log(4.0)}, kHand);
  checkClose(r.outputs["sqrt"], {2}, kHand);
  // sigmoid(x) = 1 / (1 + e^-x).
  checkClose(r.outputs["sigmoid"], {1 / (1 + e), 1 / (1 + 1 / e2)}, kHand);
  // softplus(x) = log(1 + e^x).
  checkClose(r.outputs["softplus"], {std::log(1 + 1 / e), std::log(1 + e2)},
             kHand);
  checkClose(r.outputs["relu"], {0, 2}, kHand);
  // elu(-1) = e^-1 - 1.
  checkClose(r.outputs["elu"], {1 / e - 1, 2}, kHand);
  // silu(x) = x sigmoid(x).
  checkClose(r.outputs["silu"], {-1 / (1 + e), 2 / (1 + 1 / e2)}, kHand);
  // l2norm: x / sqrt(1 + 4 + 1e-6); with eps = 0, (3, 4) / 5.
  const double n = std::sqrt(5 + 1e-6);
  checkClose(r.outputs["l2"], {-1 / n, 2 / n}, kHand);
  checkClose(r.outputs["l2exact"], {0.6, 0.8}, kHand);
  checkClose(r.outputs["dot"], {5}, kHand);
  checkClose(r.outputs["sq"], {1, 4}, kHand);
  checkClose(r.outputs["spow"], {0.25, 16}, kHand); // 4^-1, 4^2
  checkClose(r.outputs["xdivs"], {-0.25, 0.5}, kHand);
  checkClose(r.outputs["sdivx"], {-4, 2}, kHand);
  checkClose(r.outputs["ssubx"], {5, 2}, kHand);
  checkClose(r.outputs["xaddx"], {-2, 4}, kHand);
  checkClose(r.outputs["xmuly"], {-3, 8}, kHand);
  checkClose(r.outputs["w"], {0.25}, kHand);
  // Stable forms: softplus(800) = 800 (not inf), sigmoid(-800) ~ e^-800 = 0
  // (not nan).
  checkClose(r.outputs["spbig"], {800}, kHand);
  checkClose(r.outputs["sgsmall"], {0}, kHand);
}
