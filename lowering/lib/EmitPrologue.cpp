//===- EmitPrologue.cpp - a rule's per-token ops as CUDA code
//--------------===//
//
// Prints the per-token larc ops that compute a rule's chunk operands (each
// term's direction a and data x, the log-decay g, the readout probe q) as
// CUDA C++ for one token row, evaluated by the kRowLanes lanes that share it
// (32 / kRowLanes rows a warp): a vector over a dim of size d is a
// `float name[d / kRowLanes]` array laid out by LaneRow (rowColumn); a scalar
// is one float, the same in each of the row's lanes. Elementwise ops become
// one loop over the lane's elements; larc.l2norm, larc.softmax and larc.dot
// reductions over the row's lanes; larc.scale reads p.scale and
// larc.head_index the CTA's head. Values that depend on no input (a constant
// or per-head decay) are hoisted out of the chunk loop. Generated from the
// rule's op DAG: a new rule needs no new C++.
//
//===----------------------------------------------------------------------===//

#include "EmitCudaInternal.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace larc;
using namespace larc::cudagen;

/// The shortest float literal that reads back as `value` in single precision.
std::string cudagen::floatLiteral(double value) {
  char buf[48];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (float(std::strtod(buf, nullptr)) == float(value))
      break;
  }
  std::string text = buf;
  if (text.find_first_of(".en") == std::string::npos)
    text += ".0";
  return text + "f";
}

/// Names the generated code uses itself; an input named like one of them
/// gets a suffix.
static bool isReservedName(StringRef name) {
  static const llvm::StringSet<> reserved = {"p",
                                             "r",
                                             "t",
                                             "j",
                                             "c0",
                                             "c",
                                             "lane",
                                             "rowLane",
                                             "rowColumn",
                                             "warp",
                                             "sm",
                                             "smAll",
                                             "smChunk",
                                             "head",
                                             "keyHead",
                                             "seq",
                                             "batch",
                                             "bos",
                                             "eos",
                                             "count",
                                             "o",
                                             "s",
                                             "v0",
                                             "bLast",
                                             "carver",
                                             "smemRaw",
                                             "float",
                                             "int",
                                             "double",
                                             "char",
                                             "auto",
                                             "const",
                                             "if",
                                             "else",
                                             "for",
                                             "do",
                                             "while",
                                             "return",
                                             "switch",
                                             "case",
                                             "default",
                                             "new",
                                             "delete",
                                             "this",
                                             "true",
                                             "false",
                                             "class",
                                             "struct",
                                             "union",
                                             "enum",
                                             "template",
                                             "typename",
                                             "namespace",
                                             "using",
                                             "static",
                                             "extern",
                                             "inline",
                                             "register",
                                             "signed",
                                             "unsigned",
                                             "short",
                                             "long",
                                             "void",
                                             "bool",
                                             "goto",
                                             "break",
                                             "continue",
                                             "sizeof",
                                             "operator",
                                             "private",
                                             "public",
                                             "protected",
                                             "friend",
                                             "virtual",
                                             "volatile",
                                             "mutable",
                                             "explicit",
                                             "export",
                                             "bf16",
                                             "fp16",
                                             "ss",
                                             "inv",
                                             "i",
                                             "e",
                                             "m",
                                             "tid",
                                             "initial",
                                             "finalState",
                                             "stateDecay",
                                             "scores",
                                             "probs",
                                             "larcSmem",
                                             "Accum",
                                             "AFrag",
                                             "Shared",
                                             "kChunk",
                                             "kKeyDim",
                                             "kValueDim",
                                             "loadedParity",
                                             "tensorMap",
                                             "loadRow",
                                             "storeRow",
                                             "zeroRow",
                                             "tokenRow",
                                             "toFloat",
                                             "stateAt",
                                             "decayRowsToEnd",
                                             "applyStrictDecayMask",
                                             "applyStrictMask",
                                             "storeMatrix",
                                             "invertUnitLower",
                                             "scaleRowsExp",
                                             "storeOutputRows",
                                             "segments",
                                             "segment",
                                             "carriesValues",
                                             "segmentLogDecay",
                                             "ws",
                                             "wsRow",
                                             "out",
                                             "run",
                                             "Workspace",
                                             "SegmentWorkspace",
                                             "combineSegments",
                                             "larc",
                                             "larc_kernel",
                                             "mbarrier",
                                             "tma",
                                             "wgmma",
                                             "exp_fast",
                                             "expf",
                                             "logf",
                                             "powf",
                                             "sqrtf",
                                             "rsqrtf",
                                             "fmaxf",
                                             "fminf",
                                             "z",
                                             "next",
                                             "log1pf",
                                             "expm1f",
                                             "fabsf",
                                             "warp_allreduce",
                                             "SumOp"};
  if (reserved.contains(name) ||
      (name.size() > 1 && name[0] == 'k' && llvm::isUpper(name[1])) ||
      name.starts_with("LARC") || name.starts_with("__"))
    return true;
  // Temporaries: t0, t1, ...; in element loops i_0, e_0, ...
  if (name.starts_with("i_") || name.starts_with("e_"))
    return true;
  return name.starts_with("t") && name.size() > 1 &&
         llvm::all_of(name.drop_front(), llvm::isDigit);
}

