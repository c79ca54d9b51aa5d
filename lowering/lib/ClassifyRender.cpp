//===- ClassifyRender.cpp - canonical text of per-token expressions -------===//
//
// describe() prints each direction, data part and probe as an expression over
// the rule's inputs. The rendering is canonical up to commutativity and
// constant factors (sums and products are flattened and sorted), so that two
// rules that differ only in how they are written print the same general form.
//
//===----------------------------------------------------------------------===//

#include "larc/Lowering/RecurrenceForm.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace larc;

namespace {

/// The shortest decimal text that reads back as `value`.
std::string formatNumber(double value) {
  if (value == 0)
    return "0";
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value)
      break;
  }
  return buf;
}

/// True if `text` has a space or a leading sign outside parentheses, so that
/// it needs parentheses as an operand.
bool needsParens(StringRef text) {
  if (text.starts_with("-"))
    return true;
  int depth = 0;
  for (char c : text) {
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (c == ' ' && depth == 0)
      return true;
  }
  return false;
}

class Renderer {
public:
  std::string sum(Value value);

private:
  struct Term {
    bool negative;
    std::string text;
  };
  void collectSum(Value value, bool negative, SmallVectorImpl<Term> &terms);
  void collectProduct(Value value, double &coef,
                      SmallVectorImpl<std::string> &factors);
  std::string operand(Value value) {
    std::string text = sum(value);
    return needsParens(text) ? "(" + text + ")" : text;
  }
  std::string atom(Value value);
};

std::string Renderer::sum(Value value) {
  SmallVector<Term> terms;
  collectSum(value, /*negative=*/false, terms);
  if (terms.empty())
    return "0";
  // Added terms first, each group sorted: `v - S^T k` whatever the order of
  // the operands.
  llvm::stable_sort(terms, [](const Term &a, const Term &b) {
    return std::tie(a.negative, a.text) < std::tie(b.negative, b.text);
  });
  std::string out = terms.front().negative ? "-" : "";
  out += terms.front().text;
  for (const Term &term : llvm::drop_begin(terms))
    out += (term.negative ? " - " : " + ") + term.text;
  return out;
}

void Renderer::collectSum(Value value, bool negative,
                          SmallVectorImpl<Term> &terms) {
  Operation *op = value.getDefiningOp();
  if (auto add = dyn_cast_or_null<AddOp>(op)) {
    collectSum(add.getLhs(), negative, terms);
    collectSum(add.getRhs(), negative, terms);
    return;
  }
  if (auto sub = dyn_cast_or_null<SubOp>(op)) {
    collectSum(sub.getLhs(), negative, terms);
    collectSum(sub.getRhs(), !negative, terms);
    return;
  }
  if (auto neg = dyn_cast_or_null<NegOp>(op)) {
    collectSum(neg.getX(), !negative, terms);
    return;
  }
  double coef = 1.0;
  SmallVector<std::string> factors;
  collectProduct(value, coef, factors);
  if (coef == 0)
    return;
  if (coef < 0) {
    negative = !negative;
    coef = -coef;
  }
  llvm::sort(factors);
  std::string text;
  if (coef != 1 || factors.empty())
    text = formatNumber(coef);
  for (const std::string &factor : factors) {
    if (!text.empty())
      text += " * ";
    text += factors.size() > 1 || coef != 1
                ? (needsParens(factor) ? "(" + factor + ")" : factor)
                : factor;
  }
  terms.push_back({negative, text});
}

void Renderer::collectProduct(Value value, double &coef,
                              SmallVectorImpl<std::string> &factors) {
  Operation *op = value.getDefiningOp();
  if (auto mul = dyn_cast_or_null<MulOp>(op)) {
    collectProduct(mul.getLhs(), coef, factors);
    collectProduct(mul.getRhs(), coef, factors);
    return;
  }
  if (auto neg = dyn_cast_or_null<NegOp>(op)) {
    coef = -coef;
    collectProduct(neg.getX(), coef, factors);
    return;
  }
  if (auto cst = dyn_cast_or_null<ConstantOp>(op)) {
    coef *= cst.getValue().convertToDouble();
    return;
  }
  if (isa_and_nonnull<AddOp, SubOp>(op)) {
    std::string text = sum(value);
    factors.push_back(needsParens(text) ? "(" + text + ")" : text);
    return;
  }
  factors.push_back(atom(value));
}

std::string Renderer::atom(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return "<argument>";
  return TypeSwitch<Operation *, std::string>(op)
      .Case([](InputOp input) { return input.getName().str(); })
      .Case([](StateOp state) { return state.getName().str(); })
      .Case([](HeadIndexOp) { return std::string("head"); })
      .Case([](PositionOp) { return std::string("position"); })
      .Case([](ScaleOp scale) { return "scale(" + scale.getDim().str() + ")"; })
      .Case([](ConstantOp cst) {
        return formatNumber(cst.getValue().convertToDouble());
      })
      .Case([](IdentityOp) { return std::string("I"); })
      .Case([&](L2NormOp norm) {
        std::string text = "l2norm(" + sum(norm.getX());
        double eps = norm.getEps().convertToDouble();
        if (eps != 1e-6)
          text += ", eps=" + formatNumber(eps);
        return text + ")";
      })
      .Case([&](DivOp div) {
        return operand(div.getLhs()) + " / " + operand(div.getRhs());
      })
      .Case([&](PowOp pow) {
        return operand(pow.getLhs()) + "^" + operand(pow.getRhs());
      })
      .Case([&](DotOp dot) {
        std::string a = sum(dot.getLhs()), b = sum(dot.getRhs());
        if (b < a)
          std::swap(a, b);
        return "dot(" + a + ", " + b + ")";
      })
      .Case([&](DiagOp diag) { return "diag(" + sum(diag.getX()) + ")"; })
      .Case([&](OuterOp outer) {
        return "outer(" + sum(outer.getLhs()) + ", " + sum(outer.getRhs()) +
               ")";
      })
      .Case([&](HouseholderOp h) {
        return "householder(" + sum(h.getBeta()) + ", " + sum(h.getK()) + ")";
      })
      .Case([&](MatmulOp matmul) {
        return operand(matmul.getLhs()) + " @ " + operand(matmul.getRhs());
      })
      .Case([&](ReadoutOp readout) {
        std::string state = sum(readout.getState());
        return (readout.getPrev() ? "prev(" + state + ")" : state) + "^T " +
               operand(readout.getProbe());
      })
      .Case([&](ApplyOp apply) {
        std::string state = sum(apply.getState());
        if (apply.getPrev())
          state = "prev(" + state + ")";
        return apply.getProbe() ? state + " " + operand(apply.getProbe())
                                : state;
      })
      .Default([&](Operation *other) {
        // Unary functions (exp, log, sigmoid, ...) and anything else.
        std::string text = other->getName().stripDialect().str() + "(";
        llvm::interleave(
            other->getOperands(), [&](Value v) { text += sum(v); },
            [&] { text += ", "; });
        return text + ")";
      });
}

} // namespace

std::string larc::renderExpression(Value value) {
  if (!value)
    return "0";
  return Renderer().sum(value);
}
