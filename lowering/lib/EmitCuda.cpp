//===- EmitCuda.cpp - CUDA C++ for sm_90a from the chunk form -------------===//
//
// One fused forward kernel per rule (design.md §2, §2.1, §5): a CTA per
// (head, sequence), one warpgroup per value tile of 64 columns, walks the
// sequence chunk by chunk; each warpgroup keeps its state tile S [K, 64] in
// fp32 wgmma accumulators. The key side (loads, prologue, the solve's T) is
// computed once per CTA and shared by the value tiles.
// Per chunk of C = 64 tokens (rows r, s; b = cumsum of the log-decays):
//
//   prologue   a, x, g, q of every token row, from the rule's per-token ops
//   O   = (Q (.) e^b) S_0 + (Q A^T (.) Gamma) X       Gamma_rs = e^{b_r - b_s},
//   r >= s S_C = e^{b_C} S_0 + (A (.) e^{b_C - b})^T X
//
// summed over the rank-1 terms (A_m, X_m) of the sub-step. A rule whose one
// term has a probe y (the delta-rule family, a (x - S^T y)^T) first solves
// for the data each row really writes (emitSolve, with b' = b - g):
//
//   L = (Y A^T) (.) e^{b'_r - b_s} for s < r, else 0
//   T = (I + L)^{-1} (fp32: 16x16 diagonal blocks by substitution, then blocks)
//   C = T X - T (Y (.) e^{b'}) S_0 = U - W S_0
//
// and then runs O and S_C with C in place of X. The raw rows of
// the bf16 vector inputs (q, k, v) come to shared memory by TMA
// (tma::load_tile on the runtime's descriptors, CudaOptions::tma), then the
// prologue evaluates the rule's per-token ops row by row and writes the bf16
// wgmma operands; with CudaOptions::tma off (larcc --gpu-loads=plain) the
// prologue reads global memory directly with coalesced loads. The loads run
// one chunk ahead (TMA for vector rows, registers for per-token scalars), so
// they overlap the chunk's maths; no warp specialisation yet.
//
// Each step of the kernel is one function below, so the emitter reads like
// the formulas and so does its output.
//
//===----------------------------------------------------------------------===//

#include "EmitCudaInternal.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <optional>

using namespace mlir;
using namespace larc;
using namespace larc::cudagen;

namespace {

constexpr int64_t kValueTile = 64;
/// The output's TMA box: one warp's 16 accumulator rows (storeOutputTile).
constexpr int64_t kOutputBoxRows = 16;
/// S [K, 64] of a warpgroup in fp32 registers: 32 per 64 keys and thread.
constexpr int64_t kMaxKeyDim = 320;
constexpr unsigned kMaxTerms = 4;
/// The dynamic shared memory one CTA may have on sm_90 (227 KB).
constexpr int64_t kMaxSharedBytes = 232448;
/// setmaxnreg of a pipelined kernel of two value tiles (compactStages), out
/// of the 128 a thread of 512 has at launch. Gated delta B8-T2048-H16-D128
/// (H100): 287 us at 216 / 40, 268 at 208 / 48, 266 at 200 / 56, 261 at
/// 192 / 64, 301 at 184 / 72 (the owners spill); bench/NOTES.md session 14.
constexpr int64_t kOwnerRegisters = 192, kProducerRegisters = 64;

/// What the kernel of one supported rule is made of.
struct KernelPlan {
  mutable RuleOp rule;
  const StateForm *state = nullptr;
  /// The sub-steps of a token (design §2.1): each is one pseudo-row of the
  /// chunk, so a chunk of C rows holds C / steps.size() tokens.
  SmallVector<const SubStep *, 2> steps;
  /// The first sub-step: its terms' count and kinds are every sub-step's.
  const SubStep *step = nullptr;
  /// The strongest decay over the sub-steps.
  DecayKind decayKind = DecayKind::None;
  /// A vector state z that rides along as one more value column of S
  /// (linear attention's normaliser): the same decay, directions and readout
  /// probe, a scalar data x_z per term. Its readout zᵀq is a per-row scalar
  /// that the output maps with Sᵀq (o = Sᵀq / zᵀq).
  struct Rider {
    const StateForm *state = nullptr;
    unsigned index = 0; // in the rule's states (p.initialStates[index])
    mutable ReadoutOp readout;
    std::string name;
  };
  std::optional<Rider> rider;
  /// A vector state z that reads only inputs and that S's per-token values
  /// read whole (the preconditioner of precond_kda): a diagonal scan over
  /// each chunk's rows before the prologue, z_r = e^{g_r} z_{r-1} + Σ a x,
  /// which leaves z of every row (z_{r-1} where it is read `prev`) in shared
  /// memory for the prologue.
  struct Prescan {
    const StateForm *state = nullptr;
    unsigned index = 0; // in the rule's states
    std::string name;
    bool prev = false; // its reads see z_{t-1}
  };
  std::optional<Prescan> prescan;
  unsigned stateIndex = 0; // S in the rule's states
  mutable ReadoutOp readout;
  /// Or the output is S p (an apply, contracting the value dim; the Oja
  /// rule's state stored transposed): o runs over the key dim.
  mutable ApplyOp apply;
  /// The readout's probe q (over the key dim), or the apply's p (values).
  Value readoutProbe() const {
    return apply ? apply.getProbe() : readout.getProbe();
  }
  /// The readout reads S_{t-1} (`prev`, RWKV-6): the products take the
  /// strict mask, and Q the exclusive cumsum b' = b − g.
  bool prev = false;
  /// o = Sᵀq + s x_m: a per-token scalar s times term m's data, added on the
  /// diagonal of P_m (RWKV-6's bonus u term). None: o is the readout.
  struct Bonus {
    mutable Value scalar;
    unsigned term = 0;
  };
  std::optional<Bonus> bonus;
  /// The scores Q Aᵀ of a feature map from the Gram matrix of its inputs:
  /// φ(q)·φ(k) as a function of G = q kᵀ (Based: 1 + s G + (s G)² / 2),
  /// one k16 step on the inputs' TMA rows instead of a product over F
  /// features rounded to bf16 one by one (which loses G where it is near 0).
  struct Gram {
    std::string expr;     // of g, an element of G, and uniform scalars
    std::string lhs, rhs; // the inputs' TMA tiles (sm.raw_q, sm.raw_k)
  };
  std::optional<Gram> gram;
  mutable OutputOp output;
  DimNames dims;
  CudaOptions opts;
  unsigned outputIndex = 0;
  /// Inputs loaded by TMA: (input, its C++ name, its size d), map i = index.
  struct TmaInput {
    mutable InputOp input;
    std::string name;
    int64_t size;
  };
  SmallVector<TmaInput> tmaInputs;
  /// Whole output tiles leave through shared memory and one TMA store per
  /// warp (tensor map tmaInputs.size()), asynchronously: the direct
  /// stores held the warps for about a sixth of each chunk (bench/NOTES.md).
  bool tmaOutput = false;
  /// O's tile shares the space of the solve's fp32 L and T, which are read
  /// before O is written and rewritten only in the next chunk.
  bool outputInSolve() const {
    return tmaOutput && hasProbe() && !prescan && !solveKernel();
  }
  /// Every chunk's T = (I + L)^{-1} comes from the solve kernel, which runs
  /// over all the chunks of a call at once just before the chunk loop
  /// (KernelEmitter::emitSolveKernel, larc/cuda/chunk_tiles.cuh): L and the
  /// block solve leave the loop's critical path, which loads T with the
  /// chunk's rows. With a scalar decay or none at every width (session 11,
  /// tf32 block products: gated delta B8-T2048-H16-D128 300 -> 206 + 87 us,
  /// B1-T32768 1.63 -> 1.26 ms, where the split plan's two phases share T);
  /// with per-key decays only where one warpgroup owns all of V, since their
  /// solve kernel also runs the gate pass (KDA D128: 393 us in-loop against
  /// 313 + 208; bench/NOTES.md sessions 10 and 11). Not with a scanned state,
  /// whose rows depend on the chunks before, nor with plain terms, whose
  /// −T L_n would need tiles of their own.
  bool solveKernel() const {
    return hasProbe() && !prescan && !plainTerms() &&
           (valueTiles() == 1 || !perKey());
  }
  /// This plan is the solve kernel's (emitSolveKernel): no TMA inputs, and
  /// the tokenScalars its rows (A, Y, the log-decays) read.
  bool solveOnly = false;
  /// The solve's fp32 rows are padded by 4 floats (kSolvePitch), so its tf32
  /// fragments load without bank conflicts; where shared memory is left once
  /// the TMA tiles have theirs (not DPLR's at K = 128).
  bool padSolveRows = false;
  int64_t solvePitch() const { return opts.chunkSize + (padSolveRows ? 4 : 0); }
  /// Per-token scalar inputs (gates, coefficients): each chunk's 64 values
  /// are loaded into registers one chunk ahead and kept in shared memory.
  struct TokenScalar {
    mutable InputOp input;
    std::string name;
  };
  SmallVector<TokenScalar> tokenScalars;
  bool hasDecay() const { return decayKind != DecayKind::None; }
  /// diag(exp(g)) with g over the key dim: the anchored form (emitGatePass).
  bool perKey() const { return decayKind == DecayKind::PerKey; }
  unsigned subSteps() const { return steps.size(); }
  int64_t tokensPerChunk() const { return opts.chunkSize / subSteps(); }
  unsigned terms() const { return step->terms.size(); }
  /// A term reads the state (the delta-rule family): the chunk needs the
  /// triangular solve (I + L) C = X − (Y ⊙ e^{b'}) S_0 before O and S_C.
  bool hasProbe() const { return state->hasProbes(); }
  /// The term with the probe (the same in every sub-step); the others are
  /// plain terms (DPLR's k vᵀ) that enter its solve through L_n = Y A_nᵀ.
  unsigned probeTerm = 0;
  /// The probe term writes data x besides −Sᵀy (the delta rule's β v; DPLR's
  /// b (aᵀ S) writes none).
  bool probeHasData() const { return step->terms[probeTerm].data != nullptr; }
  /// Plain terms beside the probe term: each adds −T L_n X_n to U.
  bool plainTerms() const { return hasProbe() && terms() > 1; }
  /// Their indices, in term order (sm.ln[j] is the j-th).
  SmallVector<unsigned, 3> plainTermIndices() const {
    SmallVector<unsigned, 3> out;
    for (unsigned m = 0; hasProbe() && m < terms(); ++m)
      if (m != probeTerm)
        out.push_back(m);
    return out;
  }
  /// The scalar-decay kernel keeps b' = b − g (exclusive) beside b: the
  /// solve reads it, and so does a `prev` readout.
  bool needsExclusiveCumsum() const {
    return hasDecay() && !perKey() && (hasProbe() || prev);
  }
  /// The sequence-split plan (docs/gpu-next.md, "Few long sequences"): phase
  /// 1 (the summary instance) reduces a segment to S_end = M S_start + N.
  /// Without probes M is diag(e^{Σ b}); with them it is K × K and a second
  /// CTA per segment computes it by running the same update from S = I with
  /// zero data, which needs as many value columns as keys. A rider would
  /// need its own chain: not split.
  bool splits() const {
    return !rider && !prescan && !otherKeys() &&
           (!hasProbe() || opts.keyDim == opts.valueDim);
  }
  /// The key dim is not 64 or 128 (a feature map's): the parts of the kernel
  /// written for those two are refused by name.
  bool otherKeys() const { return opts.keyDim != 64 && opts.keyDim != 128; }
  /// More than 128 keys: S [K, 64] takes 128-160 registers a thread, and the
  /// kernel trades overlap for registers (emitOutput, emitTokenLoop).
  bool wideKeys() const { return keyDim() > 128; }
  /// K in whole 64-key blocks.
  int64_t keyDim() const { return (opts.keyDim + 63) / 64 * 64; }
  /// Warpgroups that own a 64-column tile of V: its state tile, products and
  /// output rows.
  int64_t valueTiles() const { return opts.valueDim / kValueTile; }
  /// Warpgroups beside them that hold no state and skip the products but share
  /// the chunk's CUDA-core phases (prologue, gate and scan passes, cumsum,
  /// solve, row scalings): one when a single warpgroup holds all of V. Those
  /// phases are latency-bound with one warp per scheduler, and a second
  /// warpgroup halves each warp's rows (gated delta D64: 15 020 -> 12 690
  /// cycles a chunk, bench/NOTES.md session 9). At two value tiles the
  /// threads could not have the registers S takes (255 at 256 threads, 168 at
  /// 384); with more than 128 keys, ptxas serialises the products behind the
  /// helpers' branch.
  /// A pipelined kernel's producer is such warpgroups at two value tiles
  /// too (two of them), with their own code and registers (setmaxnreg).
  int64_t helperWarpgroups() const {
    if (pipelined && valueTiles() > 1)
      return 2;
    return valueTiles() == 1 && !wideKeys() ? 1 : 0;
  }
  int64_t threads() const { return 128 * (valueTiles() + helperWarpgroups()); }
  /// The helper warpgroup becomes a producer that runs ahead: it writes the
  /// chunks' CUDA-core phases (scalars, prologue, cumsum, Y ⊙ e^{b'}) into
  /// a ring of `stages` copies of Shared while the owner warpgroup runs the
  /// products, output and state update of a chunk behind it, so the two
  /// chains overlap instead of adding up (simple GLA D64: 3 570 cycles a
  /// chunk, 1 280 of them TMA wait, prologue and cumsum; 40 -> 30 us,
  /// bench/NOTES.md session 13). Set by planKernel where two copies fit and
  /// the prologue reads no state: not beside a scanned or riding vector
  /// state, a Gram feature map, an apply, an in-loop solve or plain loads.
  /// Nor with per-key decays, whose gate pass and anchored prologue on one
  /// warpgroup take longer than the owner's chain (GLA D64 63 -> 68 us).
  bool pipelined = false;
  /// Copies of the producer's tiles (kStages): three where they fit, so the
  /// producer runs up to two chunks ahead and neither role waits for the
  /// other's slowest chunk; else two.
  int64_t stages = 1;
  /// A pipelined kernel of two value tiles (V = 128): two owner warpgroups
  /// and a producer of two warpgroups, 512 threads, whose registers
  /// setmaxnreg moves to the owners (one producer warpgroup was the longer
  /// chain: its prologue on 4 warps, gated delta D128 loop ~198 us, ~125
  /// without the prologue; bench/NOTES.md session 14). Two stages of every tile
  /// would need ~290 KiB, so the ring holds only the operand tiles the producer
  /// writes (q, a, x, y, b): the raw TMA rows live once, refilled as soon as
  /// the producer's prologue has read them, T lives once, loaded by the owners
  /// when both have read it, and O's rows leave through Y's space, which both
  /// owners are done with once they have W (struct Once; gated delta D128: 2
  /// stages in 226 KiB).
  bool compactStages() const { return pipelined && valueTiles() > 1; }
  /// O's rows go out through the stage's Y (compactStages).
  bool outputInY() const { return compactStages() && hasProbe() && tmaOutput; }
  bool canPipeline() const {
    return opts.pipeline && (valueTiles() == 1 || valueTiles() == 2) &&
           !wideKeys() && !solveOnly && !prescan && !rider && !gram && !apply &&
           !perKey() && !otherKeys() && !tmaInputs.empty() &&
           (!hasProbe() || solveKernel());
  }
  /// Token loop passes in flight: two (each lane two tokens, whose latencies
  /// overlap), or one beside a state of more than 128 keys, whose registers
  /// have no room for more. The solve kernel holds no state and its chain is
  /// short, so all of its passes: their row loads issue at once (gated delta
  /// D128, H100: 76 -> 73 µs).
  int64_t tokenPasses() const {
    if (solveOnly && !wideKeys())
      return tokensPerChunk() / (threads() / rowLanes());
    return wideKeys() ? 1 : 2;
  }
  /// Lanes that share one token row in the token loops (kRowLanes): enough
  /// that a lane holds at most 8 elements of the widest row (one 16-byte
  /// load), so a warp takes 32 / kRowLanes tokens at once (D64: 4, D128: 2)
  /// and each token's fixed work (its address, row reductions, scalar reads)
  /// is shared by fewer lanes' worth of instructions. A token loop pass still
  /// gives every warp whole tokens.
  int64_t rowLanes() const {
    int64_t widest = std::max(keyDim(), opts.valueDim);
    for (const auto &dim : dims.sizes)
      widest = std::max(widest, dims.padded(dim.getKey()));
    int64_t lanes = std::min<int64_t>(32, llvm::PowerOf2Ceil(widest / 8));
    // A pipelined kernel's token loops are the producer warpgroup's.
    const int64_t loopThreads =
        pipelined ? 128 * helperWarpgroups() : threads();
    while (lanes < 32 && tokensPerChunk() % (loopThreads / lanes) != 0)
      lanes *= 2;
    return lanes;
  }
  /// K is not a whole number of 64-key blocks: the keys from kKeyRows on are
  /// padding, masked wherever they are stored, loaded or summed.
  bool paddedKeys() const { return keyDim() != opts.keyDim; }
};

InFlightDiagnostic refuse(Operation *op, const Twine &what) {
  return op->emitError() << "GPU code generation does not handle " << what
                         << " yet";
}

/// Two per-token values computed the same way (classification may build
/// equal values twice).
bool sameValue(Value a, Value b) {
  return a == b || (a && b && renderExpression(a) == renderExpression(b));
}

/// Checks that the vector state of `plan` can ride along with S (Rider).
LogicalResult planRider(KernelPlan &plan) {
  const StateForm &z = *plan.rider->state;
  RecurOp recur = z.recur;
  if (plan.state->hasProbes() || z.hasProbes())
    return refuse(recur, "a vector state beside a state with probes");
  if (z.steps.size() != 1 || plan.steps.size() != 1)
    return refuse(recur, "a vector state in a rule with sub-steps");
  const SubStep &zStep = z.steps.front(), &sStep = *plan.step;
  if (zStep.decayKind != sStep.decayKind ||
      !sameValue(zStep.logDecay, sStep.logDecay))
    return refuse(recur, "a vector state whose decay differs from the "
                         "matrix state's");
  if (zStep.terms.size() != sStep.terms.size())
    return refuse(recur, "a vector state whose rank-1 terms differ from the "
                         "matrix state's");
  for (auto [zt, st] : llvm::zip(zStep.terms, sStep.terms))
    if (!sameValue(zt.direction, st.direction) || !zt.data)
      return refuse(recur, "a vector state whose directions differ from the "
                           "matrix state's");
  if (z.readouts.size() != 1 || z.readouts.front().prev)
    return refuse(z.state, "a vector state with other than one readout");
  ReadoutOp readout = z.readouts.front().op;
  if (!sameValue(readout.getProbe(), plan.readoutProbe()))
    return refuse(readout, "a vector state read other than with the matrix "
                           "state's probe");
  plan.rider->readout = readout;
  return success();
}

/// Checks that the vector state read by S's update (`plan.rider`, moved to
/// `plan.prescan`) can be scanned ahead of the prologue.
LogicalResult planPrescan(KernelPlan &plan) {
  const StateForm &z = *plan.rider->state;
  plan.prescan = KernelPlan::Prescan{&z, plan.rider->index, plan.rider->name};
  plan.rider.reset();
  RecurOp recur = z.recur;
  if (z.hasProbes() || !z.reads.empty())
    return refuse(recur, "a vector state read by the matrix state's update "
                         "that reads a state itself");
  if (z.steps.size() != 1 || plan.steps.size() != 1)
    return refuse(recur, "a vector state in a rule with sub-steps");
  const SubStep &step = z.steps.front();
  if (step.decayKind == DecayKind::PerKey || step.vanishing)
    return refuse(recur, "a scanned vector state with other than a scalar "
                         "decay");
  for (const RankOneTerm &term : step.terms)
    if (!term.data)
      return refuse(recur, "rank-1 terms without a data part");
  if (!z.readouts.empty())
    return refuse(z.readouts.front().op, "readouts of a scanned vector state");
  if (z.applies.empty())
    return refuse(z.state, "a vector state that nothing reads");
  plan.prescan->prev = z.applies.front().prev;
  for (const ApplyForm &apply : z.applies)
    if (apply.prev != plan.prescan->prev || ApplyOp(apply.op).getProbe())
      return refuse(apply.op, "reads of a scanned vector state other than "
                              "all whole and all `prev` or all not");
  return success();
}

/// The C++ of `value`, an output, per element of the output tile: "num" is
/// S's readout, "den" the rider's (a per-row scalar); fails on anything
/// other than constants and + − × ÷ of those.
FailureOr<std::string> outputMap(const KernelPlan &plan, Value value) {
  if (value == plan.readout.getResult())
    return std::string("num");
  if (plan.rider && value == plan.rider->readout.getResult())
    return std::string("den");
  Operation *def = value.getDefiningOp();
  if (!plan.rider || !def)
    return failure();
  if (auto cst = dyn_cast<ConstantOp>(def))
    return floatLiteral(cst.getValue().convertToDouble());
  const char *op = isa<AddOp>(def)   ? " + "
                   : isa<SubOp>(def) ? " - "
                   : isa<MulOp>(def) ? " * "
                   : isa<DivOp>(def) ? " / "
                                     : nullptr;
  if (!op)
    return failure();
  FailureOr<std::string> lhs = outputMap(plan, def->getOperand(0));
  FailureOr<std::string> rhs = outputMap(plan, def->getOperand(1));
  if (failed(lhs) || failed(rhs))
    return failure();
  return "(" + *lhs + op + *rhs + ")";
}

/// o = Sᵀq + s x (either order of the sum and of the product), s a per-token
/// scalar and x the data of one of the token's rank-1 terms: the bonus that
/// the kernel adds on P_m's diagonal. None when `value` is not of that form.
std::optional<KernelPlan::Bonus> planBonus(const KernelPlan &plan,
                                           Value value) {
  auto add = value.getDefiningOp<AddOp>();
  if (!add)
    return std::nullopt;
  Value readout = plan.readout.getResult();
  Value other = add.getOperand(0) == readout   ? add.getOperand(1)
                : add.getOperand(1) == readout ? add.getOperand(0)
                                               : Value();
  auto mul = other ? other.getDefiningOp<MulOp>() : MulOp();
  if (!mul)
    return std::nullopt;
  for (unsigned side : {0u, 1u}) {
    Value scalar = mul.getOperand(side), data = mul.getOperand(1 - side);
    if (!isa<ScalarType>(scalar.getType()))
      continue;
    for (auto [m, term] : llvm::enumerate(plan.step->terms))
      if (sameValue(term.data, data))
        return KernelPlan::Bonus{scalar, unsigned(m)};
  }
  return std::nullopt;
}

/// The output o = S p of a state stored transposed (the Oja rule's P [V, K]):
/// the apply contracts S's value dim, so o runs over its key dim.
LogicalResult planApply(KernelPlan &plan) {
  const ApplyForm &apply = plan.state->applies.front();
  plan.apply = apply.op;
  if (apply.prev)
    return refuse(plan.apply, "applies of the previous state (`prev`)");
  if (plan.rider)
    return refuse(plan.rider->state->state, "a vector state beside a state "
                                            "read by an apply");
  for (Operation &op : plan.rule.getBody().front()) {
    auto output = dyn_cast<OutputOp>(op);
    if (!output)
      continue;
    if (plan.output || output.getValue() != plan.apply.getResult())
      return refuse(output, "outputs other than the state applied to a "
                            "probe, S p");
    plan.output = output;
  }
  if (!plan.output)
    return refuse(plan.rule, "a rule without an output");
  return success();
}

/// Checks that `form` is in the first slice and fills `plan`.
LogicalResult planKernel(RuleForm &form, const CudaOptions &opts,
                         KernelPlan &plan) {
  RuleOp rule = form.rule;
  plan.rule = rule;
  plan.opts = opts;
  if (opts.dtype != "bf16")
    return rule.emitError() << "GPU code generation supports bf16 inputs only "
                               "(got '"
                            << opts.dtype << "')";
  if (opts.chunkSize != 64)
    return rule.emitError()
           << "GPU code generation supports chunk size 64 only (got "
           << opts.chunkSize << ")";
  if (opts.valueDim != 64 && opts.valueDim != 128)
    return rule.emitError() << "GPU code generation supports value dims of 64 "
                               "or 128 only (got "
                            << opts.valueDim << ")";
  if (opts.keyDim < 64 || opts.keyDim > kMaxKeyDim)
    return rule.emitError()
           << "GPU code generation supports key dims from 64 "
              "to "
           << kMaxKeyDim << " only (got " << opts.keyDim << ")";
  // One matrix state S, and at most one vector state riding along with it.
  for (auto [i, candidate] : llvm::enumerate(form.states)) {
    bool vector = candidate.state.getType().isVector();
    if (!vector && !plan.state) {
      plan.state = &candidate;
      plan.stateIndex = i;
    } else if (vector && !plan.rider && form.states.size() == 2) {
      StateOp op = candidate.state;
      plan.rider =
          KernelPlan::Rider{&candidate, unsigned(i), nullptr, op.getName().str()};
    }
  }
  if (form.states.size() > 2 || !plan.state) {
    StateOp second = form.states[form.states.size() > 1 ? 1 : 0].state;
    if (!plan.state && form.states.size() == 1)
      return refuse(second, "vector states");
    return refuse(second, "rules with more than one state (here '" +
                              second.getName() + "')");
  }
  const StateForm &state = *plan.state;
  StateOp stateOp = state.state;
  // Sub-steps (DeltaProduct) become pseudo-rows: 64 / n rows per token.
  if (!llvm::is_contained({1u, 2u, 4u}, unsigned(state.steps.size())))
    return refuse(state.recur, "other than 1, 2 or 4 sub-steps per token");
  const SubStep &step = state.steps.front();
  plan.step = &step;
  for (const SubStep &sub : state.steps) {
    plan.steps.push_back(&sub);
    plan.decayKind = std::max(plan.decayKind, sub.decayKind);
    // A decay that can be exactly zero restarts the state; the kernel takes
    // its logarithm (−inf there).
    if (sub.vanishing)
      return refuse(state.recur, "decays that can be exactly zero (restarts)");
    if (sub.terms.empty())
      return refuse(state.recur, "a state update without rank-1 terms");
    if (sub.terms.size() > kMaxTerms)
      return refuse(state.recur, "more than 4 rank-1 terms");
    if (sub.terms.size() != step.terms.size())
      return refuse(state.recur,
                    "sub-steps with different numbers of rank-1 terms");
    // Probes (the delta-rule family, DPLR): one term a (x − Sᵀ y)ᵀ reads
    // the state, at the same place in every sub-step; the solve is for its C.
    SmallVector<unsigned, 2> probes;
    for (auto [m, term] : llvm::enumerate(sub.terms))
      if (term.probe)
        probes.push_back(m);
    if (state.hasProbes() && probes.size() != 1)
      return refuse(state.recur,
                    "probes in more than one rank-1 term of a sub-step");
    if (state.hasProbes() && &sub != &step && probes.front() != plan.probeTerm)
      return refuse(state.recur, "sub-steps whose probes are in different "
                                 "rank-1 terms");
    if (state.hasProbes())
      plan.probeTerm = probes.front();
    for (const RankOneTerm &term : sub.terms)
      if (!term.data && !term.probe)
        return refuse(state.recur, "rank-1 terms without a data part");
    if (state.hasProbes() &&
        !sub.terms[plan.probeTerm].data != !step.terms[plan.probeTerm].data)
      return refuse(state.recur, "sub-steps whose probe terms differ in "
                                 "writing data");
  }

  StateType type = stateOp.getType();
  plan.dims.key = type.getKeyDim().getValue().str();
  plan.dims.value = type.getValueDim().getValue().str();
  if (plan.dims.key == plan.dims.value)
    return refuse(stateOp, "a state whose key and value dims are the same");
  for (const auto &[name, size] : opts.dimSizes)
    plan.dims.sizes[name] = size;
  plan.dims.sizes[plan.dims.key] = opts.keyDim;
  plan.dims.sizes[plan.dims.value] = opts.valueDim;
  for (Attribute dim : rule.getDims()) {
    StringRef name = cast<StringAttr>(dim).getValue();
    if (plan.dims.size(name) <= 0)
      return refuse(rule, "dims other than the state's without a size (here "
                          "'" +
                              name + "': larcc compile --dims " + name +
                              "=SIZE)");
  }
  // Key dims other than 64 and 128 (a feature map's, Based's 1 + K + K²)
  // are padded to whole 64-key blocks; the parts of the kernel that know
  // only 64 and 128 are refused for them by name.
  if (plan.otherKeys()) {
    auto outside = [&](const Twine &what) {
      return refuse(state.recur, "key dims other than 64 or 128 (here " +
                                     plan.dims.key + " = " +
                                     Twine(opts.keyDim) + ") with " + what);
    };
    if (state.hasProbes())
      return outside("probes");
    for (const SubStep &sub : state.steps)
      if (sub.decayKind == DecayKind::PerKey)
        return outside("a per-key decay");
    if (state.readouts.empty())
      return outside("an apply (S p)");
  }

  if (state.readouts.empty() && state.applies.size() == 1 &&
      ApplyOp(state.applies.front().op).getProbe())
    return planApply(plan);
  if (state.readouts.size() != 1)
    return refuse(stateOp, "a state with other than one readout");
  const ReadoutForm &readout = state.readouts.front();
  ReadoutOp readoutOp = readout.op;
  plan.readout = readoutOp;
  plan.prev = readout.prev;
  if (plan.prev && plan.subSteps() != 1)
    return refuse(readoutOp, "readouts of the previous state (`prev`) with "
                             "sub-steps");
  if (plan.prev && plan.rider)
    return refuse(readoutOp, "readouts of the previous state (`prev`) beside "
                             "a vector state");
  // A vector state S's update reads is scanned ahead; one that only rides
  // along with S is its extra column.
  if (plan.rider && llvm::is_contained(plan.state->reads, plan.rider->index)) {
    if (failed(planPrescan(plan)))
      return failure();
  } else if (plan.rider && failed(planRider(plan))) {
    return failure();
  }
  unsigned outputs = 0;
  for (Operation &op : rule.getBody().front()) {
    auto output = dyn_cast<OutputOp>(op);
    if (!output)
      continue;
    if (!outputs && !plan.rider)
      plan.bonus = planBonus(plan, output.getValue());
    if (outputs++ ||
        (!plan.bonus && failed(outputMap(plan, output.getValue()))))
      return refuse(output, plan.rider ? "outputs other than one pointwise "
                                         "map (+ - * /) of the readouts"
                                       : "outputs other than the readout S^T q "
                                         "plus at most a per-token scalar "
                                         "times a term's data");
    plan.output = output;
  }
  if (!plan.output)
    return refuse(rule, "a rule without an output");
  if (!isa<VecType>(readoutOp.getResult().getType()))
    return refuse(readoutOp, "scalar readouts");
  return success();
}

StringRef dimOf(InputOp input) {
  return cast<VecType>(input.getType()).getDim().getValue();
}

/// The fp32 arrays and barriers after the tiles, up to the 1024 alignment
/// (the chunk loop's and the solve kernel's).
int64_t sharedTail(const KernelPlan &plan) {
  const int64_t C = plan.opts.chunkSize, K = plan.keyDim();
  int64_t tail = plan.tokensPerChunk() * 4 * plan.tokenScalars.size();
  if (plan.perKey())
    tail += C * K * 4 + K * 4; // b[C][K], m[K]
  else if (plan.hasDecay())
    tail += C * 4 * (plan.needsExclusiveCumsum() ? 2 : 1); // b[C] (and b'[C])
  if (!plan.tmaInputs.empty())
    tail += 8; // loaded
  return tail;
}

/// A SolveMatrix (fp32 [C, kSolvePitch]).
int64_t solveMatrixBytes(const KernelPlan &plan) {
  return plan.opts.chunkSize * plan.solvePitch() * 4;
}

/// SolveShared: T in bf16, then A and Y in bf16, which L and T in fp32
/// replace once L's product has read them.
int64_t solveSharedBytes(const KernelPlan &plan) {
  const int64_t C = plan.opts.chunkSize, K = plan.keyDim();
  const int64_t bytes =
      C * C * 2 + std::max(2 * C * K * 2, 2 * solveMatrixBytes(plan));
  const int64_t tail = sharedTail(plan) + 48; // chunk (40), keyHead
  return bytes + (tail + 1023) / 1024 * 1024 + 1024;
}

int64_t sharedBytes(const KernelPlan &plan) {
  if (plan.solveOnly)
    return solveSharedBytes(plan);
  const int64_t C = plan.opts.chunkSize, K = plan.keyDim();
  const int64_t V = plan.opts.valueDim; // X and S_0: every value tile
  // Pipelined: S_0 and O's rows are the owners' (struct Once), once.
  int64_t owned = K * V * 2;                   // S_0 in bf16
  int64_t bytes = C * (plan.apply ? V : K) * 2 // Q (an apply's p: values)
                  + plan.terms() * (C * K * 2 + C * V * 2); // A, X
  if (plan.hasProbe())
    bytes += C * K * 2   // Y
             + C * C * 2 // T in bf16
             + (plan.solveKernel() ? 0 : 2 * solveMatrixBytes(plan)) // L, T
             + (plan.terms() - 1) * C * C * 2; // L_n, then −T L_n, in bf16
  const int64_t tokens = plan.tokensPerChunk();
  for (const KernelPlan::TmaInput &in : plan.tmaInputs)
    bytes += tokens * in.size * 2; // raw rows landed by TMA
  if (plan.tmaOutput && !plan.outputInSolve())
    owned += C * V * 2; // O's rows for the TMA store
  if (plan.compactStages()) { // T, the raw rows and O's rows live once
    int64_t once = owned + (plan.hasProbe() ? C * C * 2 : 0);
    for (const KernelPlan::TmaInput &in : plan.tmaInputs) {
      once += tokens * in.size * 2;
      bytes -= tokens * in.size * 2;
    }
    if (plan.hasProbe())
      bytes -= C * C * 2;
    if (plan.outputInY())
      once -= C * V * 2;
    once += 1024; // loaded, tLoaded (a tile's alignment)
    int64_t tail = sharedTail(plan) - (plan.tmaInputs.empty() ? 0 : 8) + 16;
    bytes += (tail + 1023) / 1024 * 1024;
    return plan.stages * bytes + once + 1024;
  }
  int64_t tail = sharedTail(plan);
  if (plan.solveKernel())
    tail += 8; // tLoaded
  if (plan.pipelined)
    tail += 16; // full, empty
  if (plan.bonus)
    tail += C * 4; // bonus[C]
  if (plan.rider)
    tail += K * 4 + C * 4 + plan.terms() * C * 4; // z, zq, zx
  if (plan.prescan) {
    tail += K * 4 + C * 4; // zScan, zDecay
    if (!plan.hasProbe())
      bytes += C * K * 4; // scan (else it shares L and T's space)
  }
  bytes += (tail + 1023) / 1024 * 1024;
  // kStages copies of Shared (one unless pipelined), then the owner's tiles
  // (in Shared itself unless pipelined), and SmemCarver's alignment slack.
  return plan.stages * bytes + owned + 1024;
}

/// The kernel, one function per step.
class KernelEmitter {
public:
  /// `gates`: the per-key log-decay's own prologue (null unless per-key);
  /// `scan`: the scanned vector state's (null unless plan.prescan).
  KernelEmitter(const KernelPlan &plan, const PrologueEmitter &prologue,
                const PrologueEmitter *gates, const PrologueEmitter *scan,
                CodeWriter &w)
      : plan(plan), prologue(prologue), gates(gates), scan(scan), w(w) {}

