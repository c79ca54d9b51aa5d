//===- CpuRunner.cpp - JIT-run the derived chunk form on the CPU ----------===//

#include "larc/Lowering/CpuRunner.h"
#include "larc/Lowering/Passes.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/Support/TargetSelect.h"

#include <cmath>
#include <limits>
#include <mutex>

using namespace mlir;
using namespace larc;
using reference::Tensor;

/// What each argument of the derived function is, in order (see the
/// description of -larc-derive-chunk-form).
struct ChunkProgram::Signature {
  struct Buffer {
    std::string name;
    StringAttr dim;      // vector width (inputs, outputs), or key dim (states)
    StringAttr valueDim; // states only; null for a vector state
  };
  std::string function;
  SmallVector<Buffer> inputs, states, outputs;

  static Signature of(RuleOp rule) {
    Signature sig;
    sig.function = rule.getSymName().str();
    auto widthOf = [](Type type) {
      auto vec = dyn_cast<VecType>(type);
      return vec ? vec.getDim() : StringAttr();
    };
    for (Operation &op : rule.getBody().front()) {
      if (auto input = dyn_cast<InputOp>(op))
        sig.inputs.push_back(
            {input.getName().str(), widthOf(input.getType()), {}});
      else if (auto state = dyn_cast<StateOp>(op))
        sig.states.push_back({state.getName().str(),
                              state.getType().getKeyDim(),
                              state.getType().getValueDim()});
      else if (auto output = dyn_cast<OutputOp>(op))
        sig.outputs.push_back(
            {output.getName().str(), widthOf(output.getValue().getType()), {}});
    }
    return sig;
  }
};

ChunkProgram::~ChunkProgram() = default;

static void registerOnce() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    registerAllPasses();
    registerLarcPasses();
  });
}

static StringRef dtypeName(CpuElementType type) {
  return type == CpuElementType::F64 ? "f64" : "f32";
}

/// A module holding a clone of `rule`, in the rule's context.
static OwningOpRef<ModuleOp> cloneIntoModule(RuleOp rule) {
  OpBuilder builder(rule.getContext());
  OwningOpRef<ModuleOp> module = ModuleOp::create(builder.getUnknownLoc());
  builder.setInsertionPointToEnd(module->getBody());
  builder.clone(*rule.getOperation());
  return module;
}

static llvm::Error runPipeline(ModuleOp module, StringRef pipeline,
                               StringRef stage) {
  registerOnce();
  PassManager pm = PassManager::on<ModuleOp>(module.getContext());
  if (failed(parsePassPipeline(pipeline, pm)))
    return llvm::createStringError("larc: bad %s pipeline: %s", stage.data(),
                                   pipeline.data());
  if (failed(pm.run(module)))
    return llvm::createStringError("larc: %s failed", stage.data());
  return llvm::Error::success();
}

static std::string derivePipeline(int64_t chunkSize, CpuElementType type) {
  return ("larc-derive-chunk-form{chunk-size=" + std::to_string(chunkSize) +
          " dtype=" + dtypeName(type).str() + "}, canonicalize, cse");
}

/// From the chunk level to the LLVM dialect, with MLIR's own passes only.
/// (Pipelines here are nested directly in the module's pass manager.)
static constexpr const char *kLowerToLLVM =
    "larc-lower-chunk-to-linalg, canonicalize, cse, "
    "one-shot-bufferize{allow-return-allocs-from-loops}, "
    "buffer-deallocation-pipeline, "
    "func.func(convert-linalg-to-loops), expand-strided-metadata, "
    "lower-affine, convert-scf-to-cf, convert-math-to-llvm, "
    "convert-arith-to-llvm, convert-cf-to-llvm, convert-index-to-llvm, "
    "finalize-memref-to-llvm, convert-func-to-llvm, "
    "reconcile-unrealized-casts";

llvm::Expected<OwningOpRef<ModuleOp>>
ChunkProgram::derive(RuleOp rule, int64_t chunkSize,
                     CpuElementType elementType) {
  OwningOpRef<ModuleOp> module = cloneIntoModule(rule);
  if (llvm::Error err =
          runPipeline(*module, derivePipeline(chunkSize, elementType),
                      "derivation of the chunk form"))
    return std::move(err);
  return std::move(module);
}

