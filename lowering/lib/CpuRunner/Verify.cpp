//===- Verify.cpp - random problems and relative errors -------------------===//

#include "larc/Lowering/Verify.h"
#include "larc/Dialect/DimSizes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace larc;
using reference::Tensor;

reference::Problem larc::makeRandomProblem(RuleOp rule,
                                           const ProblemShape &shape) {
  std::mt19937_64 rng(shape.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto decay = [&]() {
    switch (shape.decays) {
    case DecayRange::Spread:
      return uniform(0.01, 1.0);
    case DecayRange::NearZero:
      return uniform(1e-6, 1e-3);
    case DecayRange::NearOne:
      return 1.0 - uniform(0.0, 1e-4);
    }
    return 1.0;
  };

  reference::Problem problem;
  problem.heads = shape.heads;
  if (shape.varlen) {
    // One row of uneven sequences with the same total length.
    problem.batch = 1;
    problem.seqLen = shape.batch * shape.seqLen;
    std::vector<int64_t> cuts{0, problem.seqLen};
    for (int64_t i = 1; i < shape.batch; ++i)
      cuts.push_back(int64_t(uniform(0, double(problem.seqLen))));
    std::sort(cuts.begin(), cuts.end());
    problem.cuSeqlens = cuts;
  } else {
    problem.batch = shape.batch;
    problem.seqLen = shape.seqLen;
  }

  // The base dims under a state's key dim (the dim itself, or those a
  // derived key dim such as Based's 1 + K + K*K is made of) get dk; the
  // others dv, dv + 1, ... in declaration order, so that two of them swapped
  // cannot go unnoticed. Derived dims follow from their definitions.
  llvm::StringSet<> keyDims;
  rule.walk([&](StateOp state) {
    FailureOr<DimPolynomial> size =
        sizeOf(rule, state.getType().getKeyDim().getValue());
    if (succeeded(size))
      for (const std::string &dim : size->dims())
        keyDims.insert(dim);
  });
  int64_t nextValueDim = shape.valueDim;
  llvm::StringMap<int64_t> baseSizes;
  for (StringRef dim : rule.getDims().getAsValueRange<StringAttr>())
    if (!isDerivedDim(rule, dim))
      baseSizes[dim] = keyDims.contains(dim) ? shape.keyDim : nextValueDim++;
  FailureOr<llvm::StringMap<int64_t>> sizes = resolveDimSizes(rule, baseSizes);
  problem.dimSizes = succeeded(sizes) ? std::move(*sizes) : baseSizes;

  const int64_t tokens = problem.batch * problem.seqLen * problem.heads;
  rule.walk([&](InputOp input) {
    auto vec = dyn_cast<VecType>(input.getType());
    int64_t width = vec ? problem.dimSizes[vec.getDim().getValue()] : 1;
    std::vector<int64_t> dims{problem.batch, problem.seqLen, problem.heads};
    if (vec)
      dims.push_back(width);
    Tensor t(dims);
    for (double &x : t.data) {
      switch (input.getRole()) {
      case Role::Query:
      case Role::Key:
      case Role::Value:
        x = normal(rng);
        break;
      case Role::LogGate:
        x = std::log(decay());
        break;
      case Role::Gate:
        x = decay();
        break;
      case Role::Coefficient:
        x = shape.coefficient ? *shape.coefficient : uniform(1e-3, 1.0);
        break;
      }
    }
    if (input.getRole() == Role::Key) {
      for (int64_t i = 0; i < tokens; ++i) {
        double norm = 0;
        for (int64_t d = 0; d < width; ++d)
          norm += t.data[i * width + d] * t.data[i * width + d];
        norm = std::sqrt(norm);
        for (int64_t d = 0; d < width; ++d)
          t.data[i * width + d] /= norm;
      }
    }
    problem.inputs[input.getName()] = std::move(t);
  });

  if (shape.initialState) {
    int64_t sequences = problem.cuSeqlens
                            ? int64_t(problem.cuSeqlens->size()) - 1
                            : problem.batch;
    rule.walk([&](StateOp state) {
      StateType type = state.getType();
      std::vector<int64_t> dims{sequences, problem.heads,
                                problem.dimSizes[type.getKeyDim().getValue()]};
      if (!type.isVector())
        dims.push_back(problem.dimSizes[type.getValueDim().getValue()]);
      Tensor t(dims);
      for (double &x : t.data)
        x = normal(rng);
      problem.initialStates[state.getName()] = std::move(t);
    });
  }
  return problem;
}

static double relativeError(const Tensor &got, const Tensor &want) {
  if (got.data.size() != want.data.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.data.size(); ++i) {
    if (!std::isfinite(got.data[i]))
      return std::numeric_limits<double>::quiet_NaN();
    double d = got.data[i] - want.data[i];
    diff += d * d;
    norm += want.data[i] * want.data[i];
  }
  if (norm == 0)
    return std::sqrt(diff);
  return std::sqrt(diff / norm);
}

Comparison larc::compareResults(const reference::Result &got,
                                const reference::Result &want) {
  Comparison result;
  auto add = [&](const llvm::StringMap<Tensor> &g,
                 const llvm::StringMap<Tensor> &w, bool isState) {
    for (const auto &entry : w) {
      auto it = g.find(entry.getKey());
      double err = it == g.end() ? std::numeric_limits<double>::infinity()
                                 : relativeError(it->second, entry.second);
      result.entries.push_back({entry.getKey().str(), isState, err});
    }
  };
  add(got.outputs, want.outputs, false);
  add(got.finalStates, want.finalStates, true);
  return result;
}

double Comparison::worst() const {
  double worst = 0;
  for (const Entry &e : entries) {
    if (std::isnan(e.relativeError))
      return e.relativeError;
    worst = std::max(worst, e.relativeError);
  }
  return worst;
}

bool Comparison::within(double tolerance) const {
  double w = worst();
  return !std::isnan(w) && w <= tolerance;
}