std::string cudagen::perLaneCount(const DimNames &dims, VecType type) {
  StringRef dim = type.getDim().getValue();
  if (dim == dims.key)
    return "kKeyPerLane";
  if (dim == dims.value)
    return "kValuePerLane";
  return "kPerLane" + dim.str();
}

/// "if (<element j's column> < d) " where a vector over `type`'s dim is
/// padded (d not a multiple of 64): the guard of a sum over its elements,
/// whose padding is not zero after an elementwise op such as exp.
static std::string paddingGuard(const DimNames &dims, VecType type) {
  int64_t size = dims.size(type.getDim().getValue());
  if (size % 64 == 0)
    return "";
  return llvm::formatv("if (rowColumn<{0}>(j) < {1}) ",
                       perLaneCount(dims, type), size)
      .str();
}

/// The elementwise ops, which commute with indexing (kron and concat read
/// their operands element by element through them).
static bool isElementwise(Operation *op) {
  return isa<NegOp, ExpOp, LogOp, SqrtOp, SigmoidOp, SoftplusOp, ReluOp, EluOp,
             SiluOp, AbsOp, AddOp, SubOp, MulOp, DivOp, PowOp, MinOp, MaxOp>(
      op);
}

bool cudagen::isValueSide(InputOp input) {
  return input.getRole() != Role::Query && input.getRole() != Role::Key;
}

std::string cudagen::inputElementType(InputOp input) {
  return input.getRole() == Role::LogGate || input.getRole() == Role::Gate
             ? "float"
             : "bf16";
}

PrologueEmitter::PrologueEmitter(RuleOp rule, const DimNames &dims,
                                 StringRef tempPrefix)
    : rule(rule), dims(dims), tempPrefix(tempPrefix.str()) {
  unsigned index = 0;
  for (Operation &op : rule.getBody().front())
    if (auto input = dyn_cast<InputOp>(op))
      inputIndex[input] = index++;
}

LogicalResult PrologueEmitter::collect(Value value) {
  if (names.count(value))
    return success();
  if (sharedVectors.count(value)) { // a leaf, per token like an input row
    names[value] = llvm::formatv("{0}{1}", tempPrefix, nextTemp++).str();
    order.push_back(value);
    return success();
  }
  Operation *def = value.getDefiningOp();
  if (!def)
    return emitError(rule.getLoc())
           << "GPU code generation does not handle block arguments yet";
  if (isa<MatType, StateType>(value.getType()))
    return def->emitOpError()
           << "GPU code generation does not handle a per-token matrix here";
  if (isa<VecType>(value.getType()) &&
      dims.size(cast<VecType>(value.getType()).getDim().getValue()) <= 0)
    return def->emitOpError()
           << "GPU code generation does not handle vectors over dim '"
           << cast<VecType>(value.getType()).getDim().getValue()
           << "' without a size yet";
  if (isa<KronOp, ConcatOp>(def)) {
    // Computed element by element from its operands' elements (emitValue).
    if (failed(collectIndexed(def)))
      return failure();
    names[value] = llvm::formatv("{0}{1}", tempPrefix, nextTemp++).str();
    order.push_back(value);
    return success();
  }
  bool dependsOnInput = isa<InputOp>(def);
  if (!isa<InputOp>(def)) {
    if (!isElementwise(def) &&
        !isa<ConstantOp, HeadIndexOp, ScaleOp, L2NormOp, SoftmaxOp, DotOp>(def))
      return def->emitOpError()
             << "GPU code generation does not handle this op in a per-token "
                "prologue yet";
    for (Value operand : def->getOperands()) {
      if (failed(collect(operand)))
        return failure();
      dependsOnInput |= !uniform.count(operand);
    }
  }
  // Only scalars are hoisted; a vector always comes from an input anyway.
  if (!dependsOnInput && isa<ScalarType>(value.getType()))
    uniform.insert(value);
  if (auto input = dyn_cast<InputOp>(def)) {
    names[value] = inputName(input);
  } else {
    names[value] = llvm::formatv("{0}{1}", tempPrefix, nextTemp++).str();
  }
  order.push_back(value);
  return success();
}

