//===- StructureTest.cpp - sequences, heads, states, dense cross-checks ---===//
//
// Properties of the token loop rather than of one rule's arithmetic:
// cu_seqlens packing, state reset between sequences, initial and final
// states, heads, and agreement with a plain dense-matrix recurrence.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"
#include "TestSupport.h"

#include <functional>

using namespace larc;
using namespace larc::test;

namespace {

/// Head h of a [B, T, H, ...] tensor, as [B, T, 1, ...].
Tensor sliceHead(const Tensor &t, int64_t h) {
  std::vector<int64_t> shape = t.shape;
  int64_t heads = shape[2], outer = shape[0] * shape[1];
  int64_t inner = t.numel() / (outer * heads);
  shape[2] = 1;
  Tensor out(shape);
  for (int64_t i = 0; i < outer; ++i)
    std::copy_n(t.data.begin() + (i * heads + h) * inner, inner,
                out.data.begin() + i * inner);
  return out;
}

/// Entry (n, h) of an [N, H, ...] state, as [1, 1, ...].
Tensor sliceState(const Tensor &t, int64_t n, int64_t h) {
  std::vector<int64_t> shape = t.shape;
  int64_t inner = t.numel() / (shape[0] * shape[1]);
  shape[0] = shape[1] = 1;
  Tensor out(shape);
  std::copy_n(t.data.begin() + (n * t.shape[1] + h) * inner, inner,
              out.data.begin());
  return out;
}

/// Random gated-delta inputs: k in [-1, 1), beta in (0, 1), g in [-1, 0).
void randomGatedDelta(Problem &p, std::mt19937_64 &rng, int64_t K, int64_t V,
                      bool withInitial) {
  int64_t B = p.batch, T = p.seqLen, H = p.heads;
  p.inputs["q"] = randomTensor({B, T, H, K}, rng);
  p.inputs["k"] = randomTensor({B, T, H, K}, rng);
  p.inputs["v"] = randomTensor({B, T, H, V}, rng);
  p.inputs["g"] = randomTensor({B, T, H}, rng, -1.0, 0.0);
  p.inputs["beta"] = randomTensor({B, T, H}, rng, 0.01, 1.0);
  int64_t N = p.cuSeqlens ? int64_t(p.cuSeqlens->size()) - 1 : B;
  if (withInitial)
    p.initialStates["S"] = randomTensor({N, H, K, V}, rng);
}

// Packing, slicing and chaining run the same operations in the same order on
// the same numbers, so these comparisons are exact.

} // namespace

TEST_CASE("cu_seqlens: packed sequences equal separate batch entries",
          "[reference][varlen]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  std::mt19937_64 rng(1);
  const int64_t K = 3, V = 2, H = 2;
  Problem batched = makeProblem(/*T=*/4, H, {{"K", K}, {"V", V}}, /*B=*/2);
  randomGatedDelta(batched, rng, K, V, /*withInitial=*/true);

  // [B=2, T=4, H, d] and [B=1, T=8, H, d] have the same memory layout.
  Problem packed = batched;
  packed.batch = 1;
  packed.seqLen = 8;
  packed.cuSeqlens = std::vector<int64_t>{0, 4, 8};
  for (auto &entry : packed.inputs) {
    Tensor &t = entry.getValue();
    t.shape[1] *= t.shape[0];
    t.shape[0] = 1;
  }
  Result a = runOk(parsed.rule, batched);
  Result b = runOk(parsed.rule, packed);
  Tensor o = a.outputs["o"];
  o.shape = {1, 8, H, V};
  checkIdentical(b.outputs["o"], o);
  checkIdentical(b.finalStates["S"], a.finalStates["S"]);
}

TEST_CASE("cu_seqlens: unequal lengths, state reset between sequences",
          "[reference][varlen]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  std::mt19937_64 rng(2);
  const int64_t K = 3, V = 2, H = 2;
  bool withInitial = GENERATE(false, true);
  INFO("with initial states: " << withInitial);
  Problem packed = makeProblem(/*T=*/8, H, {{"K", K}, {"V", V}});
  packed.cuSeqlens = std::vector<int64_t>{0, 3, 8};
  randomGatedDelta(packed, rng, K, V, withInitial);
  Result all = runOk(parsed.rule, packed);

  const int64_t bounds[3] = {0, 3, 8};
  for (int64_t n = 0; n < 2; ++n) {
    Problem one =
        makeProblem(bounds[n + 1] - bounds[n], H, {{"K", K}, {"V", V}});
    for (auto &entry : packed.inputs)
      one.inputs[entry.getKey()] =
          sliceTokens(entry.getValue(), bounds[n], bounds[n + 1]);
    if (withInitial) {
      Tensor init({1, H, K, V});
      for (int64_t h = 0; h < H; ++h)
        std::copy_n(sliceState(packed.initialStates["S"], n, h).data.begin(),
                    K * V, init.data.begin() + h * K * V);
      one.initialStates["S"] = init;
    }
    Result alone = runOk(parsed.rule, one);
    INFO("sequence " << n);
    checkIdentical(alone.outputs["o"],
                   sliceTokens(all.outputs["o"], bounds[n], bounds[n + 1]));
    for (int64_t h = 0; h < H; ++h)
      checkIdentical(sliceState(alone.finalStates["S"], 0, h),
                     sliceState(all.finalStates["S"], n, h));
  }
}

