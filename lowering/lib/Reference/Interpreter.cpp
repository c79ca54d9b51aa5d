//===- Interpreter.cpp - the token loop of the fp64 reference -------------===//
//
// For each sequence and head: load the initial states, run the op list once
// per token, store the final states. Each state has two buffers so that
// S_{t-1} stays readable (`larc.readout ... prev`) after the update.
//
//===----------------------------------------------------------------------===//

#include "larc/Reference/Program.h"

#include <algorithm>
#include <cmath>

using namespace larc::reference;
using namespace larc::reference::detail;

namespace {

struct StateBuffers {
  std::vector<double> buffer[2];
  int current = 0;
  double *now() { return buffer[current].data(); }
  double *previous() { return buffer[1 - current].data(); }
};

/// A scalar or vector operand as a pointer and a stride (0 broadcasts).
struct Ref {
  double *data;
  int64_t stride;
};

Ref refOf(Frame &frame, const Operand &operand) {
  if (operand.kind == Operand::Scalar)
    return {&frame.scalars[operand.index], 0};
  return {frame.vec(operand.index), 1};
}

template <typename Fn> void binary(Frame &frame, const Instr &instr, Fn fn) {
  Ref a = refOf(frame, instr.lhs), b = refOf(frame, instr.rhs);
  Ref y = refOf(frame, instr.result);
  for (int64_t i = 0; i < instr.result.size; ++i)
    y.data[i] = fn(a.data[i * a.stride], b.data[i * b.stride]);
}

template <typename Fn> void unary(Frame &frame, const Instr &instr, Fn fn) {
  Ref x = refOf(frame, instr.lhs), y = refOf(frame, instr.result);
  for (int64_t i = 0; i < instr.result.size; ++i)
    y.data[i] = fn(x.data[i]);
}

double sigmoid(double x) {
  // Stable for large |x|: never exponentiates a large positive number.
  if (x >= 0)
    return 1.0 / (1.0 + std::exp(-x));
  double e = std::exp(x);
  return e / (1.0 + e);
}

double softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

/// Runs the op list over tokens of one (sequence, head).
class Runner {
public:
  Runner(Program &program, const Problem &problem, Result &result)
      : program(program), problem(problem) {
    frame.scalars.assign(program.numScalars, 0.0);
    frame.vectors.assign(program.vectorSize, 0.0);
    for (const InputSpec &input : program.inputs)
      inputs.push_back(problem.inputs.find(input.name)->second.data.data());
    for (const OutputSpec &output : program.outputs)
      outputs.push_back(result.outputs[output.name].data.data());
    states.resize(program.states.size());
    for (size_t s = 0; s < program.states.size(); ++s) {
      const StateSpec &spec = program.states[s];
      for (auto &buffer : states[s].buffer)
        buffer.assign(spec.keys * spec.values, 0.0);
    }
  }

  /// Tokens [begin, end) of batch entry `batch`, head `head`, sequence `seq`
  /// (the index into initial and final states).
  void runSequence(int64_t seq, int64_t batch, int64_t head, int64_t begin,
                   int64_t end, Result &result) {
    for (size_t s = 0; s < states.size(); ++s) {
      const StateSpec &spec = program.states[s];
      StateBuffers &state = states[s];
      state.current = 0;
      int64_t size = spec.keys * spec.values;
      auto init = problem.initialStates.find(spec.name);
      if (init == problem.initialStates.end())
        std::fill(state.buffer[0].begin(), state.buffer[0].end(), 0.0);
      else
        std::copy_n(init->second.data.data() +
                        (seq * problem.heads + head) * size,
                    size, state.buffer[0].begin());
    }
    for (int64_t t = begin; t < end; ++t) {
      position = t - begin;
      step((batch * problem.seqLen + t) * problem.heads + head, head);
    }
    for (size_t s = 0; s < states.size(); ++s) {
      const StateSpec &spec = program.states[s];
      int64_t size = spec.keys * spec.values;
      std::copy_n(states[s].now(), size,
                  result.finalStates[spec.name].data.data() +
                      (seq * problem.heads + head) * size);
    }
  }

private:
  Program &program;
  const Problem &problem;
  Frame frame;
  std::vector<const double *> inputs;
  std::vector<double *> outputs;
  std::vector<StateBuffers> states;
  int64_t position = 0; // of the current token in its sequence