static std::string unaryExpr(Operation *op, const std::string &x);
static std::string binaryExpr(Operation *op, const std::string &x,
                              const std::string &y);

LogicalResult PrologueEmitter::collectIndexed(Operation *op) {
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (!isa<VecType>(operand.getType()) || isa_and_nonnull<InputOp>(def)) {
      if (failed(collect(operand)))
        return failure();
      continue;
    }
    if (def && (isa<KronOp, ConcatOp>(def) || isElementwise(def))) {
      if (failed(collectIndexed(def)))
        return failure();
      continue;
    }
    return (def ? def : op)->emitOpError()
           << "GPU code generation reads the operands of kron and concat "
              "only from inputs and elementwise maps of them yet";
  }
  return success();
}

std::string PrologueEmitter::elementAt(CodeWriter &w, Value value,
                                       const std::string &index,
                                       unsigned &counter) const {
  if (!isa<VecType>(value.getType()))
    return ref(value);
  Operation *def = value.getDefiningOp();
  if (auto input = dyn_cast<InputOp>(def)) {
    std::string tile = sharedRows.lookup(input);
    if (!tile.empty())
      return llvm::formatv("toFloat({0}.at(r, {1}))", tile, index);
    return llvm::formatv("(valid ? toFloat({0}[{1}]) : 0.0f)",
                         globalRow(input, "t"), index);
  }
  if (auto kron = dyn_cast<KronOp>(def)) {
    // (a ⊗ b)_i = a_{i / |B|} b_{i % |B|}
    int64_t size =
        dims.size(cast<VecType>(kron.getRhs().getType()).getDim().getValue());
    std::string lhs = llvm::formatv("i_{0}", counter++).str();
    std::string rhs = llvm::formatv("i_{0}", counter++).str();
    w.line(llvm::formatv("const int {0} = {2} / {3}, {1} = {2} % {3};", lhs,
                         rhs, index, size));
    std::string a = elementAt(w, kron.getLhs(), lhs, counter);
    std::string b = elementAt(w, kron.getRhs(), rhs, counter);
    return "(" + a + " * " + b + ")";
  }
  if (auto concat = dyn_cast<ConcatOp>(def)) {
    // One branch per piece, by the range of i it covers.
    std::string result = llvm::formatv("e_{0}", counter++).str();
    w.line("float " + result + " = 0.0f;");
    int64_t offset = 0;
    for (auto [n, piece] : llvm::enumerate(concat.getInputs())) {
      auto vec = dyn_cast<VecType>(piece.getType());
      int64_t size = vec ? dims.size(vec.getDim().getValue()) : 1;
      std::string test =
          llvm::formatv("if ({0} < {1}) {{", index, offset + size);
      if (n == 0)
        w.open(test);
      else
        w.reopen("} else " + test);
      std::string local = index;
      if (offset) {
        local = llvm::formatv("i_{0}", counter++).str();
        w.line(
            llvm::formatv("const int {0} = {1} - {2};", local, index, offset));
      }
      w.line(result + " = " + elementAt(w, piece, local, counter) + ";");
      offset += size;
    }
    w.close();
    return result;
  }
  std::string expr;
  if (def->getNumOperands() == 1)
    expr = unaryExpr(def, elementAt(w, def->getOperand(0), index, counter));
  else
    expr = binaryExpr(def, elementAt(w, def->getOperand(0), index, counter),
                      elementAt(w, def->getOperand(1), index, counter));
  return "(" + expr + ")";
}

std::string PrologueEmitter::inputName(InputOp input) {
  std::string name = input.getName().str();
  for (char &ch : name)
    if (!llvm::isAlnum(ch) && ch != '_')
      ch = '_';
  if (isReservedName(name))
    name += "_in";
  return name;
}

std::string PrologueEmitter::ref(Value value, bool element) const {
  std::string name = names.lookup(value);
  if (element && isa<VecType>(value.getType()))
    return name + "[j]";
  return name;
}

