//===- Manifest.h - A package's manifest.json, checked and typed ----------===//
//
// docs/package-format.md is the specification; this is its in-memory form.
// readManifest/parseManifest check everything that can be checked without a
// GPU (known keys, types, names, that every dim is covered by every kernel,
// the fixed capacities of LarcLaunchParams) so that a bad package fails when
// it is loaded, naming the file, the key and what was expected.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_MANIFEST_H
#define LARC_RUNTIME_MANIFEST_H

#include "larc/runtime/Tensor.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace larc::runtime {

// The package format this runtime reads (and the LarcLaunchParams layout).
constexpr int kPackageFormat = 1;

// What an input is to the rule (docs/spec-language.md, "Roles").
enum class Role { Query, Key, Value, LogGate, Gate, Coefficient };
std::string_view roleName(Role role);

struct InputSpec {
  std::string name;
  Role role = Role::Query;
  std::optional<int> dim;     // index into Manifest::dims; none: a scalar
  std::optional<DType> dtype; // none: the kernel's dtype
  bool usesKeyHeads() const { return role == Role::Query || role == Role::Key; }
};

struct StateSpec {
  std::string name;
  int keyDim = 0;              // index into Manifest::dims
  std::optional<int> valueDim; // none: a vector state [N, H, K]
  int rank() const { return valueDim ? 4 : 3; }
};

struct OutputSpec {
  std::string name;
  std::optional<int> dim;     // none: a scalar per token
  std::optional<DType> dtype; // none: the kernel's dtype
};

// One axis of a kernel's grid, computed at launch.
enum class GridAxis { ValueTiles, Heads, KeyHeads, Sequences, Batch, One };
std::string_view gridAxisName(GridAxis axis);

// Which tensor of a call: the manifest's inputs, outputs, the initial or
// final value of a state, or an intermediate (which the runtime allocates),
// by index.
struct TensorSlot {
  enum class Kind { Input, Output, InitialState, FinalState, Intermediate };
  Kind kind = Kind::Input;
  int index = 0;

  bool operator==(const TensorSlot &other) const {
    return kind == other.kind && index == other.index;
  }
  bool operator!=(const TensorSlot &other) const { return !(*this == other); }
};

// A per-token tensor that one stage of a staged rule writes and later stages
// read through global memory. The caller never sees it: the runtime
// allocates it for each call, contiguous [B, T, HV, dim] (or [B, T, HV]).
struct IntermediateSpec {
  std::string name;
  std::optional<int> dim; // index into Manifest::dims; none: a scalar
  DType dtype = DType::BFloat16;
};

// One kernel of a rule computed by several in sequence (docs/package-
// format.md, "stages"): the tensors its kernel reads from LarcLaunchParams,
// in that order. A manifest without "stages" has one implicit stage holding
// every input, state and output in manifest order.
struct StageSpec {
  std::string rule;                // the stage's name, for messages
  std::vector<TensorSlot> inputs;  // Input or Intermediate slots
  std::vector<int> states;         // into Manifest::states
  std::vector<TensorSlot> outputs; // Output or Intermediate slots
  // The dim that the grid axis value_tiles splits: the first matrix state's
  // value dim, else that of the first value input (for the implicit stage,
  // Manifest::valueDim).
  std::optional<int> valueDim;

  // Whether the stage's kernel gets this tensor (a state's initial and final
  // values both belong to the stage of the state).
  bool uses(const TensorSlot &slot) const;
};

// A TMA descriptor the runtime encodes for the kernel (LarcLaunchParams::
// tensorMaps[i] for the i-th entry). The defaults are those of larc's tile
// library (lowering/cuda/include/larc/cuda/tensor_map.h).
struct TensorMapSpec {
  TensorSlot tensor;
  std::vector<uint32_t> box;       // per logical dim, outermost first
  uint32_t swizzleBytes = 128;     // 0 (none), 32, 64 or 128
  uint32_t l2PromotionBytes = 256; // 0 (none), 64, 128 or 256
};

// The order of a tensor's logical dims (outermost first) as TMA coordinates:
// the contiguous dim, then the row dim (T for [B, T, H, d] and [B, T, H]
// tensors, K for states), then the others from inner to outer. For q
// [B, T, H, K] that is (K, T, H, B), as tensor_map.h's bthd_tile_map.
std::vector<int> tensorMapOrder(TensorSlot::Kind kind, int rank);

// The kernels of the sequence-split plan for few long sequences
// (docs/package-format.md, "Plans"): phase 1 `summary` has the kernel's
// block and shared memory and grid (summaryGridX, HV, N · segments); phase 2
// `combine` has combineBlock and grid (combineGridX, HV, N); phase 3 is the
// kernel itself over N · segments. The fp32 workspace holds
// workspaceFloats per (segment, value head).
struct SegmentKernels {
  std::string summary, combine;
  uint32_t summaryGridX = 1, combineGridX = 1;
  std::array<uint32_t, 3> combineBlock = {256, 1, 1};
  uint64_t workspaceFloats = 0;
};

