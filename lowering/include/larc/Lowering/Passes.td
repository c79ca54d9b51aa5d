//===- Passes.td - larc passes -----------------------------*- tablegen -*-===//

#ifndef LARC_LOWERING_PASSES_TD
#define LARC_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def LarcPrintClassification : Pass<"larc-print-classification", "mlir::ModuleOp"> {
  let summary = "Classify each rule's algebra and print its general form";
  let description = [{
    Runs the classification of design.md §2.1 over every `larc.rule` and
    prints, per rule, the general form it found (decay kind, sub-steps, terms
    with their direction, data and probe). A rule outside the supported
    algebra gets an error naming the term that falls outside and why.
  }];
  let dependentDialects = ["larc::LarcDialect"];
}

def LarcSplitChain : Pass<"larc-split-chain", "mlir::ModuleOp"> {
  let summary = "Split a rule of chained states into one rule per stage";
  let description = [{
    For every `larc.rule` whose states are chained (a readout or apply of one
    state feeds the update or a read of another through per-token ops, as in
    GSA), inserts after it one rule per state in dependency order, named
    `<rule>_s<i>` and marked `stage_of = "<rule>"`. A stage keeps its state's
    update, its reads and the outputs that depend on it last; each read of an
    earlier state that it uses becomes an input (`<state>_read`, role query)
    that the earlier stage writes as an output. larcc compiles each stage to
    a kernel of one package and the runtime runs them in order (design §4).
    A rule without chained states is left alone.
  }];
  let dependentDialects = ["larc::LarcDialect"];
}

def LarcDeriveChunkForm : Pass<"larc-derive-chunk-form", "mlir::ModuleOp"> {
  let summary = "Derive the chunkwise-parallel form of every rule";
  let description = [{
    Classifies each `larc.rule` (design.md §2.1) and replaces it with a
    `func.func` of the same name that runs the rule chunk by chunk: for every
    sequence and head, tiles of C tokens are loaded, the per-token prologue
    runs on whole tiles, and each state is advanced by the chunk form —
    cumulative log-decays, decay-weighted pairwise products, the unit-lower
    triangular solve when terms probe the state, the inter-chunk state pass,
    and readouts as inter-chunk plus masked intra-chunk parts.

    The function takes, in order: one token-major buffer per `larc.input`
    ([T, H, d] or [T, H]), one initial state per `larc.state` ([N, H, K, V] or
    [N, H, K]), cu_seqlens (memref<?xi64>, N + 1 offsets into T), the scale
    (NaN for 1/sqrt of the dimension), then one buffer per `larc.output` and
    one final state per `larc.state`.
  }];
  let options = [
    Option<"chunkSize", "chunk-size", "int64_t", "64",
           "tokens per chunk: 16, 32, 64 or 128">,
    Option<"dtype", "dtype", "std::string", "\"f64\"",
           "element type of the program: f64 or f32">,
  ];
  let dependentDialects = [
    "larc::LarcDialect", "larc::chunk::ChunkDialect",
    "mlir::func::FuncDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::linalg::LinalgDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect",
  ];
}

def LarcLowerChunkToLinalg : Pass<"larc-lower-chunk-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower chunk-level ops to linalg, tensor and scf for the CPU";
  let description = [{
    Rewrites every `chunk` op into upstream ops on tensors (linalg.generic,
    tensor.generate, scf.for), so the derived program runs through MLIR's own
    bufferization and LLVM lowering. The lowering favours plain loops over
    speed: the CPU path exists to check every derivation numerically.
  }];
  let dependentDialects = [
    "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
    "mlir::linalg::LinalgDialect", "mlir::arith::ArithDialect",
    "mlir::math::MathDialect", "mlir::memref::MemRefDialect",
  ];
}

#endif // LARC_LOWERING_PASSES_TD
