//===- Error.h - The one exception the runtime throws ---------------------===//
//
// Every refusal (a bad manifest, a bad argument, a driver failure) is an Error
// whose message starts with "larc: " and names what was wrong; the C ABI turns
// it into a status code and larcLastError().
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_ERROR_H
#define LARC_RUNTIME_ERROR_H

#include <stdexcept>

namespace larc::runtime {

class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The CUDA driver is missing or refused a call (as opposed to a bad argument
// or package): "larc: no CUDA driver: ...", "larc: cuModuleLoadData: ...".
class CudaError : public Error {
public:
  using Error::Error;
};

} // namespace larc::runtime

#endif // LARC_RUNTIME_ERROR_H
