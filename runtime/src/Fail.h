//===- Fail.h - Throw a formatted larc::runtime::Error --------------------===//

#ifndef LARC_RUNTIME_SRC_FAIL_H
#define LARC_RUNTIME_SRC_FAIL_H

#include "larc/runtime/Error.h"

#include <fmt/format.h>

namespace larc::runtime {

// Throws Error("larc: " + the formatted message).
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args &&...args) {
  throw Error("larc: " + fmt::format(format, std::forward<Args>(args)...));
}

} // namespace larc::runtime

#endif // LARC_RUNTIME_SRC_FAIL_H
