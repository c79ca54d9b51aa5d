//===- TestSupport.h - helpers for the reference tests ----------*- C++ -*-===//

#ifndef LARC_TESTS_REFERENCE_TESTSUPPORT_H
#define LARC_TESTS_REFERENCE_TESTSUPPORT_H

#include "larc/Dialect/LarcDialect.h"
#include "larc/Reference/Reference.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <random>
#include <string>

namespace larc::test {

using reference::Problem;
using reference::Result;
using reference::Tensor;

/// A parsed rule with the context and module that own it.
struct ParsedRule {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  RuleOp rule;
};

/// Parses MLIR text holding one larc.rule. With verify = false the rule may
/// break the verifier's rules (and use unregistered ops), to test that the
/// reference refuses such IR itself.
inline ParsedRule parseRule(llvm::StringRef text, bool verify = true) {
  ParsedRule parsed;
  parsed.context = std::make_unique<mlir::MLIRContext>();
  parsed.context->loadDialect<LarcDialect>();
  if (!verify)
    parsed.context->allowUnregisteredDialects();
  mlir::ParserConfig config(parsed.context.get(), verify);
  parsed.module = mlir::parseSourceString<mlir::ModuleOp>(text, config);
  REQUIRE(parsed.module);
  auto rules = parsed.module->getOps<RuleOp>();
  REQUIRE(!rules.empty());
  parsed.rule = *rules.begin();
  return parsed;
}

inline Tensor makeTensor(std::vector<int64_t> shape, std::vector<double> data) {
  Tensor tensor(std::move(shape));
  REQUIRE(static_cast<int64_t>(data.size()) == tensor.numel());
  tensor.data = std::move(data);
  return tensor;
}

/// A problem with B = 1, T tokens, H heads and the given dimension sizes.
inline Problem makeProblem(int64_t seqLen, int64_t heads,
                           std::vector<std::pair<std::string, int64_t>> dims,
                           int64_t batch = 1) {
  Problem problem;
  problem.batch = batch;
  problem.seqLen = seqLen;
  problem.heads = heads;
  for (auto &[name, size] : dims)
    problem.dimSizes[name] = size;
  return problem;
}

/// Runs the reference and fails the test with its message on an error.
inline Result runOk(RuleOp rule, const Problem &problem) {
  auto result = reference::run(rule, problem);
  if (!result) {
    std::string message = llvm::toString(result.takeError());
    FAIL("reference::run failed: " << message);
  }
  return std::move(*result);
}

/// Runs the reference and returns its error message ("" if it succeeded).
inline std::string runError(RuleOp rule, const Problem &problem) {
  auto result = reference::run(rule, problem);
  if (result)
    return "";
  return llvm::toString(result.takeError());
}

/// Checks every element of `actual` against `expected` to `tolerance`
/// (absolute).
inline void checkClose(const Tensor &actual,
                       const std::vector<double> &expected, double tolerance) {
  REQUIRE(actual.data.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    CHECK_THAT(actual.data[i],
               Catch::Matchers::WithinAbs(expected[i], tolerance));
  }
}

/// Checks that two tensors are identical: same shape, same bits.
inline void checkIdentical(const Tensor &actual, const Tensor &expected) {
  REQUIRE(actual.shape == expected.shape);
  for (size_t i = 0; i < expected.data.size(); ++i) {
    INFO("element " << i);
    CHECK(actual.data[i] == expected.data[i]);
  }
}

/// A tensor of uniform random values in [lo, hi).
inline Tensor randomTensor(std::vector<int64_t> shape, std::mt19937_64 &rng,
                           double lo = -1.0, double hi = 1.0) {
  Tensor tensor(std::move(shape));
  std::uniform_real_distribution<double> dist(lo, hi);
  for (double &x : tensor.data)
    x = dist(rng);
  return tensor;
}

/// Tokens [begin, end) of a [1, T, ...] tensor.
inline Tensor sliceTokens(const Tensor &t, int64_t begin, int64_t end) {
  std::vector<int64_t> shape = t.shape;
  int64_t perToken = shape[1] ? t.numel() / shape[1] : 0;
  shape[1] = end - begin;
  Tensor out(shape);
  std::copy(t.data.begin() + begin * perToken, t.data.begin() + end * perToken,
            out.data.begin());
  return out;
}

/// The same B = 1 problem cut to its first `tokens` tokens.
inline Problem firstTokens(const Problem &problem, int64_t tokens) {
  Problem cut = problem;
  cut.seqLen = tokens;
  for (auto &entry : cut.inputs)
    entry.getValue() = sliceTokens(entry.getValue(), 0, tokens);
  return cut;
}

} // namespace larc::test

#endif // LARC_TESTS_REFERENCE_TESTSUPPORT_H
