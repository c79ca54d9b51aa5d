//===- Parser.cpp - recursive-descent parser for .larc specs --------------===//
//
// Grammar (docs/spec-language.md), one statement per line:
//
//   spec      := 'rule' NAME (NEWLINE stmt)*
//   stmt      := 'dim' NAME (',' NAME)* | 'dim' NAME '=' expr
//              | 'input' NAME ':' NAME ('[' NAME ']')?
//              | 'state' NAME ':' '[' NAME (',' NAME)* ']'
//              | 'let' NAME '=' expr
//              | NAME '=' expr
//   expr      := product (('+' | '-') product)*
//   product   := unary (('*' | '/') unary | power)*      juxtaposition
//   multiplies unary     := '-' unary | power power     := postfix ('^' unary)?
//   right-associative postfix   := primary ('^' 'T')* primary   := NUMBER |
//   FUNCTION '(' (expr (',' expr)*)? ')' | NAME
//              | '(' expr ')'
//
//===----------------------------------------------------------------------===//

#include "larc/Frontend/AST.h"
#include "larc/Frontend/Lexer.h"
#include "larc/Frontend/ParserImpl.h"
#include "larc/Frontend/Source.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace llvm;

namespace larc {
namespace ast {

bool isBuiltinFunction(StringRef name) {
  return StringSwitch<bool>(name)
      .Cases(
          {"exp", "log", "sqrt", "sigmoid", "softplus", "relu", "elu", "silu"},
          true)
      .Cases({"abs", "softmax", "l2norm", "diag", "dot", "prev", "solve"}, true)
      .Cases({"kron", "concat", "mod", "min", "max"}, true)
      .Default(false);
}

bool isReservedName(StringRef name) {
  return isBuiltinFunction(name) ||
         StringSwitch<bool>(name)
             .Cases({"rule", "dim", "input", "state", "let"}, true)
             .Cases({"I", "scale", "head", "position", "T"}, true)
             .Default(false);
}

} // namespace ast

namespace {

using ast::Expr;
using ast::Stmt;
using ExprPtr = std::unique_ptr<Expr>;

class Parser {
public:
  Parser(const Source &source)
      : source(source), tokens(lex(source.getBuffer())) {}

  std::optional<ast::Spec> parseSpec();

private:
  const Source &source;
  std::vector<Token> tokens;
  size_t pos = 0;
  unsigned depth = 0;

  const Token &cur() const { return tokens[pos]; }
  const Token &peek() const {
    return tokens[std::min(pos + 1, tokens.size() - 1)];
  }
  Token consume() {
    Token token = cur();
    if (!token.is(Token::Eof))
      ++pos;
    return token;
  }

  /// Emits an error at `loc`; parsing stops at the first one.
  std::nullptr_t error(SMLoc loc, const Twine &message) {
    mlir::emitError(source.loc(loc)) << message;
    return nullptr;
  }
  /// Reports the current token as not being `expected`.
  std::nullptr_t unexpected(const Twine &expected) {
    const Token &token = cur();
    if (token.is(Token::BadChar))
      return error(token.getLoc(), "unexpected character " +
                                       describeToken(token) +
                                       "; it is not part of the language");
    if (token.is(Token::BadNumber))
      return error(token.getLoc(),
                   "malformed number " + describeToken(token) +
                       " (numbers look like 2, 0.5 or 1e-3; write a space "
                       "between a number and a name)");
    return error(token.getLoc(),
                 "expected " + expected + ", found " + describeToken(token));
  }

  /// Counts nesting so hostile input cannot overflow the stack.
  struct DepthGuard {
    Parser &parser;
    bool ok;
    DepthGuard(Parser &parser, SMLoc loc) : parser(parser) {
      ok = ++parser.depth <= ast::kMaxExprDepth;
      if (!ok)
        parser.error(loc, "expression is nested too deeply (more than " +
                              Twine(ast::kMaxExprDepth) + " levels)");
    }
    ~DepthGuard() { --parser.depth; }
  };

  std::optional<ast::Ident> parseIdent(const Twine &what);
  bool parseStatement(ast::Spec &spec, bool first);
  bool expectEndOfStatement();

