//===- AST.h - the parsed form of a .larc spec -----------------*- C++ -*-===//
//
// A small untyped syntax tree: the parser builds it, IRGen type-checks it
// while it emits the larc dialect. Every node keeps its source range so that
// diagnostics can point at it and quote it.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_FRONTEND_AST_H
#define LARC_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <memory>
#include <vector>

namespace larc {
namespace ast {

/// An expression. One struct for all kinds keeps the tree small to walk.
struct Expr {
  enum Kind {
    Number,    // `number`
    Name,      // `name`
    Neg,       // -operands[0]
    Add,       // operands[0] + operands[1]
    Sub,       // operands[0] - operands[1]
    Mul,       // operands[0] * operands[1], or juxtaposed
    Div,       // operands[0] / operands[1]
    Pow,       // operands[0] ^ operands[1]
    Transpose, // operands[0]^T
    Call,      // name(operands...)
  };

  Kind kind;
  /// Where ops built for this node point: the operator of a binary node, the
  /// start of anything else.
  llvm::SMLoc loc;
  /// The whole term, for quoting it in diagnostics.
  llvm::SMRange range;
  /// Height of the tree below this node (1 for a leaf); capped by the parser.
  unsigned depth = 1;
  double number = 0;
  llvm::StringRef name;
  std::vector<std::unique_ptr<Expr>> operands;

  bool isBinary() const { return kind >= Add && kind <= Pow; }
};

/// A name with the place it is written.
struct Ident {
  llvm::StringRef name;
  llvm::SMLoc loc;
};

/// One line of a spec.
struct Stmt {
  enum Kind {
    Rule,   // rule name
    Dim,    // dim dims...
    Input,  // input name : role [dims[0]]
    State,  // state name : [dims...]
    Let,    // let name = value
    Assign, // name = value: a state update or an output
  };

  Kind kind;
  llvm::SMLoc loc; // the statement's first token
  Ident name;
  Ident role;
  std::vector<Ident> dims;
  std::unique_ptr<Expr> value;
};

struct Spec {
  std::vector<Stmt> stmts;
  llvm::SMLoc end; // end of the buffer
};

/// Functions the language knows; `NAME(` is a call only for these, otherwise
/// it is NAME juxtaposed with a parenthesised factor.
bool isBuiltinFunction(llvm::StringRef name);
/// Names with a fixed meaning that a spec may not redeclare: statement
/// keywords, functions, `I`, `scale`, `head` and `T` (of `^T`).
bool isReservedName(llvm::StringRef name);

/// Deepest expression tree (and parser recursion) the frontend accepts; keeps
/// deeply nested input from exhausting the stack.
constexpr unsigned kMaxExprDepth = 200;

} // namespace ast
} // namespace larc

#endif // LARC_FRONTEND_AST_H
