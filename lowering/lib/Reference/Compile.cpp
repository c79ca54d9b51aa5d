//===- Compile.cpp - a larc.rule body to the reference's op list ----------===//
//
// One pass over the body in order. Scalars and vectors get slots in the token
// frame; matrices become nodes of a MatGraph (applied lazily at larc.recur);
// states get ids. Anything the reference cannot run is an error here, before
// any token is touched.
//
//===----------------------------------------------------------------------===//

#include "larc/Reference/Program.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace larc;
using namespace larc::reference;
using namespace larc::reference::detail;

namespace {

llvm::Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

std::string opName(Operation *op) { return op->getName().getStringRef().str(); }

class Compiler {
public:
  Compiler(RuleOp rule, const Problem &problem) : rule(rule), problem(problem) {
    program.ruleName = rule.getSymName().str();
  }

  llvm::Expected<Program> run() {
    if (rule.getBody().empty())
      return makeError("rule @" + program.ruleName + " has no body");
    for (Operation &op : rule.getBody().front())
      if (llvm::Error err = compileOp(op))
        return std::move(err);
    return std::move(program);
  }

private:
  RuleOp rule;
  const Problem &problem;
  Program program;
  llvm::DenseMap<Value, Operand> slots;
  std::vector<bool> updated; // per state: its larc.recur has been compiled

  llvm::Expected<int64_t> dimSize(StringRef dim) {
    auto it = problem.dimSizes.find(dim);
    if (it == problem.dimSizes.end())
      return makeError("dimension '" + dim + "' of rule @" + program.ruleName +
                       " is unbound: Problem::dimSizes has no entry '" + dim +
                       "'");
    if (it->second <= 0)
      return makeError("dimension '" + dim + "' has size " + Twine(it->second) +
                       " in Problem::dimSizes; sizes "
                       "must be positive");
    return it->second;
  }

  /// A fresh scalar or vector slot for a value of `type`.
  llvm::Expected<Operand> allocate(Type type, Operation *op) {
    if (isa<ScalarType>(type))
      return Operand{Operand::Scalar, program.numScalars++, 1};
    if (auto vec = dyn_cast<VecType>(type)) {
      auto size = dimSize(vec.getDim().getValue());
      if (!size)
        return size.takeError();
      Operand result{Operand::Vector, program.vectorSize, *size};
      program.vectorSize += *size;
      return result;
    }
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "'" << opName(op) << "' produces " << type
       << ", which the reference holds only as a scalar or vector here";
    return makeError(os.str());
  }

  llvm::Expected<Operand> lookup(Value value, Operation *user) {
    auto it = slots.find(value);
    if (it == slots.end())
      return makeError("'" + opName(user) +
                       "' uses a value that is not defined earlier in the "
                       "rule body");
    return it->second;
  }

  llvm::Expected<std::pair<int64_t, int64_t>> matShape(Type type) {
    auto mat = dyn_cast<MatType>(type);
    if (!mat)
      return makeError("expected a !larc.mat type");
    auto rows = dimSize(mat.getRows().getValue());
    if (!rows)
      return rows.takeError();
    auto cols = dimSize(mat.getCols().getValue());
    if (!cols)
      return cols.takeError();
    return std::make_pair(*rows, *cols);
  }

  /// Adds a matrix node for `result`, shaped by its !larc.mat type.
  llvm::Error defineMat(Value result, MatNode node) {
    auto shape = matShape(result.getType());
    if (!shape)
      return shape.takeError();
    node.rows = shape->first;
    node.cols = shape->second;
    slots[result] = Operand{Operand::Matrix, program.mats.add(node), 1};
    return llvm::Error::success();
  }

