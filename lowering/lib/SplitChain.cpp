//===- SplitChain.cpp - one rule per stage of chained recurrences ---------===//
//
// -larc-split-chain, and splitChain() for larcc's GPU packages. A state's
// stage holds its update, its reads and the outputs that depend on it last
// (design.md §2.1: "two recurrences chained through a pointwise map"); the
// reads of earlier states that it uses become its inputs. Each stage is then
// a rule of one state, which the GPU code generation plans like any other.
//
//===----------------------------------------------------------------------===//

#include "larc/Lowering/SplitChain.h"
#include "larc/Lowering/Passes.h"
#include "larc/Lowering/RecurrenceForm.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace larc {
#define GEN_PASS_DEF_LARCSPLITCHAIN
#include "larc/Lowering/Passes.h.inc"
} // namespace larc

using namespace mlir;
using namespace larc;

namespace {

/// The chain's analysis over the original rule.
struct Chain {
  SmallVector<StateOp> states;
  DenseMap<Value, unsigned> index; // state value -> position in `states`
  /// needs[x]: the other states whose reads x's update or reads depend on.
  SmallVector<llvm::BitVector> needs;
  /// deps[v]: the states whose reads the per-token value v depends on.
  DenseMap<Value, llvm::BitVector> deps;

  llvm::BitVector depsOf(Value v) const {
    auto it = deps.find(v);
    return it == deps.end() ? llvm::BitVector(states.size()) : it->second;
  }
};

Chain analyse(RuleOp rule) {
  Chain chain;
  Block &body = rule.getBody().front();
  for (StateOp state : body.getOps<StateOp>()) {
    chain.index[state.getResult()] = chain.states.size();
    chain.states.push_back(state);
  }
  unsigned n = chain.states.size();
  chain.needs.assign(n, llvm::BitVector(n));
  for (Operation &op : body) {
    llvm::BitVector d(n);
    for (Value operand : op.getOperands())
      if (!chain.index.count(operand))
        d |= chain.depsOf(operand);
    if (Value state = stateRead(&op)) {
      unsigned x = chain.index.lookup(state);
      chain.needs[x] |= d; // the read's probe
      d.set(x);
    }
    if (auto recur = dyn_cast<RecurOp>(op))
      chain.needs[chain.index.lookup(recur.getState())] |= d;
    for (Value result : op.getResults())
      chain.deps[result] = d;
  }
  for (unsigned x = 0; x < n; ++x)
    chain.needs[x].reset(x); // a state reading itself is its own recurrence
  return chain;
}

/// The states in an order where each comes after those it needs (Kahn).
FailureOr<SmallVector<unsigned>> launchOrder(const Chain &chain) {
  unsigned n = chain.states.size();
  SmallVector<unsigned> order;
  llvm::BitVector placed(n);
  while (order.size() < n) {
    bool progress = false;
    for (unsigned x = 0; x < n; ++x) {
      if (placed.test(x))
        continue;
      llvm::BitVector waiting = chain.needs[x];
      waiting.reset(placed);
      if (waiting.any())
        continue;
      order.push_back(x);
      placed.set(x);
      progress = true;
    }
    if (!progress)
      return failure();
  }
  return order;
}

/// What one stage keeps of the original rule.
struct StagePlan {
  unsigned state = 0;
  SmallVector<Operation *> roots;              // its recur and outputs
  llvm::SetVector<Operation *> ops;            // their backward slice
  llvm::SetVector<Operation *> readsIn;        // earlier states' reads used
  llvm::SetVector<Operation *> readsOut;       // its reads later stages use
};

/// The backward slice of the stage's roots, stopping at reads of other
/// states: those are the stage's intermediate inputs.
void sliceStage(const Chain &chain, StagePlan &stage) {
  SmallVector<Operation *> work(stage.roots.begin(), stage.roots.end());
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (Value state = stateRead(op);
        state && chain.index.lookup(state) != stage.state) {
      stage.readsIn.insert(op);
      continue;
    }
    if (!stage.ops.insert(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
  }
}

/// <state>_read, numbered when a state has several, unique among `taken`.
std::string intermediateName(StateOp state, unsigned j, unsigned count,
                             llvm::StringSet<> &taken) {
  std::string name = (state.getName() + "_read").str();
  if (count > 1)
    name += std::to_string(j);
  while (!taken.insert(name).second)
    name += "_";
  return name;
}

/// The rule's dims that the stage's ops mention, in the rule's order.
ArrayAttr stageDims(RuleOp stage, RuleOp rule) {
  llvm::StringSet<> used;
  auto addType = [&](Type type) {
    if (auto vec = dyn_cast<VecType>(type))
      used.insert(vec.getDim().getValue());
    if (auto mat = dyn_cast<MatType>(type)) {
      used.insert(mat.getRows().getValue());
      used.insert(mat.getCols().getValue());
    }
    if (auto state = dyn_cast<StateType>(type)) {
      used.insert(state.getKeyDim().getValue());
      if (!state.isVector())
        used.insert(state.getValueDim().getValue());
    }
  };
  for (Operation &op : stage.getBody().front()) {
    for (Type type : op.getOperandTypes())
      addType(type);
    for (Type type : op.getResultTypes())
      addType(type);
    if (auto scale = dyn_cast<ScaleOp>(op))
      used.insert(scale.getDim());
  }
  SmallVector<Attribute> dims;
  for (Attribute dim : rule.getDims())
    if (used.contains(cast<StringAttr>(dim).getValue()))
      dims.push_back(dim);
  return ArrayAttr::get(rule.getContext(), dims);
}

/// Clones `rule` after `after` as the stage rule of `stage`.
RuleOp buildStage(RuleOp rule, Operation *after, unsigned position,
                  const StagePlan &stage,
                  const DenseMap<Operation *, std::string> &names) {
  OpBuilder b(rule.getContext());
  b.setInsertionPointAfter(after);
  IRMapping map;
  auto clone = cast<RuleOp>(b.clone(*rule, map));
  clone.setSymName((rule.getSymName() + "_s" + Twine(position)).str());
  clone->setAttr(kStageOfAttr, rule.getSymNameAttr());
  Block &body = clone.getBody().front();

  // Earlier stages' reads arrive as inputs, after the rule's own.
  Operation *lastInput = nullptr;
  for (InputOp input : body.getOps<InputOp>())
    lastInput = input;
  for (Operation *read : stage.readsIn) {
    if (lastInput)
      b.setInsertionPointAfter(lastInput);
    else
      b.setInsertionPointToStart(&body);
    Value result = read->getResult(0);
    auto input = InputOp::create(b, read->getLoc(), result.getType(),
                                 names.lookup(read), Role::Query);
    map.lookup(result).replaceAllUsesWith(input.getResult());
    lastInput = input;
  }
  // Later stages' reads leave as outputs.
  b.setInsertionPointToEnd(&body);
  for (Operation *read : stage.readsOut)
    OutputOp::create(b, read->getLoc(), names.lookup(read),
                     map.lookup(read->getResult(0)));
  // Everything else of the rule goes, users before their operands.
  llvm::DenseSet<Operation *> keep;
  for (Operation *op : stage.ops)
    keep.insert(map.lookup(op));
  SmallVector<Operation *> doomed;
  for (Operation &op : llvm::reverse(body))
    if (!keep.contains(&op) && !isa<InputOp, OutputOp>(op))
      doomed.push_back(&op);
  for (Operation &op : body)
    if (auto output = dyn_cast<OutputOp>(op))
      if (!keep.contains(&op) &&
          !llvm::any_of(stage.readsOut, [&](Operation *read) {
            return map.lookup(read->getResult(0)) == output.getValue();
          }))
        doomed.insert(doomed.begin(), &op);
  for (Operation *op : doomed) {
    op->dropAllUses();
    op->erase();
  }
  for (InputOp input : llvm::make_early_inc_range(body.getOps<InputOp>()))
    if (input->use_empty())
      input->erase();
  clone.setDimsAttr(stageDims(clone, rule));
  if (auto derived = rule->getAttrOfType<DictionaryAttr>("derived_dims")) {
    SmallVector<NamedAttribute> kept;
    for (NamedAttribute def : derived)
      if (clone.hasDim(def.getName().getValue()))
        kept.push_back(def);
    clone->setAttr("derived_dims", DictionaryAttr::get(rule.getContext(),
                                                       kept));
  }
  return clone;
}

} // namespace

FailureOr<SmallVector<RuleOp>> larc::splitChain(RuleOp rule) {
  Chain chain = analyse(rule);
  if (llvm::none_of(chain.needs,
                    [](const llvm::BitVector &needs) { return needs.any(); }))
    return SmallVector<RuleOp>{};
  // A vector state that a matrix state reads runs inside that state's
  // kernel (a scan ahead of its prologue, or a rider), not as a stage.
  if (llvm::any_of(chain.states,
                   [](StateOp state) { return state.getType().isVector(); }))
    return SmallVector<RuleOp>{};
  FailureOr<SmallVector<unsigned>> order = launchOrder(chain);
  if (failed(order))
    return rule.emitError() << "the states of rule @" << rule.getSymName()
                            << " read each other's reads in a cycle; they "
                               "cannot run as stages";

  // Stages in launch order; each output joins the stage of the last state
  // it depends on (the first stage if none).
  SmallVector<StagePlan> stages(order->size());
  DenseMap<unsigned, unsigned> stageOf;
  for (auto [i, x] : llvm::enumerate(*order)) {
    stages[i].state = x;
    stageOf[x] = i;
  }
  Block &body = rule.getBody().front();
  for (Operation &op : body) {
    if (auto recur = dyn_cast<RecurOp>(op))
      stages[stageOf.lookup(chain.index.lookup(recur.getState()))]
          .roots.push_back(&op);
    if (auto output = dyn_cast<OutputOp>(op)) {
      unsigned last = 0;
      llvm::BitVector deps = chain.depsOf(output.getValue());
      for (unsigned x : deps.set_bits())
        last = std::max(last, stageOf.lookup(x));
      stages[last].roots.push_back(&op);
    }
  }
  for (StagePlan &stage : stages)
    sliceStage(chain, stage);

  // Name the intermediates: every read some stage takes from an earlier one.
  llvm::StringSet<> taken;
  for (Operation &op : body) {
    if (auto input = dyn_cast<InputOp>(op))
      taken.insert(input.getName());
    if (auto output = dyn_cast<OutputOp>(op))
      taken.insert(output.getName());
  }
  DenseMap<Operation *, std::string> names;
  for (StagePlan &stage : stages)
    for (Operation *read : stage.readsIn)
      stages[stageOf.lookup(chain.index.lookup(stateRead(read)))]
          .readsOut.insert(read);
  // A stage computes the reads it hands on: they join its slice.
  for (StagePlan &stage : stages) {
    stage.roots.append(stage.readsOut.begin(), stage.readsOut.end());
    sliceStage(chain, stage);
  }
  for (StagePlan &stage : stages)
    for (auto [j, read] : llvm::enumerate(stage.readsOut))
      names[read] = intermediateName(chain.states[stage.state], j,
                                     stage.readsOut.size(), taken);

  SmallVector<RuleOp> rules;
  Operation *after = rule;
  for (auto [i, stage] : llvm::enumerate(stages)) {
    RuleOp built = buildStage(rule, after, i, stage, names);
    if (failed(mlir::verify(built))) {
      built.erase();
      for (RuleOp done : rules)
        done.erase();
      return rule.emitError() << "splitting rule @" << rule.getSymName()
                              << " into stages produced an invalid rule";
    }
    rules.push_back(built);
    after = built;
  }
  return rules;
}

namespace {

struct SplitChainPass : larc::impl::LarcSplitChainBase<SplitChainPass> {
  using Base::Base;

  void runOnOperation() override {
    for (RuleOp rule :
         llvm::make_early_inc_range(getOperation().getOps<RuleOp>()))
      if (!rule->hasAttr(kStageOfAttr) && failed(splitChain(rule)))
        signalPassFailure();
  }
};

} // namespace
