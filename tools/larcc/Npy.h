//===- Npy.h - a small .npy writer -----------------------------*- C++ -*-===//
//
// Writes dense C-order arrays in NumPy's .npy format, version 1.0: the magic
// "\x93NUMPY", the version bytes 1 0, a little-endian uint16 header length,
// the header dict ("{'descr': '<f8', 'fortran_order': False, 'shape': (..), }")
// padded with spaces and ending in '\n' so that the data starts at a multiple
// of 64 bytes, then the raw little-endian data.
//
//===----------------------------------------------------------------------===//

#ifndef LARCC_NPY_H
#define LARCC_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace larc::npy {

/// The header (magic, version, length, dict, padding) of an array of `descr`
/// ("<f8" or "<i8") and `shape`.
std::string header(llvm::StringRef descr, llvm::ArrayRef<int64_t> shape);

/// Writes `data` (row-major, shape `shape`) as '<f8' to `path`.
llvm::Error writeF64(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                     llvm::ArrayRef<double> data);

/// Writes `data` (row-major, shape `shape`) as '<i8' to `path`.
llvm::Error writeI64(llvm::StringRef path, llvm::ArrayRef<int64_t> shape,
                     llvm::ArrayRef<int64_t> data);

} // namespace larc::npy

#endif // LARCC_NPY_H
