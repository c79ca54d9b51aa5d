//===- ClassifyRecurrence.cpp - bring a rule to the general form ----------===//
//
// design.md §2.1: every state update S_t = A S_{t-1} + B becomes sub-steps
//
//     S <- D S + sum_m a_m (x_m - S^T y_m)^T.
//
// The transition A is read as a product of factors, each brought to the
// normal form D - sum a y^T; diagonal factors merge into their neighbours
// (D1 (D2 - a y^T) D3 = D1 D2 D3 - (D1 a)(D3 y)^T), and every factor with
// rank-1 parts is one sub-step, the rightmost first. The update B is read as
// a sum of rank-1 terms a x^T whose data x may be linear in readouts of the
// previous state (x = x0 - S^T y). Terms of one sub-step with the same
// direction merge.
//
// Reads of other states (larc.readout, larc.apply) are per-token values like
// inputs; the rule's states are ordered so that each advances after the
// states it reads, and a cycle of reads is refused.
//
// Canonical placement, so that equivalent spellings classify the same: a
// direction holds no scalar factor (scalars commute, so they move onto the
// data and the probe), and a sign always sits on the data or the probe.
//
//===----------------------------------------------------------------------===//

#include "larc/Lowering/RecurrenceForm.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>

using namespace mlir;
using namespace larc;

//===----------------------------------------------------------------------===//
// Public helpers
//===----------------------------------------------------------------------===//

StringRef larc::stringifyDecayKind(DecayKind kind) {
  switch (kind) {
  case DecayKind::None:
    return "none";
  case DecayKind::Constant:
    return "constant";
  case DecayKind::Scalar:
    return "scalar";
  case DecayKind::PerKey:
    return "per-key";
  }
  llvm_unreachable("unknown decay kind");
}

DecayKind StateForm::decayKind() const {
  DecayKind kind = DecayKind::None;
  for (const SubStep &step : steps)
    kind = std::max(kind, step.decayKind);
  return kind;
}

bool StateForm::hasProbes() const {
  return llvm::any_of(steps, [](const SubStep &step) {
    return llvm::any_of(step.terms,
                        [](const RankOneTerm &t) { return bool(t.probe); });
  });
}

unsigned StateForm::maxTerms() const {
  unsigned most = 0;
  for (const SubStep &step : steps)
    most = std::max<unsigned>(most, step.terms.size());
  return most;
}

namespace {

//===----------------------------------------------------------------------===//
// Symbolic values
//===----------------------------------------------------------------------===//

bool isScalar(Value v) { return isa<ScalarType>(v.getType()); }

/// coef * (product of scalars) * (elementwise product of vecs) * base, with
/// a null base standing for 1. Kept symbolic so that factors can move between
/// a term's direction, data and probe before any op is built. `original` is a
/// Value of the rule equal to the whole part (reused instead of rebuilding).
struct Part {
  Value base;
  double coef = 1.0;
  SmallVector<Value, 2> scalars;
  SmallVector<Value, 1> vecs;
  Value original;

  void addScalar(Value s) {
    original = {};
    while (auto neg = s.getDefiningOp<NegOp>()) {
      coef = -coef;
      s = neg.getX();
    }
    if (auto cst = s.getDefiningOp<ConstantOp>()) {
      coef *= cst.getValue().convertToDouble();
      return;
    }
    scalars.push_back(s);
  }
  void addVec(Value v) {
    original = {};
    vecs.push_back(v);
  }
  void negate() {
    original = {};
    coef = -coef;
  }
  /// Multiplies by a part that is a pure scalar (no base, no vecs).
  void scaleBy(const Part &s) {
    if (s.coef == 1.0 && s.scalars.empty())
      return;
    original = {};
    coef *= s.coef;
    llvm::append_range(scalars, s.scalars);
  }
  /// Removes and returns the scalar factors (coefficient and sign included).
  Part takeScalars() {
    Part s;
    s.coef = coef;
    s.scalars = std::move(scalars);
    scalars.clear();
    if (coef != 1.0 || !s.scalars.empty())
      original = {};
    coef = 1.0;
    return s;
  }
};
using Sum = SmallVector<Part, 1>;

void scaleSum(Sum &sum, const Part &s) {
  for (Part &p : sum)
    p.scaleBy(s);
}
void negateSum(Sum &sum) {
  for (Part &p : sum)
    p.negate();
}

/// Splits the scalar factors and signs off the top of `v`.
Part decompose(Value v) {
  Part p;
  Value cur = v;
  while (cur) {
    Operation *op = cur.getDefiningOp();
    if (auto neg = dyn_cast_or_null<NegOp>(op)) {
      p.coef = -p.coef;
      cur = neg.getX();
      continue;
    }
    if (auto cst = dyn_cast_or_null<ConstantOp>(op)) {
      p.coef *= cst.getValue().convertToDouble();
      cur = {};
      break;
    }
    if (auto mul = dyn_cast_or_null<MulOp>(op)) {
      Value lhs = mul.getLhs(), rhs = mul.getRhs();
      if (isScalar(lhs) || isScalar(rhs)) {
        bool left = isScalar(lhs);
        p.addScalar(left ? lhs : rhs);
        cur = left ? rhs : lhs;
        continue;
      }
    }
    break;
  }
  p.base = cur;
  p.original = v;
  return p;
}

/// diag(mult) = diag(exp(log)); `log` is null until needed (then log(mult)).
struct Atom {
  Value mult;
  Value log;
  Operation *src;
  bool perKey() const { return isa<VecType>(mult.getType()); }
};

/// A diagonal matrix: zero, or the product of its atoms (identity if none).
struct Diag {
  bool zero = false;
  SmallVector<Atom, 2> atoms;

  bool isIdentity() const { return !zero && atoms.empty(); }
  static Diag product(const Diag &a, const Diag &b) {
    Diag d;
    d.zero = a.zero || b.zero;
    if (!d.zero) {
      d.atoms = a.atoms;
      llvm::append_range(d.atoms, b.atoms);
    }
    return d;
  }
};

/// The rank-1 part -dir probe^T of a transition factor.
struct TransTerm {
  Part dir;
  Part probe;
};

/// One factor of a transition product, in normal form D - sum a y^T.
struct Factor {
  Diag diag;
  SmallVector<TransTerm, 1> terms;
  Operation *src = nullptr;
  /// Canonical text, to match a left multiplier of the update against the
  /// leading factors of the transition.
  std::string key;

