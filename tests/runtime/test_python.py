"""The Python layer (python/larc) over the C ABI, with stand-in tensors.

No torch and no GPU: FakeTensor has the part of torch.Tensor's surface larc
uses (shape, stride(), dtype, device, data_ptr(), and the conversions), so
argument binding, the conversions and every check of the C runtime run here.
Run with `python3 tests/runtime/test_python.py` or pytest; ctest sets
LARC_RUNTIME_LIBRARY to the library it built.
"""

import ctypes
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "python"))

import larc  # noqa: E402
from larc import _capi, _rule  # noqa: E402


class FakeDType:
    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, FakeDType) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


BF16 = FakeDType("torch.bfloat16")
FP16 = FakeDType("torch.float16")
FP32 = FakeDType("torch.float32")
INT32 = FakeDType("torch.int32")
INT64 = FakeDType("torch.int64")
COMPLEX = FakeDType("torch.complex64")


class FakeDevice:
    def __init__(self, text):
        self.type, _, index = text.partition(":")
        self.index = int(index) if index else None

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


class FakeTensor:
    """A tensor that only describes itself. Device tensors get distinct fake
    addresses (never dereferenced); host integer tensors own real memory so
    the runtime can read offsets."""

    _next_address = 0x7F0000000000
    conversions = []  # (what, shape) for every copy larc asked for

    def __init__(self, shape, dtype=BF16, device="cuda:0", strides=None, values=None,
                 requires_grad=False):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.device = FakeDevice(device)
        self.requires_grad = requires_grad
        if strides is None:
            strides, step = [], 1
            for extent in reversed(self.shape):
                strides.insert(0, step)
                step *= extent
        self._strides = tuple(strides)
        self.values = values
        if values is not None:
            kind = ctypes.c_int64 if dtype == INT64 else ctypes.c_int32
            self._memory = (kind * len(values))(*values)
            self._address = ctypes.addressof(self._memory)
        else:
            FakeTensor._next_address += 0x10000000
            self._address = FakeTensor._next_address

    def stride(self):
        return self._strides

    def data_ptr(self):
        return self._address

    def _copy(self, what, **changes):
        FakeTensor.conversions.append((what, self.shape))
        args = dict(shape=self.shape, dtype=self.dtype, device=str(self.device),
                    values=self.values)
        args.update(changes)
        return FakeTensor(**args)

    def contiguous(self):
        return self._copy("contiguous")

    def float(self):
        return self._copy("float", dtype=FP32)

    def bfloat16(self):
        return self._copy("bfloat16", dtype=BF16)

    def half(self):
        return self._copy("half", dtype=FP16)

    def int(self):
        return self._copy("int", dtype=INT32)

    def cpu(self):
        return self._copy("cpu", device="cpu")

    def to(self, target):
        if isinstance(target, FakeDType):
            return self._copy("to", dtype=target)
        return self._copy("to", device=str(target))


def gdn_inputs(B=2, T=100, H=4, K=128, V=128, dtype=BF16):
    return dict(
        q=FakeTensor((B, T, H, K), dtype),
        k=FakeTensor((B, T, H, K), dtype),
        v=FakeTensor((B, T, H, V), dtype),
        g=FakeTensor((B, T, H), FP32),
        beta=FakeTensor((B, T, H), dtype),
    )


def fake_cubin():
    elf = bytearray(64)
    elf[0:4] = b"\x7fELF"
    elf[4] = 2
    elf[5] = 1
    elf[18] = 190  # EM_CUDA
    return bytes(elf)


class PackageDir:
    """A package directory made from a manifest under tests/runtime/manifests."""

    def __init__(self, manifest, edit=None):
        text = (HERE / "manifests" / manifest).read_text()
        if edit:
            old, new = edit
            assert old in text
            text = text.replace(old, new)
        self.path = tempfile.mkdtemp(prefix="larc-python-test-")
        Path(self.path, "manifest.json").write_text(text)
        import json

        Path(self.path, json.loads(text)["cubin"]).write_bytes(fake_cubin())

    def __del__(self):
        shutil.rmtree(self.path, ignore_errors=True)


class LarcTestCase(unittest.TestCase):
    def assertRefused(self, message, function, *args, **kwargs):
        with self.assertRaises(larc.LarcError) as caught:
            function(*args, **kwargs)
        self.assertEqual(str(caught.exception), message)
        return caught.exception

    def assertRefusedWith(self, fragment, function, *args, **kwargs):
        with self.assertRaises(larc.LarcError) as caught:
            function(*args, **kwargs)
        self.assertIn(fragment, str(caught.exception))
        return caught.exception


