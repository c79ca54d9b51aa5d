//===- Declarations.h - names declared by a spec ---------------*- C++ -*-===//
//
// The first stage of IR generation walks the statements in source order,
// records every declared name and checks each name that an expression uses
// (declared, declared before its use, usable as a value). Later stages can
// then assume names resolve.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_FRONTEND_LIB_DECLARATIONS_H
#define LARC_FRONTEND_LIB_DECLARATIONS_H

#include "larc/Dialect/DimSizes.h"
#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/AST.h"
#include "larc/Frontend/Source.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/StringMap.h"

#include <optional>

namespace larc {

struct Symbol {
  enum Kind { Input, State, Let, Output };
  Kind kind;
  llvm::StringRef name;
  const ast::Stmt *stmt; // the declaring statement
  unsigned index;        // its position among the statements

  // Input: the role and optional dimension.
  Role role = Role::Coefficient;
  llvm::StringRef dim;
  // State: its dims (value dim empty for a vector state) and its update.
  llvm::StringRef keyDim, valueDim;
  const ast::Stmt *update = nullptr;
  // Let: whether its value depends on a state (so on the context).
  bool mentionsState = false;
  bool elaborated = false;

  // The op that declares it, once IRGen has built it.
  mlir::Value value;
};

struct Declarations {
  llvm::StringRef ruleName;
  llvm::SMLoc ruleLoc;
  llvm::SmallVector<llvm::StringRef> dims;
  /// Sizes of the dims declared as `dim F = ...`, over the base dims.
  llvm::StringMap<DimPolynomial> derivedDims;
  llvm::StringMap<Symbol> symbols;
  /// Statements in source order with their symbols (null for rule/dim).
  llvm::SmallVector<std::pair<const ast::Stmt *, Symbol *>> stmts;

  Symbol *lookup(llvm::StringRef name) {
    auto it = symbols.find(name);
    return it == symbols.end() ? nullptr : &it->second;
  }
  bool hasDim(llvm::StringRef dim) const {
    return llvm::is_contained(dims, dim);
  }
  /// The size of a declared dim over the base dims.
  DimPolynomial sizeOf(llvm::StringRef dim) const {
    auto it = derivedDims.find(dim);
    return it == derivedDims.end() ? DimPolynomial::base(dim) : it->second;
  }
  /// The first declared dim of size `size`, or "".
  llvm::StringRef dimOfSize(const DimPolynomial &size) const {
    for (llvm::StringRef dim : dims)
      if (sizeOf(dim) == size)
        return dim;
    return "";
  }
};

/// Builds the declarations of `spec`, emitting the first error and returning
/// nullopt if a name is misused or the spec is incomplete (no dimension, no
/// output, a state never updated).
std::optional<Declarations> declare(const ast::Spec &spec,
                                    const Source &source);

} // namespace larc

#endif // LARC_FRONTEND_LIB_DECLARATIONS_H
