//===- EmitCudaInternal.h - pieces shared by the CUDA emitter ---*- C++ -*-===//
//
// Private to lowering/: the code writer and the per-token prologue printer of
// EmitCuda.cpp / EmitPrologue.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_EMITCUDAINTERNAL_H
#define LARC_LOWERING_EMITCUDAINTERNAL_H

#include "larc/Lowering/EmitCuda.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace larc::cudagen {

/// Indented lines of C++.
class CodeWriter {
public:
  explicit CodeWriter(std::string &out) : os(out) {}
  void line(const llvm::Twine &text) {
    std::string s = text.str();
    if (!s.empty())
      os.indent(2 * depth) << s;
    os << "\n";
  }
  void blank() { os << "\n"; }
  /// A line that opens a block ("... {"), then one more level.
  void open(const llvm::Twine &text) {
    line(text);
    ++depth;
  }
  /// One level less, then the closing line ("}").
  void close(const llvm::Twine &text = "}") {
    --depth;
    line(text);
  }
  /// "} else {": one level less for this line only.
  void reopen(const llvm::Twine &text) {
    --depth;
    line(text);
    ++depth;
  }
  /// A comment block, each line prefixed with "// ".
  void comment(llvm::StringRef text) {
    llvm::SmallVector<llvm::StringRef> lines;
    text.split(lines, '\n');
    for (llvm::StringRef l : lines)
      line(l.empty() ? "//" : "// " + l);
  }

private:
  llvm::raw_string_ostream os;
  int depth = 0;
};

/// The names of the state's key and value dims in the rule, and the size of
/// every dim of the rule the kernel is generated for.
struct DimNames {
  std::string key, value;
  llvm::StringMap<int64_t> sizes;
  /// The size of `dim`, 0 if unknown.
  int64_t size(llvm::StringRef dim) const { return sizes.lookup(dim); }
  /// The size rounded up to whole 64-element blocks: a vector's row in the
  /// kernel (the padding is zero wherever it reaches an operand or a sum).
  int64_t padded(llvm::StringRef dim) const {
    return (size(dim) + 63) / 64 * 64;
  }
};

/// "kKeyPerLane", "kValuePerLane" or kPerLane<dim>: a lane's elements of a
/// vector.
std::string perLaneCount(const DimNames &dims, VecType type);
/// A float literal of C++ that rounds to the same float ("1.0f", "1e-06f").
std::string floatLiteral(double value);
/// True for inputs indexed by the value head (everything but query and key).
bool isValueSide(InputOp input);
/// The element type of an input tensor in the kernel ("bf16" or "float").
std::string inputElementType(InputOp input);

/// Prints the per-token values a kernel needs, as CUDA over one token row.
class PrologueEmitter {
public:
  /// `tempPrefix` names its temporaries (t0, t1, ...): two emitters of one
  /// kernel need different ones.
  PrologueEmitter(RuleOp rule, const DimNames &dims,
                  llvm::StringRef tempPrefix = "t");

  /// Adds `value` and everything it is computed from; fails (with a
  /// diagnostic) on an op the generator does not handle.
  mlir::LogicalResult collect(mlir::Value value);
  /// The C++ name of a collected value; `element`: its element j if a vector.
  std::string ref(mlir::Value value, bool element = false) const;
  bool isUniform(mlir::Value value) const { return uniform.count(value); }
  /// The C++ name of an input's row (or scalar), whether collected or not.
  static std::string inputName(InputOp input);
  /// True if a vector over `dim` is held in registers (not only read
  /// element by element through a kron or concat).
  bool holdsVectorsOver(llvm::StringRef dim) const;
  /// The collected inputs, in rule order.
  llvm::SmallVector<InputOp> inputs() const;
  /// Reads `input`'s rows from this shared tile (TMA) instead of global memory.
  void setSharedRows(InputOp input, std::string tile) {
    sharedRows[input] = std::move(tile);
  }
  /// The shared tile `input`'s rows land in, or "" (read from global memory).
  std::string sharedRowsOf(InputOp input) const {
    return sharedRows.lookup(input);
  }
  /// Reads the scalar `input` of row r from this shared array (prefetched).
  void setSharedScalars(InputOp input, std::string array) {
    sharedScalars[input] = std::move(array);
  }
  /// Reads the per-token vector `value` (a scanned vector state's
  /// larc.apply) of row r from `array[r]`, a [rows][d] fp32 array.
  void setSharedVector(mlir::Value value, std::string array) {
    sharedVectors[value] = std::move(array);
  }
  /// The expression that reads `input` (a vector's row start, a scalar's
  /// element) of token `t` from global memory.
  std::string globalRow(InputOp input, llvm::StringRef token) const;

  /// Values that depend on no token input (before the chunk loop).
  void emitUniform(CodeWriter &w) const;
  /// Everything else, for token `t` of row r (inside the row loop).
  void emitPerToken(CodeWriter &w) const;

private:
  void emitValue(CodeWriter &w, mlir::Value value) const;
  /// Collects what the elements of a kron or concat read: inputs and
  /// scalars, through elementwise ops and nested krons and concats.
  mlir::LogicalResult collectIndexed(mlir::Operation *op);
  /// An expression for element `index` (an int expression) of `value`,
  /// emitting the statements it needs first (temporaries i_n, e_n).
  std::string elementAt(CodeWriter &w, mlir::Value value,
                        const std::string &index, unsigned &counter) const;

  RuleOp rule;
  DimNames dims;
  llvm::DenseMap<mlir::Operation *, unsigned> inputIndex;
  llvm::DenseMap<mlir::Operation *, std::string> sharedRows;
  llvm::DenseMap<mlir::Operation *, std::string> sharedScalars;
  llvm::DenseMap<mlir::Value, std::string> sharedVectors;
  llvm::DenseMap<mlir::Value, std::string> names;
  llvm::DenseSet<mlir::Value> uniform;
  llvm::SmallVector<mlir::Value> order; // operands before users
  std::string tempPrefix;
  unsigned nextTemp = 0;
};

} // namespace larc::cudagen

#endif // LARC_LOWERING_EMITCUDAINTERNAL_H
