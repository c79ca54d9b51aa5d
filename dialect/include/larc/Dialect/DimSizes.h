//===- DimSizes.h - sizes of a rule's derived dimensions --------*- C++ -*-===//
//
// A rule may define a dimension by the sizes of others (`dim F = 1 + K + KK`,
// `dim KK = K*K` in the spec language): the feature axis of a feature map
// that changes the key dimension. Its size is a polynomial with integer
// coefficients over the rule's base dimensions, held in the rule's
// `derived_dims` attribute as {NAME = [[coef, dim, dim, ...], ...]}, one
// monomial per entry. larc.kron and larc.concat check their types with it;
// whoever sizes a problem evaluates it.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_DIALECT_DIMSIZES_H
#define LARC_DIALECT_DIMSIZES_H

#include "larc/Dialect/LarcDialect.h"

#include "llvm/ADT/StringMap.h"

#include <map>
#include <string>
#include <vector>

namespace larc {

/// A size: sum over monomials (sorted base-dim names) of coefficient times
/// their product. The empty monomial is the constant term.
class DimPolynomial {
public:
  static DimPolynomial constant(int64_t c);
  static DimPolynomial base(llvm::StringRef dim);

  DimPolynomial operator+(const DimPolynomial &other) const;
  DimPolynomial operator*(const DimPolynomial &other) const;
  bool operator==(const DimPolynomial &other) const {
    return terms == other.terms;
  }
  bool operator!=(const DimPolynomial &other) const {
    return !(*this == other);
  }

  /// "1 + K + K*K".
  std::string str() const;
  /// The attribute form [[coef, dim, ...], ...].
  mlir::ArrayAttr toAttr(mlir::MLIRContext *context) const;
  static mlir::FailureOr<DimPolynomial> fromAttr(mlir::Attribute attr);
  /// The value for the base dims' sizes; failure if one is missing.
  mlir::FailureOr<int64_t>
  evaluate(const llvm::StringMap<int64_t> &sizes) const;
  /// The base dims it mentions.
  std::vector<std::string> dims() const;

private:
  std::map<std::vector<std::string>, int64_t> terms;
};

/// The size of `dim` in `rule`: the dim itself for a base dim, its
/// definition for a derived one; failure for a malformed definition.
mlir::FailureOr<DimPolynomial> sizeOf(RuleOp rule, llvm::StringRef dim);

/// Sizes of every dim of `rule` from the sizes of its base dims.
mlir::FailureOr<llvm::StringMap<int64_t>>
resolveDimSizes(RuleOp rule, const llvm::StringMap<int64_t> &baseSizes);

/// True if `dim` is defined in terms of others.
bool isDerivedDim(RuleOp rule, llvm::StringRef dim);

} // namespace larc

#endif // LARC_DIALECT_DIMSIZES_H
