//===- LarcOps.cpp - larc operations: verifiers and type inference --------===//

#include "larc/Dialect/DimSizes.h"
#include "larc/Dialect/LarcDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace larc;

#define GET_OP_CLASSES
#include "larc/Dialect/LarcOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// The dimensions a larc type mentions (none for scalars and foreign types).
static SmallVector<StringAttr, 2> dimsOf(Type type) {
  if (auto vec = dyn_cast<VecType>(type))
    return {vec.getDim()};
  if (auto mat = dyn_cast<MatType>(type))
    return {mat.getRows(), mat.getCols()};
  if (auto state = dyn_cast<StateType>(type)) {
    if (state.isVector())
      return {state.getKeyDim()};
    return {state.getKeyDim(), state.getValueDim()};
  }
  return {};
}

/// Identifiers as the spec language writes them: a letter or '_' first.
static bool isIdentifier(StringRef name) {
  if (name.empty() || !(std::isalpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name, [](char c) { return std::isalnum(c) || c == '_'; });
}

static LogicalResult verifyName(Operation *op, StringRef name, StringRef what) {
  if (!isIdentifier(name))
    return op->emitOpError() << what << " name '" << name
                             << "' is not an identifier (a letter or '_', then "
                                "letters, digits or '_')";
  return success();
}

//===----------------------------------------------------------------------===//
// RuleOp
//===----------------------------------------------------------------------===//

bool RuleOp::hasDim(StringRef dim) {
  return llvm::any_of(getDims().getAsValueRange<StringAttr>(),
                      [&](StringRef d) { return d == dim; });
}

LogicalResult RuleOp::verify() {
  if (getDims().empty())
    return emitOpError("declares no dimensions; a rule needs at least a key "
                       "dimension");
  llvm::StringSet<> seen;
  for (StringRef dim : getDims().getAsValueRange<StringAttr>()) {
    if (!isIdentifier(dim))
      return emitOpError() << "dimension '" << dim << "' is not an identifier";
    if (!seen.insert(dim).second)
      return emitOpError() << "declares dimension '" << dim << "' twice";
  }
  // Derived dims are polynomials over the rule's base dims.
  Attribute defsAttr = (*this)->getAttr("derived_dims");
  if (!defsAttr)
    return success();
  auto defs = dyn_cast<DictionaryAttr>(defsAttr);
  if (!defs)
    return emitOpError("'derived_dims' must be a dictionary {NAME = "
                       "[[coef, dim, ...], ...]}");
  for (NamedAttribute def : defs) {
    StringRef name = def.getName().getValue();
    if (!hasDim(name))
      return emitOpError() << "derives the size of '" << name
                           << "', which is not one of its dimensions";
    FailureOr<DimPolynomial> poly = DimPolynomial::fromAttr(def.getValue());
    if (failed(poly))
      return emitOpError() << "has a malformed size for '" << name
                           << "'; expected [[coef, dim, ...], ...]";
    for (const std::string &dim : poly->dims())
      if (!hasDim(dim) || defs.get(dim))
        return emitOpError() << "defines '" << name << "' by '" << dim
                             << "', which is not a base dimension of the rule";
  }
  return success();
}

/// True if `value` is computed, transitively, from a readout (or larc.apply)
/// of `state` taken after the update (without `prev`).
static bool readsUpdatedState(Value value, Value state) {
  SmallVector<Value> work{value};
  llvm::SmallPtrSet<Operation *, 16> visited;
  while (!work.empty()) {
    Operation *def = work.pop_back_val().getDefiningOp();
    if (!def || !visited.insert(def).second)
      continue;
    if (auto readout = dyn_cast<ReadoutOp>(def))
      if (readout.getState() == state && !readout.getPrev())
        return true;
    if (auto apply = dyn_cast<ApplyOp>(def))
      if (apply.getState() == state && !apply.getPrev())
        return true;
    llvm::append_range(work, def->getOperands());
  }
  return false;
}

LogicalResult RuleOp::verifyRegions() {
  Block &body = getBody().front();
  llvm::StringSet<> inputs, states, outputs;
  llvm::DenseMap<Value, RecurOp> recurOf;

  for (Operation &op : body) {
    if (!isa_and_nonnull<LarcDialect>(op.getDialect()))
      return op.emitOpError("is not a larc op; a rule's body holds larc ops "
                            "only");
    auto checkDims = [&](Type type) -> LogicalResult {
      for (StringAttr dim : dimsOf(type))
        if (!hasDim(dim.getValue()))
          return op.emitOpError()
                 << "uses dimension '" << dim.getValue() << "' in type " << type
                 << ", but rule @" << getSymName() << " declares only "
                 << getDims();
      return success();
    };
    for (Type type : op.getOperandTypes())
      if (failed(checkDims(type)))
        return failure();
    for (Type type : op.getResultTypes())
      if (failed(checkDims(type)))
        return failure();

    if (auto input = dyn_cast<InputOp>(op)) {
      if (!inputs.insert(input.getName()).second)
        return input.emitOpError()
               << "input '" << input.getName() << "' is declared twice";
    } else if (auto state = dyn_cast<StateOp>(op)) {
      if (!states.insert(state.getName()).second)
        return state.emitOpError()
               << "state '" << state.getName() << "' is declared twice";
    } else if (auto output = dyn_cast<OutputOp>(op)) {
      if (!outputs.insert(output.getName()).second)
        return output.emitOpError()
               << "output '" << output.getName() << "' is written twice";
    } else if (auto recur = dyn_cast<RecurOp>(op)) {
      auto [it, inserted] = recurOf.try_emplace(recur.getState(), recur);
      if (!inserted) {
        auto diag = recur.emitOpError("updates a state that is already "
                                      "updated; each state has one larc.recur");
        diag.attachNote(it->second.getLoc()) << "first update here";
        return diag;
      }
      for (Value operand : {Value(recur.getTransition()), recur.getUpdate()})
        if (readsUpdatedState(operand, recur.getState()))
          return recur.emitOpError(
              "depends on a readout of the state it defines; read the "
              "previous state with `larc.readout ... prev`");
    } else if (auto readout = dyn_cast<ReadoutOp>(op)) {
      if (!readout.getPrev() && !recurOf.count(readout.getState()))
        return readout.emitOpError(
            "reads the updated state before its larc.recur; move the readout "
            "after the update or mark it `prev`");
    } else if (auto apply = dyn_cast<ApplyOp>(op)) {
      if (!apply.getPrev() && !recurOf.count(apply.getState()))
        return apply.emitOpError(
            "reads the updated state before its larc.recur; move it after "
            "the update or mark it `prev`");
    }
  }

  for (Operation &op : body)
    if (auto state = dyn_cast<StateOp>(op))
      if (!recurOf.count(state.getState()))
        return state.emitOpError() << "state '" << state.getName()
                                   << "' is never updated by a larc.recur";
  if (outputs.empty())
    return emitOpError() << "rule @" << getSymName()
                         << " has no larc.output; it must produce an output";
  return success();
}

//===----------------------------------------------------------------------===//
// InputOp, StateOp, OutputOp, ScaleOp
//===----------------------------------------------------------------------===//

void InputOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  setNameFn(getResult(), getName());
}

