//===- EmitCuda.h - CUDA C++ for sm_90a from the chunk form -----*- C++ -*-===//
//
// Lowers a rule in general form (RecurrenceForm.h) to one CUDA C++
// translation unit for Hopper (sm_90a) over larc's device tile library
// (lowering/cuda/include/larc/cuda): one fused forward kernel per (value tile,
// head, sequence) that keeps the state in registers across chunks and runs
// every chunk product on wgmma (design.md §2, §5); q, k, v land in shared
// memory by TMA.
//
// Supported: one matrix state, one sub-step, decay none / constant / scalar,
// bf16 inputs, chunk 64, K and V in {64, 128}, and either one or more rank-1
// terms a x^T without probes (additive linear attention, RetNet, simple GLA /
// Mamba-2), or exactly one term a (x - S^T y)^T with a probe (DeltaNet, Gated
// DeltaNet, Comba: the triangular solve (I + L) C = X - (Y e^{b'}) S_0 per
// chunk, T = (I + L)^{-1} by forward substitution in fp32). Anything else is
// refused with a diagnostic naming what is not supported yet.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_LOWERING_EMITCUDA_H
#define LARC_LOWERING_EMITCUDA_H

#include "larc/Lowering/RecurrenceForm.h"

#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace larc {

/// What to generate.
struct CudaOptions {
  int64_t keyDim = 128;       // |K| of the state
  int64_t valueDim = 128;     // |V| of the state
  int64_t chunkSize = 64;     // C (64 only for now)
  std::string dtype = "bf16"; // of q, k, v and the outputs (bf16 only for now)
  /// Bring each chunk's raw rows of the bf16 vector inputs (q, k, v) to
  /// shared memory with TMA (tma::load_tile, the runtime encodes the maps);
  /// false: plain coalesced loads from global memory, row by row.
  bool tma = true;
  /// Let a producer warpgroup run ahead of the state's owners where the
  /// rule and shared memory allow (KernelPlan::pipelined); false: every
  /// warpgroup runs every phase of a chunk in turn.
  bool pipeline = true;
  /// Wraps the kernel and its support code in this namespace: the stages of
  /// a chained rule (SplitChain.h) share one translation unit.
  std::string stageNamespace;
  /// Sizes of the rule's other dims by name (the inputs' feature dim K of a
  /// feature map, a derived dim's size); keyDim and valueDim size the
  /// state's own.
  std::map<std::string, int64_t> dimSizes;
};

/// How the generated kernel is launched (the manifest's kernel entry).
struct CudaKernelInfo {
  std::string name;      // larc_<rule>_fwd_k<dk>_v<dv>_<dtype>
  int64_t threads = 128; // one warpgroup
  int64_t sharedBytes = 0;
  int64_t valueTile = 64; // columns of V per CTA
  int64_t chunkSize = 64;
  std::string grid = "value_tiles,heads,sequences";
  /// Tensors given a TMA descriptor, in LarcLaunchParams.tensorMaps order.
  struct TensorMap {
    std::string tensor;
    /// Tokens per box [1, rows, 1, 64]: the chunk for an input, a warp's 16
    /// rows for the output.
    int64_t boxRows;
  };
  std::vector<TensorMap> tensorMaps;
  /// The dim name of each rule dim, in rule order, with its size.
  std::vector<std::pair<std::string, int64_t>> dims;
  /// The sequence-split plan (manifest "segments"), when the rule has one:
  /// the kernels <name>_summary and <name>_combine.
  bool segments = false;
  int64_t summaryGridX = 1;    // CTAs per segment in phase 1 (2: N and M)
  int64_t combineGridX = 1;    // phase 2: V / 32
  int64_t workspaceFloats = 0; // fp32 per (segment, value head)
  /// The solve kernel (manifest "solve"), when the rule has one: <name>_solve
  /// writes T of every chunk (solveTileBytes per chunk and value head) before
  /// the kernel runs; it has solveThreads threads (128 for each value tile;
  /// the kernel's `threads` may add a producer) and solveSharedBytes.
  bool solve = false;
  int64_t solveThreads = 0;
  int64_t solveSharedBytes = 0;
  int64_t solveTileBytes = 0;
  /// The stage it computes (manifest "stage"), or -1 in a one-kernel rule.
  int64_t stage = -1;
};

/// The kernel name for `form` under `opts`.
std::string cudaKernelName(const RuleForm &form, const CudaOptions &opts);

/// Emits the .cu translation unit of `form`'s forward kernel, or reports (at
/// the offending op) what is not supported yet and fails. Fills `info` when
/// given.
mlir::FailureOr<std::string> emitCuda(RuleForm &form, const CudaOptions &opts,
                                      CudaKernelInfo *info = nullptr);

/// The C++ header of a package: the kernel's name and launch shape, and its
/// declaration for CUDA C++ users.
std::string emitCudaHeader(const RuleForm &form, const CudaKernelInfo &info);

/// manifest.json of a package (docs/package-format.md) for `rule`: its
/// kernels, and with `stages` (splitChain's rules, in launch order) the
/// stages and the intermediates that pass between them.
std::string emitManifest(RuleOp rule, llvm::ArrayRef<CudaKernelInfo> kernels,
                         llvm::ArrayRef<RuleOp> stages,
                         llvm::StringRef cubinFile, llvm::StringRef headerFile);

} // namespace larc

#endif // LARC_LOWERING_EMITCUDA_H
