//===- DeriveChunkForm.cpp - the chunkwise-parallel form of a rule --------===//
//
// Replaces each larc.rule with a func.func that runs it chunk by chunk. The
// maths is design.md §2.1; per state, with rows r = (token, sub-step, term)
// of one chunk, pseudo-token log-decays gamma, b = cumsum(gamma) (inclusive)
// and b' = b - gamma (exclusive):
//
//   L_rs   = sum_d Y_rd A_sd e^{b'_r(d) - b_s(d)}          time(s) < time(r)
//   (I + L) C = X - (Y (.) e^{b'}) S0                        (only with probes)
//   O_t    = (Q_t (.) e^{b_t}) S0 + sum_s [Q_t A_s e^{b_t - b_s}] C_s,  s <= t
//   S_C    = diag(e^{b_last}) S0 + (A (.) e^{b_last - b})^T C
//
// Every exponent is a difference taken forward in time, so it is <= 0.
//
//===----------------------------------------------------------------------===//

#include "TileBuilder.h"
#include "larc/Lowering/Passes.h"
#include "larc/Lowering/RecurrenceForm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace larc {
#define GEN_PASS_DEF_LARCDERIVECHUNKFORM
#include "larc/Lowering/Passes.h.inc"
} // namespace larc

using namespace mlir;
using namespace larc;

namespace {

/// The function's buffers, by role.
struct ProgramSignature {
  SmallVector<InputOp> inputs;
  SmallVector<StateOp> states;
  SmallVector<OutputOp> outputs;

  static ProgramSignature of(RuleOp rule) {
    ProgramSignature sig;
    for (Operation &op : rule.getBody().front()) {
      if (auto input = dyn_cast<InputOp>(op))
        sig.inputs.push_back(input);
      else if (auto state = dyn_cast<StateOp>(op))
        sig.states.push_back(state);
      else if (auto output = dyn_cast<OutputOp>(op))
        sig.outputs.push_back(output);
    }
    return sig;
  }
};

MemRefType dynamicBuffer(int64_t rank, Type element) {
  return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                         element);
}

/// Token-major [T, H, d] or [T, H].
MemRefType rowsBufferType(Type larcType, Type element) {
  return dynamicBuffer(isa<VecType>(larcType) ? 3 : 2, element);
}

/// [N, H, K, V] or [N, H, K].
MemRefType stateBufferType(StateType type, Type element) {
  return dynamicBuffer(type.isVector() ? 3 : 4, element);
}

/// Emits the chunk form of every state of one rule inside the chunk loop.
class StateAdvance {
public:
  StateAdvance(TileBuilder &tiles, const StateForm &form)
      : tiles(tiles), b(tiles.builder()), form(form) {}