  llvm::Error emit(OpCode code, Value result, Operation *op, Operand lhs = {},
                   Operand rhs = {}, int32_t aux = -1, double imm = 0) {
    auto slot = allocate(result.getType(), op);
    if (!slot)
      return slot.takeError();
    if (!resultFits(code, *slot, lhs, rhs, aux))
      return makeError("'" + opName(op) +
                       "' has a result type that does not match what it "
                       "computes from its operands");
    slots[result] = *slot;
    program.instrs.push_back(Instr{code, *slot, lhs, rhs, aux, imm});
    return llvm::Error::success();
  }

  /// The verifier guarantees this for verified IR; the reference also runs
  /// unverified IR, and a mismatch would read or write out of bounds.
  bool resultFits(OpCode code, const Operand &result, const Operand &lhs,
                  const Operand &rhs, int32_t aux) const {
    auto is = [&](Operand::Kind kind, int64_t size) {
      return result.kind == kind && result.size == size;
    };
    switch (code) {
    case OpCode::Input:
      return true;
    case OpCode::Constant:
    case OpCode::HeadIndex:
    case OpCode::Position:
    case OpCode::Dot:
      return result.kind == Operand::Scalar;
    case OpCode::Add:
    case OpCode::Sub:
    case OpCode::Mul:
    case OpCode::Div:
    case OpCode::Pow:
    case OpCode::Mod:
    case OpCode::Min:
    case OpCode::Max:
      if (lhs.kind == Operand::Vector)
        return is(Operand::Vector, lhs.size);
      if (rhs.kind == Operand::Vector)
        return is(Operand::Vector, rhs.size);
      return result.kind == Operand::Scalar;
    case OpCode::L2Norm:
    case OpCode::Softmax:
      return lhs.kind == Operand::Vector && is(Operand::Vector, lhs.size);
    case OpCode::Readout: {
      const StateSpec &spec = program.states[aux];
      return spec.isVector ? result.kind == Operand::Scalar
                           : is(Operand::Vector, spec.values);
    }
    case OpCode::Apply:
      return is(Operand::Vector, program.states[aux].keys);
    case OpCode::Kron:
      return lhs.kind == Operand::Vector && rhs.kind == Operand::Vector &&
             is(Operand::Vector, lhs.size * rhs.size);
    case OpCode::Concat:
      return result.kind == Operand::Vector && aux >= 0 &&
             aux + lhs.size <= result.size;
    case OpCode::Recur:
    case OpCode::Output:
      return false; // no result
    case OpCode::Neg:
    case OpCode::Exp:
    case OpCode::Log:
    case OpCode::Sqrt:
    case OpCode::Sigmoid:
    case OpCode::Softplus:
    case OpCode::Relu:
    case OpCode::Elu:
    case OpCode::Silu:
    case OpCode::Abs:
      return is(lhs.kind, lhs.size);
    }
    return false;
  }

  llvm::Error compileOp(Operation &op);
  llvm::Error compileBinary(Operation &op, OpCode code);
  llvm::Error compileMatrixArith(Operation &op, OpCode code, Operand lhs,
                                 Operand rhs);
  llvm::Error compileUnary(Operation &op, OpCode code, double imm = 0);
  llvm::Error compileRecur(RecurOp recur);
  llvm::Error compileReadout(ReadoutOp readout);
  llvm::Error compileApply(ApplyOp apply);
  llvm::Error compileConcat(ConcatOp concat);
  /// 1 when a read of state `id` marked `prev` must look in the previous
  /// buffer (its larc.recur has run), else 0; an error for a read of the
  /// updated state before its larc.recur.
  llvm::Expected<double> readBuffer(int64_t id, bool prev, StringRef what);
};

} // namespace

llvm::Error Compiler::compileBinary(Operation &op, OpCode code) {
  auto lhs = lookup(op.getOperand(0), &op);
  if (!lhs)
    return lhs.takeError();
  auto rhs = lookup(op.getOperand(1), &op);
  if (!rhs)
    return rhs.takeError();
  if (lhs->kind == Operand::Matrix || rhs->kind == Operand::Matrix)
    return compileMatrixArith(op, code, *lhs, *rhs);
  bool ok = (lhs->kind == Operand::Scalar || lhs->kind == Operand::Vector) &&
            (rhs->kind == Operand::Scalar || rhs->kind == Operand::Vector);
  bool elementwise = code != OpCode::Kron;
  if (!ok || (elementwise && lhs->kind == Operand::Vector &&
              rhs->kind == Operand::Vector && lhs->size != rhs->size))
    return makeError("'" + opName(&op) +
                     "' has operands the reference cannot combine");
  return emit(code, op.getResult(0), &op, *lhs, *rhs);
}

