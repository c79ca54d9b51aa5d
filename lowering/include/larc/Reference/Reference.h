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

/// Runs `rule` over `problem`. Missing or mis-shaped inputs, unbound dims and
/// bad cu_seqlens are returned as errors naming the argument.
llvm::Expected<Result> run(RuleOp rule, const Problem &problem);

} // namespace larc::reference

#endif // LARC_REFERENCE_REFERENCE_H
