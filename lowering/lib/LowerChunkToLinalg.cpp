//===- LowerChunkToLinalg.cpp - chunk ops to linalg/tensor/scf ------------===//
//
// Each chunk op becomes a tensor.generate (an entry per result element), a
// linalg.generic (elementwise maps and products) or an scf.for (the forward
// substitution and stores). Plain and exact rather than fast: this is the CPU
// path that checks derivations.
//
//===----------------------------------------------------------------------===//

#include "larc/Lowering/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace larc {
#define GEN_PASS_DEF_LARCLOWERCHUNKTOLINALG
#include "larc/Lowering/Passes.h.inc"
} // namespace larc

using namespace mlir;
using namespace larc;

namespace {

Value cIndex(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value cFloat(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

/// The dynamic extents of `type`, read from `like` (same shape).
SmallVector<Value> dynamicDims(OpBuilder &b, Location loc,
                               RankedTensorType type, Value like) {
  SmallVector<Value> dims;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dims.push_back(tensor::DimOp::create(b, loc, like, i));
  return dims;
}

/// tensor.generate of `type` whose body computes one element from its
/// indices.
Value generate(OpBuilder &b, Location loc, RankedTensorType type,
               ValueRange dynamic,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto gen = tensor::GenerateOp::create(b, loc, type, dynamic);
  Block *block = b.createBlock(
      &gen.getBody(), {}, SmallVector<Type>(type.getRank(), b.getIndexType()),
      SmallVector<Location>(type.getRank(), loc));
  OpBuilder nested = OpBuilder::atBlockEnd(block);
  Value element = body(nested, loc, block->getArguments());
  tensor::YieldOp::create(nested, loc, element);
  b.setInsertionPointAfter(gen);
  return gen;
}

/// Replaces `op` by a tensor.generate of its result type, whose dynamic sizes
/// are those of `like`, computing each element with `body`.
LogicalResult replaceWithGenerate(
    PatternRewriter &rewriter, Operation *op, Value like,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Location loc = op->getLoc();
  Value tile = generate(rewriter, loc, type,
                        dynamicDims(rewriter, loc, type, like), body);
  rewriter.replaceOp(op, tile);
  return success();
}

/// Element (row, col) of a [R] or [R, d] tile (col ignored for [R]).
Value rowElement(OpBuilder &b, Location loc, Value tile, Value row, Value col) {
  if (cast<RankedTensorType>(tile.getType()).getRank() == 1)
    return tensor::ExtractOp::create(b, loc, tile, row);
  return tensor::ExtractOp::create(b, loc, tile, ValueRange{row, col});
}

/// sum_{i in [lo, hi)} f(i) in `type`.
Value sumLoop(OpBuilder &b, Location loc, Type type, Value lo, Value hi,
              function_ref<Value(OpBuilder &, Location, Value)> term) {
  auto loop = scf::ForOp::create(
      b, loc, lo, hi, cIndex(b, loc, 1), ValueRange{cFloat(b, loc, type, 0)},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange acc) {
        Value sum = arith::AddFOp::create(nb, nl, acc[0], term(nb, nl, i));
        scf::YieldOp::create(nb, nl, sum);
      });
  return loop.getResult(0);
}

struct LowerLoadRows : OpRewritePattern<chunk::LoadRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::LoadRowsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    SmallVector<Value> dynamic;
    if (type.getRank() == 2)
      dynamic.push_back(
          memref::DimOp::create(rewriter, loc, op.getSource(), 2));
    Type element = type.getElementType();
    Value tile = generate(
        rewriter, loc, type, dynamic,
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              idx[0], op.getCount());
          auto ifOp = scf::IfOp::create(
              b, l, valid,
              [&](OpBuilder &tb, Location tl) {
                Value t = arith::AddIOp::create(tb, tl, op.getStart(), idx[0]);
                SmallVector<Value> at{t, op.getHead()};
                if (idx.size() == 2)
                  at.push_back(idx[1]);
                Value v = memref::LoadOp::create(tb, tl, op.getSource(), at);
                scf::YieldOp::create(tb, tl, v);
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, cFloat(eb, el, element, 0));
              });
          return ifOp.getResult(0);
        });
    rewriter.replaceOp(op, tile);
    return success();
  }
};

