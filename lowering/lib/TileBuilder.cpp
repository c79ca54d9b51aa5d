//===- TileBuilder.cpp - per-token larc values over chunk tiles -----------===//

#include "TileBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace larc;

RankedTensorType TileBuilder::tileType(int64_t rank, int64_t rows) const {
  SmallVector<int64_t, 2> shape{rows ? rows : ctx.rows};
  if (rank == 2)
    shape.push_back(ShapedType::kDynamic);
  return RankedTensorType::get(shape, ctx.elementType);
}

Value TileBuilder::constant(double value) {
  return arith::ConstantOp::create(b, b.getUnknownLoc(),
                                   b.getFloatAttr(ctx.elementType, value));
}

Value TileBuilder::cols(Value tile) {
  return tensor::DimOp::create(b, tile.getLoc(), tile, 1);
}

Value TileBuilder::splat(Value value, int64_t rank, Value cols, int64_t rows) {
  Location loc = value.getLoc();
  SmallVector<Value> dynamic;
  if (rank == 2)
    dynamic.push_back(cols);
  Value empty = tensor::EmptyOp::create(b, loc, tileType(rank, rows), dynamic);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value TileBuilder::zeros(int64_t rank, Value cols, int64_t rows) {
  return splat(constant(0.0), rank, cols, rows);
}

/// Identity map of the result, or (r, d) -> (r) for a column operand.
static SmallVector<AffineMap> broadcastMaps(MLIRContext *context,
                                            ValueRange operands, int64_t rank) {
  SmallVector<AffineMap> maps;
  for (Value operand : operands) {
    int64_t r = cast<RankedTensorType>(operand.getType()).getRank();
    if (r == rank)
      maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
    else
      maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(0, context)));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  return maps;
}

Value TileBuilder::map(
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Location loc = operands.front().getLoc();
  int64_t rank = 1;
  Value wide;
  for (Value operand : operands) {
    auto type = cast<RankedTensorType>(operand.getType());
    if (type.getRank() > rank || !wide) {
      rank = std::max<int64_t>(rank, type.getRank());
      if (type.getRank() == rank)
        wide = operand;
    }
  }
  auto type = cast<RankedTensorType>(wide.getType());
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < rank; ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(tensor::DimOp::create(b, loc, wide, i));
  Value init = tensor::EmptyOp::create(b, loc, type, dynamic);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, operands, ValueRange{init},
      broadcastMaps(b.getContext(), operands, rank), iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value TileBuilder::keepPairs(Value m, Value rowKey, Value colKey) {
  Location loc = m.getLoc();
  auto type = cast<RankedTensorType>(m.getType());
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < 2; ++i)
    if (type.isDynamicDim(i))
      dynamic.push_back(tensor::DimOp::create(b, loc, m, i));
  Value init = tensor::EmptyOp::create(b, loc, type, dynamic);
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(2, context),
      AffineMap::get(2, 0, getAffineDimExpr(0, context)),
      AffineMap::get(2, 0, getAffineDimExpr(1, context)),
      AffineMap::getMultiDimIdentityMap(2, context)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{m, rowKey, colKey}, ValueRange{init},
      maps, {utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nested, Location nl, ValueRange a) {
        Value same = arith::CmpFOp::create(
            nested, nl, arith::CmpFPredicate::OEQ, a[1], a[2]);
        Value zero = arith::ConstantOp::create(
            nested, nl, nested.getFloatAttr(a[0].getType(), 0.0));
        linalg::YieldOp::create(
            nested, nl,
            Value(arith::SelectOp::create(nested, nl, same, a[0], zero)));
      });
  return generic.getResult(0);
}

