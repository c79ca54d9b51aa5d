//===- larcc.cpp - the larc compiler driver -------------------------------===//
//
//   larcc compile RULE.larc --emit=mlir|class|chunk|cuda   print the rule's IR
//   larcc compile RULE.larc -o DIR [--dk n] [--dv n]  write a package (CUDA)
//   larcc verify RULE.larc [options]            chunk form vs fp64 recurrence
//   larcc export RULE.larc -o DIR [options]     verify's problem and results
//                                               as .npy files (for the peer)
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "larc/Dialect/DimSizes.h"
#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/Parser.h"
#include "larc/Lowering/CpuRunner.h"
#include "larc/Lowering/EmitCuda.h"
#include "larc/Lowering/RecurrenceForm.h"
#include "larc/Lowering/SplitChain.h"
#include "larc/Lowering/Verify.h"
#include "larc/Reference/Reference.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/core.h>

#include <cmath>
#include <optional>

using namespace llvm;

namespace {
cl::SubCommand compileCmd("compile", "Compile a .larc rule");
cl::SubCommand
    verifyCmd("verify",
              "Check the derived chunk form against the fp64 recurrence on "
              "fresh random inputs");
cl::SubCommand
    exportCmd("export",
              "Write verify's random problem, the chunk form's results and "
              "the fp64 recurrence's as .npy files under -o DIR");

cl::opt<std::string> input(cl::Positional, cl::desc("<rule.larc>"),
                           cl::Required, cl::sub(compileCmd),
                           cl::sub(verifyCmd), cl::sub(exportCmd));

enum class Emit { Mlir, Class, Chunk, Cuda, Package };
cl::opt<Emit> emit(
    "emit", cl::desc("What to print"), cl::init(Emit::Mlir),
    cl::values(clEnumValN(Emit::Mlir, "mlir", "the rule's larc dialect IR"),
               clEnumValN(Emit::Class, "class",
                          "the rule's algebra in general form (design §2.1)"),
               clEnumValN(Emit::Chunk, "chunk",
                          "the derived chunkwise-parallel form"),
               clEnumValN(Emit::Cuda, "cuda",
                          "the CUDA C++ of the forward kernel (sm_90a)"),
               clEnumValN(Emit::Package, "package",
                          "a package directory -o DIR: .cu, .cubin (nvcc), "
                          "manifest.json, .h (the default with -o when "
                          "--emit is not given)")),
    cl::sub(compileCmd));
cl::opt<std::string> outputPath("o",
                                cl::desc("Output file ('-' for stdout); the "
                                         "package directory without --emit; "
                                         "export: the directory"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::sub(compileCmd), cl::sub(exportCmd));

cl::opt<int64_t> chunkSize("chunk", cl::desc("Chunk size: 16, 32, 64 or 128"),
                           cl::init(64), cl::sub(compileCmd),
                           cl::sub(verifyCmd), cl::sub(exportCmd));
enum class DType { F64, F32 };
cl::opt<DType> dtype("dtype", cl::desc("Element type of the chunk form"),
                     cl::init(DType::F64),
                     cl::values(clEnumValN(DType::F64, "f64", "double"),
                                clEnumValN(DType::F32, "f32", "float")),
                     cl::sub(compileCmd), cl::sub(verifyCmd),
                     cl::sub(exportCmd));

cl::opt<int64_t> seqLen("T", cl::desc("Tokens per sequence"), cl::init(200),
                        cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<int64_t> batch("B", cl::desc("Batch size"), cl::init(2),
                       cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<int64_t> heads("H", cl::desc("Heads"), cl::init(2), cl::sub(verifyCmd),
                       cl::sub(exportCmd));
cl::opt<int64_t> keyDim("dk",
                        cl::desc("Key dimension (verify: default 32; "
                                 "compile to CUDA: 64 or 128, default 128)"),
                        cl::init(32), cl::sub(verifyCmd), cl::sub(compileCmd),
                        cl::sub(exportCmd));
cl::opt<int64_t> valueDim("dv",
                          cl::desc("Value dimension (verify: default 32; "
                                   "compile to CUDA: 64 or 128, default 128)"),
                          cl::init(32), cl::sub(verifyCmd), cl::sub(compileCmd),
                          cl::sub(exportCmd));
cl::list<std::string> dimSizes(
    "dims", cl::CommaSeparated,
    cl::desc("compile to CUDA: sizes by dim name, NAME=SIZE,... (a dim not "
             "named is --dk if it is some state's key dim, else --dv)"),
    cl::sub(compileCmd));
enum class GpuLoads { Tma, Plain };
cl::opt<GpuLoads> gpuLoads(
    "gpu-loads", cl::desc("How generated kernels read q, k, v"),
    cl::init(GpuLoads::Tma),
    cl::values(clEnumValN(GpuLoads::Tma, "tma",
                          "TMA tile loads into shared memory"),
               clEnumValN(GpuLoads::Plain, "plain",
                          "coalesced loads from global memory, row by row")),
    cl::sub(compileCmd));
cl::opt<bool> noPipeline(
    "no-pipeline",
    cl::desc("compile to CUDA: no producer warpgroup ahead of the state's "
             "owners (every warpgroup runs each phase of a chunk in turn)"),
    cl::sub(compileCmd));
cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(1),
                       cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<bool> noInitialState("no-initial-state",
                             cl::desc("Start from a zero state"),
                             cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<bool> varlen("varlen",
                     cl::desc("One row of uneven sequences (cu_seqlens)"),
                     cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<larc::DecayRange> decays(
    "decays", cl::desc("Where decays are drawn"),
    cl::init(larc::DecayRange::Spread),
    cl::values(
        clEnumValN(larc::DecayRange::Spread, "spread", "(0.01, 1)"),
        clEnumValN(larc::DecayRange::NearZero, "near-zero", "(1e-6, 1e-3)"),
        clEnumValN(larc::DecayRange::NearOne, "near-one", "(1 - 1e-4, 1)")),
    cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<double> coefficient("coefficient",
                            cl::desc("Set every coefficient (beta) to this "
                                     "value instead of drawing it"),
                            cl::sub(verifyCmd), cl::sub(exportCmd));
cl::list<std::string> perHead(
    "per-head",
    cl::desc("Hold input NAME constant over batch and tokens, one value per "
             "head (the peer's per-head parameters, as rwkv6's u)"),
    cl::value_desc("NAME"), cl::sub(verifyCmd), cl::sub(exportCmd));
cl::list<std::string> positive(
    "positive",
    cl::desc("Take the absolute value of input or initial state NAME (the "
             "inputs of a rule whose layer applies a positive feature map, "
             "or a state that the rule takes the log of)"),
    cl::value_desc("NAME"), cl::sub(verifyCmd), cl::sub(exportCmd));
cl::opt<double> tolerance("tolerance",
                          cl::desc("Largest relative error accepted "
                                   "(default 1e-10 for f64, 1e-4 for f32)"),
                          cl::sub(verifyCmd));
} // namespace

static larc::CpuElementType elementType() {
  return dtype == DType::F64 ? larc::CpuElementType::F64
                             : larc::CpuElementType::F32;
}

static larc::RuleOp theRule(mlir::ModuleOp module) {
  auto rules = module.getOps<larc::RuleOp>();
  return rules.empty() ? larc::RuleOp() : *rules.begin();
}

static int report(llvm::Error err) {
  errs() << toString(std::move(err)) << "\n";
  return 1;
}

/// The size `larcc compile` gives dim `name` of `rule`: --dims NAME=SIZE,
/// else --dk for a dim that is some state's key dim, else --dv (both 128
/// unless given).
static FailureOr<int64_t> dimSize(larc::RuleOp rule, StringRef name) {
  if (larc::isDerivedDim(rule, name)) {
    // Sized by its definition over the base dims (`dim F = 1 + K + KK`).
    FailureOr<larc::DimPolynomial> poly = larc::sizeOf(rule, name);
    if (failed(poly))
      return failure();
    for (StringRef entry : dimSizes)
      if (entry.split('=').first == name) {
        errs() << "larcc: --dims cannot size " << name << ": it is "
               << poly->str() << "; size " << llvm::join(poly->dims(), ", ")
               << " instead\n";
        return failure();
      }
    llvm::StringMap<int64_t> base;
    for (const std::string &dim : poly->dims()) {
      FailureOr<int64_t> size = dimSize(rule, dim);
      if (failed(size))
        return failure();
      base[dim] = *size;
    }
    return poly->evaluate(base);
  }
  for (StringRef entry : dimSizes) {
    auto [dim, size] = entry.split('=');
    int64_t value = 0;
    if (size.getAsInteger(10, value) || value <= 0) {
      errs() << "larcc: --dims expects NAME=SIZE, got '" << entry << "'\n";
      return failure();
    }
    if (dim == name)
      return value;
  }
  bool key = false;
  for (larc::StateOp state : rule.getBody().front().getOps<larc::StateOp>())
    key |= state.getType().getKeyDim().getValue() == name;
  cl::opt<int64_t> &dim = key ? keyDim : valueDim;
  return dim.getNumOccurrences() ? int64_t(dim) : int64_t(128);
}

/// The CUDA generation options of `larcc compile` for `kernelRule` (the rule
/// itself or one of its stages): its first matrix state's dims, sized as
/// dimSize says for `rule`.
static FailureOr<larc::CudaOptions> cudaOptions(larc::RuleOp rule,
                                                larc::RuleOp kernelRule) {
  larc::CudaOptions opts;
  opts.keyDim = keyDim.getNumOccurrences() ? int64_t(keyDim) : 128;
  opts.valueDim = valueDim.getNumOccurrences() ? int64_t(valueDim) : 128;
  opts.chunkSize = chunkSize;
  opts.tma = gpuLoads == GpuLoads::Tma;
  opts.pipeline = !noPipeline;
  for (larc::StateOp state :
       kernelRule.getBody().front().getOps<larc::StateOp>()) {
    if (state.getType().isVector())
      continue;
    FailureOr<int64_t> key =
        dimSize(rule, state.getType().getKeyDim().getValue());
    FailureOr<int64_t> value =
        dimSize(rule, state.getType().getValueDim().getValue());
    if (failed(key) || failed(value))
      return failure();
    opts.keyDim = *key;
    opts.valueDim = *value;
    break;
  }
  for (mlir::Attribute dim : kernelRule.getDims()) {
    StringRef name = cast<mlir::StringAttr>(dim).getValue();
    FailureOr<int64_t> size = dimSize(rule, name);
    if (failed(size))
      return failure();
    opts.dimSizes[name.str()] = *size;
  }
  return opts;
}

/// A rule's kernels: one, or one per stage of chained states (SplitChain.h),
/// whose translation units share one .cu, each in its own namespace.
struct Compiled {
  std::string cuda, header;
  std::vector<larc::CudaKernelInfo> kernels;
  SmallVector<larc::RuleOp> stages; // empty: one kernel for the rule
};

static FailureOr<Compiled> compileKernels(larc::RuleOp rule) {
  Compiled out;
  FailureOr<SmallVector<larc::RuleOp>> stages = larc::splitChain(rule);
  if (failed(stages))
    return failure();
  out.stages = *stages;
  SmallVector<larc::RuleOp> kernelRules = out.stages;
  if (kernelRules.empty())
    kernelRules.push_back(rule);
  for (auto [i, kernelRule] : llvm::enumerate(kernelRules)) {
    mlir::FailureOr<larc::RuleForm> form = larc::classifyRule(kernelRule);
    FailureOr<larc::CudaOptions> opts = cudaOptions(rule, kernelRule);
    if (mlir::failed(form) || failed(opts))
      return failure();
    if (!out.stages.empty())
      opts->stageNamespace = "larc_stage" + std::to_string(i);
    larc::CudaKernelInfo info;
    mlir::FailureOr<std::string> cuda = larc::emitCuda(*form, *opts, &info);
    if (mlir::failed(cuda))
      return failure();
    if (!out.stages.empty()) {
      // Every kernel names every dim of the rule, so the runtime picks one
      // per stage by the same sizes.
      info.stage = int64_t(i);
      info.dims.clear();
      for (mlir::Attribute dim : rule.getDims()) {
        StringRef name = cast<mlir::StringAttr>(dim).getValue();
        FailureOr<int64_t> size = dimSize(rule, name);
        if (failed(size))
          return failure();
        info.dims.emplace_back(name.str(), *size);
      }
    }
    out.cuda += (i ? "\n" : "") + *cuda;
    out.header += (i ? "\n" : "") + larc::emitCudaHeader(*form, info);
    out.kernels.push_back(std::move(info));
  }
  return out;
}

static bool writeFile(StringRef path, StringRef text) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_Text);
  if (ec) {
    errs() << "larcc: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  os << text;
  return true;
}

/// nvcc: $LARC_NVCC, the CUDA toolkit's, or the one on PATH.
static std::string findNvcc() {
  if (const char *env = std::getenv("LARC_NVCC"))
    return env;
  if (sys::fs::can_execute("/usr/local/cuda/bin/nvcc"))
    return "/usr/local/cuda/bin/nvcc";
  if (ErrorOr<std::string> found = sys::findProgramByName("nvcc"))
    return *found;
  return "";
}

/// larcc compile RULE.larc -o DIR: DIR/<rule>.cu, .cubin, .h, manifest.json.
static int runPackage(mlir::ModuleOp module) {
  FailureOr<Compiled> compiled = compileKernels(theRule(module));
  if (failed(compiled))
    return 1;
  std::string rule = theRule(module).getSymName().str();
  StringRef dir = outputPath;
  if (std::error_code ec = sys::fs::create_directories(dir)) {
    errs() << "larcc: cannot create " << dir << ": " << ec.message() << "\n";
    return 1;
  }
  auto in = [&](StringRef file) {
    SmallString<256> path(dir);
    sys::path::append(path, file);
    return std::string(path);
  };
  std::string cu = in(rule + ".cu"), cubin = in(rule + ".cubin");
  if (!writeFile(cu, compiled->cuda) ||
      !writeFile(in(rule + ".h"), compiled->header))
    return 1;

  std::string nvcc = findNvcc();
  if (nvcc.empty()) {
    errs() << "larcc: nvcc not found (set LARC_NVCC); wrote " << cu << "\n";
    return 1;
  }
  std::string source = LARC_SOURCE_DIR;
  // clang-format off
  std::vector<std::string> args = {
      nvcc, "-std=c++17", "-O3", "-gencode=arch=compute_90a,code=sm_90a",
      "--cubin", "-I" + source + "/lowering/cuda/include",
      "-I" + source + "/runtime/include", cu, "-o", cubin};
  // clang-format on
  std::vector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = sys::ExecuteAndWait(nvcc, argRefs, std::nullopt, {}, 0, 0, &message);
  if (rc != 0) {
    errs() << "larcc: nvcc failed on " << cu
           << (message.empty() ? "" : ": " + message) << "\n";
    return 1;
  }
  if (!writeFile(in("manifest.json"),
                 larc::emitManifest(theRule(module), compiled->kernels,
                                    compiled->stages, rule + ".cubin",
                                    rule + ".h")))
    return 1;
  std::string names;
  for (const larc::CudaKernelInfo &info : compiled->kernels)
    names += (names.empty() ? "" : ", ") + info.name;
  outs() << "wrote package " << dir << " (" << names << ")\n";
  return 0;
}

static int runCompile(mlir::ModuleOp module) {
  if (emit == Emit::Package || (!emit.getNumOccurrences() && outputPath != "-"))
    return runPackage(module);
  std::string error;
  auto output = mlir::openOutputFile(outputPath, &error);
  if (!output) {
    errs() << "larcc: " << error << "\n";
    return 1;
  }
  switch (emit) {
  case Emit::Mlir:
    module->print(output->os());
    break;
  case Emit::Class: {
    mlir::FailureOr<larc::RuleForm> form = larc::classifyRule(theRule(module));
    if (mlir::failed(form))
      return 1;
    output->os() << larc::describe(*form);
    break;
  }
  case Emit::Chunk: {
    auto derived =
        larc::ChunkProgram::derive(theRule(module), chunkSize, elementType());
    if (!derived)
      return report(derived.takeError());
    (*derived)->print(output->os());
    break;
  }
  case Emit::Cuda: {
    FailureOr<Compiled> compiled = compileKernels(theRule(module));
    if (failed(compiled))
      return 1;
    output->os() << compiled->cuda;
    break;
  }
  case Emit::Package:
    break; // handled above
  }
  output->os() << "\n";
  output->keep();
  return 0;
}

/// The random problem's shape from the options verify and export share.
static larc::ProblemShape problemShape() {
  larc::ProblemShape shape;
  shape.batch = batch;
  shape.seqLen = seqLen;
  shape.heads = heads;
  shape.keyDim = keyDim;
  shape.valueDim = valueDim;
  shape.seed = seed;
  shape.initialState = !noInitialState;
  shape.varlen = varlen;
  shape.decays = decays;
  if (coefficient.getNumOccurrences())
    shape.coefficient = coefficient;
  return shape;
}

/// The chunk form's results and the fp64 recurrence's on one problem.
struct Runs {
  larc::reference::Result got, want;
};

static llvm::Expected<Runs> runBoth(larc::RuleOp rule,
                                    const larc::reference::Problem &problem) {
  auto program = larc::ChunkProgram::compile(rule, chunkSize, elementType());
  if (!program)
    return program.takeError();
  auto want = larc::reference::run(rule, problem);
  if (!want)
    return want.takeError();
  auto got = (*program)->run(problem);
  if (!got)
    return got.takeError();
  return Runs{std::move(*got), std::move(*want)};
}

/// Applies --per-head and --positive to a drawn problem; false (after a
/// message) when they name nothing.
static bool adjustProblem(larc::reference::Problem &problem,
                          llvm::StringRef command) {
  for (const std::string &name : perHead) {
    auto it = problem.inputs.find(name);
    if (it == problem.inputs.end()) {
      errs() << "larcc " << command << ": --per-head names no input '" << name
             << "'\n";
      return false;
    }
    // Every (batch, token) row takes the first token's value of its head.
    larc::reference::Tensor &t = it->second;
    int64_t row = t.numel() / (problem.batch * problem.seqLen);
    for (int64_t i = 1; i < problem.batch * problem.seqLen; ++i)
      std::copy(t.data.begin(), t.data.begin() + row, t.data.begin() + i * row);
  }
  for (const std::string &name : positive) {
    larc::reference::Tensor *t = nullptr;
    if (auto it = problem.inputs.find(name); it != problem.inputs.end())
      t = &it->second;
    else if (auto it = problem.initialStates.find(name);
             it != problem.initialStates.end())
      t = &it->second;
    if (!t) {
      errs() << "larcc " << command
             << ": --positive names no input or initial state '" << name
             << "'\n";
      return false;
    }
    for (double &x : t->data)
      x = std::fabs(x);
  }
  return true;
}

static int runVerify(mlir::ModuleOp module) {
  larc::RuleOp rule = theRule(module);
  larc::ProblemShape shape = problemShape();
  double limit = tolerance.getNumOccurrences()
                     ? double(tolerance)
                     : (dtype == DType::F64 ? 1e-10 : 1e-4);

  larc::reference::Problem problem = larc::makeRandomProblem(rule, shape);
  if (!adjustProblem(problem, "verify"))
    return 1;
  auto runs = runBoth(rule, problem);
  if (!runs)
    return report(runs.takeError());

  larc::Comparison cmp = larc::compareResults(runs->got, runs->want);
  outs() << fmt::format(
      "rule @{}  chunk {}  {}  B={} T={} H={} dk={} dv={} "
      "seed={}{}{}\n",
      rule.getSymName().str(), int64_t(chunkSize),
      dtype == DType::F64 ? "f64" : "f32", int64_t(batch), int64_t(seqLen),
      int64_t(heads), int64_t(keyDim), int64_t(valueDim), uint64_t(seed),
      noInitialState ? "" : " initial-state", varlen ? " varlen" : "");
  for (const auto &entry : cmp.entries)
    outs() << fmt::format("  {:<12} {:<6} relative error {:.3e}\n", entry.name,
                          entry.isState ? "state" : "output",
                          entry.relativeError);
  bool ok = cmp.within(limit);
  outs() << fmt::format("{} (tolerance {:.0e})\n", ok ? "PASS" : "FAIL", limit);
  return ok ? 0 : 1;
}

static llvm::json::Array jsonShape(const std::vector<int64_t> &shape) {
  llvm::json::Array out;
  for (int64_t d : shape)
    out.push_back(d);
  return out;
}

/// larcc export RULE.larc -o DIR: the problem verify would draw, with the
/// chunk form's results and the fp64 recurrence's, as files a script outside
/// larc (the peer's reference on the GPU machine) can read:
///   DIR/inputs/<input>.npy       every input, [B, T, H, d] or [B, T, H]
///   DIR/initial/<state>.npy      initial states, [N, H, K, V] or [N, H, K]
///   DIR/larc/<name>.npy          the chunk form's outputs and final states
///   DIR/reference/<name>.npy     the fp64 recurrence's, same names
///   DIR/cu_seqlens.npy           with --varlen ('<i8', N + 1 offsets)
///   DIR/problem.json             shape, seed, names, roles, scale
/// Arrays are '<f8' in C order (.npy version 1.0).
static int runExport(mlir::ModuleOp module) {
  if (outputPath == "-") {
    errs() << "larcc export: give the output directory with -o DIR\n";
    return 1;
  }
  larc::RuleOp rule = theRule(module);
  larc::ProblemShape shape = problemShape();
  larc::reference::Problem problem = larc::makeRandomProblem(rule, shape);
  if (!adjustProblem(problem, "export"))
    return 1;
  auto runs = runBoth(rule, problem);
  if (!runs)
    return report(runs.takeError());

  std::string dir = outputPath;
  auto in = [&](StringRef sub, StringRef file) {
    SmallString<256> path(dir);
    sys::path::append(path, sub, file);
    return std::string(path);
  };
  for (StringRef sub : {"inputs", "initial", "larc", "reference"}) {
    if (sub == "initial" && problem.initialStates.empty())
      continue;
    if (std::error_code ec = sys::fs::create_directories(in(sub, ""))) {
      errs() << "larcc: cannot create " << in(sub, "") << ": " << ec.message()
             << "\n";
      return 1;
    }
  }
  auto write = [&](StringRef sub, StringRef name,
                   const larc::reference::Tensor &t) {
    std::string path = in(sub, (name + ".npy").str());
    if (llvm::Error err = larc::npy::writeF64(path, t.shape, t.data)) {
      report(std::move(err));
      return false;
    }
    return true;
  };

  llvm::json::Array inputs, states, outputs;
  bool ok = true;
  rule.walk([&](larc::InputOp op) {
    std::string name = op.getName().str();
    const larc::reference::Tensor &t = problem.inputs[name];
    auto vec = dyn_cast<larc::VecType>(op.getType());
    inputs.push_back(llvm::json::Object{
        {"name", name},
        {"role", larc::stringifyRole(op.getRole()).str()},
        {"dim", vec ? llvm::json::Value(vec.getDim().getValue().str())
                    : llvm::json::Value(nullptr)},
        {"shape", jsonShape(t.shape)}});
    ok &= write("inputs", name, t);
  });
  rule.walk([&](larc::StateOp op) {
    std::string name = op.getName().str();
    larc::StateType type = op.getType();
    bool initial = problem.initialStates.count(name);
    if (initial)
      ok &= write("initial", name, problem.initialStates[name]);
    states.push_back(llvm::json::Object{
        {"name", name},
        {"key_dim", type.getKeyDim().getValue().str()},
        {"value_dim",
         type.isVector()
             ? llvm::json::Value(nullptr)
             : llvm::json::Value(type.getValueDim().getValue().str())},
        {"initial", initial},
        {"shape", jsonShape(runs->want.finalStates[name].shape)}});
  });
  rule.walk([&](larc::OutputOp op) {
    std::string name = op.getName().str();
    outputs.push_back(llvm::json::Object{
        {"name", name}, {"shape", jsonShape(runs->want.outputs[name].shape)}});
  });
  for (auto *result : {&runs->got, &runs->want}) {
    StringRef sub = result == &runs->got ? "larc" : "reference";
    for (const auto &entry : result->outputs)
      ok &= write(sub, entry.getKey(), entry.getValue());
    for (const auto &entry : result->finalStates)
      ok &= write(sub, entry.getKey(), entry.getValue());
  }
  if (problem.cuSeqlens) {
    const std::vector<int64_t> &cu = *problem.cuSeqlens;
    if (llvm::Error err = larc::npy::writeI64(
            (Twine(dir) + "/cu_seqlens.npy").str(), {int64_t(cu.size())}, cu))
      return report(std::move(err));
  }
  if (!ok)
    return 1;

  // The attention scale of each larc.scale (1/sqrt of its dimension's size).
  llvm::json::Object scales;
  std::optional<double> scale;
  rule.walk([&](larc::ScaleOp op) {
    double value = 1.0 / std::sqrt(double(problem.dimSizes[op.getDim()]));
    scales[op.getDim()] = value;
    scale = value;
  });
  if (scales.size() > 1)
    scale.reset();
  llvm::json::Object dims;
  for (const auto &entry : problem.dimSizes)
    dims[entry.getKey()] = entry.getValue();
  llvm::json::Object errors;
  for (const auto &entry : larc::compareResults(runs->got, runs->want).entries)
    errors[entry.name] = entry.relativeError;
  llvm::json::Array cuSeqlens;
  if (problem.cuSeqlens)
    for (int64_t x : *problem.cuSeqlens)
      cuSeqlens.push_back(x);

  llvm::json::Array perHeadNames;
  for (const std::string &name : perHead)
    perHeadNames.push_back(name);
  llvm::json::Array positiveNames;
  for (const std::string &name : positive)
    positiveNames.push_back(name);
  llvm::json::Object meta{
      {"rule", rule.getSymName().str()},
      {"spec", std::string(input)},
      {"B", problem.batch},
      {"T", problem.seqLen},
      {"H", problem.heads},
      {"dims", std::move(dims)},
      {"seed", int64_t(seed)},
      {"chunk", int64_t(chunkSize)},
      {"dtype", dtype == DType::F64 ? "f64" : "f32"},
      {"varlen", bool(varlen)},
      {"initial_state", !noInitialState},
      {"per_head", std::move(perHeadNames)},
      {"positive", std::move(positiveNames)},
      {"cu_seqlens", problem.cuSeqlens ? llvm::json::Value(std::move(cuSeqlens))
                                       : llvm::json::Value(nullptr)},
      {"scale", scale ? llvm::json::Value(*scale) : llvm::json::Value(nullptr)},
      {"scales", std::move(scales)},
      {"inputs", std::move(inputs)},
      {"states", std::move(states)},
      {"outputs", std::move(outputs)},
      {"larc_vs_reference", std::move(errors)}};
  std::string text;
  raw_string_ostream os(text);
  os << formatv("{0:2}", llvm::json::Value(std::move(meta))) << "\n";
  if (!writeFile((Twine(dir) + "/problem.json").str(), os.str()))
    return 1;
  outs() << fmt::format("exported @{} to {} (B={} T={} H={}{})\n",
                        rule.getSymName().str(), dir, problem.batch,
                        problem.seqLen, problem.heads,
                        problem.cuSeqlens ? " varlen" : "");
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "larc: ahead-of-time compiler for linear-attention recurrences\n\n"
      "  larcc compile RULE.larc --emit=mlir    print the rule's dialect IR\n"
      "  larcc compile RULE.larc --emit=class   print its algebra in general "
      "form\n"
      "  larcc compile RULE.larc --emit=chunk   print the derived chunk form\n"
      "  larcc compile RULE.larc --emit=cuda [--dk n] [--dv n]\n"
      "                                         print the CUDA kernel "
      "(sm_90a)\n"
      "  larcc compile RULE.larc -o DIR [--dk n] [--dv n]\n"
      "                                         write a package: .cu, .cubin, "
      "manifest.json, .h\n"
      "  larcc verify RULE.larc [--chunk C] [--T n] [--dk n] [--dv n] "
      "[--seed s] [--dtype f64|f32]\n"
      "                                         chunk form vs fp64 recurrence\n"
      "  larcc export RULE.larc -o DIR [verify's options]\n"
      "                                         verify's problem and results "
      "as .npy files\n");

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::MLIRContext context(registry);
  context.loadDialect<larc::LarcDialect>();
  // Users read diagnostics against their spec, not against generic IR.
  context.printOpOnDiagnostic(false);

  if (!compileCmd && !verifyCmd && !exportCmd) {
    errs() << "larcc: no command given; see `larcc --help`\n";
    return 1;
  }
  // One handler for the whole run: errors of every stage print as
  // file:line:col with the source line.
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      larc::parseSpecFile(input, &context, sourceMgr);
  if (!module)
    return 1;
  if (compileCmd)
    return runCompile(*module);
  if (exportCmd)
    return runExport(*module);
  return runVerify(*module);
}
