//===- IRGen.cpp - a parsed spec -> one larc.rule -------------------------===//
//
// Builds the rule in a fixed order whatever the order of the source lines:
// inputs and states, then every state update (each reads only previous
// states), then every output (which read the updated states). 'let' names
// are elaborated where they are used, so `S` inside a 'let' means what it
// means at the use.
//
//===----------------------------------------------------------------------===//

#include "Declarations.h"
#include "Elaborator.h"
#include "larc/Frontend/ParserImpl.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;
using llvm::SMLoc;

namespace larc {
namespace {

class IRGen {
public:
  IRGen(const Source &source, Declarations &decls)
      : source(source), decls(decls), builder(source.getContext()),
        elaborator(source, decls, builder) {}

  OwningOpRef<ModuleOp> run();

private:
  const Source &source;
  Declarations &decls;
  OpBuilder builder;
  Elaborator elaborator;

  Location loc(SMLoc pos) const { return source.loc(pos); }
  void declare(Symbol &sym);
  LogicalResult buildUpdate(Symbol &state);
  LogicalResult buildOutput(const ast::Stmt &stmt);
  LogicalResult checkUnusedLets(Block &body);
};

} // namespace

void IRGen::declare(Symbol &sym) {
  MLIRContext *ctx = builder.getContext();
  Location at = loc(sym.stmt->name.loc);
  if (sym.kind == Symbol::Input) {
    Type type = sym.dim.empty()
                    ? Type(ScalarType::get(ctx))
                    : Type(VecType::get(ctx, builder.getStringAttr(sym.dim)));
    sym.value = InputOp::create(builder, at, type, sym.name, sym.role);
    return;
  }
  StringAttr valueDim =
      sym.valueDim.empty() ? StringAttr() : builder.getStringAttr(sym.valueDim);
  sym.value = StateOp::create(
      builder, at,
      StateType::get(ctx, builder.getStringAttr(sym.keyDim), valueDim),
      sym.name);
}

LogicalResult IRGen::buildUpdate(Symbol &state) {
  const ast::Stmt &stmt = *state.update;
  const ast::Expr &rhs = *stmt.value;
  FailureOr<Term> term = elaborator.elaborate(rhs, Context::Update, &state);
  if (failed(term))
    return failure();

  if (term->kind != Term::State && term->kind != Term::LinearSum) {
    elaborator.error(rhs.range.Start)
        << "the update of '" << state.name
        << "' drops the previous state: no term of '" << source.quote(rhs.range)
        << "' ends in '" << state.name << "'; write the transition as 'M "
        << state.name << "' (or '" << state.name
        << "' for the identity) plus the update";
    return failure();
  }

  // Split by linearity: the state-linear terms form the transition.
  Linear linear;
  if (term->kind == Term::State) {
    LinearTerm only;
    only.state = term->state;
    only.loc = only.stateLoc = term->loc;
    only.range = term->range;
    linear.terms.push_back(only);
  } else {
    linear = *term->linear;
  }
  for (const LinearTerm &t : linear.terms)
    if (t.state != &state) {
      elaborator.error(t.loc)
          << "the term '" << source.quote(t.range) << "' ends in the state '"
          << t.state->name << "', but this line updates '" << state.name
          << "'; a transition term must end in the state it updates";
      return failure();
    }
  if (!linear.rest) {
    elaborator.error(rhs.range.Start)
        << "the update of '" << state.name << "' has only terms that end in '"
        << state.name << "'; larc needs a term without it (the input's "
        << "contribution), as in '" << state.name << " = M " << state.name
        << " + k v^T'";
    return failure();
  }
  Type updateType = elaborator.updateType(state);
  if (linear.rest.getType() != updateType) {
    elaborator.error(rhs.range.Start)
        << "the update of '" << state.name << "' is "
        << Elaborator::describeType(linear.rest.getType())
        << ", but the state needs " << Elaborator::describeType(updateType);
    return failure();
  }

  Value transition;
  for (const LinearTerm &t : linear.terms) {
    FailureOr<Value> factor = elaborator.transitionFactor(t);
    if (failed(factor))
      return failure();
    Location at = loc(t.loc);
    Type type = factor->getType();
    if (!transition) {
      transition = *factor;
      if (t.negated) {
        Value minusOne = ConstantOp::create(builder, at, -1.0);
        transition = MulOp::create(builder, at, type, minusOne, transition);
      }
    } else if (t.negated) {
      transition = SubOp::create(builder, at, type, transition, *factor);
    } else {
      transition = AddOp::create(builder, at, type, transition, *factor);
    }
  }
  RecurOp::create(builder, loc(stmt.name.loc), state.value, transition,
                  linear.rest);
  return success();
}

LogicalResult IRGen::buildOutput(const ast::Stmt &stmt) {
  FailureOr<Term> read = elaborator.elaborate(*stmt.value, Context::Output);
  if (failed(read))
    return failure();
  // A vector state as a whole output, `o = h`.
  FailureOr<Term> term = elaborator.wholeValue(*read);
  bool ok = term->kind == Term::Value && !isa<MatType>(term->value.getType());
  if (!ok) {
    elaborator.error(stmt.value->loc)
        << "output '" << stmt.name.name
        << "' must be a scalar or a vector, but " << elaborator.phrase(*term)
        << " is not one";
    return failure();
  }
  OutputOp::create(builder, loc(stmt.name.loc), stmt.name.name, term->value);
  return success();
}

/// Type-checks 'let's that nothing uses, then drops the ops built for them.
/// They are read as in a state update, where every form is allowed.
LogicalResult IRGen::checkUnusedLets(Block &body) {
  Operation *last = body.empty() ? nullptr : &body.back();
  for (auto [stmt, sym] : decls.stmts)
    if (sym && sym->kind == Symbol::Let && !sym->elaborated)
      if (failed(elaborator.elaborateLet(*sym, Context::Update)))
        return failure();
  while (!body.empty() && &body.back() != last)
    body.back().erase();
  return success();
}

OwningOpRef<ModuleOp> IRGen::run() {
  MLIRContext *ctx = builder.getContext();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc(decls.ruleLoc));
  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Attribute> dims;
  for (llvm::StringRef dim : decls.dims)
    dims.push_back(builder.getStringAttr(dim));
  auto rule = RuleOp::create(builder, loc(decls.ruleLoc), decls.ruleName,
                             ArrayAttr::get(ctx, dims));
  if (!decls.derivedDims.empty()) {
    SmallVector<NamedAttribute> defs;
    for (llvm::StringRef dim : decls.dims)
      if (auto it = decls.derivedDims.find(dim); it != decls.derivedDims.end())
        defs.push_back(builder.getNamedAttr(dim, it->second.toAttr(ctx)));
    rule->setAttr("derived_dims", builder.getDictionaryAttr(defs));
  }
  Block &body = rule.getBody().emplaceBlock();
  builder.setInsertionPointToEnd(&body);

  for (auto [stmt, sym] : decls.stmts)
    if (sym && stmt == sym->stmt &&
        (sym->kind == Symbol::Input || sym->kind == Symbol::State))
      declare(*sym);
  for (auto [stmt, sym] : decls.stmts)
    if (sym && sym->kind == Symbol::State && stmt == sym->update)
      if (failed(buildUpdate(*sym)))
        return nullptr;
  for (auto [stmt, sym] : decls.stmts)
    if (sym && sym->kind == Symbol::Output)
      if (failed(buildOutput(*stmt)))
        return nullptr;
  if (failed(checkUnusedLets(body)))
    return nullptr;

  // The ops are well typed by construction; the verifier is the backstop.
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> generateIR(const ast::Spec &spec, const Source &source) {
  std::optional<Declarations> decls = declare(spec, source);
  if (!decls)
    return nullptr;
  return IRGen(source, *decls).run();
}

} // namespace larc