  bool diagonalOnly() const { return !diag.zero && terms.empty(); }
};

/// Consecutive factors that make one sub-step: leading diagonals, at most one
/// factor with rank-1 parts and (for the rightmost) trailing diagonals.
struct Group {
  Diag diag;
  SmallVector<TransTerm, 1> terms;
  unsigned begin = 0, end = 0; // factor indices [begin, end)
  int rankOne = -1;            // index of the factor with rank-1 parts
  Operation *src = nullptr;
};

/// x0 - S^T y, with `readout` the first readout of the state it uses.
struct Affine {
  Sum data;
  Sum probe;
  ReadoutOp readout;
};

struct UpdateTerm {
  Part dir;
  Sum data;
  Sum probe;
  unsigned group = 0; // groups.size(): a sub-step before all of them
  Operation *src = nullptr;
  ReadoutOp readout;
};

struct UpdateContext {
  SmallVector<Factor, 2> left; // factors multiplying the term from the left
  Operation *leftSrc = nullptr;
  Part scale;
};

/// The first op in the backward slice of `v` (v's own defining op included)
/// that satisfies `pred`, or null.
Operation *findInSlice(Value v, function_ref<bool(Operation *)> pred) {
  SmallVector<Value> work{v};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !seen.insert(def).second)
      continue;
    if (pred(def))
      return def;
    llvm::append_range(work, def->getOperands());
  }
  return nullptr;
}

/// The first larc.readout of `state` that `v` depends on, or null. Reads of
/// other states are per-token values like inputs.
ReadoutOp findReadout(Value v, Value state) {
  return dyn_cast_or_null<ReadoutOp>(findInSlice(v, [&](Operation *op) {
    return isa<ReadoutOp>(op) && stateRead(op) == state;
  }));
}

bool dependsOnInput(Value v) {
  return findInSlice(v, [](Operation *op) {
    return isa<InputOp, ReadoutOp, ApplyOp, PositionOp>(op);
  });
}

/// True if `v` is positive by construction (an exponential, a sigmoid, a
/// gate input, a positive constant, and products, quotients and sums of
/// those).
bool provablyPositive(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isa<ExpOp, SigmoidOp, SoftplusOp, ScaleOp>(op))
    return true;
  if (auto cst = dyn_cast<ConstantOp>(op))
    return cst.getValue().convertToDouble() > 0;
  if (auto input = dyn_cast<InputOp>(op))
    return input.getRole() == Role::Gate;
  if (isa<MulOp, DivOp, AddOp>(op))
    return provablyPositive(op->getOperand(0)) &&
           provablyPositive(op->getOperand(1));
  if (auto pow = dyn_cast<PowOp>(op))
    return provablyPositive(pow.getLhs());
  return false;
}

std::string quoted(Value v) { return "'" + renderExpression(v) + "'"; }
std::string opName(Operation *op) {
  return "'" + op->getName().getStringRef().str() + "'";
}

//===----------------------------------------------------------------------===//
// The classifier of one state
//===----------------------------------------------------------------------===//

class StateClassifier {
public:
  StateClassifier(StateOp state, RecurOp recur,
                  SmallVectorImpl<Operation *> &created)
      : state(state), recur(recur), name(state.getName()), b(recur),
        loc(recur.getLoc()), created(created) {}

  LogicalResult run(StateForm &form);

private:
  // Building ops (recorded so that unused ones can be erased).
  template <typename OpTy, typename... Args> Value build(Args &&...args) {
    Operation *op = OpTy::create(b, loc, std::forward<Args>(args)...);
    if (Operation *same = findEquivalent(op)) {
      op->erase();
      return same->getResult(0);
    }
    created.push_back(op);
    return op->getResult(0);
  }
  Operation *findEquivalent(Operation *op);
  Value constant(double c) { return build<ConstantOp>(c); }
  Value materialize(const Part &p);
  Value materialize(const Sum &sum);
  Value multOf(const Diag &d);
  Value inverse(Value s) {
    if (auto cst = s.getDefiningOp<ConstantOp>())
      return constant(1.0 / cst.getValue().convertToDouble());
    return build<DivOp>(constant(1.0), s);
  }

  // The transition.
  LogicalResult collectFactors(Value m, SmallVectorImpl<Factor> &out);
  FailureOr<Factor> singleFactor(Value m, Operation *sum);
  Diag diagOf(Value x, Operation *src);
  Diag sumOf(const Diag &a, const Diag &b, bool subtract, Operation *src);
  SmallVector<Group, 2> normalize(ArrayRef<Factor> factors);
  static void applyLeft(const Diag &d, TransTerm &t);
  static void applyRight(const Diag &d, TransTerm &t);
  static void canonicalize(TransTerm &t) {
    t.probe.scaleBy(t.dir.takeScalars());
  }

  // The update.
  LogicalResult parseUpdate(Value u, UpdateContext ctx,
                            SmallVectorImpl<UpdateTerm> &out);
  LogicalResult parseVectorUpdate(Value u, UpdateContext ctx,
                                  SmallVectorImpl<UpdateTerm> &out);
  LogicalResult addTerm(Part dir, Affine data, const UpdateContext &ctx,
                        Operation *src, SmallVectorImpl<UpdateTerm> &out);
  LogicalResult assign(UpdateTerm &t, const UpdateContext &ctx);
  FailureOr<Affine> linearize(Value x);
  InFlightDiagnostic notLinear(Operation *op) {
    return op->emitError() << "the update of '" << name
                           << "' is not linear in the previous state: ";
  }

  // The sub-steps.
  LogicalResult decayOf(const Diag &d, SubStep &step);
  LogicalResult checkReads();
  ReadoutOp findReadout(Value v) { return ::findReadout(v, state.getState()); }

