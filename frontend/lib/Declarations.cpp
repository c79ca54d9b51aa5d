//===- Declarations.cpp - names declared by a spec ------------------------===//

#include "Declarations.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace llvm;

namespace larc {
namespace {

class Declarer {
public:
  Declarer(const Source &source) : source(source) {}
  std::optional<Declarations> run(const ast::Spec &spec);

private:
  const Source &source;
  Declarations decls;
  unsigned index = 0; // the statement being declared
  // Every name a statement declares, to tell "declared later" from unknown.
  StringMap<SMLoc> laterDecls;

  LogicalResult error(SMLoc loc, const Twine &message) {
    mlir::emitError(source.loc(loc)) << message;
    return failure();
  }
  std::string where(SMLoc loc) const {
    return "line " + std::to_string(source.line(loc));
  }

  LogicalResult declareName(const ast::Ident &name, StringRef what);
  LogicalResult checkDim(const ast::Ident &dim);
  FailureOr<DimPolynomial> dimSize(const ast::Expr &expr);
  LogicalResult checkExpr(const ast::Expr &expr, bool &mentionsState,
                          StringRef defining);
  LogicalResult declareStmt(const ast::Stmt &stmt);
  LogicalResult checkComplete(const ast::Spec &spec);
};

} // namespace

static const char *kindName(Symbol::Kind kind) {
  switch (kind) {
  case Symbol::Input:
    return "an input";
  case Symbol::State:
    return "a state";
  case Symbol::Let:
    return "a 'let' name";
  case Symbol::Output:
    return "an output";
  }
  return "a name";
}

LogicalResult Declarer::declareName(const ast::Ident &name, StringRef what) {
  if (ast::isReservedName(name.name))
    return error(name.loc, "'" + name.name +
                               "' is a built-in name of the "
                               "language; choose another name "
                               "for this " +
                               what);
  if (Symbol *old = decls.lookup(name.name))
    return error(name.loc, "'" + name.name + "' is already declared, as " +
                               kindName(old->kind) + " at " +
                               where(old->stmt->loc));
  return success();
}

/// The size written after `dim F =`: integers and declared dims under `+`
/// and `*`.
FailureOr<DimPolynomial> Declarer::dimSize(const ast::Expr &expr) {
  using ast::Expr;
  switch (expr.kind) {
  case Expr::Number:
    if (expr.number >= 0 && expr.number == std::floor(expr.number) &&
        expr.number < 1e9)
      return DimPolynomial::constant(int64_t(expr.number));
    break;
  case Expr::Name:
    if (!decls.hasDim(expr.name)) {
      (void)checkDim({expr.name, expr.loc});
      return failure();
    }
    return decls.sizeOf(expr.name);
  case Expr::Add:
  case Expr::Mul: {
    FailureOr<DimPolynomial> lhs = dimSize(*expr.operands[0]);
    if (failed(lhs))
      return failure();
    FailureOr<DimPolynomial> rhs = dimSize(*expr.operands[1]);
    if (failed(rhs))
      return failure();
    return expr.kind == Expr::Add ? *lhs + *rhs : *lhs * *rhs;
  }
  default:
    break;
  }
  (void)error(expr.loc,
              "'" + source.quote(expr.range) +
                  "' cannot size a dimension; a size is built from "
                  "whole numbers and declared dimensions with '+' and "
                  "'*', as in 'dim F = 1 + K + K*K'");
  return failure();
}

LogicalResult Declarer::checkDim(const ast::Ident &dim) {
  if (decls.hasDim(dim.name))
    return success();
  std::string known;
  for (StringRef d : decls.dims)
    known += (known.empty() ? "" : ", ") + d.str();
  return error(dim.loc, "unknown dimension '" + dim.name + "'; " +
                            (known.empty() ? std::string("no dimension is "
                                                         "declared yet")
                                           : "declared dimensions: " + known) +
                            " (declare it with 'dim " + dim.name.str() + "')");
}

/// Checks every name in `expr` and records whether it reads a state.
LogicalResult Declarer::checkExpr(const ast::Expr &expr, bool &mentionsState,
                                  StringRef defining) {
  using ast::Expr;
  if (expr.kind == Expr::Call && expr.name == "prev") {
    const Expr *arg =
        expr.operands.size() == 1 ? expr.operands[0].get() : nullptr;
    Symbol *sym =
        arg && arg->kind == Expr::Name ? decls.lookup(arg->name) : nullptr;
    if (!sym || sym->kind != Symbol::State || sym->index >= index)
      return error(expr.loc, "'prev' takes the name of a state, as in "
                             "'prev(S)^T q', not '" +
                                 source.quote(expr.range) + "'");
    mentionsState = true;
    return success();
  }
  for (const auto &operand : expr.operands)
    if (failed(checkExpr(*operand, mentionsState, defining)))
      return failure();
  if (expr.kind != Expr::Name)
    return success();

  StringRef name = expr.name;
  if (name == "I" || name == "scale" || name == "head" || name == "position")
    return success();
  if (ast::isBuiltinFunction(name))
    return error(expr.loc, "'" + name + "' is a function; call it, as in '" +
                               name + "(x)'");
  if (name == "T")
    return error(expr.loc, "'T' stands alone; it only means the transpose "
                           "in 'x^T'");
  if (ast::isReservedName(name))
    return error(expr.loc, "'" + name + "' is a keyword, not a value");
  if (name == defining)
    return error(expr.loc, "'" + name + "' is used in its own definition");
  Symbol *sym = decls.lookup(name);
  if (!sym) {
    auto later = laterDecls.find(name);
    if (later != laterDecls.end())
      return error(expr.loc, "'" + name +
                                 "' is used before its declaration "
                                 "at " +
                                 where(later->second));
    if (decls.hasDim(name))
      return error(expr.loc, "'" + name +
                                 "' is a dimension, not a value; "
                                 "dimensions appear only in "
                                 "'[...]' of declarations");
    std::string message = "unknown name '" + name.str() + "'";
    // Suggest a close declared name: most typos are one or two edits.
    // At most one edit per two characters: 'S' is no typo of 'q'. Ties go
    // to the first name in sorted order, so the hint does not depend on
    // hashing.
    unsigned limit = std::min<size_t>(2, name.size() / 2), bestDistance = 0;
    StringRef best;
    for (const auto &entry : decls.symbols) {
      if (entry.second.kind == Symbol::Output)
        continue;
      unsigned distance = name.edit_distance(entry.first(), true, limit);
      if (distance > limit)
        continue;
      if (best.empty() || distance < bestDistance ||
          (distance == bestDistance && entry.first() < best))
        bestDistance = distance, best = entry.first();
    }
    if (!best.empty())
      message += "; did you mean '" + best.str() + "'?";
    return error(expr.loc, message);
  }
  if (sym->index >= index)
    return error(expr.loc, "'" + name + "' is used before its declaration at " +
                               where(sym->stmt->loc));
  switch (sym->kind) {
  case Symbol::Output:
    return error(expr.loc, "'" + name +
                               "' is an output and cannot be read "
                               "back; name the value with 'let' "
                               "and use that name");
  case Symbol::State:
    mentionsState = true;
    break;
  case Symbol::Let:
    mentionsState |= sym->mentionsState;
    break;
  case Symbol::Input:
    break;
  }
  return success();
}

static std::optional<Role> parseRole(StringRef role) {
  return StringSwitch<std::optional<Role>>(role)
      .Case("query", Role::Query)
      .Case("key", Role::Key)
      .Case("value", Role::Value)
      .Case("log_gate", Role::LogGate)
      .Case("gate", Role::Gate)
      .Case("coefficient", Role::Coefficient)
      .Default(std::nullopt);
}

LogicalResult Declarer::declareStmt(const ast::Stmt &stmt) {
  auto addSymbol = [&](Symbol::Kind kind, const ast::Ident &name) {
    Symbol &sym = decls.symbols[name.name];
    sym.kind = kind;
    sym.name = name.name;
    sym.stmt = &stmt;
    sym.index = index;
    decls.stmts.push_back({&stmt, &sym});
    return &sym;
  };

  switch (stmt.kind) {
  case ast::Stmt::Rule:
    decls.ruleName = stmt.name.name;
    decls.ruleLoc = stmt.loc;
    decls.stmts.push_back({&stmt, nullptr});
    return success();

  case ast::Stmt::Dim:
    for (const ast::Ident &dim : stmt.dims) {
      if (decls.hasDim(dim.name))
        return error(dim.loc, "dimension '" + dim.name + "' is declared twice");
      if (stmt.value) {
        FailureOr<DimPolynomial> size = dimSize(*stmt.value);
        if (failed(size))
          return failure();
        decls.derivedDims[dim.name] = *size;
      }
      decls.dims.push_back(dim.name);
    }
    decls.stmts.push_back({&stmt, nullptr});
    return success();

  case ast::Stmt::Input: {
    if (failed(declareName(stmt.name, "input")))
      return failure();
    std::optional<Role> role = parseRole(stmt.role.name);
    if (!role)
      return error(stmt.role.loc,
                   "unknown role '" + stmt.role.name +
                       "'; expected one of query, key, value, log_gate, "
                       "gate, coefficient");
    bool isVectorRole =
        *role == Role::Query || *role == Role::Key || *role == Role::Value;
    if (isVectorRole && stmt.dims.empty())
      return error(stmt.role.loc,
                   "input '" + stmt.name.name + "' has role '" +
                       stmt.role.name +
                       "', which is a vector; give its dimension, as in '" +
                       stmt.role.name + "[K]'");
    if (!stmt.dims.empty() && failed(checkDim(stmt.dims[0])))
      return failure();
    Symbol *sym = addSymbol(Symbol::Input, stmt.name);
    sym->role = *role;
    if (!stmt.dims.empty())
      sym->dim = stmt.dims[0].name;
    return success();
  }

  case ast::Stmt::State: {
    if (failed(declareName(stmt.name, "state")))
      return failure();
    if (stmt.dims.size() > 2)
      return error(stmt.dims[2].loc,
                   "state '" + stmt.name.name +
                       "' has more than two dimensions; a state is a matrix "
                       "'[K, V]' or a vector '[K]'");
    for (const ast::Ident &dim : stmt.dims)
      if (failed(checkDim(dim)))
        return failure();
    Symbol *sym = addSymbol(Symbol::State, stmt.name);
    sym->keyDim = stmt.dims[0].name;
    if (stmt.dims.size() == 2)
      sym->valueDim = stmt.dims[1].name;
    return success();
  }

  case ast::Stmt::Let: {
    if (failed(declareName(stmt.name, "'let' name")))
      return failure();
    bool mentionsState = false;
    if (failed(checkExpr(*stmt.value, mentionsState, stmt.name.name)))
      return failure();
    addSymbol(Symbol::Let, stmt.name)->mentionsState = mentionsState;
    return success();
  }

  case ast::Stmt::Assign: {
    const ast::Ident &target = stmt.name;
    Symbol *sym = decls.lookup(target.name);
    if (sym && sym->kind == Symbol::State) {
      if (sym->update) {
        auto diag = mlir::emitError(source.loc(target.loc))
                    << "state '" << target.name << "' is updated twice; a "
                    << "state has one update line (first at "
                    << where(sym->update->loc) << ")";
        diag.attachNote(source.loc(sym->update->loc)) << "first update here";
        return failure();
      }
      bool mentionsState = false;
      if (failed(checkExpr(*stmt.value, mentionsState, "")))
        return failure();
      sym->update = &stmt;
      decls.stmts.push_back({&stmt, sym});
      return success();
    }
    if (sym && sym->kind == Symbol::Output) {
      auto diag = mlir::emitError(source.loc(target.loc))
                  << "output '" << target.name << "' is written twice (first "
                  << "at " << where(sym->stmt->loc) << ")";
      diag.attachNote(source.loc(sym->stmt->loc)) << "first written here";
      return failure();
    }
    if (sym)
      return error(target.loc, "cannot assign to '" + target.name + "': it " +
                                   "is " + kindName(sym->kind) +
                                   "; only states and outputs are assigned");
    if (ast::isReservedName(target.name))
      return error(target.loc, "cannot assign to '" + target.name +
                                   "': it is a built-in name");
    // Without this, an update above its state's declaration would silently
    // make an output and then clash with the declaration.
    auto later = laterDecls.find(target.name);
    if (later != laterDecls.end())
      return error(target.loc, "'" + target.name +
                                   "' is assigned before its declaration at " +
                                   where(later->second) +
                                   "; declare a state before its update");
    bool mentionsState = false;
    if (failed(checkExpr(*stmt.value, mentionsState, target.name)))
      return failure();
    addSymbol(Symbol::Output, target);
    return success();
  }
  }
  return success();
}

LogicalResult Declarer::checkComplete(const ast::Spec &spec) {
  if (decls.dims.empty())
    return error(decls.ruleLoc, "rule '" + decls.ruleName +
                                    "' declares no dimensions; add a line "
                                    "such as 'dim K, V'");
  for (auto [stmt, sym] : decls.stmts)
    if (sym && sym->kind == Symbol::State && !sym->update)
      return error(stmt->name.loc, "state '" + sym->name +
                                       "' is never updated; add a line '" +
                                       sym->name + " = ...'");
  bool hasOutput = llvm::any_of(decls.stmts, [](auto entry) {
    return entry.second && entry.second->kind == Symbol::Output;
  });
  if (!hasOutput)
    return error(decls.ruleLoc, "rule '" + decls.ruleName +
                                    "' has no output; add a line such as "
                                    "'o = S^T q'");
  return success();
}

std::optional<Declarations> Declarer::run(const ast::Spec &spec) {
  for (const ast::Stmt &stmt : spec.stmts)
    if (stmt.kind == ast::Stmt::Input || stmt.kind == ast::Stmt::State ||
        stmt.kind == ast::Stmt::Let)
      laterDecls.try_emplace(stmt.name.name, stmt.loc);
  for (const ast::Stmt &stmt : spec.stmts) {
    if (failed(declareStmt(stmt)))
      return std::nullopt;
    ++index;
  }
  if (failed(checkComplete(spec)))
    return std::nullopt;
  return std::move(decls);
}

std::optional<Declarations> declare(const ast::Spec &spec,
                                    const Source &source) {
  return Declarer(source).run(spec);
}

} // namespace larc
