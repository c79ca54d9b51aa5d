"""A loaded package as a callable in flash-linear-attention's conventions.

    rule = larc.load("build/packages/gated_delta_rule")
    o, final_state = rule(q, k, v, g, beta, initial_state=h0,
                          output_final_state=True, cu_seqlens=cu_seqlens)

Tensors are [B, T, H, d] (q, k, v, o), [B, T, H] (scalar gates and
coefficients), [N, H, K, V] fp32 (states); with cu_seqlens, B = 1 and the N
sequences are packed along T. Every check is the C runtime's (one source of
truth); this layer binds arguments to the manifest's inputs, makes the few
conversions flash-linear-attention makes itself (unless strict), allocates the
outputs and picks the stream.
"""

import ctypes
from dataclasses import dataclass
from typing import Optional, Tuple

from . import _capi
from . import _tensors
from ._capi import LarcError

_GATE_ROLES = ("log_gate", "gate")
_OPTIONS = (
    "scale, initial_state, output_final_state, cu_seqlens, cu_seqlens_cpu, "
    "check_cu_seqlens, stream"
)


@dataclass(frozen=True)
class Plan:
    """What a call does: the kernel, the sizes, and the shapes it writes."""

    kernel: str
    kernel_description: str  # "K=128 V=128 bf16"
    dtype: str  # of q, k, v
    device: str  # "cuda:0"
    batch: int  # B
    seq_len: int  # T
    heads: int  # H
    value_heads: int  # HV
    sequences: int  # N
    scale: float
    grid: Tuple[int, int, int]
    output_shapes: Tuple[Tuple[int, ...], ...]
    output_dtypes: Tuple[str, ...]
    state_shapes: Tuple[Tuple[int, ...], ...]  # fp32


def _torch_dtype(name):
    import torch

    return {
        "fp32": torch.float32,
        "fp16": torch.float16,
        "bf16": torch.bfloat16,
    }[name]


