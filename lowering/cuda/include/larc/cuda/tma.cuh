// TMA: the bulk tensor copy engine moving boxes between global memory and
// shared memory, described by a CUtensorMap built on the host
// (larc/cuda/tensor_map.h says how, and fixes the coordinate order used here:
// coordinate 0 is the contiguous column, 1 the row, 2.. the outer dims).
//
// Pass the map to the kernel by value as `const __grid_constant__ CUtensorMap`
// and hand its address to these functions. Loads complete on an mbarrier;
// stores complete in bulk groups (store_commit / store_wait). One thread
// issues. The PTX comes from CCCL's cuda::ptx except prefetch.tensormap.
#pragma once

#include <cstdint>
#include <cuda.h> // CUtensorMap (a type only; nothing is linked)
#include <cuda/ptx>

#include "larc/cuda/barrier.cuh"
#include "larc/cuda/smem.cuh"

namespace larc::gpu::tma {
namespace ptx = ::cuda::ptx;

/// Load one box at `coords` (R = 1..5 dims) into shared memory at `dst`
/// (cp.async.bulk.tensor.Rd.shared::cta.global.tile.mbarrier::complete_tx::bytes).
/// The box's bytes count against `bar`'s expected transaction bytes; elements
/// outside the tensor arrive as zeros and count too.
template <int R>
__device__ inline void load(void *dst, const CUtensorMap *map, Barrier &bar,
                            const int32_t (&coords)[R]) {
  ptx::cp_async_bulk_tensor(ptx::space_shared, ptx::space_global, dst, map,
                            coords, &bar.word);
}

/// Store one box from shared memory at `src` to `coords`
/// (cp.async.bulk.tensor.Rd.global.shared::cta.tile.bulk_group); elements
/// outside the tensor are not written. Writes to `src` by ordinary stores need
/// fence_shared_to_async() and a barrier first.
template <int R>
__device__ inline void store(const CUtensorMap *map, const void *src,
                             const int32_t (&coords)[R]) {
  ptx::cp_async_bulk_tensor(ptx::space_global, ptx::space_shared, map, coords,
                            src);
}

/// Copy `bytes` contiguous bytes from global memory to shared memory at `dst`
/// (cp.async.bulk.shared::cta.global.mbarrier::complete_tx::bytes), no tensor
/// map: a tile kept in global memory in its shared-memory layout (swizzle
/// included) arrives ready for wgmma. Both addresses 16-byte aligned, `bytes`
/// a multiple of 16; they count against `bar`'s expected transaction bytes.
__device__ inline void load_bytes(void *dst, const void *src, uint32_t bytes,
                                  Barrier &bar) {
  ptx::cp_async_bulk(ptx::space_shared, ptx::space_global, dst, src, bytes,
                     &bar.word);
}

/// The reverse: `bytes` from shared memory at `src` to global memory
/// (cp.async.bulk.global.shared::cta.bulk_group), in the current bulk group.
/// Writes to `src` by ordinary stores need fence_shared_to_async() and a
/// barrier first.
__device__ inline void store_bytes(void *dst, const void *src, uint32_t bytes) {
  ptx::cp_async_bulk(ptx::space_global, ptx::space_shared, dst, src, bytes);
}

/// Close the current group of stores (cp.async.bulk.commit_group).
__device__ inline void store_commit() { ptx::cp_async_bulk_commit_group(); }

/// Wait until at most N committed store groups still read their shared memory
/// source, which may then be overwritten (cp.async.bulk.wait_group.read N).
template <int N = 0> __device__ inline void store_wait_read() {
  ptx::cp_async_bulk_wait_group_read(ptx::n32_t<N>{});
}

/// Wait until at most N committed store groups are still writing to global
/// memory (cp.async.bulk.wait_group N); needed before the kernel's own later
/// reads of the written data, not before exit.
template <int N = 0> __device__ inline void store_wait() {
  ptx::cp_async_bulk_wait_group(ptx::n32_t<N>{});
}

/// Order this thread's ordinary shared-memory writes before later reads by the
/// copy engine or the tensor cores (fence.proxy.async.shared::cta).
__device__ inline void fence_shared_to_async() {
  ptx::fence_proxy_async(ptx::space_shared);
}

/// Fetch the tensor map into the constant cache ahead of its first use
/// (prefetch.tensormap; not wrapped by CCCL).
__device__ inline void prefetch_map(const CUtensorMap *map) {
  asm volatile("prefetch.tensormap [%0];" ::"l"(map) : "memory");
}

/// Load a whole swizzled tile whose element (0, 0) is tensor element
/// (row, col, outer...): one box per column block. The caller arms `bar` with
/// arrive_expect_tx(bar, Tile::kBytes) (or more, for several tiles).
template <class Tile, class... Outer>
__device__ inline void load_tile(Tile &tile, const CUtensorMap *map,
                                 Barrier &bar, int row, int col,
                                 Outer... outer) {
#pragma unroll
  for (int b = 0; b < Tile::kBlocks; ++b) {
    const int32_t coords[] = {col + b * Tile::kSpan, row, int32_t(outer)...};
    load(tile.block(b), map, bar, coords);
  }
}

/// Store rows [row0, row0 + Rows) of a swizzled tile to tensor element
/// (row, col, outer...), one box of Rows rows per column block (the tensor
/// map's box), as one bulk group (committed here). Rows is a whole number of
/// 8-row swizzle atoms, so the slab starts where its swizzle pattern does.
template <int Rows, class Tile, class... Outer>
__device__ inline void store_rows(const CUtensorMap *map, const Tile &tile,
                                  int row0, int row, int col, Outer... outer) {
  static_assert(Rows % 8 == 0, "whole 8-row swizzle atoms");
#pragma unroll
  for (int b = 0; b < Tile::kBlocks; ++b) {
    const int32_t coords[] = {col + b * Tile::kSpan, row, int32_t(outer)...};
    store(map, tile.block(b) + row0 * Tile::kSpan, coords);
  }
  store_commit();
}

/// Store a whole swizzled tile to tensor element (row, col, outer...), one box
/// per column block, as one bulk group (committed here).
template <class Tile, class... Outer>
__device__ inline void store_tile(const CUtensorMap *map, const Tile &tile,
                                  int row, int col, Outer... outer) {
  store_rows<Tile::kRows>(map, tile, 0, row, col, outer...);
}

} // namespace larc::gpu::tma
