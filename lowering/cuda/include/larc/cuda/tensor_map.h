// Host side of TMA: building the CUtensorMap that larc's kernels load tiles
// with (larc/cuda/tma.cuh) into 128-byte swizzled shared tiles
// (larc/cuda/smem.cuh).
//
// A tensor is seen as a row-major matrix, possibly with outer dims:
// coordinate 0 is the contiguous column, 1 the row, 2.. the outer dims (head,
// batch, ...). One box is [box_rows, 128 bytes of columns] (64 bf16/fp16 or
// 32 fp32), i.e. one column block of a SwizzledTile; tma::load_tile issues one
// box per block. Boxes that stick out of the tensor (T not a multiple of the
// chunk, head dims like 100) are zero-filled on load and clipped on store.
//
// The runtime loads libcuda with dlopen and links no CUDA library, so the
// encoder is passed in: encode_tile_map(fn, &map, desc) with fn the driver's
// cuTensorMapEncodeTiled (from dlsym, cuGetProcAddress or
// cudaGetDriverEntryPointByVersion). It is a template over fn's signature, so
// this header needs no cuda.h: the enum values it passes are the driver ABI's.
#pragma once

#include <cstdint>

namespace larc::gpu {

/// Element types of a tile map; the values are CUtensorMapDataType's.
enum class TileElem : uint32_t { F16 = 6, F32 = 7, BF16 = 9 };

constexpr uint32_t tile_elem_bytes(TileElem e) {
  return e == TileElem::F32 ? 4u : 2u;
}

/// A strided tensor to cut into [box_rows, 128-byte] boxes.
struct TileMapDesc {
  TileElem elem = TileElem::BF16;
  const void *base = nullptr; // element (0, 0, ...); 16-byte aligned
  int rank = 2;               // 2..5
  uint64_t dims[5] = {};      // [0] columns, [1] rows, [2..rank) outer dims
  uint64_t strides[5] = {};   // in elements; [0] ignored (columns are
                              // contiguous); [1..rank) multiples of 16 bytes
  uint32_t box_rows = 64;     // rows per box, 1..256
};

/// The [B, T, H, D] layout of q, k, v, o (shared/design.md §4) as a rank-4
/// map: columns D, rows T (stride H*D), then head H, then batch B. A tile of
/// chunk rows [t0, t0 + box_rows) of head h, sequence b is loaded with
/// tma::load_tile(tile, map, bar, t0, d0, h, b).
inline TileMapDesc bthd_tile_map(TileElem elem, const void *base, uint64_t B,
                                 uint64_t T, uint64_t H, uint64_t D,
                                 uint32_t box_rows) {
  TileMapDesc d;
  d.elem = elem;
  d.base = base;
  d.rank = 4;
  const uint64_t dims[4] = {D, T, H, B};
  const uint64_t strides[4] = {1, H * D, D, T * H * D};
  for (int i = 0; i < 4; ++i) {
    d.dims[i] = dims[i];
    d.strides[i] = strides[i];
  }
  d.box_rows = box_rows;
  return d;
}

/// Encode `desc` into `map` (64-byte aligned) with the driver's
/// cuTensorMapEncodeTiled `encode`: 128-byte swizzle, zero fill out of
/// bounds, no interleave, 256-byte L2 promotion. Returns encode's CUresult,
/// or CUDA_ERROR_INVALID_VALUE (1) without calling it when desc breaks a TMA
/// rule checked here (rank, alignment, stride multiples, box size).
template <class Result, class Map, class DType, class Rank, class Addr,
          class Dim, class Stride, class Box, class EStride, class Interleave,
          class Swizzle, class L2, class Oob>
Result encode_tile_map(Result (*encode)(Map *, DType, Rank, Addr, const Dim *,
                                        const Stride *, const Box *,
                                        const EStride *, Interleave, Swizzle,
                                        L2, Oob),
                       Map *map, const TileMapDesc &desc) {
  const Result invalid = static_cast<Result>(1);
  const uint64_t bytes = tile_elem_bytes(desc.elem);
  if (desc.rank < 2 || desc.rank > 5 || desc.box_rows < 1 ||
      desc.box_rows > 256 || reinterpret_cast<uintptr_t>(desc.base) % 16 != 0)
    return invalid;
  Dim dims[5];
  Stride strides[4]; // bytes, for dims 1..rank-1
  Box box[5];
  EStride element_strides[5];
  for (int i = 0; i < desc.rank; ++i) {
    if (desc.dims[i] == 0)
      return invalid;
    dims[i] = static_cast<Dim>(desc.dims[i]);
    box[i] = 1;
    element_strides[i] = 1;
    if (i > 0) {
      const uint64_t s = desc.strides[i] * bytes;
      if (s % 16 != 0 || s >= (uint64_t(1) << 40))
        return invalid;
      strides[i - 1] = static_cast<Stride>(s);
    }
  }
  box[0] = static_cast<Box>(128 / bytes); // one swizzle span
  box[1] = static_cast<Box>(desc.box_rows);
  return encode(map, static_cast<DType>(desc.elem),
                static_cast<Rank>(desc.rank), const_cast<void *>(desc.base),
                dims, strides, box, element_strides,
                static_cast<Interleave>(0), // CU_TENSOR_MAP_INTERLEAVE_NONE
                static_cast<Swizzle>(3),    // CU_TENSOR_MAP_SWIZZLE_128B
                static_cast<L2>(3),   // CU_TENSOR_MAP_L2_PROMOTION_L2_256B
                static_cast<Oob>(0)); // CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE
}

} // namespace larc::gpu