LogicalResult InputOp::verify() {
  if (failed(verifyName(*this, getName(), "input")))
    return failure();
  Type type = getResult().getType();
  switch (getRole()) {
  case Role::Query:
  case Role::Key:
  case Role::Value:
    if (!isa<VecType>(type))
      return emitOpError() << "input '" << getName() << "' has role '"
                           << stringifyRole(getRole())
                           << "' and must be a !larc.vec, not " << type;
    return success();
  case Role::LogGate:
  case Role::Gate:
  case Role::Coefficient:
    return success();
  }
  llvm_unreachable("unknown role");
}

void StateOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  setNameFn(getState(), getName());
}

LogicalResult StateOp::verify() {
  return verifyName(*this, getName(), "state");
}

LogicalResult OutputOp::verify() {
  return verifyName(*this, getName(), "output");
}

LogicalResult ScaleOp::verify() {
  auto rule = (*this)->getParentOfType<RuleOp>();
  if (rule && !rule.hasDim(getDim()))
    return emitOpError() << "scales by dimension '" << getDim()
                         << "', which the rule does not declare";
  return success();
}

//===----------------------------------------------------------------------===//
// RecurOp, ReadoutOp
//===----------------------------------------------------------------------===//

LogicalResult RecurOp::verify() {
  auto state = getState().getType();
  auto transition = getTransition().getType();
  if (transition.getRows() != state.getKeyDim() ||
      transition.getCols() != state.getKeyDim())
    return emitOpError() << "transition " << transition
                         << " does not act on the key dimension of " << state
                         << "; expected !larc.mat<"
                         << state.getKeyDim().getValue() << ", "
                         << state.getKeyDim().getValue() << ">";
  Type update = getUpdate().getType();
  if (state.isVector()) {
    auto vec = dyn_cast<VecType>(update);
    if (!vec || vec.getDim() != state.getKeyDim())
      return emitOpError() << "update " << update << " of vector state "
                           << state << " must be !larc.vec<"
                           << state.getKeyDim().getValue() << ">";
    return success();
  }
  auto mat = dyn_cast<MatType>(update);
  if (!mat || mat.getRows() != state.getKeyDim() ||
      mat.getCols() != state.getValueDim())
    return emitOpError() << "update " << update << " does not match state "
                         << state << "; expected !larc.mat<"
                         << state.getKeyDim().getValue() << ", "
                         << state.getValueDim().getValue() << ">";
  return success();
}

