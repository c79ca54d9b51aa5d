//===- Source.cpp - source positions for diagnostics ----------------------===//

#include "larc/Frontend/Source.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"

using namespace llvm;

namespace larc {

Source::Source(SourceMgr &sourceMgr, mlir::MLIRContext *context)
    : sourceMgr(sourceMgr), context(context),
      bufferId(sourceMgr.getMainFileID()) {
  const MemoryBuffer *mb = sourceMgr.getMemoryBuffer(bufferId);
  buffer = mb->getBuffer();
  fileName = mlir::StringAttr::get(context, mb->getBufferIdentifier());
}

/// Clamps a position into the buffer so a stray pointer cannot trip the
/// SourceMgr.
static const char *clamp(StringRef buffer, SMLoc pos) {
  const char *p = pos.getPointer();
  if (!p || p < buffer.begin() || p > buffer.end())
    return buffer.end();
  return p;
}

mlir::Location Source::loc(SMLoc pos) const {
  auto [line, col] = sourceMgr.getLineAndColumn(
      SMLoc::getFromPointer(clamp(buffer, pos)), bufferId);
  return mlir::FileLineColLoc::get(fileName, line, col);
}

unsigned Source::line(SMLoc pos) const {
  return sourceMgr
      .getLineAndColumn(SMLoc::getFromPointer(clamp(buffer, pos)), bufferId)
      .first;
}

std::string Source::quote(SMRange range) const {
  const char *begin = clamp(buffer, range.Start);
  const char *end = clamp(buffer, range.End);
  if (end < begin)
    end = begin;
  std::string text;
  bool space = false;
  for (const char *p = begin; p != end; ++p) {
    char c = *p;
    if (c == '#') { // a comment inside a continued term
      while (p + 1 != end && p[1] != '\n')
        ++p;
      continue;
    }
    if (isSpace(c)) {
      space = !text.empty();
      continue;
    }
    if (space)
      text += ' ';
    space = false;
    if (isPrint(c))
      text += c;
    else
      text += "\\x" + utohexstr((unsigned char)c, /*LowerCase=*/true, 2);
  }
  constexpr size_t kMaxQuote = 48;
  if (text.size() > kMaxQuote)
    text = text.substr(0, kMaxQuote - 3) + "...";
  return text;
}

} // namespace larc
