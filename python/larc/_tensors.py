"""PyTorch tensors as LarcTensor descriptors, without importing torch.

Only the duck-typed surface of torch.Tensor is used (shape, stride(), dtype,
device, data_ptr()), so the package imports and validates without torch and
the tests can use stand-in tensors.
"""

from . import _capi
from ._capi import LarcError

# str(torch.dtype) -> the runtime's dtype name.
_TORCH_DTYPES = {
    "torch.float32": "fp32",
    "torch.float16": "fp16",
    "torch.bfloat16": "bf16",
    "torch.float64": "fp64",
    "torch.int32": "int32",
    "torch.int64": "int64",
    "torch.int16": "int16",
    "torch.int8": "int8",
    "torch.uint8": "uint8",
    "torch.bool": "bool",
}
FLOAT_DTYPES = ("fp32", "fp16", "bf16", "fp64")


def dtype_name(tensor):
    """'bf16', 'fp32', ...; the torch name itself for types the runtime does not know."""
    text = str(tensor.dtype)
    return _TORCH_DTYPES.get(text, text)


def device_of(name, tensor):
    """(device type code, index) of a tensor; refuses devices other than cpu and cuda."""
    device = tensor.device
    kind = getattr(device, "type", str(device))
    if kind == "cuda":
        index = device.index
        return _capi.DEVICE_CUDA, 0 if index is None else int(index)
    if kind == "cpu":
        return _capi.DEVICE_CPU, 0
    raise LarcError(f"larc: argument '{name}': on {device}; larc takes cuda (and cpu) tensors")


def on_cpu(tensor):
    return getattr(tensor.device, "type", str(tensor.device)) == "cpu"


def strides_of(tensor):
    stride = tensor.stride
    return tuple(stride() if callable(stride) else stride)


def require_tensor(name, tensor):
    """Refuses anything without torch.Tensor's shape, stride, dtype, device and data_ptr."""
    for attribute in ("shape", "stride", "dtype", "device", "data_ptr"):
        if not hasattr(tensor, attribute):
            raise LarcError(
                f"larc: argument '{name}': expected a tensor, got {type(tensor).__name__}"
            )
    return tensor


def describe(name, tensor):
    """A LarcTensor for `tensor`; name is the argument's name for messages."""
    require_tensor(name, tensor)
    shape = tuple(int(extent) for extent in tensor.shape)
    strides = strides_of(tensor)
    if len(shape) > _capi.MAX_RANK:
        raise LarcError(
            f"larc: argument '{name}': rank {len(shape)} is above {_capi.MAX_RANK}"
        )
    device_type, device_index = device_of(name, tensor)
    described = _capi.LarcTensor()
    described.data = tensor.data_ptr() or None
    described.dtype = _capi.DTYPE_CODES.get(dtype_name(tensor), 0)
    described.rank = len(shape)
    for d, (extent, stride) in enumerate(zip(shape, strides)):
        described.shape[d] = extent
        described.strides[d] = int(stride)
    described.deviceType = device_type
    described.deviceIndex = device_index
    return described
