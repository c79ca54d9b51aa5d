//===- Verify.h - check a derived chunk form against the reference -*- C++
//-*-===//
//
// Random problems drawn from the roles of a rule's inputs, and relative
// errors between two results. Shared by `larcc verify` and the tests.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_VERIFY_H
#define LARC_LOWERING_VERIFY_H

#include "larc/Dialect/LarcDialect.h"
#include "larc/Reference/Reference.h"

#include <cstdint>
#include <optional>
#include <string>

namespace larc {

/// Where decays (gates and log-gates) are drawn.
enum class DecayRange {
  Spread,   // decays uniform over (0.01, 1)
  NearZero, // decays in (1e-6, 1e-3): the state is forgotten every token
  NearOne,  // decays in (1 - 1e-4, 1): almost nothing is forgotten
};

struct ProblemShape {
  int64_t batch = 2, seqLen = 100, heads = 2, keyDim = 32, valueDim = 32;
  uint64_t seed = 1;
  bool initialState = true;
  /// Variable-length: the batch becomes one row of `batch` sequences of
  /// uneven lengths summing to batch * seqLen.
  bool varlen = false;
  DecayRange decays = DecayRange::Spread;
  /// Every coefficient (beta) set to this value instead of drawn in (0, 1].
  std::optional<double> coefficient;
};

/// Fresh random inputs for `rule`: queries and values standard normal, keys
/// standard normal then L2-normalised per token, decays per `shape.decays`
/// (log-gates as their logarithm), coefficients uniform in (0, 1], initial
/// states standard normal. Dimensions that are a state's key dimension get
/// keyDim, the others valueDim.
reference::Problem makeRandomProblem(RuleOp rule, const ProblemShape &shape);

/// ||got - want|| / ||want|| per output and final state, worst first.
struct Comparison {
  struct Entry {
    std::string name;
    bool isState;
    double relativeError; // NaN or inf when got has a non-finite entry
  };
  llvm::SmallVector<Entry> entries;
  /// The largest error; NaN compares as failing.
  double worst() const;
  bool within(double tolerance) const;
};
Comparison compareResults(const reference::Result &got,
                          const reference::Result &want);

} // namespace larc

#endif // LARC_LOWERING_VERIFY_H
