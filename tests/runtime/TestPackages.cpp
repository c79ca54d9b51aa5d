//===- TestPackages.cpp - Manifests, fake cubins and tensors for tests ----===//

#include "TestPackages.h"

#include <atomic>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace larc::test {

using namespace runtime;

std::string gatedDeltaManifest() {
  return R"json({
  "format": 1,
  "rule": "gated_delta_rule",
  "cubin": "gated_delta_rule.cubin",
  "header": "gated_delta_rule.h",
  "arch": "sm_90a",
  "_generator": "larcc (test)",
  "kernels": [
    { "name": "larc_gated_delta_rule_fwd_k128_v128_bf16",
      "dims": {"K": 128, "V": 128}, "dtype": "bf16", "chunk_size": 64,
      "block": [384, 1, 1], "shared_bytes": 200000,
      "grid": "value_tiles,heads,sequences", "value_tile": 64 },
    { "name": "larc_gated_delta_rule_fwd_k64_v64_bf16",
      "dims": {"K": 64, "V": 64}, "dtype": "bf16", "chunk_size": 64,
      "block": [256, 1, 1], "shared_bytes": 100000,
      "grid": ["value_tiles", "heads", "sequences"], "value_tile": 64 },
    { "name": "larc_gated_delta_rule_fwd_k128_v128_fp16",
      "dims": {"K": 128, "V": 128}, "dtype": "fp16", "chunk_size": 64,
      "block": [384, 1, 1], "shared_bytes": 200000,
      "grid": "value_tiles,heads,sequences", "value_tile": 64 }
  ],
  "inputs": [
    {"name": "q", "role": "query", "dim": "K"},
    {"name": "k", "role": "key", "dim": "K"},
    {"name": "v", "role": "value", "dim": "V"},
    {"name": "g", "role": "log_gate"},
    {"name": "beta", "role": "coefficient"}
  ],
  "states": [ {"name": "S", "key_dim": "K", "value_dim": "V"} ],
  "outputs": [ {"name": "o", "dim": "V"} ],
  "scale_default": "1/sqrt(K)"
})json";
}

std::string linearAttentionManifest() {
  return R"json({
  "format": 1, "rule": "linear_attention", "cubin": "la.cubin",
  "arch": "sm_90a", "dims": ["K", "V"],
  "kernels": [
    { "name": "larc_linear_attention_fwd_k64_v64_bf16",
      "dims": {"K": 64, "V": 64}, "dtype": "bf16", "block": [128, 1, 1],
      "grid": "heads,sequences" }
  ],
  "inputs": [
    {"name": "q", "role": "query", "dim": "K"},
    {"name": "k", "role": "key", "dim": "K"},
    {"name": "v", "role": "value", "dim": "V"}
  ],
  "states": [ {"name": "S", "key_dim": "K", "value_dim": "V"},
              {"name": "z", "key_dim": "K"} ],
  "outputs": [ {"name": "o", "dim": "V"} ],
  "scale_default": "1/sqrt(K)"
})json";
}

Manifest parse(const std::string &text) {
  return parseManifest(text, "test/manifest.json");
}

std::string fakeCubin() {
  std::string elf(64, '\0');
  elf[0] = 0x7f;
  elf[1] = 'E';
  elf[2] = 'L';
  elf[3] = 'F';
  elf[4] = 2;    // 64-bit
  elf[5] = 1;    // little endian
  elf[18] = 190; // EM_CUDA
  return elf;
}

TempPackage::TempPackage(const std::string &manifest,
                         const std::string &cubinName,
                         const std::string &cubin) {
  static std::atomic<int> counter{0};
  directory = (std::filesystem::temp_directory_path() /
               ("larc-runtime-test-" + std::to_string(getpid()) + "-" +
                std::to_string(counter++)))
                  .string();
  std::filesystem::create_directories(directory);
  std::ofstream(directory + "/manifest.json") << manifest;
  if (!cubinName.empty())
    std::ofstream(directory + "/" + cubinName, std::ios::binary) << cubin;
}

TempPackage::~TempPackage() {
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

TensorView cudaTensor(DType dtype, std::initializer_list<int64_t> shape,
                      uintptr_t slot) {
  return TensorView::contiguous(fakePointer(slot), dtype, shape,
                                {DeviceType::CUDA, 0});
}

Arguments gatedDeltaCall(const Manifest &manifest, int64_t B, int64_t T,
                         int64_t H, int64_t K, int64_t V) {
  Arguments args(manifest);
  args.input("q", cudaTensor(DType::BFloat16, {B, T, H, K}, 1))
      .input("k", cudaTensor(DType::BFloat16, {B, T, H, K}, 2))
      .input("v", cudaTensor(DType::BFloat16, {B, T, H, V}, 3))
      .input("g", cudaTensor(DType::Float32, {B, T, H}, 4))
      .input("beta", cudaTensor(DType::BFloat16, {B, T, H}, 5));
  return args;
}

} // namespace larc::test
