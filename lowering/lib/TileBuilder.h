//===- TileBuilder.h - per-token larc values over chunk tiles ---*- C++ -*-===//
//
// Private to lowering/: evaluates the per-token scalars and vectors of a
// larc.rule on whole chunks, one row per token ([C] for a scalar, [C, d] for
// a vector), as linalg on tensors. Used by -larc-derive-chunk-form.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_TILEBUILDER_H
#define LARC_LOWERING_TILEBUILDER_H

#include "larc/Chunk/ChunkDialect.h"
#include "larc/Dialect/LarcDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

namespace larc {

/// Everything a chunk iteration knows: where its rows come from and the sizes
/// of the rule's dimensions.
struct ChunkContext {
  int64_t rows;                        // C, the static tile height
  mlir::FloatType elementType;         // f32 or f64
  mlir::Value start, head, count;      // first token, head, valid rows (index)
  mlir::Value sequenceStart;           // first token of the sequence (index)
  mlir::Value headAsFloat;             // the head index as elementType
  llvm::StringMap<mlir::Value> scales; // resolved larc.scale per dim
  llvm::StringMap<mlir::Value> dimSizes; // dim name -> index
  llvm::DenseMap<mlir::Operation *, mlir::Value>
      inputBuffers; // InputOp -> memref
};

class TileBuilder {
public:
  TileBuilder(mlir::OpBuilder &builder, const ChunkContext &ctx)
      : b(builder), ctx(ctx) {}

  /// The tile of a per-token larc scalar or vector. Readouts must have been
  /// bound with bind(); any other op is evaluated (once) from its operands.
  mlir::FailureOr<mlir::Value> tile(mlir::Value perToken);
  /// Binds a per-token value to an already computed tile (readouts).
  void bind(mlir::Value perToken, mlir::Value tile) { tiles[perToken] = tile; }

  /// [rows] or [rows, ?] of the element type.
  mlir::RankedTensorType tileType(int64_t rank, int64_t rows = 0) const;
  /// A tile of `rows` rows (0: C) and, for rank 2, `cols` columns, all zero.
  mlir::Value zeros(int64_t rank, mlir::Value cols, int64_t rows = 0);
  /// A tile with every entry `value` (an elementType scalar).
  mlir::Value splat(mlir::Value value, int64_t rank, mlir::Value cols,
                    int64_t rows = 0);
  /// Elementwise map over tiles [R] or [R, d]; lower-rank operands broadcast
  /// along columns. The result has the highest rank among the operands.
  mlir::Value
  map(mlir::ValueRange operands,
      llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                     mlir::ValueRange)>
          body);
  /// Row sums of the elementwise map of [R, d] tiles: a [R] tile.
  mlir::Value
  rowSum(mlir::ValueRange operands,
         llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                        mlir::ValueRange)>
             body);
  /// m [R1, R2] where rowKey[r] == colKey[s], else 0 (rowKey [R1], colKey
  /// [R2]).
  mlir::Value keepPairs(mlir::Value m, mlir::Value rowKey, mlir::Value colKey);
  /// Row maxima of a [R, d] tile: a [R] tile.
  mlir::Value rowMax(mlir::Value tile);
  /// The number of columns of a [R, d] tile.
  mlir::Value cols(mlir::Value tile);
  /// An elementType constant.
  mlir::Value constant(double value);

  mlir::OpBuilder &builder() { return b; }
  const ChunkContext &context() const { return ctx; }

private:
  mlir::FailureOr<mlir::Value> evaluate(mlir::Operation *op);

  mlir::OpBuilder &b;
  const ChunkContext &ctx;
  llvm::DenseMap<mlir::Value, mlir::Value> tiles;
};

} // namespace larc

#endif // LARC_LOWERING_TILEBUILDER_H
