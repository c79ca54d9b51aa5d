//===- LarcTypes.cpp - larc types -----------------------------------------===//
//
// Dimensions print as bare identifiers: !larc.vec<K>, !larc.mat<K, V>,
// !larc.state<K, V>, !larc.state<K>.
//
//===----------------------------------------------------------------------===//

#include "larc/Dialect/LarcDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace larc;

#define GET_TYPEDEF_CLASSES
#include "larc/Dialect/LarcTypes.cpp.inc"

void LarcDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "larc/Dialect/LarcTypes.cpp.inc"
      >();
}

static ParseResult parseDim(AsmParser &parser, StringAttr &dim) {
  std::string name;
  if (parser.parseKeywordOrString(&name))
    return failure();
  dim = parser.getBuilder().getStringAttr(name);
  return success();
}

Type VecType::parse(AsmParser &parser) {
  StringAttr dim;
  if (parser.parseLess() || parseDim(parser, dim) || parser.parseGreater())
    return {};
  return VecType::get(parser.getContext(), dim);
}

void VecType::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printKeywordOrString(getDim().getValue());
  printer << ">";
}

Type MatType::parse(AsmParser &parser) {
  StringAttr rows, cols;
  if (parser.parseLess() || parseDim(parser, rows) || parser.parseComma() ||
      parseDim(parser, cols) || parser.parseGreater())
    return {};
  return MatType::get(parser.getContext(), rows, cols);
}

void MatType::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printKeywordOrString(getRows().getValue());
  printer << ", ";
  printer.printKeywordOrString(getCols().getValue());
  printer << ">";
}

Type StateType::parse(AsmParser &parser) {
  StringAttr key, value;
  if (parser.parseLess() || parseDim(parser, key))
    return {};
  if (succeeded(parser.parseOptionalComma()) && parseDim(parser, value))
    return {};
  if (parser.parseGreater())
    return {};
  return StateType::get(parser.getContext(), key, value);
}

void StateType::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printKeywordOrString(getKeyDim().getValue());
  if (getValueDim()) {
    printer << ", ";
    printer.printKeywordOrString(getValueDim().getValue());
  }
  printer << ">";
}
