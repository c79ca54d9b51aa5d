//===- SplitChain.h - one rule per stage of chained recurrences -*- C++ -*-===//
//
// A rule whose states are chained, a read (readout or apply) of one feeding
// the update or a read of another through per-token ops (GSA: softmax of
// hkT's read is hv's readout probe), runs on the GPU as stages: one kernel
// per state, in dependency order. Each read that a later stage uses is
// written by its stage as a per-token vector, an intermediate, which the
// later stage takes as an input. splitChain builds one larc.rule per stage.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_SPLITCHAIN_H
#define LARC_LOWERING_SPLITCHAIN_H

#include "larc/Dialect/LarcDialect.h"

#include "mlir/Support/LLVM.h"

namespace larc {

/// The name of the attribute that marks a stage rule with the rule it was
/// split from.
inline constexpr llvm::StringLiteral kStageOfAttr = "stage_of";

/// Inserts after `rule` one rule per stage, named <rule>_s<i>, each holding
/// one state's update, the reads of it and the outputs that depend on it
/// last; a read an earlier stage wrote is an input of the stage (role query)
/// named like the output that wrote it, <state>_read[<j>]. Returns the stage
/// rules in launch order; none when no state's update or reads depend on a
/// read of another state, or when the rule has a vector state (which runs
/// inside the kernel of the state that reads it). Fails, with an error at
/// the rule, when the states depend on each other's reads in a cycle.
mlir::FailureOr<llvm::SmallVector<RuleOp>> splitChain(RuleOp rule);

} // namespace larc

#endif // LARC_LOWERING_SPLITCHAIN_H