/// The expression of one element of an elementwise op's result.
static std::string unaryExpr(Operation *op, const std::string &x) {
  return TypeSwitch<Operation *, std::string>(op)
      .Case([&](NegOp) { return "-" + x; })
      .Case([&](ExpOp) { return "expf(" + x + ")"; })
      .Case([&](LogOp) { return "logf(" + x + ")"; })
      .Case([&](SqrtOp) { return "sqrtf(" + x + ")"; })
      .Case([&](SigmoidOp) { return "1.0f / (1.0f + expf(-" + x + "))"; })
      .Case([&](SiluOp) { return x + " / (1.0f + expf(-" + x + "))"; })
      .Case([&](ReluOp) { return "fmaxf(" + x + ", 0.0f)"; })
      .Case([&](AbsOp) { return "fabsf(" + x + ")"; })
      .Case([&](SoftplusOp) {
        // max(x, 0) + log1p(e^{-|x|}) does not overflow for large x.
        return "fmaxf(" + x + ", 0.0f) + log1pf(expf(-fabsf(" + x + ")))";
      })
      .Case([&](EluOp) {
        return "(" + x + " > 0.0f ? " + x + " : expm1f(" + x + "))";
      })
      .Default([](Operation *) { return std::string(); });
}

static std::string binaryExpr(Operation *op, const std::string &x,
                              const std::string &y) {
  return TypeSwitch<Operation *, std::string>(op)
      .Case([&](AddOp) { return x + " + " + y; })
      .Case([&](SubOp) { return x + " - " + y; })
      .Case([&](MulOp) { return x + " * " + y; })
      .Case([&](DivOp) { return x + " / " + y; })
      .Case([&](PowOp) { return "powf(" + x + ", " + y + ")"; })
      .Case([&](MinOp) { return "fminf(" + x + ", " + y + ")"; })
      .Case([&](MaxOp) { return "fmaxf(" + x + ", " + y + ")"; })
      .Default([](Operation *) { return std::string(); });
}

