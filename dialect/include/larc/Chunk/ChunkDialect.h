//===- ChunkDialect.h - the chunk level of larc -----------------*- C++ -*-===//

#ifndef LARC_CHUNK_CHUNKDIALECT_H
#define LARC_CHUNK_CHUNKDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "larc/Chunk/ChunkDialect.h.inc"

#define GET_OP_CLASSES
#include "larc/Chunk/ChunkOps.h.inc"

#endif // LARC_CHUNK_CHUNKDIALECT_H
