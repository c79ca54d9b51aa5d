//===- ChunkOps.cpp - chunk-level ops: verifiers --------------------------===//

#include "larc/Chunk/ChunkDialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace larc::chunk;

#include "larc/Chunk/ChunkDialect.cpp.inc"

void ChunkDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "larc/Chunk/ChunkOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "larc/Chunk/ChunkOps.cpp.inc"

/// Two dimension sizes agree unless both are static and differ.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// A log-decay column [R] or per-key tile [R, K] for a row tile of `rows`
/// rows and `cols` columns (cols unchecked when `perKeyCols` is false).
static LogicalResult verifyDecay(Operation *op, RankedTensorType decay,
                                 int64_t rows, StringRef what) {
  if (decay.getRank() != 1 && decay.getRank() != 2)
    return op->emitOpError() << what << " must be a column [R] or a per-key "
                             << "tile [R, K], not " << decay;
  if (!compatible(decay.getDimSize(0), rows))
    return op->emitOpError() << what << " has " << decay.getDimSize(0)
                             << " rows, expected " << rows;
  return success();
}

static LogicalResult verifyRowsBuffer(Operation *op, MemRefType buffer,
                                      RankedTensorType tile) {
  if (buffer.getElementType() != tile.getElementType())
    return op->emitOpError()
           << "element types of " << buffer << " and " << tile << " differ";
  if (buffer.getRank() != tile.getRank() + 1 || buffer.getRank() < 2 ||
      buffer.getRank() > 3)
    return op->emitOpError()
           << "a token-major buffer [T, H] or [T, H, d] holds tiles [R] or "
              "[R, d]; got "
           << buffer << " and " << tile;
  if (tile.isDynamicDim(0))
    return op->emitOpError()
           << "tile " << tile << " needs a static row count (the chunk size)";
  return success();
}

LogicalResult LoadRowsOp::verify() {
  return verifyRowsBuffer(*this, getSource().getType(), getType());
}

LogicalResult StoreRowsOp::verify() {
  return verifyRowsBuffer(*this, getDest().getType(), getTile().getType());
}

static LogicalResult verifyStateBuffer(Operation *op, MemRefType buffer,
                                       RankedTensorType tile) {
  if (buffer.getElementType() != tile.getElementType())
    return op->emitOpError()
           << "element types of " << buffer << " and " << tile << " differ";
  if (buffer.getRank() != 3 && buffer.getRank() != 4)
    return op->emitOpError() << "a state buffer is [N, H, K, V] or [N, H, K], "
                                "not "
                             << buffer;
  if (tile.getRank() != 2)
    return op->emitOpError() << "a state tile is K x V (K x 1 for a vector "
                                "state), not "
                             << tile;
  return success();
}

LogicalResult LoadStateOp::verify() {
  return verifyStateBuffer(*this, getSource().getType(), getType());
}

LogicalResult StoreStateOp::verify() {
  return verifyStateBuffer(*this, getDest().getType(), getState().getType());
}

LogicalResult CumsumOp::verify() {
  return verifyDecay(*this, getInput().getType(),
                     getInput().getType().getDimSize(0), "input");
}

LogicalResult DecayToEndOp::verify() {
  return verifyDecay(*this, getInput().getType(),
                     getInput().getType().getDimSize(0), "input");
}

LogicalResult DecayRowsOp::verify() {
  auto input = getInput().getType();
  auto decay = getLogDecay().getType();
  if (input.getRank() != 2)
    return emitOpError() << "input must be a row tile [R, d], not " << input;
  if (failed(verifyDecay(*this, decay, input.getDimSize(0), "log-decay")))
    return failure();
  if (decay.getRank() == 2 &&
      !compatible(decay.getDimSize(1), input.getDimSize(1)))
    return emitOpError() << "per-key log-decay " << decay << " does not fit "
                         << input;
  return success();
}

LogicalResult DecayStateOp::verify() {
  auto state = getState().getType();
  auto decay = getLogDecay().getType();
  if (state.getRank() != 2)
    return emitOpError() << "state must be K x V, not " << state;
  if (decay.getRank() == 2 &&
      !compatible(decay.getDimSize(1), state.getDimSize(0)))
    return emitOpError() << "per-key log-decay " << decay
                         << " does not fit the key rows of " << state;
  return verifyDecay(*this, decay, decay.getDimSize(0), "log-decay");
}

static LogicalResult verifyTime(Operation *op, ArrayRef<int64_t> time,
                                StringRef which) {
  if (time.size() != 3 || time[0] < 1 || time[1] < 1 || time[2] < 0)
    return op->emitOpError()
           << which << " must be [div >= 1, mul >= 1, add >= 0]";
  return success();
}

