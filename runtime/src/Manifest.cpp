//===- Manifest.cpp - Read and check manifest.json ------------------------===//
//
// Every error names the file, the line and column, the key path (such as
// kernels[0].block) and what was expected. Keys starting with '_' are ignored
// (notes from the generator); any other unknown key is refused so a typo does
// not silently change a launch.
//
//===----------------------------------------------------------------------===//

#include "larc/runtime/Manifest.h"

#include "larc/runtime/Json.h"
#include "larc/runtime/LaunchParams.h"

#include "Fail.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace larc::runtime {

std::string_view roleName(Role role) {
  switch (role) {
  case Role::Query:
    return "query";
  case Role::Key:
    return "key";
  case Role::Value:
    return "value";
  case Role::LogGate:
    return "log_gate";
  case Role::Gate:
    return "gate";
  case Role::Coefficient:
    return "coefficient";
  }
  return "unknown";
}

std::string_view gridAxisName(GridAxis axis) {
  switch (axis) {
  case GridAxis::ValueTiles:
    return "value_tiles";
  case GridAxis::Heads:
    return "heads";
  case GridAxis::KeyHeads:
    return "key_heads";
  case GridAxis::Sequences:
    return "sequences";
  case GridAxis::Batch:
    return "batch";
  case GridAxis::One:
    return "1";
  }
  return "unknown";
}

bool Arch::runsOn(int deviceMajor, int deviceMinor) const {
  // Arch-specific cubins (sm_90a) run on exactly their compute capability;
  // plain and family ones on the same major with an equal or newer minor.
  if (suffix == 'a')
    return deviceMajor == major && deviceMinor == minor;
  return deviceMajor == major && deviceMinor >= minor;
}

int Manifest::findInput(std::string_view name) const {
  return findByName(inputs, name);
}

int Manifest::findState(std::string_view name) const {
  return findByName(states, name);
}

int Manifest::findOutput(std::string_view name) const {
  return findByName(outputs, name);
}

int Manifest::findIntermediate(std::string_view name) const {
  return findByName(intermediates, name);
}

bool StageSpec::uses(const TensorSlot &slot) const {
  switch (slot.kind) {
  case TensorSlot::Kind::InitialState:
  case TensorSlot::Kind::FinalState:
    return std::count(states.begin(), states.end(), slot.index) > 0;
  default:
    return std::count(inputs.begin(), inputs.end(), slot) > 0 ||
           std::count(outputs.begin(), outputs.end(), slot) > 0;
  }
}

std::string Manifest::describeKernel(const KernelSpec &kernel) const {
  std::string text;
  for (size_t d = 0; d < dims.size(); ++d)
    text += fmt::format("{}={} ", dims[d], kernel.dims[d]);
  return text + std::string(dtypeName(kernel.dtype));
}

std::string Manifest::describeStage(size_t stage) const {
  const std::string &name = stages[stage].rule;
  return name.empty() ? fmt::format("stages[{}]", stage)
                      : fmt::format("stages[{}] ({})", stage, name);
}

std::string Manifest::slotName(const TensorSlot &slot) const {
  switch (slot.kind) {
  case TensorSlot::Kind::Input:
    return inputs[slot.index].name;
  case TensorSlot::Kind::Output:
    return outputs[slot.index].name;
  case TensorSlot::Kind::InitialState:
    return states[slot.index].name + ".initial";
  case TensorSlot::Kind::FinalState:
    return states[slot.index].name + ".final";
  case TensorSlot::Kind::Intermediate:
    return intermediates[slot.index].name;
  }
  return "?";
}

std::vector<int> tensorMapOrder(TensorSlot::Kind kind, int rank) {
  bool isState = kind == TensorSlot::Kind::InitialState ||
                 kind == TensorSlot::Kind::FinalState;
  int rows = isState ? rank - 2 : 1;
  std::vector<int> order = {rank - 1};
  if (rows != rank - 1)
    order.push_back(rows);
  for (int d = rank - 2; d >= 0; --d)
    if (d != rows)
      order.push_back(d);
  return order;
}

std::string Manifest::stateArgumentName(size_t state, bool final) const {
  const char *kind = final ? "final_state" : "initial_state";
  if (states.size() == 1)
    return kind;
  return fmt::format("{}['{}']", kind, states[state].name);
}

namespace {

bool isIdentifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Reads one JSON object, tracking which keys were read so that finish() can
// refuse the rest.
class ObjectReader {
public:
  ObjectReader(const JsonValue &value, std::string context,
               const std::string &path)
      : value(value), context(std::move(context)), path(path) {
    if (!value.isObject())
      error(value, "expected an object, got {}", value.describe());
  }

  template <typename... Args>
  [[noreturn]] void error(const JsonValue &at, fmt::format_string<Args...> f,
                          Args &&...args) const {
    fail("{}:{}:{}: {}{}{}", path, at.line, at.column, context,
         context.empty() ? "" : ": ",
         fmt::format(f, std::forward<Args>(args)...));
  }

  const std::string &where() const { return context; }
  std::string member(std::string_view key) const {
    return context.empty() ? std::string(key)
                           : fmt::format("{}.{}", context, key);
  }

  const JsonValue *optional(std::string_view key) {
    read.push_back(key);
    return value.get(key);
  }

  const JsonValue &require(std::string_view key, std::string_view what) {
    if (const JsonValue *member = optional(key))
      return *member;
    error(value, "missing key \"{}\" ({})", key, what);
  }