/// Loops over the first `rows` rows (and every column) of a tile.
void forEachElement(
    OpBuilder &b, Location loc, Value tile, Value rows,
    function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(tile.getType());
  Value one = cIndex(b, loc, 1), zero = cIndex(b, loc, 0);
  scf::ForOp::create(b, loc, zero, rows, one, ValueRange{},
                     [&](OpBuilder &rb, Location rl, Value r, ValueRange) {
                       if (type.getRank() == 1) {
                         body(rb, rl, {r});
                       } else {
                         Value cols = tensor::DimOp::create(rb, rl, tile, 1);
                         scf::ForOp::create(rb, rl, zero, cols, one,
                                            ValueRange{},
                                            [&](OpBuilder &cb, Location cl,
                                                Value c, ValueRange) {
                                              body(cb, cl, {r, c});
                                              scf::YieldOp::create(cb, cl);
                                            });
                       }
                       scf::YieldOp::create(rb, rl);
                     });
}

struct LowerStoreRows : OpRewritePattern<chunk::StoreRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::StoreRowsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    forEachElement(rewriter, loc, op.getTile(), op.getCount(),
                   [&](OpBuilder &b, Location l, ValueRange idx) {
                     Value v =
                         tensor::ExtractOp::create(b, l, op.getTile(), idx);
                     Value t =
                         arith::AddIOp::create(b, l, op.getStart(), idx[0]);
                     SmallVector<Value> at{t, op.getHead()};
                     if (idx.size() == 2)
                       at.push_back(idx[1]);
                     memref::StoreOp::create(b, l, v, op.getDest(), at);
                   });
    rewriter.eraseOp(op);
    return success();
  }
};

struct LowerLoadState : OpRewritePattern<chunk::LoadStateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::LoadStateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value src = op.getSource();
    bool vector = cast<MemRefType>(src.getType()).getRank() == 3;
    SmallVector<Value> dynamic{memref::DimOp::create(rewriter, loc, src, 2)};
    dynamic.push_back(
        vector ? cIndex(rewriter, loc, 1)
               : Value(memref::DimOp::create(rewriter, loc, src, 3)));
    auto type = op.getType();
    SmallVector<Value> dyn;
    for (int64_t i = 0; i < 2; ++i)
      if (type.isDynamicDim(i))
        dyn.push_back(dynamic[i]);
    Value tile =
        generate(rewriter, loc, type, dyn,
                 [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
                   SmallVector<Value> at{op.getSeq(), op.getHead(), idx[0]};
                   if (!vector)
                     at.push_back(idx[1]);
                   return memref::LoadOp::create(b, l, src, at);
                 });
    rewriter.replaceOp(op, tile);
    return success();
  }
};

struct LowerStoreState : OpRewritePattern<chunk::StoreStateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::StoreStateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dst = op.getDest();
    bool vector = cast<MemRefType>(dst.getType()).getRank() == 3;
    Value rows = tensor::DimOp::create(rewriter, loc, op.getState(), 0);
    forEachElement(rewriter, loc, op.getState(), rows,
                   [&](OpBuilder &b, Location l, ValueRange idx) {
                     Value v =
                         tensor::ExtractOp::create(b, l, op.getState(), idx);
                     SmallVector<Value> at{op.getSeq(), op.getHead(), idx[0]};
                     if (!vector)
                       at.push_back(idx[1]);
                     memref::StoreOp::create(b, l, v, dst, at);
                   });
    rewriter.eraseOp(op);
    return success();
  }
};

struct LowerMaskRows : OpRewritePattern<chunk::MaskRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::MaskRowsOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    return replaceWithGenerate(
        rewriter, op, op.getInput(),
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              idx[0], op.getCount());
          Value v = tensor::ExtractOp::create(b, l, op.getInput(), idx);
          return arith::SelectOp::create(
              b, l, valid, v, cFloat(b, l, type.getElementType(), 0));
        });
  }
};

