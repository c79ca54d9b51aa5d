//===- Operator.cpp - applying structured matrices ------------------------===//

#include "larc/Reference/Operator.h"

#include <algorithm>

using namespace larc::reference::detail;

int32_t MatGraph::add(MatNode node) {
  nodes.push_back(std::move(node));
  return static_cast<int32_t>(nodes.size() - 1);
}

/// w = b^T x for x of shape |b| x n.
static void contract(const double *b, const double *x, int64_t len, int64_t n,
                     double *w) {
  std::fill(w, w + n, 0.0);
  for (int64_t i = 0; i < len; ++i) {
    const double bi = b[i];
    const double *row = x + i * n;
    for (int64_t j = 0; j < n; ++j)
      w[j] += bi * row[j];
  }
}

void MatGraph::apply(int32_t id, const Frame &frame, const double *x, double *y,
                     int64_t n) {
  MatNode &m = nodes[id];
  const int64_t rows = m.rows;
  switch (m.kind) {
  case MatKind::Identity:
    std::copy(x, x + rows * n, y);
    return;
  case MatKind::ScaledIdentity: {
    const double s = frame.scalar(m.scalar);
    for (int64_t i = 0; i < rows * n; ++i)
      y[i] = s * x[i];
    return;
  }
  case MatKind::Diag: {
    const double *d = frame.vec(m.vecA);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < n; ++j)
        y[i * n + j] = d[i] * x[i * n + j];
    return;
  }
  case MatKind::Outer: {
    // a (b^T x): never forms a b^T.
    m.tmp.resize(n);
    contract(frame.vec(m.vecB), x, m.cols, n, m.tmp.data());
    const double *a = frame.vec(m.vecA);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < n; ++j)
        y[i * n + j] = a[i] * m.tmp[j];
    return;
  }
  case MatKind::Householder: {
    // x - beta k (k^T x).
    m.tmp.resize(n);
    const double *k = frame.vec(m.vecA);
    const double beta = frame.scalar(m.scalar);
    contract(k, x, rows, n, m.tmp.data());
    for (int64_t i = 0; i < rows; ++i) {
      const double bk = beta * k[i];
      for (int64_t j = 0; j < n; ++j)
        y[i * n + j] = x[i * n + j] - bk * m.tmp[j];
    }
    return;
  }
  case MatKind::Scaled: {
    apply(m.lhs, frame, x, y, n);
    const double s = frame.scalar(m.scalar);
    if (m.reciprocal)
      for (int64_t i = 0; i < rows * n; ++i)
        y[i] /= s;
    else
      for (int64_t i = 0; i < rows * n; ++i)
        y[i] *= s;
    return;
  }
  case MatKind::Sum:
  case MatKind::Difference: {
    m.tmp.resize(rows * n);
    apply(m.lhs, frame, x, y, n);
    apply(m.rhs, frame, x, m.tmp.data(), n);
    if (m.kind == MatKind::Sum)
      for (int64_t i = 0; i < rows * n; ++i)
        y[i] += m.tmp[i];
    else
      for (int64_t i = 0; i < rows * n; ++i)
        y[i] -= m.tmp[i];
    return;
  }
  case MatKind::Product: {
    // One factor after the other: O(rows n) per structured factor.
    m.tmp.resize(nodes[m.rhs].rows * n);
    apply(m.rhs, frame, x, m.tmp.data(), n);
    apply(m.lhs, frame, m.tmp.data(), y, n);
    return;
  }
  }
}

void MatGraph::addTo(int32_t id, const Frame &frame, double coef, double *y) {
  MatNode &m = nodes[id];
  const int64_t rows = m.rows, cols = m.cols;
  switch (m.kind) {
  case MatKind::Identity:
    for (int64_t i = 0; i < rows; ++i)
      y[i * cols + i] += coef;
    return;
  case MatKind::ScaledIdentity: {
    const double s = coef * frame.scalar(m.scalar);
    for (int64_t i = 0; i < rows; ++i)
      y[i * cols + i] += s;
    return;
  }
  case MatKind::Diag: {
    const double *d = frame.vec(m.vecA);
    for (int64_t i = 0; i < rows; ++i)
      y[i * cols + i] += coef * d[i];
    return;
  }
  case MatKind::Outer: {
    const double *a = frame.vec(m.vecA), *b = frame.vec(m.vecB);
    for (int64_t i = 0; i < rows; ++i) {
      const double ca = coef * a[i];
      for (int64_t j = 0; j < cols; ++j)
        y[i * cols + j] += ca * b[j];
    }
    return;
  }
  case MatKind::Householder: {
    const double *k = frame.vec(m.vecA);
    const double cb = coef * frame.scalar(m.scalar);
    for (int64_t i = 0; i < rows; ++i) {
      y[i * cols + i] += coef;
      for (int64_t j = 0; j < cols; ++j)
        y[i * cols + j] -= cb * k[i] * k[j];
    }
    return;
  }
  case MatKind::Scaled: {
    const double s = frame.scalar(m.scalar);
    addTo(m.lhs, frame, m.reciprocal ? coef / s : coef * s, y);
    return;
  }
  case MatKind::Sum:
    addTo(m.lhs, frame, coef, y);
    addTo(m.rhs, frame, coef, y);
    return;
  case MatKind::Difference:
    addTo(m.lhs, frame, coef, y);
    addTo(m.rhs, frame, -coef, y);
    return;
  case MatKind::Product: {
    // Materialise the right factor (an update, typically rank-1), then apply
    // the left one to it as an operator.
    const MatNode &r = nodes[m.rhs];
    m.tmp.assign(r.rows * r.cols, 0.0);
    addTo(m.rhs, frame, 1.0, m.tmp.data());
    m.tmp2.resize(rows * cols);
    apply(m.lhs, frame, m.tmp.data(), m.tmp2.data(), cols);
    for (int64_t i = 0; i < rows * cols; ++i)
      y[i] += coef * m.tmp2[i];
    return;
  }
  }
}
