//===- Program.h - a larc.rule compiled to a flat op list -------*- C++ -*-===//
//
// The reference walks the rule body once, up front, and turns it into a list
// of instructions over numbered slots. The token loop then runs that list
// with no IR look-ups and no allocation.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_REFERENCE_PROGRAM_H
#define LARC_REFERENCE_PROGRAM_H

#include "larc/Reference/Operator.h"
#include "larc/Reference/Reference.h"

#include <string>

namespace larc::reference::detail {

enum class OpCode : uint8_t {
  Input,     // result <- input tensor at the token
  Constant,  // result <- imm (also larc.scale, resolved when compiling)
  HeadIndex, // result <- h
  Position,  // result <- the token's index in its sequence
  // Elementwise binary over scalars and vectors, a scalar broadcasting.
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Mod, // floored: x - y floor(x / y)
  Min,
  Max,
  // Elementwise unary.
  Neg,
  Exp,
  Log,
  Sqrt,
  Sigmoid,
  Softplus,
  Relu,
  Elu,
  Silu,
  Abs,
  L2Norm,  // imm = eps
  Softmax, // over a vector, the maximum subtracted first
  Kron,    // lhs (x) rhs, flattened row-major
  Concat,  // copies lhs into the result at offset aux (one per operand)
  Dot,
  Readout, // aux = state, lhs = probe; imm != 0: read the previous buffer
  Apply,   // aux = state, lhs = value-side probe (None for a vector state);
           // imm != 0: read the previous buffer
  Recur,   // aux = state, lhs = transition node, rhs = update node / vector
  Output,  // aux = output, lhs = value
};

/// Where a value lives: a scalar slot, a vector offset in Frame::vectors, a
/// matrix node of the MatGraph, or a state.
struct Operand {
  enum Kind : uint8_t { None, Scalar, Vector, Matrix, State } kind = None;
  int64_t index = -1; // scalar slot, vector offset, node id or state id
  int64_t size = 1;   // elements: 1 for scalars, |D| for vectors
};

struct Instr {
  OpCode code;
  Operand result, lhs, rhs;
  int32_t aux = -1;
  double imm = 0;
};

/// A per-token input the rule reads, and the tensor shape it needs.
struct InputSpec {
  std::string name;
  std::string role;
  std::string dimName; // empty for a scalar input
  int64_t size = 1;    // |dim|, 1 for a scalar
};

struct OutputSpec {
  std::string name;
  std::string dimName; // empty for a scalar output
  int64_t size = 1;
};

struct StateSpec {
  std::string name;
  std::string keyDim, valueDim; // valueDim empty for a vector state
  int64_t keys = 0, values = 1; // values = 1 for a vector state
  bool isVector = false;
};

/// A compiled rule: instructions, matrix expressions and the sizes of the
/// token frame.
struct Program {
  std::string ruleName;
  std::vector<Instr> instrs;
  MatGraph mats;
  int64_t numScalars = 0, vectorSize = 0;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  std::vector<StateSpec> states;
};

/// Checks the sizes and options that do not depend on the rule: B, T, H,
/// cu_seqlens and scale.
llvm::Error validateProblem(const Problem &problem);

/// Compiles `rule` for the problem's dimension sizes and scale. Unbound
/// dimensions and ops the reference does not know are errors.
llvm::Expected<Program> compile(RuleOp rule, const Problem &problem);

/// Checks the inputs and initial states against what `program` reads.
llvm::Error validateTensors(const Program &program, const Problem &problem);

/// Runs a compiled, validated program.
Result interpret(Program &program, const Problem &problem);

} // namespace larc::reference::detail

#endif // LARC_REFERENCE_PROGRAM_H