  /// The package's kernels; `solve` emits the solve kernel after them (the
  /// rule's solve plan, when plan.solveKernel()).
  void emit(const std::string &name, KernelEmitter *solve = nullptr);

private:
  void emitHeaderComment();
  void emitConstants();
  void emitSupport();
  void emitDecayArrays();
  void emitSolveSupport();
  void emitLowerAndInverse();
  /// The solve kernel's T of the chunk at `chunkStart` into sm.t, by one
  /// bulk copy on sm.tLoaded, when `condition` holds.
  void emitLoadT(StringRef chunkStart, StringRef condition);
  void emitSolve();
  /// The solve kernel (plan.solveOnly): one chunk's T to its tile.
  void emitSolveKernel(const std::string &name);
  void emitSetup();
  void emitInitialState();
  void emitLoads(StringRef chunkStart);
  void emitScalarPrefetch(StringRef chunkStart, const char *dest = "next_{0}");
  void emitFirstLoads();
  void emitChunkInputs();
  void emitNextLoads();
  void emitPrologue();
  void emitGatePass();
  void emitScanPass();
  /// The loop over a chunk's tokens (kRowLanes lanes per token) that evaluates
  /// `values`' per-token ops, then calls `storeRows` once per sub-step with
  /// the C++ name of its row of the chunk form.
  void emitTokenLoop(
      const PrologueEmitter &values,
      llvm::function_ref<void(StringRef row, const SubStep &step)> storeRows);
  void emitCumsum();
  void emitStateCopy();
  void emitProbeTermNote();
  void emitApplyOutput();
  void emitOutput();
  /// Step 4: the output tile `o` to the output rows, its columns from `col0`
  /// of the output's dim `dim`.
  void emitStoreOutput(StringRef dim, StringRef col0);
  void emitStateUpdate();
  void emitFinalState();
  void emitEntryPoints(const std::string &name);
  void emitForEachStateElement(llvm::function_ref<void()> body);
  /// Around the parts of a phase that only the value warpgroups run (their
  /// state tiles, products and output rows), with no barrier inside: the
  /// helper warpgroups skip them. Nothing when there are no helpers.
  void openTileWork();
  void closeTileWork();
  /// The same guard for one statement: "if (ownsTile) ", or nothing.
  std::string tileWorkPrefix() const;
  void emitVectorStateIn(const std::string &comment, unsigned index,
                         StringRef array);
  void emitVectorStateOut(const std::string &comment, unsigned index,
                          StringRef array);

  std::string termTile(const char *tile, unsigned m) const {
    return llvm::formatv("sm.{0}[{1}]", tile, m).str();
  }
  /// This warpgroup's value tile of term m's data X_m (C for the probe term).
  std::string xTile(unsigned m) const {
    return llvm::formatv("sm.x[wg][{0}]", m).str();
  }
  /// A per-token value as describe() prints it; a term's absent data is 0.
  std::string expr(Value v) const { return v ? renderExpression(v) : "0"; }

  /// Who runs the phase being emitted: every thread, or one warpgroup's role
  /// of a pipelined kernel (emitPipelinedLoop), whose threads meet at their
  /// own named barrier.
  enum class Role { All, Producer, Owner };
  Role role = Role::All;
  bool inRole() const { return role != Role::All; }
  /// This thread's index among the phase's threads.
  const char *tid() const { return inRole() ? "tid" : "threadIdx.x"; }
  /// This warp's index among the phase's warps, and their count.
  const char *warpIndex() const { return inRole() ? "roleWarp" : "warp"; }
  const char *warpCount() const {
    return role == Role::Producer ? "kProducerWarps" : "kWarps";
  }
  /// The next chunk's per-token scalars in registers: "float next_g = 0.0f,
  /// ...".
  std::string nextScalarsDeclaration() const;
  /// A role's chunk: its valid tokens, its stage and the stage's parity.
  void emitStageOfChunk();
  /// A barrier among the phase's threads, with why it is there.
  void syncThreads(StringRef why = "") {
    std::string line =
        role == Role::Producer
            ? "warpgroup::barrier_sync(kProducerBarrier, kProducerThreads);"
        : role == Role::Owner ? "warpgroup::barrier_sync(1 + wg);"
                              : "__syncthreads();";
    w.line(why.empty() ? line : line + " // " + why.str());
  }
  void emitGridDependency();
  void emitChunkLoop();
  void emitPipelinedLoop();
  void emitProducerChunk();
  /// Where the raw TMA rows and T are: each stage's, or once (compactStages).
  const char *rowsSpace() const { return plan.compactStages() ? "once" : "sm"; }
  /// A barrier among both owners' threads (two value tiles, compactStages).
  void syncOwners(StringRef why) {
    w.line("warpgroup::barrier_sync(kOwnersBarrier, kOwnerThreads); // " +
           why.str());
  }
  /// The chunk loop's CTA size in the generated code: kThreads, which the
  /// solve kernel's code shares, unless a producer beside two owners adds a
  /// warpgroup of its own.
  const char *loopThreads() const {
    return plan.compactStages() ? "kLoopThreads" : "kThreads";
  }
  /// This warpgroup's S_0 tile in shared memory (the owner's own, pipelined).
  std::string stateTile() const {
    return plan.pipelined ? "once.state[wg]" : "sm.state[wg]";
  }
  void emitOwnerChunk();