TEST_CASE("cu_seqlens: an empty sequence returns its initial state",
          "[reference][varlen]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  std::mt19937_64 rng(3);
  Problem p = makeProblem(/*T=*/3, /*H=*/1, {{"K", 2}, {"V", 2}});
  p.cuSeqlens = std::vector<int64_t>{0, 0, 3};
  randomGatedDelta(p, rng, 2, 2, /*withInitial=*/true);
  Result r = runOk(parsed.rule, p);
  CHECK(r.finalStates["S"].shape == std::vector<int64_t>{2, 1, 2, 2});
  checkIdentical(sliceState(r.finalStates["S"], 0, 0),
                 sliceState(p.initialStates["S"], 0, 0));
}

TEST_CASE("initial state is used and the final state chains",
          "[reference][state]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  std::mt19937_64 rng(4);
  const int64_t K = 3, V = 4, H = 2;
  Problem whole = makeProblem(/*T=*/6, H, {{"K", K}, {"V", V}});
  randomGatedDelta(whole, rng, K, V, /*withInitial=*/true);
  Result full = runOk(parsed.rule, whole);

  // Tokens 0..2, then tokens 3..5 from the state the first half ends in.
  Problem first = makeProblem(3, H, {{"K", K}, {"V", V}});
  Problem second = makeProblem(3, H, {{"K", K}, {"V", V}});
  for (auto &entry : whole.inputs) {
    first.inputs[entry.getKey()] = sliceTokens(entry.getValue(), 0, 3);
    second.inputs[entry.getKey()] = sliceTokens(entry.getValue(), 3, 6);
  }
  first.initialStates["S"] = whole.initialStates["S"];
  Result r1 = runOk(parsed.rule, first);
  second.initialStates["S"] = r1.finalStates["S"];
  Result r2 = runOk(parsed.rule, second);
  checkIdentical(r2.finalStates["S"], full.finalStates["S"]);
  checkIdentical(r2.outputs["o"], sliceTokens(full.outputs["o"], 3, 6));

  // Without the initial state the outputs change: it was really used.
  Problem zero = whole;
  zero.initialStates.clear();
  Result z = runOk(parsed.rule, zero);
  CHECK(z.outputs["o"].data[0] != full.outputs["o"].data[0]);
}

TEST_CASE("T = 0: no outputs, final state = initial state",
          "[reference][state]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  std::mt19937_64 rng(5);
  Problem p = makeProblem(/*T=*/0, /*H=*/2, {{"K", 2}, {"V", 3}}, /*B=*/2);
  randomGatedDelta(p, rng, 2, 3, /*withInitial=*/true);
  Result r = runOk(parsed.rule, p);
  CHECK(r.outputs["o"].shape == std::vector<int64_t>{2, 0, 2, 3});
  checkIdentical(r.finalStates["S"], p.initialStates["S"]);
}

TEST_CASE("heads run independently on their own slices", "[reference][heads]") {
  ParsedRule parsed = parseRule(kGatedDelta);
  std::mt19937_64 rng(6);
  const int64_t K = 2, V = 3, H = 3;
  Problem p = makeProblem(/*T=*/5, H, {{"K", K}, {"V", V}}, /*B=*/2);
  randomGatedDelta(p, rng, K, V, /*withInitial=*/true);
  Result all = runOk(parsed.rule, p);
  for (int64_t h = 0; h < H; ++h) {
    Problem one = makeProblem(5, 1, {{"K", K}, {"V", V}}, 2);
    for (auto &entry : p.inputs)
      one.inputs[entry.getKey()] = sliceHead(entry.getValue(), h);
    Tensor init({2, 1, K, V});
    for (int64_t n = 0; n < 2; ++n)
      std::copy_n(sliceState(p.initialStates["S"], n, h).data.begin(), K * V,
                  init.data.begin() + n * K * V);
    one.initialStates["S"] = init;
    Result alone = runOk(parsed.rule, one);
    INFO("head " << h);
    checkIdentical(alone.outputs["o"], sliceHead(all.outputs["o"], h));
    for (int64_t n = 0; n < 2; ++n)
      checkIdentical(sliceState(alone.finalStates["S"], n, 0),
                     sliceState(all.finalStates["S"], n, h));
  }
}

