//===- Elaborator.h - typed values of spec expressions ---------*- C++ -*-===//
//
// Elaboration turns an expression into a `Term`: usually an SSA value of the
// larc dialect, but also the things the language lets a spec write that are
// not values yet: a transposed vector waiting for its partner (`b^T`), a
// square matrix whose size is not known until it meets another (`I`,
// `diag(c)` of a scalar), a state (`S`, `S^T`), and a sum of terms linear in
// a state (`A S + B`), which only a state update may produce. Every
// combination is type-checked before an op is built, so the ops are well
// typed by construction and each error quotes the terms involved.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_FRONTEND_LIB_ELABORATOR_H
#define LARC_FRONTEND_LIB_ELABORATOR_H

#include "Declarations.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>

namespace larc {

/// Where an expression is read: in a state update, every state means its
/// previous value S_{t-1}; in an output, its updated value S_t.
enum class Context { Update, Output };

/// A square matrix whose size comes from what it meets: I, diag(scalar) and
/// products, sums and multiples of those. Materialised once per dimension.
struct Square {
  enum Kind {
    Identity,
    Diag,
    ScaleLeft,
    ScaleRight,
    DivScalar,
    Neg,
    Add,
    Sub,
    Matmul
  };
  Kind kind;
  mlir::Location loc;
  mlir::Value scalar; // Diag, ScaleLeft, ScaleRight, DivScalar
  std::shared_ptr<Square> lhs, rhs;
  unsigned depth = 1;
  llvm::DenseMap<mlir::StringAttr, mlir::Value> built;

  Square(Kind kind, mlir::Location loc) : kind(kind), loc(loc) {}
};
using SquarePtr = std::shared_ptr<Square>;

/// A factor in front of a state: none (the identity), a scalar or matrix
/// value, or a Square.
struct Coefficient {
  mlir::Value value;
  SquarePtr square;
};

/// One term `coefficient * state` of a state-linear sum.
struct LinearTerm {
  Coefficient coefficient;
  Symbol *state;
  bool negated = false;
  llvm::SMLoc loc, stateLoc;
  llvm::SMRange range;
};

/// `sum of terms + rest`: a state update before it is split into transition
/// and update.
struct Linear {
  llvm::SmallVector<LinearTerm, 2> terms;
  mlir::Value rest; // null when there is no state-free part
};

struct Term {
  enum Kind {
    Value,     // an SSA value (scalar, vector or matrix)
    Row,       // value^T for a vector `value`
    SquareMat, // a square matrix of unknown size
    State,     // a state, before or after its update (`prev`)
    StateT,    // a transposed state S^T, to be applied to a vector
    LinearSum, // terms linear in states, plus a rest
  };
  Kind kind = Value;
  mlir::Value value;
  SquarePtr square;
  Symbol *state = nullptr;
  bool prev = false;
  std::shared_ptr<const Linear> linear;
  // The source term, for ops' locations and for quoting.
  llvm::SMLoc loc;
  llvm::SMRange range;
};

class Elaborator {
public:
  Elaborator(const Source &source, Declarations &decls,
             mlir::OpBuilder &builder)
      : source(source), decls(decls), builder(builder) {}

  /// Elaborates `expr` read in `context`; `updating` is the state whose
  /// update it is (null in an output).
  mlir::FailureOr<Term> elaborate(const ast::Expr &expr, Context context,
                                  Symbol *updating = nullptr);
  /// Elaborates a 'let' body (once per context that can change it).
  mlir::FailureOr<Term> elaborateLet(Symbol &let, Context context);

  /// Builds a Square for `dim`; fails only on a hostile nesting depth.
  mlir::Value materialize(Square &square, mlir::StringAttr dim);
  /// The transition factor of one linear term, a mat<K, K>.
  mlir::FailureOr<mlir::Value> transitionFactor(const LinearTerm &term);

  /// Diagnostics helpers shared with IRGen.
  mlir::InFlightDiagnostic error(llvm::SMLoc loc);
  std::string quote(const Term &term) const;
  std::string describe(const Term &term) const;
  /// "'k' (a vector over K)".
  std::string phrase(const Term &term) const;
  static std::string describeType(mlir::Type type);