/// Matrix sums, differences and scalings stay structured.
llvm::Error Compiler::compileMatrixArith(Operation &op, OpCode code,
                                         Operand lhs, Operand rhs) {
  MatNode node;
  if ((code == OpCode::Add || code == OpCode::Sub) &&
      lhs.kind == Operand::Matrix && rhs.kind == Operand::Matrix) {
    node.kind = code == OpCode::Add ? MatKind::Sum : MatKind::Difference;
    node.lhs = lhs.index;
    node.rhs = rhs.index;
  } else if (code == OpCode::Mul && lhs.kind == Operand::Scalar) {
    node.kind = MatKind::Scaled;
    node.scalar = lhs.index;
    node.lhs = rhs.index;
  } else if ((code == OpCode::Mul || code == OpCode::Div) &&
             rhs.kind == Operand::Scalar) {
    node.kind = MatKind::Scaled;
    node.scalar = rhs.index;
    node.reciprocal = code == OpCode::Div;
    node.lhs = lhs.index;
  } else {
    return makeError("'" + opName(&op) +
                     "' combines a matrix with an operand the reference "
                     "cannot combine it with (matrices add, subtract, and "
                     "scale by a scalar)");
  }
  return defineMat(op.getResult(0), node);
}

llvm::Error Compiler::compileUnary(Operation &op, OpCode code, double imm) {
  auto x = lookup(op.getOperand(0), &op);
  if (!x)
    return x.takeError();
  if (x->kind != Operand::Scalar && x->kind != Operand::Vector)
    return makeError("'" + opName(&op) + "' needs a scalar or vector operand");
  return emit(code, op.getResult(0), &op, *x, {}, -1, imm);
}

llvm::Error Compiler::compileRecur(RecurOp recur) {
  auto state = lookup(recur.getState(), recur);
  if (!state)
    return state.takeError();
  auto transition = lookup(recur.getTransition(), recur);
  if (!transition)
    return transition.takeError();
  auto update = lookup(recur.getUpdate(), recur);
  if (!update)
    return update.takeError();
  const StateSpec &spec = program.states[state->index];
  if (updated[state->index])
    return makeError("state '" + spec.name +
                     "' is updated by more than one larc.recur");
  if (transition->kind != Operand::Matrix ||
      program.mats.node(transition->index).rows != spec.keys ||
      program.mats.node(transition->index).cols != spec.keys)
    return makeError("the transition of state '" + spec.name +
                     "' is not a |K| x |K| matrix");
  if (spec.isVector) {
    if (update->kind != Operand::Vector || update->size != spec.keys)
      return makeError("the update of vector state '" + spec.name +
                       "' is not a vector over its key dimension");
  } else {
    if (update->kind != Operand::Matrix ||
        program.mats.node(update->index).rows != spec.keys ||
        program.mats.node(update->index).cols != spec.values)
      return makeError("the update of state '" + spec.name +
                       "' is not a |K| x |V| matrix");
  }
  updated[state->index] = true;
  program.instrs.push_back(Instr{OpCode::Recur,
                                 {},
                                 *transition,
                                 *update,
                                 static_cast<int32_t>(state->index),
                                 0});
  return llvm::Error::success();
}

