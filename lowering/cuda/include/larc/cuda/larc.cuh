// larc's device tile library: everything a generated kernel includes.
//   smem.cuh      128-byte swizzled shared tiles, shared-memory carving
//   barrier.cuh   mbarriers and stage/phase rings
//   tma.cuh       TMA tile loads and stores (host side: tensor_map.h)
//   wgmma.cuh     descriptors, wgmma SS/RS, tile products AB, ABt, AtB
//   fragment.cuh  accumulator and A-operand register layouts, stores, loads
//   math.cuh      fast exp, warp/quad/row reductions, warp prefix sum
//   decay.cuh     chunk cumulative gates, causal decay mask, row scaling
//   rows.cuh      bf16 pack/unpack, per-row scaling of shared tiles
//   warpgroup.cuh warpgroup index, setmaxnreg, named barriers
// segments.cuh (the sequence-split plan's workspace and combine step) needs
// larc/runtime/LaunchParams.h and is included by the kernels that split.
// Hopper only: compile with -gencode=arch=compute_90a,code=sm_90a.
#pragma once

#include "larc/cuda/barrier.cuh"
#include "larc/cuda/decay.cuh"
#include "larc/cuda/fragment.cuh"
#include "larc/cuda/math.cuh"
#include "larc/cuda/mma_tf32.cuh"
#include "larc/cuda/rows.cuh"
#include "larc/cuda/smem.cuh"
#include "larc/cuda/tma.cuh"
#include "larc/cuda/warpgroup.cuh"
#include "larc/cuda/wgmma.cuh"