  StateOp state;
  RecurOp recur;
  StringRef name;
  OpBuilder b;
  Location loc;
  SmallVectorImpl<Operation *> &created;

  SmallVector<Factor, 2> factors; // the transition, leftmost first
  SmallVector<Group, 2> groups;   // its sub-steps, leftmost (last) first
};

/// An op of the rule, before the recur, that computes what `op` does: reused
/// so that classification adds only what the rule does not compute yet.
Operation *StateClassifier::findEquivalent(Operation *op) {
  auto matches = [&](Operation *other) {
    return other != op && other->getBlock() == recur->getBlock() &&
           other->isBeforeInBlock(recur) &&
           OperationEquivalence::isEquivalentTo(
               op, other, OperationEquivalence::IgnoreLocations);
  };
  if (op->getNumOperands() == 0) {
    for (Operation &other : *recur->getBlock())
      if (matches(&other))
        return &other;
    return nullptr;
  }
  for (Operation *user : op->getOperand(0).getUsers())
    if (matches(user))
      return user;
  return nullptr;
}

Value StateClassifier::materialize(const Part &p) {
  if (p.original)
    return p.original;
  Value v = p.base;
  for (Value x : p.vecs)
    v = v ? build<MulOp>(x, v) : x;
  for (Value s : p.scalars)
    v = v ? build<MulOp>(s, v) : s;
  if (!v)
    return constant(p.coef);
  if (p.coef == -1.0)
    return build<NegOp>(v);
  if (p.coef != 1.0)
    return build<MulOp>(constant(p.coef), v);
  return v;
}

Value StateClassifier::materialize(const Sum &sum) {
  Value acc;
  for (Part p : sum) {
    if (p.coef == 0)
      continue;
    bool subtract = acc && p.coef < 0;
    if (subtract)
      p.negate();
    Value v = materialize(p);
    acc = !acc ? v : subtract ? build<SubOp>(acc, v) : build<AddOp>(acc, v);
  }
  return acc;
}

Value StateClassifier::multOf(const Diag &d) {
  Value m;
  for (const Atom &atom : d.atoms)
    m = m ? build<MulOp>(m, atom.mult) : atom.mult;
  return m ? m : constant(d.zero ? 0.0 : 1.0);
}

//===----------------------------------------------------------------------===//
// Transition
//===----------------------------------------------------------------------===//

Diag StateClassifier::diagOf(Value x, Operation *src) {
  Diag d;
  if (auto cst = x.getDefiningOp<ConstantOp>())
    if (cst.getValue().convertToDouble() == 1.0)
      return d;
  Value log;
  if (auto exp = x.getDefiningOp<ExpOp>())
    log = exp.getX();
  d.atoms.push_back({x, log, src});
  return d;
}

Diag StateClassifier::sumOf(const Diag &a, const Diag &d, bool subtract,
                            Operation *src) {
  if (d.zero)
    return a;
  Diag r;
  if (a.zero) {
    if (!subtract)
      return d;
    r.atoms.push_back({build<NegOp>(multOf(d)), Value(), src});
    return r;
  }
  Value ma = multOf(a), md = multOf(d);
  Value m = subtract ? build<SubOp>(ma, md) : build<AddOp>(ma, md);
  r.atoms.push_back({m, Value(), src});
  return r;
}

void StateClassifier::applyLeft(const Diag &d, TransTerm &t) {
  for (const Atom &atom : d.atoms) {
    if (atom.perKey())
      t.dir.addVec(atom.mult);
    else
      t.probe.addScalar(atom.mult);
  }
}

void StateClassifier::applyRight(const Diag &d, TransTerm &t) {
  for (const Atom &atom : d.atoms) {
    if (atom.perKey())
      t.probe.addVec(atom.mult);
    else
      t.probe.addScalar(atom.mult);
  }
}

static void dropIdentities(SmallVectorImpl<Factor> &factors) {
  llvm::erase_if(factors, [](const Factor &f) {
    return f.diag.isIdentity() && f.terms.empty();
  });
}

LogicalResult StateClassifier::collectFactors(Value m,
                                              SmallVectorImpl<Factor> &out) {
  Operation *op = m.getDefiningOp();
  if (!op)
    return recur.emitError()
           << "the transition of '" << name << "' is not defined in the rule";
  auto diagonal = [&](Value x) {
    Factor f;
    f.diag = diagOf(x, op);
    f.src = op;
    f.key = "diag(" + renderExpression(x) + ")";
    out.push_back(std::move(f));
  };
  auto rankOne = [&](TransTerm t, bool zeroDiag) {
    canonicalize(t);
    Factor f;
    f.diag.zero = zeroDiag;
    f.terms.push_back(std::move(t));
    f.src = op;
    f.key = renderExpression(m);
    out.push_back(std::move(f));
  };
  bool isMat = isa<MatType>(m.getType());
  if (auto type = dyn_cast<MatType>(m.getType()); type && !type.isSquare())
    return op->emitError() << opName(op) << " (" << quoted(m)
                           << ") in the transition of '" << name
                           << "' is not a square matrix; a transition is a "
                              "product of key-by-key factors";

  if (isa<IdentityOp>(op)) {
    Factor f;
    f.src = op;
    f.key = "I";
    out.push_back(std::move(f));
    return success();
  }
  if (auto diag = dyn_cast<DiagOp>(op)) {
    diagonal(diag.getX());
    return success();
  }
  if (auto h = dyn_cast<HouseholderOp>(op)) {
    // I - beta k k^T.
    TransTerm t{decompose(h.getK()), decompose(h.getK())};
    t.probe.addScalar(h.getBeta());
    rankOne(std::move(t), /*zeroDiag=*/false);
    return success();
  }
  if (auto outer = dyn_cast<OuterOp>(op)) {
    // a y^T = 0 - a (-y)^T.
    TransTerm t{decompose(outer.getLhs()), decompose(outer.getRhs())};
    t.probe.negate();
    rankOne(std::move(t), /*zeroDiag=*/true);
    return success();
  }
  if (auto mul = dyn_cast<MulOp>(op); mul && isMat) {
    // c M = diag(c) M.
    bool left = isScalar(mul.getLhs());
    diagonal(left ? mul.getLhs() : mul.getRhs());
    return collectFactors(left ? mul.getRhs() : mul.getLhs(), out);
  }
  if (auto div = dyn_cast<DivOp>(op); div && isMat && isScalar(div.getRhs())) {
    diagonal(inverse(div.getRhs()));
    return collectFactors(div.getLhs(), out);
  }
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    if (failed(collectFactors(matmul.getLhs(), out)) ||
        failed(collectFactors(matmul.getRhs(), out)))
      return failure();
    return success();
  }
  if (isa<AddOp, SubOp>(op) && isMat) {
    bool subtract = isa<SubOp>(op);
    FailureOr<Factor> lhs = singleFactor(op->getOperand(0), op);
    if (failed(lhs))
      return failure();
    FailureOr<Factor> rhs = singleFactor(op->getOperand(1), op);
    if (failed(rhs))
      return failure();
    Factor f;
    f.diag = sumOf(lhs->diag, rhs->diag, subtract, op);
    f.terms = lhs->terms;
    for (TransTerm t : rhs->terms) {
      if (subtract)
        t.probe.negate();
      f.terms.push_back(std::move(t));
    }
    f.src = op;
    f.key = renderExpression(m);
    out.push_back(std::move(f));
    return success();
  }
  return op->emitError() << opName(op) << " (" << quoted(m)
                         << ") cannot be part of the transition of '" << name
                         << "': a transition is a product of diagonals, "
                            "identities and diagonal-plus-rank-1 factors";
}

