//===- TestPackages.h - Manifests, fake cubins and tensors for tests ------===//

#ifndef LARC_TESTS_RUNTIME_TESTPACKAGES_H
#define LARC_TESTS_RUNTIME_TESTPACKAGES_H

#include "larc/runtime/Arguments.h"
#include "larc/runtime/Manifest.h"
#include "larc/runtime/Tensor.h"

#include <cstdint>
#include <string>

namespace larc::test {

// Manifests from tests/runtime/manifests/ (shared with test_python.py).
// The gated delta rule as in docs/package-format.md: inputs q, k, v (bf16 or
// fp16 over K, K, V), g (fp32 log-gate), beta (coefficient); state S [K, V];
// output o [V]; kernels K=V=128 and K=V=64 in bf16, K=V=128 in fp16; grid
// value_tiles (64), heads, sequences.
std::string gatedDeltaManifest();
// Linear attention with the normaliser: states S [K, V] and z [K], no gates.
std::string linearAttentionManifest();
// Gated slot attention as two stages: gsa_s0 (q, k, s, g; state hkT [M, K])
// writes the intermediate hkT_read [M], which gsa_s1 (hkT_read, v, s, g;
// state hv [M, V]) reads to write o [V]. Kernels per stage for K=V=M=64
// (stage 0 value_tile 32 with maps of q and hkT.final; stage 1 value_tile
// 64, alignment 16, maps of hkT_read and v) and K=V=128 M=64 (stage 1 with
// the split plan).
std::string gsaManifest();

runtime::Manifest parse(const std::string &text);

// The smallest file Package::load accepts as a cubin: a 64-bit ELF header
// for EM_CUDA.
std::string fakeCubin();

// A package directory under the system temp directory, removed again.
class TempPackage {
public:
  TempPackage(const std::string &manifest, const std::string &cubinName,
              const std::string &cubin);
  ~TempPackage();
  const std::string &path() const { return directory; }

private:
  std::string directory;
};

// A fake, aligned device address: validation never dereferences it.
inline void *fakePointer(uintptr_t slot) {
  return reinterpret_cast<void *>(0x7f0000000000 + slot * 0x10000000);
}

// Contiguous tensors on cuda:0 at fake addresses.
runtime::TensorView cudaTensor(runtime::DType dtype,
                               std::initializer_list<int64_t> shape,
                               uintptr_t slot);

// A valid gated-delta call: q, k [B, T, H, K], v [B, T, H, V] bf16, g and beta
// [B, T, H] (fp32, bf16).
runtime::Arguments gatedDeltaCall(const runtime::Manifest &manifest, int64_t B,
                                  int64_t T, int64_t H, int64_t K, int64_t V);

// A valid gsa call: q, k [B, T, H, K], v [B, T, H, V] bf16, s [B, T, H, M]
// bf16, g [B, T, H, M] fp32 at slots 1 to 5.
runtime::Arguments gsaCall(const runtime::Manifest &manifest, int64_t B,
                           int64_t T, int64_t H, int64_t K, int64_t V,
                           int64_t M);

} // namespace larc::test

#endif // LARC_TESTS_RUNTIME_TESTPACKAGES_H
