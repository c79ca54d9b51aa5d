//===- Reference.cpp - the public entry point of the fp64 reference -------===//

#include "larc/Reference/Reference.h"
#include "larc/Reference/Program.h"

#include <functional>
#include <numeric>

using namespace larc::reference;

Tensor::Tensor(std::vector<int64_t> shape) : shape(std::move(shape)) {
  data.assign(numel(), 0.0);
}

int64_t Tensor::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

llvm::Expected<Result> larc::reference::run(RuleOp rule,
                                            const Problem &problem) {
  if (llvm::Error err = detail::validateProblem(problem))
    return std::move(err);
  auto program = detail::compile(rule, problem);
  if (!program)
    return program.takeError();
  if (llvm::Error err = detail::validateTensors(*program, problem))
    return std::move(err);
  return detail::interpret(*program, problem);
}