llvm::Error Compiler::compileReadout(ReadoutOp readout) {
  auto state = lookup(readout.getState(), readout);
  if (!state)
    return state.takeError();
  auto probe = lookup(readout.getProbe(), readout);
  if (!probe)
    return probe.takeError();
  const StateSpec &spec = program.states[state->index];
  if (probe->kind != Operand::Vector || probe->size != spec.keys)
    return makeError("the probe of a readout of state '" + spec.name +
                     "' is not a vector over its key dimension");
  auto buffer = readBuffer(state->index, readout.getPrev(), "a readout");
  if (!buffer)
    return buffer.takeError();
  return emit(OpCode::Readout, readout.getResult(), readout, *probe, {},
              static_cast<int32_t>(state->index), *buffer);
}

llvm::Expected<double> Compiler::readBuffer(int64_t id, bool prev,
                                            StringRef what) {
  bool isUpdated = updated[id];
  if (!prev && !isUpdated)
    return makeError(what + " of state '" + program.states[id].name +
                     "' without `prev` comes before its larc.recur");
  // Before the recur the current buffer still holds S_{t-1}; after it, the
  // previous buffer does.
  return prev && isUpdated ? 1.0 : 0.0;
}

llvm::Error Compiler::compileConcat(ConcatOp concat) {
  auto slot = allocate(concat.getType(), concat);
  if (!slot)
    return slot.takeError();
  int64_t offset = 0;
  for (Value input : concat.getInputs()) {
    auto part = lookup(input, concat);
    if (!part)
      return part.takeError();
    if ((part->kind != Operand::Scalar && part->kind != Operand::Vector) ||
        !resultFits(OpCode::Concat, *slot, *part, {}, offset))
      return makeError("'larc.concat' has parts that do not fill its result");
    program.instrs.push_back(Instr{
        OpCode::Concat, *slot, *part, {}, static_cast<int32_t>(offset), 0});
    offset += part->size;
  }
  if (offset != slot->size)
    return makeError("'larc.concat' has parts that do not fill its result");
  slots[concat.getResult()] = *slot;
  return llvm::Error::success();
}

llvm::Error Compiler::compileApply(ApplyOp apply) {
  auto state = lookup(apply.getState(), apply);
  if (!state)
    return state.takeError();
  const StateSpec &spec = program.states[state->index];
  Operand probe;
  if (apply.getProbe()) {
    auto p = lookup(apply.getProbe(), apply);
    if (!p)
      return p.takeError();
    probe = *p;
  }
  bool fits = spec.isVector
                  ? probe.kind == Operand::None
                  : probe.kind == Operand::Vector && probe.size == spec.values;
  if (!fits)
    return makeError("the probe of 'larc.apply' of state '" + spec.name +
                     "' is not a vector over its value dimension (or, for "
                     "a vector state, absent)");
  auto buffer = readBuffer(state->index, apply.getPrev(), "'larc.apply'");
  if (!buffer)
    return buffer.takeError();
  return emit(OpCode::Apply, apply.getResult(), apply, probe, {},
              static_cast<int32_t>(state->index), *buffer);
}