Value TileBuilder::rowMax(Value tile) {
  Location loc = tile.getLoc();
  int64_t rows = cast<RankedTensorType>(tile.getType()).getDimSize(0);
  Value lowest = constant(-std::numeric_limits<double>::infinity());
  Value init = splat(lowest, 1, Value(), rows);
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(2, context),
      AffineMap::get(2, 0, getAffineDimExpr(0, context))};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{tile}, ValueRange{init},
      maps, {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value top =
            arith::MaximumFOp::create(nested, nestedLoc, args[0], args[1]);
        linalg::YieldOp::create(nested, nestedLoc, top);
      });
  return generic.getResult(0);
}

Value TileBuilder::rowSum(
    ValueRange operands,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Location loc = operands.front().getLoc();
  int64_t rows =
      cast<RankedTensorType>(operands.front().getType()).getDimSize(0);
  Value init = zeros(1, Value(), rows);
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps(operands.size(),
                              AffineMap::getMultiDimIdentityMap(2, context));
  maps.push_back(AffineMap::get(2, 0, getAffineDimExpr(0, context)));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value term = body(nested, nestedLoc, args.drop_back());
        Value sum = arith::AddFOp::create(nested, nestedLoc, args.back(), term);
        linalg::YieldOp::create(nested, nestedLoc, sum);
      });
  return generic.getResult(0);
}

FailureOr<Value> TileBuilder::tile(Value perToken) {
  if (Value known = tiles.lookup(perToken))
    return known;
  Operation *def = perToken.getDefiningOp();
  if (!def)
    return failure();
  FailureOr<Value> result = evaluate(def);
  if (succeeded(result))
    tiles[perToken] = *result;
  return result;
}

/// The scalar body of a unary larc op, on one element.
static Value unaryBody(Operation *op, OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  auto cst = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
  };
  auto sigmoid = [&](Value v) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, v));
    return arith::DivFOp::create(b, loc, cst(1.0),
                                 arith::AddFOp::create(b, loc, cst(1.0), e));
  };
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](NegOp) { return arith::NegFOp::create(b, loc, x); })
      .Case([&](ExpOp) { return math::ExpOp::create(b, loc, x); })
      .Case([&](LogOp) { return math::LogOp::create(b, loc, x); })
      .Case([&](SqrtOp) { return math::SqrtOp::create(b, loc, x); })
      .Case([&](SigmoidOp) { return sigmoid(x); })
      .Case(
          [&](SiluOp) { return arith::MulFOp::create(b, loc, x, sigmoid(x)); })
      .Case([&](AbsOp) { return math::AbsFOp::create(b, loc, x); })
      .Case([&](ReluOp) {
        return arith::MaximumFOp::create(b, loc, x, cst(0.0));
      })
      .Case([&](SoftplusOp) -> Value {
        // max(x, 0) + log1p(exp(-|x|)) does not overflow for large x.
        Value pos = arith::MaximumFOp::create(b, loc, x, cst(0.0));
        Value negAbs =
            arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
        Value tail =
            math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
        return arith::AddFOp::create(b, loc, pos, tail);
      })
      .Case([&](EluOp) -> Value {
        Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                            x, cst(0.0));
        Value neg = math::ExpM1Op::create(b, loc, x);
        return arith::SelectOp::create(b, loc, isPos, x, neg);
      })
      .Default([](Operation *) { return Value(); });
}

static Value binaryBody(Operation *op, OpBuilder &b, Location loc, Value x,
                        Value y) {
  return TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) { return arith::AddFOp::create(b, loc, x, y); })
      .Case([&](SubOp) { return arith::SubFOp::create(b, loc, x, y); })
      .Case([&](MulOp) { return arith::MulFOp::create(b, loc, x, y); })
      .Case([&](DivOp) { return arith::DivFOp::create(b, loc, x, y); })
      .Case([&](PowOp) { return math::PowFOp::create(b, loc, x, y); })
      .Case([&](ModOp) -> Value {
        Value q =
            math::FloorOp::create(b, loc, arith::DivFOp::create(b, loc, x, y));
        return arith::SubFOp::create(b, loc, x,
                                     arith::MulFOp::create(b, loc, y, q));
      })
      .Case([&](MinOp) { return arith::MinimumFOp::create(b, loc, x, y); })
      .Case([&](MaxOp) { return arith::MaximumFOp::create(b, loc, x, y); })
      .Default([](Operation *) { return Value(); });
}

