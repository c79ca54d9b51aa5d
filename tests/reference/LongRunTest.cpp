//===- LongRunTest.cpp - T = 65536 gated delta, the size later checks use -===//

#include "Rules.h"
#include "TestSupport.h"

#include <chrono>

using namespace larc;
using namespace larc::test;

TEST_CASE("gated delta over T = 65536 tokens stays finite",
          "[reference][long]") {
  ParsedRule parsed = parseRule(kGatedDeltaFla);
  const int64_t T = 65536, K = 64, V = 64;
  Problem p = makeProblem(T, /*H=*/1, {{"K", K}, {"V", V}});
  std::mt19937_64 rng(42);
  p.inputs["q"] = randomTensor({1, T, 1, K}, rng);
  p.inputs["k"] = randomTensor({1, T, 1, K}, rng); // L2-normalised in the rule
  p.inputs["v"] = randomTensor({1, T, 1, V}, rng);
  p.inputs["g"] = randomTensor({1, T, 1}, rng, -0.1, 0.0);
  p.inputs["beta"] = randomTensor({1, T, 1}, rng, 0.05, 1.0); // in (0, 1]

  auto start = std::chrono::steady_clock::now();
  Result r = runOk(parsed.rule, p);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  WARN("T = 65536, K = V = 64 gated delta: " << seconds << " s");

  const Tensor &o = r.outputs["o"];
  REQUIRE(o.shape == std::vector<int64_t>{1, T, 1, V});
  CHECK(std::all_of(o.data.begin(), o.data.end(),
                    [](double x) { return std::isfinite(x); }));
  const Tensor &S = r.finalStates["S"];
  CHECK(std::all_of(S.data.begin(), S.data.end(),
                    [](double x) { return std::isfinite(x); }));
  // With |k| <= 1, beta in (0, 1] and exp(g) <= 1 every transition has norm
  // <= 1, so |S|_F <= sum_t beta |v_t| <= T * 8; in practice far smaller.
  double norm = 0;
  for (double x : S.data)
    norm += x * x;
  CHECK(std::sqrt(norm) < T * 8.0);
  CHECK(std::sqrt(norm) > 0);
  // A generous bound so a pathological slowdown fails the test.
  CHECK(seconds < 30);
}
