//===- Parser.h - the .larc spec language -> larc dialect ------*- C++ -*-===//
//
// The spec language is described in docs/spec-language.md.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_FRONTEND_PARSER_H
#define LARC_FRONTEND_PARSER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

namespace larc {

/// Parses the main buffer of `sourceMgr` as a .larc spec into a module holding
/// one verified `larc.rule`. Each error is emitted through the context's
/// diagnostic engine with a FileLineColLoc into the buffer (file:line:col);
/// returns null after the first error. Never aborts on malformed input.
mlir::OwningOpRef<mlir::ModuleOp> parseSpec(llvm::SourceMgr &sourceMgr,
                                            mlir::MLIRContext *context);

/// Reads `path` and parses it with a SourceMgrDiagnosticHandler installed, so
/// errors print as `path:line:col: error: ...` with the source line.
mlir::OwningOpRef<mlir::ModuleOp> parseSpecFile(llvm::StringRef path,
                                                mlir::MLIRContext *context);

/// Reads `path` into `sourceMgr` and parses it, leaving diagnostics to the
/// caller's handler: a tool that keeps a SourceMgrDiagnosticHandler over
/// `sourceMgr` for its whole run gets file:line:col for the errors of later
/// stages (classification, derivation) too.
mlir::OwningOpRef<mlir::ModuleOp> parseSpecFile(llvm::StringRef path,
                                                mlir::MLIRContext *context,
                                                llvm::SourceMgr &sourceMgr);

} // namespace larc

#endif // LARC_FRONTEND_PARSER_H
