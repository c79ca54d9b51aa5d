//===- larcc.cpp - the larc compiler driver -------------------------------===//
//
//   larcc compile RULE.larc --emit=mlir|class|chunk|cuda   print the rule's IR
//   larcc compile RULE.larc -o DIR [--dk n] [--dv n]  write a package (CUDA)
//   larcc verify RULE.larc [options]            chunk form vs fp64 recurrence
//
//===----------------------------------------------------------------------===//

#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/Parser.h"
#include "larc/Lowering/CpuRunner.h"
#include "larc/Lowering/EmitCuda.h"
#include "larc/Lowering/RecurrenceForm.h"
#include "larc/Lowering/Verify.h"
#include "larc/Reference/Reference.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/core.h>

using namespace llvm;

namespace {
cl::SubCommand compileCmd("compile", "Compile a .larc rule");
cl::SubCommand verifyCmd(
    "verify", "Check the derived chunk form against the fp64 recurrence on "
              "fresh random inputs");

cl::opt<std::string> input(cl::Positional, cl::desc("<rule.larc>"),
                           cl::Required, cl::sub(compileCmd),
                           cl::sub(verifyCmd));

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
                                         "package directory without --emit"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::sub(compileCmd));

cl::opt<int64_t> chunkSize("chunk", cl::desc("Chunk size: 16, 32, 64 or 128"),
                           cl::init(64), cl::sub(compileCmd),
                           cl::sub(verifyCmd));
enum class DType { F64, F32 };
cl::opt<DType> dtype("dtype", cl::desc("Element type of the chunk form"),
                     cl::init(DType::F64),
                     cl::values(clEnumValN(DType::F64, "f64", "double"),
                                clEnumValN(DType::F32, "f32", "float")),
                     cl::sub(compileCmd), cl::sub(verifyCmd));

cl::opt<int64_t> seqLen("T", cl::desc("Tokens per sequence"), cl::init(200),
                        cl::sub(verifyCmd));
cl::opt<int64_t> batch("B", cl::desc("Batch size"), cl::init(2),
                       cl::sub(verifyCmd));
cl::opt<int64_t> heads("H", cl::desc("Heads"), cl::init(2), cl::sub(verifyCmd));
cl::opt<int64_t> keyDim("dk",
                        cl::desc("Key dimension (verify: default 32; "
                                 "compile to CUDA: 64 or 128, default 128)"),
                        cl::init(32), cl::sub(verifyCmd), cl::sub(compileCmd));
cl::opt<int64_t> valueDim("dv",
                          cl::desc("Value dimension (verify: default 32; "
                                   "compile to CUDA: 64 or 128, default 128)"),
                          cl::init(32), cl::sub(verifyCmd),
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
cl::opt<uint64_t> seed("seed", cl::desc("Random seed"), cl::init(1),
                       cl::sub(verifyCmd));
cl::opt<bool> noInitialState("no-initial-state",
                             cl::desc("Start from a zero state"),
                             cl::sub(verifyCmd));
cl::opt<bool> varlen("varlen",
                     cl::desc("One row of uneven sequences (cu_seqlens)"),
                     cl::sub(verifyCmd));
cl::opt<larc::DecayRange> decays(
    "decays", cl::desc("Where decays are drawn"),
    cl::init(larc::DecayRange::Spread),
    cl::values(clEnumValN(larc::DecayRange::Spread, "spread", "(0.01, 1)"),
               clEnumValN(larc::DecayRange::NearZero, "near-zero",
                          "(1e-6, 1e-3)"),
               clEnumValN(larc::DecayRange::NearOne, "near-one",
                          "(1 - 1e-4, 1)")),
    cl::sub(verifyCmd));
cl::opt<double> coefficient("coefficient",
                            cl::desc("Set every coefficient (beta) to this "
                                     "value instead of drawing it"),
                            cl::sub(verifyCmd));
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

/// The CUDA generation options of `larcc compile` (--dk/--dv default to 128).
static larc::CudaOptions cudaOptions() {
  larc::CudaOptions opts;
  opts.keyDim = keyDim.getNumOccurrences() ? int64_t(keyDim) : 128;
  opts.valueDim = valueDim.getNumOccurrences() ? int64_t(valueDim) : 128;
  opts.chunkSize = chunkSize;
  opts.tma = gpuLoads == GpuLoads::Tma;
  return opts;
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
  mlir::FailureOr<larc::RuleForm> form = larc::classifyRule(theRule(module));
  if (mlir::failed(form))
    return 1;
  larc::CudaKernelInfo info;
  mlir::FailureOr<std::string> cuda =
      larc::emitCuda(*form, cudaOptions(), &info);
  if (mlir::failed(cuda))
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
  if (!writeFile(cu, *cuda) ||
      !writeFile(in(rule + ".h"), larc::emitCudaHeader(*form, info)))
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
                 larc::emitManifest(*form, info, rule + ".cubin", rule + ".h")))
    return 1;
  outs() << "wrote package " << dir << " (" << info.name << ")\n";
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
    mlir::FailureOr<larc::RuleForm> form = larc::classifyRule(theRule(module));
    if (mlir::failed(form))
      return 1;
    mlir::FailureOr<std::string> cuda = larc::emitCuda(*form, cudaOptions());
    if (mlir::failed(cuda))
      return 1;
    output->os() << *cuda;
    break;
  }
  case Emit::Package:
    break; // handled above
  }
  output->os() << "\n";
  output->keep();
  return 0;
}

