"""ctypes declarations of the runtime's C ABI (runtime/include/larc/runtime/CApi.h).

Pure Python, no compiled extension: the same package works with any Python and
PyTorch version. The structs below mirror the header field for field; load()
compares their sizes with the library's (larcStructSize) so a stale library is
refused with a message instead of corrupting memory.
"""

import ctypes
import ctypes.util
import os
from pathlib import Path

ABI_VERSION = 1

OK = 0
ERROR_INVALID = 1
ERROR_CUDA = 2
ERROR_INTERNAL = 3

MAX_RANK = 8
FLAG_COPY_CU_SEQLENS_TO_HOST = 1

DEVICE_CPU = 0
DEVICE_CUDA = 1

# LARC_DTYPE_* codes by name, as the runtime's messages spell them.
DTYPE_CODES = {
    "unknown": 0,
    "fp32": 1,
    "fp16": 2,
    "bf16": 3,
    "fp64": 4,
    "int32": 5,
    "int64": 6,
    "int16": 7,
    "int8": 8,
    "uint8": 9,
    "bool": 10,
}
DTYPE_NAMES = {code: name for name, code in DTYPE_CODES.items()}


class LarcError(RuntimeError):
    """A refusal of the larc runtime; str() is its message ("larc: argument 'k': ...").

    code is ERROR_INVALID for a bad argument or package, ERROR_CUDA when the
    CUDA driver is missing or refused a call."""

    def __init__(self, message, code=ERROR_INVALID):
        super().__init__(message)
        self.code = code


class LarcTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int32),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_RANK),
        ("strides", ctypes.c_int64 * MAX_RANK),
        ("deviceType", ctypes.c_int32),
        ("deviceIndex", ctypes.c_int32),
    ]


_TensorArray = ctypes.POINTER(ctypes.POINTER(LarcTensor))


