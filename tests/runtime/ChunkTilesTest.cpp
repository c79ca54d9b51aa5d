//===- ChunkTilesTest.cpp - The solve kernel: manifest entry and slots ----===//

#include "TestPackages.h"

#include "larc/runtime/ChunkTiles.h"
#include "larc/runtime/Error.h"

#include <catch2/catch.hpp>

#include <random>
#include <set>

using namespace larc::runtime;
using namespace larc::test;
using Catch::Matchers::Contains;

namespace {
// The gated-delta manifest whose first kernel has a solve kernel.
const char *kSolve =
    R"("value_tile": 64, "solve": {"kernel": "gdr_solve",
       "block": [256, 1, 1], "shared_bytes": 76800, "tile_bytes": 8192} },)";

// (The test manifest's kernels have "chunk_size": 64; `chunkSize` false
// drops the first's.)
std::string withSolve(const std::string &solve = kSolve,
                      bool chunkSize = true) {
  std::string text = gatedDeltaManifest();
  const std::string from = R"("value_tile": 64 },)";
  text.replace(text.find(from), from.size(), solve);
  const std::string chunk = R"("chunk_size": 64,)";
  if (!chunkSize)
    text.erase(text.find(chunk), chunk.size());
  return text;
}

// chunk_tiles.cuh's first slot of sequence n with cu_seqlens.
int64_t firstSlot(const std::vector<int32_t> &cu, size_t n, int64_t chunk) {
  return cu[n] / chunk + static_cast<int64_t>(n);
}
} // namespace

TEST_CASE("solve: the manifest's solve kernel", "[solve]") {
  Manifest m = parse(withSolve());
  REQUIRE(m.kernels[0].solve);
  const SolveKernel &s = *m.kernels[0].solve;
  CHECK(s.name == "gdr_solve");
  CHECK(s.block == std::array<uint32_t, 3>{256, 1, 1});
  CHECK(s.sharedBytes == 76800);
  CHECK(s.tileBytes == 8192);
  CHECK(m.kernels[0].chunkSize == 64);
  CHECK_FALSE(m.kernels[1].solve);
}

TEST_CASE("solve: manifest errors name the key", "[solve]") {
  CHECK_THROWS_WITH(parse(withSolve(R"("value_tile": 64,
      "solve": {"kernel": "s", "block": [256, 1, 1], "shared_bytes": 0} },)")),
                    Contains("tile_bytes"));
  CHECK_THROWS_WITH(parse(withSolve(R"("value_tile": 64,
      "solve": {"kernel": "s", "block": [256, 1, 1], "shared_bytes": 0,
      "tile_bytes": 100} },)")),
                    Contains("tile_bytes: 100 is not a multiple of 16"));
  CHECK_THROWS_WITH(parse(withSolve(R"("value_tile": 64,
      "solve": {"kernel": "s", "block": [256, 1, 1], "shared_bytes": 0,
      "tile_bytes": 8192} },)",
                                    false)),
                    Contains("needs \"chunk_size\""));
  CHECK_THROWS_WITH(parse(withSolve(R"("value_tile": 64,
      "solve": {"kernel": "s", "block": [2048, 1, 1], "shared_bytes": 0,
      "tile_bytes": 8192} },)")),
                    Contains("block: 2048 threads; at most 1024"));
}

TEST_CASE("solve: slots of dense and varlen calls", "[solve]") {
  // Dense: B ⌈T / C⌉.
  CHECK(chunkSlots(64, 8, 2048, 8, false) == 8 * 32);
  CHECK(chunkSlots(64, 3, 1000, 3, false) == 3 * 16);
  CHECK(chunkSlots(64, 1, 1, 1, false) == 1);
  // Varlen: ⌊T / C⌋ + N.
  CHECK(chunkSlots(64, 1, 700, 4, true) == 10 + 4);
  CHECK(chunkSlots(64, 1, 0, 4, true) == 0);
  CHECK(chunkSlots(0, 1, 700, 4, true) == 0);
}

TEST_CASE("solve: varlen chunks get distinct slots below the count",
          "[solve]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t chunk = trial % 2 ? 64 : 32;
    const int sequences = 1 + static_cast<int>(rng() % 9);
    std::vector<int32_t> cu = {0};
    for (int n = 0; n < sequences; ++n) // empty ones too
      cu.push_back(cu.back() + static_cast<int32_t>(rng() % 300));
    const int64_t slots =
        static_cast<int64_t>(chunkSlots(chunk, 1, cu.back(), sequences, true));
    std::set<int64_t> used;
    for (int n = 0; n < sequences; ++n)
      for (int64_t t = cu[n]; t < cu[n + 1]; t += chunk) {
        const int64_t slot = firstSlot(cu, n, chunk) + (t - cu[n]) / chunk;
        CHECK(slot < slots);
        CHECK(used.insert(slot).second);
      }
  }
}
