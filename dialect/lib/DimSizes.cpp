//===- DimSizes.cpp - sizes of a rule's derived dimensions ----------------===//

#include "larc/Dialect/DimSizes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace larc;

DimPolynomial DimPolynomial::constant(int64_t c) {
  DimPolynomial p;
  if (c != 0)
    p.terms[{}] = c;
  return p;
}

DimPolynomial DimPolynomial::base(StringRef dim) {
  DimPolynomial p;
  p.terms[{dim.str()}] = 1;
  return p;
}

DimPolynomial DimPolynomial::operator+(const DimPolynomial &other) const {
  DimPolynomial sum = *this;
  for (const auto &[monomial, coef] : other.terms)
    if ((sum.terms[monomial] += coef) == 0)
      sum.terms.erase(monomial);
  return sum;
}

DimPolynomial DimPolynomial::operator*(const DimPolynomial &other) const {
  DimPolynomial product;
  for (const auto &[a, ca] : terms)
    for (const auto &[b, cb] : other.terms) {
      std::vector<std::string> monomial = a;
      llvm::append_range(monomial, b);
      llvm::sort(monomial);
      if ((product.terms[monomial] += ca * cb) == 0)
        product.terms.erase(monomial);
    }
  return product;
}

std::string DimPolynomial::str() const {
  if (terms.empty())
    return "0";
  std::string out;
  for (const auto &[monomial, coef] : terms) {
    if (!out.empty())
      out += coef < 0 ? " - " : " + ";
    else if (coef < 0)
      out += "-";
    int64_t c = coef < 0 ? -coef : coef;
    std::string product = llvm::join(monomial, "*");
    if (product.empty())
      out += std::to_string(c);
    else
      out += (c == 1 ? "" : std::to_string(c) + "*") + product;
  }
  return out;
}

ArrayAttr DimPolynomial::toAttr(MLIRContext *context) const {
  Builder b(context);
  SmallVector<Attribute> monomials;
  for (const auto &[monomial, coef] : terms) {
    SmallVector<Attribute> entry{b.getI64IntegerAttr(coef)};
    for (const std::string &dim : monomial)
      entry.push_back(b.getStringAttr(dim));
    monomials.push_back(b.getArrayAttr(entry));
  }
  return b.getArrayAttr(monomials);
}

FailureOr<DimPolynomial> DimPolynomial::fromAttr(Attribute attr) {
  auto monomials = dyn_cast<ArrayAttr>(attr);
  if (!monomials)
    return failure();
  DimPolynomial p;
  for (Attribute m : monomials) {
    auto entry = dyn_cast<ArrayAttr>(m);
    if (!entry || entry.empty())
      return failure();
    auto coef = dyn_cast<IntegerAttr>(entry[0]);
    if (!coef)
      return failure();
    DimPolynomial term = constant(coef.getInt());
    for (Attribute d : entry.getValue().drop_front()) {
      auto dim = dyn_cast<StringAttr>(d);
      if (!dim)
        return failure();
      term = term * base(dim.getValue());
    }
    p = p + term;
  }
  return p;
}

FailureOr<int64_t>
DimPolynomial::evaluate(const llvm::StringMap<int64_t> &sizes) const {
  int64_t total = 0;
  for (const auto &[monomial, coef] : terms) {
    int64_t product = coef;
    for (const std::string &dim : monomial) {
      auto it = sizes.find(dim);
      if (it == sizes.end())
        return failure();
      product *= it->second;
    }
    total += product;
  }
  return total;
}

std::vector<std::string> DimPolynomial::dims() const {
  std::vector<std::string> out;
  for (const auto &[monomial, coef] : terms)
    for (const std::string &dim : monomial)
      if (!llvm::is_contained(out, dim))
        out.push_back(dim);
  return out;
}

static DictionaryAttr derivedDims(RuleOp rule) {
  return rule->getAttrOfType<DictionaryAttr>("derived_dims");
}

bool larc::isDerivedDim(RuleOp rule, StringRef dim) {
  DictionaryAttr defs = derivedDims(rule);
  return defs && defs.get(dim);
}

FailureOr<DimPolynomial> larc::sizeOf(RuleOp rule, StringRef dim) {
  if (DictionaryAttr defs = derivedDims(rule))
    if (Attribute def = defs.get(dim))
      return DimPolynomial::fromAttr(def);
  return DimPolynomial::base(dim);
}

FailureOr<llvm::StringMap<int64_t>>
larc::resolveDimSizes(RuleOp rule, const llvm::StringMap<int64_t> &baseSizes) {
  llvm::StringMap<int64_t> sizes = baseSizes;
  for (StringRef dim : rule.getDims().getAsValueRange<StringAttr>()) {
    if (!isDerivedDim(rule, dim))
      continue;
    FailureOr<DimPolynomial> poly = sizeOf(rule, dim);
    if (failed(poly))
      return failure();
    FailureOr<int64_t> size = poly->evaluate(baseSizes);
    if (failed(size))
      return failure();
    sizes[dim] = *size;
  }
  return sizes;
}