FailureOr<Factor> StateClassifier::singleFactor(Value m, Operation *sum) {
  SmallVector<Factor, 2> parts;
  if (failed(collectFactors(m, parts)))
    return failure();
  dropIdentities(parts);
  SmallVector<Group, 2> merged = normalize(parts);
  if (merged.size() > 1) {
    sum->emitError() << "the transition of '" << name
                     << "' is not diagonal plus rank-1: the sum " << opName(sum)
                     << " has an operand " << quoted(m)
                     << " that is a product of " << merged.size()
                     << " factors with rank-1 parts (write the product as "
                        "sub-steps, not inside a sum)";
    return failure();
  }
  Factor f;
  f.diag = merged.front().diag;
  f.terms = merged.front().terms;
  f.src = merged.front().src ? merged.front().src : m.getDefiningOp();
  return f;
}

SmallVector<Group, 2> StateClassifier::normalize(ArrayRef<Factor> fs) {
  SmallVector<Group, 2> out;
  Diag pending;
  unsigned pendingBegin = 0;
  for (auto [i, f] : llvm::enumerate(fs)) {
    if (f.diagonalOnly()) {
      pending = Diag::product(pending, f.diag);
      continue;
    }
    Group g;
    g.begin = pendingBegin;
    g.end = i + 1;
    g.rankOne = i;
    g.src = f.src;
    g.diag = Diag::product(pending, f.diag);
    g.terms = f.terms;
    for (TransTerm &t : g.terms)
      applyLeft(pending, t);
    out.push_back(std::move(g));
    pending = Diag();
    pendingBegin = i + 1;
  }
  if (pendingBegin < fs.size() || out.empty()) {
    // Trailing diagonals act first: they belong to the rightmost factor.
    if (out.empty()) {
      Group g;
      g.diag = pending;
      g.begin = 0;
      g.end = fs.size();
      g.src = fs.empty() ? nullptr : fs.front().src;
      out.push_back(std::move(g));
    } else {
      Group &g = out.back();
      g.diag = Diag::product(g.diag, pending);
      for (TransTerm &t : g.terms)
        applyRight(pending, t);
      g.end = fs.size();
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Update
//===----------------------------------------------------------------------===//

FailureOr<Affine> StateClassifier::linearize(Value x) {
  if (!findReadout(x)) {
    Affine a;
    a.data.push_back(decompose(x));
    return a;
  }
  Operation *op = x.getDefiningOp();
  if (auto readout = dyn_cast<ReadoutOp>(op)) {
    if (findReadout(readout.getProbe())) {
      notLinear(readout) << "the probe " << quoted(readout.getProbe())
                         << " of this readout reads a state itself";
      return failure();
    }
    // S^T p = -(-S^T p): the probe of x0 - S^T y is -p.
    Affine a;
    Part y = decompose(readout.getProbe());
    y.negate();
    a.probe.push_back(std::move(y));
    a.readout = readout;
    return a;
  }
  if (isa<AddOp, SubOp>(op)) {
    FailureOr<Affine> lhs = linearize(op->getOperand(0));
    if (failed(lhs))
      return failure();
    FailureOr<Affine> rhs = linearize(op->getOperand(1));
    if (failed(rhs))
      return failure();
    if (isa<SubOp>(op)) {
      negateSum(rhs->data);
      negateSum(rhs->probe);
    }
    llvm::append_range(lhs->data, rhs->data);
    llvm::append_range(lhs->probe, rhs->probe);
    if (!lhs->readout)
      lhs->readout = rhs->readout;
    return lhs;
  }
  if (auto neg = dyn_cast<NegOp>(op)) {
    FailureOr<Affine> a = linearize(neg.getX());
    if (succeeded(a)) {
      negateSum(a->data);
      negateSum(a->probe);
    }
    return a;
  }
  if (isa<MulOp, DivOp>(op)) {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    bool lhsReads = bool(findReadout(lhs)), rhsReads = bool(findReadout(rhs));
    bool isDiv = isa<DivOp>(op);
    if (lhsReads && rhsReads) {
      notLinear(op) << opName(op) << " of two factors that both read it ("
                    << quoted(x) << ")";
      return failure();
    }
    if (isDiv && rhsReads) {
      notLinear(op) << "a division by a readout (" << quoted(x) << ")";
      return failure();
    }
    Value coef = lhsReads ? rhs : lhs;
    if (!isScalar(coef)) {
      op->emitError() << "a per-value coefficient " << quoted(coef)
                      << " on a readout of '" << name
                      << "' makes one triangular system per value column; "
                         "not supported";
      return failure();
    }
    FailureOr<Affine> a = linearize(lhsReads ? lhs : rhs);
    if (failed(a))
      return failure();
    Part s;
    s.addScalar(isDiv ? inverse(coef) : coef);
    scaleSum(a->data, s);
    scaleSum(a->probe, s);
    return a;
  }
  notLinear(op) << opName(op) << " of a readout (" << quoted(x) << ")";
  return failure();
}

LogicalResult StateClassifier::addTerm(Part dir, Affine data,
                                       const UpdateContext &ctx, Operation *src,
                                       SmallVectorImpl<UpdateTerm> &out) {
  // Scalars of the direction move onto the data and the probe.
  Part s = dir.takeScalars();
  s.scaleBy(ctx.scale);
  UpdateTerm t;
  t.dir = std::move(dir);
  t.data = std::move(data.data);
  t.probe = std::move(data.probe);
  scaleSum(t.data, s);
  scaleSum(t.probe, s);
  t.src = src;
  t.readout = data.readout;
  if (failed(assign(t, ctx)))
    return failure();
  out.push_back(std::move(t));
  return success();
}

LogicalResult StateClassifier::assign(UpdateTerm &t, const UpdateContext &ctx) {
  SmallVector<Factor, 2> left(ctx.left);
  dropIdentities(left);
  auto applyDiag = [&](const Diag &d) {
    for (const Atom &atom : d.atoms) {
      if (atom.perKey()) {
        t.dir.addVec(atom.mult);
        continue;
      }
      Part s;
      s.addScalar(atom.mult);
      scaleSum(t.data, s);
      scaleSum(t.probe, s);
    }
  };
  unsigned p = left.size();
  t.group = 0;
  // A diagonal in front of a term only scales its direction: M a x^T is the
  // rank-1 term (M a) x^T of the last sub-step.
  if (llvm::all_of(left, [](const Factor &f) { return f.diagonalOnly(); })) {
    for (const Factor &f : left)
      applyDiag(f.diag);
    return success();
  }
  bool prefix = p <= factors.size();
  for (unsigned i = 0; prefix && i < p; ++i)
    prefix = left[i].key == factors[i].key;
  if (!prefix) {
    return ctx.leftSrc->emitError()
           << "the left multiplier " << quoted(ctx.leftSrc->getOperand(0))
           << " of an update term of '" << name
           << "' is not a leading part of its transition "
           << quoted(recur.getTransition())
           << "; a term multiplied from the left must be written after "
              "some sub-steps and before the factors that follow them";
  }
  if (p == factors.size()) {
    // Multiplied by the whole transition: a sub-step before all others.
    t.group = groups.size();
    return success();
  }
  for (auto [g, group] : llvm::enumerate(groups)) {
    if (p < group.begin || p >= group.end)
      continue;
    t.group = g;
    if (p == group.begin)
      return success();
    if (group.rankOne >= 0 && unsigned(group.rankOne) < p)
      return ctx.leftSrc->emitError()
             << "the left multiplier " << quoted(ctx.leftSrc->getOperand(0))
             << " of an update term of '" << name << "' covers the factor "
             << quoted(factors[group.rankOne].src->getResult(0))
             << " but not the diagonal to its right; the term would fall "
                "inside a sub-step";
    for (unsigned i = group.begin; i < p; ++i)
      applyDiag(factors[i].diag);
    return success();
  }
  llvm_unreachable("every factor index lies in a group");
}

LogicalResult StateClassifier::parseUpdate(Value u, UpdateContext ctx,
                                           SmallVectorImpl<UpdateTerm> &out) {
  Operation *op = u.getDefiningOp();
  if (!op)
    return recur.emitError()
           << "the update of '" << name << "' is not defined in the rule";
  if (auto outer = dyn_cast<OuterOp>(op)) {
    if (findReadout(outer.getLhs()))
      return outer.emitError()
             << "the direction " << quoted(outer.getLhs())
             << " of the update term " << quoted(u) << " reads the state '"
             << name << "'; the update would not be linear in it";
    FailureOr<Affine> data = linearize(outer.getRhs());
    if (failed(data))
      return failure();
    return addTerm(decompose(outer.getLhs()), std::move(*data), ctx, op, out);
  }
  if (isa<AddOp, SubOp>(op)) {
    if (failed(parseUpdate(op->getOperand(0), ctx, out)))
      return failure();
    if (isa<SubOp>(op))
      ctx.scale.negate();
    return parseUpdate(op->getOperand(1), ctx, out);
  }
  if (isa<MulOp, DivOp>(op)) {
    bool isDiv = isa<DivOp>(op);
    bool left = !isDiv && isScalar(op->getOperand(0));
    Value coef = op->getOperand(left ? 0 : 1);
    Value rest = op->getOperand(left ? 1 : 0);
    if (findReadout(coef)) {
      notLinear(op) << "the matrix term " << quoted(rest) << " is scaled by "
                    << quoted(coef) << ", which reads the state";
      return failure();
    }
    ctx.scale.addScalar(isDiv ? inverse(coef) : coef);
    return parseUpdate(rest, ctx, out);
  }
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    auto type = cast<MatType>(matmul.getLhs().getType());
    auto rhsType = cast<MatType>(matmul.getRhs().getType());
    StringAttr key = state.getType().getKeyDim();
    if (type.getRows() != key || type.getCols() != key) {
      if (rhsType.isSquare())
        return matmul.emitError()
               << "the update " << quoted(u) << " of '" << name
               << "' has a value-side factor (a matrix on the right): not "
                  "supported, with probes it makes one triangular system per "
                  "value column";
      return matmul.emitError()
             << "the product " << quoted(u) << " in the update of '" << name
             << "' is not a transition factor times rank-1 terms";
    }
    if (findReadout(matmul.getLhs()))
      return matmul.emitError() << "the left multiplier "
                                << quoted(matmul.getLhs()) << " of an update "
                                << "term of '" << name << "' reads a state";
    SmallVector<Factor, 2> left;
    if (failed(collectFactors(matmul.getLhs(), left)))
      return failure();
    llvm::append_range(ctx.left, left);
    if (!ctx.leftSrc)
      ctx.leftSrc = op;
    return parseUpdate(matmul.getRhs(), ctx, out);
  }
  return op->emitError() << opName(op) << " (" << quoted(u)
                         << ") in the update of '" << name
                         << "' is not a sum of rank-1 terms a x^T";
}

LogicalResult
StateClassifier::parseVectorUpdate(Value u, UpdateContext ctx,
                                   SmallVectorImpl<UpdateTerm> &out) {
  Operation *op = u.getDefiningOp();
  if (!op)
    return recur.emitError()
           << "the update of '" << name << "' is not defined in the rule";
  auto one = [] {
    Affine a;
    a.data.push_back(Part());
    return a;
  };
  if (!findReadout(u))
    return addTerm(decompose(u), one(), ctx, op, out);
  if (isa<AddOp, SubOp>(op)) {
    if (failed(parseVectorUpdate(op->getOperand(0), ctx, out)))
      return failure();
    if (isa<SubOp>(op))
      ctx.scale.negate();
    return parseVectorUpdate(op->getOperand(1), ctx, out);
  }
  if (auto neg = dyn_cast<NegOp>(op)) {
    ctx.scale.negate();
    return parseVectorUpdate(neg.getX(), ctx, out);
  }
  if (isa<MulOp, DivOp>(op)) {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    bool isDiv = isa<DivOp>(op);
    if (isScalar(lhs) == isScalar(rhs) || (isDiv && isScalar(lhs))) {
      notLinear(op) << opName(op) << " of a readout (" << quoted(u) << ")";
      return failure();
    }
    Value coef = isScalar(lhs) ? lhs : rhs;
    Value vec = isScalar(lhs) ? rhs : lhs;
    bool coefReads = bool(findReadout(coef)), vecReads = bool(findReadout(vec));
    if (coefReads && vecReads) {
      notLinear(op) << opName(op) << " of two factors that both read it ("
                    << quoted(u) << ")";
      return failure();
    }
    if (vecReads) {
      ctx.scale.addScalar(isDiv ? inverse(coef) : coef);
      return parseVectorUpdate(vec, ctx, out);
    }
    if (isDiv) {
      notLinear(op) << "a division by a readout (" << quoted(u) << ")";
      return failure();
    }
    // (data linear in z) times a direction.
    FailureOr<Affine> data = linearize(coef);
    if (failed(data))
      return failure();
    return addTerm(decompose(vec), std::move(*data), ctx, op, out);
  }
  notLinear(op) << opName(op) << " of a readout (" << quoted(u) << ")";
  return failure();
}

//===----------------------------------------------------------------------===//
// Sub-steps
//===----------------------------------------------------------------------===//

LogicalResult StateClassifier::decayOf(const Diag &d, SubStep &step) {
  Value logDecay;
  bool perKey = false, perToken = false;
  for (const Atom &atom : d.atoms) {
    if (auto cst = atom.mult.getDefiningOp<ConstantOp>()) {
      double c = cst.getValue().convertToDouble();
      if (c == 1.0)
        continue;
      if (c <= 0)
        return atom.src->emitError()
               << "the decay " << quoted(atom.mult) << " in the transition of '"
               << name
               << "' is not positive; larc works with the log of a "
                  "decay";
    }
    perKey |= atom.perKey();
    perToken |= dependsOnInput(atom.mult);
    if (atom.perKey() && !provablyPositive(atom.mult) &&
        findInSlice(atom.mult, [](Operation *op) {
          return isa<ModOp, MinOp, MaxOp, ReluOp>(op);
        }))
      return atom.src->emitError()
             << "the per-key decay " << quoted(atom.mult)
             << " in the transition of '" << name
             << "' may be exactly zero; a restart (a zero decay) is "
                "supported for a scalar decay factor only";
    // A scalar product is taken factor by factor: exponentials give their
    // logs, and a per-token factor that may be zero restarts the state
    // there (the chunk form keeps its zeros apart from the logs).
    SmallVector<Value, 2> factors{atom.mult};
    if (!atom.log && !atom.perKey())
      for (size_t i = 0; i < factors.size();)
        if (auto mul = factors[i].getDefiningOp<MulOp>();
            mul && isScalar(mul.getLhs()) && isScalar(mul.getRhs())) {
          factors[i] = mul.getLhs();
          factors.push_back(mul.getRhs());
        } else {
          ++i;
        }
    for (Value factor : factors) {
      Value log = factors.size() == 1 && atom.log ? atom.log
                  : factor.getDefiningOp<ExpOp>()
                      ? factor.getDefiningOp<ExpOp>().getX()
                      : build<LogOp>(factor);
      logDecay = logDecay ? build<AddOp>(logDecay, log) : log;
      if (!atom.log && !atom.perKey() && dependsOnInput(factor) &&
          !provablyPositive(factor))
        step.vanishing =
            step.vanishing ? build<MulOp>(step.vanishing, factor) : factor;
      else
        step.restLogDecay =
            step.restLogDecay ? build<AddOp>(step.restLogDecay, log) : log;
    }
  }
  step.logDecay = logDecay;
  if (!step.vanishing)
    step.restLogDecay = {};
  step.decayKind = !logDecay  ? DecayKind::None
                   : perKey   ? DecayKind::PerKey
                   : perToken ? DecayKind::Scalar
                              : DecayKind::Constant;
  return success();
}

/// Only the update may read this state, only its previous value and only
/// through readouts S^T y; reads of other states are per-token values.
LogicalResult StateClassifier::checkReads() {
  Value self = state.getState();
  if (ReadoutOp readout = findReadout(recur.getTransition()))
    return readout.emitError()
           << "the transition of '" << name << "' depends on the state '"
           << renderExpression(readout.getState())
           << "' through this readout; a transition must not depend on the "
              "state it updates";
  SmallVector<Value> work{recur.getTransition(), recur.getUpdate()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !seen.insert(def).second)
      continue;
    llvm::append_range(work, def->getOperands());
    Value read = stateRead(def);
    if (!read)
      continue;
    if (read != self)
      continue;
    if (auto apply = dyn_cast<ApplyOp>(def)) {
      if (state.getType().isVector())
        return apply.emitError()
               << "the update of '" << name
               << "' reads the whole previous state (" << quoted(apply)
               << ") outside a readout; an update is linear in its state only "
                  "through readouts '"
               << name << "^T y', so this term is not linear in it";
      return apply.emitError()
             << "the update of '" << name << "' applies the state to a vector "
             << "over its value dimension (" << quoted(apply)
             << "); that puts a probe on the value side, which makes one "
                "triangular system per key row: not supported (store the "
                "state transposed, so that the probe reads it as '"
             << name << "^T y')";
    }
    if (!cast<ReadoutOp>(def).getPrev())
      return def->emitError()
             << "the update of '" << name
             << "' reads the updated state; mark the readout `prev`";
  }
  return success();
}

LogicalResult StateClassifier::run(StateForm &form) {
  form.state = state;
  form.recur = recur;
  Value transition = recur.getTransition(), update = recur.getUpdate();

  if (failed(checkReads()))
    return failure();

  if (failed(collectFactors(transition, factors)))
    return failure();
  dropIdentities(factors);
  groups = normalize(factors);
  for (const Group &g : groups)
    if (g.diag.zero)
      return g.src->emitError()
             << "the transition factor " << quoted(g.src->getResult(0))
             << " of '" << name
             << "' has no diagonal part: a pure rank-1 transition is not "
                "supported; larc needs D - sum a y^T with a nonzero diagonal D";

  SmallVector<UpdateTerm, 2> updates;
  if (failed(state.getType().isVector()
                 ? parseVectorUpdate(update, UpdateContext(), updates)
                 : parseUpdate(update, UpdateContext(), updates)))
    return failure();

  // Sub-steps: the rightmost group first, after a leading sub-step for terms
  // that the whole transition multiplies.
  unsigned numGroups = groups.size();
  bool front = llvm::any_of(
      updates, [&](const UpdateTerm &t) { return t.group == numGroups; });
  auto stepOf = [&](unsigned g) {
    return g == numGroups ? 0u : unsigned(front) + numGroups - 1 - g;
  };
  unsigned numSteps = numGroups + front;

  struct Entry {
    Value dir;
    std::string key;
    Sum data, probe;
  };
  SmallVector<SmallVector<Entry, 2>, 1> entries(numSteps);
  auto addEntry = [&](unsigned s, const Part &dir, const Sum &data,
                      const Sum &probe) {
    Value a = materialize(dir);
    std::string key = renderExpression(a);
    for (Entry &e : entries[s]) {
      if (e.key != key)
        continue;
      llvm::append_range(e.data, data);
      llvm::append_range(e.probe, probe);
      return;
    }
    entries[s].push_back({a, key, data, probe});
  };

  form.steps.resize(numSteps);
  for (auto [g, group] : llvm::enumerate(groups)) {
    if (failed(decayOf(group.diag, form.steps[stepOf(g)])))
      return failure();
    for (const TransTerm &t : group.terms)
      addEntry(stepOf(g), t.dir, {}, Sum{t.probe});
  }
  for (const UpdateTerm &t : updates) {
    unsigned s = stepOf(t.group);
    if (t.readout && s != 0)
      return t.src->emitError()
             << "the update term " << quoted(t.src->getResult(0)) << " of '"
             << name << "' reads the previous state ("
             << quoted(ReadoutOp(t.readout)) << ") but belongs to sub-step "
             << s << " of " << numSteps
             << "; only terms of the first sub-step may read S_{t-1}";
    addEntry(s, t.dir, t.data, t.probe);
  }

  for (auto [s, step] : llvm::enumerate(form.steps)) {
    struct Rendered {
      RankOneTerm term;
      std::string a, x, y;
    };
    SmallVector<Rendered, 2> terms;
    for (Entry &e : entries[s]) {
      RankOneTerm term{e.dir, materialize(e.data), materialize(e.probe)};
      if (!term.data && !term.probe)
        continue; // a term whose parts cancelled writes and reads nothing
      terms.push_back({term, e.key, renderExpression(term.data),
                       renderExpression(term.probe)});
    }
    llvm::stable_sort(terms, [](const Rendered &l, const Rendered &r) {
      return std::tie(l.a, l.x, l.y) < std::tie(r.a, r.x, r.y);
    });
    for (Rendered &r : terms)
      step.terms.push_back(r.term);
  }
  return success();
}

/// Ops that `roots` depend on.
llvm::SmallPtrSet<Operation *, 32> sliceOf(ArrayRef<Value> roots) {
  llvm::SmallPtrSet<Operation *, 32> live;
  SmallVector<Value> work(roots);
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !live.insert(def).second)
      continue;
    llvm::append_range(work, def->getOperands());
  }
  return live;
}

