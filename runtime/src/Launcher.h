//===- Launcher.h - Modules per device and the launch itself --------------===//
//
// The only part of the runtime that calls the CUDA driver. Built from
// Launcher.cpp where cuda.h is available, else from LauncherUnavailable.cpp,
// whose launch() refuses with a message saying so.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_SRC_LAUNCHER_H
#define LARC_RUNTIME_SRC_LAUNCHER_H

#include "larc/runtime/Arguments.h"
#include "larc/runtime/Manifest.h"
#include "larc/runtime/Validate.h"

#include <memory>
#include <string>

namespace larc::runtime {

class Launcher {
public:
  Launcher(const Manifest &manifest, std::string cubin);
  ~Launcher();

  // `plan` is validateArguments(..., Stage::Launch) of `arguments`.
  void launch(const Plan &plan, const Arguments &arguments, void *stream);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

// Whether the CUDA driver can be used; if not, `why` says why.
bool driverAvailable(std::string &why);

} // namespace larc::runtime

#endif // LARC_RUNTIME_SRC_LAUNCHER_H
