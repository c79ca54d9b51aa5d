//===- Package.cpp - Read a package directory -----------------------------===//

#include "larc/runtime/Package.h"

#include "Fail.h"
#include "Launcher.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace larc::runtime {

namespace {

std::string readFile(const std::string &path, const char *what) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail("{}: cannot open the {}: {}", path, what, std::strerror(errno));
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

// A cubin is a 64-bit ELF for EM_CUDA; anything else (a PTX file, a fatbin,
// a truncated copy) fails here, by file name, instead of in the driver.
void checkCubin(const std::string &bytes, const std::string &path) {
  constexpr unsigned kElfMachineCuda = 190;
  if (bytes.size() < 64 || bytes.compare(0, 4,
                                         "\x7f"
                                         "ELF") != 0)
    fail("{}: not a cubin (expected an ELF file, got {} bytes that do not "
         "start with \\x7fELF)",
         path, bytes.size());
  if (bytes[4] != 2)
    fail("{}: not a cubin (a 32-bit ELF; cubins are 64-bit)", path);
  unsigned machine = static_cast<unsigned char>(bytes[18]) |
                     static_cast<unsigned char>(bytes[19]) << 8;
  if (machine != kElfMachineCuda)
    fail("{}: not a cubin (ELF machine {}, expected {} for CUDA)", path,
         machine, kElfMachineCuda);
}

} // namespace

Package::Package(std::string directory, Manifest manifest, std::string cubin)
    : directory(std::move(directory)), manifest(std::move(manifest)),
      launcher(std::make_unique<Launcher>(this->manifest, std::move(cubin))) {}

Package::~Package() = default;

std::unique_ptr<Package> Package::load(const std::string &directory) {
  std::string base = directory;
  while (base.size() > 1 && base.back() == '/')
    base.pop_back();
  Manifest manifest = readManifest(base + "/manifest.json");
  std::string cubinPath = base + "/" + manifest.cubin;
  std::string cubin = readFile(cubinPath, "cubin");
  checkCubin(cubin, cubinPath);
  return std::unique_ptr<Package>(
      new Package(base, std::move(manifest), std::move(cubin)));
}

Plan Package::plan(const Arguments &arguments) const {
  return validateArguments(manifest, arguments, Stage::Plan);
}

Plan Package::launch(const Arguments &arguments, void *stream) {
  Plan plan = validateArguments(manifest, arguments, Stage::Launch);
  launcher->launch(plan, arguments, stream);
  return plan;
}

} // namespace larc::runtime