FailureOr<Value> TileBuilder::evaluate(Operation *op) {
  OpBuilder::InsertionGuard guard(b);
  Location loc = op->getLoc();
  auto fail = [&](const Twine &why) -> FailureOr<Value> {
    return op->emitOpError() << "cannot be evaluated per chunk: " << why,
           failure();
  };

  if (auto input = dyn_cast<InputOp>(op)) {
    Value buffer = ctx.inputBuffers.lookup(op);
    if (!buffer)
      return fail("no buffer for this input");
    int64_t rank = isa<VecType>(input.getType()) ? 2 : 1;
    Value rows = chunk::LoadRowsOp::create(b, loc, tileType(rank), buffer,
                                           ctx.start, ctx.head, ctx.count);
    return rows;
  }
  if (auto cst = dyn_cast<ConstantOp>(op))
    return splat(constant(cst.getValue().convertToDouble()), 1, Value());
  if (isa<HeadIndexOp>(op))
    return splat(ctx.headAsFloat, 1, Value());
  if (isa<PositionOp>(op)) {
    // start - sequence start + row.
    Value first = arith::SubIOp::create(b, loc, ctx.start, ctx.sequenceStart);
    auto gen = tensor::GenerateOp::create(b, loc, tileType(1), ValueRange{});
    Block *block = b.createBlock(&gen.getBody(), {}, {b.getIndexType()}, {loc});
    OpBuilder nested = OpBuilder::atBlockEnd(block);
    Value t = arith::AddIOp::create(nested, loc, first, block->getArgument(0));
    Value asInt = arith::IndexCastOp::create(nested, loc, b.getI64Type(), t);
    tensor::YieldOp::create(
        nested, loc,
        Value(arith::SIToFPOp::create(nested, loc, ctx.elementType, asInt)));
    return Value(gen);
  }
  if (auto scale = dyn_cast<ScaleOp>(op))
    return splat(ctx.scales.lookup(scale.getDim()), 1, Value());

  SmallVector<Value> operands;
  for (Value operand : op->getOperands()) {
    FailureOr<Value> t = tile(operand);
    if (failed(t))
      return fail("an operand has no per-token value");
    operands.push_back(*t);
  }

  if (isa<NegOp, ExpOp, LogOp, SqrtOp, SigmoidOp, SiluOp, ReluOp, SoftplusOp,
          EluOp, AbsOp>(op))
    return map(operands, [&](OpBuilder &nb, Location nl, ValueRange args) {
      return unaryBody(op, nb, nl, args[0]);
    });
  if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, MinOp, MaxOp>(op))
    return map(operands, [&](OpBuilder &nb, Location nl, ValueRange args) {
      return binaryBody(op, nb, nl, args[0], args[1]);
    });
  if (auto norm = dyn_cast<L2NormOp>(op)) {
    Value ss = rowSum(operands, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::MulFOp::create(nb, nl, a[0], a[0]);
    });
    Value eps = constant(norm.getEps().convertToDouble());
    return map({operands[0], ss},
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value den = math::SqrtOp::create(
                     nb, nl, arith::AddFOp::create(nb, nl, a[1], eps));
                 return arith::DivFOp::create(nb, nl, a[0], den);
               });
  }
  if (isa<KronOp>(op)) {
    // out[r, i |b| + j] = a[r, i] b[r, j].
    Value a = operands[0], bt = operands[1];
    Value nb = cols(bt);
    Value n = arith::MulIOp::create(b, loc, cols(a), nb);
    auto gen = tensor::GenerateOp::create(b, loc, tileType(2), ValueRange{n});
    Block *block = b.createBlock(
        &gen.getBody(), {}, {b.getIndexType(), b.getIndexType()}, {loc, loc});
    OpBuilder nested = OpBuilder::atBlockEnd(block);
    Value r = block->getArgument(0), f = block->getArgument(1);
    Value i = arith::DivUIOp::create(nested, loc, f, nb);
    Value j = arith::RemUIOp::create(nested, loc, f, nb);
    Value x = tensor::ExtractOp::create(nested, loc, a, ValueRange{r, i});
    Value y = tensor::ExtractOp::create(nested, loc, bt, ValueRange{r, j});
    tensor::YieldOp::create(nested, loc,
                            Value(arith::MulFOp::create(nested, loc, x, y)));
    return Value(gen);
  }
  if (isa<ConcatOp>(op)) {
    // The parts column-wise (a scalar [R] is one column), element by element
    // so that no slice copies reach the buffers: out[r, f] is part p's
    // entry at f - offset(p) for the part whose columns hold f.
    SmallVector<Value, 4> parts, ends;
    Value end = arith::ConstantIndexOp::create(b, loc, 0);
    for (Value t : operands) {
      if (cast<RankedTensorType>(t.getType()).getRank() == 1)
        t = tensor::ExpandShapeOp::create(
            b, loc, RankedTensorType::get({ctx.rows, 1}, ctx.elementType), t,
            ArrayRef<ReassociationIndices>{{0, 1}});
      parts.push_back(t);
      end = arith::AddIOp::create(b, loc, end, cols(t));
      ends.push_back(end);
    }
    auto gen = tensor::GenerateOp::create(b, loc, tileType(2), ValueRange{end});
    Block *block = b.createBlock(
        &gen.getBody(), {}, {b.getIndexType(), b.getIndexType()}, {loc, loc});
    OpBuilder nested = OpBuilder::atBlockEnd(block);
    Value r = block->getArgument(0), f = block->getArgument(1);
    Type element = ctx.elementType;
    // Part p (p >= i) at column f, as nested ifs on f < ends[p].
    std::function<Value(OpBuilder &, size_t)> pick = [&](OpBuilder &pb,
                                                         size_t p) -> Value {
      Value begin = p == 0 ? Value(arith::ConstantIndexOp::create(pb, loc, 0))
                           : ends[p - 1];
      auto read = [&](OpBuilder &rb) -> Value {
        Value col = arith::SubIOp::create(rb, loc, f, begin);
        return tensor::ExtractOp::create(rb, loc, parts[p], ValueRange{r, col});
      };
      if (p + 1 == parts.size())
        return read(pb);
      Value inside =
          arith::CmpIOp::create(pb, loc, arith::CmpIPredicate::ult, f, ends[p]);
      auto ifOp = scf::IfOp::create(pb, loc, TypeRange{element}, inside,
                                    /*withElseRegion=*/true);
      OpBuilder thenB = ifOp.getThenBodyBuilder();
      scf::YieldOp::create(thenB, loc, read(thenB));
      OpBuilder elseB = ifOp.getElseBodyBuilder();
      scf::YieldOp::create(elseB, loc, pick(elseB, p + 1));
      return ifOp.getResult(0);
    };
    tensor::YieldOp::create(nested, loc, pick(nested, 0));
    return Value(gen);
  }
  if (isa<SoftmaxOp>(op)) {
    // e^{x - max x} / sum e^{x - max x}, row by row.
    Value top = rowMax(operands[0]);
    Value e = map({operands[0], top},
                  [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    return math::ExpOp::create(
                        nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
                  });
    Value sum =
        rowSum({e}, [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    return map({e, sum}, [](OpBuilder &nb, Location nl, ValueRange a) -> Value {
      return arith::DivFOp::create(nb, nl, a[0], a[1]);
    });
  }
  if (isa<DotOp>(op))
    return rowSum(operands, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::MulFOp::create(nb, nl, a[0], a[1]);
    });
  return fail("matrices and states have no per-token tile");
}
