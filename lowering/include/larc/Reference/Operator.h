//===- Operator.h - structured matrices of the fp64 reference ---*- C++ -*-===//
//
// A larc matrix value (a transition or an update) is kept as an expression
// over the token's scalars and vectors, never as a dense |K|x|K| array: the
// reference runs T = 65536 tokens, and applying I - beta k k^T or a k v^T
// costs O(|K| |V|) while a dense transition would cost O(|K|^2 |V|).
//
// The expression's shape is fixed by the rule, so it is built once when the
// rule is compiled; each node names the scalar / vector slots it reads, and
// those slots hold the current token's values when the expression is used.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_REFERENCE_OPERATOR_H
#define LARC_REFERENCE_OPERATOR_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace larc::reference::detail {

/// The current token's scalar and vector values. Vectors live in one flat
/// buffer; a vector slot is an offset into it.
struct Frame {
  std::vector<double> scalars;
  std::vector<double> vectors;

  double scalar(int32_t slot) const { return scalars[slot]; }
  const double *vec(int64_t offset) const { return vectors.data() + offset; }
  double *vec(int64_t offset) { return vectors.data() + offset; }
};

enum class MatKind : uint8_t {
  Identity,       // I
  ScaledIdentity, // s I (larc.diag of a scalar)
  Diag,           // diag(d) (larc.diag of a vector)
  Outer,          // a b^T
  Householder,    // I - beta k k^T
  Scaled,         // s M or M / s (larc.mul / larc.div by a scalar)
  Sum,            // L + R
  Difference,     // L - R
  Product,        // L R (R acts first)
};

/// One node of a matrix expression. Unused fields stay -1.
struct MatNode {
  MatKind kind;
  int64_t rows = 0, cols = 0;
  int32_t scalar = -1;     // ScaledIdentity s, Householder beta, Scaled s
  bool reciprocal = false; // Scaled: divide by the scalar instead
  int64_t vecA = -1;       // Diag d, Outer a, Householder k (vector offsets)
  int64_t vecB = -1;       // Outer b
  int32_t lhs = -1;        // Scaled child, Sum/Difference/Product left
  int32_t rhs = -1;        // Sum/Difference/Product right
  // Scratch sized on first use and kept, so the token loop does not allocate.
  std::vector<double> tmp, tmp2;
};

/// All matrix nodes of one compiled rule.
class MatGraph {
public:
  int32_t add(MatNode node);
  const MatNode &node(int32_t id) const { return nodes[id]; }
  size_t size() const { return nodes.size(); }

  /// y = M x for node `id`: x is cols x n, y is rows x n, both row-major and
  /// not overlapping.
  void apply(int32_t id, const Frame &frame, const double *x, double *y,
             int64_t n);

  /// y += coef * M for node `id`, with y a dense rows x cols row-major array.
  void addTo(int32_t id, const Frame &frame, double coef, double *y);

private:
  std::vector<MatNode> nodes;
};

} // namespace larc::reference::detail

#endif // LARC_REFERENCE_OPERATOR_H