//===----------------------------------------------------------------------===//
// Cross-check against dense |K| x |K| transitions, formed naively.
//===----------------------------------------------------------------------===//

namespace {

using Dense = std::vector<std::vector<double>>;

Dense zeros(int64_t r, int64_t c) {
  return Dense(r, std::vector<double>(c, 0.0));
}
Dense identity(int64_t n) {
  Dense m = zeros(n, n);
  for (int64_t i = 0; i < n; ++i)
    m[i][i] = 1;
  return m;
}
Dense outer(const std::vector<double> &a, const std::vector<double> &b) {
  Dense m = zeros(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j)
      m[i][j] = a[i] * b[j];
  return m;
}
Dense matmul(const Dense &a, const Dense &b) {
  Dense m = zeros(a.size(), b[0].size());
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t k = 0; k < b.size(); ++k)
      for (size_t j = 0; j < b[0].size(); ++j)
        m[i][j] += a[i][k] * b[k][j];
  return m;
}
Dense add(Dense a, const Dense &b, double scale = 1.0) {
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a[0].size(); ++j)
      a[i][j] += scale * b[i][j];
  return a;
}
Dense householder(double beta, const std::vector<double> &k) {
  return add(identity(k.size()), outer(k, k), -beta);
}
Dense diagExp(const std::vector<double> &g) {
  Dense m = zeros(g.size(), g.size());
  for (size_t i = 0; i < g.size(); ++i)
    m[i][i] = std::exp(g[i]);
  return m;
}
std::vector<double> scaled(double s, std::vector<double> v) {
  for (double &x : v)
    x *= s;
  return v;
}

/// One token's inputs of one (batch, head).
struct TokenView {
  const Problem &p;
  int64_t b, t, h;
  std::vector<double> vec(const std::string &name) const {
    const Tensor &x = p.inputs.find(name)->second;
    int64_t d = x.shape[3];
    auto it = x.data.begin() + ((b * p.seqLen + t) * p.heads + h) * d;
    return std::vector<double>(it, it + d);
  }
  double scalar(const std::string &name) const {
    const Tensor &x = p.inputs.find(name)->second;
    return x.data[(b * p.seqLen + t) * p.heads + h];
  }
};

/// S = A S + B, o = S^T q with dense matrices; returns o [B, T, H, V] and the
/// final S [B, H, K, V].
std::pair<Tensor, Tensor> denseRun(
    const Problem &p, int64_t K, int64_t V,
    const std::function<std::pair<Dense, Dense>(const TokenView &)> &step) {
  Tensor o({p.batch, p.seqLen, p.heads, V}), fin({p.batch, p.heads, K, V});
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h) {
      Dense S = zeros(K, V);
      const Tensor &init = p.initialStates.find("S")->second;
      for (int64_t i = 0; i < K; ++i)
        for (int64_t j = 0; j < V; ++j)
          S[i][j] = init.data[((b * p.heads + h) * K + i) * V + j];
      for (int64_t t = 0; t < p.seqLen; ++t) {
        TokenView view{p, b, t, h};
        auto [A, B] = step(view);
        S = add(matmul(A, S), B);
        std::vector<double> q = view.vec("q");
        for (int64_t j = 0; j < V; ++j) {
          double sum = 0;
          for (int64_t i = 0; i < K; ++i)
            sum += S[i][j] * q[i];
          o.data[((b * p.seqLen + t) * p.heads + h) * V + j] = sum;
        }
      }
      for (int64_t i = 0; i < K; ++i)
        for (int64_t j = 0; j < V; ++j)
          fin.data[((b * p.heads + h) * K + i) * V + j] = S[i][j];
    }
  return {o, fin};
}

} // namespace

