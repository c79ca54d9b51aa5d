"""larc: linear-attention recurrences compiled ahead of time.

    import larc
    gdn = larc.load("build/packages/gated_delta_rule")     # a package directory
    o, final_state = gdn(q, k, v, g, beta, scale=None, initial_state=None,
                         output_final_state=False, cu_seqlens=None)

A loaded rule takes flash-linear-attention's arguments and layout, so it can
stand in for chunk_gated_delta_rule and its siblings: q, k [B, T, H, K] and
v [B, T, H, V] in bf16 or fp16, scalar gates and coefficients [B, T, H],
states [N, H, K, V] in fp32, packed variable-length batches with B = 1 and
cu_seqlens [N + 1]. Positional tensors follow the rule's inputs (rule.inputs);
keywords may name any input, and g / beta name the rule's only gate or
coefficient. Bad arguments raise LarcError with a message naming them.

The package is pure Python over the runtime's C ABI (ctypes): it finds
liblarc_runtime.so through LARC_RUNTIME_LIBRARY, beside this file, or in a
build*/lib of the source checkout. docs/package-format.md describes packages.
"""

from ._capi import LarcError
from ._rule import Plan, Rule

__all__ = ["LarcError", "Plan", "Rule", "load", "driver_available"]


def load(package, *, strict=False):
    """Loads a package directory (manifest.json + cubin) and returns a callable Rule.

    Loading reads and checks the manifest and needs no GPU; the first call on
    a device loads the kernels there. With strict=True no argument is
    converted: gates or states in another float dtype, int64 cu_seqlens, or
    tensors whose innermost dim is strided are refused instead of being cast
    or copied the way flash-linear-attention does."""
    return Rule(package, strict=strict)


def driver_available():
    """(True, "") if kernels can be launched here, else (False, why)."""
    from . import _capi

    lib = _capi.library()
    if lib.larcDriverAvailable() == _capi.OK:
        return True, ""
    return False, _capi.last_error(lib)
