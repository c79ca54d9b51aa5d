//===- Tensor.h - Element types, devices and tensor views -----------------===//
//
// A TensorView describes memory the caller owns: pointer, dtype, shape and
// strides in elements, and the device it lives on. The runtime never
// allocates or frees tensors.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_TENSOR_H
#define LARC_RUNTIME_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace larc::runtime {

// Values match the C ABI's LARC_DTYPE_* codes.
enum class DType : int32_t {
  Unknown = 0,
  Float32 = 1,
  Float16 = 2,
  BFloat16 = 3,
  Float64 = 4,
  Int32 = 5,
  Int64 = 6,
  Int16 = 7,
  Int8 = 8,
  UInt8 = 9,
  Bool = 10,
};

// "fp32", "fp16", "bf16", "fp64", "int32", ... as the manifest spells them.
std::string_view dtypeName(DType dtype);
std::optional<DType> parseDType(std::string_view name);
std::size_t dtypeSize(DType dtype);

// Values match the C ABI's LARC_DEVICE_* codes.
enum class DeviceType : int32_t { CPU = 0, CUDA = 1 };

struct Device {
  DeviceType type = DeviceType::CUDA;
  int32_t index = 0;

  bool operator==(const Device &other) const {
    return type == other.type && index == other.index;
  }
  bool operator!=(const Device &other) const { return !(*this == other); }
};

// "cuda:0", "cpu".
std::string deviceName(Device device);

constexpr int kMaxRank = 8;

struct TensorView {
  void *data = nullptr;
  DType dtype = DType::Unknown;
  int32_t rank = 0;
  int64_t shape[kMaxRank] = {};
  int64_t strides[kMaxRank] = {}; // in elements
  Device device;

  // A row-major (contiguous) view of `shape`.
  static TensorView contiguous(void *data, DType dtype,
                               std::initializer_list<int64_t> shape,
                               Device device = {});

  int64_t numElements() const;
};

// "[2, 100, 4, 128]".
std::string formatShape(const int64_t *dims, int rank);

} // namespace larc::runtime

#endif // LARC_RUNTIME_TENSOR_H