TEST_CASE("structured operators agree with dense matrices",
          "[reference][dense]") {
  const int64_t K = 4, V = 3, H = 2, B = 2, T = 7;
  std::mt19937_64 rng(7);
  Problem p = makeProblem(T, H, {{"K", K}, {"V", V}}, B);
  p.inputs["q"] = randomTensor({B, T, H, K}, rng);
  p.initialStates["S"] = randomTensor({B, H, K, V}, rng);
  const char *rule = nullptr;
  std::function<std::pair<Dense, Dense>(const TokenView &)> step;

  SECTION("GLA") {
    rule = kGla;
    p.inputs["k"] = randomTensor({B, T, H, K}, rng);
    p.inputs["v"] = randomTensor({B, T, H, V}, rng);
    p.inputs["gk"] = randomTensor({B, T, H, K}, rng, -1.0, 0.0);
    step = [](const TokenView &x) {
      return std::make_pair(diagExp(x.vec("gk")),
                            outer(x.vec("k"), x.vec("v")));
    };
  }
  SECTION("Gated DeltaNet") {
    rule = kGatedDelta;
    randomGatedDelta(p, rng, K, V, /*withInitial=*/false);
    step = [](const TokenView &x) {
      double beta = x.scalar("beta");
      Dense A = householder(beta, x.vec("k"));
      A = matmul(diagExp(std::vector<double>(A.size(), x.scalar("g"))), A);
      return std::make_pair(A, outer(x.vec("k"), scaled(beta, x.vec("v"))));
    };
  }
  SECTION("KDA") {
    rule = kKda;
    p.inputs["k"] = randomTensor({B, T, H, K}, rng);
    p.inputs["v"] = randomTensor({B, T, H, V}, rng);
    p.inputs["g"] = randomTensor({B, T, H, K}, rng, -1.0, 0.0);
    p.inputs["beta"] = randomTensor({B, T, H}, rng, 0.01, 1.0);
    step = [](const TokenView &x) {
      double beta = x.scalar("beta");
      Dense A = matmul(householder(beta, x.vec("k")), diagExp(x.vec("g")));
      return std::make_pair(A, outer(x.vec("k"), scaled(beta, x.vec("v"))));
    };
  }
  SECTION("DeltaProduct") {
    rule = kDeltaProduct;
    for (const char *name : {"k1", "k2"})
      p.inputs[name] = randomTensor({B, T, H, K}, rng);
    for (const char *name : {"v1", "v2"})
      p.inputs[name] = randomTensor({B, T, H, V}, rng);
    for (const char *name : {"beta1", "beta2"})
      p.inputs[name] = randomTensor({B, T, H}, rng, 0.01, 2.0);
    step = [](const TokenView &x) {
      Dense H1 = householder(x.scalar("beta1"), x.vec("k1"));
      Dense H2 = householder(x.scalar("beta2"), x.vec("k2"));
      Dense u1 = outer(x.vec("k1"), scaled(x.scalar("beta1"), x.vec("v1")));
      Dense u2 = outer(x.vec("k2"), scaled(x.scalar("beta2"), x.vec("v2")));
      return std::make_pair(matmul(H2, H1), add(matmul(H2, u1), u2));
    };
  }

  SECTION("decay after the Householder") {
    rule = kDecayAfterHouseholder;
    p.inputs["k"] = randomTensor({B, T, H, K}, rng);
    p.inputs["v"] = randomTensor({B, T, H, V}, rng);
    p.inputs["g"] = randomTensor({B, T, H, K}, rng, -1.0, 0.0);
    p.inputs["beta"] = randomTensor({B, T, H}, rng, 0.01, 1.0);
    step = [](const TokenView &x) {
      double beta = x.scalar("beta");
      Dense D = diagExp(x.vec("g"));
      Dense A = matmul(D, householder(beta, x.vec("k")));
      Dense u = outer(x.vec("k"), scaled(beta, x.vec("v")));
      return std::make_pair(A, matmul(D, u));
    };
  }
  SECTION("DPLR") {
    rule = kDplr;
    p.inputs["k"] = randomTensor({B, T, H, K}, rng);
    p.inputs["v"] = randomTensor({B, T, H, V}, rng);
    p.inputs["w"] = randomTensor({B, T, H, K}, rng, 0.5, 1.0);
    p.inputs["a"] = randomTensor({B, T, H, K}, rng, -0.5, 0.5);
    p.inputs["b"] = randomTensor({B, T, H, K}, rng, -0.5, 0.5);
    step = [](const TokenView &x) {
      std::vector<double> w = x.vec("w");
      Dense A = outer(x.vec("a"), x.vec("b"));
      for (size_t i = 0; i < w.size(); ++i)
        A[i][i] += w[i];
      return std::make_pair(A, outer(x.vec("k"), x.vec("v")));
    };
  }

  ParsedRule parsed = parseRule(rule);
  Result r = runOk(parsed.rule, p);
  auto [o, fin] = denseRun(p, K, V, step);
  // Same recurrence, different association of sums: 7 steps of O(1) values
  // differ by a few ulps, far below 1e-12.
  checkClose(r.outputs["o"], o.data, 1e-12);
  checkClose(r.finalStates["S"], fin.data, 1e-12);
}
