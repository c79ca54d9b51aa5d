//===- Arguments.cpp - Named setters over the manifest's slots ------------===//

#include "larc/runtime/Arguments.h"

#include "Fail.h"

namespace larc::runtime {

Arguments::Arguments(const Manifest &manifest)
    : inputs(manifest.inputs.size()), outputs(manifest.outputs.size()),
      initialStates(manifest.states.size()),
      finalStates(manifest.states.size()), manifest(&manifest) {}

Arguments &Arguments::input(std::string_view name, const TensorView &tensor) {
  int index = manifest->findInput(name);
  if (index < 0)
    fail("rule '{}' has no input '{}' (its inputs: {})", manifest->rule, name,
         joinNames(manifest->inputs));
  inputs[index] = tensor;
  return *this;
}

Arguments &Arguments::output(std::string_view name, const TensorView &tensor) {
  int index = manifest->findOutput(name);
  if (index < 0)
    fail("rule '{}' has no output '{}' (its outputs: {})", manifest->rule, name,
         joinNames(manifest->outputs));
  outputs[index] = tensor;
  return *this;
}

Arguments &Arguments::initialState(std::string_view name,
                                   const TensorView &tensor) {
  int index = manifest->findState(name);
  if (index < 0)
    fail("rule '{}' has no state '{}' (its states: {})", manifest->rule, name,
         joinNames(manifest->states));
  initialStates[index] = tensor;
  return *this;
}

Arguments &Arguments::finalState(std::string_view name,
                                 const TensorView &tensor) {
  int index = manifest->findState(name);
  if (index < 0)
    fail("rule '{}' has no state '{}' (its states: {})", manifest->rule, name,
         joinNames(manifest->states));
  finalStates[index] = tensor;
  return *this;
}

} // namespace larc::runtime
