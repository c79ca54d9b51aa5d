//===- Reference.h - fp64 step-by-step execution of a larc.rule -*- C++ -*-===//
//
// The oracle every later check uses: runs a rule's recurrence token by token
// in double precision, straight from the recurrence-level IR.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_REFERENCE_REFERENCE_H
#define LARC_REFERENCE_REFERENCE_H

#include "larc/Dialect/LarcDialect.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace larc::reference {

/// A dense row-major fp64 tensor.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> shape);
  int64_t numel() const;
};

/// Inputs in flash-linear-attention's layout (design.md §4): a vector input
/// over dim D is [B, T, H, |D|], a scalar input [B, T, H]. Initial states are
/// [N, H, |K|, |V|] (matrix) or [N, H, |K|] (vector), N = B, or the number of
/// sequences with cu_seqlens (then B = 1 and cu_seqlens holds N + 1 offsets).
struct Problem {
  llvm::StringMap<int64_t> dimSizes;
  int64_t batch = 1, seqLen = 0, heads = 1;
  llvm::StringMap<Tensor> inputs;
  llvm::StringMap<Tensor> initialStates; // missing state: starts at zero
  std::optional<std::vector<int64_t>> cuSeqlens;
  std::optional<double> scale; // default 1/sqrt(|dim|) of each larc.scale
};

/// Outputs per larc.output ([B, T, H, d] or [B, T, H]) and the final value of
/// every state ([N, H, |K|, |V|] or [N, H, |K|]).
struct Result {
  llvm::StringMap<Tensor> outputs;
  llvm::StringMap<Tensor> finalStates;
};

/// Runs `rule` over `problem`, token by token in fp64, for every sequence and
/// head. Transitions are applied as structured operators (identity, diagonal,
/// rank-1, Householder, sums and products of these), never as dense |K|x|K|
/// matrices, so one token costs O(|K| |V|) per factor.
///
/// Errors name the argument at fault: a missing, mis-shaped or unknown input
/// ("input 'k' has shape [2, 5, 3, 16], expected [B=2, T=5, H=3, K=32]"), an
/// initial state of the wrong shape or name, an unbound or non-positive
/// dimension, bad cu_seqlens (B != 1, not starting at 0, not monotone, last
/// offset != T), a non-finite scale, non-positive B or H, negative T. IR the
/// reference cannot run (an unknown op, a type mismatch in unverified IR) is
/// an error too, never a crash; the rule need not have been verified.
llvm::Expected<Result> run(RuleOp rule, const Problem &problem);

} // namespace larc::reference

#endif // LARC_REFERENCE_REFERENCE_H
