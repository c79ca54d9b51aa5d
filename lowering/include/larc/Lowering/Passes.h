//===- Passes.h - larc passes ----------------------------------*- C++ -*-===//

#ifndef LARC_LOWERING_PASSES_H
#define LARC_LOWERING_PASSES_H

#include "larc/Dialect/LarcDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace larc {

#define GEN_PASS_DECL
#include "larc/Lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "larc/Lowering/Passes.h.inc"

} // namespace larc

#endif // LARC_LOWERING_PASSES_H
