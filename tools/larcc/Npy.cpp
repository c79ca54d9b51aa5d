//===- Npy.cpp - a small .npy writer --------------------------------------===//

#include "Npy.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

std::string larc::npy::header(StringRef descr, ArrayRef<int64_t> shape) {
  // numpy's spelling of a tuple: "()", "(5,)", "(2, 3)".
  std::string tuple = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    tuple += (i ? ", " : "") + std::to_string(shape[i]);
  tuple += shape.size() == 1 ? ",)" : ")";
  std::string spaced = "{'descr': '" + descr.str() +
                       "', 'fortran_order': False, 'shape': " + tuple + ", }";
  // magic (6) + version (2) + length (2) + dict + padding + '\n' = 64 k.
  size_t unpadded = 10 + spaced.size() + 1;
  spaced.append((64 - unpadded % 64) % 64, ' ');
  spaced += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  uint16_t length = uint16_t(spaced.size());
  out += char(length & 0xff);
  out += char(length >> 8);
  return out + spaced;
}

template <typename T>
static Error writeArray(StringRef path, StringRef descr,
                        ArrayRef<int64_t> shape, ArrayRef<T> data) {
  int64_t numel = 1;
  for (int64_t d : shape)
    numel *= d;
  if (numel != int64_t(data.size()))
    return createStringError(inconvertibleErrorCode(),
                             "npy: %s has %zu elements for a shape of %lld",
                             path.str().c_str(), data.size(),
                             static_cast<long long>(numel));
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write %s: %s", path.str().c_str(),
                             ec.message().c_str());
  os << larc::npy::header(descr, shape);
  for (T x : data) {
    char bytes[sizeof(T)];
    support::endian::write<T, llvm::endianness::little>(bytes, x);
    os.write(bytes, sizeof(T));
  }
  os.close();
  if (os.has_error())
    return createStringError(os.error(), "cannot write %s", path.str().c_str());
  return Error::success();
}

Error larc::npy::writeF64(StringRef path, ArrayRef<int64_t> shape,
                          ArrayRef<double> data) {
  return writeArray<double>(path, "<f8", shape, data);
}

Error larc::npy::writeI64(StringRef path, ArrayRef<int64_t> shape,
                          ArrayRef<int64_t> data) {
  return writeArray<int64_t>(path, "<i8", shape, data);
}
