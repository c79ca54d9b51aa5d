/*===- LaunchParams.h - The one argument of every generated kernel ---------===*
 *
 * Plain C (C99 + C11 alignment), no CUDA headers: included by the runtime, by
 * generated kernels (`__global__ void k(const __grid_constant__
 * LarcLaunchParams p)`) and by applications. docs/package-format.md describes
 * every field; the offsets below are part of package format 1 and are checked
 * by static assertions here and by tests/runtime.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LARC_RUNTIME_LAUNCHPARAMS_H
#define LARC_RUNTIME_LAUNCHPARAMS_H

#include <stdint.h>

#ifdef __cplusplus
#define LARC_ALIGNAS(n) alignas(n)
#define LARC_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define LARC_ALIGNAS(n) _Alignas(n)
#define LARC_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this layout; package format 1 uses layout 1. */
#define LARC_LAUNCH_PARAMS_VERSION 1

#define LARC_MAX_INPUTS 8
#define LARC_MAX_OUTPUTS 4
#define LARC_MAX_STATES 4
#define LARC_MAX_TENSOR_MAPS 8
#define LARC_MAX_DIMS 4

/* One tensor: a device pointer and its strides in elements, outermost first,
 * in the tensor's logical layout: [B, T, H, d] for vector inputs and outputs,
 * [B, T, H] for scalar ones, [N, H, K, V] for matrix states, [N, H, K] for
 * vector states. Unused trailing strides are 0. `data` is NULL for an absent
 * tensor (no initial state: start from zeros; no final state: don't write). */
typedef struct LarcTensorRef {
  void *data;
  int64_t strides[4];
} LarcTensorRef;

/* A TMA descriptor, byte-compatible with CUDA's CUtensorMap (128 bytes,
 * 128-byte aligned): the kernel casts `&p.tensorMaps[i]` to
 * `const CUtensorMap *`. Filled by the runtime with cuTensorMapEncodeTiled for
 * the manifest's "tensor_maps"; all zeros where unused or the tensor is
 * absent or empty. */
typedef struct LarcTensorMap {
  LARC_ALIGNAS(128) uint64_t opaque[16];
} LarcTensorMap;

typedef struct LarcLaunchParams {
  LarcTensorRef inputs[LARC_MAX_INPUTS];        /* manifest "inputs" order */
  LarcTensorRef outputs[LARC_MAX_OUTPUTS];      /* manifest "outputs" order */
  LarcTensorRef initialStates[LARC_MAX_STATES]; /* manifest "states" order */
  LarcTensorRef finalStates[LARC_MAX_STATES];   /* manifest "states" order */
  /* N + 1 int32 offsets into T on the device; NULL: N = B sequences of T. */
  const int32_t *cuSeqlens;
  int64_t batch;      /* B (1 with cuSeqlens) */
  int64_t seqLen;     /* T: tokens per batch row */
  int32_t heads;      /* H: heads of query and key inputs */
  int32_t valueHeads; /* HV: heads of every other tensor; a multiple of H */
  int32_t sequences;  /* N: B, or the number of cuSeqlens segments */
  float scale;        /* the spec's `scale` (1 when the rule has none) */
  /* The kernel's dims in the manifest's "dims" order (e.g. K, V); the kernel
   * is specialised on them, they are here for assertions. */
  int32_t dims[LARC_MAX_DIMS];
  uint32_t version; /* LARC_LAUNCH_PARAMS_VERSION */
  uint32_t numTensorMaps;
  /* The sequence-split plan (docs/package-format.md, "Plans"): each sequence
   * runs as `segments` CTAs of `segmentTokens` tokens, chained through the
   * fp32 `workspace`. 0 or 1 segments and a NULL workspace: not split. These
   * fields sit in what was padding before tensorMaps, so a runtime that
   * leaves them zero launches every kernel of layout 1 as before. */
  int32_t segments;
  int32_t segmentTokens;
  float *workspace;
  /* The solve kernel's tiles (docs/package-format.md, "The solve kernel"): a
   * kernel with a "solve" entry reads one tile per chunk and value head from
   * here, which its solve kernel wrote just before it in the same call. NULL
   * for every other kernel. Also in what was padding before tensorMaps. */
  void *chunkTiles;
  LarcTensorMap tensorMaps[LARC_MAX_TENSOR_MAPS];
} LarcLaunchParams;

/* Layout 1, pinned: a change here is a new package format. */
LARC_STATIC_ASSERT(sizeof(LarcTensorRef) == 40, "LarcTensorRef layout");
LARC_STATIC_ASSERT(sizeof(LarcTensorMap) == 128, "LarcTensorMap layout");
LARC_STATIC_ASSERT(sizeof(LarcLaunchParams) == 1920, "LarcLaunchParams layout");
/* Kernel parameters are limited to 4 KiB on every driver we target. */
LARC_STATIC_ASSERT(sizeof(LarcLaunchParams) <= 4096,
                   "LarcLaunchParams exceeds the kernel parameter limit");

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LARC_RUNTIME_LAUNCHPARAMS_H */