class LoadTest(LarcTestCase):
    def test_describes_the_package(self):
        package = PackageDir("gated_delta_rule.json")
        rule = larc.load(package.path)
        self.assertEqual(rule.name, "gated_delta_rule")
        self.assertEqual(rule.inputs, ("q", "k", "v", "g", "beta"))
        self.assertEqual(rule.roles, ("query", "key", "value", "log_gate", "coefficient"))
        self.assertEqual(rule.states, ("S",))
        self.assertEqual(rule.outputs, ("o",))
        self.assertEqual(rule.kernels[1], ("larc_gated_delta_rule_fwd_k64_v64_bf16",
                                           "K=64 V=64 bf16"))
        self.assertTrue(rule.uses_scale)
        self.assertIn("gated_delta_rule(q, k, v, g, beta)", repr(rule))

    def test_load_errors(self):
        error = self.assertRefusedWith("/nonexistent/manifest.json: cannot open the manifest",
                                       larc.load, "/nonexistent")
        self.assertEqual(error.code, _capi.ERROR_INVALID)
        package = PackageDir("gated_delta_rule.json", ('"format": 1', '"format": 3'))
        self.assertRefusedWith("format: package format 3 is not supported", larc.load,
                               package.path)

    def test_struct_layouts_match_the_library(self):
        lib = _capi.library()
        for struct in (_capi.LarcTensor, _capi.LarcCall, _capi.LarcPlanInfo):
            self.assertEqual(lib.larcStructSize(struct.__name__.encode()),
                             ctypes.sizeof(struct))

    def test_a_missing_library_is_reported(self):
        script = "import larc\ntry:\n    larc.load('x')\nexcept larc.LarcError as e:\n    print(e)"
        env = dict(os.environ, LARC_RUNTIME_LIBRARY="/nonexistent/liblarc_runtime.so",
                   PYTHONPATH=str(HERE.parent.parent / "python"))
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True).stdout
        self.assertIn("larc: cannot find liblarc_runtime.so", out)
        self.assertIn("set LARC_RUNTIME_LIBRARY", out)