  void finish() const {
    for (const auto &[key, member] : value.members) {
      if (key.empty() || key[0] == '_' ||
          std::find(read.begin(), read.end(), key) != read.end())
        continue;
      std::string known;
      for (std::string_view name : read)
        known += fmt::format("{}\"{}\"", known.empty() ? "" : ", ", name);
      error(member, "unknown key \"{}\" (known: {})", key, known);
    }
  }

private:
  const JsonValue &value;
  std::string context;
  const std::string &path;
  std::vector<std::string_view> read;
};

class ManifestParser {
public:
  explicit ManifestParser(const std::string &path) : path(path) {
    manifest.path = path;
  }

  Manifest parse(std::string_view text) {
    JsonValue root = parseJson(text, path);
    ObjectReader top(root, "", path);
    readFormat(top);
    manifest.rule =
        identifier(top, top.require("rule", "the rule's name"), "rule");
    readCubin(top);
    if (const JsonValue *header = top.optional("header"))
      manifest.header = string(top, *header, "header");
    readArch(top);
    readDims(top, root);
    readInputs(top);
    readStates(top);
    readOutputs(top);
    findValueDim();
    readIntermediates(top);
    readStages(top);
    readKernels(top);
    readScale(top);
    if (const JsonValue *grouped = top.optional("grouped_value_heads")) {
      if (!grouped->isBool())
        top.error(*grouped,
                  "grouped_value_heads: expected true or false, got {}",
                  grouped->describe());
      manifest.groupedValueHeads = grouped->boolean;
    }
    top.finish();
    return std::move(manifest);
  }

private:
  static constexpr size_t kMaxIntermediates = 16, kMaxStages = 16;

  const std::string &path;
  Manifest manifest;
  const JsonValue *intermediatesValue = nullptr;

  std::string string(const ObjectReader &in, const JsonValue &value,
                     std::string_view key) {
    if (!value.isString() || value.string.empty())
      in.error(value, "{}: expected a non-empty string, got {}", key,
               value.describe());
    return value.string;
  }

  std::string identifier(const ObjectReader &in, const JsonValue &value,
                         std::string_view key) {
    std::string name = string(in, value, key);
    if (!isIdentifier(name))
      in.error(value,
               "{}: \"{}\" is not an identifier ([A-Za-z_][A-Za-z0-9_]*)", key,
               name);
    return name;
  }

  int64_t integer(const ObjectReader &in, const JsonValue &value,
                  std::string_view key, int64_t min, int64_t max) {
    if (!value.isNumber() || !value.isInteger || value.integer < min ||
        value.integer > max)
      in.error(value, "{}: expected an integer in [{}, {}], got {}", key, min,
               max, value.describe());
    return value.integer;
  }

  // The index of a dim name in manifest.dims.
  int dimIndex(const ObjectReader &in, const JsonValue &value,
               std::string_view key) {
    std::string name = string(in, value, key);
    auto it = std::find(manifest.dims.begin(), manifest.dims.end(), name);
    if (it == manifest.dims.end())
      in.error(value, "{}: \"{}\" is not one of the rule's dims ({})", key,
               name, fmt::join(manifest.dims, ", "));
    return static_cast<int>(it - manifest.dims.begin());
  }

  void checkUniqueName(const ObjectReader &in, const JsonValue &at,
                       const std::string &name) {
    if (manifest.findInput(name) >= 0 || manifest.findState(name) >= 0 ||
        manifest.findOutput(name) >= 0)
      in.error(at, "name: \"{}\" is already an input, state or output", name);
  }

  void readFormat(ObjectReader &top) {
    const JsonValue &format = top.require("format", "the package format, 1");
    if (!format.isNumber() || !format.isInteger)
      top.error(format, "format: expected an integer, got {}",
                format.describe());
    if (format.integer != kPackageFormat)
      top.error(format,
                "format: package format {} is not supported; this runtime "
                "reads format {}",
                format.integer, kPackageFormat);
    manifest.format = static_cast<int>(format.integer);
  }

  void readCubin(ObjectReader &top) {
    const JsonValue &cubin = top.require("cubin", "the cubin's file name");
    manifest.cubin = string(top, cubin, "cubin");
    if (manifest.cubin[0] == '/' ||
        manifest.cubin.find("..") != std::string::npos)
      top.error(cubin,
                "cubin: expected a path inside the package directory, got "
                "\"{}\"",
                manifest.cubin);
  }

