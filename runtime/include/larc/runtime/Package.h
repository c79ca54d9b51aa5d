//===- Package.h - A compiled rule: load, check, launch -------------------===//
//
// A package is a directory with manifest.json, the cubin it names and a
// generated header (docs/package-format.md). Loading reads and checks the
// manifest and the cubin's ELF header and touches no GPU; the first launch
// on a device loads the module into that device's primary context (the one
// the CUDA runtime and PyTorch use), once.
//
//   auto package = larc::runtime::Package::load("build/gdn");
//   larc::runtime::Arguments args = package->arguments();
//   args.input("q", q).input("k", k).input("v", v).input("g", g)
//       .input("beta", beta).output("o", o).finalState("S", state);
//   package->launch(args, stream);
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_PACKAGE_H
#define LARC_RUNTIME_PACKAGE_H

#include "larc/runtime/Arguments.h"
#include "larc/runtime/Manifest.h"
#include "larc/runtime/Validate.h"

#include <memory>
#include <string>

namespace larc::runtime {

class Launcher;

class Package {
public:
  // Throws Error naming the file and what is wrong with it.
  static std::unique_ptr<Package> load(const std::string &directory);
  ~Package();

  const Manifest &getManifest() const { return manifest; }
  const std::string &getDirectory() const { return directory; }
  // Empty arguments for this package; they refer to its manifest and must
  // not outlive it.
  Arguments arguments() const { return Arguments(manifest); }

  // Checks the arguments (outputs and final states only if given) and says
  // what a launch would do: the kernel, the output and state shapes, the
  // grid. Needs no GPU.
  Plan plan(const Arguments &arguments) const;

  // Checks every argument, then launches asynchronously on `stream` (a
  // CUstream; null is the legacy default stream) and returns the plan.
  // Throws Error for a bad argument, CudaError when the driver refuses.
  Plan launch(const Arguments &arguments, void *stream);

private:
  Package(std::string directory, Manifest manifest, std::string cubin);

  std::string directory;
  Manifest manifest;
  std::unique_ptr<Launcher> launcher;
};

} // namespace larc::runtime

#endif // LARC_RUNTIME_PACKAGE_H