/// Orders the states so that each follows the states its recur reads;
/// fails on a cycle.
LogicalResult orderStates(RuleForm &form) {
  size_t n = form.states.size();
  for (StateForm &s : form.states) {
    llvm::SmallPtrSet<Operation *, 32> slice =
        sliceOf({s.recur.getTransition(), s.recur.getUpdate()});
    for (auto [j, other] : llvm::enumerate(form.states)) {
      if (&other == &s)
        continue;
      bool reads = llvm::any_of(slice, [&](Operation *op) {
        return stateRead(op) == other.state.getState();
      });
      if (reads)
        s.reads.push_back(j);
    }
  }
  SmallVector<unsigned> mark(n, 0); // 0 new, 1 on the path, 2 done
  std::function<LogicalResult(unsigned)> visit =
      [&](unsigned i) -> LogicalResult {
    if (mark[i] == 2)
      return success();
    StateForm &s = form.states[i];
    if (mark[i] == 1)
      return s.recur.emitError()
             << "the update of '" << s.state.getName()
             << "' reads a state whose update reads '" << s.state.getName()
             << "' back (directly or through other states): coupled states "
                "are not supported; a state may read another only if that "
                "one does not depend on it";
    mark[i] = 1;
    for (unsigned j : s.reads)
      if (failed(visit(j)))
        return failure();
    mark[i] = 2;
    form.order.push_back(i);
    return success();
  };
  for (unsigned i = 0; i < n; ++i)
    if (failed(visit(i)))
      return failure();
  return success();
}