class CheckTest(LarcTestCase):
    def setUp(self):
        self.package = PackageDir("gated_delta_rule.json")
        self.rule = larc.load(self.package.path)
        FakeTensor.conversions.clear()

    def test_a_good_call(self):
        t = gdn_inputs()
        plan = self.rule.check(t["q"], t["k"], t["v"], t["g"], t["beta"])
        self.assertEqual(plan.kernel, "larc_gated_delta_rule_fwd_k128_v128_bf16")
        self.assertEqual(plan.kernel_description, "K=128 V=128 bf16")
        self.assertEqual(plan.dtype, "bf16")
        self.assertEqual(plan.device, "cuda:0")
        self.assertEqual((plan.batch, plan.seq_len, plan.heads, plan.value_heads,
                          plan.sequences), (2, 100, 4, 4, 2))
        self.assertAlmostEqual(plan.scale, 1 / math.sqrt(128), places=6)
        self.assertEqual(plan.grid, (2, 4, 2))
        self.assertEqual(plan.output_shapes, ((2, 100, 4, 128),))
        self.assertEqual(plan.output_dtypes, ("bf16",))
        self.assertEqual(plan.state_shapes, ((2, 4, 128, 128),))
        self.assertEqual(FakeTensor.conversions, [])  # nothing copied

    def test_keywords_and_fla_names(self):
        t = gdn_inputs(K=64, V=64)
        self.assertEqual(self.rule.check(**t).kernel_description, "K=64 V=64 bf16")
        self.assertEqual(self.rule.check(t["q"], t["k"], t["v"], beta=t["beta"],
                                         g=t["g"]).sequences, 2)

    def test_the_issue_example(self):
        t = gdn_inputs()
        t["k"] = FakeTensor((2, 100, 4, 64))
        self.assertRefused("larc: argument 'k': expected shape [B, T, H, K] = "
                           "[2, 100, 4, 128], got [2, 100, 4, 64]", self.rule.check, **t)

    def test_missing_and_unknown_arguments(self):
        t = gdn_inputs()
        self.assertRefused("larc: argument 'g' (log_gate) is required by rule "
                           "'gated_delta_rule' but was not given",
                           self.rule.check, t["q"], t["k"], t["v"], None, t["beta"])
        self.assertRefusedWith("larc: rule 'gated_delta_rule' takes no argument "
                               "'use_qk_l2norm_in_kernel' (its inputs: q, k, v, g, beta;",
                               self.rule.check, **t, use_qk_l2norm_in_kernel=True)
        self.assertRefused("larc: rule 'gated_delta_rule' takes 5 tensors (q, k, v, g, "
                           "beta), got 6 positional arguments",
                           self.rule.check, *t.values(), t["q"])
        self.assertRefused("larc: argument 'k' was given twice",
                           self.rule.check, t["q"], t["k"], k=t["k"])
        self.assertRefused("larc: argument 'k': expected a tensor, got list",
                           self.rule.check, t["q"], [1, 2], t["v"], t["g"], t["beta"])

    def test_no_kernel_for_the_dims(self):
        t = gdn_inputs(K=96)
        self.assertRefused("larc: rule 'gated_delta_rule' has no kernel for K=96 (from 'q') "
                           "V=128 (from 'v') bf16; available: K=128 V=128 bf16; "
                           "K=64 V=64 bf16; K=128 V=128 fp16", self.rule.check, **t)

    def test_dtypes(self):
        t = gdn_inputs(dtype=FP32)
        self.assertRefused("larc: argument 'q': dtype fp32 is not supported; expected bf16 "
                           "or fp16", self.rule.check, **t)
        t = gdn_inputs()
        t["q"] = FakeTensor((2, 100, 4, 128), COMPLEX)
        self.assertRefused("larc: argument 'q': dtype unknown is not supported; expected "
                           "bf16 or fp16", self.rule.check, **t)
        t = gdn_inputs(dtype=FP16)
        self.assertEqual(self.rule.check(**t).kernel_description, "K=128 V=128 fp16")

    def test_gates_and_coefficients_are_cast_unless_strict(self):
        t = gdn_inputs()
        t["g"] = FakeTensor((2, 100, 4), BF16)
        t["beta"] = FakeTensor((2, 100, 4), FP32)
        self.rule.check(**t)
        self.assertEqual([what for what, _ in FakeTensor.conversions], ["float", "to"])
        strict = larc.load(self.package.path, strict=True)
        self.assertRefused("larc: argument 'g': expected dtype fp32, got bf16",
                           strict.check, **t)

    def test_strided_innermost_dims_are_copied_unless_strict(self):
        t = gdn_inputs()
        t["v"] = FakeTensor((2, 100, 4, 128), strides=(100 * 4 * 256, 4 * 256, 256, 2))
        self.rule.check(**t)
        self.assertEqual(FakeTensor.conversions, [("contiguous", (2, 100, 4, 128))])
        strict = larc.load(self.package.path, strict=True)
        self.assertRefused("larc: argument 'v': the innermost dim (V) must be contiguous "
                           "(stride 1), got stride 2; make the tensor contiguous",
                           strict.check, **t)

    def test_devices(self):
        t = gdn_inputs()
        t["beta"] = FakeTensor((2, 100, 4), device="cuda:1")
        self.assertRefused("larc: argument 'beta': on cuda:1, but 'q' is on cuda:0; all "
                           "tensors must be on one device", self.rule.check, **t)
        t["beta"] = FakeTensor((2, 100, 4), device="meta")
        self.assertRefused("larc: argument 'beta': on meta; larc takes cuda (and cpu) "
                           "tensors", self.rule.check, **t)

    def test_scale(self):
        t = gdn_inputs()
        self.assertEqual(self.rule.check(**t, scale=0.5).scale, 0.5)
        self.assertRefused("larc: argument 'scale': expected a finite number > 0, got -1",
                           self.rule.check, **t, scale=-1)
        self.assertRefusedWith("expected a finite number > 0, got nan",
                               self.rule.check, **t, scale=float("nan"))

    def test_initial_state(self):
        t = gdn_inputs()
        self.rule.check(**t, initial_state=FakeTensor((2, 4, 128, 128), FP32))
        self.rule.check(**t, initial_state={"S": FakeTensor((2, 4, 128, 128), FP32)})
        self.assertRefused("larc: argument 'initial_state': expected shape [N, H, K, V] = "
                           "[2, 4, 128, 128], got [3, 4, 128, 128] (N = B = 2 sequences)",
                           self.rule.check, **t,
                           initial_state=FakeTensor((3, 4, 128, 128), FP32))
        self.assertRefused("larc: argument 'initial_state': rule 'gated_delta_rule' has no "
                           "state 'h' (its states: S)", self.rule.check, **t,
                           initial_state={"h": FakeTensor((2, 4, 128, 128), FP32)})
        # flash-linear-attention accepts bf16 states; larc casts them to fp32.
        self.rule.check(**t, initial_state=FakeTensor((2, 4, 128, 128), BF16))
        self.assertEqual(FakeTensor.conversions, [("float", (2, 4, 128, 128))])