void PrologueEmitter::emitValue(CodeWriter &w, Value value) const {
  Operation *def = value.getDefiningOp();
  std::string name = names.lookup(value);
  std::string comment = renderExpression(value);
  auto vec = dyn_cast<VecType>(value.getType());
  std::string n = vec ? perLaneCount(dims, vec) : "";

  if (std::string array = sharedVectors.lookup(value); !array.empty()) {
    w.line(llvm::formatv("float {0}[{1}]; // {2} (scanned)", name, n, comment));
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {1}[j] = "
                         "{2}[r][rowColumn<{0}>(j)];",
                         n, name, array));
    return;
  }
  if (auto input = dyn_cast<InputOp>(def)) {
    std::string row = globalRow(input, "t");
    w.line(llvm::formatv("// {0} : {1}{2}", input.getName(),
                         stringifyRole(input.getRole()),
                         vec ? "[" + vec.getDim().getValue().str() + "]" : ""));
    if (vec) {
      w.line(llvm::formatv("float {0}[{1}];", name, n));
      std::string tile = sharedRows.lookup(input);
      if (!tile.empty())
        w.line(llvm::formatv("loadRow({0}, {1}, r); // (landed by TMA)", name,
                             tile));
      else if (int64_t size = dims.size(vec.getDim().getValue()); size % 64)
        w.line(llvm::formatv("loadRow({0}, {1}, valid, {2}); // {2} of {3}",
                             name, row, size,
                             dims.padded(vec.getDim().getValue())));
      else
        w.line(llvm::formatv("loadRow({0}, {1}, valid);", name, row));
    } else if (std::string array = sharedScalars.lookup(input);
               !array.empty()) {
      w.line(llvm::formatv("const float {0} = {1}[r]; // (prefetched)", name,
                           array));
    } else {
      w.line(llvm::formatv("const float {0} = toFloat(*{1});", name, row));
    }
    return;
  }
  if (auto cst = dyn_cast<ConstantOp>(def)) {
    w.line(llvm::formatv("const float {0} = {1};", name,
                         floatLiteral(cst.getValue().convertToDouble())));
    return;
  }
  if (isa<HeadIndexOp>(def)) {
    w.line(llvm::formatv("const float {0} = float(head); // head", name));
    return;
  }
  if (auto scale = dyn_cast<ScaleOp>(def)) {
    w.line(llvm::formatv("const float {0} = p.scale; // scale({1})", name,
                         scale.getDim()));
    return;
  }
  if (isa<KronOp, ConcatOp>(def)) {
    // Element by element: lane l's element j is column c of the row
    // (LaneRow), read from the operands' elements at c; zero from d on.
    w.line(llvm::formatv("// {0} = {1}", name, comment));
    w.line(llvm::formatv("float {0}[{1}];", name, n));
    w.open(llvm::formatv("LARC_FOR_LANE(j, {0}) {{", n));
    w.line(llvm::formatv("const int c = rowColumn<{0}>(j);", n));
    w.line("float e = 0.0f;");
    w.open(
        llvm::formatv("if (c < {0}) {{", dims.size(vec.getDim().getValue())));
    unsigned counter = 0;
    std::string element = elementAt(w, value, "c", counter);
    w.line("e = " + element + ";");
    w.close();
    w.line(name + "[j] = e;");
    w.close();
    return;
  }
  if (auto norm = dyn_cast<L2NormOp>(def)) {
    // l2norm(x) = x / sqrt(x.x + eps): a warp reduction of the row.
    Value x = norm.getX();
    w.line(llvm::formatv("// {0} = {1}", name, comment));
    w.line(llvm::formatv("float {0}[{1}];", name, n));
    w.open("{");
    w.line("float ss = 0.0f;");
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {2}ss += {1} * {1};", n,
                         ref(x, true), paddingGuard(dims, vec)));
    w.line(
        llvm::formatv("const float inv = rsqrtf(warp_allreduce<kRowLanes>(ss, "
                      "SumOp{{}) + {0});",
                      floatLiteral(norm.getEps().convertToDouble())));
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {1}[j] = {2} * inv;", n, name,
                         ref(x, true)));
    w.close("}");
    return;
  }
  if (auto softmax = dyn_cast<SoftmaxOp>(def)) {
    // e^{x − max x} / Σ e^{x − max x}: two warp reductions of the row.
    std::string x = ref(softmax.getX(), true);
    w.line(llvm::formatv("// {0} = {1}", name, comment));
    w.line(llvm::formatv("float {0}[{1}];", name, n));
    w.open("{");
    w.line("float top = -INFINITY;");
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {2}top = fmaxf(top, {1});", n,
                         x, paddingGuard(dims, vec)));
    w.line("top = warp_allreduce<kRowLanes>(top, MaxOp{});");
    w.line("float sum = 0.0f;");
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {3}sum += {1}[j] = expf({2} - "
                         "top);",
                         n, name, x, paddingGuard(dims, vec)));
    w.line("const float inv = 1.0f / warp_allreduce<kRowLanes>(sum, SumOp{});");
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {1}[j] *= inv;", n, name));
    w.close("}");
    return;
  }
  if (auto dot = dyn_cast<DotOp>(def)) {
    auto type = cast<VecType>(dot.getLhs().getType());
    w.line(llvm::formatv("// {0} = {1}", name, comment));
    w.line(llvm::formatv("float {0} = 0.0f;", name));
    w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {4}{1} += {2} * {3};",
                         perLaneCount(dims, type), name,
                         ref(dot.getLhs(), true), ref(dot.getRhs(), true),
                         paddingGuard(dims, type)));
    w.line(
        llvm::formatv("{0} = warp_allreduce<kRowLanes>({0}, SumOp{{});", name));
    return;
  }
  std::string expr;
  if (def->getNumOperands() == 1)
    expr = unaryExpr(def, ref(def->getOperand(0), true));
  else
    expr = binaryExpr(def, ref(def->getOperand(0), true),
                      ref(def->getOperand(1), true));
  if (!vec) {
    w.line(llvm::formatv("const float {0} = {1}; // {2}", name, expr, comment));
    return;
  }
  w.line(llvm::formatv("float {0}[{1}]; // {2}", name, n, comment));
  w.line(llvm::formatv("LARC_FOR_LANE(j, {0}) {1}[j] = {2};", n, name, expr));
}

std::string PrologueEmitter::globalRow(InputOp input, StringRef token) const {
  return llvm::formatv("tokenRow<{0}>(p.inputs[{1}], batch, {2}, {3})",
                       inputElementType(input), inputIndex.lookup(input), token,
                       isValueSide(input) ? "head" : "keyHead");
}

SmallVector<InputOp> PrologueEmitter::inputs() const {
  SmallVector<InputOp> result;
  RuleOp ruleOp = rule;
  for (Operation &op : ruleOp.getBody().front())
    if (auto input = dyn_cast<InputOp>(op))
      if (names.count(input.getResult()))
        result.push_back(input);
  return result;
}

bool PrologueEmitter::holdsVectorsOver(StringRef dim) const {
  return llvm::any_of(order, [&](Value value) {
    auto vec = dyn_cast<VecType>(value.getType());
    return vec && vec.getDim().getValue() == dim;
  });
}

void PrologueEmitter::emitUniform(CodeWriter &w) const {
  for (Value value : order)
    if (uniform.count(value))
      emitValue(w, value);
}

void PrologueEmitter::emitPerToken(CodeWriter &w) const {
  for (Value value : order)
    if (!uniform.count(value))
      emitValue(w, value);
}