  /// Advances `state` (a K x V tile) over the current chunk; binds the tiles
  /// of the state's readouts and returns the state after the chunk.
  FailureOr<Value> advance(Value state);

private:
  FailureOr<Value> tileOf(Value perToken) {
    return perToken ? tiles.tile(perToken) : FailureOr<Value>(Value());
  }
  /// Rows of one tile per (sub-step, term), interleaved; a single tile
  /// when each token has one row.
  Value rows(ArrayRef<Value> perStepTerm) {
    if (perStepTerm.size() == 1)
      return perStepTerm.front();
    auto type = cast<RankedTensorType>(perStepTerm.front().getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[0] *= perStepTerm.size();
    return chunk::InterleaveOp::create(
        b, loc(), RankedTensorType::get(shape, type.getElementType()),
        perStepTerm);
  }
  Value masked(Value tile) {
    return chunk::MaskRowsOp::create(b, loc(), tile.getType(), tile,
                                     tiles.context().count);
  }
  Location loc() { return form.recur.getLoc(); }

  TileBuilder &tiles;
  OpBuilder &b;
  StateForm form; // ops are handles: a copy lets us call their getters
};

/// Static or dynamic: the size of dimension `i` of a tile.
static int64_t dimOf(Value tile, unsigned i) {
  return cast<RankedTensorType>(tile.getType()).getDimSize(i);
}

static RankedTensorType matrixType(int64_t rows, int64_t cols, Type element) {
  return RankedTensorType::get({rows, cols}, element);
}

FailureOr<Value> StateAdvance::advance(Value state) {
  const ChunkContext &ctx = tiles.context();
  const int64_t steps = form.steps.size();
  const int64_t terms = std::max<unsigned>(1, form.maxTerms());
  const int64_t C = ctx.rows;
  const DecayKind decay = form.decayKind();
  const bool hasDecay = decay != DecayKind::None;
  const bool perKey = decay == DecayKind::PerKey;
  const bool vectorState = form.state.getType().isVector();
  Type element = ctx.elementType;
  Value keys = tensor::DimOp::create(b, loc(), state, 0);
  Value values = tensor::DimOp::create(b, loc(), state, 1);

  // A scalar data tile [C] of a vector state is its single value column.
  auto asColumn = [&](Value tile) -> Value {
    if (cast<RankedTensorType>(tile.getType()).getRank() == 2)
      return tile;
    auto type = matrixType(dimOf(tile, 0), 1, element);
    return tensor::ExpandShapeOp::create(
        b, loc(), type, tile, ArrayRef<ReassociationIndices>{{0, 1}});
  };

  // Per (sub-step, term) tiles of directions A, data X, probes Y; per
  // sub-step log-decays.
  SmallVector<Value> dirs, data, probes, gammas, flags;
  const bool restarts = llvm::any_of(
      form.steps, [](const SubStep &s) { return bool(s.vanishing); });
  for (SubStep &step : form.steps) {
    for (int64_t m = 0; m < terms; ++m) {
      if (m >= int64_t(step.terms.size())) {
        dirs.push_back(tiles.zeros(2, keys));
        data.push_back(tiles.zeros(2, values));
        probes.push_back(tiles.zeros(2, keys));
        continue;
      }
      const RankOneTerm &term = step.terms[m];
      FailureOr<Value> a = tileOf(term.direction), x = tileOf(term.data),
                       y = tileOf(term.probe);
      if (failed(a) || failed(x) || failed(y))
        return failure();
      dirs.push_back(masked(*a));
      data.push_back(*x ? masked(vectorState ? asColumn(*x) : *x)
                        : tiles.zeros(2, values));
      probes.push_back(*y ? masked(*y) : tiles.zeros(2, keys));
    }
    Value gamma;
    if (step.vanishing) {
      // A factor r that may be zero: the log of the rest plus log r where
      // r != 0, and a flag where r = 0 (the state restarts).
      FailureOr<Value> r = tiles.tile(step.vanishing);
      FailureOr<Value> rest = step.restLogDecay
                                  ? tiles.tile(step.restLogDecay)
                                  : FailureOr<Value>(tiles.zeros(1, Value()));
      if (failed(r) || failed(rest))
        return failure();
      auto isZero = [](OpBuilder &nb, Location nl, Value x) -> Value {
        Value zero =
            arith::ConstantOp::create(nb, nl, nb.getFloatAttr(x.getType(), 0));
        return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x,
                                     zero);
      };
      gamma = masked(tiles.map(
          {*rest, *r}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
            Value zero = arith::ConstantOp::create(
                nb, nl, nb.getFloatAttr(a[1].getType(), 0));
            Value log =
                arith::SelectOp::create(nb, nl, isZero(nb, nl, a[1]), zero,
                                        math::LogOp::create(nb, nl, a[1]));
            return arith::AddFOp::create(nb, nl, a[0], log);
          }));
      flags.push_back(masked(tiles.map(
          {*r}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
            Type t = a[0].getType();
            return arith::SelectOp::create(
                nb, nl, isZero(nb, nl, a[0]),
                arith::ConstantOp::create(nb, nl, nb.getFloatAttr(t, 1)),
                arith::ConstantOp::create(nb, nl, nb.getFloatAttr(t, 0)));
          })));
    } else if (step.logDecay) {
      FailureOr<Value> g = tiles.tile(step.logDecay);
      if (failed(g))
        return failure();
      gamma = masked(*g);
    } else {
      gamma = tiles.zeros(perKey ? 2 : 1, keys);
    }
    if (restarts && !step.vanishing)
      flags.push_back(tiles.zeros(1, Value()));
    // A scalar decay beside a per-key one broadcasts over the keys.
    if (perKey && cast<RankedTensorType>(gamma.getType()).getRank() == 1)
      gamma =
          tiles.map({gamma, tiles.zeros(2, keys)},
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    gammas.push_back(gamma);
  }

  Value A = rows(dirs), X = rows(data), Y = rows(probes);
  const SmallVector<int64_t> rowTime{terms, 1, 0};

  // Cumulative log-decays per pseudo-token, then per row.
  auto perRow = [&](Value pseudo) {
    return rows(SmallVector<Value>(terms, pseudo));
  };
  auto cumsum = [&](Value x, bool exclusive) -> Value {
    return chunk::CumsumOp::create(b, loc(), x.getType(), x,
                                   exclusive ? b.getUnitAttr() : nullptr);
  };
  Value bIncl, bExcl, rowIncl, rowExcl;
  if (hasDecay) {
    Value gamma = rows(gammas);
    bIncl = cumsum(gamma, false);
    bExcl = cumsum(gamma, true);
    rowIncl = perRow(bIncl);
    rowExcl = perRow(bExcl);
  }
  // Restarts: a pair of rows keeps its decayed weight only if no restart
  // lies between them (same segment index, the cumulative count of
  // restarts), and a row reads S0 only before the chunk's first restart.
  Value segIncl, segExcl, rowSegIncl, rowSegExcl, segLast;
  if (restarts) {
    Value flag = rows(flags);
    segIncl = cumsum(flag, false);
    segExcl = cumsum(flag, true);
    rowSegIncl = perRow(segIncl);
    rowSegExcl = perRow(segExcl);
    Value last =
        arith::ConstantIndexOp::create(b, loc(), dimOf(segIncl, 0) - 1);
    segLast = tensor::ExtractOp::create(b, loc(), segIncl, last);
  }
  auto keepPairs = [&](Value m, Value segL, Value segR) {
    return restarts ? tiles.keepPairs(m, segL, segR) : m;
  };
  auto keepRowsAt = [&](Value tile, Value seg, Value target) -> Value {
    if (!restarts)
      return tile;
    return tiles.map({tile, seg},
                     [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                       Value same = arith::CmpFOp::create(
                           nb, nl, arith::CmpFPredicate::OEQ, a[1], target);
                       Value zero = arith::ConstantOp::create(
                           nb, nl, nb.getFloatAttr(a[0].getType(), 0));
                       return arith::SelectOp::create(nb, nl, same, a[0], zero);
                     });
  };
  auto fromStart = [&](Value tile, Value seg) {
    return keepRowsAt(tile, seg, restarts ? tiles.constant(0.0) : Value());
  };
  auto decayRows = [&](Value tile, Value logDecay) -> Value {
    return hasDecay ? Value(chunk::DecayRowsOp::create(b, loc(), tile.getType(),
                                                       tile, logDecay))
                    : tile;
  };
  auto gram = [&](Value lhs, Value rhs, Value lhsDecay, Value rhsDecay,
                  StringRef mask, ArrayRef<int64_t> lhsTime) -> Value {
    auto type = matrixType(dimOf(lhs, 0), dimOf(rhs, 0), element);
    return chunk::DecayedGramOp::create(
        b, loc(), type, lhs, rhs, hasDecay ? lhsDecay : Value(),
        hasDecay ? rhsDecay : Value(), b.getStringAttr(mask),
        b.getDenseI64ArrayAttr(lhsTime), b.getDenseI64ArrayAttr(rowTime));
  };
  auto matmul = [&](Value lhs, Value rhs, bool transposeLhs,
                    bool transposeRhs = false) -> Value {
    int64_t m = dimOf(lhs, transposeLhs ? 1 : 0);
    auto type = matrixType(m, dimOf(rhs, transposeRhs ? 0 : 1), element);
    return chunk::MatmulOp::create(b, loc(), type, lhs, rhs, transposeLhs,
                                   transposeRhs);
  };
  auto add = [&](Value x, Value y) {
    return tiles.map({x, y}, [](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::AddFOp::create(nb, nl, a[0], a[1]);
    });
  };

  // The data each row writes: X itself, or, when rows probe the state, the
  // solution of the unit-lower-triangular system (UT transform).
  Value writes = X;
  if (form.hasProbes()) {
    Value lower = keepPairs(gram(Y, A, rowExcl, rowIncl, "strict", rowTime),
                            rowSegExcl, rowSegIncl);
    Value predicted =
        matmul(fromStart(decayRows(Y, rowExcl), rowSegExcl), state, false);
    Value rhs =
        tiles.map({X, predicted}, [](OpBuilder &nb, Location nl, ValueRange a) {
          return arith::SubFOp::create(nb, nl, a[0], a[1]);
        });
    writes =
        chunk::SolveUnitLowerOp::create(b, loc(), rhs.getType(), lower, rhs);
  }

  // A query reads after its token's last sub-step (pseudo-token
  // t*steps + steps-1), or with `prev` before its first (t*steps): the
  // rows of a per-pseudo-token cumulative tile (log-decays, restart counts)
  // at the queries.
  auto atQueries = [&](Value incl, Value excl, bool prev) -> Value {
    Value source = prev ? excl : incl;
    if (!source || steps == 1)
      return source;
    auto type = cast<RankedTensorType>(source.getType());
    return chunk::StridedRowsOp::create(b, loc(),
                                        tiles.tileType(type.getRank(), C),
                                        source, prev ? 0 : steps - 1, steps);
  };
  auto queryDecay = [&](bool prev) { return atQueries(bIncl, bExcl, prev); };
  auto querySeg = [&](bool prev) { return atQueries(segIncl, segExcl, prev); };

  // Readouts: inter-chunk part plus the masked intra-chunk part.
  for (ReadoutForm readout : form.readouts) {
    FailureOr<Value> q = tiles.tile(readout.op.getProbe());
    if (failed(q))
      return failure();
    int64_t offset = readout.prev ? 0 : steps - 1;
    Value bq = queryDecay(readout.prev);
    Value segq = querySeg(readout.prev);
    Value inter = matmul(fromStart(decayRows(*q, bq), segq), state, false);
    Value weights = keepPairs(gram(*q, A, bq, rowIncl,
                                   readout.prev ? "strict" : "inclusive",
                                   {1, steps, offset}),
                              segq, rowSegIncl);
    Value out = add(inter, matmul(weights, writes, false));
    if (vectorState) {
      // The single value column becomes the scalar readout [C].
      out = tensor::CastOp::create(b, loc(), matrixType(C, 1, element), out);
      out = tensor::CollapseShapeOp::create(
          b, loc(), out, ArrayRef<ReassociationIndices>{{0, 1}});
    }
    tiles.bind(readout.op.getResult(), out);
  }

  // Applies S_t p_t along the value dimension (design §2.1 with the query
  // and the written data swapped): per key d,
  //   o_td = e^{b_t(d)} (S0 p_t)_d + sum_{s <= t} e^{b_t(d) - b_s(d)} a_sd (c_s
  //   . p_t);
  // a vector state read whole is the case p = 1 over its single column.
  for (ApplyForm apply : form.applies) {
    Value p;
    if (Value probe = apply.op.getProbe()) {
      FailureOr<Value> t = tiles.tile(probe);
      if (failed(t))
        return failure();
      p = *t;
    } else {
      p = tiles.splat(tiles.constant(1.0), 2, values);
    }
    int64_t offset = apply.prev ? 0 : steps - 1;
    Value bq = queryDecay(apply.prev);
    Value segq = querySeg(apply.prev);
    Value inter = fromStart(
        decayRows(matmul(p, state, false, /*transposeRhs=*/true), bq), segq);
    Value weights = keepPairs(matmul(p, writes, false, /*transposeRhs=*/true),
                              segq, rowSegIncl);
    auto type = matrixType(C, ShapedType::kDynamic, element);
    Value intra = chunk::DecayedMixOp::create(
        b, loc(), type, weights, A, hasDecay ? bq : Value(),
        hasDecay ? rowIncl : Value(),
        b.getStringAttr(apply.prev ? "strict" : "inclusive"),
        b.getDenseI64ArrayAttr({1, steps, offset}),
        b.getDenseI64ArrayAttr(rowTime));
    tiles.bind(apply.op.getResult(), add(inter, intra));
  }

  // The state pass.
  Value decayed = hasDecay ? Value(chunk::DecayStateOp::create(
                                 b, loc(), state.getType(), state, bIncl))
                           : state;
  Value toEnd = hasDecay ? Value(chunk::DecayToEndOp::create(
                               b, loc(), rowIncl.getType(), rowIncl))
                         : Value();
  Value update = matmul(keepRowsAt(decayRows(A, toEnd), rowSegIncl, segLast),
                        writes, true);
  if (restarts) {
    // S0 survives the chunk only if nothing in it restarted the state.
    Value zero = tiles.constant(0.0);
    decayed = tiles.map(
        {decayed}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          Value none = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                             segLast, zero);
          return arith::SelectOp::create(nb, nl, none, a[0], zero);
        });
  }
  return add(decayed, update);
}