class Rule:
    """A package loaded with larc.load(); call it like flash-linear-attention's chunk_* ops."""

    def __init__(self, directory, strict=False):
        lib = _capi.library()
        handle = ctypes.c_void_p()
        _capi.check(lib, lib.larcPackageLoad(str(directory).encode(), ctypes.byref(handle)))
        self._lib = lib
        self._handle = handle
        self.strict = strict
        text = lambda value: value.decode()  # noqa: E731
        self.name = text(lib.larcPackageRule(handle))
        self.directory = text(lib.larcPackageDirectory(handle))
        self.inputs = tuple(
            text(lib.larcPackageInputName(handle, i))
            for i in range(lib.larcPackageNumInputs(handle))
        )
        self.roles = tuple(
            text(lib.larcPackageInputRole(handle, i)) for i in range(len(self.inputs))
        )
        # A fixed dtype name, or None where the input takes the kernel's dtype.
        codes = [lib.larcPackageInputDType(handle, i) for i in range(len(self.inputs))]
        self._input_dtypes = tuple(_capi.DTYPE_NAMES[c] if c else None for c in codes)
        self.states = tuple(
            text(lib.larcPackageStateName(handle, i))
            for i in range(lib.larcPackageNumStates(handle))
        )
        self.outputs = tuple(
            text(lib.larcPackageOutputName(handle, i))
            for i in range(lib.larcPackageNumOutputs(handle))
        )
        self.kernels = tuple(
            (text(lib.larcPackageKernelName(handle, i)),
             text(lib.larcPackageKernelDescription(handle, i)))
            for i in range(lib.larcPackageNumKernels(handle))
        )
        self.uses_scale = bool(lib.larcPackageUsesScale(handle))

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.larcPackageFree(handle)
            self._handle = None

    def __repr__(self):
        kernels = "; ".join(description for _, description in self.kernels)
        return f"<larc rule {self.name}({', '.join(self.inputs)}) from {self.directory}: {kernels}>"

    # -- binding ---------------------------------------------------------

    def _alias(self, keyword):
        """flash-linear-attention's names for a rule's gate and coefficient:
        g is the rule's only gate input, beta its only coefficient."""
        roles = {"g": _GATE_ROLES, "beta": ("coefficient",)}.get(keyword)
        if roles is None:
            return None
        matches = [i for i, role in enumerate(self.roles) if role in roles]
        return matches[0] if len(matches) == 1 else None

    def _bind_inputs(self, tensors, named):
        if len(tensors) > len(self.inputs):
            raise LarcError(
                f"larc: rule '{self.name}' takes {len(self.inputs)} tensors "
                f"({', '.join(self.inputs)}), got {len(tensors)} positional arguments"
            )
        bound = list(tensors) + [None] * (len(self.inputs) - len(tensors))
        for keyword, value in named.items():
            index = self.inputs.index(keyword) if keyword in self.inputs else self._alias(keyword)
            if index is None and value is None and keyword in ("g", "beta"):
                continue  # flash-linear-attention's g=None, beta=None: not given
            if index is None:
                raise LarcError(
                    f"larc: rule '{self.name}' takes no argument '{keyword}' (its inputs: "
                    f"{', '.join(self.inputs)}; options: {_OPTIONS})"
                )
            if value is None:
                continue
            if bound[index] is not None:
                raise LarcError(
                    f"larc: argument '{self.inputs[index]}' was given twice"
                    + (f" (as '{keyword}')" if keyword != self.inputs[index] else "")
                )
            bound[index] = value
        for name, value in zip(self.inputs, bound):
            if value is not None:
                _tensors.require_tensor(name, value)
        return bound

    def _bind_states(self, initial_state):
        if initial_state is None:
            return [None] * len(self.states)
        if isinstance(initial_state, dict):
            unknown = set(initial_state) - set(self.states)
            if unknown:
                raise LarcError(
                    f"larc: argument 'initial_state': rule '{self.name}' has no state "
                    f"'{sorted(unknown)[0]}' (its states: {', '.join(self.states)})"
                )
            states = [initial_state.get(name) for name in self.states]
        elif isinstance(initial_state, (tuple, list)):
            if len(initial_state) != len(self.states):
                raise LarcError(
                    f"larc: argument 'initial_state': expected {len(self.states)} states "
                    f"({', '.join(self.states)}), got {len(initial_state)}"
                )
            states = list(initial_state)
        elif len(self.states) != 1:
            raise LarcError(
                f"larc: argument 'initial_state': rule '{self.name}' has states "
                f"{', '.join(self.states)}; pass a dict by name or a tuple in that order"
            )
        else:
            states = [initial_state]
        for index, value in enumerate(states):
            if value is not None:
                _tensors.require_tensor(_state_argument(self.states, index, False), value)
        return states

    # -- conversions flash-linear-attention makes too ---------------------

    def _convert_inputs(self, bound):
        """Innermost dims made contiguous; gates and coefficients cast to the
        dtype the kernel reads. q, k and v are never cast: a dtype the kernels
        lack is refused."""
        io_dtype = next(
            (t.dtype for t, fixed in zip(bound, self._input_dtypes) if t is not None and fixed is None),
            None,
        )
        converted = []
        for tensor, role, fixed in zip(bound, self.roles, self._input_dtypes):
            if tensor is not None:
                tensor = _contiguous_inner(tensor)
                name = _tensors.dtype_name(tensor)
                if role not in ("query", "key", "value") and name in _tensors.FLOAT_DTYPES:
                    if fixed is not None and name != fixed:
                        tensor = _cast(tensor, fixed)
                    elif fixed is None and io_dtype is not None and tensor.dtype != io_dtype:
                        tensor = tensor.to(io_dtype)
            converted.append(tensor)
        return converted

    @staticmethod
    def _convert_states(states):
        """flash-linear-attention takes bf16 initial states; the kernels read fp32."""
        converted = []
        for state in states:
            if state is not None:
                name = _tensors.dtype_name(state)
                if name in _tensors.FLOAT_DTYPES and name != "fp32":
                    state = state.float()
                state = _contiguous_inner(state)
            converted.append(state)
        return converted

    def _prepare_cu_seqlens(self, cu_seqlens, cu_seqlens_cpu, check_cu_seqlens, reference):
        """(offsets for the kernel, host copy to check or None). Unless strict,
        host offsets are moved to the device and int64 ones made int32. Device
        offsets are copied to the host for checking (a synchronisation, as
        flash-linear-attention's own varlen path makes) unless cu_seqlens_cpu
        is given or check_cu_seqlens is False."""
        if cu_seqlens is None:
            if cu_seqlens_cpu is not None:
                raise LarcError("larc: argument 'cu_seqlens_cpu' was given without 'cu_seqlens'")
            return None, None
        device, host = cu_seqlens, cu_seqlens_cpu
        if _tensors.on_cpu(cu_seqlens):
            host = cu_seqlens if host is None else host
            if not self.strict and reference is not None and not _tensors.on_cpu(reference):
                device = cu_seqlens.to(reference.device)
        elif host is None and check_cu_seqlens:
            host = cu_seqlens.cpu()
        if not self.strict and _tensors.dtype_name(device) == "int64":
            device = device.int()
        return device, host

    # -- the calls -------------------------------------------------------

    def _make_call(self, tensors, named, scale, initial_state, cu_seqlens, cu_seqlens_cpu,
                   check_cu_seqlens):
        bound = self._bind_inputs(tensors, named)
        states = self._bind_states(initial_state)
        for name, value in (("cu_seqlens", cu_seqlens), ("cu_seqlens_cpu", cu_seqlens_cpu)):
            if value is not None:
                _tensors.require_tensor(name, value)
        if not self.strict:
            bound = self._convert_inputs(bound)
            states = self._convert_states(states)
        reference = next((t for t in bound if t is not None), None)
        device_offsets, host_offsets = self._prepare_cu_seqlens(
            cu_seqlens, cu_seqlens_cpu, check_cu_seqlens, reference)
        return _Call(self, bound, states, device_offsets, host_offsets, scale)

    def check(self, *tensors, scale=None, initial_state=None, output_final_state=False,
              cu_seqlens=None, cu_seqlens_cpu=None, check_cu_seqlens=True, **named):
        """Checks a call as __call__ would and returns its Plan, without
        launching or allocating; needs no GPU."""
        del output_final_state  # accepted so that check() takes __call__'s arguments
        call = self._make_call(tensors, named, scale, initial_state, cu_seqlens,
                               cu_seqlens_cpu, check_cu_seqlens)
        return call.plan()

    def __call__(self, *tensors, scale=None, initial_state=None, output_final_state=False,
                 cu_seqlens=None, cu_seqlens_cpu=None, check_cu_seqlens=True, stream=None,
                 **named):
        """Runs the rule forward: returns (o, final_state), final_state None
        unless output_final_state. With several outputs or states, o or
        final_state is a tuple in the manifest's order."""
        call = self._make_call(tensors, named, scale, initial_state, cu_seqlens,
                               cu_seqlens_cpu, check_cu_seqlens)
        _refuse_autograd(call.inputs)
        plan = call.plan()
        outputs, finals = _allocate(plan, output_final_state, call.inputs[0].device)
        call.launch(outputs, finals, _stream_handle(stream, call.inputs[0].device))
        o = outputs[0] if len(outputs) == 1 else tuple(outputs)
        if not output_final_state:
            return o, None
        return o, finals[0] if len(finals) == 1 else tuple(finals)