  const KernelPlan &plan;
  const PrologueEmitter &prologue;
  const PrologueEmitter *gates;
  const PrologueEmitter *scan;
  CodeWriter &w;
};

void KernelEmitter::emitHeaderComment() {
  std::string rule = plan.rule.getSymName().str();
  w.line("// Generated by larcc from rule @" + rule + " (forward, sm_90a).");
  w.line("// Do not edit: regenerate with `larcc compile " + rule +
         ".larc --emit=cuda`.");
  w.line("//");
  w.line("// The rule in general form (design.md §2.1): decay " +
         stringifyDecayKind(plan.decayKind).str() + ", " +
         std::to_string(plan.terms()) + " rank-1 term(s), " +
         (plan.hasProbe() ? "one probe" : "no probes") +
         (plan.subSteps() > 1
              ? ", " + std::to_string(plan.subSteps()) + " sub-steps"
              : std::string()));
  // One sub-step reads S_{t-1}; several read the state each other leaves.
  const bool one = plan.subSteps() == 1;
  const std::string before = one ? "S_{t-1}" : "S";
  for (auto [j, step] : llvm::enumerate(plan.steps)) {
    std::string terms;
    for (const RankOneTerm &term : step->terms) {
      std::string data = term.data ? expr(term.data) : "";
      if (term.probe)
        data += (term.data ? " - " : "- ") + before + "^T (" +
                expr(term.probe) + ")";
      terms += " + (" + expr(term.direction) + ") (" + data + ")^T";
    }
    std::string decay =
        step->logDecay ? "exp(" + expr(step->logDecay) + ") " + before
                       : before;
    w.line((one ? std::string("//   S_t = ")
                : "//   sub-step " + std::to_string(j) + ": S = ") +
           decay + terms);
  }
  w.line("//   " + plan.output.getName().str() +
         (plan.apply ? "_t = S_t (" : "_t = S_t^T (") +
         expr(plan.readoutProbe()) + ")" +
         (plan.apply ? "   (the state applied to p: o over " + plan.dims.key +
                           ")"
                     : ""));
  if (plan.subSteps() > 1)
    w.line(llvm::formatv("// Sub-step j of token t is row {0} t + j of a chunk "
                         "of 64 / {0} tokens (the chunk",
                         plan.subSteps()));
  if (plan.subSteps() > 1)
    w.line("// form runs over these pseudo-rows); outputs are read at each "
           "token's last row.");
  w.line(
      "// Chunk form (design.md §2), C = 64 rows, rows r, s, b = cumsum(g):");
  if (plan.perKey()) {
    // Anchored per key at m = b_C / 2 (emitKeyDecay, docs/gpu-next.md).
    w.line("//   b [C, K] per key; anchors m = b_C / 2; Q̃ = Q ⊙ e^{b − m}, "
           "Ã = A ⊙ e^{m − b},");
    w.line("//   S̃_0 = diag(e^m) S_0, so that (Q ⊙ e^b)(A ⊙ e^{−b})ᵀ = Q̃ Ãᵀ "
           "with factors ≤ e^{−b_C/2}");
    if (plan.hasProbe()) {
      w.line("//   Ỹ = Y ⊙ e^{b' − m} (b' = b − g), L = Ỹ Ãᵀ for s < r, "
             "else 0");
      w.line("//   (I + L) C = X − Ỹ S̃_0: T = (I + L)^{-1}, W = T Ỹ, U = T X, "
             "C = U − W S̃_0");
    }
    std::string data = plan.hasProbe() ? "C" : "X";
    w.line("//   O   = Q̃ S̃_0 + (Q̃ Ãᵀ ⊙ M) " + data +
           ",   M the causal mask (r ≥ s)");
    w.line("//   S_C = diag(e^m) [diag(e^m) S_0 + Ãᵀ " + data +
           "]  (scalings of the fp32 state)");
  } else if (plan.hasProbe()) {
    // The delta-rule family (design.md §2, DeriveChunkForm.cpp): the data
    // C = X − Sᵀ Y each row actually writes comes from a triangular solve.
    if (plan.hasDecay()) {
      w.line("//   b' = b − g (exclusive), L = (Y Aᵀ) ⊙ e^{b'_r − b_s} for s "
             "< r, else 0");
      w.line("//   (I + L) C = X − (Y ⊙ e^{b'}) S_0: T = (I + L)^{-1}, "
             "W = T (Y ⊙ e^{b'}), U = T X,");
      w.line("//   C = U − W S_0");
      w.line("//   O   = (Q ⊙ e^b) S_0 + (Q Aᵀ ⊙ Γ) C,   Γ_rs = e^{b_r − b_s} "
             "(r ≥ s), else 0");
      w.line("//   S_C = e^{b_C} S_0 + (A ⊙ e^{b_C − b})ᵀ C");
    } else {
      w.line("//   L = (Y Aᵀ) for s < r, else 0");
      w.line("//   (I + L) C = X − Y S_0: T = (I + L)^{-1}, W = T Y, U = T X, "
             "C = U − W S_0");
      w.line("//   O   = Q S_0 + (Q Aᵀ ⊙ M) C,   M the causal mask (r ≥ s)");
      w.line("//   S_C = S_0 + Aᵀ C");
    }
  } else if (plan.hasDecay()) {
    w.line("//   O   = (Q ⊙ e^b) S_0 + (Q Aᵀ ⊙ Γ) X,   Γ_rs = e^{b_r − b_s} "
           "(r ≥ s), else 0");
    w.line("//   S_C = e^{b_C} S_0 + (A ⊙ e^{b_C − b})ᵀ X");
  } else {
    w.line("//   O   = Q S_0 + (Q Aᵀ ⊙ M) X,   M the causal mask (r ≥ s)");
    w.line("//   S_C = S_0 + Aᵀ X");
  }
  if (plan.apply)
    w.line("//   (the output is S p: O = Σ_vt P_vt S_0,vtᵀ + (P Cᵀ ⊙ Γ) A over "
           "the keys, in place of O above)");
  if (plan.plainTerms()) {
    w.line("// Plain terms n beside the probe term p move to the right-hand "
           "side of the solve:");
    w.line("//   L_n = (Y A_nᵀ) masked as L, (I + L) C_p = X_p − Σ_n L_n X_n "
           "− (Y ⊙ e^{b'}) S_0,");
    w.line("//   U = T X_p − Σ_n (T L_n) X_n; then O and S_C sum over every "
           "term, C_p for X_p,");
  }
  w.line(plan.hasProbe() && !plan.plainTerms()
             ? "// for the one term (A, X, Y). One CTA per (head, sequence), "
               "one warpgroup per"
             : "// summed over the terms (A_m, X_m). One CTA per (head, "
               "sequence), one warpgroup per");
  w.line("// value tile of 64 columns whose S [K, 64] stays in fp32 wgmma "
         "accumulators across");
  if (plan.tmaInputs.empty()) {
    w.line("// chunks. Inputs are read with plain coalesced loads (one warp "
           "per token row).");
  } else {
    w.line("// chunks. Each chunk's raw rows of the bf16 vector inputs land in "
           "shared memory");
    w.line("// by TMA (tma::load_tile, one mbarrier), issued one chunk ahead: "
           "the next chunk's");
    w.line("// loads fly while this chunk's maths run. The prologue reads the "
           "rows from there.");
  }
  if (plan.tmaOutput) {
    w.line("// O leaves through shared memory by one TMA store per warp, "
           "which runs on");
    w.line("// while the chunk's state update and the next chunk start.");
  }
  if (plan.pipelined) {
    w.line("// A producer warpgroup with no tile runs each chunk's CUDA-core "
           "phases (scalars,");
    w.line("// prologue, cumsum) ahead of the owner warpgroup, into a ring of "
           "kStages copies of");
    w.line("// Shared; the owner runs the products and state update behind "
           "it (mbarriers full, empty).");
  } else if (plan.helperWarpgroups()) {
    w.line("// A helper warpgroup with no tile shares the chunk's CUDA-core "
           "phases (prologue,");
    w.line("// solve, row scalings), which one warp per scheduler would leave "
           "latency-bound.");
  }
  w.blank();
  w.line("#include \"larc/cuda/larc.cuh\"");
  if (plan.solveKernel())
    w.line("#include \"larc/cuda/chunk_tiles.cuh\"");
  if (plan.splits())
    w.line("#include \"larc/cuda/segments.cuh\"");
  w.line("#include \"larc/runtime/LaunchParams.h\"");
  w.blank();
}

void KernelEmitter::emitConstants() {
  const CudaOptions &o = plan.opts;
  if (!plan.opts.stageNamespace.empty())
    w.open("namespace " + plan.opts.stageNamespace +
           " { // this stage's "
           "kernel and its support");
  w.line("namespace larc_kernel {");
  w.line("using namespace larc::gpu;");
  w.blank();
  w.line(llvm::formatv("constexpr int kChunk = {0};      // C, rows of the "
                       "chunk form",
                       o.chunkSize));
  w.line(llvm::formatv("constexpr int kSubSteps = {0};    // rows per token",
                       plan.subSteps()));
  w.line("constexpr int kTokens = kChunk / kSubSteps; // tokens per chunk");
  if (plan.paddedKeys()) {
    w.line(llvm::formatv("constexpr int kKeyDim = {0};    // {1} in whole "
                         "64-key blocks",
                         plan.keyDim(), plan.dims.key));
    w.line(llvm::formatv("constexpr int kKeyRows = {0};   // {1}: the keys "
                         "from here on stay zero",
                         o.keyDim, plan.dims.key));
  } else {
    w.line(llvm::formatv("constexpr int kKeyDim = {0};    // {1}", o.keyDim,
                         plan.dims.key));
  }
  w.line(llvm::formatv("constexpr int kValueDim = {0};  // {1}", o.valueDim,
                       plan.dims.value));
  w.line(llvm::formatv("constexpr int kValueTile = {0};  // columns of {1} "
                       "per warpgroup",
                       kValueTile, plan.dims.value));
  w.line("constexpr int kValueTiles = kValueDim / kValueTile; // warpgroups "
         "that own a tile");
  if (plan.compactStages()) {
    w.line(llvm::formatv("constexpr int kHelperWarpgroups = {0}; // the "
                         "producer's: no tile",
                         plan.helperWarpgroups()));
    w.line("constexpr int kThreads = 128 * kValueTiles; // the owners' (and "
           "the solve kernel's CTA)");
    w.line("constexpr int kLoopThreads = 128 * (kValueTiles + "
           "kHelperWarpgroups); // the chunk loop's CTA");
  } else if (plan.helperWarpgroups()) {
    w.line(llvm::formatv("constexpr int kHelperWarpgroups = {0}; // no tile: "
                         "CUDA-core phases only",
                         plan.helperWarpgroups()));
    w.line("constexpr int kThreads = 128 * (kValueTiles + kHelperWarpgroups);");
  } else {
    w.line("constexpr int kThreads = 128 * kValueTiles;");
  }
  w.line("constexpr int kWarps = kThreads / 32;");
  w.line(llvm::formatv("constexpr int kRowLanes = {0};   // lanes that share "
                       "a token row (LaneRow)",
                       plan.rowLanes()));
  w.line("constexpr int kRowsPerWarp = 32 / kRowLanes; // token rows a warp "
         "takes at once");
  if (!plan.pipelined)
    w.line("static_assert(kTokens % (kWarps * kRowsPerWarp) == 0, \"the token "
           "loops give every warp whole tokens\");");
  if (plan.pipelined) {
    w.line(llvm::formatv("constexpr int kStages = {0}; // copies of Shared: "
                         "the producer fills one while the owner reads another",
                         plan.stages));
    w.line("constexpr int kRoleThreads = 128; // an owner's threads: one "
           "warpgroup");
    w.line("constexpr int kOwnerThreads = 128 * kValueTiles; // the owners' "
           "threads (mbarrier empty)");
    w.line("constexpr int kProducerThreads = 128 * kHelperWarpgroups; // the "
           "producer's (mbarrier full)");
    w.line("constexpr int kProducerWarps = kProducerThreads / 32;");
    w.line("static_assert(kTokens % (kProducerWarps * kRowsPerWarp) == 0, "
           "\"the producer's token loops give every warp whole tokens\");");
    w.line("constexpr int kProducerBarrier = 1 + kValueTiles; // named "
           "barrier of the producer's threads");
    if (plan.compactStages()) {
      w.line("// Registers a thread (setmaxnreg): the owners hold S and the "
             "products' accumulators, the");
      w.line("// producer a few token rows. They add up to the launch's "
             "(setmaxnreg.inc waits for them).");
      w.line(llvm::formatv("constexpr int kOwnerRegisters = {0};",
                           kOwnerRegisters));
      w.line(llvm::formatv("constexpr int kProducerRegisters = {0};",
                           kProducerRegisters));
      w.line(
          "static_assert(kValueTiles * kOwnerRegisters + kHelperWarpgroups "
          "* kProducerRegisters == 65536 / 128, \"the launch's registers\");");
      w.line("constexpr int kOwnersBarrier = 2 + kValueTiles; // named barrier "
             "of both owners");
    }
  } else {
    w.line("constexpr int kRoleThreads = kThreads; // the threads that share a "
           "phase: all");
  }
  w.line(llvm::formatv("constexpr int kTerms = {0};       // rank-1 terms",
                       plan.terms()));
  w.line("constexpr int kKeyPerLane = kKeyDim / kRowLanes;     // a lane's "
         "elements of a key row");
  w.line("constexpr int kValuePerLane = kValueDim / kRowLanes; // ... of a "
         "value row");
  for (Attribute dim : plan.rule.getDims()) {
    StringRef name = cast<StringAttr>(dim).getValue();
    bool held = prologue.holdsVectorsOver(name) ||
                (gates && gates->holdsVectorsOver(name)) ||
                (scan && scan->holdsVectorsOver(name));
    if (name != plan.dims.key && name != plan.dims.value && held)
      w.line(llvm::formatv("constexpr int kPerLane{0} = {1}; // ... of a row "
                           "of {0} ({2}{3})",
                           name, plan.dims.padded(name) / plan.rowLanes(),
                           plan.dims.size(name),
                           plan.dims.size(name) % 64 ? ", zero-padded" : ""));
  }
  w.line("constexpr int kStateBlocks = kKeyDim / 64;    // m64 accumulators "
         "of S");
  if (plan.splits()) {
    w.line(llvm::formatv("constexpr bool kMatrixTransition = {0}; // a "
                         "segment's M: {1}",
                         plan.hasProbe() ? "true" : "false",
                         plan.hasProbe() ? "K × K (probes)"
                                         : "diagonal (no probes)"));
    w.line("using Workspace = SegmentWorkspace<kKeyDim, kValueDim, "
           "kMatrixTransition>; // split plan");
  }
  if (plan.solveKernel())
    w.line(
        "using Tiles = ChunkTiles<kTokens, sizeof(SwizzledTile<bf16, kChunk, "
        "kChunk>)>; // T of each chunk, by the solve kernel");
  if (plan.perKey())
    w.line("// The anchored factors e^{±(b − m)} stay below e^{kAnchorLimit} "
           "(bf16's range\n// ends at e^{88}): exact while every key decays "
           "by at most e^{-2 kAnchorLimit}\n// over a chunk.\n"
           "constexpr float kAnchorLimit = 80.0f;");
  if (plan.hasProbe()) {
    w.line(plan.padSolveRows
               ? "constexpr int kSolvePitch = kChunk + 4; // floats a row of "
                 "the solve's L and T: 4 banks apart"
               : "constexpr int kSolvePitch = kChunk; // floats a row of the "
                 "solve's L and T (no room for padding)");
    w.line("using SolveMatrix = float[kChunk][kSolvePitch]; // the solve's L "
           "and T in fp32");
  }
  w.blank();
  w.line("/// One chunk's bf16 wgmma operands (128-byte swizzled tiles).");
  w.open("struct Shared {");
  if (plan.apply)
    w.line("SwizzledTile<bf16, kChunk, kValueTile> q[kValueTiles]; // apply "
           "probes p, by value tile: " +
           expr(plan.readoutProbe()));
  else
    w.line("SwizzledTile<bf16, kChunk, kKeyDim> q; // readout probes: " +
           expr(plan.readoutProbe()));
  std::string as, xs, ys;
  for (const SubStep *step : plan.steps) {
    for (const RankOneTerm &term : step->terms) {
      as += (as.empty() ? "" : ", ") + expr(term.direction);
      xs += (xs.empty() ? "" : ", ") + expr(term.data);
      if (term.probe)
        ys += (ys.empty() ? "" : ", ") + expr(term.probe);
    }
  }
  w.line("SwizzledTile<bf16, kChunk, kKeyDim> a[kTerms]; // directions: " + as);
  w.line("SwizzledTile<bf16, kChunk, kValueTile> x[kValueTiles][kTerms]; "
         "// data, by value tile: " +
         xs);
  const std::string stateLine =
      "SwizzledTile<bf16, kKeyDim, kValueTile> state[kValueTiles]; // " +
      std::string(plan.perKey() ? "S̃_0 = diag(e^m) S_0" : "S_0") +
      " in bf16, by value tile";
  const std::string outLine =
      "SwizzledTile<bf16, kChunk, kValueTile> out[kValueTiles]; // O's rows, "
      "by value tile (TMA store)";
  if (!plan.pipelined)
    w.line(stateLine);
  const std::string tLine = "SwizzledTile<bf16, kChunk, kChunk> t; // T = "
                            "(I + L)^{-1} in bf16 (wgmma A operand)";
  if (plan.hasProbe()) {
    w.line("SwizzledTile<bf16, kChunk, kKeyDim> y; // probes: " + ys +
           (plan.perKey()     ? " (then Ỹ = Y ⊙ e^{b' − m})"
            : plan.hasDecay() ? " (then Y ⊙ e^{b'})"
                              : ""));
    if (!plan.compactStages())
      w.line(plan.solveKernel() ? tLine + ", from the solve kernel" : tLine);
    if (plan.plainTerms())
      w.line("SwizzledTile<bf16, kChunk, kChunk> ln[kTerms - 1]; // L_n = Y "
             "A_nᵀ of the plain terms, then −T L_n");
    if (plan.prescan) {
      w.line("union { // the scan's rows are read before the solve begins");
      w.line("  struct {");
      w.line("    SolveMatrix l;    // L in fp32 (strictly lower)");
      w.line("    SolveMatrix tInv; // T in fp32 (block solve)");
      w.line("  };");
      w.line("  float scan[kChunk][kKeyDim]; // " + plan.prescan->name +
             (plan.prescan->prev ? " before" : " after") + " each row");
      w.line("};");
    } else if (plan.outputInSolve()) {
      w.line("union { // O is written after the solve is done with L and T");
      w.line("  struct {");
      w.line("    SolveMatrix l;    // L in fp32 (strictly lower)");
      w.line("    SolveMatrix tInv; // T in fp32 (block solve)");
      w.line("  };");
      w.line("  SwizzledTile<bf16, kChunk, kValueTile> out[kValueTiles]; // "
             "O's rows, by value tile (TMA store)");
      w.line("};");
    } else if (!plan.solveKernel()) {
      w.line("SolveMatrix l;    // L in fp32 (strictly lower)");
      w.line("SolveMatrix tInv; // T in fp32 (block solve)");
    }
  } else if (plan.prescan) {
    w.line("float scan[kChunk][kKeyDim]; // " + plan.prescan->name +
           (plan.prescan->prev ? " before" : " after") + " each row");
  }
  auto rawRows = [&] {
    for (const KernelPlan::TmaInput &in : plan.tmaInputs)
      w.line(llvm::formatv("SwizzledTile<bf16, kTokens, {0}> raw_{1}; // rows "
                           "of {2} (TMA)",
                           dimOf(in.input) == plan.dims.key ? "kKeyDim"
                           : dimOf(in.input) == plan.dims.value
                               ? "kValueDim"
                               : std::to_string(in.size),
                           in.name, in.input.getName()));
  };
  if (!plan.compactStages())
    rawRows();
  if (plan.tmaOutput && !plan.outputInSolve() && !plan.pipelined)
    w.line(outLine);
  emitDecayArrays();
  if (plan.bonus)
    w.line("float bonus[kChunk]; // o_r += bonus_r x_r: " +
           expr(plan.bonus->scalar));
  for (const KernelPlan::TokenScalar &in : plan.tokenScalars)
    w.line(llvm::formatv("float tok_{0}[kTokens]; // {1} of the chunk's "
                         "tokens (prefetched)",
                         in.name, in.input.getName()));
  if (plan.rider) {
    w.line("float z[kKeyDim]; // the vector state " +
           plan.rider->name +
           " (fp32), one more value column of S");
    w.line("float zq[kChunk]; // q_r · z_0 of each row");
    w.line("float zx[kTerms][kChunk]; // its data x_z of each row");
  }
  if (plan.prescan) {
    w.line("float zScan[kKeyDim]; // the vector state " + plan.prescan->name +
           " (fp32), carried across chunks");
    w.line("float zDecay[kChunk]; // its log-decay of each row");
  }
  const char *loadedLine = "Barrier loaded; // the chunk's TMA loads landed";
  const char *tLoadedLine = "Barrier tLoaded; // the chunk's T landed";
  if (!plan.tmaInputs.empty() && !plan.compactStages())
    w.line(loadedLine);
  if (plan.solveKernel() && !plan.compactStages())
    w.line(tLoadedLine);
  if (plan.pipelined) {
    w.line("Barrier full;  // the producer's tiles of the chunk are written");
    w.line(plan.compactStages()
               ? "Barrier empty; // both owners are done reading them"
               : "Barrier empty; // the owner is done reading them");
  }
  w.close("};");
  if (plan.compactStages()) {
    w.line("/// The tiles there is one of: S_0 of each owner, T and the raw "
           "rows (read by the");
    w.line("/// owners and the producer's prologue before the next chunk's "
           "land).");
    w.open("struct Once {");
    w.line(stateLine);
    if (plan.hasProbe())
      w.line(tLine + ", from the solve kernel");
    rawRows();
    if (plan.tmaOutput && !plan.outputInY())
      w.line(outLine);
    w.line(loadedLine);
    if (plan.solveKernel())
      w.line(tLoadedLine);
    w.close("};");
    if (plan.outputInY())
      w.line("// O's rows leave through column block wg of the stage's y.");
  } else if (plan.pipelined) {
    w.line("/// The owner's tiles, once: S_0 and O of the chunk it runs.");
    w.open("struct Once {");
    w.line(stateLine);
    if (plan.tmaOutput && !plan.outputInSolve())
      w.line(outLine);
    w.close("};");
  }
  if (!plan.tmaInputs.empty()) {
    std::string order;
    for (const KernelPlan::TmaInput &in : plan.tmaInputs)
      order += (order.empty() ? "" : ", ") + in.input.getName().str();
    if (plan.tmaOutput)
      order += ", " + plan.output.getName().str() + " (stored)";
    w.line(
        "// TMA descriptors p.tensorMaps[i], manifest \"tensor_maps\" order: " +
        order);
  }
  w.line(llvm::formatv("constexpr int kSharedBytes = {0}; // manifest "
                       "\"shared_bytes\"",
                       sharedBytes(plan)));
  w.line(plan.pipelined
             ? "static_assert(kStages * sizeof(Shared) + sizeof(Once) + 1024 "
               "== kSharedBytes, \"manifest shared_bytes\");"
             : "static_assert(sizeof(Shared) + 1024 == kSharedBytes, "
               "\"manifest shared_bytes\");");
  w.blank();
}

/// The cumulative log-decays in shared memory (the chunk loop's and the
/// solve kernel's): b, the per-key anchors m, b' = b − g.
void KernelEmitter::emitDecayArrays() {
  if (plan.perKey()) {
    w.line("float b[kChunk][kKeyDim]; // per-key log-decays g, then b = "
           "cumsum(g) down each column");
    w.line("float mid[kKeyDim];       // anchor m = b_C / 2 of each key");
  } else if (plan.hasDecay()) {
    w.line("float b[kChunk]; // log-decays g, then b = cumsum(g)");
  }
  if (plan.needsExclusiveCumsum())
    w.line("float bx[kChunk]; // b' = b − g (exclusive cumsum)");
}

void KernelEmitter::emitSupport() {
  w.line(
      R"(#define LARC_FOR_LANE(j, n) _Pragma("unroll") for (int j = 0; j < (n); ++j)

__device__ inline float toFloat(float x) { return x; }
__device__ inline float toFloat(bf16 x) { return __bfloat162float(x); }

/// Element (b, t, h, 0) of a [B, T, H, d] tensor (or (b, t, h) of [B, T, H]).
template <class T>
__device__ inline T *tokenRow(const LarcTensorRef &ref, int64_t b, int64_t t,
                              int64_t h) {
  return static_cast<T *>(ref.data) + b * ref.strides[0] + t * ref.strides[1] +
         h * ref.strides[2];
}

/// A row of d = kRowLanes N elements as LaneRow<N, kRowLanes> lays it out
/// over a row's lanes, so they read it in one coalesced pass: 8 bytes a load
/// at most (the manifest's "alignment"). A row past the sequence's end
/// (!valid) is not read: zeros; so are the columns from `limit` on (a dim
/// padded to whole 64-element blocks).
template <int N, class T>
__device__ inline void loadRow(float (&x)[N], const T *row, bool valid,
                               int limit = kRowLanes * N) {
  using Row = LaneRow<N, kRowLanes>;
  constexpr int kPiece = Row::kGroup < 4 ? Row::kGroup : 4;
  const int lane = threadIdx.x % kRowLanes;
  LARC_FOR_LANE(g, Row::kGroups) {
    LARC_FOR_LANE(h, Row::kGroup / kPiece) {
      const int c = Row::column(lane, Row::kGroup * g) + kPiece * h;
      float part[kPiece];
      if (sizeof(T) == 2 && valid && c + kPiece <= limit) {
        load_bf16(part, reinterpret_cast<const bf16 *>(row) + c);
      } else {
        LARC_FOR_LANE(j, kPiece)
        part[j] = valid && c + j < limit ? toFloat(row[c + j]) : 0.0f;
      }
      LARC_FOR_LANE(j, kPiece) x[Row::kGroup * g + kPiece * h + j] = part[j];
    }
  }
}

/// Row r of a shared tile, laid out as loadRow does. A group of 2, 4 or 8
/// bf16 never crosses a 16-byte swizzle chunk: one load per group.
template <int N, int Cols>
__device__ inline void loadRow(float (&x)[N],
                               const SwizzledTile<bf16, kTokens, Cols> &tile,
                               int r) {
  using Row = LaneRow<N, kRowLanes>;
  LARC_FOR_LANE(g, Row::kGroups) {
    float part[Row::kGroup];
    load_bf16(part, &tile.at(r, Row::column(threadIdx.x % kRowLanes,
                                            Row::kGroup * g)));
    LARC_FOR_LANE(j, Row::kGroup) x[Row::kGroup * g + j] = part[j];
  }
}

/// Column of element j of this lane's part of a token row.
template <int N> __device__ inline int rowColumn(int j) {
  return LaneRow<N, kRowLanes>::column(threadIdx.x % kRowLanes, j);
}

/// The runtime's TMA descriptor i (manifest "tensor_maps" order).
__device__ inline const CUtensorMap *tensorMap(const LarcLaunchParams &p,
                                               int i) {
  return reinterpret_cast<const CUtensorMap *>(&p.tensorMaps[i]);
}

/// Columns [col0, col0 + Cols) of a lane-distributed row into row r of a
/// tile; a group lies wholly inside or outside those columns. A row past the
/// sequence's end (!valid) is stored as zeros, whatever x holds; so are the
/// columns from `limit` on (the padding of a dim to whole 64-element blocks).
template <int N, int Cols>
__device__ inline void storeRow(SwizzledTile<bf16, kChunk, Cols> &tile, int r,
                                const float (&x)[N], bool valid, int col0 = 0,
                                int limit = kRowLanes * N) {
  using Row = LaneRow<N, kRowLanes>;
  LARC_FOR_LANE(g, Row::kGroups) {
    const int col = Row::column(threadIdx.x % kRowLanes, Row::kGroup * g);
    const int c = col - col0;
    if (c < 0 || c >= Cols)
      continue;
    uint32_t w[Row::kGroup / 2];
    LARC_FOR_LANE(j, Row::kGroup / 2) {
      const float lo = col + 2 * j < limit ? x[Row::kGroup * g + 2 * j] : 0.0f;
      const float hi =
          col + 2 * j + 1 < limit ? x[Row::kGroup * g + 2 * j + 1] : 0.0f;
      w[j] = valid ? pack_bf16(lo, hi) : 0u;
    }
    if constexpr (Row::kGroup == 8)
      *reinterpret_cast<uint4 *>(&tile.at(r, c)) =
          make_uint4(w[0], w[1], w[2], w[3]);
    else if constexpr (Row::kGroup == 4)
      *reinterpret_cast<uint2 *>(&tile.at(r, c)) = make_uint2(w[0], w[1]);
    else
      *reinterpret_cast<uint32_t *>(&tile.at(r, c)) = w[0];
  }
}

/// A ⊙ e^{b_C − b}: row r of a direction tile decayed to the chunk's end.
template <int Cols>
__device__ inline void decayRowsToEnd(SwizzledTile<bf16, kChunk, Cols> &a,
                                      const float *b, float bLast) {
  scale_rows<kRoleThreads>(a, [&](int r) { return exp_fast(bLast - b[r]); },
                           threadIdx.x % kRoleThreads);
}

/// The output tile O [64, kValueTile] to global memory: row r is token
/// r / kSubSteps, read at its last sub-step; tokens [0, count) are written.
/// A thread holds two rows of O (r and r + 8, registers 4j + 2h for row h):
/// each row's address is computed once, since the 64-bit index arithmetic per
/// element cost more issue slots than the stores themselves.
__device__ inline void storeOutputRows(const Accum<kValueTile> &o,
                                       const LarcTensorRef &out, int64_t batch,
                                       int64_t t0, int head, int v0,
                                       int count) {
  const int tid = warpgroup_thread();
  LARC_FOR_LANE(h, 2) {
    const int r = Accum<kValueTile>::row(tid, 2 * h);
    const int token = r / kSubSteps;
    if (r % kSubSteps != kSubSteps - 1 || token >= count)
      continue;
    bf16 *row = tokenRow<bf16>(out, batch, t0 + token, head) + v0 +
                Accum<kValueTile>::col(tid, 0);
    LARC_FOR_LANE(j, kValueTile / 8) // columns 8 j + 2 (tid % 4), + 1
      *reinterpret_cast<__nv_bfloat162 *>(row + 8 * j) =
          __floats2bfloat162_rn(o.v[4 * j + 2 * h], o.v[4 * j + 2 * h + 1]);
  }
}

/// Element (k, v0 + c) of a [N, H, K, V] fp32 state of sequence n, head h.
__device__ inline float *stateAt(const LarcTensorRef &ref, int64_t n,
                                 int64_t h, int k, int v) {
  return static_cast<float *>(ref.data) + n * ref.strides[0] +
         h * ref.strides[1] + int64_t(k) * ref.strides[2] +
         int64_t(v) * ref.strides[3];
}
)");
  if (plan.tmaOutput)
    w.line(R"(
/// The output tile O [64, kValueTile] at tokens [t0, t0 + 64) by TMA: each
/// warp writes its own 16 rows of the accumulator to the shared tile, and its
/// lane 0 stores them as one box (rows past T are clipped; a warp whose rows
/// all lie past the `count` valid tokens stores nothing), so no warp waits on
/// another. The stores run on while the chunk goes on; the tile is rewritten
/// only after the next chunk's first barrier, before which each storing lane
/// waits for its store to have read it.
__device__ inline void storeOutputTile(
    const Accum<kValueTile> &o, SwizzledTile<bf16, kChunk, kValueTile> &tile,
    const CUtensorMap *map, int64_t t0, int count, int v0, int head,
    int64_t batch) {
  constexpr int kRows = 16; // a warp's rows of the m64 accumulator
  store(o, tile);
  tma::fence_shared_to_async(); // generic stores -> the TMA's async proxy
  __syncwarp();                 // the warp's rows are in
  const int row0 = kRows * (warpgroup_thread() / 32);
  if (threadIdx.x % 32 == 0 && row0 < count)
    tma::store_rows<kRows>(map, tile, row0, int(t0) + row0, v0, head,
                           int(batch));
})");
  if (plan.rider || plan.prescan)
    w.line(R"(
/// Element k of a [N, H, K] fp32 vector state of sequence n, head h.
__device__ inline float *vectorStateAt(const LarcTensorRef &ref, int64_t n,
                                       int64_t h, int k) {
  return static_cast<float *>(ref.data) + n * ref.strides[0] +
         h * ref.strides[1] + int64_t(k) * ref.strides[2];
})");
  if (plan.hasProbe())
    emitSolveSupport();
  w.line("} // namespace larc_kernel");
  w.line("using namespace larc_kernel;");
  w.blank();
}

void KernelEmitter::emitSolveSupport() {
  w.line(
      R"(
/// L ⊙ e^{b'_r − b_s} where s < r, else 0 (on and above the diagonal): the
/// strictly lower part of Y Aᵀ, decayed from token s to just before token r.
/// b' ≤ b and b is non-increasing, so every exponent kept here is ≤ 0.
/// Column blocks right of the warp's diagonal block are 0 without an exp
/// (with_lower_blocks).
__device__ inline void applyStrictDecayMask(Accum<kChunk> &l, const float *bRow,
                                            const float *bCol) {
  const int tid = warpgroup_thread();
  with_lower_blocks<kChunk>([&](auto blocks) {
    LARC_FOR_LANE(i, kChunk / 2) {
      const int r = Accum<kChunk>::row(tid, i), c = Accum<kChunk>::col(tid, i);
      l.v[i] = i / 4 < decltype(blocks)::value && c < r
                   ? l.v[i] * exp_fast(bRow[r] - bCol[c])
                   : 0.0f;
    }
  });
}

/// The strictly lower part of Y Aᵀ (no decay): 0 on and above the diagonal.
__device__ inline void applyStrictMask(Accum<kChunk> &l) {
  const int tid = warpgroup_thread();
  LARC_FOR_LANE(i, kChunk / 2)
  if (Accum<kChunk>::col(tid, i) >= Accum<kChunk>::row(tid, i)) l.v[i] = 0.0f;
}

/// The accumulator into a plain fp32 [C, kSolvePitch] array in shared memory: each
/// register pair (2 i, 2 i + 1) is two adjacent columns of one row, stored as
/// one float2.
__device__ inline void storeMatrix(const Accum<kChunk> &d, SolveMatrix &m) {
  const int tid = warpgroup_thread();
  LARC_FOR_LANE(i, kChunk / 4) {
    const int r = Accum<kChunk>::row(tid, 2 * i), c = Accum<kChunk>::col(tid, 2 * i);
    *reinterpret_cast<float2 *>(&m[r][c]) = make_float2(d.v[2 * i], d.v[2 * i + 1]);
  }
}

/// T_rc in fp32 (tInv) and bf16 (t, the wgmma A operand).
__device__ inline void storeT(SolveMatrix &tInv,
                              SwizzledTile<bf16, kChunk, kChunk> &t, int r,
                              int c, float x) {
  tInv[r][c] = x;
  t.at(r, c) = __float2bfloat16(x);
}

/// A warp's m16n8 tile d (one tile of warp_strip_product_3xtf32) into rows
/// r0 + [0, 16), columns c0 + [0, 8) of m.
__device__ inline void storeTile(const float (&d)[4], SolveMatrix &m, int r0,
                                 int c0) {
  const int lane = threadIdx.x % 32, r = r0 + lane / 4, c = c0 + 2 * (lane % 4);
  *reinterpret_cast<float2 *>(&m[r][c]) = make_float2(d[0], d[1]);
  *reinterpret_cast<float2 *>(&m[r + 8][c]) = make_float2(d[2], d[3]);
}

/// −d as a tile of T: into tInv (fp32) and t (bf16), as storeTile places it.
__device__ inline void storeTileT(const float (&d)[4], SolveMatrix &tInv,
                                  SwizzledTile<bf16, kChunk, kChunk> &t,
                                  int r0, int c0) {
  const float n[4] = {-d[0], -d[1], -d[2], -d[3]};
  storeTile(n, tInv, r0, c0);
  const int lane = threadIdx.x % 32, r = r0 + lane / 4, c = c0 + 2 * (lane % 4);
  *reinterpret_cast<uint32_t *>(&t.at(r, c)) = pack_bf16(n[0], n[1]);
  *reinterpret_cast<uint32_t *>(&t.at(r + 8, c)) = pack_bf16(n[2], n[3]);
}

/// T = (I + L)^{-1} for a strictly lower L, in fp32, by 16×16 blocks
/// (C = 64; 3 barriers). With (I + L) = [[I + L_A, 0], [L_BA, I + L_B]] the
/// inverse is [[T_A, 0], [−T_B L_BA T_A, T_B]], applied twice:
///   1. T_ii = (I + L_ii)^{-1}, i < 4, by forward substitution: warp i, lane
///      c < 16 holds column c in registers, x_r = δ_rc − Σ_{s<r} L_rs x_s,
///      while the last warpgroup zeroes T's upper blocks;
///   2. the 32×32 halves: T_10 = −T_11 (L_10 T_00), T_32 = −T_33 (L_32 T_22),
///      a 16×16 strip of two m16n8 tiles a warp on warps 0-1;
///   3. the whole: T_BA = −T_B (L_BA T_A), A = rows/columns [0, 32),
///      B = [32, 64): 4 strips of two m16n8 tiles over the warps (a strip's
///      tiles share the split of A's fragments).
/// The block products run on tensor cores with each fp32 operand split in two
/// tf32 parts (larc/cuda/mma_tf32.cuh: about fp32's accuracy); as CUDA-core
/// FMAs they were most of the solve kernel's instructions. The products L·T
/// (M below) go to the strictly upper part of `l` (no step reads L there) as
/// scratch. T goes to fp32 `tInv`, whose strictly upper blocks T_01 and T_23
/// are zeroed first so that step 3's products run over whole 32×32 blocks (no
/// step reads tInv's other upper blocks), and to bf16 `t` (the wgmma A
/// operand, all six upper blocks zeroed). L_rs = 0 for s ≥ r, so the 16-byte
/// loads of a row of L may run past the diagonal. Rows are kSolvePitch floats
/// apart (4 banks), so the tf32 fragments load without bank conflicts. Called
/// by every thread of the CTA; the steps meet at __syncthreads (with a named
/// barrier of warpgroup 0 alone, compute-sanitizer's racecheck reported
/// hazards across barriers).
__device__ inline void invertUnitLower(SolveMatrix &l, SolveMatrix &tInv,
                                       SwizzledTile<bf16, kChunk, kChunk> &t) {
  static_assert(kChunk == 64 && kWarps % 4 == 0 && kWarps <= 16,
                "the block solve assumes C = 64 and whole warpgroups");
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // 0. The strictly upper 16×16 blocks of T are 0, by the last warpgroup
  //    (warpgroup 0 when there is one), 16 bytes a store: in bf16 `t` the
  //    chunks q ≥ 2 (i + 1) of block row i's rows (192 chunks); in fp32
  //    `tInv` T_01 and T_23 (thread i: row i / 4 of the two, float4 i % 4).
  const int i = int(threadIdx.x) - (kThreads - 128);
  if (i >= 0) {
    for (int e = i; e < 48 * 8; e += 128) {
      const int r = e / 8, q = e % 8;
      if (q >= 2 * (r / 16 + 1))
        *reinterpret_cast<uint4 *>(&t.at(r, 8 * q)) = make_uint4(0, 0, 0, 0);
    }
    const int r = i / 4 % 16 + 32 * (i / 64);
    *reinterpret_cast<float4 *>(&tInv[r][16 * (r / 16 + 1) + 4 * (i % 4)]) =
        make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  // 1. T_ii = (I + L_ii)^{-1}: warp i, lane c < 16 solves column c.
  if (warp < 4 && lane < 16) {
    const int o = 16 * warp, c = lane;
    float x[16];
#pragma unroll
    for (int r = 0; r < 16; ++r)
      x[r] = 0.0f; // rows not solved yet add 0
#pragma unroll
    for (int r = 0; r < 16; ++r) {
      float acc0 = r == c ? 1.0f : 0.0f, acc1 = 0.0f;
#pragma unroll
      for (int s = 0; s < r; s += 4) {
        const float4 lr = *reinterpret_cast<const float4 *>(&l[o + r][o + s]);
        acc0 -= lr.x * x[s];
        acc1 -= lr.y * x[s + 1];
        acc0 -= lr.z * x[s + 2];
        acc1 -= lr.w * x[s + 3];
      }
      x[r] = acc0 + acc1;
    }
#pragma unroll
    for (int r = 0; r < 16; ++r)
      storeT(tInv, t, o + r, o + c, x[r]);
  }
  __syncthreads();
  // 2. Half h = warp < 2 (rows/columns 32 h + [0, 32)): the 16×16 block at
  //    rows i0 + [0, 16), columns j0 + [0, 16), one strip of two m16n8 tiles.
  if (warp < 2) {
    const int i0 = 32 * warp + 16, j0 = i0 - 16;
    float d[2][4];
    // M = L_10 T_00, to scratch: the upper block of L
    warp_strip_product_3xtf32<16, kSolvePitch, 2>(d, &l[i0][j0], &tInv[j0][j0]);
    LARC_FOR_LANE(j, 2) storeTile(d[j], l, j0, i0 + 8 * j);
    __syncwarp(); // the warp's M is whole (every warp reads only its own)
    // T_10 = −T_11 M
    warp_strip_product_3xtf32<16, kSolvePitch, 2>(d, &tInv[i0][i0], &l[j0][i0]);
    LARC_FOR_LANE(j, 2) storeTileT(d[j], tInv, t, i0, j0 + 8 * j);
  }
  __syncthreads();
  // 3. T_BA = −T_B (L_BA T_A): the 32×32 block as 2 × 2 strips of two m16n8
  //    tiles (which share A's split), strip e = warp, warp + kWarps, ...:
  //    rows 16 (e / 2), columns 16 (e % 2).
  for (int e = warp; e < 4; e += kWarps) {
    float d[2][4];
    // M = L_BA T_A, to scratch: the upper right of L
    warp_strip_product_3xtf32<32, kSolvePitch, 2>(d, &l[32 + 16 * (e / 2)][0],
                                                  &tInv[0][16 * (e % 2)]);
    LARC_FOR_LANE(j, 2) storeTile(d[j], l, 16 * (e / 2), 32 + 16 * (e % 2) + 8 * j);
  }
  __syncthreads();
  for (int e = warp; e < 4; e += kWarps) {
    float d[2][4];
    // T_BA = −T_B M
    warp_strip_product_3xtf32<32, kSolvePitch, 2>(d, &tInv[32 + 16 * (e / 2)][32],
                                                  &l[0][32 + 16 * (e % 2)]);
    LARC_FOR_LANE(j, 2) storeTileT(d[j], tInv, t, 32 + 16 * (e / 2), 16 * (e % 2) + 8 * j);
  }
}

/// Y ⊙ e^{b'}: row r of the probe tile scaled by e^{b'_r} (≤ 1), by Threads
/// threads (this one is `thread` of them).
template <int Threads, int Cols>
__device__ inline void scaleRowsExp(SwizzledTile<bf16, kChunk, Cols> &y,
                                    const float *b, int thread) {
  scale_rows<Threads>(y, [&](int r) { return exp_fast(b[r]); }, thread);
})");
}

/// Every kernel of a package is launched dependent on the kernel before it in
/// the stream (manifest "dependent_launch", programmatic stream
/// serialization): it may start while that one finishes, so it waits for it
/// before any global memory access, then lets the next one start the same way.
/// Saves the launch gap between the solve kernel, the split plan's phases and
/// the chunk loop, and between calls.
void KernelEmitter::emitGridDependency() {
  w.line("// Launched dependent on the stream's kernel before (manifest "
         "\"dependent_launch\"): its");
  w.line("// writes are visible past this wait; the next kernel may launch "
         "from here on.");
  w.line("cudaGridDependencySynchronize();");
  w.line("cudaTriggerProgrammaticLaunchCompletion();");
}

void KernelEmitter::emitSetup() {
  emitGridDependency();
  w.line("extern __shared__ __align__(1024) char larcSmem[];");
  w.line("SmemCarver carver{larcSmem};");
  if (plan.pipelined) {
    w.line(
        "Shared *stages = &carver.take<Shared>(kStages); // chunk c's tiles: "
        "stages[c % kStages]");
    w.line("Once &once = carver.take<Once>();");
  } else
    w.line("Shared &sm = carver.take<Shared>();");
  w.blank();
  w.line("const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;");
  w.line("const int wg = warpgroup::index(); // this warpgroup's value tile");
  w.line("const int v0 = kValueTile * wg; // its first column of " +
         plan.dims.value + " of this CTA");
  if (plan.helperWarpgroups())
    w.line("const bool ownsTile = wg < kValueTiles; // else a helper: no "
           "state, no products");
  if (plan.pipelined) {
    w.line("// This thread in its role: in its owner warpgroup, or among the "
           "producer's threads.");
    w.line("const int tid = ownsTile ? threadIdx.x % kRoleThreads : "
           "threadIdx.x - kOwnerThreads;");
    w.line("const int roleWarp = tid / 32;");
  }
  w.line("const int head = blockIdx.y;            // value head (HV)");
  w.line("const int keyHead = head / (p.valueHeads / p.heads); // head of "
         "query/key inputs");
  if (plan.splits()) {
    w.line("// Split plan: blockIdx.z = n · segments + j; 1 segment when not "
           "split.");
    w.line("const int segments = p.segments > 1 ? p.segments : 1;");
    w.line("const int seq = blockIdx.z / segments; // sequence n");
    w.line("const int segment = blockIdx.z % segments;");
  } else {
    w.line("const int seq = blockIdx.z;             // sequence n");
  }
  w.line("// Tokens [bos, eos) of batch row `batch` (varlen: cu_seqlens).");
  w.line("int64_t batch = seq, bos = 0, eos = p.seqLen;");
  w.open("if (p.cuSeqlens) {");
  w.line("batch = 0;");
  w.line("bos = p.cuSeqlens[seq];");
  w.line("eos = p.cuSeqlens[seq + 1];");
  w.close();
  if (plan.splits()) {
    w.open("if (segments > 1) { // segment j: tokens [j L, j L + L)");
    w.line("bos += int64_t(segment) * p.segmentTokens;");
    w.line("eos = bos + p.segmentTokens < eos ? bos + p.segmentTokens : eos;");
    w.close();
    w.line("// Phase 1 summarises every segment but the last; its CTA x = 1 "
           "(probes) runs");
    w.line("// from S = I with zero data, so that its S_end is M.");
    w.line("if (kSummary && segment + 1 == segments) return;");
    w.line("const bool carriesValues = !kSummary || blockIdx.x == 0;");
    w.line("const Workspace ws(p);");
    w.line("const int64_t wsRow = ws.row(blockIdx.z, head, p.valueHeads);");
  }
  w.line("(void)lane, (void)warp;");
  if (!plan.tmaInputs.empty() || plan.solveKernel()) {
    w.open("if (threadIdx.x == 0) {");
    const bool compact = plan.compactStages();
    if (compact) {
      w.line("mbarrier::init(once.loaded, 1);");
      if (plan.solveKernel())
        w.line("mbarrier::init(once.tLoaded, 1);");
    }
    if (plan.pipelined)
      w.open("for (int j = 0; j < kStages; ++j) {");
    const char *sm = plan.pipelined ? "stages[j]" : "sm";
    if (!plan.tmaInputs.empty() && !compact)
      w.line(llvm::formatv("mbarrier::init({0}.loaded, 1);", sm));
    if (plan.solveKernel() && !compact)
      w.line(llvm::formatv("mbarrier::init({0}.tLoaded, 1);", sm));
    if (plan.pipelined) {
      w.line("mbarrier::init(stages[j].full, kProducerThreads); // every "
             "producer thread arrives");
      w.line("mbarrier::init(stages[j].empty, kOwnerThreads); // every owner "
             "thread arrives");
      w.close();
    }
    w.line("mbarrier::init_fence();");
    w.close();
    w.line("__syncthreads();");
  }
  if (!plan.tmaInputs.empty() && !plan.pipelined)
    w.line("uint32_t loadedParity = 0;");
  if (plan.solveKernel() && !plan.pipelined)
    w.line("uint32_t tParity = 0;");
  w.blank();
  w.line("// Per-head values that depend on no token.");
  prologue.emitUniform(w);
  if (gates)
    gates->emitUniform(w);
  if (scan)
    scan->emitUniform(w);
  w.blank();
}

void KernelEmitter::emitInitialState() {
  w.line("// The state tile S[:, v0 : v0 + 64] in fp32 registers: block i "
         "holds key rows");
  w.line("// [64 i, 64 i + 64). Starts from the initial state, or zeros.");
  w.line("Accum<kValueTile> s[kStateBlocks];");
  w.line(llvm::formatv("const LarcTensorRef &initial = p.initialStates[{0}];",
                       plan.stateIndex));
  emitForEachStateElement([&] {
    if (plan.splits()) {
      w.line(
          "if (kSummary) s[i].v[e] = !carriesValues && k == v ? 1.0f : 0.0f; "
          "// N: from 0; M: from I");
      w.line("else if (segments > 1) s[i].v[e] = ws.start(wsRow)[k * kValueDim "
             "+ v]; // chained (phase 2)");
      w.line(
          "else s[i].v[e] = initial.data ? *stateAt(initial, seq, head, k, v) "
          ": 0.0f;");
    } else if (plan.paddedKeys()) {
      w.line("s[i].v[e] = initial.data && k < kKeyRows ? *stateAt(initial, "
             "seq, head, k, v) : 0.0f;");
    } else {
      w.line("s[i].v[e] = initial.data ? *stateAt(initial, seq, head, k, v) : "
             "0.0f;");
    }
  });
  if (plan.splits() && !plan.hasProbe() && plan.hasDecay())
    w.line(plan.perKey() ? "float segmentLogDecay = 0.0f; // phase 1: Σ b_C "
                           "of key threadIdx.x over the segment"
                         : "float segmentLogDecay = 0.0f; // phase 1: Σ b_C "
                           "over the segment");
  if (plan.rider)
    emitVectorStateIn("// The vector state " + plan.rider->name +
                          " [K] in fp32 shared memory (one copy for every "
                          "value tile).",
                      plan.rider->index, "sm.z");
  if (plan.prescan)
    emitVectorStateIn("// The scanned vector state " + plan.prescan->name +
                          " [K] in fp32 shared memory.",
                      plan.prescan->index, "sm.zScan");
  w.blank();
}

void KernelEmitter::emitLoads(StringRef chunkStart) {
  int64_t bytes = 0;
  for (const KernelPlan::TmaInput &in : plan.tmaInputs)
    bytes += plan.tokensPerChunk() * in.size * 2;
  const char *sm = rowsSpace();
  w.line(
      llvm::formatv("mbarrier::arrive_expect_tx({0}.loaded, {1});", sm, bytes));
  for (auto [i, in] : llvm::enumerate(plan.tmaInputs))
    w.line(llvm::formatv("tma::load_tile({4}.raw_{0}, tensorMap(p, {1}), "
                         "{4}.loaded, int({2}), 0, {3}, int(batch));",
                         in.name, i, chunkStart,
                         isValueSide(in.input) ? "head" : "keyHead", sm));
}

/// Thread r < kTokens loads the scalar inputs of token r of the chunk at
/// `chunkStart` into `dest` (a format of the input's name: next_{0} for the
/// registers of the next chunk); rows past the sequence's end get 0.
void KernelEmitter::emitScalarPrefetch(StringRef chunkStart, const char *dest) {
  w.line(("const int64_t t = " + chunkStart + " + " + tid() + ";").str());
  for (const KernelPlan::TokenScalar &in : plan.tokenScalars)
    w.line(llvm::formatv(dest, in.name).str() +
           llvm::formatv(" = t < eos ? toFloat(*{0}) : 0.0f;",
                         prologue.globalRow(in.input, "t"))
               .str());
}

std::string KernelEmitter::nextScalarsDeclaration() const {
  std::string names;
  for (const KernelPlan::TokenScalar &in : plan.tokenScalars)
    names += (names.empty() ? "" : ", ") + ("next_" + in.name) + " = 0.0f";
  return "float " + names;
}

void KernelEmitter::emitFirstLoads() {
  if (plan.solveKernel()) {
    w.line("// The first chunk's T, written by the solve kernel.");
    emitLoadT("bos", "bos < eos");
  }
  if (!plan.tokenScalars.empty()) {
    w.line("// The per-token scalar inputs of the next chunk, one token per "
           "thread,");
    w.line("// loaded into registers a chunk ahead (their latency hides "
           "behind the maths).");
    w.line(nextScalarsDeclaration() + ";");
    w.open("if (threadIdx.x < kTokens) {");
    emitScalarPrefetch("bos");
    w.close();
  }
  if (plan.tmaInputs.empty())
    return;
  w.line("// TMA: the raw rows (d, t, h, b) of each bf16 vector input, one "
         "chunk ahead:");
  w.line("// the first chunk's here, the next one's as soon as the prologue "
         "has read these.");
  w.line("// Rows past T arrive as zeros; rows of the next sequence (varlen) "
         "are masked.");
  w.open("if (threadIdx.x == 0 && bos < eos) {");
  emitLoads("bos");
  w.close();
  w.blank();
}

void KernelEmitter::emitChunkInputs() {
  if (!plan.tokenScalars.empty()) {
    w.line("// 0. This chunk's scalar inputs to shared memory; the next "
           "chunk's into registers.");
    w.open(llvm::formatv("if ({0} < kTokens) {{", tid()).str());
    for (const KernelPlan::TokenScalar &in : plan.tokenScalars)
      w.line(llvm::formatv("sm.tok_{0}[{1}] = next_{0};", in.name, tid()));
    emitScalarPrefetch("c0 + kTokens");
    w.close();
  }
  if (!plan.tmaInputs.empty() && plan.compactStages()) {
    w.line("mbarrier::wait(once.loaded, uint32_t(chunk) & 1u); // this "
           "chunk's rows landed");
  } else if (!plan.tmaInputs.empty() && plan.pipelined) {
    w.line("mbarrier::wait(sm.loaded, parity); // this chunk's rows landed");
  } else if (!plan.tmaInputs.empty()) {
    w.line("mbarrier::wait(sm.loaded, loadedParity); // this chunk's rows "
           "landed");
    w.line("loadedParity ^= 1;");
  }
  if (!plan.tokenScalars.empty())
    syncThreads("the scalars are in shared memory");
  w.blank();
}

void KernelEmitter::emitNextLoads() {
  if (plan.tmaInputs.empty())
    return;
  if (plan.compactStages()) {
    w.line("// The prologue is done with the raw rows: load the next chunk's.");
    w.open("if (tid == kProducerThreads - 32 && c0 + kTokens < eos) {");
  } else if (plan.pipelined) {
    // Into the next stage, whose raw rows this warpgroup read kStages - 1
    // chunks ago: a whole chunk ahead of its prologue.
    w.line("// The next chunk's rows, first: its stage's raw rows were read by "
           "this warpgroup");
    w.line("// kStages - 1 chunks ago (the owner reads none).");
    w.open("if (tid == kProducerThreads - 32 && c0 + kTokens < eos) {");
    w.line("Shared &sm = stages[(chunk + 1) % kStages];");
  } else {
    w.line("// The prologue is done with the raw rows: load the next chunk's.");
    w.open("if (threadIdx.x == kThreads - 32 && c0 + kTokens < eos) {");
  }
  emitLoads("c0 + kTokens");
  w.close();
  w.blank();
}

/// The per-key decay inside a chunk does not factor out of the products
/// (P_rs = Σ_k q_rk a_sk e^{b_rk − b_sk}); anchored at m = b_C / 2 per key it
/// does: Q̃ = Q ⊙ e^{b − m}, Ã = A ⊙ e^{m − b} give P = Q̃ Ãᵀ ⊙ M, and every
/// factor lies in [e^{b_C / 2}, e^{−b_C / 2}] (docs/gpu-next.md). So b and m
/// come first, from the log-decay's own prologue, and the main prologue
/// writes the anchored rows straight from fp32 (one rounding to bf16).
void KernelEmitter::emitGatePass() {
  if (!gates)
    return;
  w.line(
      "// 1a. The per-key log-decays g of every row (kRowLanes lanes a token), "
      "then b = cumsum(g)");
  w.line("//     down each key's column and each key's anchor m = b_C / 2 "
         "(NaN past");
  w.line("//     kAnchorLimit: loud, never wrong). Rows past the end add 0.");
  emitTokenLoop(*gates, [&](StringRef row, const SubStep &step) {
    std::string g =
        step.logDecay ? gates->ref(step.logDecay, /*element=*/true) : "0.0f";
    w.line(llvm::formatv("LARC_FOR_LANE(j, kKeyPerLane) "
                         "sm.b[{0}][rowColumn<kKeyPerLane>(j)] = valid ? {1} : "
                         "0.0f; // g: {2}",
                         row, g,
                         step.logDecay ? expr(step.logDecay) : "(none)"));
  });
  syncThreads();
  w.line(llvm::formatv("if ({0} < kKeyDim) key_cumsum(sm.b, sm.mid, int({0}), "
                       "kAnchorLimit);",
                       tid()));
  syncThreads();
  w.blank();
}

/// A vector state that reads only inputs, read whole by S's per-token values
/// (the preconditioner A of precond_kda): its rows' increments Σ a x and
/// log-decays first (kRowLanes lanes a token), then thread k < K walks key k
/// down the chunk, z_r = e^{g_r} z_{r-1} + u_r, in place: row r ends up holding
/// z as the prologue reads it. Rows past the end add 0 and keep z.
void KernelEmitter::emitScanPass() {
  if (!plan.prescan)
    return;
  const SubStep &step = plan.prescan->state->steps.front();
  const std::string name = plan.prescan->name;
  w.line("// 1'. The vector state " + name + ", scanned over the chunk's rows "
         "(it reads only inputs):");
  w.line("//     each row's increment Σ_m a_m x_m and log-decay g, then z_r = "
         "e^{g_r} z_{r-1} + u_r");
  w.line("//     down each key; row r keeps " +
         std::string(plan.prescan->prev ? "z_{r-1} (read `prev`)" : "z_r") +
         " for the prologue.");
  emitTokenLoop(*scan, [&](StringRef row, const SubStep &) {
    std::string sum, terms; // the C++ of Σ a x, and its formula
    for (const RankOneTerm &term : step.terms) {
      const char *plus = sum.empty() ? "" : " + ";
      sum += plus + scan->ref(term.direction, true) + " * " +
             scan->ref(term.data, true);
      terms +=
          plus + ("(" + expr(term.direction) + ") (" + expr(term.data) + ")");
    }
    w.line(llvm::formatv("LARC_FOR_LANE(j, kKeyPerLane) "
                         "sm.scan[{0}][rowColumn<kKeyPerLane>(j)] = valid ? "
                         "{1} : 0.0f; // {2}",
                         row, sum, terms));
    if (step.logDecay)
      w.line(llvm::formatv("if (rowLane == 0) sm.zDecay[{0}] = valid ? {1} : "
                           "0.0f; // g: {2}",
                           row, scan->ref(step.logDecay), expr(step.logDecay)));
  });
  w.line("__syncthreads();");
  w.open("if (threadIdx.x < kKeyDim) {");
  w.line("const int k = threadIdx.x;");
  w.line("float z = sm.zScan[k];");
  w.open("for (int r = 0; r < kChunk; ++r) {");
  w.line(step.logDecay
             ? "const float next = exp_fast(sm.zDecay[r]) * z + sm.scan[r][k];"
             : "const float next = z + sm.scan[r][k];");
  w.line(plan.prescan->prev ? "sm.scan[r][k] = z; // before row r"
                            : "sm.scan[r][k] = next; // after row r");
  w.line("z = next;");
  w.close();
  w.line("sm.zScan[k] = z;");
  w.close();
  w.line("__syncthreads();");
  w.blank();
}

void KernelEmitter::emitTokenLoop(
    const PrologueEmitter &values,
    llvm::function_ref<void(StringRef row, const SubStep &step)> storeRows) {
  w.line(llvm::formatv("#pragma unroll {0}", plan.tokenPasses()));
  w.open(llvm::formatv("for (int i = 0; i < kTokens / ({0} * kRowsPerWarp); "
                       "++i) {{",
                       warpCount())
             .str());
  w.line(llvm::formatv("const int r = kRowsPerWarp * ({0} + {1} * i) + lane / "
                       "kRowLanes; // the chunk's token r",
                       warpIndex(), warpCount()));
  w.line("[[maybe_unused]] const int rowLane = lane % kRowLanes; // this "
         "lane's part of row r");
  w.line("const bool valid = r < count;");
  // The token index; unused when every input of the prologue came by TMA.
  w.line("[[maybe_unused]] const int64_t t = c0 + r;");
  values.emitPerToken(w);
  if (plan.subSteps() == 1) {
    storeRows("r", *plan.step);
  } else {
    for (auto [j, step] : llvm::enumerate(plan.steps)) {
      w.open(llvm::formatv("{{ // sub-step {0}: row kSubSteps r + {0}", j)
                 .str());
      w.line(llvm::formatv("const int row = kSubSteps * r + {0};", j));
      storeRows("row", *step);
      w.close();
    }
  }
  w.close();
}

void KernelEmitter::emitPrologue() {
  w.line("// 1. Prologue (design.md §2.1): each token's directions a_m, "
         "data x_m,");
  w.line("//    log-decay g and readout probe q from the rule's per-token ops; "
         "kRowLanes");
  w.line("//    lanes per token, kRowsPerWarp tokens a warp at once (no "
         "branches, so their");
  w.line("//    latencies overlap). Rows past the sequence's end store zeros "
         "(g too).");
  emitTokenLoop(prologue, [&](StringRef row, const SubStep &step) {
    // The operand rows, anchored per key first (emitGatePass).
    // The solve kernel's rows are A and Y only (and the log-decays).
    std::string qRow = plan.solveOnly ? "" : prologue.ref(plan.readoutProbe());
    std::string yRow;
    SmallVector<std::string> aRows;
    for (const RankOneTerm &term : step.terms) {
      aRows.push_back(prologue.ref(term.direction));
      if (term.probe)
        yRow = prologue.ref(term.probe);
    }
    if (plan.perKey()) {
      w.line(std::string(plan.apply || plan.solveOnly
                             ? "// Anchored per key: Ã = A ⊙ e^{m − b}"
                         : plan.prev
                             ? "// Anchored per key: Q̃ = Q ⊙ e^{b' − m} "
                               "(prev), Ã = A ⊙ e^{m − b}"
                             : "// Anchored per key: Q̃ = Q ⊙ e^{b − m}, "
                               "Ã = A ⊙ e^{m − b}") +
             std::string(yRow.empty() ? "" : ", Ỹ = Y ⊙ e^{b' − m}") + ".");
      w.line("static_assert(LaneRow<kKeyPerLane, kRowLanes>::kContiguous, "
             "\"a lane's keys are consecutive\");");
      w.line("const int key0 = rowColumn<kKeyPerLane>(0); // this lane's "
             "first key");
      auto anchor = [&](std::string &name, const std::string &bRow,
                        StringRef sign) {
        std::string anchored = name + "_anchored";
        w.line("float " + anchored + "[kKeyPerLane];");
        w.line(llvm::formatv("anchor_keys({0}, {1}, {2}, &sm.mid[key0], {3});",
                             anchored, name, bRow, sign));
        name = anchored;
      };
      std::string bRow = llvm::formatv("&sm.b[{0}][key0]", row).str();
      std::string bPrev =
          llvm::formatv("{0} ? &sm.b[{0} - 1][key0] : nullptr", row).str();
      if (!plan.apply && !plan.solveOnly) // an apply's decay goes on its
                                          // output keys
        anchor(qRow, plan.prev ? bPrev : bRow, "1.0f"); // prev: e^{b' − m}
      for (std::string &aRow : aRows)
        anchor(aRow, bRow, "-1.0f");
      if (!yRow.empty())
        anchor(yRow, bPrev, "1.0f");
    }
    w.line("// The chunk's operand rows.");
    const std::string keyLimit = plan.paddedKeys() ? ", 0, kKeyRows" : "";
    if (plan.apply && !plan.solveOnly)
      w.line(llvm::formatv("LARC_FOR_LANE(vt, kValueTiles) storeRow(sm.q[vt], "
                           "{0}, {1}, valid, kValueTile * vt); // p: {2}",
                           row, qRow, expr(plan.readoutProbe())));
    else if (!plan.apply && !plan.solveOnly)
      w.line(llvm::formatv("storeRow(sm.q, {0}, {1}, valid{3}); // q: {2}", row,
                           qRow, expr(plan.readoutProbe()), keyLimit));
    for (auto [m, term] : llvm::enumerate(step.terms)) {
      w.line(llvm::formatv("storeRow({0}, {1}, {2}, valid{4}); // a: {3}",
                           termTile("a", m), row, aRows[m],
                           expr(term.direction), keyLimit));
      if (term.data && !plan.solveOnly) // else only C, which the solve
                                        // stores, fills X_m
        w.line(llvm::formatv(
          "LARC_FOR_LANE(vt, kValueTiles) storeRow(sm.x[vt][{0}], {1}, {2}, "
          "{4}, kValueTile * vt); // x: {3}",
          m, row, prologue.ref(term.data), expr(term.data),
          plan.splits() && plan.hasProbe() ? "valid && carriesValues"
                                           : "valid"));
      if (term.probe)
        w.line(llvm::formatv("storeRow(sm.y, {0}, {1}, valid); // y: {2}", row,
                             yRow, expr(term.probe)));
    }
    if (plan.rider && !plan.solveOnly) {
      const SubStep &zStep = plan.rider->state->steps.front();
      for (auto [m, term] : llvm::enumerate(zStep.terms))
        w.line(llvm::formatv("if (rowLane == 0) sm.zx[{0}][{1}] = valid ? {2} "
                             ": 0.0f; // x_z: {3}",
                             m, row, prologue.ref(term.data), expr(term.data)));
      w.line(plan.perKey() ? "// q̃_r · z̃_0, z̃_0 = e^m ⊙ z_0 (z's readout "
                             "from the chunk's start)"
                           : "// q_r · z_0 (z's readout from the chunk's "
                             "start)");
      w.line("float zq = 0.0f;");
      const std::string keyColumn = "rowColumn<kKeyPerLane>(j)";
      w.line(llvm::formatv(
          "LARC_FOR_LANE(j, kKeyPerLane) {3}zq += {0}[j] * sm.z[{1}]{2};", qRow,
          keyColumn,
          plan.perKey() ? " * exp_fast(sm.mid[" + keyColumn + "])" : "",
          plan.paddedKeys() ? "if (" + keyColumn + " < kKeyRows) " : ""));
      w.line("zq = warp_allreduce<kRowLanes>(zq, SumOp{});");
      w.line(llvm::formatv("if (rowLane == 0) sm.zq[{0}] = valid ? zq : 0.0f;",
                           row));
    }
    if (plan.bonus && !plan.solveOnly)
      w.line(llvm::formatv(
          "if (rowLane == 0) sm.bonus[{0}] = valid ? {1} : 0.0f; // bonus: {2}",
          row, prologue.ref(plan.bonus->scalar), expr(plan.bonus->scalar)));
    if (plan.hasDecay() && !plan.perKey())
      w.line(llvm::formatv(
          "if (rowLane == 0) sm.b[{0}] = valid ? {1} : 0.0f; // g: {2}", row,
          step.logDecay ? prologue.ref(step.logDecay) : "0.0f",
          step.logDecay ? expr(step.logDecay) : "(none)"));
  });
  if (!plan.solveOnly && !inRole()) // the owner's, when pipelined
    emitStateCopy();
  w.line("tma::fence_shared_to_async(); // generic stores -> wgmma's async "
         "proxy");
  syncThreads();
  w.blank();
}

void KernelEmitter::emitStateCopy() {
  if (plan.perKey()) {
    w.line("// S̃_0 = diag(e^m) S_0 in bf16, the shared-memory operand of "
           "Q̃ S̃_0 (and of W S̃_0).");
    openTileWork();
    w.open("LARC_FOR_LANE(i, kStateBlocks) {");
    w.line("Accum<kValueTile> scaled = s[i];");
    w.line("scale_rows_exp(scaled, sm.mid + 64 * i);");
    w.line("store(scaled, " + stateTile() + ", 64 * i, 0);");
    w.close();
    closeTileWork();
    return;
  }
  w.line("// S_0 in bf16 for the shared-memory operand of Q S_0.");
  w.line(tileWorkPrefix() + "LARC_FOR_LANE(i, kStateBlocks) store(s[i], " +
         stateTile() + ", 64 * i, 0);");
}

void KernelEmitter::emitCumsum() {
  if (!plan.hasDecay())
    return;
  if (plan.perKey()) // emitGatePass
    return;
  w.line(
      "// 2. b = cumsum(g) over the chunk (inclusive): b_r = Σ_{i ≤ r} g_i.");
  if (plan.needsExclusiveCumsum()) {
    w.line("//    b'_r = b_{r-1} = b_r − g_r (exclusive; b'_0 = 0).");
    w.open(llvm::formatv("if ({0} == 0) {{", warpIndex()).str());
    w.line("warp_cumsum<kChunk>(sm.b, sm.b);");
    w.line("__syncwarp();");
    w.line("for (int r = lane; r < kChunk; r += 32) sm.bx[r] = r ? "
           "sm.b[r - 1] : 0.0f;");
    w.close();
  } else {
    w.line(llvm::formatv("if ({0} == 0) warp_cumsum<kChunk>(sm.b, sm.b);",
                         warpIndex()));
  }
  syncThreads();
  w.blank();
}

void KernelEmitter::emitLoadT(StringRef chunkStart, StringRef condition) {
  w.open("if (" + std::string(tid()) + " == 0" +
         (condition.empty() ? "" : " && " + condition.str()) + ") {");
  // The slot is computed here rather than held: the loop of two value tiles
  // has no register to spare for it.
  w.line(llvm::formatv("mbarrier::arrive_expect_tx({0}.tLoaded, "
                       "sizeof({0}.t));",
                       rowsSpace()));
  w.line(llvm::formatv("tma::load_bytes(&{0}.t, Tiles::tile(p, "
                       "Tiles::slot(p, seq, {1}), head), sizeof({0}.t), "
                       "{0}.tLoaded);",
                       rowsSpace(), chunkStart));
  w.close();
}

/// 2a and 2b: L from the chunk's Y and A (and the plain terms' L_n), then
/// T = (I + L)^{-1} in sm.t, for the chunk loop or the solve kernel.
void KernelEmitter::emitLowerAndInverse() {
  // Per-key: Ỹ and Ã carry the decays already (emitKeyDecay).
  bool decay = plan.hasDecay() && !plan.perKey();
  w.line(decay ? "// 2a. L = (Y Aᵀ) ⊙ e^{b'_r − b_s} for s < r, else 0 "
                 "(warpgroup 0: L and T"
         : plan.perKey() ? "// 2a. L = Ỹ Ãᵀ for s < r, else 0 (warpgroup 0: "
                           "L and T serve every"
                         : "// 2a. L = Y Aᵀ for s < r, else 0 (warpgroup 0: "
                           "L and T serve every");
  w.line(decay ? "//     serve every value tile)" : "//     value tile)");
  const std::string ap = termTile("a", plan.probeTerm);
  auto mask = [&](const std::string &acc) {
    return decay ? "applyStrictDecayMask(" + acc +
                       ", sm.bx, sm.b); // ⊙ e^{b'_r − b_s}, s < r"
                 : "applyStrictMask(" + acc + "); // s < r";
  };
  // The solve kernel's L shares the space of A and Y: every warp is done with
  // them before L is stored.
  if (plan.solveOnly)
    w.line("Accum<kChunk> l;");
  w.open("if (wg == 0) {");
  if (!plan.solveOnly)
    w.line("Accum<kChunk> l;");
  w.line("wgmma::fence();");
  w.line("wgmma::mma_ABt(l, sm.y, " + ap +
         (plan.perKey() ? "); // Ỹ Ãᵀ (SS)" : "); // Y Aᵀ (SS)"));
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("wgmma::fence_operand(l);");
  w.line(mask("l"));
  if (plan.solveOnly) {
    w.close();
    w.line("__syncthreads(); // A and Y are read: L takes their space");
    w.open("if (wg == 0) {");
  }
  w.line("storeMatrix(l, sm.l);");
  // The plain terms' rows are known data: their part of S_{r-1}ᵀ y_r, the
  // same product with A_n, moves to the right-hand side.
  for (auto [j, n] : llvm::enumerate(plan.plainTermIndices())) {
    w.open("{");
    w.line(llvm::formatv("Accum<kChunk> ln; // L_{0} = Y A_{0}ᵀ, masked as L "
                         "(plain term {0})",
                         n));
    w.line("wgmma::fence();");
    w.line("wgmma::mma_ABt(ln, sm.y, " + termTile("a", n) + "); // (SS)");
    w.line("wgmma::commit();");
    w.line("wgmma::wait<0>();");
    w.line("wgmma::fence_operand(ln);");
    w.line(mask("ln"));
    w.line(llvm::formatv("store(ln, sm.ln[{0}]);", j));
    w.close();
  }
  w.close();
  w.line("__syncthreads(); // L is whole");
  w.blank();
  w.line("// 2b. T = (I + L)^{-1} in fp32 by 16×16 blocks: T_ii by forward "
         "substitution, then T_BA = −T_B L_BA T_A");
  w.line("//     (every warp works on the products).");
  w.line("invertUnitLower(sm.l, sm.tInv, sm.t);");
}

void KernelEmitter::emitSolve() {
  if (!plan.hasProbe())
    return;
  // Why bf16 operands are acceptable here: flash-linear-attention rounds the
  // same quantities to bf16 (chunk_gated_delta_rule: solve_tril's A, w, u,
  // v_new) and verifies against fp32 recurrences at that accuracy.
  w.comment(
      R"(The delta-rule family (design.md §2, DeriveChunkForm.cpp): row r writes
the data c_r = x_r − S_{r-1}ᵀ y_r, and S_{r-1} holds the chunk's earlier
rows, so C solves (I + L) C = X − (Y ⊙ e^{b'}) S_0. The products below
take bf16 operands: T, W = T (Y ⊙ e^{b'}), U = T X and C are rounded to
bf16 exactly where flash-linear-attention rounds them (its solve_tril
output A, its w and u, and v_new = u − w h); T itself is computed in
fp32, and every product accumulates in fp32.)");
  bool decay = plan.hasDecay() && !plan.perKey();
  if (plan.solveKernel()) {
    w.line("// 2a. T = (I + L)^{-1} of this chunk is the solve kernel's "
           "(its L and block solve are");
    w.line("//     below the chunk loop), loaded with the chunk's rows.");
    if (role == Role::Owner && plan.compactStages()) {
      // Y ⊙ e^{b'} is the producer's (emitProducerChunk).
      w.line("mbarrier::wait(once.tLoaded, uint32_t(chunk) & 1u); // this "
             "chunk's T landed");
    } else if (role == Role::Owner) {
      // Y ⊙ e^{b'} is the producer's (emitProducerChunk).
      w.line("mbarrier::wait(sm.tLoaded, parity); // this chunk's T landed");
    } else {
      if (decay) {
        w.line("scaleRowsExp<kThreads>(sm.y, sm.bx, threadIdx.x); // Y ⊙ "
               "e^{b'}");
        w.line("tma::fence_shared_to_async(); // generic stores -> wgmma's "
               "async proxy");
      }
      w.line("mbarrier::wait(sm.tLoaded, tParity); // this chunk's T landed");
      w.line("tParity ^= 1;");
      if (decay)
        w.line("__syncthreads(); // Y ⊙ e^{b'} is whole");
    }
    w.blank();
  } else {
    emitLowerAndInverse();
    if (decay) {
      w.line("__syncthreads(); // T is whole; every warp is done reading Y");
      w.line("scaleRowsExp<kThreads>(sm.y, sm.bx, threadIdx.x); // Y ⊙ "
             "e^{b'} (the solve leaves Y alone)");
    }
    w.line("tma::fence_shared_to_async(); // generic stores -> wgmma's async "
           "proxy");
    w.line("__syncthreads();");
    w.blank();
  }
  if (plan.plainTerms()) {
    // As flash-linear-attention's DPLR (wu_fwd): T L_n once per chunk, in
    // bf16, so that each value tile's U is one more product.
    w.line("// 2b'. −T L_n of each plain term (warpgroup 0; every value tile "
           "reads it)");
    w.open("if (wg == 0) {");
    w.line("Accum<kChunk> tl[kTerms - 1];");
    w.line("wgmma::fence();");
    w.line("LARC_FOR_LANE(j, kTerms - 1) wgmma::mma_AB(tl[j], sm.t, "
           "sm.ln[j]); // T L_n (SS)");
    w.line("wgmma::commit();");
    w.line("wgmma::wait<0>();");
    w.open("LARC_FOR_LANE(j, kTerms - 1) {");
    w.line("wgmma::fence_operand(tl[j]);");
    w.line("LARC_FOR_LANE(e, kChunk / 2) tl[j].v[e] = -tl[j].v[e];");
    w.line("store(tl[j], sm.ln[j]); // L_n is read: −T L_n replaces it");
    w.close();
    w.close();
    w.line("tma::fence_shared_to_async();");
    w.line("__syncthreads();");
    w.blank();
  }
  std::string u = plan.probeHasData() ? "T X" : "";
  for (unsigned n : plan.plainTermIndices())
    u += llvm::formatv("{0}(T L_{1}) X_{1}", u.empty() ? "−" : " − ", n).str();
  w.line(decay ? "// 2c. W = T (Y ⊙ e^{b'}),  U = " + u
         : plan.perKey()
             ? "// 2c. W = T Ỹ,  U = " + u + "  (then C = U − W S̃_0)"
             : "// 2c. W = T Y,  U = " + u);
  w.line("Accum<kValueTile> u;");
  openTileWork();
  w.line("Accum<kKeyDim> w;");
  w.line("wgmma::fence();");
  w.line(
      llvm::formatv("wgmma::mma_AB(w, {0}.t, sm.y);    // (SS)", rowsSpace()));
  bool accumulate = plan.probeHasData();
  if (accumulate)
    w.line(llvm::formatv("wgmma::mma_AB(u, {0}.t, {1}); // (SS)", rowsSpace(),
                         xTile(plan.probeTerm)));
  for (auto [j, n] : llvm::enumerate(plan.plainTermIndices())) {
    w.line(llvm::formatv("wgmma::mma_AB(u, sm.ln[{0}], {1}{2}); // −(T L_{3}) "
                         "X_{3} (SS)",
                         j, xTile(n), accumulate ? ", true" : "", n));
    accumulate = true;
  }
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("wgmma::fence_operand(w);");
  w.line("wgmma::fence_operand(u);");
  w.blank();
  w.line(plan.perKey() ? "// 2d. C = U − W S̃_0: −W as the bf16 A operand, S̃_0 "
                         "(bf16) from shared memory."
                       : "// 2d. C = U − W S_0: −W as the bf16 A operand, S_0 "
                         "(bf16) from shared memory.");
  w.line("LARC_FOR_LANE(e, kKeyDim / 2) w.v[e] = -w.v[e];");
  w.line("AFrag<bf16, kKeyDim> wNeg = to_afrag<bf16>(w);");
  w.line("wgmma::fence_operand(wNeg);");
  w.line("wgmma::fence();");
  w.line("wgmma::mma_AB(u, wNeg, " + stateTile() +
         ", true); // U − W S_0 (RS)");
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("wgmma::fence_operand(u);");
  closeTileWork();
  if (plan.compactStages()) {
    syncOwners("both owners are done reading T, Y and X");
    w.line("// T is read: load the next chunk's.");
    emitLoadT("c0 + kTokens", "wg == 0 && c0 + kTokens < eos");
  } else {
    syncThreads("every warp is done reading X");
  }
  if (plan.solveKernel() && role != Role::Owner) { // else the producer's
    w.line("// T is read: load the next chunk's.");
    emitLoadT("c0 + kTokens", "c0 + kTokens < eos");
  }
  w.line(tileWorkPrefix() + "store(u, " + xTile(plan.probeTerm) +
         "); // C replaces X: O and S_C read it below");
  w.line("tma::fence_shared_to_async();");
  syncThreads();
  w.blank();
}

/// With plain terms beside the probe term, the sums over m of steps 3 and 5
/// read the probe term's C where its X would be.
void KernelEmitter::emitProbeTermNote() {
  if (plan.plainTerms())
    w.line(llvm::formatv("//    (term {0}'s C from the solve in {1}, where "
                         "its X_{0} would be)",
                         plan.probeTerm, xTile(plan.probeTerm))
               .str());
}

/// o_r = S_r p_r (an apply): contracts S's value dim, which the warpgroups
/// split, so every warpgroup sums the products over all value tiles (C and
/// S̃_0 of each are in shared memory) and writes the output's key blocks
/// i ≡ wg (mod kValueTiles):
///   O = Σ_vt P_vt S_0,vtᵀ + Σ_m (Σ_vt P_vt X_m,vtᵀ ⊙ M) A_m
/// with the decays on the keys of O (per key: e^{b − m} on S̃_0 and Ã's
/// anchored form, applied last; scalar: diag(e^b) and Γ).
void KernelEmitter::emitApplyOutput() {
  bool decay = plan.hasDecay() && !plan.perKey();
  w.line(plan.perKey()
             ? "// 3. O = e^{b − m} ⊙ [Σ_vt P_vt S̃_0,vtᵀ + Σ_m (Σ_vt P_vt "
               "X_m,vtᵀ ⊙ M) Ã_m]   (o = S p, per key)"
         : decay ? "// 3. O = diag(e^b) Σ_vt P_vt S_0,vtᵀ + Σ_m (Σ_vt P_vt "
                   "X_m,vtᵀ ⊙ Γ) A_m   (o = S p)"
                 : "// 3. O = Σ_vt P_vt S_0,vtᵀ + Σ_m (Σ_vt P_vt X_m,vtᵀ ⊙ M) "
                   "A_m   (o = S p)");
  w.line("//    o = S p contracts the value dim, which the warpgroups split: "
         "each sums over every");
  w.line("//    value tile (all in shared memory) and writes the key blocks "
         "i ≡ wg (mod kValueTiles).");
  emitProbeTermNote();
  w.line("Accum<kChunk> scores[kTerms];");
  w.line("wgmma::fence();");
  w.line("LARC_FOR_LANE(vt, kValueTiles) LARC_FOR_LANE(m, kTerms) "
         "wgmma::mma_ABt(scores[m], sm.q[vt], sm.x[vt][m], vt > 0); // P "
         "X_mᵀ (SS)");
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("AFrag<bf16, kChunk> probs[kTerms];");
  w.open("LARC_FOR_LANE(m, kTerms) {");
  w.line("wgmma::fence_operand(scores[m]);");
  w.line(decay ? "apply_decay_mask(scores[m], sm.b, sm.b); // ⊙ Γ, Γ_rs = "
                 "e^{b_r − b_s} for r ≥ s, else 0"
               : "apply_causal_mask(scores[m]); // ⊙ M (r ≥ s)");
  w.line("probs[m] = to_afrag<bf16>(scores[m]);");
  w.line("wgmma::fence_operand(probs[m]);");
  w.close();
  w.open("for (int i = wg; i < kStateBlocks; i += kValueTiles) { // keys "
         "[64 i, 64 i + 64)");
  w.line("Accum<kValueTile> o;");
  w.line("wgmma::fence();");
  w.line("LARC_FOR_LANE(vt, kValueTiles) wgmma::mma_ABt(o, sm.q[vt], "
         "sm.state[vt], vt > 0, 0, 64 * i); // P S_0ᵀ (SS)");
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("wgmma::fence_operand(o);");
  if (decay)
    w.line("scale_rows_exp(o, sm.b); // diag(e^b) P S_0ᵀ");
  w.line("wgmma::fence();");
  w.line("LARC_FOR_LANE(m, kTerms) wgmma::mma_AB(o, probs[m], sm.a[m], true, "
         "64 * i); // += P_m A_m (RS)");
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("wgmma::fence_operand(o);");
  if (plan.perKey())
    w.line("scale_keys_exp(o, sm.b, sm.mid, 64 * i); // ⊙ e^{b − m} on each "
           "key's column");
  emitStoreOutput(plan.dims.key, "64 * i");
  w.close();
  w.blank();
}

void KernelEmitter::emitOutput() {
  if (plan.apply)
    return emitApplyOutput();
  bool decay = plan.hasDecay() && !plan.perKey();
  const bool oneProbeTerm = plan.hasProbe() && !plan.plainTerms();
  if (plan.perKey())
    w.line(oneProbeTerm ? "// 3. O = Q̃ S̃_0 + (Q̃ Ãᵀ ⊙ M) C   (per-key, "
                             "anchored; C in sm.x[wg][0])"
                           : "// 3. O = Q̃ S̃_0 + Σ_m (Q̃ Ã_mᵀ ⊙ M) X_m   "
                             "(per-key, anchored)");
  else if (oneProbeTerm)
    w.line(decay ? "// 3. O = (Q ⊙ e^b) S_0 + (Q Aᵀ ⊙ Γ) C   (design.md §2, "
                   "C in sm.x[wg][0])"
                 : "// 3. O = Q S_0 + (Q Aᵀ ⊙ M) C   (design.md §2, C in "
                   "sm.x[wg][0])");
  else
    w.line(decay ? "// 3. O = (Q ⊙ e^b) S_0 + Σ_m (Q A_mᵀ ⊙ Γ) X_m   "
                   "(design.md §2, scalar gate)"
                 : "// 3. O = Q S_0 + Σ_m (Q A_mᵀ ⊙ M) X_m   (design.md §2, "
                   "additive)");
  emitProbeTermNote();
  if (plan.prev)
    w.line(decay ? "//    prev: o_t reads S_{t-1}, so e^{b'} for e^b and the "
                   "strict mask (s < r)"
                 : "//    prev: o_t reads S_{t-1}, so the strict mask (s < r)");
  if (plan.bonus)
    w.line(llvm::formatv("//    bonus: P_{0}'s diagonal gets {1}, so o_r += "
                         "bonus_r x_r",
                         plan.bonus->term, expr(plan.bonus->scalar))
               .str());
  // Q S_0 and the scores in one batch, unless S [K, 64] takes so many
  // registers (K > 128) that o and the scores must not be live together:
  // then the scores first, and Q S_0 once they are bf16 fragments.
  const bool scoresFirst = plan.wideKeys();
  auto queryTimesState = [&] {
    w.line("wgmma::mma_AB(o, sm.q, " + stateTile() + "); // Q S_0 (SS)");
  };
  auto decayQueryTimesState = [&] {
    w.line("wgmma::fence_operand(o);");
    if (decay)
      w.line(plan.prev ? "scale_rows_exp(o, sm.bx); // (Q ⊙ e^{b'}) S_0"
                       : "scale_rows_exp(o, sm.b); // (Q ⊙ e^b) S_0 = "
                         "diag(e^b) Q S_0");
  };
  if (scoresFirst) {
    w.line("Accum<kChunk> scores[kTerms];");
    w.line("wgmma::fence();");
  } else {
    w.line("Accum<kValueTile> o;");
    w.line("Accum<kChunk> scores[kTerms];");
    w.line("wgmma::fence();");
    queryTimesState();
  }
  if (plan.gram)
    w.line(llvm::formatv("wgmma::mma_ABt(scores[0], {0}, {1}); // G = q kᵀ "
                         "of the feature map's inputs (SS)",
                         plan.gram->lhs, plan.gram->rhs));
  else
    w.line("LARC_FOR_LANE(m, kTerms) wgmma::mma_ABt(scores[m], sm.q, "
           "sm.a[m]); // Q A_mᵀ (SS)");
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  if (!scoresFirst)
    decayQueryTimesState();
  if (plan.gram) {
    w.line("wgmma::fence_operand(scores[0]);");
    w.line("// Q Aᵀ = φ(q)·φ(k) from G, element by element: " +
           expr(plan.readoutProbe()) + " · " +
           expr(plan.step->terms[0].direction));
    w.open("LARC_FOR_LANE(e, kChunk / 2) {");
    w.line("const float g = scores[0].v[e];");
    w.line("scores[0].v[e] = " + plan.gram->expr + ";");
    w.close();
  }
  w.line("AFrag<bf16, kChunk> probs[kTerms];");
  if (plan.rider)
    w.line("float2 zDen = make_float2(0.0f, 0.0f); // zᵀq of this thread's "
           "two rows");
  w.open("LARC_FOR_LANE(m, kTerms) {");
  w.line("wgmma::fence_operand(scores[m]);");
  if (plan.prev || plan.bonus) {
    std::string bonus =
        plan.bonus
            ? llvm::formatv("m == {0} ? sm.bonus : nullptr", plan.bonus->term)
                  .str()
            : "nullptr";
    w.line(llvm::formatv(
        "apply_readout_mask<{0}>(scores[m], {1}, {2}); // "
        "{3}",
        plan.prev ? "true" : "false",
        decay ? (plan.prev ? "sm.bx, sm.b" : "sm.b, sm.b") : "nullptr, nullptr",
        bonus,
        plan.prev ? "s < r" + std::string(decay ? ", × e^{b'_r − b_s}" : "")
                  : "s ≤ r" + std::string(decay ? ", × e^{b_r − b_s}" : "")));
  } else {
    w.line(decay ? "apply_decay_mask(scores[m], sm.b, sm.b); // ⊙ Γ, Γ_rs = "
                   "e^{b_r − b_s} for r ≥ s, else 0"
                 : "apply_causal_mask(scores[m]); // ⊙ M (r ≥ s)");
  }
  if (plan.rider) {
    w.line("const float2 d = row_dot(scores[m], sm.zx[m]); // z's column: "
           "P_m x_z (fp32)");
    w.line("zDen.x += d.x;");
    w.line("zDen.y += d.y;");
  }
  w.line("probs[m] = to_afrag<bf16>(scores[m]);");
  w.line("wgmma::fence_operand(probs[m]);");
  w.close();
  if (scoresFirst) {
    w.line("Accum<kValueTile> o;");
    w.line("wgmma::fence();");
    queryTimesState();
    if (decay) {
      w.line("wgmma::commit();");
      w.line("wgmma::wait<0>();");
      decayQueryTimesState();
    }
  }
  w.line("wgmma::fence_operand(o);");
  w.line("wgmma::fence();");
  w.line("LARC_FOR_LANE(m, kTerms) wgmma::mma_AB(o, probs[m], sm.x[wg][m], "
         "true); "
         "// += P_m X_m (RS)");
  w.line("wgmma::commit();");
  w.line("wgmma::wait<0>();");
  w.line("wgmma::fence_operand(o);");
  w.blank();
  if (plan.rider) {
    w.line("// 4'. " + plan.output.getName().str() +
           " = a pointwise map of the readouts num = Sᵀq and den = zᵀq, "
           "where zᵀq adds");
    w.line(decay ? "//     (Q ⊙ e^b) z_0 (q_r · z_0 from the prologue, times "
                   "e^{b_r}) to P x_z."
                 : "//     Q̃ z̃_0 (q_r · z_0 from the prologue) to P x_z.");
    w.open("{");
    w.line("const int rLo = Accum<kValueTile>::row(warpgroup_thread(), 0);");
    w.line(decay ? "zDen.x += sm.zq[rLo] * exp_fast(sm.b[rLo]);"
                 : "zDen.x += sm.zq[rLo];");
    w.line(decay ? "zDen.y += sm.zq[rLo + 8] * exp_fast(sm.b[rLo + 8]);"
                 : "zDen.y += sm.zq[rLo + 8];");
    w.close();
    w.open("LARC_FOR_LANE(e, kValueTile / 2) {");
    w.line("const float num = o.v[e], den = (e / 2) % 2 ? zDen.y : zDen.x;");
    w.line("o.v[e] = " + *outputMap(plan, plan.output.getValue()) + ";");
    w.close();
  }
  emitStoreOutput(plan.dims.value, "v0");
  w.blank();
}

void KernelEmitter::emitStoreOutput(StringRef dim, StringRef col0) {
  w.line("// 4. The output rows of this chunk: " + plan.output.getName().str() +
         " [B, T, HV, " + dim.str() + "], bf16.");
  std::string rows = llvm::formatv("storeOutputRows(o, p.outputs[{0}], batch, "
                                   "c0, head, {1}, count);",
                                   plan.outputIndex, col0);
  if (!plan.tmaOutput) {
    w.line(rows);
    return;
  }
  // A TMA store writes its whole box, clipped only at T: the last chunk of a
  // varlen sequence would write the next sequence's rows.
  w.line("//    Whole chunks (and the last one of a batch row, which TMA "
         "clips at T) by TMA.");
  w.open("if (count == kTokens || (!p.cuSeqlens && c0 + count == p.seqLen)) {");
  std::string tile = plan.outputInY() ? "column_block(sm.y, wg)"
                     : plan.pipelined ? "once.out[wg]"
                                      : "sm.out[wg]";
  w.line(llvm::formatv("storeOutputTile(o, {2}, tensorMap(p, {0}), c0, count, "
                       "{1}, head, batch);",
                       plan.tmaInputs.size(), col0, tile));
  w.reopen("} else {");
  w.line(rows);
  w.close();
}

void KernelEmitter::emitStateUpdate() {
  bool decay = plan.hasDecay() && !plan.perKey();
  const bool oneProbeTerm = plan.hasProbe() && !plan.plainTerms();
  if (plan.perKey())
    w.line(oneProbeTerm
               ? "// 5. S_C = diag(e^m) [diag(e^m) S_0 + Ãᵀ C]   (= "
                 "e^{b_C} S_0 + (A ⊙ e^{b_C − b})ᵀ C; fp32)"
               : "// 5. S_C = diag(e^m) [diag(e^m) S_0 + Σ_m Ã_mᵀ X_m]   (= "
                 "e^{b_C} S_0 + Σ_m (A_m ⊙ e^{b_C − b})ᵀ X_m; fp32)");
  else if (oneProbeTerm && decay && plan.pipelined)
    w.comment("5. S_C = e^{b_C} S_0 + Aᵀ (C ⊙ e^{b_C − b}): the decay on the "
              "rows of this owner's C,\n   not on A, which the producer wrote "
              "(and at two value tiles both owners read)");
  else if (oneProbeTerm)
    w.line(decay ? "// 5. S_C = e^{b_C} S_0 + (A ⊙ e^{b_C − b})ᵀ C"
                 : "// 5. S_C = S_0 + Aᵀ C");
  else if (decay && plan.pipelined)
    w.comment("5. S_C = e^{b_C} S_0 + Σ_m A_mᵀ (X_m ⊙ e^{b_C − b}): the "
              "decay on the rows of this\n   owner's X_m, not on A_m, which "
              "the producer wrote");
  else
    w.line(decay ? "// 5. S_C = e^{b_C} S_0 + Σ_m (A_m ⊙ e^{b_C − b})ᵀ X_m"
                 : "// 5. S_C = S_0 + Σ_m A_mᵀ X_m");
  emitProbeTermNote();
  if (decay) {
    syncThreads(plan.pipelined
                    ? "every warp is done reading X (C) through wgmma"
                    : "every warp is done reading A through wgmma");
    w.line("const float bLast = sm.b[kChunk - 1]; // b_C (rows past the end "
           "add 0)");
    if (plan.splits() && !plan.hasProbe())
      w.line("if (kSummary) segmentLogDecay += bLast;");
    if (!plan.pipelined) {
      w.line("LARC_FOR_LANE(m, kTerms) decayRowsToEnd(sm.a[m], sm.b, bLast);");
    } else if (oneProbeTerm) {
      // As flash-linear-attention's chunk_fwd_h with a scalar gate: the data
      // rows (v_new) decayed to the chunk's end, rounded to bf16.
      w.line("decay_rows_to_end(u, sm.b, bLast); // C ⊙ e^{b_C − b}, from "
             "its fp32 registers");
      w.line("store(u, " + xTile(plan.probeTerm) + ");");
    } else {
      assert(!plan.hasProbe() && "pipelined with plain terms");
      w.line("LARC_FOR_LANE(m, kTerms) decayRowsToEnd(sm.x[wg][m], sm.b, "
             "bLast);");
    }
    w.line("const float stateDecay = exp_fast(bLast);");
    openTileWork();
    w.open("LARC_FOR_LANE(i, kStateBlocks) {");
    w.line("LARC_FOR_LANE(e, kValueTile / 2) s[i].v[e] *= stateDecay;");
    w.line("wgmma::fence_operand(s[i]);");
    w.close();
    closeTileWork();
    w.line("tma::fence_shared_to_async();");
    syncThreads();
  }
  openTileWork();
  if (plan.perKey()) {
    w.open("LARC_FOR_LANE(i, kStateBlocks) {");
    w.line("scale_rows_exp(s[i], sm.mid + 64 * i); // diag(e^m) S_0");
    w.line("wgmma::fence_operand(s[i]);");
    w.close();
  }
  w.line("wgmma::fence();");
  w.open("LARC_FOR_LANE(i, kStateBlocks) {");
  w.line("LARC_FOR_LANE(m, kTerms) wgmma::mma_AtB(s[i], sm.a[m], sm.x[wg][m], "
         "true, 64 * i); // (SS)");
  w.close();
  w.line("wgmma::commit();");
  if (plan.rider) {
    closeTileWork(); // every thread takes keys of z while the products run
    w.line("// z_C, the rider's column of the same update: Σ_m (the A_m the "
           "update reads)ᵀ x_z,m.");
    w.open("for (int k = threadIdx.x; k < kKeyDim; k += kThreads) {");
    w.line("float acc = 0.0f;");
    w.line("LARC_FOR_LANE(m, kTerms) for (int r = 0; r < kChunk; ++r) acc += "
           "__bfloat162float(sm.a[m].at(r, k)) * sm.zx[m][r];");
    if (plan.perKey()) {
      w.line("const float e = exp_fast(sm.mid[k]); // e^m: z_C = e^m (e^m z_0 "
             "+ Ãᵀ x_z)");
      w.line("sm.z[k] = e * (e * sm.z[k] + acc);");
    } else {
      w.line(decay ? "sm.z[k] = stateDecay * sm.z[k] + acc;"
                   : "sm.z[k] += acc;");
    }
    w.close();
    openTileWork();
  }
  w.line("wgmma::wait<0>();");
  w.line("LARC_FOR_LANE(i, kStateBlocks) wgmma::fence_operand(s[i]);");
  if (plan.perKey()) {
    w.open("LARC_FOR_LANE(i, kStateBlocks) {");
    w.line("scale_rows_exp(s[i], sm.mid + 64 * i); // diag(e^m) [...]: "
           "e^{2m} = e^{b_C}");
    w.line("wgmma::fence_operand(s[i]);");
    w.close();
  }
  closeTileWork();
  if (plan.perKey() && plan.splits() && !plan.hasProbe())
    w.line("if (kSummary && threadIdx.x < kKeyDim) segmentLogDecay += 2.0f * "
           "sm.mid[threadIdx.x];");
}

void KernelEmitter::emitFinalState() {
  if (plan.prescan)
    emitVectorStateOut("// The final " + plan.prescan->name +
                           ", when asked for: [N, HV, K] fp32.",
                       plan.prescan->index, "sm.zScan");
  if (plan.rider)
    emitVectorStateOut("// The final z, when asked for: [N, HV, K] fp32 (each "
                       "thread wrote its own keys).",
                       plan.rider->index, "sm.z");
  if (plan.splits()) {
    w.open("if constexpr (kSummary) {");
    w.line("// Phase 1: this segment's N (CTA x = 0) or M (x = 1) to the "
           "workspace.");
    w.line("float *out = carriesValues ? ws.delta(wsRow) : "
           "ws.transition(wsRow);");
    emitForEachStateElement(
        [&] { w.line("out[k * kValueDim + v] = s[i].v[e];"); });
    if (!plan.hasProbe())
      w.line(
          plan.hasDecay()
              ? "if (threadIdx.x < kKeyDim) ws.transition(wsRow)[threadIdx.x]"
                " = expf(segmentLogDecay); // M = diag(e^{Σ b_C})"
              : "if (threadIdx.x < kKeyDim) ws.transition(wsRow)[threadIdx.x]"
                " = 1.0f; // M = I");
    w.line("return;");
    w.close();
  }
  w.line("// The final state, when asked for: [N, HV, K, V] fp32.");
  w.line(llvm::formatv("const LarcTensorRef &finalState = p.finalStates[{0}];",
                       plan.stateIndex));
  w.open(plan.splits() ? "if (finalState.data && segment + 1 == segments) {"
                       : "if (finalState.data) {");
  emitForEachStateElement([&] {
    w.line(std::string(plan.paddedKeys() ? "if (k < kKeyRows) " : "") +
           "*stateAt(finalState, seq, head, k, v) = s[i].v[e];");
  });
  w.close();
}

/// A vector state (rider or scanned) from the initial state `index`, or
/// zeros, into the fp32 shared array `array` [K], one key per thread.
void KernelEmitter::emitVectorStateIn(const std::string &comment,
                                      unsigned index, StringRef array) {
  w.line(comment);
  w.line(llvm::formatv("const LarcTensorRef &initialZ = p.initialStates[{0}];",
                       index));
  w.line(llvm::formatv("for (int k = threadIdx.x; k < kKeyDim; k += kThreads) "
                       "{0}[k] = initialZ.data{1} ? *vectorStateAt(initialZ, "
                       "seq, head, k) : 0.0f;",
                       array, plan.paddedKeys() ? " && k < kKeyRows" : ""));
}

/// The shared array `array` to the final state `index`, when asked for.
void KernelEmitter::emitVectorStateOut(const std::string &comment,
                                       unsigned index, StringRef array) {
  w.line(comment);
  w.line(llvm::formatv("const LarcTensorRef &finalZ = p.finalStates[{0}];",
                       index));
  w.line(llvm::formatv("if (finalZ.data) for (int k = threadIdx.x; k < {1}; "
                       "k += kThreads) *vectorStateAt(finalZ, seq, head, k) = "
                       "{0}[k];",
                       array, plan.paddedKeys() ? "kKeyRows" : "kKeyDim"));
}

/// `body` once per element of this thread's part of the state tile, with
/// block i, element e, and its key row k and value column v.
void KernelEmitter::emitForEachStateElement(llvm::function_ref<void()> body) {
  openTileWork();
  w.open("LARC_FOR_LANE(i, kStateBlocks) {");
  w.open("LARC_FOR_LANE(e, kValueTile / 2) {");
  w.line("const int tid = warpgroup_thread();");
  w.line("const int k = 64 * i + Accum<kValueTile>::row(tid, e);");
  w.line("const int v = v0 + Accum<kValueTile>::col(tid, e);");
  body();
  w.close();
  w.close();
  closeTileWork();
}

void KernelEmitter::openTileWork() {
  if (plan.helperWarpgroups() && role != Role::Owner)
    w.open("if (ownsTile) {");
}

void KernelEmitter::closeTileWork() {
  if (plan.helperWarpgroups() && role != Role::Owner)
    w.close();
}

std::string KernelEmitter::tileWorkPrefix() const {
  return plan.helperWarpgroups() && role != Role::Owner ? "if (ownsTile) " : "";
}

/// The chunk loop: every thread runs every phase of a chunk in turn.
void KernelEmitter::emitChunkLoop() {
  emitFirstLoads();
  if (plan.wideKeys())
    w.line("Shared &smAll = sm;");
  w.open("for (int64_t c0 = bos; c0 < eos; c0 += kTokens) {");
  if (plan.wideKeys()) {
    // With S taking 128-160 registers a thread, the shared-memory addresses
    // the compiler would compute once and hold across chunks spill: through
    // an opaque copy of the pointer, each chunk computes its own.
    w.line("Shared *smChunk = &smAll;");
    w.line("asm volatile(\"\" : \"+l\"(smChunk)); // addresses per chunk, "
           "not held across chunks");
    w.line("Shared &sm = *smChunk;");
  }
  w.line("const int count = eos - c0 < kTokens ? int(eos - c0) : kTokens; // "
         "valid tokens");
  if (plan.tmaOutput)
    w.line("if (lane == 0) tma::store_wait_read(); // the last "
           "chunk's O is read");
  w.line("__syncthreads(); // the previous chunk's tiles are no longer read");
  w.blank();
  emitChunkInputs();
  emitScanPass();
  emitGatePass();
  emitPrologue();
  if (!plan.gram)
    emitNextLoads();
  emitCumsum();
  emitSolve();
  if (plan.splits())
    w.open("if constexpr (!kSummary) { // phase 1 writes no outputs");
  openTileWork();
  emitOutput();
  closeTileWork();
  if (plan.splits())
    w.close();
  if (plan.gram) {
    // G read the raw rows: the next chunk's land once every warpgroup's G
    // product is done.
    w.line("__syncthreads(); // every warpgroup's G is done with the raw rows");
    emitNextLoads();
  }
  emitStateUpdate();
  w.close();
}

/// The pipelined chunk loop (KernelPlan::pipelined): the producer warpgroup
/// walks the chunks writing chunk j's tiles into stages[j % kStages], the
/// owner walks them behind it, reading them; per stage, the mbarrier `full`
/// hands a chunk to the owner and `empty` hands the stage back, so the
/// producer runs up to kStages - 1 chunks ahead and neither waits for the
/// other's every chunk.
void KernelEmitter::emitPipelinedLoop() {
  const bool compact = plan.compactStages();
  auto producerFirstChunk = [&] {
    if (!plan.tokenScalars.empty()) {
      w.open("if (tid < kTokens) {");
      emitScalarPrefetch("bos");
      w.close();
    }
    w.open("if (tid == 0 && bos < eos) {");
    if (!compact)
      w.line("Shared &sm = stages[0];");
    emitLoads("bos");
    w.close();
  };
  auto eachChunk = [&](void (KernelEmitter::*chunk)()) {
    w.open("for (int64_t c0 = bos, chunk = 0; c0 < eos; c0 += kTokens, "
           "++chunk) {");
    (this->*chunk)();
    w.close();
  };
  auto parityNote = [&] {
    w.line("// Chunk `chunk` = (c0 - bos) / kTokens in stages[chunk % "
           "kStages]; a stage's k-th use");
    w.line("// (k = chunk / kStages) completes phase k of its barriers, so "
           "waits take parity k % 2.");
  };
  if (compact) {
    // Each role's code entirely in its own branch after its setmaxnreg, and
    // the producer returns: code after a join would be allocated at the
    // launch's 168 registers, which the owners' accumulators do not fit.
    parityNote();
    w.open("if (!ownsTile) { // the producer");
    role = Role::Producer;
    w.line("warpgroup::decrease_registers<kProducerRegisters>();");
    if (!plan.tokenScalars.empty())
      w.line(nextScalarsDeclaration() + "; // the next chunk's");
    producerFirstChunk();
    eachChunk(&KernelEmitter::emitProducerChunk);
    w.line("return; // the owners write the outputs and the final state");
    w.close();
    role = Role::Owner;
    w.line("warpgroup::increase_registers<kOwnerRegisters>();");
    emitInitialState();
    if (plan.solveKernel()) {
      w.line("// The first chunk's T, written by the solve kernel.");
      emitLoadT("bos", "wg == 0 && bos < eos");
    }
    eachChunk(&KernelEmitter::emitOwnerChunk);
    role = Role::All;
    return;
  }
  w.line("// The producer's first chunk: its scalars into registers, its rows "
         "into stage 0.");
  if (!plan.tokenScalars.empty())
    w.line(nextScalarsDeclaration() + "; // the producer's next chunk");
  w.open("if (!ownsTile) {");
  role = Role::Producer;
  producerFirstChunk();
  role = Role::All;
  w.close();
  w.blank();
  parityNote();
  w.open("if (ownsTile) {");
  role = Role::Owner;
  eachChunk(&KernelEmitter::emitOwnerChunk);
  w.reopen("} else {");
  role = Role::Producer;
  eachChunk(&KernelEmitter::emitProducerChunk);
  role = Role::All;
  w.close();
}

void KernelEmitter::emitStageOfChunk() {
  w.line("const int count = eos - c0 < kTokens ? int(eos - c0) : kTokens; // "
         "valid tokens");
  w.line("Shared &sm = stages[chunk % kStages];");
  w.line("const uint32_t parity = uint32_t(chunk / kStages) & 1u; // of this "
         "stage's barriers");
}

/// Chunk j of the producer: the next chunk's rows, then, once the owner has
/// handed the stage back, this chunk's T, scalars, prologue, cumsum and
/// Y ⊙ e^{b'}; `full` hands it over.
void KernelEmitter::emitProducerChunk() {
  const bool compact = plan.compactStages();
  emitStageOfChunk();
  if (!compact)
    emitNextLoads();
  w.line("// The owner is done with this stage's chunk before (none on the "
         "first use: parity 1).");
  w.line("mbarrier::wait(sm.empty, parity ^ 1u);");
  if (plan.solveKernel() && !compact) {
    w.line("// This chunk's T from the solve kernel (the owner waits for it).");
    emitLoadT("c0", "");
  }
  w.blank();
  emitChunkInputs();
  emitGatePass();
  emitPrologue();
  if (compact)
    emitNextLoads();
  emitCumsum();
  if (plan.hasProbe() && plan.hasDecay() && !plan.perKey()) {
    w.line("// 2a. Y ⊙ e^{b'} for the owner's W = T (Y ⊙ e^{b'}).");
    w.line("scaleRowsExp<kProducerThreads>(sm.y, sm.bx, tid);");
    w.line("tma::fence_shared_to_async(); // generic stores -> wgmma's async "
           "proxy");
  }
  w.line("mbarrier::arrive(sm.full); // the chunk's tiles are the owner's");
}

/// Chunk j of the owner: once `full`, S_0 to shared memory, the solve's
/// products, O and S_C; `empty` hands the stage back.
void KernelEmitter::emitOwnerChunk() {
  emitStageOfChunk();
  w.line("mbarrier::wait(sm.full, parity); // the producer wrote this chunk's "
         "tiles");
  if (plan.tmaOutput && !plan.outputInY())
    w.line("if (lane == 0) tma::store_wait_read(); // the last chunk's O is "
           "read");
  emitStateCopy();
  w.line("tma::fence_shared_to_async(); // generic stores -> wgmma's async "
         "proxy");
  syncThreads("S_0 is whole");
  w.blank();
  emitSolve();
  if (plan.splits())
    w.open("if constexpr (!kSummary) { // phase 1 writes no outputs");
  emitOutput();
  if (plan.splits())
    w.close();
  emitStateUpdate();
  if (plan.outputInY()) {
    w.line("if (lane == 0) tma::store_wait_read(); // O's rows are read out "
           "of y");
    w.line("__syncwarp();");
  }
  w.line("mbarrier::arrive(sm.empty); // the stage is the producer's again");
}

void KernelEmitter::emit(const std::string &name, KernelEmitter *solve) {
  emitHeaderComment();
  emitConstants();
  emitSupport();
  if (plan.splits()) {
    w.line("/// The kernel's body. kSummary: phase 1 of the sequence-split "
           "plan, which reduces a");
    w.line("/// segment to S_end = M S_start + N and writes N and M to the "
           "workspace (no outputs).");
    w.line("template <bool kSummary>");
    w.open("__device__ __forceinline__ void run(const LarcLaunchParams &p) {");
  } else {
    w.line(std::string("extern \"C\" __global__ void __launch_bounds__(") +
           loopThreads() + ", 1)");
    w.open(name + "(const __grid_constant__ LarcLaunchParams p) {");
  }
  emitSetup();
  if (!plan.compactStages()) // else the owners', after their setmaxnreg
    emitInitialState();
  if (plan.pipelined)
    emitPipelinedLoop();
  else
    emitChunkLoop();
  w.blank();
  if (plan.tmaOutput)
    w.line("if (lane == 0) tma::store_wait_read(); // O's rows are read "
           "before the CTA's shared memory goes");
  emitFinalState();
  w.close();
  if (plan.splits())
    emitEntryPoints(name);
  if (solve)
    solve->emitSolveKernel(name + "_solve");
  if (!plan.opts.stageNamespace.empty())
    w.close("} // namespace " + plan.opts.stageNamespace);
}

void KernelEmitter::emitSolveKernel(const std::string &name) {
  assert(plan.solveOnly && "the solve kernel's plan");
  w.blank();
  w.line("// The solve kernel: T = (I + L)^{-1} of one chunk and value head "
         "(CTA (slot, head),");
  w.line("// larc/cuda/chunk_tiles.cuh) to its tile, for every chunk of the "
         "call at once, before");
  w.line("// the chunk loop runs. Its rows A and Y come from the loop's "
         "per-token ops, and L and");
  w.line("// the block solve are the loop's own: the loop's T is "
         "bit-identical either way.");
  w.line("namespace larc_kernel {");
  w.open("struct SolveShared {");
  w.line("SwizzledTile<bf16, kChunk, kChunk> t; // T in bf16, the tile "
         "written out");
  w.line("union { // L is written once its product has read A and Y");
  w.line("  struct {");
  w.line("    SwizzledTile<bf16, kChunk, kKeyDim> a[kTerms]; // directions");
  w.line("    SwizzledTile<bf16, kChunk, kKeyDim> y; // probes");
  w.line("  };");
  w.line("  struct {");
  w.line("    SolveMatrix l;    // L in fp32 (strictly lower)");
  w.line("    SolveMatrix tInv; // T in fp32 (block solve)");
  w.line("  };");
  w.line("};");
  emitDecayArrays();
  for (const KernelPlan::TokenScalar &in : plan.tokenScalars)
    w.line(llvm::formatv("float tok_{0}[kTokens]; // {1} of the chunk's "
                         "tokens",
                         in.name, in.input.getName()));
  w.line("Tiles::Chunk chunk; // this CTA's chunk, by thread 0");
  w.line("int keyHead;        // head of query/key inputs, by thread 0");
  w.close("};");
  w.line(llvm::formatv("constexpr int kSolveSharedBytes = {0}; // manifest "
                       "\"solve\" \"shared_bytes\"",
                       sharedBytes(plan)));
  w.line("static_assert(sizeof(SolveShared) + 1024 == kSolveSharedBytes, "
         "\"manifest solve shared_bytes\");");
  w.line("} // namespace larc_kernel");
  w.blank();
  // Several CTAs an SM (four of 256 threads, at most 64 registers a thread):
  // the chunks are independent, and each CTA's chain (prologue, solve) is
  // latency-bound, so the SM hides one CTA's latency behind the others'.
  w.line("extern \"C\" __global__ void __launch_bounds__(kThreads, 1024 / "
         "kThreads)");
  w.open(name + "(const __grid_constant__ LarcLaunchParams p) {");
  // Its own name: an extern "C" kernel's declaration has C linkage, the
  // chunk loop's (in a C++ function) does not.
  emitGridDependency();
  w.line("extern __shared__ __align__(1024) char larcSolveSmem[];");
  w.line("SmemCarver carver{larcSolveSmem};");
  w.line("SolveShared &sm = carver.take<SolveShared>();");
  w.blank();
  w.line("const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;");
  w.line("const int wg = warpgroup::index(); // warpgroup 0 computes L");
  w.line("const int head = blockIdx.y;            // value head (HV)");
  // A CTA solves one chunk, so its setup is a real part of its instructions:
  // each integer division by a runtime value is ~25, and every warp would
  // repeat them.
  w.line("// This CTA's chunk (slot blockIdx.x: tokens [c0, c0 + count) of "
         "batch row `batch`)");
  w.line("// and key head, by thread 0: its integer divisions are not "
         "repeated on every warp.");
  w.open("if (threadIdx.x == 0) {");
  w.line("sm.chunk = Tiles::of(p, blockIdx.x);");
  w.line("sm.keyHead = head / (p.valueHeads / p.heads);");
  w.close();
  w.line("__syncthreads();");
  w.line("const Tiles::Chunk chunk = sm.chunk;");
  w.line("const int keyHead = sm.keyHead;");
  w.line("const int seq = chunk.seq;");
  w.line("const int64_t batch = chunk.batch, eos = chunk.eos, c0 = chunk.c0;");
  w.line("if (c0 >= eos) return; // a varlen slot that no chunk uses");
  w.line("const int count = eos - c0 < kTokens ? int(eos - c0) : kTokens; // "
         "valid tokens");
  w.line("(void)lane, (void)wg, (void)seq, (void)keyHead;");
  w.blank();
  w.line("// Per-head values that depend on no token.");
  prologue.emitUniform(w);
  if (gates)
    gates->emitUniform(w);
  if (!plan.tokenScalars.empty()) {
    w.line("// The chunk's per-token scalar inputs, one token per thread.");
    w.open("if (threadIdx.x < kTokens) {");
    emitScalarPrefetch("c0", "sm.tok_{0}[threadIdx.x]");
    w.close();
  }
  w.line("__syncthreads(); // the scalars are in");
  w.blank();
  emitGatePass();
  emitPrologue();
  emitCumsum();
  emitLowerAndInverse();
  w.line("tma::fence_shared_to_async(); // T's stores -> the bulk copy");
  w.line("__syncthreads(); // T is whole");
  w.open("if (threadIdx.x == 0) {");
  w.line("tma::store_bytes(Tiles::tile(p, blockIdx.x, head), &sm.t, "
         "sizeof(sm.t));");
  w.line("tma::store_commit();");
  w.line("tma::store_wait_read(); // before the CTA's shared memory goes");
  w.close();
  w.close();
}

void KernelEmitter::emitEntryPoints(const std::string &name) {
  w.blank();
  w.line(
      "// The package's kernels (manifest \"kernels\" and its \"segments\"): "
      "the forward pass,");
  w.line("// and phases 1 and 2 of the sequence-split plan, whose phase 3 is "
         "the forward pass");
  w.line("// again, over the segments, from the chained start states.");
  w.line(std::string("extern \"C\" __global__ void __launch_bounds__(") +
         loopThreads() + ", 1)");
  w.line(name +
         "(const __grid_constant__ LarcLaunchParams p) { run<false>(p); }");
  w.line(std::string("extern \"C\" __global__ void __launch_bounds__(") +
         loopThreads() + ", 1)");
  w.line(
      name +
      "_summary(const __grid_constant__ LarcLaunchParams p) { run<true>(p); }");
  w.line("extern \"C\" __global__ void __launch_bounds__(256)");
  w.open(name + "_combine(const __grid_constant__ LarcLaunchParams p) {");
  emitGridDependency();
  w.line(llvm::formatv("combineSegments<kKeyDim, kValueDim, "
                       "kMatrixTransition>(p, {0});",
                       plan.stateIndex));
  w.close();
}

std::string jsonString(StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

std::string larc::cudaKernelName(const RuleForm &form,
                                 const CudaOptions &opts) {
  RuleOp rule = form.rule;
  return llvm::formatv("larc_{0}_fwd_k{1}_v{2}_{3}", rule.getSymName(),
                       opts.keyDim, opts.valueDim, opts.dtype)
      .str();
}

/// φ(p)·φ(a) as an expression of g = p0·a0 for one pair of inputs (p0, a0)
/// landed by TMA, or none: p and a are built alike from p0 and a0 by concat,
/// kron and uniform scalar factors (concat·concat = Σ of the pieces'
/// products, kron(x, y)·kron(u, v) = (x·u)(y·v), (c x)·y = c (x·y)).
static std::optional<std::string>
gramOf(const PrologueEmitter &pe, Value p, Value a,
       std::optional<std::pair<InputOp, InputOp>> &leaves) {
  auto uniformScalar = [&](Value v) {
    return !isa<VecType>(v.getType()) && pe.isUniform(v);
  };
  for (bool left : {true, false}) {
    Value side = left ? p : a;
    Operation *def = side.getDefiningOp();
    if (!isa_and_nonnull<MulOp, DivOp>(def) || !isa<VecType>(side.getType()))
      continue;
    Value x = def->getOperand(0), c = def->getOperand(1);
    if (isa<MulOp>(def) && uniformScalar(x))
      std::swap(x, c);
    if (!uniformScalar(c))
      continue;
    std::optional<std::string> inner =
        left ? gramOf(pe, x, a, leaves) : gramOf(pe, p, x, leaves);
    if (!inner)
      return std::nullopt;
    return "(" + *inner + (isa<MulOp>(def) ? " * " : " / ") + pe.ref(c) + ")";
  }
  bool vp = isa<VecType>(p.getType()), va = isa<VecType>(a.getType());
  if (!vp && !va && uniformScalar(p) && uniformScalar(a))
    return "(" + pe.ref(p) + " * " + pe.ref(a) + ")";
  if (!vp || !va)
    return std::nullopt;
  Operation *dp = p.getDefiningOp(), *da = a.getDefiningOp();
  if (auto cp = dyn_cast_or_null<ConcatOp>(dp)) {
    auto ca = dyn_cast_or_null<ConcatOp>(da);
    if (!ca || cp.getInputs().size() != ca.getInputs().size())
      return std::nullopt;
    std::string sum;
    for (auto [x, y] : llvm::zip(cp.getInputs(), ca.getInputs())) {
      if (x.getType() != y.getType())
        return std::nullopt;
      std::optional<std::string> term = gramOf(pe, x, y, leaves);
      if (!term)
        return std::nullopt;
      sum += (sum.empty() ? "" : " + ") + *term;
    }
    return "(" + sum + ")";
  }
  if (auto kp = dyn_cast_or_null<KronOp>(dp)) {
    auto ka = dyn_cast_or_null<KronOp>(da);
    if (!ka)
      return std::nullopt;
    std::optional<std::string> l = gramOf(pe, kp.getLhs(), ka.getLhs(), leaves);
    std::optional<std::string> r = gramOf(pe, kp.getRhs(), ka.getRhs(), leaves);
    if (!l || !r)
      return std::nullopt;
    return "(" + *l + " * " + *r + ")";
  }
  auto ip = dyn_cast_or_null<InputOp>(dp), ia = dyn_cast_or_null<InputOp>(da);
  if (!ip || !ia || pe.sharedRowsOf(ip).empty() || pe.sharedRowsOf(ia).empty())
    return std::nullopt;
  if (leaves && (leaves->first != ip || leaves->second != ia))
    return std::nullopt;
  leaves = std::make_pair(ip, ia);
  return std::string("g");
}

FailureOr<std::string> larc::emitCuda(RuleForm &form, const CudaOptions &opts,
                                      CudaKernelInfo *info) {
  KernelPlan plan;
  if (failed(planKernel(form, opts, plan)))
    return failure();
  PrologueEmitter prologue(form.rule, plan.dims);
  // A per-key log-decay gets its own prologue, run before the main one
  // (KernelEmitter::emitGatePass); its temporaries are gt0, gt1, ...
  std::optional<PrologueEmitter> gates;
  if (plan.perKey())
    gates.emplace(form.rule, plan.dims, "gt");
  // A scanned vector state's per-token values get one too (temporaries zt0,
  // ...), and every prologue reads its reads of it from the scan's rows.
  std::optional<PrologueEmitter> scan;
  if (plan.prescan) {
    scan.emplace(form.rule, plan.dims, "zt");
    for (const ApplyForm &apply : plan.prescan->state->applies) {
      prologue.setSharedVector(ApplyOp(apply.op).getResult(), "sm.scan");
      if (gates)
        gates->setSharedVector(ApplyOp(apply.op).getResult(), "sm.scan");
    }
    const SubStep &step = plan.prescan->state->steps.front();
    for (const RankOneTerm &term : step.terms)
      if (failed(scan->collect(term.direction)) ||
          failed(scan->collect(term.data)))
        return failure();
    if (step.logDecay && failed(scan->collect(step.logDecay)))
      return failure();
  }
  if (failed(prologue.collect(plan.readoutProbe())) ||
      (plan.bonus && failed(prologue.collect(plan.bonus->scalar))))
    return failure();
  for (const SubStep *step : plan.steps)
    for (const RankOneTerm &term : step->terms)
      if (failed(prologue.collect(term.direction)) ||
          (term.data && failed(prologue.collect(term.data))) ||
          (term.probe && failed(prologue.collect(term.probe))))
        return failure();
  if (plan.rider)
    for (const RankOneTerm &term : plan.rider->state->steps.front().terms)
      if (failed(prologue.collect(term.data)))
        return failure();
  for (const SubStep *step : plan.steps) {
    if (!step->logDecay)
      continue;
    // A scalar log-decay in a per-key kernel is broadcast over the keys.
    auto vec = dyn_cast<VecType>(step->logDecay.getType());
    if (vec && vec.getDim().getValue() != plan.dims.key)
      return refuse(plan.state->recur, "a log-decay over other than the key "
                                       "dim"),
             failure();
    if (failed((gates ? *gates : prologue).collect(step->logDecay)))
      return failure();
  }
  // The inputs either prologue reads, in rule order.
  SmallVector<InputOp> inputs = prologue.inputs();
  for (const std::optional<PrologueEmitter> *other : {&gates, &scan})
    if (*other)
      for (InputOp input : (*other)->inputs())
        if (!llvm::is_contained(inputs, input))
          inputs.push_back(input);
  llvm::sort(inputs, [](InputOp a, InputOp b) {
    return a->isBeforeInBlock(b.getOperation());
  });
  auto eachPrologue = [&](auto fn) {
    fn(prologue);
    if (gates)
      fn(*gates);
    if (scan)
      fn(*scan);
  };
  for (InputOp input : inputs) {
    if (isa<VecType>(input.getType()))
      continue;
    // Input names are the rule's (not temporaries): the same in both.
    std::string name = prologue.inputName(input);
    eachPrologue([&](PrologueEmitter &e) {
      e.setSharedScalars(input, "sm.tok_" + name);
    });
    plan.tokenScalars.push_back({input, name});
  }
  if (sharedBytes(plan) > kMaxSharedBytes)
    return refuse(plan.rule, llvm::formatv("a chunk whose tiles need {0} bytes "
                                           "of shared memory (at most {1})",
                                           sharedBytes(plan), kMaxSharedBytes)
                                 .str()),
           failure();
  if (opts.tma) {
    // Each input's rows land by TMA while shared memory has room for them
    // (DPLR's five key-sized inputs at K = 128 do not all fit); the others
    // are read from global memory by the prologue.
    for (InputOp input : inputs) {
      auto vec = dyn_cast<VecType>(input.getType());
      if (!vec || inputElementType(input) != "bf16")
        continue;
      if (plan.tmaInputs.size() == 8)
        return refuse(input, "more than 8 inputs loaded by TMA"), failure();
      int64_t size = plan.dims.padded(vec.getDim().getValue());
      std::string name = prologue.inputName(input);
      plan.tmaInputs.push_back({input, name, size});
      if (sharedBytes(plan) > kMaxSharedBytes) {
        plan.tmaInputs.pop_back();
        continue;
      }
      eachPrologue(
          [&](PrologueEmitter &e) { e.setSharedRows(input, "sm.raw_" + name); });
    }
  }
  // O by TMA store: rows that are tokens (no sub-steps), S not transposed,
  // a tensor map left, and shared memory for one more [C, V] tile. A staged
  // rule's output may be an intermediate, which has no tensor map.
  if (opts.tma && plan.subSteps() == 1 && !plan.apply &&
      plan.tmaInputs.size() < 8 && plan.opts.stageNamespace.empty()) {
    plan.tmaOutput = true;
    if (sharedBytes(plan) > kMaxSharedBytes)
      plan.tmaOutput = false;
  }
  if (plan.hasProbe()) {
    plan.padSolveRows = true;
    if (sharedBytes(plan) > kMaxSharedBytes)
      plan.padSolveRows = false;
  }
  // A feature map's scores from the Gram matrix of its inputs, where the
  // probe and the one direction are built alike from two inputs' TMA rows.
  if (plan.wideKeys() && plan.terms() == 1 && plan.subSteps() == 1 &&
      !plan.hasProbe() && !plan.prev && !plan.bonus) {
    std::optional<std::pair<InputOp, InputOp>> leaves;
    std::optional<std::string> expr = gramOf(
        prologue, plan.readoutProbe(), plan.step->terms[0].direction, leaves);
    if (expr && leaves && plan.dims.padded(dimOf(leaves->first)) == 64 &&
        plan.dims.padded(dimOf(leaves->second)) == 64)
      plan.gram = KernelPlan::Gram{*expr, prologue.sharedRowsOf(leaves->first),
                                   prologue.sharedRowsOf(leaves->second)};
  }
  // The producer warpgroup ahead of the owner, with as many stages (3 or 2)
  // as fit.
  // stages stays 1 unless pipelined (sharedBytes counts kStages copies).
  for (int64_t stages = 3; plan.canPipeline() && stages >= 2; --stages) {
    plan.pipelined = true;
    plan.stages = stages;
    if (sharedBytes(plan) <= kMaxSharedBytes)
      break;
    plan.pipelined = false;
    plan.stages = 1;
  }
  if (plan.compactStages()) // the raw rows live once (struct Once)
    for (const KernelPlan::TmaInput &in : plan.tmaInputs)
      eachPrologue([&](PrologueEmitter &e) {
        e.setSharedRows(in.input, "once.raw_" + in.name);
      });
  // The runtime passes one scale: every larc.scale must be over one dim.
  StringRef scaleDim;
  WalkResult scales = form.rule.walk([&](ScaleOp op) {
    if (!scaleDim.empty() && op.getDim() != scaleDim) {
      refuse(op, "scales over two different dims");
      return WalkResult::interrupt();
    }
    scaleDim = op.getDim();
    return WalkResult::advance();
  });
  if (scales.wasInterrupted())
    return failure();

  // The solve kernel's plan: its rows are the probe term's A and Y and the
  // log-decays, from the inputs those read, with the chunk loop's names for
  // the scalars' shared arrays.
  KernelPlan solvePlan = plan;
  PrologueEmitter solveRows(form.rule, plan.dims);
  if (plan.solveKernel()) {
    solvePlan.solveOnly = true;
    solvePlan.pipelined = false;
    solvePlan.stages = 1;
    solvePlan.tmaOutput = false;
    // Its prologue reads the rows from global memory: without the raw tiles
    // (and with L over A and Y) a CTA has 42 KiB of shared memory at K = 128,
    // so four run on an SM and hide each other's latency (two with the raw
    // tiles: bench/NOTES.md, session 10).
    solvePlan.tmaInputs.clear();
    for (const SubStep *step : plan.steps) {
      const RankOneTerm &term = step->terms[plan.probeTerm];
      if (failed(solveRows.collect(term.direction)) ||
          failed(solveRows.collect(term.probe)) ||
          (step->logDecay && !gates &&
           failed(solveRows.collect(step->logDecay))))
        return failure();
    }
    SmallVector<InputOp> solveInputs = solveRows.inputs();
    if (gates)
      llvm::append_range(solveInputs, gates->inputs());
    llvm::erase_if(solvePlan.tokenScalars,
                   [&](const KernelPlan::TokenScalar &in) {
                     return !llvm::is_contained(solveInputs, in.input);
                   });
    for (const KernelPlan::TokenScalar &in : solvePlan.tokenScalars)
      solveRows.setSharedScalars(in.input, "sm.tok_" + in.name);
    if (sharedBytes(solvePlan) > kMaxSharedBytes)
      return refuse(plan.rule,
                    llvm::formatv("a solve kernel whose tiles need {0} bytes "
                                  "of shared memory (at most {1})",
                                  sharedBytes(solvePlan), kMaxSharedBytes)
                        .str()),
             failure();
  }

  std::string name = cudaKernelName(form, opts);
  std::string text;
  CodeWriter w(text);
  KernelEmitter solveEmitter(solvePlan, solveRows, gates ? &*gates : nullptr,
                             nullptr, w);
  KernelEmitter(plan, prologue, gates ? &*gates : nullptr,
                scan ? &*scan : nullptr, w)
      .emit(name, plan.solveKernel() ? &solveEmitter : nullptr);

  if (info) {
    info->name = name;
    info->threads = plan.threads();
    info->sharedBytes = sharedBytes(plan);
    info->valueTile = opts.valueDim; // the CTA's columns: one warpgroup per 64
    info->chunkSize = plan.tokensPerChunk(); // tokens (rows / sub-steps)
    info->tensorMaps.clear();
    for (const KernelPlan::TmaInput &in : plan.tmaInputs)
      info->tensorMaps.push_back({in.input.getName().str(), info->chunkSize});
    if (plan.tmaOutput)
      info->tensorMaps.push_back({plan.output.getName().str(), kOutputBoxRows});
    info->solve = plan.solveKernel();
    if (plan.solveKernel()) {
      info->solveThreads = solvePlan.threads();
      info->solveSharedBytes = sharedBytes(solvePlan);
      info->solveTileBytes = opts.chunkSize * opts.chunkSize * 2; // T, bf16
    }
    info->segments = plan.splits();
    if (plan.splits()) {
      const int64_t K = opts.keyDim, V = opts.valueDim;
      info->summaryGridX = plan.hasProbe() ? 2 : 1;
      info->combineGridX = V / 8; // segments.cuh's kSegmentColumns
      info->workspaceFloats = 2 * K * V + (plan.hasProbe() ? K * K : K);
    }
    info->dims.clear();
    RuleOp rule = form.rule;
    for (Attribute dim : rule.getDims()) {
      StringRef d = cast<StringAttr>(dim).getValue();
      info->dims.emplace_back(d.str(), plan.dims.size(d));
    }
  }
  return text;
}

std::string larc::emitCudaHeader(const RuleForm &form,
                                 const CudaKernelInfo &info) {
  RuleOp ruleOp = form.rule;
  std::string rule = ruleOp.getSymName().str();
  std::string text;
  CodeWriter w(text);
  w.line("// Generated by larcc from rule @" + rule +
         ": the package's kernel and how it is launched.");
  w.line("// Launch with the larc runtime (runtime/include/larc/runtime/"
         "CApi.h) or by hand:");
  w.line("// grid (V / value_tile, HV, N), block, dynamic shared memory as "
         "below, one");
  w.line("// argument: a LarcLaunchParams filled as docs/package-format.md "
         "says.");
  w.line("#pragma once");
  w.blank();
  w.line("#include \"larc/runtime/LaunchParams.h\"");
  w.blank();
  w.open("namespace larc_generated::" + rule + " {");
  w.line("inline constexpr const char *kKernelName = \"" + info.name + "\";");
  w.line(
      llvm::formatv("inline constexpr int kBlockThreads = {0};", info.threads));
  w.line(llvm::formatv("inline constexpr int kSharedBytes = {0};",
                       info.sharedBytes));
  w.line(
      llvm::formatv("inline constexpr int kValueTile = {0};", info.valueTile));
  w.line(
      llvm::formatv("inline constexpr int kChunkSize = {0};", info.chunkSize));
  for (const auto &[dim, size] : info.dims)
    w.line(llvm::formatv("inline constexpr int kDim{0} = {1};", dim, size));
  w.close("} // namespace larc_generated::" + rule);
  w.blank();
  w.line("#ifdef __CUDACC__");
  w.line("extern \"C\" __global__ void " + info.name +
         "(const __grid_constant__ LarcLaunchParams p);");
  if (info.segments) {
    w.line("// The sequence-split plan (docs/package-format.md, \"Plans\"): "
           "phase 1, grid");
    w.line(llvm::formatv("// ({0}, HV, N · segments), and phase 2, grid ({1}, "
                         "HV, N), 256 threads.",
                         info.summaryGridX, info.combineGridX));
    w.line("extern \"C\" __global__ void " + info.name +
           "_summary(const __grid_constant__ LarcLaunchParams p);");
    w.line("extern \"C\" __global__ void " + info.name +
           "_combine(const __grid_constant__ LarcLaunchParams p);");
  }
  if (info.solve) {
    w.line("// The solve kernel (docs/package-format.md, \"The solve "
           "kernel\"), launched first:");
    w.line(llvm::formatv("// grid (chunk slots, HV, 1), the same block, {0} "
                         "bytes of shared memory,",
                         info.solveSharedBytes));
    w.line(llvm::formatv("// writes {0} bytes per chunk slot and value head "
                         "to p.chunkTiles.",
                         info.solveTileBytes));
    w.line("extern \"C\" __global__ void " + info.name +
           "_solve(const __grid_constant__ LarcLaunchParams p);");
  }
  w.line("#endif");
  return text;
}

/// One kernel entry of the manifest's "kernels".
static std::string manifestKernel(const CudaKernelInfo &info) {
  std::string kernelDims;
  for (const auto &[dim, size] : info.dims)
    kernelDims += (kernelDims.empty() ? "" : ", ") + jsonString(dim) + ": " +
                  std::to_string(size);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "    {\"name\": " << jsonString(info.name);
  if (info.stage >= 0)
    os << ", \"stage\": " << info.stage;
  os << ", \"dims\": {" << kernelDims
     << "}, \"dtype\": \"bf16\", \"chunk_size\": " << info.chunkSize << ",\n"
     << "     \"block\": [" << info.threads
     << ", 1, 1], \"shared_bytes\": " << info.sharedBytes
     << ", \"grid\": " << jsonString(info.grid)
     << ", \"value_tile\": " << info.valueTile << ", \"alignment\": 8"
     << ", \"dependent_launch\": true";
  if (!info.tensorMaps.empty()) {
    os << ",\n     \"tensor_maps\": [";
    for (auto [i, map] : llvm::enumerate(info.tensorMaps))
      os << (i ? ", " : "") << "{\"tensor\": " << jsonString(map.tensor)
         << ", \"box\": [1, " << map.boxRows << ", 1, 64]}";
    os << "]";
  }
  if (info.segments)
    os << ",\n     \"segments\": {\"summary\": "
       << jsonString(info.name + "_summary")
       << ", \"summary_grid_x\": " << info.summaryGridX
       << ", \"combine\": " << jsonString(info.name + "_combine")
       << ", \"combine_block\": [256, 1, 1], \"combine_grid_x\": "
       << info.combineGridX
       << ", \"workspace_floats\": " << info.workspaceFloats << "}";
  if (info.solve)
    os << ",\n     \"solve\": {\"kernel\": " << jsonString(info.name + "_solve")
       << ", \"block\": [" << info.solveThreads
       << ", 1, 1], \"shared_bytes\": " << info.solveSharedBytes
       << ", \"tile_bytes\": " << info.solveTileBytes << "}";
  os << "}";
  return text;
}

/// A JSON list of the names of `rule`'s ops of type OpTy.
template <class OpTy> static std::string nameList(RuleOp rule) {
  std::string list;
  for (OpTy op : rule.getBody().front().getOps<OpTy>())
    list += (list.empty() ? "" : ", ") + jsonString(op.getName());
  return "[" + list + "]";
}

/// "stages" and "intermediates": each stage's tensors in its kernel's order;
/// an output of a stage that is not one of the rule's passes to later stages.
static std::string manifestStages(RuleOp rule, ArrayRef<RuleOp> stages) {
  llvm::StringSet<> ruleOutputs;
  for (OutputOp output : rule.getBody().front().getOps<OutputOp>())
    ruleOutputs.insert(output.getName());
  std::string list, intermediates;
  for (RuleOp stage : stages) {
    list +=
        (list.empty() ? "    " : ",\n    ") +
        llvm::formatv("{{\"rule\": {0}, \"inputs\": {1}, \"states\": "
                      "{2}, \"outputs\": {3}}",
                      jsonString(stage.getSymName()), nameList<InputOp>(stage),
                      nameList<StateOp>(stage), nameList<OutputOp>(stage))
            .str();
    for (OutputOp output : stage.getBody().front().getOps<OutputOp>())
      if (!ruleOutputs.contains(output.getName()))
        intermediates +=
            (intermediates.empty() ? "    " : ",\n    ") +
            llvm::formatv("{{\"name\": {0}, \"dim\": {1}, \"dtype\": "
                          "\"bf16\"}",
                          jsonString(output.getName()),
                          jsonString(cast<VecType>(output.getValue().getType())
                                         .getDim()
                                         .getValue()))
                .str();
  }
  return "  \"intermediates\": [\n" + intermediates + "\n  ],\n" +
         "  \"stages\": [\n" + list + "\n  ],\n";
}

std::string larc::emitManifest(RuleOp rule, ArrayRef<CudaKernelInfo> kernels,
                               ArrayRef<RuleOp> stages, StringRef cubinFile,
                               StringRef headerFile) {
  std::string dims, inputs, states, outputs, scaleDefault;
  for (Attribute dim : rule.getDims())
    dims += (dims.empty() ? "" : ", ") +
            jsonString(cast<StringAttr>(dim).getValue());
  for (Operation &op : rule.getBody().front()) {
    if (auto input = dyn_cast<InputOp>(op)) {
      std::string entry =
          "{\"name\": " + jsonString(input.getName()) +
          ", \"role\": " + jsonString(stringifyRole(input.getRole()));
      if (auto vec = dyn_cast<VecType>(input.getType()))
        entry += ", \"dim\": " + jsonString(vec.getDim().getValue());
      inputs += (inputs.empty() ? "    " : ",\n    ") + entry + "}";
    } else if (auto state = dyn_cast<StateOp>(op)) {
      StateType type = state.getType();
      std::string entry =
          "{\"name\": " + jsonString(state.getName()) +
          ", \"key_dim\": " + jsonString(type.getKeyDim().getValue());
      if (!type.isVector())
        entry +=
            ", \"value_dim\": " + jsonString(type.getValueDim().getValue());
      states += (states.empty() ? "    " : ",\n    ") + entry + "}";
    } else if (auto output = dyn_cast<OutputOp>(op)) {
      std::string entry = "{\"name\": " + jsonString(output.getName());
      if (auto vec = dyn_cast<VecType>(output.getValue().getType()))
        entry += ", \"dim\": " + jsonString(vec.getDim().getValue());
      outputs += (outputs.empty() ? "    " : ",\n    ") + entry + "}";
    } else if (auto scale = dyn_cast<ScaleOp>(op)) {
      scaleDefault = "1/sqrt(" + scale.getDim().str() + ")";
    }
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "{\n"
     << "  \"format\": 1,\n"
     << "  \"_generator\": \"larcc --emit=cuda (the fused sm_90a chunk "
        "kernel; docs/package-format.md)\",\n"
     << "  \"rule\": " << jsonString(rule.getSymName()) << ",\n"
     << "  \"cubin\": " << jsonString(cubinFile) << ",\n";
  if (!headerFile.empty())
    os << "  \"header\": " << jsonString(headerFile) << ",\n";
  os << "  \"arch\": \"sm_90a\",\n"
     << "  \"dims\": [" << dims << "],\n"
     << "  \"kernels\": [\n";
  for (auto [i, info] : llvm::enumerate(kernels))
    os << (i ? ",\n" : "") << manifestKernel(info);
  os << "\n  ],\n";
  if (!stages.empty())
    os << manifestStages(rule, stages);
  os << "  \"inputs\": [\n"
     << inputs << "\n  ],\n"
     << "  \"states\": [\n"
     << states << "\n  ],\n"
     << "  \"outputs\": [\n"
     << outputs << "\n  ]";
  if (!scaleDefault.empty())
    os << ",\n  \"scale_default\": " << jsonString(scaleDefault);
  os << "\n}\n";
  return text;
}
