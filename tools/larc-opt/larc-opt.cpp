//===- larc-opt.cpp - mlir-opt with the larc dialects and passes ----------===//
//
// Registers every upstream dialect and pass too, so the chunk programs larc
// derives can be lowered and inspected step by step with upstream passes.
//
//===----------------------------------------------------------------------===//

#include "larc/Chunk/ChunkDialect.h"
#include "larc/Dialect/LarcDialect.h"
#include "larc/Lowering/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  larc::registerLarcPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<larc::LarcDialect, larc::chunk::ChunkDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "larc optimizer driver\n", registry));
}
