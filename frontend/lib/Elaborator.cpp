//===- Elaborator.cpp - names, calls and 'let' of spec expressions --------===//

#include "Elaborator.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;

namespace larc {

/// Deepest chain of elaborations (through nested 'let's) accepted; keeps
/// hostile input from exhausting the stack.
static constexpr unsigned kMaxElaborationDepth = 1000;

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

InFlightDiagnostic Elaborator::error(SMLoc pos) {
  return mlir::emitError(source.loc(pos));
}

FailureOr<Term> Elaborator::fail(SMLoc pos, const Twine &message) {
  error(pos) << message;
  return failure();
}

std::string Elaborator::quote(const Term &term) const {
  return "'" + source.quote(term.range) + "'";
}

std::string Elaborator::describeType(Type type) {
  if (auto vec = dyn_cast<VecType>(type))
    return "a vector over " + vec.getDim().getValue().str();
  if (auto mat = dyn_cast<MatType>(type))
    return "a " + mat.getRows().getValue().str() + " x " +
           mat.getCols().getValue().str() + " matrix";
  return "a scalar";
}

std::string Elaborator::describe(const Term &term) const {
  switch (term.kind) {
  case Term::Value:
    return describeType(term.value.getType());
  case Term::Row:
    return "a transposed " + describeType(term.value.getType()).substr(2);
  case Term::SquareMat:
    return "a square matrix";
  case Term::State:
  case Term::StateT: {
    const Symbol &s = *term.state;
    std::string shape = s.valueDim.empty()
                            ? "a vector state over " + s.keyDim.str()
                            : "a " + s.keyDim.str() + " x " + s.valueDim.str() +
                                  " matrix state";
    return term.kind == Term::State ? shape : "the transpose of " + shape;
  }
  case Term::LinearSum:
    return "linear in the state '" +
           term.linear->terms.front().state->name.str() + "'";
  }
  return "a value";
}

std::string Elaborator::phrase(const Term &term) const {
  return quote(term) + " (" + describe(term) + ")";
}

std::string Elaborator::notValueHint(const Term &x) const {
  switch (x.kind) {
  case Term::Row:
    return "; a transposed vector only forms an outer product 'a b^T' or an "
           "inner product 'a^T b'";
  case Term::StateT:
    return "; apply it to a vector, as in '" + x.state->name.str() + "^T q'";
  case Term::State:
    return context == Context::Output
               ? "; in an output a state can only be read out, as in '" +
                     x.state->name.str() + "^T q'"
               : "; a state can only end a transition term (as in 'M " +
                     x.state->name.str() + "') or be read out (as in '" +
                     x.state->name.str() + "^T k')";
  case Term::LinearSum:
    return "; terms linear in a state can only be added together or "
           "multiplied from the left";
  case Term::SquareMat:
    return "; its size comes from a matrix or state it meets";
  case Term::Value:
    return "";
  }
  return "";
}

Type Elaborator::updateType(const Symbol &state) {
  MLIRContext *ctx = builder.getContext();
  if (state.valueDim.empty())
    return VecType::get(ctx, dimAttr(state.keyDim));
  return MatType::get(ctx, dimAttr(state.keyDim), dimAttr(state.valueDim));
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Term Elaborator::value(Value v, const ast::Expr &expr) const {
  Term term;
  term.kind = Term::Value;
  term.value = v;
  term.loc = expr.loc;
  term.range = expr.range;
  return term;
}

FailureOr<Term> Elaborator::elaborate(const ast::Expr &expr, Context ctx,
                                      Symbol *updated) {
  context = ctx;
  updating = updated;
  return elaborateExpr(expr);
}

/// The factor in front of a vector state as an elementwise one: null for the
/// identity, c for c or diag(c); failure for any other matrix.
static FailureOr<Value> elementwiseFactor(const Coefficient &c) {
  if (c.square) {
    if (c.square->kind == Square::Identity)
      return Value();
    if (c.square->kind == Square::Diag)
      return c.square->scalar;
    return failure();
  }
  if (!c.value || isa<ScalarType>(c.value.getType()))
    return c.value;
  if (auto diag = c.value.getDefiningOp<DiagOp>())
    return diag.getX();
  return failure();
}

Value Elaborator::buildApply(Symbol &state, Value probe, bool prev,
                             Location at) {
  for (const AppliedState &a : applied)
    if (a.state == &state && a.probe == probe && a.prev == prev)
      return a.result;
  auto type = VecType::get(builder.getContext(), dimAttr(state.keyDim));
  Value result = ApplyOp::create(builder, at, type, state.value, probe, prev);
  applied.push_back({&state, probe, prev, result});
  return result;
}

bool Elaborator::readsWhole(const Term &x) const {
  auto whole = [&](const Symbol *s) {
    return s->valueDim.empty() && (context == Context::Output || s != updating);
  };
  if (x.kind == Term::State)
    return whole(x.state);
  if (x.kind != Term::LinearSum)
    return false;
  for (const LinearTerm &t : x.linear->terms)
    if (!whole(t.state) || failed(elementwiseFactor(t.coefficient)) ||
        t.state->keyDim != x.linear->terms.front().state->keyDim)
      return false;
  return true;
}

Term Elaborator::wholeValue(const Term &x) {
  if (!readsWhole(x))
    return x;
  auto read = [&](Symbol *s, bool prev, Location at) {
    return buildApply(*s, Value(), prev, at);
  };
  Term result = x;
  result.kind = Term::Value;
  result.state = nullptr;
  result.linear = nullptr;
  if (x.kind == Term::State) {
    result.value = read(x.state, x.prev, loc(x.loc));
    return result;
  }
  // Sums linear in a state arise only in updates, where states are S_{t-1}.
  Value acc;
  for (const LinearTerm &t : x.linear->terms) {
    Location at = loc(t.loc);
    Value v = read(t.state, /*prev=*/true, loc(t.stateLoc));
    if (Value c = *elementwiseFactor(t.coefficient))
      v = MulOp::create(builder, at, v.getType(), c, v);
    if (!acc)
      acc = t.negated ? Value(NegOp::create(builder, at, v.getType(), v)) : v;
    else if (t.negated)
      acc = SubOp::create(builder, at, v.getType(), acc, v);
    else
      acc = AddOp::create(builder, at, v.getType(), acc, v);
  }
  if (Value rest = x.linear->rest)
    acc = AddOp::create(builder, loc(x.loc), acc.getType(), acc, rest);
  result.value = acc;
  return result;
}

FailureOr<Term> Elaborator::elaborateExpr(const ast::Expr &expr) {
  struct Guard {
    unsigned &depth;
    Guard(unsigned &depth) : depth(depth) { ++depth; }
    ~Guard() { --depth; }
  } guard(depth);
  if (depth > kMaxElaborationDepth)
    return fail(expr.loc, "definitions are nested too deeply (more than " +
                              Twine(kMaxElaborationDepth) +
                              " levels through 'let' names)");

  using ast::Expr;
  switch (expr.kind) {
  case Expr::Number:
    return value(ConstantOp::create(builder, loc(expr.loc), expr.number), expr);
  case Expr::Name:
    return elaborateName(expr);
  case Expr::Call:
    return elaborateCall(expr);
  default:
    break;
  }

  SmallVector<Term, 2> operands;
  for (const auto &operand : expr.operands) {
    FailureOr<Term> term = elaborateExpr(*operand);
    if (failed(term))
      return failure();
    operands.push_back(*term);
  }
  switch (expr.kind) {
  case Expr::Neg:
    return negate(operands[0], expr);
  case Expr::Add:
  case Expr::Sub:
    return addSub(operands[0], operands[1], expr.kind == Expr::Sub, expr);
  case Expr::Mul:
    return multiply(operands[0], operands[1], expr);
  case Expr::Div:
    return divide(operands[0], operands[1], expr);
  case Expr::Pow:
    return power(operands[0], operands[1], expr);
  case Expr::Transpose:
    return transpose(operands[0], expr);
  default:
    return fail(expr.loc, "unsupported expression");
  }
}

FailureOr<Term> Elaborator::elaborateName(const ast::Expr &expr) {
  StringRef name = expr.name;
  if (name == "I") {
    Term term;
    term.kind = Term::SquareMat;
    term.square = std::make_shared<Square>(Square::Identity, loc(expr.loc));
    term.loc = expr.loc;
    term.range = expr.range;
    return term;
  }
  if (name == "scale") {
    // One op serves every use; its dimension is the first declared one.
    if (!scaleValue)
      scaleValue = ScaleOp::create(builder, loc(expr.loc),
                                   ScalarType::get(builder.getContext()),
                                   decls.dims.front());
    return value(scaleValue, expr);
  }
  if (name == "head") {
    if (!headValue)
      headValue = HeadIndexOp::create(builder, loc(expr.loc));
    return value(headValue, expr);
  }
  if (name == "position") {
    if (!positionValue)
      positionValue = PositionOp::create(builder, loc(expr.loc));
    return value(positionValue, expr);
  }

  Symbol *sym = decls.lookup(name);
  if (!sym || (!sym->value && sym->kind != Symbol::Let))
    return fail(expr.loc, "unknown name '" + name + "'");
  Term term;
  switch (sym->kind) {
  case Symbol::Input:
    return value(sym->value, expr);
  case Symbol::State:
    term.kind = Term::State;
    term.state = sym;
    term.prev = context == Context::Update;
    break;
  case Symbol::Let: {
    FailureOr<Term> let = letTerm(*sym);
    if (failed(let))
      return failure();
    term = *let;
    break;
  }
  case Symbol::Output:
    return fail(expr.loc, "output '" + name + "' cannot be read back");
  }
  term.loc = expr.loc;
  term.range = expr.range;
  return term;
}

FailureOr<Term> Elaborator::elaborateLet(Symbol &let, Context ctx) {
  context = ctx;
  updating = nullptr;
  return letTerm(let);
}

FailureOr<Term> Elaborator::letTerm(Symbol &let) {
  // A let that reads no state means the same everywhere: build it once.
  std::pair<Symbol *, int> key{&let, let.mentionsState ? int(context) : -1};
  auto it = letCache.find(key);
  if (it != letCache.end())
    return it->second;
  FailureOr<Term> term = elaborateExpr(*let.stmt->value);
  if (failed(term))
    return failure();
  let.elaborated = true;
  letCache[key] = *term;
  return *term;
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

template <typename OpTy>
static Value buildUnary(OpBuilder &builder, Location loc, Value x) {
  return OpTy::create(builder, loc, x.getType(), x);
}

static Value buildElementwise(StringRef name, OpBuilder &builder, Location loc,
                              Value x) {
  if (name == "exp")
    return buildUnary<ExpOp>(builder, loc, x);
  if (name == "log")
    return buildUnary<LogOp>(builder, loc, x);
  if (name == "sqrt")
    return buildUnary<SqrtOp>(builder, loc, x);
  if (name == "sigmoid")
    return buildUnary<SigmoidOp>(builder, loc, x);
  if (name == "softplus")
    return buildUnary<SoftplusOp>(builder, loc, x);
  if (name == "relu")
    return buildUnary<ReluOp>(builder, loc, x);
  if (name == "elu")
    return buildUnary<EluOp>(builder, loc, x);
  if (name == "silu")
    return buildUnary<SiluOp>(builder, loc, x);
  if (name == "abs")
    return buildUnary<AbsOp>(builder, loc, x);
  return {};
}

/// The first state `expr` mentions, through 'let' names too, or null.
static const Symbol *firstState(const ast::Expr &expr, Declarations &decls) {
  if (expr.kind == ast::Expr::Name) {
    Symbol *sym = decls.lookup(expr.name);
    if (sym && sym->kind == Symbol::State)
      return sym;
    if (sym && sym->kind == Symbol::Let && sym->mentionsState)
      return firstState(*sym->stmt->value, decls);
    return nullptr;
  }
  for (const auto &operand : expr.operands)
    if (const Symbol *s = firstState(*operand, decls))
      return s;
  return nullptr;
}

FailureOr<Term> Elaborator::elaborateCall(const ast::Expr &expr) {
  StringRef name = expr.name;
  bool binary = name == "dot" || name == "solve" || name == "kron" ||
                name == "mod" || name == "min" || name == "max";
  size_t arity = binary ? 2 : 1;
  if (name == "concat") {
    if (expr.operands.size() < 2)
      return fail(expr.loc, "'concat' takes at least two arguments, but " +
                                Twine(expr.operands.size()) + " " +
                                (expr.operands.size() == 1 ? "was" : "were") +
                                " given in '" + source.quote(expr.range) + "'");
  } else if (expr.operands.size() != arity)
    return fail(expr.loc, "'" + name + "' takes " + Twine(arity) +
                              (arity == 1 ? " argument" : " arguments") +
                              ", but " + Twine(expr.operands.size()) +
                              (expr.operands.size() == 1 ? " was" : " were") +
                              " given in '" + source.quote(expr.range) + "'");

  if (name == "solve") {
    // M^{-1} x is named so that a rule that needs it (MesaNet's
    // (H_kk + diag(lambda))^{-1} q) is refused by its term, not by a parse.
    const ast::Expr &matrix = *expr.operands[0];
    if (const Symbol *s = firstState(matrix, decls))
      return fail(expr.loc,
                  "'" + source.quote(expr.range) +
                      "' solves a linear system whose matrix '" +
                      source.quote(matrix.range) + "' depends on the state '" +
                      s->name +
                      "': the result is not linear in the state (a per-token "
                      "linear solve), and larc reads a state only linearly, "
                      "as in '" +
                      s->name + "^T q'");
    return fail(expr.loc, "'" + source.quote(expr.range) +
                              "' is a per-token linear solve, which larc does "
                              "not have");
  }

  if (name == "prev") {
    // Checked by declare(): the argument names a state.
    Symbol *sym = decls.lookup(expr.operands[0]->name);
    if (!sym || sym->kind != Symbol::State)
      return fail(expr.loc, "'prev' takes the name of a state");
    Term term;
    term.kind = Term::State;
    term.state = sym;
    term.prev = true;
    term.loc = expr.loc;
    term.range = expr.range;
    return term;
  }

  SmallVector<Term, 2> args;
  for (const auto &operand : expr.operands) {
    FailureOr<Term> arg = elaborateExpr(*operand);
    if (failed(arg))
      return failure();
    args.push_back(wholeValue(*arg));
  }
  const Term &x = args[0];
  Location at = loc(expr.loc);
  bool isValue = x.kind == Term::Value;
  bool isScalar = isValue && isa<ScalarType>(x.value.getType());
  bool isVector = isValue && isa<VecType>(x.value.getType());

  if (name == "dot") {
    const Term &y = args[1];
    auto a = x.kind == Term::Value ? dyn_cast<VecType>(x.value.getType())
                                   : VecType();
    auto b = y.kind == Term::Value ? dyn_cast<VecType>(y.value.getType())
                                   : VecType();
    if (!a || !b || a != b)
      return fail(expr.loc, "'dot' takes two vectors over one dimension, but "
                            "its arguments are " +
                                phrase(x) + " and " + phrase(y));
    return value(DotOp::create(builder, at,
                               ScalarType::get(builder.getContext()), x.value,
                               y.value),
                 expr);
  }

  if (name == "mod" || name == "min" || name == "max") {
    const Term &y = args[1];
    auto kind = [](const Term &t) -> Type {
      return t.kind == Term::Value && !isa<MatType>(t.value.getType())
                 ? t.value.getType()
                 : Type();
    };
    Type a = kind(x), b = kind(y);
    if (!a || !b || (isa<VecType>(a) && isa<VecType>(b) && a != b))
      return fail(expr.loc, "'" + name +
                                "' takes scalars or vectors over one "
                                "dimension, but its arguments are " +
                                phrase(x) + " and " + phrase(y));
    Type type = isa<VecType>(a) ? a : b;
    if (name == "mod")
      return value(ModOp::create(builder, at, type, x.value, y.value), expr);
    if (name == "min")
      return value(MinOp::create(builder, at, type, x.value, y.value), expr);
    return value(MaxOp::create(builder, at, type, x.value, y.value), expr);
  }

  if (name == "kron" || name == "concat") {
    // Feature maps that change the key dimension: the result's size is a
    // polynomial in the operands' sizes, which a declared dim must have.
    bool product = name == "kron";
    DimPolynomial size = DimPolynomial::constant(product ? 1 : 0);
    SmallVector<Value> values;
    SmallVector<Type> types;
    for (const Term &arg : args) {
      bool scalar =
          arg.kind == Term::Value && isa<ScalarType>(arg.value.getType());
      auto vec = arg.kind == Term::Value
                     ? dyn_cast<VecType>(arg.value.getType())
                     : VecType();
      if (!vec && (product || !scalar))
        return fail(arg.loc, "'" + name + "' takes " +
                                 (product ? "vectors" : "scalars and vectors") +
                                 ", but " + phrase(arg) + " is not one" +
                                 notValueHint(arg));
      DimPolynomial part = vec ? decls.sizeOf(vec.getDim().getValue())
                               : DimPolynomial::constant(1);
      size = product ? size * part : size + part;
      values.push_back(arg.value);
      types.push_back(arg.value.getType());
    }
    StringRef dim = decls.dimOfSize(size);
    if (dim.empty())
      return fail(expr.loc, "'" + source.quote(expr.range) +
                                "' is a vector of size " + size.str() +
                                ", which no dimension has; declare one, as "
                                "in 'dim F = " +
                                size.str() + "'");
    auto type = VecType::get(builder.getContext(), dimAttr(dim));
    if (product)
      return value(KronOp::create(builder, at, type, values[0], values[1]),
                   expr);
    return value(ConcatOp::create(builder, at, type, values), expr);
  }

  if (name == "diag") {
    if (isScalar) {
      // diag(c) of a scalar is c I; its size comes from what it meets.
      Term term;
      term.kind = Term::SquareMat;
      term.square = std::make_shared<Square>(Square::Diag, at);
      term.square->scalar = x.value;
      term.loc = expr.loc;
      term.range = expr.range;
      return term;
    }
    if (isVector) {
      StringAttr dim = cast<VecType>(x.value.getType()).getDim();
      auto type = MatType::get(builder.getContext(), dim, dim);
      return value(DiagOp::create(builder, at, type, x.value), expr);
    }
    return fail(expr.loc, "'diag' takes a scalar or a vector, but " +
                              phrase(x) + " is not one" + notValueHint(x));
  }

  // Elementwise functions also act on a transposed vector, keeping it one.
  bool isRow = x.kind == Term::Row;
  if (name == "softmax") {
    if (!isVector)
      return fail(expr.loc, "'softmax' takes a vector, but " + phrase(x) +
                                " is not one" + notValueHint(x));
    return value(SoftmaxOp::create(builder, at, x.value.getType(), x.value),
                 expr);
  }
  if (name == "l2norm") {
    if (!isVector && !isRow)
      return fail(expr.loc, "'l2norm' takes a vector, but " + phrase(x) +
                                " is not one" + notValueHint(x));
    Term term = value(L2NormOp::create(builder, at, x.value.getType(), x.value,
                                       builder.getF64FloatAttr(1e-6)),
                      expr);
    term.kind = x.kind;
    return term;
  }
  if (!isScalar && !isVector && !isRow)
    return fail(expr.loc, "'" + name + "' takes a scalar or a vector, but " +
                              phrase(x) + " is not one" + notValueHint(x));
  Term term = value(buildElementwise(name, builder, at, x.value), expr);
  term.kind = x.kind;
  return term;
}

//===----------------------------------------------------------------------===//
// Square matrices of unknown size, and transition factors
//===----------------------------------------------------------------------===//

Value Elaborator::materialize(Square &square, StringAttr dim) {
  auto it = square.built.find(dim);
  if (it != square.built.end())
    return it->second;
  auto type = MatType::get(builder.getContext(), dim, dim);
  Location at = square.loc;
  Value result;
  switch (square.kind) {
  case Square::Identity:
    result = IdentityOp::create(builder, at, type);
    break;
  case Square::Diag:
    result = DiagOp::create(builder, at, type, square.scalar);
    break;
  case Square::ScaleLeft:
    result = MulOp::create(builder, at, type, square.scalar,
                           materialize(*square.lhs, dim));
    break;
  case Square::ScaleRight:
    result = MulOp::create(builder, at, type, materialize(*square.lhs, dim),
                           square.scalar);
    break;
  case Square::DivScalar:
    result = DivOp::create(builder, at, type, materialize(*square.lhs, dim),
                           square.scalar);
    break;
  case Square::Neg: {
    Value inner = materialize(*square.lhs, dim);
    Value minusOne = ConstantOp::create(builder, at, -1.0);
    result = MulOp::create(builder, at, type, minusOne, inner);
    break;
  }
  case Square::Add:
  case Square::Sub:
  case Square::Matmul: {
    Value lhs = materialize(*square.lhs, dim);
    Value rhs = materialize(*square.rhs, dim);
    if (square.kind == Square::Add)
      result = AddOp::create(builder, at, type, lhs, rhs);
    else if (square.kind == Square::Sub)
      result = SubOp::create(builder, at, type, lhs, rhs);
    else
      result = MatmulOp::create(builder, at, type, lhs, rhs);
    break;
  }
  }
  square.built[dim] = result;
  return result;
}

FailureOr<Value> Elaborator::transitionFactor(const LinearTerm &term) {
  const Symbol &state = *term.state;
  StringAttr key = dimAttr(state.keyDim);
  auto type = MatType::get(builder.getContext(), key, key);
  const Coefficient &coef = term.coefficient;
  if (coef.square)
    return materialize(*coef.square, key);
  if (!coef.value)
    return Value(IdentityOp::create(builder, loc(term.stateLoc), type));
  Type coefType = coef.value.getType();
  if (isa<ScalarType>(coefType)) {
    // c S is the scaled identity c I applied to S.
    Value identity = IdentityOp::create(builder, loc(term.stateLoc), type);
    return Value(
        MulOp::create(builder, loc(term.loc), type, coef.value, identity));
  }
  if (coefType != type) {
    error(term.loc) << "the factor in front of '" << state.name << "' in '"
                    << source.quote(term.range) << "' is "
                    << describeType(coefType) << "; a transition of '"
                    << state.name << "' is a " << state.keyDim << " x "
                    << state.keyDim << " matrix";
    return failure();
  }
  return coef.value;
}

} // namespace larc