class VarlenTest(LarcTestCase):
    def setUp(self):
        self.package = PackageDir("gated_delta_rule.json")
        self.rule = larc.load(self.package.path)
        FakeTensor.conversions.clear()
        self.t = gdn_inputs(B=1, T=100)

    def test_device_offsets_are_checked_on_a_host_copy(self):
        offsets = FakeTensor((4,), INT32, values=[0, 30, 30, 100])
        plan = self.rule.check(**self.t, cu_seqlens=offsets)
        self.assertEqual(plan.sequences, 3)
        self.assertEqual(plan.state_shapes, ((3, 4, 128, 128),))
        self.assertEqual(FakeTensor.conversions, [("cpu", (4,))])
        bad = FakeTensor((4,), INT32, values=[0, 30, 20, 100])
        self.assertRefused("larc: argument 'cu_seqlens_host': offsets must not decrease, got "
                           "cu_seqlens_host[2] = 20 after cu_seqlens_host[1] = 30",
                           self.rule.check, **self.t, cu_seqlens=bad)
        # Without the check no copy is made; the shape still gives N.
        FakeTensor.conversions.clear()
        self.assertEqual(self.rule.check(**self.t, cu_seqlens=bad,
                                         check_cu_seqlens=False).sequences, 3)
        self.assertEqual(FakeTensor.conversions, [])

    def test_fla_int64_offsets_and_cu_seqlens_cpu(self):
        offsets = FakeTensor((3,), INT64, values=[0, 60, 100])
        host = FakeTensor((3,), INT64, device="cpu", values=[0, 60, 100])
        plan = self.rule.check(**self.t, cu_seqlens=offsets, cu_seqlens_cpu=host)
        self.assertEqual(plan.sequences, 2)
        self.assertEqual(FakeTensor.conversions, [("int", (3,))])
        wrong = FakeTensor((3,), INT64, device="cpu", values=[0, 60, 99])
        self.assertRefused("larc: argument 'cu_seqlens_host': the last offset must be T = 100 "
                           "(the tokens of 'q'), got cu_seqlens_host[2] = 99",
                           self.rule.check, **self.t, cu_seqlens=offsets,
                           cu_seqlens_cpu=wrong)
        strict = larc.load(self.package.path, strict=True)
        self.assertRefused("larc: argument 'cu_seqlens': expected dtype int32 (the kernel "
                           "reads int32 offsets), got int64", strict.check, **self.t,
                           cu_seqlens=offsets, cu_seqlens_cpu=host)

    def test_host_offsets_move_to_the_device(self):
        offsets = FakeTensor((3,), INT32, device="cpu", values=[0, 5, 100])
        self.assertEqual(self.rule.check(**self.t, cu_seqlens=offsets).sequences, 2)
        self.assertEqual(FakeTensor.conversions, [("to", (3,))])
        offsets = FakeTensor((3,), INT32, device="cpu", values=[1, 5, 100])
        self.assertRefused("larc: argument 'cu_seqlens_host': offsets must start at 0, got "
                           "cu_seqlens_host[0] = 1", self.rule.check, **self.t,
                           cu_seqlens=offsets)

    def test_batch_must_be_one(self):
        t = gdn_inputs(B=2)
        offsets = FakeTensor((3,), INT32, values=[0, 60, 100])
        self.assertRefused("larc: argument 'cu_seqlens': with cu_seqlens the sequences are "
                           "packed along T and B must be 1, got B = 2 (from 'q')",
                           self.rule.check, **t, cu_seqlens=offsets)

    def test_initial_state_per_sequence(self):
        offsets = FakeTensor((4,), INT32, values=[0, 30, 30, 100])
        self.assertRefused("larc: argument 'initial_state': expected shape [N, H, K, V] = "
                           "[3, 4, 128, 128], got [1, 4, 128, 128] (N = 3 sequences from "
                           "cu_seqlens)", self.rule.check, **self.t, cu_seqlens=offsets,
                           initial_state=FakeTensor((1, 4, 128, 128), FP32))

    def test_cpu_copy_without_offsets(self):
        host = FakeTensor((3,), INT32, device="cpu", values=[0, 60, 100])
        self.assertRefused("larc: argument 'cu_seqlens_cpu' was given without 'cu_seqlens'",
                           self.rule.check, **self.t, cu_seqlens_cpu=host)


