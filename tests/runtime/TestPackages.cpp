//===- TestPackages.cpp - Manifests, fake cubins and tensors for tests ----===//

#include "TestPackages.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace larc::test {

using namespace runtime;

namespace {
std::string readManifestFile(const std::string &name) {
  std::ifstream file(std::string(LARC_TEST_MANIFESTS) + "/" + name);
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}
} // namespace

std::string gatedDeltaManifest() {
  return readManifestFile("gated_delta_rule.json");
}

std::string linearAttentionManifest() {
  return readManifestFile("linear_attention.json");
}

std::string gsaManifest() { return readManifestFile("gsa.json"); }

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

Arguments gsaCall(const Manifest &manifest, int64_t B, int64_t T, int64_t H,
                  int64_t K, int64_t V, int64_t M) {
  Arguments args(manifest);
  args.input("q", cudaTensor(DType::BFloat16, {B, T, H, K}, 1))
      .input("k", cudaTensor(DType::BFloat16, {B, T, H, K}, 2))
      .input("v", cudaTensor(DType::BFloat16, {B, T, H, V}, 3))
      .input("s", cudaTensor(DType::BFloat16, {B, T, H, M}, 4))
      .input("g", cudaTensor(DType::Float32, {B, T, H, M}, 5));
  return args;
}

} // namespace larc::test