/// Builds the chunk program of one classified rule, inserted before it.
class ProgramBuilder {
public:
  ProgramBuilder(RuleForm &form, int64_t chunkSize, FloatType element)
      : form(form), rule(form.rule), sig(ProgramSignature::of(form.rule)),
        chunkSize(chunkSize), element(element), b(rule) {}

  FailureOr<func::FuncOp> build();

private:
  /// memref.dim of the first buffer that carries dimension `dim`.
  Value dimSize(StringRef dim, ValueRange inputBufs, ValueRange stateBufs);
  LogicalResult buildChunk(ChunkContext &ctx, ValueRange states,
                           ValueRange outputBufs,
                           SmallVectorImpl<Value> &newStates);

  RuleForm &form;
  RuleOp rule;
  ProgramSignature sig;
  int64_t chunkSize;
  FloatType element;
  OpBuilder b;
};

Value ProgramBuilder::dimSize(StringRef dim, ValueRange inputBufs,
                              ValueRange stateBufs) {
  Location loc = rule.getLoc();
  for (auto [input, buf] : llvm::zip(sig.inputs, inputBufs))
    if (auto vec = dyn_cast<VecType>(input.getType());
        vec && vec.getDim() == dim)
      return memref::DimOp::create(b, loc, buf, 2);
  for (auto [state, buf] : llvm::zip(sig.states, stateBufs)) {
    StateType type = state.getType();
    if (type.getKeyDim() == dim)
      return memref::DimOp::create(b, loc, buf, 2);
    if (!type.isVector() && type.getValueDim() == dim)
      return memref::DimOp::create(b, loc, buf, 3);
  }
  return Value();
}

