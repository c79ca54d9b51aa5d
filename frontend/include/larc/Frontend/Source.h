//===- Source.h - source positions for diagnostics -------------*- C++ -*-===//

#ifndef LARC_FRONTEND_SOURCE_H
#define LARC_FRONTEND_SOURCE_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

#include <string>

namespace larc {

/// The main buffer of a SourceMgr, seen as file:line:col locations.
class Source {
public:
  Source(llvm::SourceMgr &sourceMgr, mlir::MLIRContext *context);

  llvm::StringRef getBuffer() const { return buffer; }
  mlir::MLIRContext *getContext() const { return context; }

  /// A FileLineColLoc for a position in the buffer.
  mlir::Location loc(llvm::SMLoc pos) const;

  /// The text of `range`, whitespace runs collapsed and long text elided, for
  /// quoting a term in a message.
  std::string quote(llvm::SMRange range) const;

  /// The line number of a position, for "first declared at line N".
  unsigned line(llvm::SMLoc pos) const;

private:
  llvm::SourceMgr &sourceMgr;
  mlir::MLIRContext *context;
  unsigned bufferId;
  llvm::StringRef buffer;
  mlir::StringAttr fileName;
};

} // namespace larc

#endif // LARC_FRONTEND_SOURCE_H
