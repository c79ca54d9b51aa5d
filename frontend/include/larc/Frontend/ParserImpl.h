//===- ParserImpl.h - the frontend's two stages ----------------*- C++ -*-===//
//
// parseSpec runs the parser (text -> AST) and then IRGen (AST -> larc
// dialect, type-checking as it goes). Both report through mlir::emitError at
// FileLineColLocs and stop at the first error.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_FRONTEND_PARSERIMPL_H
#define LARC_FRONTEND_PARSERIMPL_H

#include "larc/Frontend/AST.h"
#include "larc/Frontend/Source.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>

namespace larc {

/// Parses the source into a syntax tree; nullopt after an error.
std::optional<ast::Spec> parseSyntax(const Source &source);

/// Builds (and verifies) the module for a parsed spec; null after an error.
mlir::OwningOpRef<mlir::ModuleOp> generateIR(const ast::Spec &spec,
                                             const Source &source);

} // namespace larc

#endif // LARC_FRONTEND_PARSERIMPL_H
