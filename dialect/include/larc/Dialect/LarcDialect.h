//===- LarcDialect.h - the larc dialect -------------------------*- C++ -*-===//

#ifndef LARC_DIALECT_LARCDIALECT_H
#define LARC_DIALECT_LARCDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "larc/Dialect/LarcDialect.h.inc"
#include "larc/Dialect/LarcEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "larc/Dialect/LarcTypes.h.inc"

#define GET_OP_CLASSES
#include "larc/Dialect/LarcOps.h.inc"

#endif // LARC_DIALECT_LARCDIALECT_H
