/*===- LaunchParamsC.c - The launch and C ABI headers compile as C --------===*
 *
 * Generated code and C programs include these headers; this file keeps them
 * plain C11 and reports the layout C sees, which LaunchParamsTest compares
 * with C++'s.
 *
 *===----------------------------------------------------------------------===*/

#include "larc/runtime/CApi.h"
#include "larc/runtime/LaunchParams.h"

#include <stddef.h>

_Static_assert(offsetof(LarcLaunchParams, tensorMaps) % 128 == 0,
               "tensor maps must be 128-byte aligned");

size_t larcTestOffsetsFromC(size_t *offsets) {
  size_t n = 0;
  offsets[n++] = offsetof(LarcLaunchParams, inputs);
  offsets[n++] = offsetof(LarcLaunchParams, outputs);
  offsets[n++] = offsetof(LarcLaunchParams, initialStates);
  offsets[n++] = offsetof(LarcLaunchParams, finalStates);
  offsets[n++] = offsetof(LarcLaunchParams, cuSeqlens);
  offsets[n++] = offsetof(LarcLaunchParams, batch);
  offsets[n++] = offsetof(LarcLaunchParams, seqLen);
  offsets[n++] = offsetof(LarcLaunchParams, heads);
  offsets[n++] = offsetof(LarcLaunchParams, valueHeads);
  offsets[n++] = offsetof(LarcLaunchParams, sequences);
  offsets[n++] = offsetof(LarcLaunchParams, scale);
  offsets[n++] = offsetof(LarcLaunchParams, dims);
  offsets[n++] = offsetof(LarcLaunchParams, version);
  offsets[n++] = offsetof(LarcLaunchParams, numTensorMaps);
  offsets[n++] = offsetof(LarcLaunchParams, segments);
  offsets[n++] = offsetof(LarcLaunchParams, segmentTokens);
  offsets[n++] = offsetof(LarcLaunchParams, workspace);
  offsets[n++] = offsetof(LarcLaunchParams, chunkTiles);
  offsets[n++] = offsetof(LarcLaunchParams, tensorMaps);
  offsets[n++] = sizeof(LarcLaunchParams);
  offsets[n++] = _Alignof(LarcLaunchParams);
  offsets[n++] = sizeof(LarcTensor);
  offsets[n++] = sizeof(LarcCall);
  offsets[n++] = sizeof(LarcPlanInfo);
  return n;
}
