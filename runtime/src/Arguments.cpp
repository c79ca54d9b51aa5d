//===- Arguments.cpp - Named setters over the manifest's slots ------------===//

#include "larc/runtime/Arguments.h"

#include "Fail.h"

namespace larc::runtime {

Arguments::Arguments(const Manifest &manifest)
    : inputs(manifest.inputs.size()), outputs(manifest.outputs.size()),
      initialStates(manifest.states.size()),
      finalStates(manifest.states.size()), manifest(&manifest) {}

namespace {
// The slot of `name` among a manifest's inputs, outputs or states.
template <typename Spec>
size_t slotOf(const Manifest &manifest, const std::vector<Spec> &specs,
              std::string_view name, const char *kind, const char *kinds) {
  if (int index = findByName(specs, name); index >= 0)
    return static_cast<size_t>(index);
  fail("rule '{}' has no {} '{}' (its {}: {})", manifest.rule, kind, name,
       kinds, joinNames(specs));
}
} // namespace

Arguments &Arguments::input(std::string_view name, const TensorView &tensor) {
  inputs[slotOf(*manifest, manifest->inputs, name, "input", "inputs")] = tensor;
  return *this;
}

Arguments &Arguments::output(std::string_view name, const TensorView &tensor) {
  outputs[slotOf(*manifest, manifest->outputs, name, "output", "outputs")] =
      tensor;
  return *this;
}

Arguments &Arguments::initialState(std::string_view name,
                                   const TensorView &tensor) {
  initialStates[slotOf(*manifest, manifest->states, name, "state", "states")] =
      tensor;
  return *this;
}

Arguments &Arguments::finalState(std::string_view name,
                                 const TensorView &tensor) {
  finalStates[slotOf(*manifest, manifest->states, name, "state", "states")] =
      tensor;
  return *this;
}

} // namespace larc::runtime
