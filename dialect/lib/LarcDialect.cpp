//===- LarcDialect.cpp - the larc dialect ---------------------------------===//

#include "larc/Dialect/LarcDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace larc;

#include "larc/Dialect/LarcDialect.cpp.inc"
#include "larc/Dialect/LarcEnums.cpp.inc"

void LarcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "larc/Dialect/LarcOps.cpp.inc"
      >();
  registerTypes();
}

Operation *LarcDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto f = dyn_cast<FloatAttr>(value);
  if (!f || !isa<ScalarType>(type))
    return nullptr;
  return ConstantOp::create(builder, loc, f.getValueAsDouble());
}
