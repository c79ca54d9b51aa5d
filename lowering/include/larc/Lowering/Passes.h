//===- Passes.h - larc passes ----------------------------------*- C++ -*-===//

#ifndef LARC_LOWERING_PASSES_H
#define LARC_LOWERING_PASSES_H

#include "larc/Chunk/ChunkDialect.h"
#include "larc/Dialect/LarcDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace larc {

#define GEN_PASS_DECL
#include "larc/Lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "larc/Lowering/Passes.h.inc"

} // namespace larc

#endif // LARC_LOWERING_PASSES_H