LogicalResult ReadoutOp::verify() {
  auto state = getState().getType();
  if (getProbe().getType().getDim() != state.getKeyDim())
    return emitOpError() << "probe " << getProbe().getType()
                         << " does not match the key dimension of " << state;
  Type result = getResult().getType();
  if (state.isVector()) {
    if (!isa<ScalarType>(result))
      return emitOpError() << "readout of vector state " << state
                           << " is a !larc.scalar, not " << result;
    return success();
  }
  auto vec = dyn_cast<VecType>(result);
  if (!vec || vec.getDim() != state.getValueDim())
    return emitOpError() << "readout of " << state << " is !larc.vec<"
                         << state.getValueDim().getValue() << ">, not "
                         << result;
  return success();
}

/// The size of a scalar (1) or vector type inside `op`'s rule.
static FailureOr<DimPolynomial> sizeOfType(Operation *op, Type type) {
  if (isa<ScalarType>(type))
    return DimPolynomial::constant(1);
  auto rule = op->getParentOfType<RuleOp>();
  StringRef dim = cast<VecType>(type).getDim().getValue();
  if (!rule)
    return DimPolynomial::base(dim);
  return sizeOf(rule, dim);
}

/// Checks that `op`'s result dimension has the size of the product (or the
/// sum) of its operands' sizes.
static LogicalResult verifyResultSize(Operation *op, bool product,
                                      StringRef what) {
  FailureOr<DimPolynomial> got = sizeOfType(op, op->getResult(0).getType());
  DimPolynomial want = DimPolynomial::constant(product ? 1 : 0);
  for (Type type : op->getOperandTypes()) {
    FailureOr<DimPolynomial> size = sizeOfType(op, type);
    if (failed(size))
      return op->emitOpError("has an operand whose size is malformed");
    want = product ? want * *size : want + *size;
  }
  if (failed(got))
    return op->emitOpError("has a result whose size is malformed");
  if (*got != want)
    return op->emitOpError() << "result " << op->getResult(0).getType()
                             << " has size " << got->str() << ", but the "
                             << what << " of its operands has " << want.str();
  return success();
}

LogicalResult KronOp::verify() {
  return verifyResultSize(*this, /*product=*/true, "Kronecker product");
}

LogicalResult ConcatOp::verify() {
  if (getInputs().size() < 2)
    return emitOpError("concatenates at least two values");
  return verifyResultSize(*this, /*product=*/false, "concatenation");
}