/// Erases the ops classification built that `form` does not use.
void eraseUnused(ArrayRef<Operation *> created, const RuleForm *form) {
  llvm::SmallPtrSet<Operation *, 32> keep;
  if (form) {
    SmallVector<Value> work;
    for (const StateForm &state : form->states)
      for (const SubStep &step : state.steps) {
        work.append({step.logDecay, step.vanishing, step.restLogDecay});
        for (const RankOneTerm &t : step.terms)
          work.append({t.direction, t.data, t.probe});
      }
    while (!work.empty()) {
      Value v = work.pop_back_val();
      Operation *def = v ? v.getDefiningOp() : nullptr;
      if (!def || !keep.insert(def).second)
        continue;
      llvm::append_range(work, def->getOperands());
    }
  }
  for (Operation *op : llvm::reverse(created))
    if (!keep.contains(op))
      op->erase();
}

} // namespace

FailureOr<RuleForm> larc::classifyRule(RuleOp rule) {
  RuleForm form;
  form.rule = rule;
  Block &body = rule.getBody().front();
  SmallVector<Value> outputs;
  rule.getBody().walk([&](OutputOp out) { outputs.push_back(out.getValue()); });
  SmallVector<Operation *> created;

  for (Operation &op : body) {
    auto state = dyn_cast<StateOp>(op);
    if (!state)
      continue;
    RecurOp recur;
    for (Operation &user : body)
      if (auto r = dyn_cast<RecurOp>(user); r && r.getState() == state)
        recur = r;
    if (!recur) {
      state.emitError() << "state '" << state.getName()
                        << "' has no larc.recur";
      eraseUnused(created, nullptr);
      return failure();
    }
    StateForm stateForm;
    if (failed(StateClassifier(state, recur, created).run(stateForm))) {
      eraseUnused(created, nullptr);
      return failure();
    }
    form.states.push_back(std::move(stateForm));
  }
  // Reads a chunk must produce: those of outputs and of other states'
  // updates (a state's reads of itself are its terms).
  for (StateForm &stateForm : form.states) {
    Value self = stateForm.state.getState();
    SmallVector<Value> roots(outputs);
    for (StateForm &other : form.states)
      if (&other != &stateForm)
        roots.append({other.recur.getTransition(), other.recur.getUpdate()});
    llvm::SmallPtrSet<Operation *, 32> used = sliceOf(roots);
    for (Operation &op : body) {
      if (stateRead(&op) != self || !used.contains(&op))
        continue;
      if (auto readout = dyn_cast<ReadoutOp>(op))
        stateForm.readouts.push_back({readout, readout.getPrev()});
      else
        stateForm.applies.push_back(
            {cast<ApplyOp>(op), cast<ApplyOp>(op).getPrev()});
    }
  }
  if (failed(orderStates(form))) {
    eraseUnused(created, nullptr);
    return failure();
  }
  eraseUnused(created, &form);
  return form;
}