class _Call:
    """One call's descriptors; keeps every ctypes object alive while C reads it."""

    def __init__(self, rule, inputs, states, cu_seqlens, cu_seqlens_host, scale):
        self.rule = rule
        self.inputs = inputs
        self.states = states
        self._keep = []
        call = _capi.LarcCall()
        call.numInputs = len(rule.inputs)
        call.numOutputs = len(rule.outputs)
        call.numStates = len(rule.states)
        call.inputs = self._array(rule.inputs, inputs)
        state_names = [_state_argument(rule.states, i, False) for i in range(len(rule.states))]
        call.initialStates = self._array(state_names, states)
        if cu_seqlens is not None:
            call.cuSeqlens = self._pointer("cu_seqlens", cu_seqlens)
        if cu_seqlens_host is not None:
            call.cuSeqlensHost = self._pointer("cu_seqlens_cpu", cu_seqlens_host)
        if scale is not None:
            call.hasScale = 1
            call.scale = float(scale)
        self.call = call

    def _pointer(self, name, tensor):
        described = _tensors.describe(name, tensor)
        # The tensor too: a host copy or a cast made for this call must live
        # while the runtime reads it.
        self._keep += [described, tensor]
        return ctypes.pointer(described)

    def _array(self, names, tensors):
        array = (ctypes.POINTER(_capi.LarcTensor) * max(len(tensors), 1))()
        for i, (name, tensor) in enumerate(zip(names, tensors)):
            if tensor is not None:
                array[i] = self._pointer(name, tensor)
        self._keep.append(array)
        return ctypes.cast(array, ctypes.POINTER(ctypes.POINTER(_capi.LarcTensor)))

    def plan(self):
        lib = self.rule._lib
        info = _capi.LarcPlanInfo()
        _capi.check(lib, lib.larcPlan(self.rule._handle, ctypes.byref(self.call), ctypes.byref(info)))
        return _to_plan(self.rule, info)

    def launch(self, outputs, finals, stream):
        lib = self.rule._lib
        rule = self.rule
        self.call.outputs = self._array(rule.outputs, outputs)
        final_names = [_state_argument(rule.states, i, True) for i in range(len(rule.states))]
        self.call.finalStates = self._array(final_names, finals)
        _capi.check(lib, lib.larcLaunch(rule._handle, ctypes.byref(self.call),
                                        ctypes.c_void_p(stream), None))


