//===- Validate.cpp - checking a Problem before running it ----------------===//
//
// Every message names the argument at fault and says what was expected, so a
// mis-built check fails with a sentence rather than a wrong number.
//
//===----------------------------------------------------------------------===//

#include "larc/Reference/Program.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace larc::reference;
using namespace larc::reference::detail;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// "[2, 5, 3, 16]"
static std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// "[B=2, T=5, H=3, K=32]"
static std::string
formatNamedShape(const std::vector<std::pair<std::string, int64_t>> &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text +=
        (i ? ", " : "") + dims[i].first + "=" + std::to_string(dims[i].second);
  return text + "]";
}

static std::vector<int64_t>
sizesOf(const std::vector<std::pair<std::string, int64_t>> &dims) {
  std::vector<int64_t> sizes;
  for (const auto &dim : dims)
    sizes.push_back(dim.second);
  return sizes;
}

/// Checks one tensor argument against its expected named shape.
static llvm::Error
checkTensor(llvm::StringRef what, const Tensor &tensor,
            const std::vector<std::pair<std::string, int64_t>> &expected) {
  if (tensor.shape != sizesOf(expected))
    return makeError(what + " has shape " + formatShape(tensor.shape) +
                     ", expected " + formatNamedShape(expected));
  if (static_cast<int64_t>(tensor.data.size()) != tensor.numel())
    return makeError(what + " holds " + llvm::Twine(tensor.data.size()) +
                     " values, but its shape " + formatShape(tensor.shape) +
                     " has " + llvm::Twine(tensor.numel()));
  return llvm::Error::success();
}

llvm::Error detail::validateProblem(const Problem &problem) {
  if (problem.batch < 1)
    return makeError("batch B = " + llvm::Twine(problem.batch) +
                     " must be at least 1");
  if (problem.seqLen < 0)
    return makeError("seqLen T = " + llvm::Twine(problem.seqLen) +
                     " must not be negative");
  if (problem.heads < 1)
    return makeError("heads H = " + llvm::Twine(problem.heads) +
                     " must be at least 1");
  if (problem.scale && !std::isfinite(*problem.scale))
    return makeError("scale = " + llvm::formatv("{0}", *problem.scale).str() +
                     " is not finite");
  if (!problem.cuSeqlens)
    return llvm::Error::success();
  const std::vector<int64_t> &cu = *problem.cuSeqlens;
  if (problem.batch != 1)
    return makeError("cu_seqlens needs batch B = 1 (sequences are packed "
                     "along T), but B = " +
                     llvm::Twine(problem.batch));
  if (cu.size() < 2)
    return makeError("cu_seqlens has " + llvm::Twine(cu.size()) +
                     " offsets; it needs N + 1 >= 2");
  if (cu.front() != 0)
    return makeError("cu_seqlens must start at 0, but cu_seqlens[0] = " +
                     llvm::Twine(cu.front()));
  for (size_t i = 1; i < cu.size(); ++i)
    if (cu[i] < cu[i - 1])
      return makeError("cu_seqlens is not monotone: cu_seqlens[" +
                       llvm::Twine(i) + "] = " + llvm::Twine(cu[i]) +
                       " < cu_seqlens[" + llvm::Twine(i - 1) +
                       "] = " + llvm::Twine(cu[i - 1]));
  if (cu.back() != problem.seqLen)
    return makeError(
        "cu_seqlens ends at " + llvm::Twine(cu.back()) +
        ", but its last offset must equal T = " + llvm::Twine(problem.seqLen));
  return llvm::Error::success();
}

/// Names of the known arguments, for "it reads q, k, v".
template <typename Specs> static std::string listNames(const Specs &specs) {
  std::string text;
  for (const auto &spec : specs)
    text += (text.empty() ? "" : ", ") + spec.name;
  return text.empty() ? "none" : text;
}

llvm::Error detail::validateTensors(const Program &program,
                                    const Problem &problem) {
  for (const InputSpec &input : program.inputs) {
    std::vector<std::pair<std::string, int64_t>> expected = {
        {"B", problem.batch}, {"T", problem.seqLen}, {"H", problem.heads}};
    if (!input.dimName.empty())
      expected.emplace_back(input.dimName, input.size);
    auto it = problem.inputs.find(input.name);
    if (it == problem.inputs.end())
      return makeError("missing input '" + input.name + "' (" + input.role +
                       "): rule @" + program.ruleName +
                       " reads it; expected shape " +
                       formatNamedShape(expected));
    if (llvm::Error err =
            checkTensor("input '" + input.name + "'", it->second, expected))
      return err;
  }
  // A misspelt name would otherwise be ignored silently.
  for (const auto &entry : problem.inputs)
    if (llvm::none_of(program.inputs, [&](const InputSpec &input) {
          return input.name == entry.getKey();
        }))
      return makeError("input '" + entry.getKey() + "' is not read by rule @" +
                       program.ruleName + " (it reads " +
                       listNames(program.inputs) + ")");

  int64_t sequences = problem.cuSeqlens
                          ? static_cast<int64_t>(problem.cuSeqlens->size()) - 1
                          : problem.batch;
  for (const auto &entry : problem.initialStates) {
    auto state = llvm::find_if(program.states, [&](const StateSpec &spec) {
      return spec.name == entry.getKey();
    });
    if (state == program.states.end())
      return makeError("initial state '" + entry.getKey() +
                       "' is not a state of rule @" + program.ruleName +
                       " (its states: " + listNames(program.states) + ")");
    std::vector<std::pair<std::string, int64_t>> expected = {
        {"N", sequences}, {"H", problem.heads}, {state->keyDim, state->keys}};
    if (!state->isVector)
      expected.emplace_back(state->valueDim, state->values);
    if (llvm::Error err =
            checkTensor("initial state '" + entry.getKey().str() + "'",
                        entry.getValue(), expected))
      return err;
  }
  return llvm::Error::success();
}
