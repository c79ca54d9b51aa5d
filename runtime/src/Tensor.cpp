//===- Tensor.cpp - Element types, devices and tensor views ---------------===//

#include "larc/runtime/Tensor.h"

#include <fmt/format.h>

#include <cassert>

namespace larc::runtime {

namespace {
struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::Float32, "fp32", 4},  {DType::Float16, "fp16", 2},
    {DType::BFloat16, "bf16", 2}, {DType::Float64, "fp64", 8},
    {DType::Int32, "int32", 4},   {DType::Int64, "int64", 8},
    {DType::Int16, "int16", 2},   {DType::Int8, "int8", 1},
    {DType::UInt8, "uint8", 1},   {DType::Bool, "bool", 1},
};
} // namespace

std::string_view dtypeName(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.name;
  return "unknown";
}

std::optional<DType> parseDType(std::string_view name) {
  for (const DTypeInfo &info : kDTypes)
    if (info.name == name)
      return info.dtype;
  return std::nullopt;
}

std::size_t dtypeSize(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info.size;
  return 0;
}

std::string deviceName(Device device) {
  if (device.type == DeviceType::CPU)
    return "cpu";
  if (device.type == DeviceType::CUDA)
    return fmt::format("cuda:{}", device.index);
  return fmt::format("device type {}", static_cast<int>(device.type));
}

TensorView TensorView::contiguous(void *data, DType dtype,
                                  std::initializer_list<int64_t> shape,
                                  Device device) {
  assert(shape.size() <= kMaxRank && "rank above kMaxRank");
  TensorView view;
  view.data = data;
  view.dtype = dtype;
  view.device = device;
  view.rank = static_cast<int32_t>(shape.size());
  int i = 0;
  for (int64_t extent : shape)
    view.shape[i++] = extent;
  int64_t stride = 1;
  for (int d = view.rank - 1; d >= 0; --d) {
    view.strides[d] = stride;
    stride *= view.shape[d];
  }
  return view;
}

int64_t TensorView::numElements() const {
  int64_t count = 1;
  for (int d = 0; d < rank; ++d)
    count *= shape[d];
  return count;
}

std::string formatShape(const int64_t *dims, int rank) {
  std::string text = "[";
  for (int d = 0; d < rank; ++d)
    text += fmt::format("{}{}", d ? ", " : "", dims[d]);
  return text + "]";
}

} // namespace larc::runtime