  /// One token; `token` is the flat (b, t, h) index into inputs and outputs.
  void step(int64_t token, int64_t head);
};

void Runner::step(int64_t token, int64_t head) {
  for (const Instr &instr : program.instrs) {
    switch (instr.code) {
    case OpCode::Input: {
      const double *src = inputs[instr.aux] + token * instr.result.size;
      std::copy_n(src, instr.result.size, refOf(frame, instr.result).data);
      break;
    }
    case OpCode::Constant:
      frame.scalars[instr.result.index] = instr.imm;
      break;
    case OpCode::HeadIndex:
      frame.scalars[instr.result.index] = static_cast<double>(head);
      break;
    case OpCode::Position:
      frame.scalars[instr.result.index] = static_cast<double>(position);
      break;
    case OpCode::Add:
      binary(frame, instr, [](double a, double b) { return a + b; });
      break;
    case OpCode::Sub:
      binary(frame, instr, [](double a, double b) { return a - b; });
      break;
    case OpCode::Mul:
      binary(frame, instr, [](double a, double b) { return a * b; });
      break;
    case OpCode::Div:
      binary(frame, instr, [](double a, double b) { return a / b; });
      break;
    case OpCode::Pow:
      binary(frame, instr, [](double a, double b) { return std::pow(a, b); });
      break;
    case OpCode::Mod:
      binary(frame, instr,
             [](double a, double b) { return a - b * std::floor(a / b); });
      break;
    case OpCode::Min:
      binary(frame, instr, [](double a, double b) { return std::min(a, b); });
      break;
    case OpCode::Max:
      binary(frame, instr, [](double a, double b) { return std::max(a, b); });
      break;
    case OpCode::Neg:
      unary(frame, instr, [](double x) { return -x; });
      break;
    case OpCode::Exp:
      unary(frame, instr, [](double x) { return std::exp(x); });
      break;
    case OpCode::Log:
      unary(frame, instr, [](double x) { return std::log(x); });
      break;
    case OpCode::Sqrt:
      unary(frame, instr, [](double x) { return std::sqrt(x); });
      break;
    case OpCode::Sigmoid:
      unary(frame, instr, sigmoid);
      break;
    case OpCode::Softplus:
      unary(frame, instr, softplus);
      break;
    case OpCode::Relu:
      unary(frame, instr, [](double x) { return x > 0 ? x : 0.0; });
      break;
    case OpCode::Elu:
      unary(frame, instr, [](double x) { return x > 0 ? x : std::expm1(x); });
      break;
    case OpCode::Silu:
      unary(frame, instr, [](double x) { return x * sigmoid(x); });
      break;
    case OpCode::Abs:
      unary(frame, instr, [](double x) { return std::abs(x); });
      break;
    case OpCode::Softmax: {
      const double *x = frame.vec(instr.lhs.index);
      double *y = frame.vec(instr.result.index);
      const int64_t n = instr.result.size;
      const double top = *std::max_element(x, x + n);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i)
        sum += y[i] = std::exp(x[i] - top);
      for (int64_t i = 0; i < n; ++i)
        y[i] /= sum;
      break;
    }
    case OpCode::Kron: {
      const double *a = frame.vec(instr.lhs.index);
      const double *b = frame.vec(instr.rhs.index);
      double *y = frame.vec(instr.result.index);
      for (int64_t i = 0; i < instr.lhs.size; ++i)
        for (int64_t j = 0; j < instr.rhs.size; ++j)
          y[i * instr.rhs.size + j] = a[i] * b[j];
      break;
    }
    case OpCode::Concat:
      std::copy_n(refOf(frame, instr.lhs).data, instr.lhs.size,
                  frame.vec(instr.result.index) + instr.aux);
      break;
    case OpCode::L2Norm: {
      const double *x = frame.vec(instr.lhs.index);
      double *y = frame.vec(instr.result.index);
      double sum = 0;
      for (int64_t i = 0; i < instr.result.size; ++i)
        sum += x[i] * x[i];
      const double norm = std::sqrt(sum + instr.imm);
      for (int64_t i = 0; i < instr.result.size; ++i)
        y[i] = x[i] / norm;
      break;
    }
    case OpCode::Dot: {
      const double *a = frame.vec(instr.lhs.index);
      const double *b = frame.vec(instr.rhs.index);
      double sum = 0;
      for (int64_t i = 0; i < instr.lhs.size; ++i)
        sum += a[i] * b[i];
      frame.scalars[instr.result.index] = sum;
      break;
    }
    case OpCode::Readout: {
      const StateSpec &spec = program.states[instr.aux];
      StateBuffers &state = states[instr.aux];
      const double *s = instr.imm != 0 ? state.previous() : state.now();
      const double *q = frame.vec(instr.lhs.index);
      double *y = refOf(frame, instr.result).data;
      const int64_t values = spec.values;
      // S^T q (z . q for a vector state, values = 1).
      std::fill_n(y, values, 0.0);
      for (int64_t i = 0; i < spec.keys; ++i) {
        const double qi = q[i];
        for (int64_t j = 0; j < values; ++j)
          y[j] += s[i * values + j] * qi;
      }
      break;
    }
    case OpCode::Apply: {
      const StateSpec &spec = program.states[instr.aux];
      StateBuffers &state = states[instr.aux];
      const double *s = instr.imm != 0 ? state.previous() : state.now();
      double *y = frame.vec(instr.result.index);
      const int64_t values = spec.values;
      // S p; a vector state (values = 1, no probe) is copied whole.
      if (spec.isVector) {
        std::copy_n(s, spec.keys, y);
        break;
      }
      const double *p = frame.vec(instr.lhs.index);
      for (int64_t i = 0; i < spec.keys; ++i) {
        double sum = 0;
        for (int64_t j = 0; j < values; ++j)
          sum += s[i * values + j] * p[j];
        y[i] = sum;
      }
      break;
    }
    case OpCode::Recur: {
      const StateSpec &spec = program.states[instr.aux];
      StateBuffers &state = states[instr.aux];
      // S_t = A S_{t-1} + B, written into the other buffer.
      double *next = state.previous();
      program.mats.apply(instr.lhs.index, frame, state.now(), next,
                         spec.values);
      if (spec.isVector) {
        const double *u = frame.vec(instr.rhs.index);
        for (int64_t i = 0; i < spec.keys; ++i)
          next[i] += u[i];
      } else {
        program.mats.addTo(instr.rhs.index, frame, 1.0, next);
      }
      state.current = 1 - state.current;
      break;
    }
    case OpCode::Output: {
      double *dst = outputs[instr.aux] + token * instr.lhs.size;
      std::copy_n(refOf(frame, instr.lhs).data, instr.lhs.size, dst);
      break;
    }
    }
  }
}

} // namespace