def _state_argument(states, index, final):
    kind = "final_state" if final else "initial_state"
    return kind if len(states) == 1 else f"{kind}['{states[index]}']"


def _to_plan(rule, info):
    def shape(dims, rank):
        return tuple(int(dims[d]) for d in range(rank))

    kernel, description = rule.kernels[info.kernelIndex]
    device = "cpu" if info.deviceType == _capi.DEVICE_CPU else f"cuda:{info.deviceIndex}"
    return Plan(
        kernel=kernel,
        kernel_description=description,
        dtype=_capi.DTYPE_NAMES.get(info.dtype, "unknown"),
        device=device,
        batch=info.batch,
        seq_len=info.seqLen,
        heads=info.heads,
        value_heads=info.valueHeads,
        sequences=info.sequences,
        scale=info.scale,
        grid=tuple(int(extent) for extent in info.grid),
        output_shapes=tuple(shape(info.outputShapes[o], info.outputRanks[o])
                            for o in range(info.numOutputs)),
        output_dtypes=tuple(_capi.DTYPE_NAMES.get(info.outputDTypes[o], "unknown")
                            for o in range(info.numOutputs)),
        state_shapes=tuple(shape(info.stateShapes[s], info.stateRanks[s])
                           for s in range(info.numStates)),
    )


def _contiguous_inner(tensor):
    shape, strides = tuple(tensor.shape), _tensors.strides_of(tensor)
    if shape and shape[-1] > 1 and strides[-1] != 1:
        return tensor.contiguous()
    return tensor


def _cast(tensor, name):
    return {"fp32": tensor.float, "bf16": tensor.bfloat16, "fp16": tensor.half}[name]()


def _refuse_autograd(tensors):
    if not any(getattr(t, "requires_grad", False) for t in tensors if t is not None):
        return
    import torch

    if torch.is_grad_enabled():
        raise LarcError(
            "larc: the backward pass is not available yet, and these inputs require "
            "gradients; call under torch.no_grad() or pass detached tensors"
        )


def _allocate(plan, output_final_state, device):
    import torch

    outputs = [torch.empty(shape, dtype=_torch_dtype(dtype), device=device)
               for shape, dtype in zip(plan.output_shapes, plan.output_dtypes)]
    finals = [torch.empty(shape, dtype=torch.float32, device=device) if output_final_state
              else None for shape in plan.state_shapes]
    return outputs, finals


def _stream_handle(stream, device) -> Optional[int]:
    """A CUstream handle: the current PyTorch stream of the device by default."""
    if stream is None:
        import torch

        return torch.cuda.current_stream(device).cuda_stream
    if isinstance(stream, int):
        return stream
    return stream.cuda_stream
