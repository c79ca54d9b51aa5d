//===- RecurrenceForm.h - a rule brought to the general form ---*- C++ -*-===//
//
// The classification of a larc.rule's algebra (design.md §2.1): every state
// update is brought to one or more sub-steps
//
//     S <- D S + sum_m a_m (x_m - S^T y_m)^T,     D = diag(exp(logDecay))
//
// where each sub-step reads the state left by the one before (a token whose
// transition is a product of several factors with rank-1 parts, like
// DeltaProduct, has one sub-step per such factor; most rules have one).
// Readouts o = S^T q are read after the last sub-step (or, marked `prev`,
// before the first).
//
// Every Value in these structs is an SSA value of the rule's body computing a
// per-token larc scalar or vector from the token's inputs and reads of other
// states (never from the state itself): classification builds the ops it
// needs (for example D a, or the log of a gate) in the rule body, right
// before the state's larc.recur.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_RECURRENCEFORM_H
#define LARC_LOWERING_RECURRENCEFORM_H

#include "larc/Dialect/LarcDialect.h"

#include "llvm/ADT/SmallVector.h"

#include <string>

namespace larc {

/// How a decay D varies, from weakest to strongest.
enum class DecayKind {
  None,     // D = I
  Constant, // c I, c depends on no per-token input (may depend on the head)
  Scalar,   // exp(g_t) I with a per-token scalar g_t
  PerKey,   // diag(exp(g_t)) with g_t over the key dimension
};

llvm::StringRef stringifyDecayKind(DecayKind kind);

/// One rank-1 term a (x - S^T y)^T.
struct RankOneTerm {
  /// a: !larc.vec<K>, never null.
  mlir::Value direction;
  /// x: !larc.vec<V> for a matrix state, !larc.scalar for a vector state;
  /// null when the term writes no data (a pure probe term of a transition).
  mlir::Value data;
  /// y: !larc.vec<K>; null when the term does not read the state.
  mlir::Value probe;
};

/// S <- diag(exp(logDecay)) S + sum of terms.
struct SubStep {
  DecayKind decayKind = DecayKind::None;
  /// !larc.scalar or !larc.vec<K> (PerKey); null when decayKind is None.
  mlir::Value logDecay;
  /// A per-token scalar factor of the decay that may be exactly zero, where
  /// the state restarts (like `min(mod(position, 4), 1)`); null when the
  /// decay cannot vanish. logDecay is then -inf at those tokens, and
  /// restLogDecay is the log of the other factors (null if there are none).
  mlir::Value vanishing;
  mlir::Value restLogDecay;
  llvm::SmallVector<RankOneTerm, 2> terms;
};

/// One readout S^T q of a state.
struct ReadoutForm {
  ReadoutOp op;
  /// True when it reads S_{t-1} (before the token's first sub-step).
  bool prev = false;
};

/// One larc.apply of a state: S p (contracting the value dimension), or a
/// vector state read whole.
struct ApplyForm {
  ApplyOp op;
  /// True when it reads S_{t-1} (before the token's first sub-step).
  bool prev = false;
};

/// One state of the rule, in general form.
struct StateForm {
  StateOp state;
  RecurOp recur;
  llvm::SmallVector<SubStep, 1> steps;
  llvm::SmallVector<ReadoutForm, 2> readouts;
  /// Reads that contract the value dimension, used by outputs or by the
  /// updates of other states.
  llvm::SmallVector<ApplyForm, 1> applies;
  /// Indices (into RuleForm::states) of the other states whose readouts
  /// this state's update or transition uses: they advance first.
  llvm::SmallVector<unsigned, 1> reads;

  /// The strongest decay over the sub-steps.
  DecayKind decayKind() const;
  /// True if any term reads the state (the rule needs the triangular solve).
  bool hasProbes() const;
  /// The largest number of terms of any sub-step.
  unsigned maxTerms() const;
};

/// A rule in general form: one entry per larc.state, in body order.
struct RuleForm {
  RuleOp rule;
  llvm::SmallVector<StateForm, 2> states;
  /// Indices into `states` in an order where every state comes after the
  /// states it reads (body order where there is no such read).
  llvm::SmallVector<unsigned, 2> order;
};

/// Brings every state update of `rule` to the general form. Works on the
/// algebra, not on names: equivalent rules (beta folded into the key, a gate
/// in (0, 1] instead of a log-gate, commuting factors swapped) classify the
/// same. On a rule outside the supported algebra, emits an error at the op
/// that falls outside, naming the term and why, and returns failure. May add
/// per-token ops to the rule body.
mlir::FailureOr<RuleForm> classifyRule(RuleOp rule);

/// A stable, human-readable summary of `form` (used by lit tests and
/// `larcc compile --emit=class`), e.g.
///   rule @gated_delta_rule
///     state S [K, V]: 1 sub-step, decay scalar, probes
///       step 0: decay scalar, 1 term (direction, data, probe)
///         log-decay: g
///         term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
///       readout: l2norm(q) * scale(K)
std::string describe(const RuleForm &form);

/// A canonical rendering of a per-token value's expression, as describe()
/// prints it: inputs by name, sums and products flattened with their operands
/// sorted and constant factors folded, so that algebraically equal values
/// written in a different order render the same (`beta * exp(g) * l2norm(k)`).
std::string renderExpression(mlir::Value value);

/// The state a larc.readout or larc.apply reads, or null for other ops.
mlir::Value stateRead(mlir::Operation *op);

} // namespace larc

#endif // LARC_LOWERING_RECURRENCEFORM_H