// The solve kernel of the delta-rule family (docs/package-format.md, "The
// solve kernel"): launched just before the kernel, with `block` threads,
// `sharedBytes` of dynamic shared memory and grid (chunk slots, HV, 1)
// (chunkSlots in ChunkTiles.h), it writes `tileBytes` per chunk slot and
// value head to LarcLaunchParams::chunkTiles, which the kernel then reads.
struct SolveKernel {
  std::string name;
  std::array<uint32_t, 3> block = {1, 1, 1};
  uint32_t sharedBytes = 0;
  uint64_t tileBytes = 0;
};

struct KernelSpec {
  std::string name;
  std::vector<int64_t> dims; // one per Manifest::dims
  DType dtype = DType::BFloat16;
  int64_t chunkSize = 0;
  std::array<uint32_t, 3> block = {1, 1, 1};
  uint32_t sharedBytes = 0; // dynamic shared memory
  std::array<GridAxis, 3> grid = {GridAxis::One, GridAxis::One, GridAxis::One};
  int64_t valueTile = 0; // > 0 when the grid has value_tiles
  std::optional<std::array<uint32_t, 3>> cluster;
  uint32_t alignment = 0; // bytes; 0: the element size
  // Its kernels wait for the stream's kernel before them before touching
  // global memory (griddepcontrol.wait), so each may be launched with
  // programmatic stream serialization: it starts while that one finishes.
  bool dependentLaunch = false;
  std::vector<TensorMapSpec> tensorMaps;
  std::optional<SegmentKernels> segments;
  std::optional<SolveKernel> solve;
  int stage = 0; // into Manifest::stages
};

// A GPU architecture "sm_<major><minor>[a|f]" (sm_90a: exactly 9.0).
struct Arch {
  std::string name;
  int major = 0, minor = 0;
  char suffix = 0; // 'a', 'f' or 0
  // Whether a cubin for this arch runs on a device of compute capability
  // major.minor.
  bool runsOn(int deviceMajor, int deviceMinor) const;
};

// How the runtime fills `scale` when the caller gives none.
struct ScaleDefault {
  enum class Kind { Unused, Constant, InverseSqrtDim };
  Kind kind = Kind::Unused;
  double value = 1; // Constant
  int dim = 0;      // InverseSqrtDim: index into Manifest::dims
};

struct Manifest {
  int format = kPackageFormat;
  std::string path; // of manifest.json, for messages
  std::string rule;
  std::string cubin;  // file name, relative to the package directory
  std::string header; // optional; for C++ users of the generated code
  Arch arch;
  std::vector<std::string> dims; // "K", "V", ... in LarcLaunchParams order
  std::vector<KernelSpec> kernels;
  std::vector<InputSpec> inputs;
  std::vector<StateSpec> states;
  std::vector<OutputSpec> outputs;
  std::vector<IntermediateSpec> intermediates;
  // At least one; several when the rule runs as kernels in sequence.
  std::vector<StageSpec> stages;
  ScaleDefault scaleDefault;
  bool groupedValueHeads = false;
  // The dim that the grid axis value_tiles splits: that of the first value
  // input, else the first matrix state's value dim.
  std::optional<int> valueDim;

  int findInput(std::string_view name) const;  // -1 if none
  int findState(std::string_view name) const;  // -1 if none
  int findOutput(std::string_view name) const; // -1 if none
  int findIntermediate(std::string_view name) const; // -1 if none
  bool staged() const { return stages.size() > 1; }
  // "K=128 V=128 bf16".
  std::string describeKernel(const KernelSpec &kernel) const;
  // "stages[1] (gsa_s1)", or "stages[1]" for a stage without a name.
  std::string describeStage(size_t stage) const;
  // The name of a tensor slot as the manifest spells it: "q", "S.initial",
  // "S.final", or an intermediate's name.
  std::string slotName(const TensorSlot &slot) const;
  // The name of a state's argument in messages and in the Python API:
  // "initial_state" / "final_state" when the rule has one state, else
  // "initial_state['S']".
  std::string stateArgumentName(size_t state, bool final) const;
};

// The index of the input, state or output called `name`, or -1.
template <typename Spec>
int findByName(const std::vector<Spec> &specs, std::string_view name) {
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name)
      return static_cast<int>(i);
  return -1;
}

// "q, k, v, g, beta" for the inputs, states or outputs of a manifest.
template <typename Spec> std::string joinNames(const std::vector<Spec> &specs) {
  std::string text;
  for (const Spec &spec : specs)
    text += (text.empty() ? "" : ", ") + spec.name;
  return text;
}

// Parses manifest text; `path` names it in errors.
Manifest parseManifest(std::string_view text, const std::string &path);
// Reads and parses a manifest.json file.
Manifest readManifest(const std::string &path);

} // namespace larc::runtime

#endif // LARC_RUNTIME_MANIFEST_H