llvm::Expected<std::unique_ptr<ChunkProgram>>
ChunkProgram::compile(RuleOp rule, int64_t chunkSize,
                      CpuElementType elementType) {
  auto derived = derive(rule, chunkSize, elementType);
  if (!derived)
    return derived.takeError();
  OwningOpRef<ModuleOp> module = std::move(*derived);
  if (llvm::Error err =
          runPipeline(*module, kLowerToLLVM, "lowering to the LLVM dialect"))
    return std::move(err);

  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  ExecutionEngineOptions options;
  options.transformer = makeOptimizingTransformer(/*optLevel=*/2,
                                                  /*sizeLevel=*/0, nullptr);
  auto engine = ExecutionEngine::create(*module, options);
  if (!engine)
    return engine.takeError();

  std::unique_ptr<ChunkProgram> program(new ChunkProgram());
  program->signature = std::make_unique<Signature>(Signature::of(rule));
  program->engine = std::move(*engine);
  program->elementType = elementType;
  return program;
}

namespace {

/// A buffer handed to the JIT-compiled function: storage in the program's
/// element type plus an MLIR memref descriptor over it.
template <typename T> class Buffer {
public:
  Buffer(std::vector<int64_t> shape, std::vector<T> data)
      : shape(std::move(shape)), data(std::move(data)) {}

  /// Fills `descriptor` (of the right rank) and returns its address.
  void *descriptor() {
    switch (shape.size()) {
    case 1:
      return fill(d1);
    case 2:
      return fill(d2);
    case 3:
      return fill(d3);
    default:
      return fill(d4);
    }
  }
  std::vector<int64_t> shape;
  std::vector<T> data;

private:
  template <int N> void *fill(StridedMemRefType<T, N> &d) {
    d.basePtr = d.data = data.data();
    d.offset = 0;
    int64_t stride = 1;
    for (int i = N - 1; i >= 0; --i) {
      d.sizes[i] = shape[i];
      d.strides[i] = stride;
      stride *= shape[i];
    }
    return &d;
  }
  StridedMemRefType<T, 1> d1;
  StridedMemRefType<T, 2> d2;
  StridedMemRefType<T, 3> d3;
  StridedMemRefType<T, 4> d4;
};

int64_t product(ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

} // namespace

template <typename T>
static llvm::Expected<reference::Result>
runTyped(ExecutionEngine &engine, const ChunkProgram::Signature &sig,
         const reference::Problem &problem) {
  auto sizeOf = [&](StringAttr dim) -> llvm::Expected<int64_t> {
    auto it = problem.dimSizes.find(dim.getValue());
    if (it == problem.dimSizes.end())
      return llvm::createStringError("larc: dimension '%s' has no size",
                                     dim.getValue().str().c_str());
    return it->second;
  };
  const int64_t B = problem.batch, T_ = problem.seqLen, H = problem.heads;
  std::vector<int64_t> offsets;
  if (problem.cuSeqlens) {
    offsets = *problem.cuSeqlens;
  } else {
    for (int64_t b = 0; b <= B; ++b)
      offsets.push_back(b * T_);
  }
  const int64_t N = int64_t(offsets.size()) - 1;

  std::vector<Buffer<T>> buffers;
  buffers.reserve(sig.inputs.size() + 2 * sig.states.size() +
                  sig.outputs.size());
  // `prefix` followed by the size of `dim` when there is one.
  auto shapeWith = [&](std::vector<int64_t> prefix,
                       StringAttr dim) -> llvm::Expected<std::vector<int64_t>> {
    if (!dim)
      return prefix;
    auto d = sizeOf(dim);
    if (!d)
      return d.takeError();
    prefix.push_back(*d);
    return prefix;
  };
  auto convert = [](const std::vector<double> &v) {
    return std::vector<T>(v.begin(), v.end());
  };
  // Inputs, token-major: [B, T, H, d] is read as [B*T, H, d].
  for (const auto &input : sig.inputs) {
    const std::string &name = input.name;
    StringAttr dim = input.dim;
    auto it = problem.inputs.find(name);
    if (it == problem.inputs.end())
      return llvm::createStringError("larc: input '%s' is missing",
                                     name.c_str());
    auto shapeOr = shapeWith({B * T_, H}, dim);
    if (!shapeOr)
      return shapeOr.takeError();
    std::vector<int64_t> shape = *shapeOr;
    if (product(shape) != int64_t(it->second.data.size()))
      return llvm::createStringError("larc: input '%s' has %zu elements, "
                                     "expected %lld",
                                     name.c_str(), it->second.data.size(),
                                     (long long)product(shape));
    buffers.emplace_back(shape, convert(it->second.data));
  }
  // Initial states (zero when not given).
  std::vector<std::vector<int64_t>> stateShapes;
  for (const auto &state : sig.states) {
    const std::string &name = state.name;
    StringAttr key = state.dim, value = state.valueDim;
    auto keyShape = shapeWith({N, H}, key);
    if (!keyShape)
      return keyShape.takeError();
    auto shapeOr = shapeWith(*keyShape, value);
    if (!shapeOr)
      return shapeOr.takeError();
    std::vector<int64_t> shape = *shapeOr;
    stateShapes.push_back(shape);
    auto it = problem.initialStates.find(name);
    std::vector<T> init(product(shape), T(0));
    if (it != problem.initialStates.end()) {
      if (int64_t(it->second.data.size()) != product(shape))
        return llvm::createStringError("larc: initial state '%s' has the "
                                       "wrong size",
                                       name.c_str());
      init = convert(it->second.data);
    }
    buffers.emplace_back(shape, std::move(init));
  }
  Buffer<int64_t> cuSeqlens({int64_t(offsets.size())}, offsets);
  double scale =
      problem.scale ? *problem.scale : std::numeric_limits<double>::quiet_NaN();
  // Outputs and final states, poisoned so unwritten elements show as NaN.
  const T poison = std::numeric_limits<T>::quiet_NaN();
  for (const auto &output : sig.outputs) {
    auto shape = shapeWith({B * T_, H}, output.dim);
    if (!shape)
      return shape.takeError();
    buffers.emplace_back(*shape, std::vector<T>(product(*shape), poison));
  }
  for (const auto &shape : stateShapes)
    buffers.emplace_back(shape, std::vector<T>(product(shape), poison));

  // The C interface takes a pointer to each descriptor; the packed wrapper
  // takes a pointer to each argument.
  size_t nIn = sig.inputs.size(), nSt = sig.states.size();
  std::vector<void *> descriptors;
  for (Buffer<T> &buf : buffers)
    descriptors.push_back(buf.descriptor());
  void *cuDescriptor = cuSeqlens.descriptor();
  std::vector<void *> args;
  for (size_t i = 0; i < nIn + nSt; ++i)
    args.push_back(&descriptors[i]);
  args.push_back(&cuDescriptor);
  args.push_back(&scale);
  for (size_t i = nIn + nSt; i < descriptors.size(); ++i)
    args.push_back(&descriptors[i]);
  if (llvm::Error err =
          engine.invokePacked("_mlir_ciface_" + sig.function, args))
    return std::move(err);

  reference::Result result;
  auto toTensor = [](const Buffer<T> &buf, std::vector<int64_t> shape) {
    Tensor t(std::move(shape));
    t.data.assign(buf.data.begin(), buf.data.end());
    return t;
  };
  size_t at = nIn + nSt;
  for (const auto &output : sig.outputs) {
    std::vector<int64_t> shape{B, T_, H};
    if (output.dim)
      shape.push_back(buffers[at].shape[2]);
    result.outputs[output.name] = toTensor(buffers[at++], shape);
  }
  for (size_t i = 0; i < nSt; ++i, ++at)
    result.finalStates[sig.states[i].name] =
        toTensor(buffers[at], stateShapes[i]);
  return result;
}

llvm::Expected<reference::Result>
ChunkProgram::run(const reference::Problem &problem) {
  if (elementType == CpuElementType::F64)
    return runTyped<double>(*engine, *signature, problem);
  return runTyped<float>(*engine, *signature, problem);
}