Result detail::interpret(Program &program, const Problem &problem) {
  const int64_t batch = problem.batch, seqLen = problem.seqLen,
                heads = problem.heads;
  const int64_t sequences =
      problem.cuSeqlens ? static_cast<int64_t>(problem.cuSeqlens->size()) - 1
                        : batch;
  Result result;
  for (const OutputSpec &output : program.outputs) {
    std::vector<int64_t> shape = {batch, seqLen, heads};
    if (!output.dimName.empty())
      shape.push_back(output.size);
    result.outputs[output.name] = Tensor(shape);
  }
  for (const StateSpec &state : program.states) {
    std::vector<int64_t> shape = {sequences, heads, state.keys};
    if (!state.isVector)
      shape.push_back(state.values);
    result.finalStates[state.name] = Tensor(shape);
  }

  Runner runner(program, problem, result);
  for (int64_t seq = 0; seq < sequences; ++seq) {
    int64_t b = problem.cuSeqlens ? 0 : seq;
    int64_t begin = problem.cuSeqlens ? (*problem.cuSeqlens)[seq] : 0;
    int64_t end = problem.cuSeqlens ? (*problem.cuSeqlens)[seq + 1] : seqLen;
    for (int64_t h = 0; h < heads; ++h)
      runner.runSequence(seq, b, h, begin, end, result);
  }
  return result;
}