/// The mask, decays and row times shared by decayed_gram and decayed_mix,
/// whose pairs are (lhs row, rhs row).
template <typename PairOp>
static LogicalResult verifyPairs(PairOp op, int64_t lhsRows, int64_t rhsRows) {
  if (op.getMask() != "inclusive" && op.getMask() != "strict")
    return op.emitOpError() << "mask must be \"inclusive\" or \"strict\", "
                               "not \""
                            << op.getMask() << "\"";
  if (bool(op.getLhsDecay()) != bool(op.getRhsDecay()))
    return op.emitOpError("takes both decays or neither");
  if (op.getLhsDecay()) {
    auto ld = op.getLhsDecay().getType(), rd = op.getRhsDecay().getType();
    if (ld.getRank() != rd.getRank())
      return op.emitOpError(
          "decays must both be scalar columns or both per-key");
    if (failed(verifyDecay(op, ld, lhsRows, "lhs decay")) ||
        failed(verifyDecay(op, rd, rhsRows, "rhs decay")))
      return failure();
  }
  if (failed(verifyTime(op, op.getLhsTime(), "lhs_time")) ||
      failed(verifyTime(op, op.getRhsTime(), "rhs_time")))
    return failure();
  return success();
}

LogicalResult DecayedGramOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  auto result = getType();
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOpError() << "operands must be row tiles [R, d]";
  if (!compatible(lhs.getDimSize(1), rhs.getDimSize(1)))
    return emitOpError() << "contracts " << lhs << " with " << rhs
                         << ": columns differ";
  if (result.getRank() != 2 ||
      !compatible(result.getDimSize(0), lhs.getDimSize(0)) ||
      !compatible(result.getDimSize(1), rhs.getDimSize(0)))
    return emitOpError() << "result " << result
                         << " must be rows(lhs) x rows(rhs)";
  return verifyPairs(*this, lhs.getDimSize(0), rhs.getDimSize(0));
}

LogicalResult DecayedMixOp::verify() {
  auto weights = getWeights().getType(), rhs = getRhs().getType();
  auto result = getType();
  if (weights.getRank() != 2 || rhs.getRank() != 2)
    return emitOpError() << "operands must be 2-D tiles";
  if (!compatible(weights.getDimSize(1), rhs.getDimSize(0)))
    return emitOpError() << "mixes the rows of " << rhs << " with weights "
                         << weights << ": their counts differ";
  if (result.getRank() != 2 ||
      !compatible(result.getDimSize(0), weights.getDimSize(0)) ||
      !compatible(result.getDimSize(1), rhs.getDimSize(1)))
    return emitOpError() << "result " << result
                         << " must be rows(weights) x columns(rhs)";
  return verifyPairs(*this, weights.getDimSize(0), rhs.getDimSize(0));
}

LogicalResult SolveUnitLowerOp::verify() {
  auto lower = getLower().getType(), rhs = getRhs().getType();
  if (lower.getRank() != 2 ||
      !compatible(lower.getDimSize(0), lower.getDimSize(1)))
    return emitOpError() << "L must be square, not " << lower;
  if (rhs.getRank() != 2 || !compatible(rhs.getDimSize(0), lower.getDimSize(0)))
    return emitOpError() << "rhs " << rhs << " does not have the rows of "
                         << lower;
  return success();
}

LogicalResult MatmulOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType(), res = getType();
  if (lhs.getRank() != 2 || rhs.getRank() != 2 || res.getRank() != 2)
    return emitOpError("operands and result must be 2-D tiles");
  int64_t m = getTransposeLhs() ? lhs.getDimSize(1) : lhs.getDimSize(0);
  int64_t k = getTransposeLhs() ? lhs.getDimSize(0) : lhs.getDimSize(1);
  int64_t rk = getTransposeRhs() ? rhs.getDimSize(1) : rhs.getDimSize(0);
  int64_t n = getTransposeRhs() ? rhs.getDimSize(0) : rhs.getDimSize(1);
  if (!compatible(k, rk))
    return emitOpError() << "inner dimensions of " << lhs << " and " << rhs
                         << " differ";
  if (!compatible(res.getDimSize(0), m) || !compatible(res.getDimSize(1), n))
    return emitOpError() << "result " << res << " has the wrong shape";
  return success();
}

LogicalResult InterleaveOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  auto in = cast<RankedTensorType>(getInputs().front().getType());
  auto out = getType();
  if (in.isDynamicDim(0) || out.isDynamicDim(0) ||
      out.getDimSize(0) != in.getDimSize(0) * int64_t(getInputs().size()) ||
      out.getRank() != in.getRank())
    return emitOpError() << "result " << out << " must have "
                         << getInputs().size() << " times the rows of " << in;
  return success();
}

LogicalResult StridedRowsOp::verify() {
  auto in = getInput().getType(), out = getType();
  int64_t start = getStart(), stride = getStride();
  if (stride < 1 || start < 0 || start >= stride)
    return emitOpError("needs 0 <= start < stride");
  if (in.isDynamicDim(0) || out.isDynamicDim(0) ||
      in.getRank() != out.getRank() ||
      in.getDimSize(0) != out.getDimSize(0) * stride)
    return emitOpError() << "result " << out << " must have 1/" << stride
                         << " of the rows of " << in;
  return success();
}
