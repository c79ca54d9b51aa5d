//===- larcc.cpp - the larc compiler driver -------------------------------===//
//
//   larcc compile RULE.larc --emit=mlir     print the rule's dialect IR
//
//===----------------------------------------------------------------------===//

#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/Parser.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {
cl::SubCommand compileCmd("compile", "Compile a .larc rule");

cl::opt<std::string> compileInput(cl::Positional, cl::desc("<rule.larc>"),
                                  cl::Required, cl::sub(compileCmd));

enum class Emit { Mlir };
cl::opt<Emit> emit("emit", cl::desc("What to print"), cl::init(Emit::Mlir),
                   cl::values(clEnumValN(Emit::Mlir, "mlir",
                                         "the rule's larc dialect IR")),
                   cl::sub(compileCmd));

cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::sub(compileCmd));
} // namespace

static int runCompile(mlir::MLIRContext &context) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      larc::parseSpecFile(compileInput, &context);
  if (!module)
    return 1;
  std::string error;
  auto output = mlir::openOutputFile(outputPath, &error);
  if (!output) {
    errs() << "larcc: " << error << "\n";
    return 1;
  }
  switch (emit) {
  case Emit::Mlir:
    module->print(output->os());
    output->os() << "\n";
    break;
  }
  output->keep();
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(
      argc, argv,
      "larc: ahead-of-time compiler for linear-attention recurrences\n\n"
      "  larcc compile RULE.larc --emit=mlir   print the rule's dialect IR\n");

  mlir::MLIRContext context;
  context.loadDialect<larc::LarcDialect>();
  if (compileCmd)
    return runCompile(context);
  errs() << "larcc: no command given; see `larcc --help`\n";
  return 1;
}
