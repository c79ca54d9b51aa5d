// The solve kernel's tiles, one per chunk (docs/gpu-next.md, "The solve out
// of the chunk loop").
//
// For the delta-rule family each chunk needs T = (I + L)^{-1}, which depends
// on the chunk's own rows only. The package's `_solve` kernel computes it for
// every chunk of the call at once (one CTA per chunk and value head) and
// writes it to p.chunkTiles in its shared-memory layout; the chunk loop then
// loads it with one bulk copy instead of solving on its critical path.
//
// Chunk j of sequence n is slot first(n) + j:
//   dense (B rows of T tokens):     first(n) = n ⌈T / C⌉, B ⌈T / C⌉ slots;
//   varlen (cu_seqlens, T tokens):  first(n) = ⌊cu[n] / C⌋ + n, ⌊T / C⌋ + N
//                                   slots, some unused;
// injective, since ⌊a / C⌋ + ⌈l / C⌉ ≤ ⌊(a + l) / C⌋ + 1 for a sequence of l
// tokens from a. The runtime allocates slots · HV tiles (runtime/src/
// Launcher.cpp, chunkSlots); tile (slot, head) is at index slot · HV + head.
#pragma once

#include "larc/runtime/LaunchParams.h"

#include <cstdint>

namespace larc::gpu {

/// Chunks of kTokens tokens; kTileBytes per tile.
template <int kTokens, int kTileBytes> struct ChunkTiles {
  /// The slot of sequence `seq`'s first chunk.
  __device__ static int64_t first(const LarcLaunchParams &p, int seq) {
    if (p.cuSeqlens)
      return p.cuSeqlens[seq] / kTokens + seq;
    return int64_t(seq) * ((p.seqLen + kTokens - 1) / kTokens);
  }

  /// The slot of the chunk at token c0 of sequence `seq` (c0 − its first
  /// token a multiple of kTokens).
  __device__ static int64_t slot(const LarcLaunchParams &p, int seq,
                                 int64_t c0) {
    const int64_t bos = p.cuSeqlens ? p.cuSeqlens[seq] : 0;
    return first(p, seq) + (c0 - bos) / kTokens;
  }

  /// The chunk of a slot: its sequence's tokens [bos, eos) of batch row
  /// `batch`, and its own from c0 (c0 ≥ eos: a varlen slot no chunk uses).
  struct Chunk {
    int seq;
    int64_t batch, bos, eos, c0;
  };
  __device__ static Chunk of(const LarcLaunchParams &p, int64_t slot) {
    Chunk c;
    if (!p.cuSeqlens) {
      // In 32 bits (a 64-bit division is a called routine): slots and
      // chunks per sequence stay far below 2^31, the tiles being 8 KiB each.
      const int perSeq = int((p.seqLen + kTokens - 1) / kTokens);
      c.seq = int(slot) / perSeq;
      c.batch = c.seq;
      c.bos = 0;
      c.eos = p.seqLen;
      c.c0 = int64_t(int(slot) - c.seq * perSeq) * kTokens;
      return c;
    }
    // The last sequence whose first slot is at most `slot` (first(n)
    // increases with n).
    int lo = 0, hi = p.sequences - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (first(p, mid) <= slot)
        lo = mid;
      else
        hi = mid - 1;
    }
    c.seq = lo;
    c.batch = 0;
    c.bos = p.cuSeqlens[lo];
    c.eos = p.cuSeqlens[lo + 1];
    c.c0 = c.bos + (slot - first(p, lo)) * kTokens;
    return c;
  }

  /// Tile (slot, head).
  __device__ static void *tile(const LarcLaunchParams &p, int64_t slot,
                               int head) {
    return static_cast<char *>(p.chunkTiles) +
           (slot * p.valueHeads + head) * int64_t(kTileBytes);
  }
};

} // namespace larc::gpu