static int runVerify(mlir::ModuleOp module) {
  larc::RuleOp rule = theRule(module);
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
  double limit = tolerance.getNumOccurrences()
                     ? double(tolerance)
                     : (dtype == DType::F64 ? 1e-10 : 1e-4);

  auto program = larc::ChunkProgram::compile(rule, chunkSize, elementType());
  if (!program)
    return report(program.takeError());
  larc::reference::Problem problem = larc::makeRandomProblem(rule, shape);
  auto want = larc::reference::run(rule, problem);
  if (!want)
    return report(want.takeError());
  auto got = (*program)->run(problem);
  if (!got)
    return report(got.takeError());

  larc::Comparison cmp = larc::compareResults(*got, *want);
  outs() << fmt::format("rule @{}  chunk {}  {}  B={} T={} H={} dk={} dv={} "
                        "seed={}{}{}\n",
                        rule.getSymName().str(), int64_t(chunkSize),
                        dtype == DType::F64 ? "f64" : "f32", int64_t(batch),
                        int64_t(seqLen), int64_t(heads), int64_t(keyDim),
                        int64_t(valueDim), uint64_t(seed),
                        noInitialState ? "" : " initial-state",
                        varlen ? " varlen" : "");
  for (const auto &entry : cmp.entries)
    outs() << fmt::format("  {:<12} {:<6} relative error {:.3e}\n",
                          entry.name, entry.isState ? "state" : "output",
                          entry.relativeError);
  bool ok = cmp.within(limit);
  outs() << fmt::format("{} (tolerance {:.0e})\n", ok ? "PASS" : "FAIL", limit);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "larc: ahead-of-time compiler for linear-attention recurrences\n\n"
      "  larcc compile RULE.larc --emit=mlir    print the rule's dialect IR\n"
      "  larcc compile RULE.larc --emit=class   print its algebra in general form\n"
      "  larcc compile RULE.larc --emit=chunk   print the derived chunk form\n"
      "  larcc compile RULE.larc --emit=cuda [--dk n] [--dv n]\n"
      "                                         print the CUDA kernel "
      "(sm_90a)\n"
      "  larcc compile RULE.larc -o DIR [--dk n] [--dv n]\n"
      "                                         write a package: .cu, .cubin, "
      "manifest.json, .h\n"
      "  larcc verify RULE.larc [--chunk C] [--T n] [--dk n] [--dv n] "
      "[--seed s] [--dtype f64|f32]\n"
      "                                         chunk form vs fp64 recurrence\n");

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::MLIRContext context(registry);
  context.loadDialect<larc::LarcDialect>();
  // Users read diagnostics against their spec, not against generic IR.
  context.printOpOnDiagnostic(false);

  if (!compileCmd && !verifyCmd) {
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
  return runVerify(*module);
}
