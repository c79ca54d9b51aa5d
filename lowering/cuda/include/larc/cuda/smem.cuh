// Shared-memory tiles in the 128-byte swizzled layout that TMA writes
// (CU_TENSOR_MAP_SWIZZLE_128B) and wgmma reads (descriptor layout type 1).
//
// A row-major [Rows, Cols] tile of T is stored as Cols / kSpan column blocks,
// each a row-major [Rows, kSpan] array with exactly 128 bytes per row
// (kSpan = 64 for bf16/fp16, 32 for fp32). Inside a block, the 16-byte chunk j
// of row r sits at chunk j ^ (r % 8): eight rows form one 1024-byte swizzle
// atom, so a warp reading one logical column hits eight different banks.
// The pattern is defined on address bits (bits 4-6 ^= bits 7-9), so every tile
// starts on a 1024-byte boundary and every block is a whole number of atoms.
#pragma once

#include <cstdint>

namespace larc::gpu {

/// Byte offset inside a 1024-byte-aligned region after the 128-byte swizzle:
/// the 16-byte chunk index (bits 4-6) is XORed with the row in the atom (7-9).
__host__ __device__ constexpr uint32_t swizzle128(uint32_t byte_offset) {
  return byte_offset ^ (((byte_offset >> 7) & 7u) << 4);
}

/// Shared address (the .shared window offset that PTX operands take) of a
/// generic pointer into shared memory (cvta.to.shared).
__device__ inline uint32_t smem_addr(const void *p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/// A [Rows, Cols] tile of T in the 128-byte swizzled layout described above.
template <class T, int Rows, int Cols> struct alignas(1024) SwizzledTile {
  using Elem = T;
  static constexpr int kRows = Rows, kCols = Cols;
  static constexpr int kSpan = 128 / int(sizeof(T)); // elements per block row
  static constexpr int kBlocks = Cols / kSpan;
  static constexpr int kBlockBytes = Rows * 128;
  static constexpr int kBytes = Rows * Cols * int(sizeof(T));
  static_assert(Rows % 8 == 0, "a block holds whole 8-row swizzle atoms");
  static_assert(Cols % kSpan == 0, "columns come in whole 128-byte spans");

  T data[Rows * Cols];

  /// Element index of logical (r, c) in `data`.
  __host__ __device__ static constexpr int index(int r, int c) {
    const uint32_t byte = uint32_t(r) * 128u + uint32_t(c % kSpan) * sizeof(T);
    return (c / kSpan) * (Rows * kSpan) + int(swizzle128(byte) / sizeof(T));
  }
  __device__ T &at(int r, int c) { return data[index(r, c)]; }
  __device__ const T &at(int r, int c) const { return data[index(r, c)]; }
  /// Start of column block b: one TMA box of [Rows, kSpan] lands here.
  __device__ T *block(int b) { return data + b * (Rows * kSpan); }
  __device__ const T *block(int b) const { return data + b * (Rows * kSpan); }
  __device__ uint32_t addr() const { return smem_addr(data); }
};

/// Column block b of `tile` as a [Rows, kSpan] tile of its own: the same
/// bytes in the same layout (e.g. one 64-column panel of a 128-column bf16
/// tile as a TMA store's source).
template <class T, int Rows, int Cols>
__device__ inline SwizzledTile<T, Rows, 128 / int(sizeof(T))> &
column_block(SwizzledTile<T, Rows, Cols> &tile, int b) {
  return *reinterpret_cast<SwizzledTile<T, Rows, 128 / int(sizeof(T))> *>(
      tile.block(b));
}

/// Carves typed objects out of dynamic shared memory, each aligned to its
/// type (1024 bytes for tiles). The block's dynamic-smem size must include the
/// padding: ask for sizeof of everything plus 1024.
struct SmemCarver {
  char *cursor;
  template <class T> __device__ T &take(int count = 1) {
    const uint32_t a = smem_addr(cursor);
    const uint32_t pad = (alignof(T) - a % alignof(T)) % alignof(T);
    T *p = reinterpret_cast<T *>(cursor + pad);
    cursor += pad + sizeof(T) * count;
    return *p;
  }
};

} // namespace larc::gpu