LogicalResult ProgramBuilder::buildChunk(ChunkContext &ctx, ValueRange states,
                                         ValueRange outputBufs,
                                         SmallVectorImpl<Value> &newStates) {
  TileBuilder tiles(b, ctx);
  // A state advances after the states whose reads its update uses.
  newStates.assign(states.size(), Value());
  for (unsigned i : form.order) {
    StateAdvance advance(tiles, form.states[i]);
    FailureOr<Value> next = advance.advance(states[i]);
    if (failed(next))
      return failure();
    newStates[i] = *next;
  }
  for (auto [output, buf] : llvm::zip(sig.outputs, outputBufs)) {
    FailureOr<Value> tile = tiles.tile(output.getValue());
    if (failed(tile))
      return failure();
    chunk::StoreRowsOp::create(b, output.getLoc(), *tile, buf, ctx.start,
                               ctx.head, ctx.count);
  }
  return success();
}

FailureOr<func::FuncOp> ProgramBuilder::build() {
  Location loc = rule.getLoc();
  if (sig.inputs.empty())
    return rule.emitOpError("has no inputs; nothing sets the number of heads"),
           failure();

  // Signature: inputs, initial states, cu_seqlens, scale | outputs, finals.
  SmallVector<Type> argTypes;
  for (InputOp input : sig.inputs)
    argTypes.push_back(rowsBufferType(input.getType(), element));
  for (StateOp state : sig.states)
    argTypes.push_back(stateBufferType(state.getType(), element));
  argTypes.push_back(MemRefType::get({ShapedType::kDynamic}, b.getI64Type()));
  argTypes.push_back(b.getF64Type());
  for (OutputOp output : sig.outputs)
    argTypes.push_back(rowsBufferType(output.getValue().getType(), element));
  for (StateOp state : sig.states)
    argTypes.push_back(stateBufferType(state.getType(), element));

  auto func = func::FuncOp::create(b, loc, rule.getSymName(),
                                   b.getFunctionType(argTypes, {}));
  func->setAttr("larc.chunk_size", b.getI64IntegerAttr(chunkSize));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  size_t nIn = sig.inputs.size(), nSt = sig.states.size(),
         nOut = sig.outputs.size();
  ValueRange args = entry->getArguments();
  ValueRange inputBufs = args.take_front(nIn);
  ValueRange initBufs = args.slice(nIn, nSt);
  Value cuSeqlens = args[nIn + nSt];
  Value scaleArg = args[nIn + nSt + 1];
  ValueRange outputBufs = args.slice(nIn + nSt + 2, nOut);
  ValueRange finalBufs = args.slice(nIn + nSt + 2 + nOut, nSt);

  ChunkContext ctx;
  ctx.rows = chunkSize;
  ctx.elementType = element;
  for (StringRef dim : rule.getDims().getAsValueRange<StringAttr>()) {
    if (Value size = dimSize(dim, inputBufs, initBufs))
      ctx.dimSizes[dim] = size;
  }
  for (auto [input, buf] : llvm::zip(sig.inputs, inputBufs))
    ctx.inputBuffers[input] = buf;

  // larc.scale: the caller's scale, or 1/sqrt(|dim|) when it passes NaN.
  WalkResult scaled = rule.walk([&](ScaleOp op) {
    if (ctx.scales.count(op.getDim()))
      return WalkResult::advance();
    Value size = ctx.dimSizes.lookup(op.getDim());
    if (!size) {
      op.emitOpError() << "scales by dimension '" << op.getDim()
                       << "', whose size no input or state carries";
      return WalkResult::interrupt();
    }
    Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), size);
    Value asF64 = arith::SIToFPOp::create(b, loc, b.getF64Type(), asInt);
    Value one = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(1.0));
    Value dflt =
        arith::DivFOp::create(b, loc, one, math::SqrtOp::create(b, loc, asF64));
    Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                        scaleArg, scaleArg);
    Value scale = arith::SelectOp::create(b, loc, isNan, dflt, scaleArg);
    if (element != b.getF64Type())
      scale = arith::TruncFOp::create(b, loc, element, scale);
    ctx.scales[op.getDim()] = scale;
    return WalkResult::advance();
  });
  if (scaled.wasInterrupted()) {
    func.erase();
    return failure();
  }

  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value chunk = arith::ConstantIndexOp::create(b, loc, chunkSize);
  Value seqs = arith::SubIOp::create(
      b, loc, memref::DimOp::create(b, loc, cuSeqlens, 0), one);
  Value heads = memref::DimOp::create(b, loc, inputBufs.front(), 1);

  bool failedInside = false;
  auto seqLoop = scf::ForOp::create(b, loc, zero, seqs, one);
  b.setInsertionPointToStart(seqLoop.getBody());
  Value n = seqLoop.getInductionVar();
  auto offset = [&](Value i) -> Value {
    Value raw = memref::LoadOp::create(b, loc, cuSeqlens, i);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  };
  Value begin = offset(n);
  Value end = offset(arith::AddIOp::create(b, loc, n, one));
  ctx.sequenceStart = begin;

  auto headLoop = scf::ForOp::create(b, loc, zero, heads, one);
  b.setInsertionPointToStart(headLoop.getBody());
  Value h = headLoop.getInductionVar();
  Value hInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), h);
  ctx.headAsFloat = arith::SIToFPOp::create(b, loc, element, hInt);
  ctx.head = h;

  SmallVector<Value> initial;
  for (auto [state, buf] : llvm::zip(sig.states, initBufs)) {
    auto type = RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, element);
    initial.push_back(
        chunk::LoadStateOp::create(b, state.getLoc(), type, buf, n, h));
  }
  auto chunkLoop = scf::ForOp::create(
      b, loc, begin, end, chunk, initial,
      [&](OpBuilder &nested, Location, Value t0, ValueRange states) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        ctx.start = t0;
        Value left = arith::SubIOp::create(b, loc, end, t0);
        ctx.count = arith::MinSIOp::create(b, loc, left, chunk);
        SmallVector<Value> next;
        if (failed(buildChunk(ctx, states, outputBufs, next))) {
          failedInside = true;
          next.assign(states.begin(), states.end());
        }
        scf::YieldOp::create(b, loc, next);
      });
  for (auto [result, buf] : llvm::zip(chunkLoop.getResults(), finalBufs))
    chunk::StoreStateOp::create(b, loc, result, buf, n, h);
  b.setInsertionPointAfter(seqLoop);
  func::ReturnOp::create(b, loc);

  if (failedInside) {
    func.erase();
    return failure();
  }
  return func;
}

struct DeriveChunkFormPass
    : larc::impl::LarcDeriveChunkFormBase<DeriveChunkFormPass> {
  using Base::Base;

  void runOnOperation() override {
    if (!llvm::is_contained({16, 32, 64, 128}, int64_t(chunkSize))) {
      getOperation().emitError()
          << "chunk-size must be 16, 32, 64 or 128, not " << int64_t(chunkSize);
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    FloatType element;
    if (dtype == "f64")
      element = Float64Type::get(context);
    else if (dtype == "f32")
      element = Float32Type::get(context);
    else {
      getOperation().emitError()
          << "dtype must be f64 or f32, not " << std::string(dtype);
      return signalPassFailure();
    }

    SmallVector<RuleOp> rules(getOperation().getOps<RuleOp>());
    for (RuleOp rule : rules) {
      FailureOr<RuleForm> form = classifyRule(rule);
      if (failed(form))
        return signalPassFailure();
      ProgramBuilder builder(*form, chunkSize, element);
      if (failed(builder.build()))
        return signalPassFailure();
      rule.erase();
    }
  }
};

} // namespace