//===----------------------------------------------------------------------===//
// describe
//===----------------------------------------------------------------------===//

std::string larc::describe(const RuleForm &form) {
  std::string out;
  llvm::raw_string_ostream os(out);
  auto plural = [](size_t n, StringRef what) {
    return std::to_string(n) + " " + what.str() + (n == 1 ? "" : "s");
  };
  RuleOp rule = form.rule;
  os << "rule @" << rule.getSymName() << "\n";
  for (const StateForm &state : form.states) {
    StateOp stateOp = state.state;
    StateType type = stateOp.getType();
    os << "  state " << stateOp.getName() << " ["
       << type.getKeyDim().getValue();
    if (!type.isVector())
      os << ", " << type.getValueDim().getValue();
    os << "]: " << plural(state.steps.size(), "sub-step") << ", decay "
       << stringifyDecayKind(state.decayKind()) << ", "
       << (state.hasProbes() ? "probes" : "no probes") << "\n";
    for (auto [s, step] : llvm::enumerate(state.steps)) {
      os << "    step " << s << ": decay " << stringifyDecayKind(step.decayKind)
         << ", " << plural(step.terms.size(), "term") << " (";
      llvm::interleave(
          step.terms, os,
          [&](const RankOneTerm &t) {
            os << "direction";
            if (t.data)
              os << ", data";
            if (t.probe)
              os << ", probe";
          },
          "; ");
      os << ")\n";
      if (step.logDecay)
        os << "      log-decay: " << renderExpression(step.logDecay) << "\n";
      if (step.vanishing)
        os << "      restarts where " << renderExpression(step.vanishing)
           << " = 0\n";
      for (auto [m, t] : llvm::enumerate(step.terms))
        os << "      term " << m << ": a = " << renderExpression(t.direction)
           << "; x = " << renderExpression(t.data)
           << "; y = " << renderExpression(t.probe) << "\n";
    }
    for (const ReadoutForm &readout : state.readouts) {
      ReadoutOp op = readout.op;
      os << "    readout" << (readout.prev ? " prev" : "") << ": "
         << renderExpression(op.getProbe()) << "\n";
    }
    for (ApplyForm apply : state.applies) {
      Value probe = apply.op.getProbe();
      os << "    apply" << (apply.prev ? " prev" : "") << ": "
         << (probe ? renderExpression(probe) : "whole") << "\n";
    }
    if (!state.reads.empty()) {
      os << "    reads:";
      for (unsigned j : state.reads) {
        StateOp other = form.states[j].state;
        os << " " << other.getName();
      }
      os << "\n";
    }
  }
  return out;
}

Value larc::stateRead(Operation *op) {
  if (auto readout = dyn_cast<ReadoutOp>(op))
    return readout.getState();
  if (auto apply = dyn_cast<ApplyOp>(op))
    return apply.getState();
  return {};
}