struct LowerCumsum : OpRewritePattern<chunk::CumsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::CumsumOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    Value in = op.getInput();
    bool exclusive = op.getExclusive();
    return replaceWithGenerate(
        rewriter, op, in,
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value hi =
              exclusive
                  ? idx[0]
                  : Value(arith::AddIOp::create(b, l, idx[0], cIndex(b, l, 1)));
          Value col = idx.size() == 2 ? idx[1] : Value();
          return sumLoop(b, l, type.getElementType(), cIndex(b, l, 0), hi,
                         [&](OpBuilder &sb, Location sl, Value i) {
                           return rowElement(sb, sl, in, i, col);
                         });
        });
  }
};

Value lastRow(OpBuilder &b, Location loc, Value tile) {
  Value rows = tensor::DimOp::create(b, loc, tile, 0);
  return arith::SubIOp::create(b, loc, rows, cIndex(b, loc, 1));
}

struct LowerDecayToEnd : OpRewritePattern<chunk::DecayToEndOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::DecayToEndOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value in = op.getInput();
    Value last = lastRow(rewriter, loc, in);
    return replaceWithGenerate(
        rewriter, op, in,
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value col = idx.size() == 2 ? idx[1] : Value();
          return arith::SubFOp::create(b, l, rowElement(b, l, in, last, col),
                                       rowElement(b, l, in, idx[0], col));
        });
  }
};

struct LowerDecayRows : OpRewritePattern<chunk::DecayRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::DecayRowsOp op,
                                PatternRewriter &rewriter) const override {
    return replaceWithGenerate(
        rewriter, op, op.getInput(),
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value x = tensor::ExtractOp::create(b, l, op.getInput(), idx);
          Value g = rowElement(b, l, op.getLogDecay(), idx[0], idx[1]);
          return arith::MulFOp::create(b, l, x, math::ExpOp::create(b, l, g));
        });
  }
};

struct LowerDecayState : OpRewritePattern<chunk::DecayStateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::DecayStateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value decay = op.getLogDecay();
    Value last = lastRow(rewriter, loc, decay);
    return replaceWithGenerate(
        rewriter, op, op.getState(),
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value s = tensor::ExtractOp::create(b, l, op.getState(), idx);
          Value g = rowElement(b, l, decay, last, idx[0]); // column = key
          return arith::MulFOp::create(b, l, s, math::ExpOp::create(b, l, g));
        });
  }
};

/// floor(r / div) * mul + add.
Value rowTime(OpBuilder &b, Location loc, Value r, ArrayRef<int64_t> time) {
  Value t = arith::DivUIOp::create(b, loc, r, cIndex(b, loc, time[0]));
  t = arith::MulIOp::create(b, loc, t, cIndex(b, loc, time[1]));
  return arith::AddIOp::create(b, loc, t, cIndex(b, loc, time[2]));
}

/// Whether the mask of a decayed_gram or decayed_mix keeps the pair of lhs
/// row r and rhs row s: time(s) <= time(r), or < when strict.
template <typename PairOp>
Value keepsPair(OpBuilder &b, Location loc, PairOp op, Value r, Value s) {
  auto pred =
      op.isStrict() ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule;
  return arith::CmpIOp::create(b, loc, pred,
                               rowTime(b, loc, s, op.getRhsTime()),
                               rowTime(b, loc, r, op.getLhsTime()));
}

/// `body` where `keep` holds, else 0. Masked-out pairs are never evaluated:
/// their decay exponents are > 0.
Value ifKept(OpBuilder &b, Location loc, Value keep, Type element,
             function_ref<Value(OpBuilder &, Location)> body) {
  auto ifOp = scf::IfOp::create(
      b, loc, keep,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, body(tb, tl));
      },
      [&](OpBuilder &eb, Location el) {
        scf::YieldOp::create(eb, el, cFloat(eb, el, element, 0));
      });
  return ifOp.getResult(0);
}

/// p e^{ld_r(col) - rd_s(col)}, or p without decays.
Value pairDecayed(OpBuilder &b, Location loc, Value p, Value ld, Value rd,
                  Value r, Value s, Value col) {
  if (!ld)
    return p;
  Value e = arith::SubFOp::create(b, loc, rowElement(b, loc, ld, r, col),
                                  rowElement(b, loc, rd, s, col));
  return arith::MulFOp::create(b, loc, p, math::ExpOp::create(b, loc, e));
}