  mlir::Type updateType(const Symbol &state);

  /// True if `x` is a vector state, or a sum linear in vector states of one
  /// dimension with scalar or diagonal factors, that means the vector it
  /// holds where a value is needed: in an output, or in the update of
  /// another state.
  bool readsWhole(const Term &x) const;
  /// That vector, read with larc.apply (x unchanged unless readsWhole(x)).
  Term wholeValue(const Term &x);
  mlir::StringAttr dimAttr(llvm::StringRef dim) {
    return builder.getStringAttr(dim);
  }

private:
  const Source &source;
  Declarations &decls;
  mlir::OpBuilder &builder;
  Context context = Context::Update;
  Symbol *updating = nullptr;
  unsigned depth = 0;
  mlir::Value scaleValue, headValue, positionValue;
  llvm::DenseMap<std::pair<Symbol *, int>, Term> letCache;

  mlir::Location loc(llvm::SMLoc pos) const { return source.loc(pos); }
  Term value(mlir::Value v, const ast::Expr &expr) const;
  mlir::FailureOr<Term> fail(llvm::SMLoc loc, const llvm::Twine &message);

  mlir::FailureOr<Term> elaborateExpr(const ast::Expr &expr);
  mlir::FailureOr<Term> letTerm(Symbol &let);
  mlir::FailureOr<Term> elaborateName(const ast::Expr &expr);
  mlir::FailureOr<Term> elaborateCall(const ast::Expr &expr);

  // The algebra (Algebra.cpp).
  mlir::FailureOr<Term> negate(const Term &x, const ast::Expr &expr);
  mlir::FailureOr<Term> addSub(const Term &lhs, const Term &rhs, bool sub,
                               const ast::Expr &expr);
  mlir::FailureOr<Term> multiply(const Term &lhs, const Term &rhs,
                                 const ast::Expr &expr);
  mlir::FailureOr<Term> divide(const Term &lhs, const Term &rhs,
                               const ast::Expr &expr);
  mlir::FailureOr<Term> power(const Term &lhs, const Term &rhs,
                              const ast::Expr &expr);
  mlir::FailureOr<Term> transpose(const Term &x, const ast::Expr &expr);

  mlir::FailureOr<Term> toLinear(const Term &x, const ast::Expr &expr);
  mlir::FailureOr<Term> scaleLinear(const Term &factor, const Term &linear,
                                    const ast::Expr &expr);
  mlir::FailureOr<Term> readout(const Term &state, mlir::Value probe,
                                const Term &probeTerm, const ast::Expr &expr,
                                bool asRow);
  /// `S p`: the matrix state applied to a vector over its value dimension.
  Term applyState(const Term &state, mlir::Value probe, const ast::Expr &expr);
  /// One larc.apply per (state, probe, prev): every mention reads the same.
  mlir::Value buildApply(Symbol &state, mlir::Value probe, bool prev,
                         mlir::Location loc);
  struct AppliedState {
    Symbol *state;
    mlir::Value probe;
    bool prev;
    mlir::Value result;
  };
  llvm::SmallVector<AppliedState, 4> applied;
  mlir::FailureOr<mlir::Value> multiplyValues(mlir::Value lhs, mlir::Value rhs,
                                              const Term &lhsTerm,
                                              const Term &rhsTerm,
                                              const ast::Expr &expr);
  mlir::FailureOr<mlir::Value> addValues(mlir::Value lhs, mlir::Value rhs,
                                         bool sub, const Term &lhsTerm,
                                         const Term &rhsTerm,
                                         const ast::Expr &expr);
  mlir::Value negateValue(mlir::Value v, mlir::Location loc);
  mlir::FailureOr<Term> makeSquare(Square::Kind kind, mlir::Value scalar,
                                   SquarePtr lhs, SquarePtr rhs,
                                   const ast::Expr &expr);
  mlir::FailureOr<Term> stateMisuse(const Term &x, const ast::Expr &expr);
  std::string notValueHint(const Term &x) const;
};

} // namespace larc

#endif // LARC_FRONTEND_LIB_ELABORATOR_H