  ExprPtr makeNode(Expr::Kind kind, SMLoc loc, SMRange range,
                   std::vector<ExprPtr> operands);
  ExprPtr parseExpr();
  ExprPtr parseProduct();
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  ExprPtr parseCall();
  bool closeParen(SMLoc open, const Twine &context);
  bool startsFactor(const Token &token) const;
};

} // namespace

std::optional<ast::Ident> Parser::parseIdent(const Twine &what) {
  if (!cur().is(Token::Identifier)) {
    unexpected(what);
    return std::nullopt;
  }
  Token token = consume();
  return ast::Ident{token.text, token.getLoc()};
}

std::optional<ast::Spec> Parser::parseSpec() {
  ast::Spec spec;
  spec.end = SMLoc::getFromPointer(source.getBuffer().end());
  bool first = true;
  while (cur().is(Token::Newline))
    consume();
  if (cur().is(Token::Eof)) {
    error(cur().getLoc(), "the spec is empty; it must start with 'rule NAME'");
    return std::nullopt;
  }
  while (!cur().is(Token::Eof)) {
    if (!parseStatement(spec, first) || !expectEndOfStatement())
      return std::nullopt;
    first = false;
  }
  return spec;
}

bool Parser::expectEndOfStatement() {
  if (cur().is(Token::Newline)) {
    consume();
    return true;
  }
  if (cur().is(Token::Eof))
    return true;
  if (cur().is(Token::RParen))
    return error(cur().getLoc(), "unmatched ')'"), false;
  return unexpected("the end of the statement"), false;
}

bool Parser::parseStatement(ast::Spec &spec, bool first) {
  const Token &start = cur();
  Stmt stmt;
  stmt.loc = start.getLoc();
  if (first && !start.isIdentifier("rule")) {
    if (start.is(Token::BadChar) || start.is(Token::BadNumber))
      return unexpected(""), false;
    return error(start.getLoc(),
                 "expected 'rule NAME' as the first statement, found " +
                     describeToken(start) +
                     "; every spec starts by naming its rule"),
           false;
  }

  if (!start.is(Token::Identifier))
    return unexpected("a statement ('rule', 'dim', 'input', 'state', 'let' "
                      "or 'NAME = EXPR')"),
           false;

  StringRef keyword = start.text;
  if (keyword == "rule") {
    consume();
    stmt.kind = Stmt::Rule;
    auto name = parseIdent("the rule's name after 'rule'");
    if (!name)
      return false;
    stmt.name = *name;
  } else if (keyword == "dim") {
    consume();
    stmt.kind = Stmt::Dim;
    do {
      auto dim = parseIdent("a dimension name");
      if (!dim)
        return false;
      stmt.dims.push_back(*dim);
    } while (cur().is(Token::Comma) && (consume(), true));
    // `dim F = 1 + K + K*K`: a dimension sized by others.
    if (stmt.dims.size() == 1 && cur().is(Token::Equal)) {
      consume();
      if (!(stmt.value = parseExpr()))
        return false;
    }
  } else if (keyword == "input") {
    consume();
    stmt.kind = Stmt::Input;
    auto name = parseIdent("the input's name after 'input'");
    if (!name)
      return false;
    stmt.name = *name;
    if (!cur().is(Token::Colon))
      return unexpected("':' and a role after the input's name, as in "
                        "'input k : key[K]'"),
             false;
    consume();
    auto role = parseIdent("a role (query, key, value, log_gate, gate or "
                           "coefficient)");
    if (!role)
      return false;
    stmt.role = *role;
    if (cur().is(Token::LBracket)) {
      SMLoc open = consume().getLoc();
      auto dim = parseIdent("a dimension name in '[...]'");
      if (!dim)
        return false;
      stmt.dims.push_back(*dim);
      if (!cur().is(Token::RBracket)) {
        if (cur().is(Token::Newline) || cur().is(Token::Eof))
          return error(open, "unterminated '['; expected ']' before " +
                                 describeToken(cur())),
                 false;
        return unexpected("']' (an input has at most one dimension)"), false;
      }
      consume();
    }
  } else if (keyword == "state") {
    consume();
    stmt.kind = Stmt::State;
    auto name = parseIdent("the state's name after 'state'");
    if (!name)
      return false;
    stmt.name = *name;
    if (!cur().is(Token::Colon))
      return unexpected("':' and the state's shape after its name, as in "
                        "'state S : [K, V]'"),
             false;
    consume();
    if (!cur().is(Token::LBracket))
      return unexpected("the state's shape in brackets, as in '[K, V]'"), false;
    SMLoc open = consume().getLoc();
    do {
      auto dim = parseIdent("a dimension name in '[...]'");
      if (!dim)
        return false;
      stmt.dims.push_back(*dim);
    } while (cur().is(Token::Comma) && (consume(), true));
    if (!cur().is(Token::RBracket)) {
      if (cur().is(Token::Newline) || cur().is(Token::Eof))
        return error(open, "unterminated '['; expected ']' before " +
                               describeToken(cur())),
               false;
      return unexpected("',' or ']' in the state's shape"), false;
    }
    consume();
  } else if (keyword == "let") {
    consume();
    stmt.kind = Stmt::Let;
    auto name = parseIdent("a name after 'let'");
    if (!name)
      return false;
    stmt.name = *name;
    if (!cur().is(Token::Equal))
      return unexpected("'=' after 'let " + name->name + "'"), false;
    consume();
    if (!(stmt.value = parseExpr()))
      return false;
  } else if (peek().is(Token::Equal)) {
    stmt.kind = Stmt::Assign;
    Token name = consume();
    stmt.name = {name.text, name.getLoc()};
    consume();
    if (!(stmt.value = parseExpr()))
      return false;
  } else {
    return error(start.getLoc(),
                 "expected a statement ('rule', 'dim', 'input', 'state', "
                 "'let' or 'NAME = EXPR'), found " +
                     describeToken(start) + " followed by " +
                     describeToken(peek())),
           false;
  }

  if (stmt.kind == Stmt::Rule && !first)
    return error(start.getLoc(),
                 "a second 'rule' line; a spec describes one rule, named on "
                 "its first line"),
           false;
  spec.stmts.push_back(std::move(stmt));
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

ExprPtr Parser::makeNode(Expr::Kind kind, SMLoc loc, SMRange range,
                         std::vector<ExprPtr> operands) {
  auto node = std::make_unique<Expr>();
  node->kind = kind;
  node->loc = loc;
  node->range = range;
  for (const ExprPtr &operand : operands)
    node->depth = std::max(node->depth, operand->depth + 1);
  node->operands = std::move(operands);
  // Left-associative chains grow without recursion in the parser; cap them
  // here so walking the tree later cannot overflow the stack either.
  if (node->depth > ast::kMaxExprDepth)
    return error(range.Start, "expression is nested too deeply (more than " +
                                  Twine(ast::kMaxExprDepth) + " levels)");
  return node;
}

static std::vector<ExprPtr> operandList(ExprPtr a, ExprPtr b = nullptr) {
  std::vector<ExprPtr> list;
  list.push_back(std::move(a));
  if (b)
    list.push_back(std::move(b));
  return list;
}

ExprPtr Parser::parseExpr() {
  DepthGuard guard(*this, cur().getLoc());
  if (!guard.ok)
    return nullptr;
  ExprPtr lhs = parseProduct();
  while (lhs && (cur().is(Token::Plus) || cur().is(Token::Minus))) {
    Token op = consume();
    ExprPtr rhs = parseProduct();
    if (!rhs)
      return nullptr;
    SMRange range(lhs->range.Start, rhs->range.End);
    lhs = makeNode(op.is(Token::Plus) ? Expr::Add : Expr::Sub, op.getLoc(),
                   range, operandList(std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

bool Parser::startsFactor(const Token &token) const {
  return token.is(Token::Identifier) || token.is(Token::Number) ||
         token.is(Token::LParen);
}

ExprPtr Parser::parseProduct() {
  ExprPtr lhs = parseUnary();
  while (lhs) {
    ExprPtr rhs;
    Expr::Kind kind = Expr::Mul;
    SMLoc loc;
    if (cur().is(Token::Star) || cur().is(Token::Slash)) {
      Token op = consume();
      kind = op.is(Token::Star) ? Expr::Mul : Expr::Div;
      loc = op.getLoc();
      rhs = parseUnary();
    } else if (startsFactor(cur())) {
      // Juxtaposition `a b` multiplies; the op points at the right factor.
      loc = cur().getLoc();
      rhs = parsePower();
    } else {
      break;
    }
    if (!rhs)
      return nullptr;
    SMRange range(lhs->range.Start, rhs->range.End);
    lhs =
        makeNode(kind, loc, range, operandList(std::move(lhs), std::move(rhs)));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (!cur().is(Token::Minus))
    return parsePower();
  Token minus = consume();
  DepthGuard guard(*this, minus.getLoc());
  if (!guard.ok)
    return nullptr;
  ExprPtr operand = parseUnary();
  if (!operand)
    return nullptr;
  SMRange range(minus.getLoc(), operand->range.End);
  // A negative literal is a constant, not a negation.
  if (operand->kind == Expr::Number) {
    operand->number = -operand->number;
    operand->loc = minus.getLoc();
    operand->range = range;
    return operand;
  }
  return makeNode(Expr::Neg, minus.getLoc(), range,
                  operandList(std::move(operand)));
}

ExprPtr Parser::parsePower() {
  ExprPtr base = parsePostfix();
  if (!base || !cur().is(Token::Caret))
    return base;
  Token caret = consume();
  DepthGuard guard(*this, caret.getLoc());
  if (!guard.ok)
    return nullptr;
  ExprPtr exponent = parseUnary();
  if (!exponent)
    return nullptr;
  SMRange range(base->range.Start, exponent->range.End);
  return makeNode(Expr::Pow, caret.getLoc(), range,
                  operandList(std::move(base), std::move(exponent)));
}

ExprPtr Parser::parsePostfix() {
  ExprPtr operand = parsePrimary();
  while (operand && cur().is(Token::Caret) && peek().isIdentifier("T")) {
    Token caret = consume();
    Token t = consume();
    SMRange range(operand->range.Start, t.getEndLoc());
    operand = makeNode(Expr::Transpose, caret.getLoc(), range,
                       operandList(std::move(operand)));
  }
  return operand;
}

bool Parser::closeParen(SMLoc open, const Twine &context) {
  if (cur().is(Token::RParen)) {
    consume();
    return true;
  }
  if (cur().is(Token::Newline) || cur().is(Token::Eof))
    return error(open, "unterminated '('; expected ')' before " +
                           describeToken(cur())),
           false;
  return unexpected(context), false;
}

ExprPtr Parser::parsePrimary() {
  const Token &token = cur();
  switch (token.kind) {
  case Token::Number: {
    Token number = consume();
    double value = 0;
    if (number.text.getAsDouble(value) || !std::isfinite(value))
      return error(number.getLoc(),
                   "number " + describeToken(number) + " is out of range");
    auto node = makeNode(Expr::Number, number.getLoc(),
                         SMRange(number.getLoc(), number.getEndLoc()), {});
    node->number = value;
    return node;
  }
  case Token::Identifier:
    if (ast::isBuiltinFunction(token.text) && peek().is(Token::LParen))
      return parseCall();
    {
      Token name = consume();
      auto node = makeNode(Expr::Name, name.getLoc(),
                           SMRange(name.getLoc(), name.getEndLoc()), {});
      node->name = name.text;
      return node;
    }
  case Token::LParen: {
    SMLoc open = consume().getLoc();
    ExprPtr inner = parseExpr();
    if (!inner)
      return nullptr;
    SMLoc close = cur().getEndLoc();
    if (!closeParen(open, "')' or an operator"))
      return nullptr;
    // The parentheses belong to the term when it is quoted.
    inner->range = SMRange(open, close);
    return inner;
  }
  case Token::RParen:
    return error(token.getLoc(), "expected an expression, found ')'");
  default:
    return unexpected("an expression");
  }
}

ExprPtr Parser::parseCall() {
  Token name = consume();
  SMLoc open = consume().getLoc();
  std::vector<ExprPtr> args;
  if (!cur().is(Token::RParen)) {
    while (true) {
      ExprPtr arg = parseExpr();
      if (!arg)
        return nullptr;
      args.push_back(std::move(arg));
      if (!cur().is(Token::Comma))
        break;
      consume();
    }
  }
  SMLoc close = cur().getEndLoc();
  if (!closeParen(open, "',' or ')' in the call to '" + name.text + "'"))
    return nullptr;
  auto node = makeNode(Expr::Call, name.getLoc(), SMRange(name.getLoc(), close),
                       std::move(args));
  if (node)
    node->name = name.text;
  return node;
}

std::optional<ast::Spec> parseSyntax(const Source &source) {
  return Parser(source).parseSpec();
}

} // namespace larc