LogicalResult ApplyOp::verify() {
  auto state = getState().getType();
  auto result = getResult().getType();
  if (result.getDim() != state.getKeyDim())
    return emitOpError() << "applying " << state << " gives !larc.vec<"
                         << state.getKeyDim().getValue() << ">, not " << result;
  if (state.isVector()) {
    if (getProbe())
      return emitOpError() << "vector state " << state
                           << " has no value dimension to contract; it "
                              "takes no probe";
    return success();
  }
  if (!getProbe())
    return emitOpError() << "matrix state " << state
                         << " needs a probe over its value dimension";
  if (getProbe().getType().getDim() != state.getValueDim())
    return emitOpError() << "probe " << getProbe().getType()
                         << " does not match the value dimension of " << state;
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

void ConstantOp::build(OpBuilder &builder, OperationState &state,
                       double value) {
  build(builder, state, ScalarType::get(builder.getContext()),
        builder.getF64FloatAttr(value));
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// Elementwise arithmetic: result types
//===----------------------------------------------------------------------===//

namespace {
enum class Arith { Add, Sub, Mul, Div, Pow, Mod, Min, Max };
}

static StringRef arithName(Arith kind) {
  switch (kind) {
  case Arith::Add:
    return "larc.add";
  case Arith::Sub:
    return "larc.sub";
  case Arith::Mul:
    return "larc.mul";
  case Arith::Div:
    return "larc.div";
  case Arith::Pow:
    return "larc.pow";
  case Arith::Mod:
    return "larc.mod";
  case Arith::Min:
    return "larc.min";
  case Arith::Max:
    return "larc.max";
  }
  llvm_unreachable("unknown arithmetic op");
}

/// The result type of `lhs <kind> rhs`, or an error at `loc`. A scalar
/// broadcasts; vectors combine elementwise over the same dimension; matrices
/// add and subtract, and scale by (or divide by) a scalar.
static FailureOr<Type> inferArith(Arith kind, std::optional<Location> loc,
                                  Type lhs, Type rhs) {
  bool lScalar = isa<ScalarType>(lhs), rScalar = isa<ScalarType>(rhs);
  bool lMat = isa<MatType>(lhs), rMat = isa<MatType>(rhs);
  auto fail = [&](const Twine &why) -> FailureOr<Type> {
    (void)emitOptionalError(loc, "'", arithName(kind), "' op ", why);
    return failure();
  };
  if (lScalar)
    return rhs == lhs || !rMat || kind == Arith::Mul
               ? FailureOr<Type>(rhs)
               : fail("cannot add or subtract a scalar and a matrix; write "
                      "the scalar times the identity");
  if (rScalar) {
    if (lMat &&
        (kind == Arith::Add || kind == Arith::Sub || kind == Arith::Pow))
      return fail("cannot combine a matrix and a scalar this way; write the "
                  "scalar times the identity");
    return lhs;
  }
  if (lhs != rhs) {
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << "operands '" << lhs << "' and '" << rhs << "'"
       << " do not match; elementwise operands share their dimensions";
    return fail(os.str());
  }
  if (lMat && kind != Arith::Add && kind != Arith::Sub)
    return fail("multiplies or divides two matrices elementwise; compose "
                "transitions with larc.matmul");
  return lhs;
}

#define LARC_ARITH_INFER(OP, KIND)                                             \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr, OpaqueProperties, RegionRange,                           \
      SmallVectorImpl<Type> &results) {                                        \
    FailureOr<Type> type = inferArith(Arith::KIND, loc, operands[0].getType(), \
                                      operands[1].getType());                  \
    if (failed(type))                                                          \
      return failure();                                                        \
    results.push_back(*type);                                                  \
    return success();                                                          \
  }
LARC_ARITH_INFER(AddOp, Add)
LARC_ARITH_INFER(SubOp, Sub)
LARC_ARITH_INFER(MulOp, Mul)
LARC_ARITH_INFER(DivOp, Div)
LARC_ARITH_INFER(PowOp, Pow)
LARC_ARITH_INFER(ModOp, Mod)
LARC_ARITH_INFER(MinOp, Min)
LARC_ARITH_INFER(MaxOp, Max)
#undef LARC_ARITH_INFER

//===----------------------------------------------------------------------===//
// Vectors and matrices
//===----------------------------------------------------------------------===//

LogicalResult L2NormOp::verify() {
  if (getEps().convertToDouble() < 0)
    return emitOpError("eps must not be negative");
  return success();
}

LogicalResult IdentityOp::verify() {
  if (!getType().isSquare())
    return emitOpError() << "identity must be square, not " << getType();
  return success();
}

LogicalResult DiagOp::verify() {
  if (!getType().isSquare())
    return emitOpError() << "diagonal matrix must be square, not " << getType();
  if (auto vec = dyn_cast<VecType>(getX().getType()))
    if (vec.getDim() != getType().getRows())
      return emitOpError() << "diagonal " << vec << " does not fit "
                           << getType();
  return success();
}

LogicalResult OuterOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location>,
                                        ValueRange operands, DictionaryAttr,
                                        OpaqueProperties, RegionRange,
                                        SmallVectorImpl<Type> &results) {
  auto a = dyn_cast<VecType>(operands[0].getType());
  auto b = dyn_cast<VecType>(operands[1].getType());
  if (!a || !b)
    return failure();
  results.push_back(MatType::get(context, a.getDim(), b.getDim()));
  return success();
}

LogicalResult HouseholderOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location>,
                                              ValueRange operands,
                                              DictionaryAttr, OpaqueProperties,
                                              RegionRange,
                                              SmallVectorImpl<Type> &results) {
  auto k = dyn_cast<VecType>(operands[1].getType());
  if (!k)
    return failure();
  results.push_back(MatType::get(context, k.getDim(), k.getDim()));
  return success();
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  auto a = dyn_cast<MatType>(operands[0].getType());
  auto b = dyn_cast<MatType>(operands[1].getType());
  if (!a || !b)
    return failure();
  if (a.getCols() != b.getRows())
    return emitOptionalError(loc, "'larc.matmul' op cannot multiply ", a,
                             " by ", b, ": inner dimensions differ");
  results.push_back(MatType::get(context, a.getRows(), b.getCols()));
  return success();
}