class LarcCall(ctypes.Structure):
    _fields_ = [
        ("numInputs", ctypes.c_int32),
        ("numOutputs", ctypes.c_int32),
        ("numStates", ctypes.c_int32),
        ("hasScale", ctypes.c_int32),
        ("inputs", _TensorArray),
        ("outputs", _TensorArray),
        ("initialStates", _TensorArray),
        ("finalStates", _TensorArray),
        ("cuSeqlens", ctypes.POINTER(LarcTensor)),
        ("cuSeqlensHost", ctypes.POINTER(LarcTensor)),
        ("scale", ctypes.c_double),
        ("flags", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


class LarcPlanInfo(ctypes.Structure):
    _fields_ = [
        ("kernelIndex", ctypes.c_int32),
        ("dtype", ctypes.c_int32),
        ("deviceType", ctypes.c_int32),
        ("deviceIndex", ctypes.c_int32),
        ("batch", ctypes.c_int64),
        ("seqLen", ctypes.c_int64),
        ("heads", ctypes.c_int64),
        ("valueHeads", ctypes.c_int64),
        ("sequences", ctypes.c_int64),
        ("grid", ctypes.c_uint64 * 3),
        ("scale", ctypes.c_float),
        ("numOutputs", ctypes.c_int32),
        ("outputRanks", ctypes.c_int32 * 4),
        ("outputDTypes", ctypes.c_int32 * 4),
        ("outputShapes", (ctypes.c_int64 * 4) * 4),
        ("numStates", ctypes.c_int32),
        ("stateRanks", ctypes.c_int32 * 4),
        ("stateShapes", (ctypes.c_int64 * 4) * 4),
    ]


def _declare(lib):
    pkg = ctypes.c_void_p
    signatures = {
        "larcLastError": (ctypes.c_char_p, []),
        "larcAbiVersion": (ctypes.c_int32, []),
        "larcStructSize": (ctypes.c_size_t, [ctypes.c_char_p]),
        "larcDriverAvailable": (ctypes.c_int32, []),
        "larcPackageLoad": (ctypes.c_int32, [ctypes.c_char_p, ctypes.POINTER(pkg)]),
        "larcPackageFree": (None, [pkg]),
        "larcPackageRule": (ctypes.c_char_p, [pkg]),
        "larcPackageDirectory": (ctypes.c_char_p, [pkg]),
        "larcPackageUsesScale": (ctypes.c_int32, [pkg]),
        "larcPackageNumInputs": (ctypes.c_int32, [pkg]),
        "larcPackageInputName": (ctypes.c_char_p, [pkg, ctypes.c_int32]),
        "larcPackageInputRole": (ctypes.c_char_p, [pkg, ctypes.c_int32]),
        "larcPackageInputDType": (ctypes.c_int32, [pkg, ctypes.c_int32]),
        "larcPackageNumStates": (ctypes.c_int32, [pkg]),
        "larcPackageStateName": (ctypes.c_char_p, [pkg, ctypes.c_int32]),
        "larcPackageNumOutputs": (ctypes.c_int32, [pkg]),
        "larcPackageOutputName": (ctypes.c_char_p, [pkg, ctypes.c_int32]),
        "larcPackageNumKernels": (ctypes.c_int32, [pkg]),
        "larcPackageKernelName": (ctypes.c_char_p, [pkg, ctypes.c_int32]),
        "larcPackageKernelDescription": (ctypes.c_char_p, [pkg, ctypes.c_int32]),
        "larcPlan": (
            ctypes.c_int32,
            [pkg, ctypes.POINTER(LarcCall), ctypes.POINTER(LarcPlanInfo)],
        ),
        "larcLaunch": (
            ctypes.c_int32,
            [pkg, ctypes.POINTER(LarcCall), ctypes.c_void_p, ctypes.POINTER(LarcPlanInfo)],
        ),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _candidates():
    """Where liblarc_runtime.so may be, most specific first."""
    explicit = os.environ.get("LARC_RUNTIME_LIBRARY")
    if explicit:
        return [Path(explicit)]
    here = Path(__file__).resolve().parent
    found = [here / "liblarc_runtime.so"]  # installed beside the package
    # A source checkout: <repo>/python/larc, libraries in <repo>/build*/lib.
    builds = (here.parent.parent).glob("build*/lib/liblarc_runtime.so")
    found += sorted(builds, key=lambda p: p.stat().st_mtime, reverse=True)
    system = ctypes.util.find_library("larc_runtime")
    if system:
        found.append(Path(system))
    return found


_library = None


def library():
    """The loaded runtime library, opened and checked on first use."""
    global _library
    if _library is not None:
        return _library
    tried = []
    for path in _candidates():
        if not (path.exists() or path.name == str(path)):
            tried.append(str(path))
            continue
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as error:
            raise LarcError(f"larc: cannot load the runtime library {path}: {error}") from None
        _declare(lib)
        _check_abi(lib, path)
        _library = lib
        return lib
    raise LarcError(
        "larc: cannot find liblarc_runtime.so (looked for "
        + ", ".join(tried)
        + "); build the runtime (ninja LarcRuntime) or set LARC_RUNTIME_LIBRARY"
    )


def _check_abi(lib, path):
    version = lib.larcAbiVersion()
    if version != ABI_VERSION:
        raise LarcError(
            f"larc: {path} speaks C ABI {version}, this Python package {ABI_VERSION}; "
            "rebuild the runtime from the same checkout"
        )
    for struct in (LarcTensor, LarcCall, LarcPlanInfo):
        theirs = lib.larcStructSize(struct.__name__.encode())
        if theirs != ctypes.sizeof(struct):
            raise LarcError(
                f"larc: {path} has {struct.__name__} of {theirs} bytes, this Python "
                f"package {ctypes.sizeof(struct)}; rebuild the runtime from the same checkout"
            )


def last_error(lib):
    message = lib.larcLastError()
    return message.decode() if message else "larc: unknown error"


def check(lib, status):
    """Raises LarcError with the runtime's message unless status is OK."""
    if status != OK:
        raise LarcError(last_error(lib), status)
