//===- ChunkTiles.h - The solve kernel's tiles: how many slots ------------===//
//
// A kernel with a solve kernel (Manifest.h, SolveKernel) reads one tile per
// chunk and value head that the solve kernel wrote. Chunk j of sequence n is
// slot first(n) + j (lowering/cuda/include/larc/cuda/chunk_tiles.cuh):
// n ⌈T / C⌉ + j for B rows of T tokens, ⌊cu[n] / C⌋ + n + j with cu_seqlens,
// so the slots can be counted on the host without reading the offsets.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_CHUNKTILES_H
#define LARC_RUNTIME_CHUNKTILES_H

#include <cstdint>

namespace larc::runtime {

// The slots of a call of `sequences` sequences over `batch` rows of `seqLen`
// tokens in chunks of `chunkSize` tokens: B ⌈T / C⌉, or ⌊T / C⌋ + N with
// cu_seqlens (T the packed tokens; some slots then go unused). The solve
// kernel's grid is (slots, HV, 1).
inline uint64_t chunkSlots(int64_t chunkSize, int64_t batch, int64_t seqLen,
                           int64_t sequences, bool varlen) {
  if (chunkSize < 1 || seqLen < 1)
    return 0;
  if (varlen)
    return static_cast<uint64_t>(seqLen / chunkSize + sequences);
  return static_cast<uint64_t>(batch * ((seqLen + chunkSize - 1) / chunkSize));
}

} // namespace larc::runtime

#endif // LARC_RUNTIME_CHUNKTILES_H