llvm::Error Compiler::compileOp(Operation &op) {
  return llvm::TypeSwitch<Operation *, llvm::Error>(&op)
      .Case([&](InputOp input) -> llvm::Error {
        InputSpec spec;
        spec.name = input.getName().str();
        for (const InputSpec &other : program.inputs)
          if (other.name == spec.name)
            return makeError("input '" + spec.name + "' is declared twice");
        spec.role = stringifyRole(input.getRole()).str();
        if (auto vec = dyn_cast<VecType>(input.getType())) {
          spec.dimName = vec.getDim().getValue().str();
          auto size = dimSize(spec.dimName);
          if (!size)
            return size.takeError();
          spec.size = *size;
        }
        program.inputs.push_back(spec);
        return emit(OpCode::Input, input.getResult(), &op, {}, {},
                    static_cast<int32_t>(program.inputs.size() - 1));
      })
      .Case([&](ConstantOp constant) {
        return emit(OpCode::Constant, constant.getResult(), &op, {}, {}, -1,
                    constant.getValue().convertToDouble());
      })
      .Case([&](HeadIndexOp head) {
        return emit(OpCode::HeadIndex, head.getResult(), &op);
      })
      .Case([&](PositionOp position) {
        return emit(OpCode::Position, position.getResult(), &op);
      })
      .Case([&](ScaleOp scale) -> llvm::Error {
        auto size = dimSize(scale.getDim());
        if (!size)
          return size.takeError();
        double value =
            problem.scale ? *problem.scale : 1.0 / std::sqrt(double(*size));
        return emit(OpCode::Constant, scale.getResult(), &op, {}, {}, -1,
                    value);
      })
      .Case([&](AddOp) { return compileBinary(op, OpCode::Add); })
      .Case([&](SubOp) { return compileBinary(op, OpCode::Sub); })
      .Case([&](MulOp) { return compileBinary(op, OpCode::Mul); })
      .Case([&](DivOp) { return compileBinary(op, OpCode::Div); })
      .Case([&](PowOp) { return compileBinary(op, OpCode::Pow); })
      .Case([&](ModOp) { return compileBinary(op, OpCode::Mod); })
      .Case([&](MinOp) { return compileBinary(op, OpCode::Min); })
      .Case([&](MaxOp) { return compileBinary(op, OpCode::Max); })
      .Case([&](NegOp) { return compileUnary(op, OpCode::Neg); })
      .Case([&](ExpOp) { return compileUnary(op, OpCode::Exp); })
      .Case([&](LogOp) { return compileUnary(op, OpCode::Log); })
      .Case([&](SqrtOp) { return compileUnary(op, OpCode::Sqrt); })
      .Case([&](SigmoidOp) { return compileUnary(op, OpCode::Sigmoid); })
      .Case([&](SoftplusOp) { return compileUnary(op, OpCode::Softplus); })
      .Case([&](ReluOp) { return compileUnary(op, OpCode::Relu); })
      .Case([&](EluOp) { return compileUnary(op, OpCode::Elu); })
      .Case([&](SiluOp) { return compileUnary(op, OpCode::Silu); })
      .Case([&](AbsOp) { return compileUnary(op, OpCode::Abs); })
      .Case([&](SoftmaxOp) { return compileUnary(op, OpCode::Softmax); })
      .Case([&](L2NormOp norm) {
        return compileUnary(op, OpCode::L2Norm,
                            norm.getEps().convertToDouble());
      })
      .Case([&](KronOp) { return compileBinary(op, OpCode::Kron); })
      .Case([&](ConcatOp concat) { return compileConcat(concat); })
      .Case([&](DotOp dot) -> llvm::Error {
        auto lhs = lookup(dot.getLhs(), &op);
        if (!lhs)
          return lhs.takeError();
        auto rhs = lookup(dot.getRhs(), &op);
        if (!rhs)
          return rhs.takeError();
        if (lhs->kind != Operand::Vector || rhs->kind != Operand::Vector ||
            lhs->size != rhs->size)
          return makeError("'larc.dot' needs two vectors of one size");
        return emit(OpCode::Dot, dot.getResult(), &op, *lhs, *rhs);
      })
      .Case([&](IdentityOp identity) {
        MatNode node;
        node.kind = MatKind::Identity;
        return defineMat(identity.getResult(), node);
      })
      .Case([&](DiagOp diag) -> llvm::Error {
        auto x = lookup(diag.getX(), &op);
        if (!x)
          return x.takeError();
        MatNode node;
        if (x->kind == Operand::Scalar) {
          node.kind = MatKind::ScaledIdentity;
          node.scalar = x->index;
        } else {
          node.kind = MatKind::Diag;
          node.vecA = x->index;
        }
        return defineMat(diag.getResult(), node);
      })
      .Case([&](OuterOp outer) -> llvm::Error {
        auto a = lookup(outer.getLhs(), &op);
        if (!a)
          return a.takeError();
        auto b = lookup(outer.getRhs(), &op);
        if (!b)
          return b.takeError();
        if (a->kind != Operand::Vector || b->kind != Operand::Vector)
          return makeError("'larc.outer' needs two vectors");
        MatNode node;
        node.kind = MatKind::Outer;
        node.vecA = a->index;
        node.vecB = b->index;
        return defineMat(outer.getResult(), node);
      })
      .Case([&](HouseholderOp householder) -> llvm::Error {
        auto beta = lookup(householder.getBeta(), &op);
        if (!beta)
          return beta.takeError();
        auto k = lookup(householder.getK(), &op);
        if (!k)
          return k.takeError();
        if (beta->kind != Operand::Scalar || k->kind != Operand::Vector)
          return makeError("'larc.householder' needs a scalar and a vector");
        MatNode node;
        node.kind = MatKind::Householder;
        node.scalar = beta->index;
        node.vecA = k->index;
        return defineMat(householder.getResult(), node);
      })
      .Case([&](MatmulOp matmul) -> llvm::Error {
        auto lhs = lookup(matmul.getLhs(), &op);
        if (!lhs)
          return lhs.takeError();
        auto rhs = lookup(matmul.getRhs(), &op);
        if (!rhs)
          return rhs.takeError();
        if (lhs->kind != Operand::Matrix || rhs->kind != Operand::Matrix)
          return makeError("'larc.matmul' needs two matrices");
        MatNode node;
        node.kind = MatKind::Product;
        node.lhs = lhs->index;
        node.rhs = rhs->index;
        return defineMat(matmul.getResult(), node);
      })
      .Case([&](StateOp state) -> llvm::Error {
        auto type = state.getType();
        StateSpec spec;
        spec.name = state.getName().str();
        spec.keyDim = type.getKeyDim().getValue().str();
        auto keys = dimSize(spec.keyDim);
        if (!keys)
          return keys.takeError();
        spec.keys = *keys;
        spec.isVector = type.isVector();
        if (!spec.isVector) {
          spec.valueDim = type.getValueDim().getValue().str();
          auto values = dimSize(spec.valueDim);
          if (!values)
            return values.takeError();
          spec.values = *values;
        }
        for (const StateSpec &other : program.states)
          if (other.name == spec.name)
            return makeError("state '" + spec.name + "' is declared twice");
        program.states.push_back(spec);
        updated.push_back(false);
        slots[state.getResult()] = Operand{
            Operand::State, static_cast<int64_t>(program.states.size() - 1), 1};
        return llvm::Error::success();
      })
      .Case([&](RecurOp recur) { return compileRecur(recur); })
      .Case([&](ReadoutOp readout) { return compileReadout(readout); })
      .Case([&](ApplyOp apply) { return compileApply(apply); })
      .Case([&](OutputOp output) -> llvm::Error {
        auto value = lookup(output.getValue(), &op);
        if (!value)
          return value.takeError();
        if (value->kind != Operand::Scalar && value->kind != Operand::Vector)
          return makeError("output '" + output.getName() +
                           "' is not a scalar or vector");
        OutputSpec spec;
        spec.name = output.getName().str();
        for (const OutputSpec &other : program.outputs)
          if (other.name == spec.name)
            return makeError("output '" + spec.name + "' is written twice");
        spec.size = value->size;
        if (auto vec = dyn_cast<VecType>(output.getValue().getType()))
          spec.dimName = vec.getDim().getValue().str();
        program.outputs.push_back(spec);
        program.instrs.push_back(
            Instr{OpCode::Output,
                  {},
                  *value,
                  {},
                  static_cast<int32_t>(program.outputs.size() - 1),
                  0});
        return llvm::Error::success();
      })
      .Default([&](Operation *other) {
        return makeError("rule @" + program.ruleName + " contains '" +
                         opName(other) +
                         "', which the fp64 reference does not implement");
      });
}

llvm::Expected<Program>
larc::reference::detail::compile(RuleOp rule, const Problem &problem) {
  return Compiler(rule, problem).run();
}