class OtherRulesTest(LarcTestCase):
    def test_two_states_and_no_gates(self):
        package = PackageDir("linear_attention.json")
        rule = larc.load(package.path)
        q = FakeTensor((3, 10, 2, 64))
        z = FakeTensor((3, 2, 64), FP32)
        plan = rule.check(q, q, q, initial_state={"z": z})
        self.assertEqual(plan.state_shapes, ((3, 2, 64, 64), (3, 2, 64)))
        rule.check(q, q, q, initial_state=(None, z))
        self.assertRefused("larc: argument 'initial_state': rule 'linear_attention' has states "
                           "S, z; pass a dict by name or a tuple in that order",
                           rule.check, q, q, q, initial_state=z)
        self.assertRefused("larc: argument 'initial_state['z']': expected rank 3 [N, H, K], "
                           "got rank 4 [3, 2, 64, 64]", rule.check, q, q, q,
                           initial_state={"z": FakeTensor((3, 2, 64, 64), FP32)})
        self.assertRefusedWith("larc: rule 'linear_attention' takes no argument 'g'",
                               rule.check, q, q, q, g=FakeTensor((3, 10, 2), FP32))
        rule.check(q, q, q, g=None)  # None stands for "not given"

    def test_g_names_a_differently_named_gate(self):
        package = PackageDir("gated_delta_rule.json", ('"name": "g"', '"name": "gk"'))
        rule = larc.load(package.path)
        t = gdn_inputs()
        gate = t.pop("g")
        self.assertEqual(rule.inputs[3], "gk")
        rule.check(**t, g=gate)
        rule.check(**t, gk=gate)
        self.assertRefused("larc: argument 'gk' was given twice (as 'g')",
                           rule.check, **t, gk=gate, g=gate)

    def test_rules_without_scale_refuse_one(self):
        package = PackageDir("gated_delta_rule.json",
                             (',\n  "scale_default": "1/sqrt(K)"', ""))
        rule = larc.load(package.path)
        self.assertFalse(rule.uses_scale)
        self.assertRefused("larc: argument 'scale': rule 'gated_delta_rule' has no scale (its "
                           "spec never uses `scale`)", rule.check, **gdn_inputs(), scale=0.1)


class CallTest(LarcTestCase):
    """__call__ up to the launch, with allocation and the stream faked."""

    def setUp(self):
        self.package = PackageDir("gated_delta_rule.json")
        self.rule = larc.load(self.package.path)
        self.saved = _rule._allocate, _rule._stream_handle
        self.allocated = []

        def allocate(plan, output_final_state, device):
            outputs = [FakeTensor(shape) for shape in plan.output_shapes]
            finals = [FakeTensor(shape, FP32) if output_final_state else None
                      for shape in plan.state_shapes]
            self.allocated.append((outputs, finals))
            return outputs, finals

        _rule._allocate = allocate
        _rule._stream_handle = lambda stream, device: 0

    def tearDown(self):
        _rule._allocate, _rule._stream_handle = self.saved

    def test_launch_fails_cleanly_without_a_driver(self):
        error = self.assertRefusedWith("larc: ", self.rule, **gdn_inputs(),
                                       output_final_state=True)
        outputs, finals = self.allocated[0]
        self.assertEqual(outputs[0].shape, (2, 100, 4, 128))
        self.assertEqual(finals[0].shape, (2, 4, 128, 128))
        available, why = larc.driver_available()
        if not available:
            self.assertEqual(error.code, _capi.ERROR_CUDA)
            self.assertEqual(str(error), why)
            self.assertTrue(why.startswith("larc: no CUDA driver: "))

    def test_arguments_are_checked_before_allocating(self):
        t = gdn_inputs()
        t["v"] = FakeTensor((2, 99, 4, 128))
        self.assertRefusedWith("argument 'v'", self.rule, **t)
        self.assertEqual(self.allocated, [])

    def test_inputs_that_require_grad(self):
        try:
            import torch  # noqa: F401
        except ImportError:
            self.skipTest("torch is not installed")
        t = gdn_inputs()
        t["q"].requires_grad = True
        self.assertRefusedWith("the backward pass is not available yet", self.rule, **t)


if __name__ == "__main__":
    unittest.main(verbosity=2)
