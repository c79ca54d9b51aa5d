//===- Algebra.cpp - type-checked arithmetic on spec terms ----------------===//
//
// Each operator first decides from the operands' kinds and types what the
// expression means (elementwise op, outer or inner product, readout,
// transition term, ...) and reports an error quoting both operands when it
// means nothing; only then does it build ops, with explicit result types.
//
//===----------------------------------------------------------------------===//

#include "Elaborator.h"

using namespace mlir;
using llvm::SMLoc;
using llvm::Twine;

namespace larc {

static bool isScalar(const Term &t) {
  return t.kind == Term::Value && isa<ScalarType>(t.value.getType());
}
static VecType vecOf(const Term &t) {
  return t.kind == Term::Value ? dyn_cast<VecType>(t.value.getType())
                               : VecType();
}
static MatType matOf(const Term &t) {
  return t.kind == Term::Value ? dyn_cast<MatType>(t.value.getType())
                               : MatType();
}
static bool isLinearish(const Term &t) {
  return t.kind == Term::State || t.kind == Term::LinearSum;
}
static Symbol *stateOf(const Term &t) {
  return t.kind == Term::LinearSum ? t.linear->terms.front().state : t.state;
}

static Term make(Term::Kind kind, Value v, const ast::Expr &expr) {
  Term term;
  term.kind = kind;
  term.value = v;
  term.loc = expr.loc;
  term.range = expr.range;
  return term;
}

FailureOr<Term> Elaborator::stateMisuse(const Term &x, const ast::Expr &expr) {
  return fail(x.loc, quote(x) + " is " + describe(x) + notValueHint(x));
}

/// `S M`, `S / c`: the state is not the last factor.
static std::string notEndingMessage(const Source &source, Symbol *state,
                                    const ast::Expr &expr) {
  return "the transition term '" + source.quote(expr.range) +
         "' does not end in the state '" + state->name.str() +
         "'; write every factor to the left of the state, as in 'M " +
         state->name.str() + "'";
}

Value Elaborator::negateValue(Value v, Location at) {
  if (isa<MatType>(v.getType())) {
    // There is no matrix negation op: -M is (-1) M.
    Value minusOne = ConstantOp::create(builder, at, -1.0);
    return MulOp::create(builder, at, v.getType(), minusOne, v);
  }
  return NegOp::create(builder, at, v.getType(), v);
}

FailureOr<Term> Elaborator::makeSquare(Square::Kind kind, Value scalar,
                                       SquarePtr lhs, SquarePtr rhs,
                                       const ast::Expr &expr) {
  auto square = std::make_shared<Square>(kind, loc(expr.loc));
  square->scalar = scalar;
  square->depth = 1 + std::max(lhs ? lhs->depth : 0, rhs ? rhs->depth : 0);
  if (square->depth > ast::kMaxExprDepth)
    return fail(expr.loc, "matrix expression is nested too deeply (more than " +
                              Twine(ast::kMaxExprDepth) + " levels)");
  square->lhs = std::move(lhs);
  square->rhs = std::move(rhs);
  Term term;
  term.kind = Term::SquareMat;
  term.square = std::move(square);
  term.loc = expr.loc;
  term.range = expr.range;
  return term;
}

//===----------------------------------------------------------------------===//
// Negation and sums
//===----------------------------------------------------------------------===//

FailureOr<Term> Elaborator::toLinear(const Term &x, const ast::Expr &expr) {
  if (x.kind == Term::LinearSum)
    return x;
  if (context == Context::Output)
    return stateMisuse(x, expr);
  // A bare state is the identity transition applied to it.
  auto linear = std::make_shared<Linear>();
  LinearTerm term;
  term.state = x.state;
  term.loc = term.stateLoc = x.loc;
  term.range = x.range;
  linear->terms.push_back(term);
  Term result;
  result.kind = Term::LinearSum;
  result.linear = std::move(linear);
  result.loc = x.loc;
  result.range = x.range;
  return result;
}

FailureOr<Term> Elaborator::negate(const Term &xIn, const ast::Expr &expr) {
  Location at = loc(expr.loc);
  const Term x = context == Context::Output ? wholeValue(xIn) : xIn;
  switch (x.kind) {
  case Term::Value:
    return make(Term::Value, negateValue(x.value, at), expr);
  case Term::Row:
    return make(Term::Row, negateValue(x.value, at), expr);
  case Term::SquareMat:
    return makeSquare(Square::Neg, {}, x.square, {}, expr);
  case Term::State:
  case Term::LinearSum: {
    FailureOr<Term> lin = toLinear(x, expr);
    if (failed(lin))
      return failure();
    auto linear = std::make_shared<Linear>(*lin->linear);
    for (LinearTerm &term : linear->terms)
      term.negated = !term.negated;
    if (linear->rest)
      linear->rest = negateValue(linear->rest, at);
    Term result = *lin;
    result.linear = std::move(linear);
    result.loc = expr.loc;
    result.range = expr.range;
    return result;
  }
  case Term::StateT:
    break;
  }
  return fail(expr.loc, "cannot negate " + phrase(x) + notValueHint(x));
}

static std::string addMessage(const Elaborator &e, const Term &lhs,
                              const Term &rhs, bool sub) {
  return sub ? "cannot subtract " + e.phrase(rhs) + " from " + e.phrase(lhs)
             : "cannot add " + e.phrase(lhs) + " and " + e.phrase(rhs);
}

FailureOr<Value> Elaborator::addValues(Value lhs, Value rhs, bool sub,
                                       const Term &lhsTerm, const Term &rhsTerm,
                                       const ast::Expr &expr) {
  Type l = lhs.getType(), r = rhs.getType();
  Type result;
  if (isa<ScalarType>(l) && !isa<MatType>(r))
    result = r;
  else if (isa<ScalarType>(r) && !isa<MatType>(l))
    result = l;
  else if (l == r)
    result = l;
  if (!result) {
    std::string hint;
    if (isa<ScalarType>(l) || isa<ScalarType>(r))
      hint = "; to add a multiple of the identity write 'c * I'";
    error(expr.loc) << addMessage(*this, lhsTerm, rhsTerm, sub) << hint;
    return failure();
  }
  Location at = loc(expr.loc);
  if (sub)
    return Value(SubOp::create(builder, at, result, lhs, rhs));
  return Value(AddOp::create(builder, at, result, lhs, rhs));
}

FailureOr<Term> Elaborator::addSub(const Term &lhsIn, const Term &rhsIn,
                                   bool sub, const ast::Expr &expr) {
  // A vector state that cannot be a term of this update (or of any, in an
  // output) is the vector it holds; so is one added to something that is not
  // an update term of it, such as a scalar.
  auto fitsUpdate = [&](const Term &linearish, const Term &other) {
    if (context == Context::Output)
      return false;
    if (isLinearish(other))
      return true;
    return other.kind == Term::Value &&
           other.value.getType() == updateType(*stateOf(linearish));
  };
  Term lhs = lhsIn, rhs = rhsIn;
  if (isLinearish(lhs) && !fitsUpdate(lhs, rhs))
    lhs = wholeValue(lhs);
  if (isLinearish(rhs) && !fitsUpdate(rhs, lhs))
    rhs = wholeValue(rhs);
  if (isLinearish(lhs) || isLinearish(rhs)) {
    // A state update: collect the state-linear terms and the rest apart.
    Symbol *state = stateOf(isLinearish(lhs) ? lhs : rhs);
    Type restType = updateType(*state);
    Linear linear;
    Value lrest, rrest;
    for (const Term *side : {&lhs, &rhs}) {
      bool negate = side == &rhs && sub;
      if (isLinearish(*side)) {
        FailureOr<Term> lin = toLinear(*side, expr);
        if (failed(lin))
          return failure();
        for (LinearTerm term : lin->linear->terms) {
          term.negated ^= negate;
          linear.terms.push_back(term);
        }
        (side == &lhs ? lrest : rrest) = lin->linear->rest;
        continue;
      }
      if (side->kind != Term::Value || side->value.getType() != restType)
        return fail(expr.loc, addMessage(*this, lhs, rhs, sub) +
                                  "; every term of an update of '" +
                                  state->name + "' is " +
                                  describeType(restType));
      (side == &lhs ? lrest : rrest) = side->value;
    }
    if (lrest && rrest) {
      FailureOr<Value> sum = addValues(lrest, rrest, sub, lhs, rhs, expr);
      if (failed(sum))
        return failure();
      linear.rest = *sum;
    } else if (lrest) {
      linear.rest = lrest;
    } else if (rrest) {
      linear.rest = sub ? negateValue(rrest, loc(expr.loc)) : rrest;
    }
    Term result;
    result.kind = Term::LinearSum;
    result.linear = std::make_shared<Linear>(std::move(linear));
    result.loc = expr.loc;
    result.range = expr.range;
    return result;
  }

  if (lhs.kind == Term::Row && rhs.kind == Term::Row) {
    FailureOr<Value> sum = addValues(lhs.value, rhs.value, sub, lhs, rhs, expr);
    if (failed(sum))
      return failure();
    return make(Term::Row, *sum, expr);
  }

  if (lhs.kind == Term::SquareMat && rhs.kind == Term::SquareMat)
    return makeSquare(sub ? Square::Sub : Square::Add, {}, lhs.square,
                      rhs.square, expr);
  if (lhs.kind == Term::SquareMat || rhs.kind == Term::SquareMat) {
    const Term &square = lhs.kind == Term::SquareMat ? lhs : rhs;
    const Term &other = lhs.kind == Term::SquareMat ? rhs : lhs;
    MatType mat = matOf(other);
    if (!mat || !mat.isSquare()) {
      std::string hint = isScalar(other)
                             ? "; to add a multiple of the identity write "
                               "'c * I'"
                             : notValueHint(other);
      return fail(expr.loc, addMessage(*this, lhs, rhs, sub) + hint);
    }
    Value built = materialize(*square.square, mat.getRows());
    Value l = &square == &lhs ? built : other.value;
    Value r = &square == &lhs ? other.value : built;
    FailureOr<Value> sum = addValues(l, r, sub, lhs, rhs, expr);
    if (failed(sum))
      return failure();
    return make(Term::Value, *sum, expr);
  }

  if (lhs.kind != Term::Value || rhs.kind != Term::Value) {
    const Term &odd = lhs.kind != Term::Value ? lhs : rhs;
    return fail(expr.loc, addMessage(*this, lhs, rhs, sub) + notValueHint(odd));
  }
  FailureOr<Value> sum = addValues(lhs.value, rhs.value, sub, lhs, rhs, expr);
  if (failed(sum))
    return failure();
  return make(Term::Value, *sum, expr);
}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

FailureOr<Value> Elaborator::multiplyValues(Value lhs, Value rhs,
                                            const Term &lhsTerm,
                                            const Term &rhsTerm,
                                            const ast::Expr &expr) {
  Type l = lhs.getType(), r = rhs.getType();
  Location at = loc(expr.loc);
  if (isa<ScalarType>(l))
    return Value(MulOp::create(builder, at, r, lhs, rhs));
  if (isa<ScalarType>(r))
    return Value(MulOp::create(builder, at, l, lhs, rhs));
  auto lv = dyn_cast<VecType>(l), rv = dyn_cast<VecType>(r);
  auto lm = dyn_cast<MatType>(l), rm = dyn_cast<MatType>(r);
  if (lv && rv) {
    if (lv == rv)
      return Value(MulOp::create(builder, at, l, lhs, rhs));
    error(expr.loc) << "cannot multiply " << phrase(lhsTerm) << " and "
                    << phrase(rhsTerm)
                    << " elementwise: their dimensions differ; for an outer "
                       "product write '"
                    << source.quote(lhsTerm.range) << " "
                    << source.quote(rhsTerm.range) << "^T'";
    return failure();
  }
  if (lm && rm) {
    if (lm.getCols() == rm.getRows())
      return Value(MatmulOp::create(
          builder, at,
          MatType::get(builder.getContext(), lm.getRows(), rm.getCols()), lhs,
          rhs));
    error(expr.loc) << "cannot multiply " << phrase(lhsTerm) << " by "
                    << phrase(rhsTerm) << ": the inner dimensions "
                    << lm.getCols().getValue() << " and "
                    << rm.getRows().getValue() << " differ";
    return failure();
  }
  if (lm && rv) {
    error(expr.loc) << "cannot apply " << phrase(lhsTerm) << " to "
                    << phrase(rhsTerm)
                    << ": larc has no matrix-vector product; matrices act on "
                       "the state (as in 'M S'), and a rank-1 factor needs "
                       "parentheses, as in 'M (a b^T)'";
    return failure();
  }
  error(expr.loc) << "cannot multiply " << phrase(lhsTerm) << " by "
                  << phrase(rhsTerm)
                  << "; a vector times a matrix is not defined (did you mean "
                     "an outer product 'a b^T'?)";
  return failure();
}

FailureOr<Term> Elaborator::readout(const Term &state, Value probe,
                                    const Term &probeTerm,
                                    const ast::Expr &expr, bool asRow) {
  Symbol &s = *state.state;
  auto vec = dyn_cast<VecType>(probe.getType());
  if (!vec || vec.getDim().getValue() != s.keyDim)
    return fail(expr.loc, "cannot read out the state '" + s.name + "' with " +
                              phrase(probeTerm) +
                              "; the probe must be a vector over " + s.keyDim);
  MLIRContext *ctx = builder.getContext();
  Type result = s.valueDim.empty()
                    ? Type(ScalarType::get(ctx))
                    : Type(VecType::get(ctx, dimAttr(s.valueDim)));
  Value read = ReadoutOp::create(builder, loc(expr.loc), result, s.value, probe,
                                 state.prev);
  // k^T S is (S^T k)^T.
  bool row = asRow && !s.valueDim.empty();
  return make(row ? Term::Row : Term::Value, read, expr);
}

Term Elaborator::applyState(const Term &state, Value probe,
                            const ast::Expr &expr) {
  return make(Term::Value,
              buildApply(*state.state, probe, state.prev, loc(expr.loc)), expr);
}

FailureOr<Term> Elaborator::scaleLinear(const Term &factor, const Term &lin,
                                        const ast::Expr &expr) {
  // F (A S + B) = (F A) S + F B: multiply each coefficient and the rest.
  Symbol *state = stateOf(lin);
  bool ok = isScalar(factor) || matOf(factor) || factor.kind == Term::SquareMat;
  if (!ok) {
    std::string hint = vecOf(factor) ? "; for a per-key decay write 'diag(" +
                                           source.quote(factor.range) + ")'"
                                     : notValueHint(factor);
    return fail(factor.loc, quote(factor) + " is " + describe(factor) +
                                ", but a factor in front of the state '" +
                                state->name + "' must be a scalar or a " +
                                state->keyDim + " x " + state->keyDim +
                                " matrix" + hint);
  }
  auto linear = std::make_shared<Linear>(*lin.linear);
  for (LinearTerm &term : linear->terms) {
    Term coef;
    coef.loc = term.loc;
    coef.range = term.range;
    if (term.coefficient.square) {
      coef.kind = Term::SquareMat;
      coef.square = term.coefficient.square;
    } else if (term.coefficient.value) {
      coef.value = term.coefficient.value;
    } else {
      // The identity: the factor itself becomes the coefficient.
      term.coefficient = {factor.kind == Term::Value ? factor.value : Value(),
                          factor.square};
      term.loc = expr.loc;
      term.range = expr.range;
      continue;
    }
    FailureOr<Term> product = multiply(factor, coef, expr);
    if (failed(product))
      return failure();
    term.coefficient = {product->kind == Term::Value ? product->value : Value(),
                        product->square};
    term.loc = expr.loc;
    term.range = expr.range;
  }
  if (linear->rest) {
    Term rest = make(Term::Value, linear->rest, expr);
    rest.loc = lin.loc;
    rest.range = lin.range;
    FailureOr<Term> product = multiply(factor, rest, expr);
    if (failed(product))
      return failure();
    if (product->kind != Term::Value)
      return fail(expr.loc,
                  "cannot multiply " + phrase(factor) + " and " + phrase(lin));
    linear->rest = product->value;
  }
  Term result = lin;
  result.linear = std::move(linear);
  result.loc = expr.loc;
  result.range = expr.range;
  return result;
}

FailureOr<Term> Elaborator::multiply(const Term &lhsIn, const Term &rhsIn,
                                     const ast::Expr &expr) {
  Location at = loc(expr.loc);

  // `S p`: a matrix state applied to a vector over its value dimension.
  if (lhsIn.kind == Term::State && !lhsIn.state->valueDim.empty())
    if (VecType p = vecOf(rhsIn);
        p && p.getDim().getValue() == lhsIn.state->valueDim)
      return applyState(lhsIn, rhsIn.value, expr);

  // A vector state is the vector it holds where it cannot start or end a
  // transition term: in an output, in front of another factor, or times a
  // vector (elementwise).
  Term lhs = wholeValue(lhsIn), rhs = rhsIn;
  if ((context == Context::Output && lhs.kind != Term::Row) || vecOf(lhs))
    rhs = wholeValue(rhs);

  // The state must be the last factor of a transition term.
  if (isLinearish(lhs)) {
    if (context == Context::Output)
      return stateMisuse(lhs, expr);
    return fail(expr.range.Start, notEndingMessage(source, stateOf(lhs), expr));
  }

  if (rhs.kind == Term::State) {
    if (lhs.kind == Term::Row)
      return readout(rhs, lhs.value, lhs, expr, /*asRow=*/true);
    if (context == Context::Output)
      return stateMisuse(rhs, expr);
    if (lhs.kind == Term::StateT)
      return fail(expr.loc, quote(lhs) +
                                " must be applied to a vector, as in '" +
                                lhs.state->name + "^T q'");
    FailureOr<Term> lin = toLinear(rhs, expr);
    if (failed(lin))
      return failure();
    return scaleLinear(lhs, *lin, expr);
  }
  if (rhs.kind == Term::LinearSum) {
    if (lhs.kind == Term::Row)
      return fail(expr.loc, "cannot multiply " + phrase(lhs) + " and " +
                                phrase(rhs) +
                                "; read the state out with 'S^T k' instead");
    return scaleLinear(lhs, rhs, expr);
  }

  if (lhs.kind == Term::StateT) {
    if (VecType vec = vecOf(rhs))
      return readout(lhs, rhs.value, rhs, expr, /*asRow=*/false);
    return fail(expr.loc, quote(lhs) + " must be applied to a vector over " +
                              lhs.state->keyDim + ", but " + phrase(rhs) +
                              " is not one" + notValueHint(rhs));
  }
  if (rhs.kind == Term::StateT)
    return fail(expr.loc, "cannot multiply " + phrase(lhs) + " by " +
                              quote(rhs) +
                              "; apply the transposed state to a "
                              "vector, as in '" +
                              rhs.state->name + "^T q'");

  // Transposed vectors: a^T b is an inner product, a b^T an outer one.
  if (lhs.kind == Term::Row) {
    VecType a = cast<VecType>(lhs.value.getType());
    if (VecType b = vecOf(rhs)) {
      if (a != b)
        return fail(expr.loc, "cannot take the inner product of " +
                                  phrase(lhs) + " and " + phrase(rhs) +
                                  ": their dimensions differ");
      return make(Term::Value,
                  DotOp::create(builder, at,
                                ScalarType::get(builder.getContext()),
                                lhs.value, rhs.value),
                  expr);
    }
    if (isScalar(rhs))
      return make(Term::Row,
                  MulOp::create(builder, at, a, lhs.value, rhs.value), expr);
    return fail(expr.loc, "cannot multiply " + phrase(lhs) + " by " +
                              phrase(rhs) + notValueHint(lhs));
  }
  if (rhs.kind == Term::Row) {
    VecType b = cast<VecType>(rhs.value.getType());
    if (VecType a = vecOf(lhs))
      return make(Term::Value,
                  OuterOp::create(builder, at,
                                  MatType::get(builder.getContext(), a.getDim(),
                                               b.getDim()),
                                  lhs.value, rhs.value),
                  expr);
    if (isScalar(lhs))
      return make(Term::Row,
                  MulOp::create(builder, at, b, lhs.value, rhs.value), expr);
    return fail(expr.loc, "cannot multiply " + phrase(lhs) + " by " +
                              phrase(rhs) +
                              "; an outer product 'a b^T' needs a vector on "
                              "the left");
  }

  // Square matrices of unknown size take it from the other factor.
  if (lhs.kind == Term::SquareMat || rhs.kind == Term::SquareMat) {
    if (lhs.kind == Term::SquareMat && rhs.kind == Term::SquareMat)
      return makeSquare(Square::Matmul, {}, lhs.square, rhs.square, expr);
    if (isScalar(lhs))
      return makeSquare(Square::ScaleLeft, lhs.value, rhs.square, {}, expr);
    if (isScalar(rhs))
      return makeSquare(Square::ScaleRight, rhs.value, lhs.square, {}, expr);
    const Term &square = lhs.kind == Term::SquareMat ? lhs : rhs;
    const Term &other = lhs.kind == Term::SquareMat ? rhs : lhs;
    MatType mat = matOf(other);
    if (!mat)
      return fail(expr.loc,
                  "cannot multiply " + phrase(lhs) + " by " + phrase(rhs) +
                      (vecOf(other) ? "; larc has no matrix-vector product"
                                    : notValueHint(other)));
    Value built = materialize(*square.square,
                              &square == &lhs ? mat.getRows() : mat.getCols());
    Value l = &square == &lhs ? built : other.value;
    Value r = &square == &lhs ? other.value : built;
    FailureOr<Value> product = multiplyValues(l, r, lhs, rhs, expr);
    if (failed(product))
      return failure();
    return make(Term::Value, *product, expr);
  }

  FailureOr<Value> product =
      multiplyValues(lhs.value, rhs.value, lhs, rhs, expr);
  if (failed(product))
    return failure();
  return make(Term::Value, *product, expr);
}

//===----------------------------------------------------------------------===//
// Quotients, powers, transposes
//===----------------------------------------------------------------------===//

FailureOr<Term> Elaborator::divide(const Term &lhsIn, const Term &rhsIn,
                                   const ast::Expr &expr) {
  const Term lhs = wholeValue(lhsIn), rhs = wholeValue(rhsIn);
  if (isLinearish(lhs)) {
    if (context == Context::Output)
      return stateMisuse(lhs, expr);
    return fail(expr.range.Start, notEndingMessage(source, stateOf(lhs), expr));
  }
  Location at = loc(expr.loc);
  VecType rv = vecOf(rhs);
  if (!isScalar(rhs) && !rv)
    return fail(expr.loc, "cannot divide " + phrase(lhs) + " by " +
                              phrase(rhs) +
                              "; the divisor must be a scalar, or a vector "
                              "over the dividend's dimension" +
                              notValueHint(rhs));
  if (lhs.kind == Term::SquareMat && isScalar(rhs))
    return makeSquare(Square::DivScalar, rhs.value, lhs.square, {}, expr);
  if (lhs.kind == Term::Row && isScalar(rhs))
    return make(
        Term::Row,
        DivOp::create(builder, at, lhs.value.getType(), lhs.value, rhs.value),
        expr);
  if (lhs.kind == Term::Value) {
    Type l = lhs.value.getType();
    Type result;
    if (isScalar(rhs))
      result = l;
    else if (isa<ScalarType>(l) || l == rv)
      result = rv;
    if (result)
      return make(Term::Value,
                  DivOp::create(builder, at, result, lhs.value, rhs.value),
                  expr);
  }
  return fail(expr.loc, "cannot divide " + phrase(lhs) + " by " + phrase(rhs) +
                            notValueHint(lhs));
}

FailureOr<Term> Elaborator::power(const Term &lhsIn, const Term &rhsIn,
                                  const ast::Expr &expr) {
  const Term lhs = wholeValue(lhsIn), rhs = wholeValue(rhsIn);
  for (const Term *side : {&lhs, &rhs})
    if (!isScalar(*side) && !vecOf(*side))
      return fail(expr.loc, "'^' raises scalars or vectors to a power, but " +
                                phrase(*side) + " is neither" +
                                notValueHint(*side));
  VecType l = vecOf(lhs), r = vecOf(rhs);
  if (l && r && l != r)
    return fail(expr.loc, "cannot raise " + phrase(lhs) + " to the power " +
                              phrase(rhs) + ": their dimensions differ");
  Type result = l ? Type(l) : r ? Type(r) : lhs.value.getType();
  return make(
      Term::Value,
      PowOp::create(builder, loc(expr.loc), result, lhs.value, rhs.value),
      expr);
}

FailureOr<Term> Elaborator::transpose(const Term &x, const ast::Expr &expr) {
  Term result = x;
  result.loc = expr.loc;
  result.range = expr.range;
  switch (x.kind) {
  case Term::Value:
    if (isa<ScalarType>(x.value.getType()))
      return result;
    if (isa<VecType>(x.value.getType())) {
      result.kind = Term::Row;
      return result;
    }
    return fail(expr.loc, "cannot transpose " + phrase(x) +
                              "; larc transposes vectors and states only");
  case Term::Row:
    result.kind = Term::Value;
    return result;
  case Term::SquareMat: // I and diag(c) are symmetric
    return result;
  case Term::State:
    result.kind = Term::StateT;
    return result;
  case Term::StateT:
    result.kind = Term::State;
    return result;
  case Term::LinearSum:
    break;
  }
  return fail(expr.loc, "cannot transpose " + phrase(x) + notValueHint(x));
}

} // namespace larc
