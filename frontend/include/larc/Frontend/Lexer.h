//===- Lexer.h - tokens of the .larc spec language ------------*- C++ -*-===//
//
// The lexer turns a spec buffer into tokens. Statements end at a newline,
// except that a line ending in an operator, '(', '[', ',', ':' or '='
// continues on the next line, so the lexer drops such newlines itself.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_FRONTEND_LEXER_H
#define LARC_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <vector>

namespace larc {

struct Token {
  enum Kind {
    Eof,
    Newline,
    Identifier,
    Number,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Equal,
    // A character the language does not use, or a malformed number; `text`
    // holds the offending characters.
    BadChar,
    BadNumber,
  };

  Kind kind = Eof;
  /// The token's characters in the buffer; empty for Eof, "\n" for Newline.
  llvm::StringRef text;

  llvm::SMLoc getLoc() const {
    return llvm::SMLoc::getFromPointer(text.data());
  }
  /// One past the token's last character.
  llvm::SMLoc getEndLoc() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
  bool is(Kind k) const { return kind == k; }
  bool isIdentifier(llvm::StringRef name) const {
    return kind == Identifier && text == name;
  }
};

/// How a token reads in a diagnostic: 'x', or a phrase for newline/end.
std::string describeToken(const Token &token);

/// Splits `buffer` into tokens, ending with exactly one Eof token. Bad
/// characters become BadChar/BadNumber tokens; the parser reports the first
/// one it meets, so errors come out in source order.
std::vector<Token> lex(llvm::StringRef buffer);

} // namespace larc

#endif // LARC_FRONTEND_LEXER_H
