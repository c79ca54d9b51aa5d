//===- Frontend.cpp - the frontend's entry points -------------------------===//

#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/Parser.h"
#include "larc/Frontend/ParserImpl.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;

namespace larc {

OwningOpRef<ModuleOp> parseSpec(llvm::SourceMgr &sourceMgr,
                                MLIRContext *context) {
  context->getOrLoadDialect<LarcDialect>();
  Source source(sourceMgr, context);
  std::optional<ast::Spec> spec = parseSyntax(source);
  if (!spec)
    return nullptr;
  return generateIR(*spec, source);
}

OwningOpRef<ModuleOp> parseSpecFile(llvm::StringRef path, MLIRContext *context,
                                    llvm::SourceMgr &sourceMgr) {
  auto file = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code ec = file.getError()) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << "cannot open '" << path << "': " << ec.message();
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  return parseSpec(sourceMgr, context);
}

OwningOpRef<ModuleOp> parseSpecFile(llvm::StringRef path,
                                    MLIRContext *context) {
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, context);
  return parseSpecFile(path, context, sourceMgr);
}

} // namespace larc
