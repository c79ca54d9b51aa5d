//===- LauncherUnavailable.cpp - The launcher of a build without cuda.h ---===//
//
// Manifest parsing, argument checks and the C ABI work as usual; only a
// launch is refused.
//
//===----------------------------------------------------------------------===//

#include "Launcher.h"

#include "larc/runtime/Error.h"

namespace larc::runtime {

namespace {
constexpr const char *kUnavailable =
    "larc: no CUDA driver: this runtime was built without the CUDA toolkit's "
    "cuda.h, so it cannot launch (rebuild it where /usr/local/cuda exists)";
}

struct Launcher::Impl {};

Launcher::Launcher(const Manifest &, std::string) {}
Launcher::~Launcher() = default;

void Launcher::launch(const Plan &, const Arguments &, void *) {
  throw CudaError(kUnavailable);
}

bool driverAvailable(std::string &why) {
  why = kUnavailable;
  return false;
}

} // namespace larc::runtime