  void readArch(ObjectReader &top) {
    const JsonValue &value = top.require("arch", "such as \"sm_90a\"");
    std::string name = string(top, value, "arch");
    Arch &arch = manifest.arch;
    arch.name = name;
    std::string_view rest(name);
    bool ok = rest.substr(0, 3) == "sm_";
    rest.remove_prefix(std::min<size_t>(3, rest.size()));
    if (!rest.empty() && (rest.back() == 'a' || rest.back() == 'f')) {
      arch.suffix = rest.back();
      rest.remove_suffix(1);
    }
    ok = ok && (rest.size() == 2 || rest.size() == 3) &&
         std::all_of(rest.begin(), rest.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
    if (!ok)
      top.error(value,
                "arch: expected sm_<major><minor>[a|f] such as sm_90a, "
                "got \"{}\"",
                name);
    int number = std::stoi(std::string(rest));
    arch.major = number / 10;
    arch.minor = number % 10;
  }

  // "dims" lists the rule's dims; without it, the first kernel's "dims"
  // object gives them in its key order.
  void readDims(ObjectReader &top, const JsonValue &root) {
    if (const JsonValue *dims = top.optional("dims")) {
      if (!dims->isArray() || dims->items.empty() ||
          dims->items.size() > LARC_MAX_DIMS)
        top.error(*dims, "dims: expected an array of 1 to {} dim names, got {}",
                  LARC_MAX_DIMS, dims->describe());
      for (size_t i = 0; i < dims->items.size(); ++i) {
        std::string name =
            identifier(top, dims->items[i], fmt::format("dims[{}]", i));
        if (std::count(manifest.dims.begin(), manifest.dims.end(), name))
          top.error(dims->items[i], "dims[{}]: \"{}\" appears twice", i, name);
        manifest.dims.push_back(name);
      }
      return;
    }
    const JsonValue *kernels = root.get("kernels");
    const JsonValue *first =
        kernels && kernels->isArray() && !kernels->items.empty()
            ? kernels->items[0].get("dims")
            : nullptr;
    if (!first || !first->isObject() || first->members.empty() ||
        first->members.size() > LARC_MAX_DIMS)
      top.error(root,
                "missing key \"dims\" (the rule's dim names), and "
                "kernels[0].dims does not name 1 to {} dims either",
                LARC_MAX_DIMS);
    for (const auto &[name, value] : first->members) {
      if (!isIdentifier(name))
        top.error(value, "kernels[0].dims: \"{}\" is not an identifier", name);
      manifest.dims.push_back(name);
    }
  }

  std::optional<DType> dtypeOrIo(const ObjectReader &in, const JsonValue &value,
                                 std::string_view key) {
    std::string name = string(in, value, key);
    if (name == "io")
      return std::nullopt;
    std::optional<DType> dtype = parseDType(name);
    if (!dtype || (*dtype != DType::Float32 && *dtype != DType::BFloat16 &&
                   *dtype != DType::Float16))
      in.error(value,
               "{}: expected \"io\" (the kernel's dtype), \"fp32\", \"bf16\" "
               "or \"fp16\", got \"{}\"",
               key, name);
    return dtype;
  }

  const JsonValue &array(ObjectReader &top, std::string_view key,
                         std::string_view what, size_t max) {
    const JsonValue &value = top.require(key, what);
    if (!value.isArray() || value.items.empty() || value.items.size() > max)
      top.error(value, "{}: expected an array of 1 to {} entries, got {}", key,
                max, value.describe());
    return value;
  }

  void readInputs(ObjectReader &top) {
    const JsonValue &inputs =
        array(top, "inputs", "the rule's per-token inputs", LARC_MAX_INPUTS);
    for (size_t i = 0; i < inputs.items.size(); ++i) {
      ObjectReader in(inputs.items[i], fmt::format("inputs[{}]", i), path);
      InputSpec input;
      const JsonValue &name = in.require("name", "the input's name");
      input.name = identifier(in, name, "name");
      checkUniqueName(in, name, input.name);
      const JsonValue &role = in.require("role", "query, key, value, ...");
      std::string roleText = string(in, role, "role");
      static constexpr Role kRoles[] = {Role::Query, Role::Key,
                                        Role::Value, Role::LogGate,
                                        Role::Gate,  Role::Coefficient};
      auto it = std::find_if(std::begin(kRoles), std::end(kRoles),
                             [&](Role r) { return roleName(r) == roleText; });
      if (it == std::end(kRoles))
        in.error(role,
                 "role: expected query, key, value, log_gate, gate or "
                 "coefficient, got \"{}\"",
                 roleText);
      input.role = *it;
      if (const JsonValue *dim = in.optional("dim"))
        input.dim = dimIndex(in, *dim, "dim");
      else if (input.role == Role::Query || input.role == Role::Key ||
               input.role == Role::Value)
        in.error(inputs.items[i],
                 "missing key \"dim\": a {} input is a vector over a dim",
                 roleText);
      bool isGate = input.role == Role::LogGate || input.role == Role::Gate;
      input.dtype =
          isGate ? std::optional<DType>(DType::Float32) : std::nullopt;
      if (const JsonValue *dtype = in.optional("dtype"))
        input.dtype = dtypeOrIo(in, *dtype, "dtype");
      in.finish();
      manifest.inputs.push_back(std::move(input));
    }
  }

  void readStates(ObjectReader &top) {
    const JsonValue &states =
        array(top, "states", "the rule's states", LARC_MAX_STATES);
    for (size_t i = 0; i < states.items.size(); ++i) {
      ObjectReader in(states.items[i], fmt::format("states[{}]", i), path);
      StateSpec state;
      const JsonValue &name = in.require("name", "the state's name");
      state.name = identifier(in, name, "name");
      checkUniqueName(in, name, state.name);
      state.keyDim =
          dimIndex(in, in.require("key_dim", "a dim name"), "key_dim");
      if (const JsonValue *valueDim = in.optional("value_dim"))
        state.valueDim = dimIndex(in, *valueDim, "value_dim");
      in.finish();
      manifest.states.push_back(std::move(state));
    }
  }

  void readOutputs(ObjectReader &top) {
    const JsonValue &outputs =
        array(top, "outputs", "the rule's per-token outputs", LARC_MAX_OUTPUTS);
    for (size_t i = 0; i < outputs.items.size(); ++i) {
      ObjectReader in(outputs.items[i], fmt::format("outputs[{}]", i), path);
      OutputSpec output;
      const JsonValue &name = in.require("name", "the output's name");
      output.name = identifier(in, name, "name");
      checkUniqueName(in, name, output.name);
      if (const JsonValue *dim = in.optional("dim"))
        output.dim = dimIndex(in, *dim, "dim");
      if (const JsonValue *dtype = in.optional("dtype"))
        output.dtype = dtypeOrIo(in, *dtype, "dtype");
      in.finish();
      manifest.outputs.push_back(std::move(output));
    }
  }

  // "intermediates": per-token tensors that pass between stages.
  void readIntermediates(ObjectReader &top) {
    intermediatesValue = top.optional("intermediates");
    if (!intermediatesValue)
      return;
    const JsonValue &list = *intermediatesValue;
    if (!list.isArray() || list.items.size() > kMaxIntermediates)
      top.error(list,
                "intermediates: expected an array of at most {} "
                "entries, got {}",
                kMaxIntermediates, list.describe());
    for (size_t i = 0; i < list.items.size(); ++i) {
      ObjectReader in(list.items[i], fmt::format("intermediates[{}]", i), path);
      IntermediateSpec intermediate;
      const JsonValue &name = in.require("name", "the intermediate's name");
      intermediate.name = identifier(in, name, "name");
      checkUniqueName(in, name, intermediate.name);
      if (manifest.findIntermediate(intermediate.name) >= 0)
        in.error(name, "name: \"{}\" is already an intermediate",
                 intermediate.name);
      if (const JsonValue *dim = in.optional("dim"))
        intermediate.dim = dimIndex(in, *dim, "dim");
      if (const JsonValue *dtype = in.optional("dtype")) {
        std::optional<DType> parsed = parseDType(string(in, *dtype, "dtype"));
        if (!parsed || (*parsed != DType::BFloat16 &&
                        *parsed != DType::Float16 && *parsed != DType::Float32))
          in.error(*dtype,
                   "dtype: expected \"bf16\", \"fp16\" or \"fp32\", got "
                   "\"{}\"",
                   dtype->string);
        intermediate.dtype = *parsed;
      }
      in.finish();
      manifest.intermediates.push_back(std::move(intermediate));
    }
  }

  // Which stage writes each intermediate, owns each state and writes each
  // output (-1: none yet), to refuse a second writer or owner and to find
  // the tensors no stage covers.
  struct StageOwners {
    std::vector<int> intermediates, states, outputs;
  };

  // "stages"; without it, one implicit stage of everything in manifest
  // order, so that the rest of the runtime need not tell the two apart.
  void readStages(ObjectReader &top) {
    const JsonValue *list = top.optional("stages");
    if (!list) {
      if (intermediatesValue && !manifest.intermediates.empty())
        top.error(*intermediatesValue, "intermediates: only a package with "
                                       "\"stages\" has intermediates");
      manifest.stages.push_back(implicitStage());
      return;
    }
    if (!list->isArray() || list->items.empty() ||
        list->items.size() > kMaxStages)
      top.error(*list, "stages: expected an array of 1 to {} entries, got {}",
                kMaxStages, list->describe());
    StageOwners owners{std::vector<int>(manifest.intermediates.size(), -1),
                       std::vector<int>(manifest.states.size(), -1),
                       std::vector<int>(manifest.outputs.size(), -1)};
    for (size_t s = 0; s < list->items.size(); ++s)
      manifest.stages.push_back(
          readStage(list->items[s], static_cast<int>(s), owners));
    for (size_t i = 0; i < manifest.states.size(); ++i)
      if (owners.states[i] < 0)
        top.error(*list, "stages: state \"{}\" belongs to no stage",
                  manifest.states[i].name);
    for (size_t i = 0; i < manifest.outputs.size(); ++i)
      if (owners.outputs[i] < 0)
        top.error(*list, "stages: output \"{}\" is written by no stage",
                  manifest.outputs[i].name);
    for (size_t i = 0; i < manifest.intermediates.size(); ++i)
      if (owners.intermediates[i] < 0)
        top.error(intermediatesValue->items[i],
                  "intermediates[{}]: \"{}\" is written by no stage", i,
                  manifest.intermediates[i].name);
  }

  StageSpec implicitStage() const {
    StageSpec stage;
    stage.rule = manifest.rule;
    for (size_t i = 0; i < manifest.inputs.size(); ++i)
      stage.inputs.push_back({TensorSlot::Kind::Input, static_cast<int>(i)});
    for (size_t i = 0; i < manifest.states.size(); ++i)
      stage.states.push_back(static_cast<int>(i));
    for (size_t i = 0; i < manifest.outputs.size(); ++i)
      stage.outputs.push_back({TensorSlot::Kind::Output, static_cast<int>(i)});
    stage.valueDim = manifest.valueDim;
    return stage;
  }

  // The names of a stage's "inputs", "states" or "outputs", each once.
  std::vector<std::pair<std::string, const JsonValue *>>
  stageNames(const ObjectReader &in, const JsonValue &value,
             std::string_view key, size_t max) {
    if (!value.isArray() || value.items.size() > max)
      in.error(value, "{}: expected an array of at most {} names, got {}", key,
               max, value.describe());
    std::vector<std::pair<std::string, const JsonValue *>> names;
    for (size_t j = 0; j < value.items.size(); ++j) {
      std::string name =
          string(in, value.items[j], fmt::format("{}[{}]", key, j));
      for (const auto &[other, at] : names)
        if (other == name)
          in.error(value.items[j], "{}[{}]: \"{}\" is listed twice", key, j,
                   name);
      names.emplace_back(name, &value.items[j]);
    }
    return names;
  }

  StageSpec readStage(const JsonValue &value, int index, StageOwners &owners) {
    ObjectReader in(value, fmt::format("stages[{}]", index), path);
    StageSpec stage;
    if (const JsonValue *rule = in.optional("rule"))
      stage.rule = identifier(in, *rule, "rule");
    const JsonValue &inputs = in.require(
        "inputs", "the rule inputs and intermediates its kernel reads");
    auto inputNames = stageNames(in, inputs, "inputs", LARC_MAX_INPUTS);
    for (size_t j = 0; j < inputNames.size(); ++j)
      stage.inputs.push_back(stageInput(in, inputNames[j], j, owners));
    if (const JsonValue *states = in.optional("states")) {
      auto stateNames = stageNames(in, *states, "states", LARC_MAX_STATES);
      for (size_t j = 0; j < stateNames.size(); ++j)
        stage.states.push_back(
            stageState(in, stateNames[j], j, index, owners.states));
    }
    const JsonValue &outputs = in.require(
        "outputs", "the rule outputs and intermediates its kernel writes");
    auto outputNames = stageNames(in, outputs, "outputs", LARC_MAX_OUTPUTS);
    for (size_t j = 0; j < outputNames.size(); ++j)
      stage.outputs.push_back(
          stageOutput(in, outputNames[j], j, index, owners));
    in.finish();
    stage.valueDim = stageValueDim(stage);
    return stage;
  }

  // A rule input, or an intermediate that an earlier stage wrote.
  TensorSlot stageInput(const ObjectReader &in,
                        const std::pair<std::string, const JsonValue *> &name,
                        size_t j, const StageOwners &owners) {
    if (int i = manifest.findInput(name.first); i >= 0)
      return {TensorSlot::Kind::Input, i};
    int m = manifest.findIntermediate(name.first);
    if (m < 0)
      in.error(*name.second,
               "inputs[{}]: \"{}\" is not an input or an intermediate of the "
               "rule",
               j, name.first);
    if (owners.intermediates[m] < 0)
      in.error(*name.second,
               "inputs[{}]: intermediate \"{}\" is read before a stage "
               "writes it",
               j, name.first);
    return {TensorSlot::Kind::Intermediate, m};
  }

  int stageState(const ObjectReader &in,
                 const std::pair<std::string, const JsonValue *> &name,
                 size_t j, int stage, std::vector<int> &owner) {
    int i = manifest.findState(name.first);
    if (i < 0)
      in.error(*name.second,
               "states[{}]: \"{}\" is not a state of the rule "
               "(its states: {})",
               j, name.first, joinNames(manifest.states));
    if (owner[i] >= 0)
      in.error(*name.second,
               "states[{}]: state \"{}\" already belongs to stages[{}]", j,
               name.first, owner[i]);
    owner[i] = stage;
    return i;
  }

  // A rule output or an intermediate, neither written by another stage.
  TensorSlot stageOutput(const ObjectReader &in,
                         const std::pair<std::string, const JsonValue *> &name,
                         size_t j, int stage, StageOwners &owners) {
    TensorSlot slot;
    int *owner = nullptr;
    if (int i = manifest.findOutput(name.first); i >= 0) {
      slot = {TensorSlot::Kind::Output, i};
      owner = &owners.outputs[i];
    } else if (int m = manifest.findIntermediate(name.first); m >= 0) {
      slot = {TensorSlot::Kind::Intermediate, m};
      owner = &owners.intermediates[m];
    } else {
      in.error(*name.second,
               "outputs[{}]: \"{}\" is not an output or an intermediate of "
               "the rule",
               j, name.first);
    }
    if (*owner >= 0)
      in.error(*name.second,
               "outputs[{}]: \"{}\" is already written by "
               "stages[{}]",
               j, name.first, *owner);
    *owner = stage;
    return slot;
  }

  // The columns a stage's CTAs split: those of its state.
  std::optional<int> stageValueDim(const StageSpec &stage) const {
    for (int s : stage.states)
      if (manifest.states[s].valueDim)
        return manifest.states[s].valueDim;
    for (const TensorSlot &slot : stage.inputs)
      if (slot.kind == TensorSlot::Kind::Input &&
          manifest.inputs[slot.index].role == Role::Value)
        return manifest.inputs[slot.index].dim;
    return std::nullopt;
  }

  std::array<uint32_t, 3> triple(const ObjectReader &in, const JsonValue &value,
                                 std::string_view key) {
    if (!value.isArray() || value.items.size() != 3)
      in.error(value, "{}: expected an array of 3 positive integers, got {}",
               key, value.describe());
    std::array<uint32_t, 3> result;
    for (int i = 0; i < 3; ++i)
      result[i] = static_cast<uint32_t>(integer(
          in, value.items[i], fmt::format("{}[{}]", key, i), 1, INT32_MAX));
    return result;
  }

  // The required "block": [x, y, z] threads, at most 1024 in all (a kernel's
  // and its solve kernel's).
  std::array<uint32_t, 3> threadBlock(ObjectReader &in) {
    const JsonValue &value = in.require("block", "[x, y, z] threads");
    std::array<uint32_t, 3> block = triple(in, value, "block");
    if (uint64_t threads = uint64_t(block[0]) * block[1] * block[2];
        threads > 1024)
      in.error(value, "block: {} threads; at most 1024", threads);
    return block;
  }

  std::array<GridAxis, 3> grid(const ObjectReader &in, const JsonValue &value) {
    std::vector<std::pair<std::string, const JsonValue *>> names;
    if (value.isString()) {
      std::stringstream stream(value.string);
      for (std::string name; std::getline(stream, name, ',');) {
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        names.emplace_back(name, &value);
      }
    } else if (value.isArray()) {
      for (const JsonValue &item : value.items) {
        if (!item.isString())
          in.error(item, "grid: expected axis names, got {}", item.describe());
        names.emplace_back(item.string, &item);
      }
    }
    if (names.empty() || names.size() > 3)
      in.error(value,
               "grid: expected 1 to 3 axes (x, y, z) as \"a,b,c\" or an "
               "array, got {}",
               value.describe());
    std::array<GridAxis, 3> axes = {GridAxis::One, GridAxis::One,
                                    GridAxis::One};
    static constexpr GridAxis kAxes[] = {
        GridAxis::ValueTiles, GridAxis::Heads, GridAxis::KeyHeads,
        GridAxis::Sequences,  GridAxis::Batch, GridAxis::One};
    for (size_t i = 0; i < names.size(); ++i) {
      auto it =
          std::find_if(std::begin(kAxes), std::end(kAxes), [&](GridAxis a) {
            return gridAxisName(a) == names[i].first;
          });
      if (it == std::end(kAxes))
        in.error(*names[i].second,
                 "grid: unknown axis \"{}\" (known: value_tiles, heads, "
                 "key_heads, sequences, batch, 1)",
                 names[i].first);
      axes[i] = *it;
    }
    return axes;
  }

  // Resolves "q", "o", "S.initial", "S.final" to a slot and its rank and
  // element type (nullopt: the kernel's dtype).
  TensorSlot tensorSlot(const ObjectReader &in, const JsonValue &value,
                        int &rank, std::optional<DType> &dtype) {
    std::string name = string(in, value, "tensor");
    if (int i = manifest.findInput(name); i >= 0) {
      rank = manifest.inputs[i].dim ? 4 : 3;
      dtype = manifest.inputs[i].dtype;
      return {TensorSlot::Kind::Input, i};
    }
    if (int i = manifest.findOutput(name); i >= 0) {
      rank = manifest.outputs[i].dim ? 4 : 3;
      dtype = manifest.outputs[i].dtype;
      return {TensorSlot::Kind::Output, i};
    }
    if (int i = manifest.findIntermediate(name); i >= 0) {
      rank = manifest.intermediates[i].dim ? 4 : 3;
      dtype = manifest.intermediates[i].dtype;
      return {TensorSlot::Kind::Intermediate, i};
    }
    size_t dot = name.rfind('.');
    if (dot != std::string::npos) {
      int i = manifest.findState(name.substr(0, dot));
      std::string which = name.substr(dot + 1);
      if (i >= 0 && (which == "initial" || which == "final")) {
        rank = manifest.states[i].rank();
        dtype = DType::Float32;
        return {which == "initial" ? TensorSlot::Kind::InitialState
                                   : TensorSlot::Kind::FinalState,
                i};
      }
    }
    in.error(value,
             "tensor: \"{}\" is not an input, an output, {}or STATE.initial / "
             "STATE.final",
             name, manifest.intermediates.empty() ? "" : "an intermediate, ");
  }

  uint32_t bytesChoice(const ObjectReader &in, const JsonValue &value,
                       std::string_view key,
                       std::initializer_list<uint32_t> allowed) {
    std::string text = string(in, value, key);
    if (text == "none")
      return 0;
    for (uint32_t bytes : allowed)
      if (text == fmt::format("{}B", bytes))
        return bytes;
    in.error(value, "{}: expected \"none\" or one of {}B, got \"{}\"", key,
             fmt::join(allowed, "B, "), text);
  }

  TensorMapSpec tensorMap(const JsonValue &value, const std::string &context,
                          const KernelSpec &kernel) {
    ObjectReader in(value, context, path);
    TensorMapSpec map;
    int rank = 0;
    std::optional<DType> dtype;
    const JsonValue &tensor =
        in.require("tensor", "an input, output or STATE.initial/final");
    map.tensor = tensorSlot(in, tensor, rank, dtype);
    // A kernel gets only its stage's tensors in its parameters; a map of
    // another stage's tensor is a generator's mistake.
    const StageSpec &stage = manifest.stages[kernel.stage];
    if (!stage.uses(map.tensor))
      in.error(tensor, "tensor: \"{}\" is not a tensor of {}", tensor.string,
               manifest.describeStage(kernel.stage));
    const DType kernelDType = kernel.dtype;
    const JsonValue &box = in.require("box", "the box extent per dim");
    if (!box.isArray() || static_cast<int>(box.items.size()) != rank)
      in.error(box,
               "box: \"{}\" has rank {}; expected an array of {} extents, got "
               "{}",
               manifest.slotName(map.tensor), rank, rank, box.describe());
    for (size_t i = 0; i < box.items.size(); ++i)
      map.box.push_back(static_cast<uint32_t>(
          integer(in, box.items[i], fmt::format("box[{}]", i), 1, 256)));
    size_t innerBytes = map.box.back() * dtypeSize(dtype.value_or(kernelDType));
    if (innerBytes % 16)
      in.error(box,
               "box: the innermost extent is {} bytes; TMA needs a multiple "
               "of 16",
               innerBytes);
    if (const JsonValue *swizzle = in.optional("swizzle"))
      map.swizzleBytes = bytesChoice(in, *swizzle, "swizzle", {32, 64, 128});
    if (map.swizzleBytes && innerBytes > map.swizzleBytes)
      in.error(box,
               "box: the innermost extent is {} bytes, more than the {}B "
               "swizzle span",
               innerBytes, map.swizzleBytes);
    if (const JsonValue *l2 = in.optional("l2_promotion"))
      map.l2PromotionBytes =
          bytesChoice(in, *l2, "l2_promotion", {64, 128, 256});
    in.finish();
    return map;
  }

  void findValueDim() {
    for (const InputSpec &input : manifest.inputs)
      if (input.role == Role::Value) {
        manifest.valueDim = input.dim;
        return;
      }
    for (const StateSpec &state : manifest.states)
      if (state.valueDim) {
        manifest.valueDim = state.valueDim;
        return;
      }
  }

  KernelSpec readKernel(const JsonValue &value, size_t index) {
    ObjectReader in(value, fmt::format("kernels[{}]", index), path);
    KernelSpec kernel;
    kernel.name =
        identifier(in, in.require("name", "the kernel's symbol"), "name");
    const JsonValue &dims = in.require("dims", "the value of every dim");
    if (!dims.isObject())
      in.error(dims, "dims: expected an object such as {{\"K\": 128}}, got {}",
               dims.describe());
    ObjectReader dimReader(dims, in.member("dims"), path);
    for (const std::string &dim : manifest.dims)
      kernel.dims.push_back(integer(
          dimReader, dimReader.require(dim, "the dim's size"), dim, 1, 65536));
    dimReader.finish();
    readKernelStage(in, value, kernel);
    const JsonValue &dtype = in.require("dtype", "\"bf16\" or \"fp16\"");
    std::optional<DType> parsed = parseDType(string(in, dtype, "dtype"));
    if (!parsed || (*parsed != DType::BFloat16 && *parsed != DType::Float16))
      in.error(dtype, "dtype: expected \"bf16\" or \"fp16\", got \"{}\"",
               dtype.string);
    kernel.dtype = *parsed;
    if (const JsonValue *chunk = in.optional("chunk_size"))
      kernel.chunkSize = integer(in, *chunk, "chunk_size", 1, 65536);
    kernel.block = threadBlock(in);
    if (const JsonValue *shared = in.optional("shared_bytes"))
      kernel.sharedBytes = static_cast<uint32_t>(
          integer(in, *shared, "shared_bytes", 0, INT32_MAX));
    const JsonValue &gridValue =
        in.require("grid", "axes such as \"value_tiles,heads,sequences\"");
    kernel.grid = grid(in, gridValue);
    const JsonValue *tile = in.optional("value_tile");
    if (tile)
      kernel.valueTile = integer(in, *tile, "value_tile", 1, 65536);
    bool tiled = std::count(kernel.grid.begin(), kernel.grid.end(),
                            GridAxis::ValueTiles);
    if (tiled && !tile)
      in.error(value, "missing key \"value_tile\": the grid has value_tiles");
    if (tiled && !manifest.stages[kernel.stage].valueDim)
      in.error(gridValue, "grid: value_tiles needs a value input or a matrix "
                          "state to split");
    if (const JsonValue *cluster = in.optional("cluster"))
      kernel.cluster = triple(in, *cluster, "cluster");
    if (const JsonValue *alignment = in.optional("alignment")) {
      kernel.alignment =
          static_cast<uint32_t>(integer(in, *alignment, "alignment", 1, 256));
      if (kernel.alignment & (kernel.alignment - 1))
        in.error(*alignment, "alignment: {} is not a power of two",
                 kernel.alignment);
    }
    if (const JsonValue *dependent = in.optional("dependent_launch")) {
      if (!dependent->isBool())
        in.error(*dependent, "dependent_launch: expected true or false, got {}",
                 dependent->describe());
      kernel.dependentLaunch = dependent->boolean;
    }
    if (const JsonValue *maps = in.optional("tensor_maps")) {
      if (!maps->isArray() || maps->items.size() > LARC_MAX_TENSOR_MAPS)
        in.error(*maps, "tensor_maps: expected an array of at most {}, got {}",
                 LARC_MAX_TENSOR_MAPS, maps->describe());
      for (size_t i = 0; i < maps->items.size(); ++i)
        kernel.tensorMaps.push_back(
            tensorMap(maps->items[i],
                      in.member(fmt::format("tensor_maps[{}]", i)), kernel));
    }
    if (const JsonValue *segments = in.optional("segments"))
      kernel.segments =
          segmentKernels(*segments, in.member("segments"), kernel.name);
    if (const JsonValue *solve = in.optional("solve"))
      kernel.solve = solveKernel(*solve, in.member("solve"), kernel);
    in.finish();
    return kernel;
  }

  // "stage": required of every kernel of a staged package, at most 0
  // otherwise.
  void readKernelStage(ObjectReader &in, const JsonValue &value,
                       KernelSpec &kernel) {
    const JsonValue *stage = in.optional("stage");
    if (!stage && manifest.staged())
      in.error(value, "missing key \"stage\" (the index of the "
                      "kernel's entry in \"stages\")");
    if (stage)
      kernel.stage = static_cast<int>(
          integer(in, *stage, "stage", 0,
                  static_cast<int64_t>(manifest.stages.size()) - 1));
  }

  SegmentKernels segmentKernels(const JsonValue &value, const std::string &at,
                                const std::string &kernelName) {
    ObjectReader in(value, at, path);
    SegmentKernels segments;
    segments.summary =
        identifier(in, in.require("summary", "phase 1's symbol"), "summary");
    segments.combine =
        identifier(in, in.require("combine", "phase 2's symbol"), "combine");
    for (const std::string *name : {&segments.summary, &segments.combine})
      if (*name == kernelName)
        in.error(value, "the split plan's kernels must differ from {}",
                 kernelName);
    if (segments.summary == segments.combine)
      in.error(value, "summary and combine are both {}", segments.summary);
    if (const JsonValue *x = in.optional("summary_grid_x"))
      segments.summaryGridX =
          static_cast<uint32_t>(integer(in, *x, "summary_grid_x", 1, 65535));
    if (const JsonValue *x = in.optional("combine_grid_x"))
      segments.combineGridX =
          static_cast<uint32_t>(integer(in, *x, "combine_grid_x", 1, 65535));
    if (const JsonValue *block = in.optional("combine_block"))
      segments.combineBlock = triple(in, *block, "combine_block");
    segments.workspaceFloats = static_cast<uint64_t>(
        integer(in, in.require("workspace_floats", "fp32 per segment and head"),
                "workspace_floats", 1, INT32_MAX));
    in.finish();
    return segments;
  }

  SolveKernel solveKernel(const JsonValue &value, const std::string &at,
                          const KernelSpec &kernel) {
    ObjectReader in(value, at, path);
    SolveKernel solve;
    solve.name = identifier(
        in, in.require("kernel", "the solve kernel's symbol"), "kernel");
    if (solve.name == kernel.name ||
        (kernel.segments && (solve.name == kernel.segments->summary ||
                             solve.name == kernel.segments->combine)))
      in.error(value,
               "the solve kernel must differ from the kernel and its "
               "split plan's, but is {}",
               solve.name);
    solve.block = threadBlock(in);
    solve.sharedBytes = static_cast<uint32_t>(integer(
        in, in.require("shared_bytes", "the solve kernel's shared memory"),
        "shared_bytes", 0, INT32_MAX));
    solve.tileBytes = static_cast<uint64_t>(
        integer(in, in.require("tile_bytes", "bytes per chunk and value head"),
                "tile_bytes", 16, INT32_MAX));
    if (solve.tileBytes % 16)
      in.error(*value.get("tile_bytes"),
               "tile_bytes: {} is not a multiple of 16 (one bulk copy)",
               solve.tileBytes);
    if (kernel.chunkSize < 1)
      in.error(value, "a kernel with a solve kernel needs \"chunk_size\"");
    in.finish();
    return solve;
  }

  void readKernels(ObjectReader &top) {
    const JsonValue &kernels =
        array(top, "kernels", "the compiled kernels", 1024);
    for (size_t i = 0; i < kernels.items.size(); ++i) {
      KernelSpec kernel = readKernel(kernels.items[i], i);
      for (const KernelSpec &other : manifest.kernels) {
        if (other.name == kernel.name)
          top.error(kernels.items[i], "kernels[{}]: the name {} is taken", i,
                    kernel.name);
        if (other.stage == kernel.stage && other.dims == kernel.dims &&
            other.dtype == kernel.dtype)
          top.error(kernels.items[i],
                    "kernels[{}]: {} has the same dims and dtype ({}) as {}{}",
                    i, kernel.name, manifest.describeKernel(kernel), other.name,
                    manifest.staged()
                        ? fmt::format(" in stages[{}]", kernel.stage)
                        : "");
      }
      manifest.kernels.push_back(std::move(kernel));
    }
    checkStageKernels(top, kernels);
  }

  // A call picks its stage-0 kernel by dims and dtype, then every later
  // stage's kernel of the same dims and dtype: each must exist.
  void checkStageKernels(const ObjectReader &top, const JsonValue &kernels) {
    for (size_t s = 0; s < manifest.stages.size(); ++s) {
      auto inStage = [&](const KernelSpec &k) { return k.stage == int(s); };
      if (std::none_of(manifest.kernels.begin(), manifest.kernels.end(),
                       inStage))
        top.error(kernels, "kernels: {} has no kernel",
                  manifest.describeStage(s));
    }
    for (size_t k = 0; k < manifest.kernels.size(); ++k) {
      const KernelSpec &first = manifest.kernels[k];
      if (first.stage != 0)
        continue;
      for (size_t s = 1; s < manifest.stages.size(); ++s)
        if (std::none_of(manifest.kernels.begin(), manifest.kernels.end(),
                         [&](const KernelSpec &other) {
                           return other.stage == int(s) &&
                                  other.dims == first.dims &&
                                  other.dtype == first.dtype;
                         }))
          top.error(kernels.items[k],
                    "kernels[{}]: {} has no kernel for {}, the dims and dtype "
                    "of {}",
                    k, manifest.describeStage(s),
                    manifest.describeKernel(first), first.name);
    }
  }

  void readScale(ObjectReader &top) {
    const JsonValue *value = top.optional("scale_default");
    ScaleDefault &scale = manifest.scaleDefault;
    if (!value)
      return; // the rule has no `scale`
    if (value->isNumber() && std::isfinite(value->number) &&
        value->number > 0) {
      scale.kind = ScaleDefault::Kind::Constant;
      scale.value = value->number;
      return;
    }
    if (value->isString()) {
      std::string text = value->string;
      text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
      constexpr std::string_view prefix = "1/sqrt(";
      if (text.rfind(prefix, 0) == 0 && text.back() == ')') {
        std::string dim =
            text.substr(prefix.size(), text.size() - prefix.size() - 1);
        auto it = std::find(manifest.dims.begin(), manifest.dims.end(), dim);
        if (it != manifest.dims.end()) {
          scale.kind = ScaleDefault::Kind::InverseSqrtDim;
          scale.dim = static_cast<int>(it - manifest.dims.begin());
          return;
        }
      }
    }
    top.error(*value,
              "scale_default: expected a positive number or \"1/sqrt(DIM)\" "
              "with DIM one of {}, got {}",
              fmt::join(manifest.dims, ", "), value->describe());
  }
};

} // namespace

Manifest parseManifest(std::string_view text, const std::string &path) {
  return ManifestParser(path).parse(text);
}

Manifest readManifest(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail("{}: cannot open the manifest: {}", path, std::strerror(errno));
  std::stringstream text;
  text << file.rdbuf();
  return parseManifest(text.str(), path);
}

} // namespace larc::runtime