struct LowerDecayedGram : OpRewritePattern<chunk::DecayedGramOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::DecayedGramOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Type element = type.getElementType();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    Value ld = op.getLhsDecay(), rd = op.getRhsDecay();
    Value cols = tensor::DimOp::create(rewriter, loc, lhs, 1);
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, lhs, 0));
    if (type.isDynamicDim(1))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, rhs, 0));
    Value tile = generate(
        rewriter, loc, type, dynamic,
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value keep = keepsPair(b, l, op, idx[0], idx[1]);
          return ifKept(b, l, keep, element, [&](OpBuilder &tb, Location tl) {
            return sumLoop(
                tb, tl, element, cIndex(tb, tl, 0), cols,
                [&](OpBuilder &sb, Location sl, Value d) -> Value {
                  Value x = tensor::ExtractOp::create(sb, sl, lhs,
                                                      ValueRange{idx[0], d});
                  Value y = tensor::ExtractOp::create(sb, sl, rhs,
                                                      ValueRange{idx[1], d});
                  Value p = arith::MulFOp::create(sb, sl, x, y);
                  return pairDecayed(sb, sl, p, ld, rd, idx[0], idx[1], d);
                });
          });
        });
    rewriter.replaceOp(op, tile);
    return success();
  }
};

struct LowerDecayedMix : OpRewritePattern<chunk::DecayedMixOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::DecayedMixOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Type element = type.getElementType();
    Value weights = op.getWeights(), rhs = op.getRhs();
    Value ld = op.getLhsDecay(), rd = op.getRhsDecay();
    Value rows = tensor::DimOp::create(rewriter, loc, rhs, 0);
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, weights, 0));
    if (type.isDynamicDim(1))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, rhs, 1));
    Value tile = generate(
        rewriter, loc, type, dynamic,
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          return sumLoop(
              b, l, element, cIndex(b, l, 0), rows,
              [&](OpBuilder &sb, Location sl, Value s) -> Value {
                Value keep = keepsPair(sb, sl, op, idx[0], s);
                return ifKept(
                    sb, sl, keep, element, [&](OpBuilder &tb, Location tl) {
                      Value w = tensor::ExtractOp::create(
                          tb, tl, weights, ValueRange{idx[0], s});
                      Value x = tensor::ExtractOp::create(
                          tb, tl, rhs, ValueRange{s, idx[1]});
                      Value p = arith::MulFOp::create(tb, tl, w, x);
                      return pairDecayed(tb, tl, p, ld, rd, idx[0], s, idx[1]);
                    });
              });
        });
    rewriter.replaceOp(op, tile);
    return success();
  }
};

