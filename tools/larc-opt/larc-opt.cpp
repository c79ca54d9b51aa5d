//===- larc-opt.cpp - mlir-opt with the larc dialects and passes ----------===//

#include "larc/Dialect/LarcDialect.h"
#include "larc/Lowering/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  larc::registerLarcPasses();

  mlir::DialectRegistry registry;
  registry.insert<larc::LarcDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "larc optimizer driver\n", registry));
}
