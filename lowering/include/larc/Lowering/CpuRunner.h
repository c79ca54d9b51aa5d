//===- CpuRunner.h - JIT-run the derived chunk form on the CPU -*- C++ -*-===//
//
// Derives a rule's chunk form, lowers it through MLIR's own pipeline
// (bufferization, linalg to loops, to the LLVM dialect) and runs it with
// MLIR's ExecutionEngine on the reference's tensors. What runs is what
// -larc-derive-chunk-form produced: no hand-written per-rule code.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_CPURUNNER_H
#define LARC_LOWERING_CPURUNNER_H

#include "larc/Dialect/LarcDialect.h"
#include "larc/Reference/Reference.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace mlir {
class ExecutionEngine;
}

namespace larc {

enum class CpuElementType { F64, F32 };

/// The JIT-compiled chunk program of one rule.
class ChunkProgram {
public:
  /// Derives and compiles `rule` (left untouched: a clone is derived). The
  /// pass pipeline reports problems through the context's diagnostics; the
  /// returned error then says which stage failed.
  static llvm::Expected<std::unique_ptr<ChunkProgram>>
  compile(RuleOp rule, int64_t chunkSize, CpuElementType elementType);

  /// Runs the program over `problem` (same conventions as the reference).
  /// Outputs and final states are poisoned with NaN before the run, so an
  /// element the program does not write shows up as NaN.
  llvm::Expected<reference::Result> run(const reference::Problem &problem);

  /// The derived chunk-level IR (before lowering), for --emit=chunk.
  static llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  derive(RuleOp rule, int64_t chunkSize, CpuElementType elementType);

  ~ChunkProgram();

  /// The derived function's arguments, by name (see -larc-derive-chunk-form).
  struct Signature;

private:
  ChunkProgram() = default;
  std::unique_ptr<Signature> signature;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  CpuElementType elementType = CpuElementType::F64;
};

} // namespace larc

#endif // LARC_LOWERING_CPURUNNER_H