struct LowerMatmul : OpRewritePattern<chunk::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    bool t = op.getTransposeLhs(), tr = op.getTransposeRhs();
    SmallVector<Value> dynamic;
    if (type.isDynamicDim(0))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, lhs, t ? 1 : 0));
    if (type.isDynamicDim(1))
      dynamic.push_back(tensor::DimOp::create(rewriter, loc, rhs, tr ? 0 : 1));
    Value empty = tensor::EmptyOp::create(rewriter, loc, type, dynamic);
    Value zero = cFloat(rewriter, loc, type.getElementType(), 0);
    Value init =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto lhsMap = t ? AffineMap::get(3, 0, {k, m}, ctx)
                    : AffineMap::get(3, 0, {m, k}, ctx);
    auto rhsMap = tr ? AffineMap::get(3, 0, {n, k}, ctx)
                     : AffineMap::get(3, 0, {k, n}, ctx);
    SmallVector<AffineMap> maps{lhsMap, rhsMap,
                                AffineMap::get(3, 0, {m, n}, ctx)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{lhs, rhs}, ValueRange{init},
        maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction},
        [](OpBuilder &b, Location l, ValueRange a) {
          Value p = arith::MulFOp::create(b, l, a[0], a[1]);
          linalg::YieldOp::create(b, l,
                                  Value(arith::AddFOp::create(b, l, a[2], p)));
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct LowerSolveUnitLower : OpRewritePattern<chunk::SolveUnitLowerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::SolveUnitLowerOp op,
                                PatternRewriter &rewriter) const override {
    // Forward substitution, row by row: X_r = rhs_r - sum_{s<r} L_rs X_s.
    Location loc = op.getLoc();
    Value lower = op.getLower(), rhs = op.getRhs();
    Type element = op.getType().getElementType();
    Value zero = cIndex(rewriter, loc, 0), one = cIndex(rewriter, loc, 1);
    Value rows = tensor::DimOp::create(rewriter, loc, rhs, 0);
    Value cols = tensor::DimOp::create(rewriter, loc, rhs, 1);
    auto rowLoop = scf::ForOp::create(
        rewriter, loc, zero, rows, one, ValueRange{rhs},
        [&](OpBuilder &rb, Location rl, Value r, ValueRange xr) {
          auto colLoop = scf::ForOp::create(
              rb, rl, zero, cols, one, ValueRange{xr[0]},
              [&](OpBuilder &cb, Location cl, Value c, ValueRange xc) {
                Value x = xc[0];
                Value acc = sumLoop(
                    cb, cl, element, zero, r,
                    [&](OpBuilder &sb, Location sl, Value s) {
                      Value lrs = tensor::ExtractOp::create(sb, sl, lower,
                                                            ValueRange{r, s});
                      Value xs = tensor::ExtractOp::create(sb, sl, x,
                                                           ValueRange{s, c});
                      return Value(arith::MulFOp::create(sb, sl, lrs, xs));
                    });
                Value b =
                    tensor::ExtractOp::create(cb, cl, rhs, ValueRange{r, c});
                Value v = arith::SubFOp::create(cb, cl, b, acc);
                Value next =
                    tensor::InsertOp::create(cb, cl, v, x, ValueRange{r, c});
                scf::YieldOp::create(cb, cl, next);
              });
          scf::YieldOp::create(rb, rl, colLoop.getResults());
        });
    rewriter.replaceOp(op, rowLoop.getResults());
    return success();
  }
};

struct LowerInterleave : OpRewritePattern<chunk::InterleaveOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::InterleaveOp op,
                                PatternRewriter &rewriter) const override {
    ValueRange inputs = op.getInputs();
    int64_t n = inputs.size();
    return replaceWithGenerate(
        rewriter, op, inputs.front(),
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value which = arith::RemUIOp::create(b, l, idx[0], cIndex(b, l, n));
          Value row = arith::DivUIOp::create(b, l, idx[0], cIndex(b, l, n));
          SmallVector<Value> at{row};
          if (idx.size() == 2)
            at.push_back(idx[1]);
          Value result = tensor::ExtractOp::create(b, l, inputs[0], at);
          for (int64_t i = 1; i < n; ++i) {
            Value is = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                             which, cIndex(b, l, i));
            Value v = tensor::ExtractOp::create(b, l, inputs[i], at);
            result = arith::SelectOp::create(b, l, is, v, result);
          }
          return result;
        });
  }
};

struct LowerStridedRows : OpRewritePattern<chunk::StridedRowsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(chunk::StridedRowsOp op,
                                PatternRewriter &rewriter) const override {
    return replaceWithGenerate(
        rewriter, op, op.getInput(),
        [&](OpBuilder &b, Location l, ValueRange idx) -> Value {
          Value row =
              arith::MulIOp::create(b, l, idx[0], cIndex(b, l, op.getStride()));
          row = arith::AddIOp::create(b, l, row, cIndex(b, l, op.getStart()));
          SmallVector<Value> at{row};
          if (idx.size() == 2)
            at.push_back(idx[1]);
          return tensor::ExtractOp::create(b, l, op.getInput(), at);
        });
  }
};

struct LowerChunkToLinalgPass
    : larc::impl::LarcLowerChunkToLinalgBase<LowerChunkToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns
        .add<LowerLoadRows, LowerStoreRows, LowerLoadState, LowerStoreState,
             LowerMaskRows, LowerCumsum, LowerDecayToEnd, LowerDecayRows,
             LowerDecayState, LowerDecayedGram, LowerDecayedMix, LowerMatmul,
             LowerSolveUnitLower, LowerInterleave, LowerStridedRows>(
            &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<chunk::ChunkDialect>(op->getDialect())) {
        op->emitOpError("was not lowered");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
