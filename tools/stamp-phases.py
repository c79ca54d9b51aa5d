#!/usr/bin/env python3
"""Copies a larc package with clock stamps between the phases of its chunk loop (here).

A profiling aid for kernel work (bench/NOTES.md, session 8): the copy's kernel adds the
SM clock cycles each warpgroup spends in every phase of the chunk loop (TMA wait,
prologue, cumsum, L, the solve, the output products, the output store, the state
update, ...) and CTA (0, 0, 0) writes the sums, one row per warpgroup, over the first
columns of the final state of sequence 0, head 0. tools/time-phases.py runs such copies
on the GPU and prints cycles per chunk. The stamps are placed after the generated code's
own phase comments and barriers, so a phase that a rule does not have is not stamped;
phases.json in the copy names them in order. A pipelined loop (a producer warpgroup ahead
of the owner, KernelPlan::pipelined) has a loop per role: each is stamped at its own
phases, and phases.json is {"owner": [...], "producer": [...]} (rows 0 and 1); with two owners
(V = 128) {"owner 0": [...], "owner 1": [...], "producer": [...]} (rows 0-2).

  tools/stamp-phases.py build-bench/gated_delta_rule_k128_v128 build-prof/gdr
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (phase, where, the generated line it is anchored on): the stamp goes before or
# after the first line inside the chunk loop that starts with the text.
ANCHORS = [
    ("wait", "after", "__syncthreads(); // the scalars are in shared memory"),
    ("gates", "before", "// 1. Prologue (design.md"), # after a gate pass ("// 1a.") only
    ("prologue", "before", "// S_0 in bf16 for the shared-memory operand"),
    ("prologue", "before", "// S̃_0 = diag(e^m) S_0 in bf16"),
    ("state copy", "before", "// The prologue is done with the raw rows"),
    ("cumsum", "after-barrier", "// 2. b = cumsum"),
    ("L", "after", "__syncthreads(); // L is whole"),
    ("solve", "after", "__syncthreads(); // T is whole"),
    ("scale Y", "before", "// 2c."),
    ("W U", "before", "// 2d."),
    ("C", "before", "if constexpr (!kSummary) { // phase 1"),
    ("O products", "before", "// 4. The output rows"),
    ("O store", "before", "// 5. S_C"),
    # "decay A": before the state update's first wgmma::fence after a barrier.
    ("update", "after", "LARC_FOR_LANE(i, kStateBlocks) wgmma::fence_operand(s[i]);"),
]

STAMP_SUPPORT = """
// tools/stamp-phases.py: cycles per phase of the chunk loop, summed per thread.
__device__ __forceinline__ unsigned larcClock() {
  unsigned c;
  asm volatile("mov.u32 %0, %%clock;" : "=r"(c)::"memory");
  return c;
}
#define LARC_STAMP(i)                                                          \\
  do {                                                                         \\
    const unsigned now = larcClock();                                          \\
    larcCycles[i] += now - larcLast;                                           \\
    larcLast = now;                                                            \\
  } while (0)
"""


# The pipelined loop's roles: (phase it closes, where, anchor), as ANCHORS (an anchor
# may be a tuple of alternatives). The owner's "decay C" (its data decayed to the
# chunk's end) closes at the update's wgmma::fence after a barrier; the producer's last
# phase, at its arrive on `full`, is Y ⊙ e^{b'}, the cumsum or the one before, the
# last of them the rule has.
OWNER_ANCHORS = [
    ("wait full", "after", "mbarrier::wait(sm.full, parity);"),
    ("state copy", "after", "warpgroup::barrier_sync(1 + wg); // S_0 is whole"),
    ("wait T", "after", ("mbarrier::wait(sm.tLoaded, parity);", "mbarrier::wait(once.tLoaded,")),
    ("W U", "before", "// 2d."),
    ("C", "before", "if constexpr (!kSummary) { // phase 1"),  # after "W U" only
    ("O products", "before", "// 4. The output rows"),
    ("O store", "before", "// 5. S_C"),
    ("update", "before", "mbarrier::arrive(sm.empty);"),
]
WAIT_ROWS = ("wait rows", "after",
             "warpgroup::barrier_sync(kProducerBarrier, kProducerThreads); // the scalars")
PRODUCER_ANCHORS = [
    ("next rows", "before", "// The owner is done with this stage's chunk before"),
    ("wait empty", "after", "mbarrier::wait(sm.empty, parity ^ 1u);"),
    WAIT_ROWS,
    ("prologue", "before", "// 2. b = cumsum"),
    ("cumsum", "before", "// 2a. Y"),
]
PIPELINED_LOOP = "for (int64_t c0 = bos, chunk = 0;"
# The pipelined loop at two value tiles (KernelPlan::compactStages): the producer's
# warpgroups (after the owners) run their loop first and return; the owners' comes
# after. The producer loads the next rows after its prologue (the raw rows live once).
COMPACT_PRODUCER = "if (!ownsTile) { // the producer"
COMPACT_PRODUCER_ANCHORS = [
    ("wait empty", "after", "mbarrier::wait(sm.empty, parity ^ 1u);"),
    WAIT_ROWS,
    ("prologue", "before", "// The prologue is done with the raw rows"),
    ("next rows", "before", "// 2. b = cumsum"),
    ("cumsum", "before", "// 2a. Y"),
]
# The producer's sums reach the owners' report through shared memory and a named
# barrier (the producer returns before the final state is written).
COMPACT_REPORT_BARRIER = 15


def stamp_role_line(line, out, role, stamped, anchors):
    """Appends `line` to `out` with the stamps of `role`'s phases it opens or closes
    (`stamped`: the role's phases so far, extended)."""
    text = line.strip()
    before = after = None
    for name, where, anchor in anchors:
        if name in stamped or not text.startswith(anchor):
            continue
        if name == "C" and "W U" not in stamped:
            continue
        before, after = (name, None) if where == "before" else (None, name)
        break
    if role == "owner" and (text == "wgmma::fence();" and "O store" in stamped
                            and "decay C" not in stamped
                            and out[-1].strip().startswith("warpgroup::barrier_sync(1 + wg);")):
        before = "decay C"
    if role == "producer" and text.startswith("mbarrier::arrive(sm.full);"):
        # The last phase the rule has: Y ⊙ e^{b'} after the cumsum, else the cumsum,
        # else the phase before it.
        last, before_last = anchors[-1][0], anchors[-2][0]
        before = ("scale Y" if last in stamped
                  else last if before_last in stamped else before_last)
    if before:
        stamped.append(before)
        out.append(f"      LARC_STAMP({len(stamped) - 1}); // {before}")
    out.append(line)
    if after:
        stamped.append(after)
        out.append(f"      LARC_STAMP({len(stamped) - 1}); // {after}")


def stamp_compact(source):
    """stamp() for the two-owner loop: {"owner 0", "owner 1", "producer"} (rows 0-2)."""
    out, names = [], {"owner": [], "producer": []}
    role = None
    for line in source.split("\n"):
        text = line.strip()
        if text.startswith(COMPACT_PRODUCER):
            out.append("  unsigned larcCycles[16] = {}, larcLast = 0;")
            out.append("  __shared__ unsigned larcProducerCycles[16];")
            out.append(line)
            role = "producer"
        elif text.startswith(PIPELINED_LOOP):
            out.append("    larcLast = larcClock();")
            out.append(line)
        elif role == "producer" and text.startswith("return; // the owners"):
            out.append("    if (blockIdx.x == 0 && blockIdx.y == 0 && blockIdx.z == 0 && tid == 0)")
            out.append("      for (int i = 0; i < 16; ++i) larcProducerCycles[i] = larcCycles[i];")
            out.append(f"    warpgroup::barrier_arrive({COMPACT_REPORT_BARRIER}, kLoopThreads);")
            out.append(line)
            role = "owner"
        elif role:
            stamp_role_line(line, out, role, names[role],
                            OWNER_ANCHORS if role == "owner" else COMPACT_PRODUCER_ANCHORS)
        else:
            out.append(line)
    if not names["owner"] or not names["producer"]:
        sys.exit("stamp-phases: expected the producer's and the owners' chunk loops")
    return "\n".join(out), {"owner 0": names["owner"], "owner 1": names["owner"],
                            "producer": names["producer"]}


def stamp_pipelined(source):
    """stamp() for a pipelined loop: the names per role, {"owner": [...], "producer": [...]}."""
    out, names = [], {"owner": [], "producer": []}
    role = None  # the loop being stamped
    loops = 0
    for line in source.split("\n"):
        text = line.strip()
        if text.startswith(PIPELINED_LOOP):
            if loops == 0:  # before `if (ownsTile) {`, in the function's scope
                out.insert(len(out) - 1, "  unsigned larcCycles[16] = {}, larcLast = 0;")
            role = "owner" if loops == 0 else "producer"
            loops += 1
            out.append("    larcLast = larcClock();")
            out.append(line)
            continue
        if not role:
            out.append(line)
            continue
        stamp_role_line(line, out, role, names[role],
                        OWNER_ANCHORS if role == "owner" else PRODUCER_ANCHORS)
        if role == "owner" and "update" in names[role] and text == "}":
            role = None  # the owner's loop is closed; the producer's comes next
        if role == "producer" and text.startswith("mbarrier::arrive(sm.full);"):
            role = None
    if loops != 2:
        sys.exit("stamp-phases: expected the owner's and the producer's chunk loops")
    return "\n".join(out), names


def stamp(source):
    """The source with stamps, and the names of the phases stamped, in order."""
    if COMPACT_PRODUCER in source:
        return stamp_compact(source)
    if PIPELINED_LOOP in source:
        return stamp_pipelined(source)
    out, names = [], []
    in_loop, after_barrier, in_update = False, None, False
    gate_pass = False

    def add(name):
        names.append(name)
        out.append(f"    LARC_STAMP({len(names) - 1}); // {name}")

    for line in source.split("\n"):
        text = line.strip()
        if text.startswith("for (int64_t c0 = bos;"):
            in_loop = True
            out.append("  unsigned larcCycles[16] = {}, larcLast = larcClock();")
            out.append(line)
            continue
        before = after = None
        if in_loop:
            gate_pass = gate_pass or text.startswith("// 1a.")
            for name, where, anchor in ANCHORS:
                if name in names or not text.startswith(anchor):
                    continue
                if name == "gates" and not gate_pass:
                    continue
                if where == "before":
                    before = name
                elif where == "after":
                    after = name
                elif where == "after-barrier":
                    after_barrier = name
                break
            if text.startswith("// 5. S_C"):
                in_update = True
            # The state update's operands are ready at its wgmma::fence after a barrier.
            if in_update and text == "wgmma::fence();" and out[-1].strip() == "__syncthreads();":
                before, in_update = "decay A", False
            if after_barrier and text == "__syncthreads();" and after is None:
                after, after_barrier = after_barrier, None
            if after == "update":
                in_loop = False
        if before:
            add(before)
        out.append(line)
        if after:
            add(after)
    text = "\n".join(out)
    if not names:
        sys.exit("stamp-phases: no chunk loop found")
    return text, names


def add_report(text, count, compact=False):
    """The stamps' sums of CTA (0, 0, 0), one row of `count` per warpgroup, over the final
    state; and the clock support. Two owners (compact): only they reach the end, and
    row 2 is the producer's, from shared memory."""
    report = (
        f"  warpgroup::barrier_sync({COMPACT_REPORT_BARRIER}, kLoopThreads); // the producer's sums\n"
        "  if (blockIdx.x == 0 && blockIdx.y == 0 && blockIdx.z == 0 &&\n"
        "      threadIdx.x % 128 == 0 && p.finalStates[0].data) {\n"
        "    unsigned *row = reinterpret_cast<unsigned *>(\n"
        "        stateAt(p.finalStates[0], 0, 0, threadIdx.x / 128, 0));\n"
        f"    for (int i = 0; i < {count}; ++i) row[i] = larcCycles[i];\n"
        "    if (threadIdx.x == 0) {\n"
        "      unsigned *producer = reinterpret_cast<unsigned *>(stateAt(p.finalStates[0], 0, 0, 2, 0));\n"
        f"      for (int i = 0; i < {count}; ++i) producer[i] = larcProducerCycles[i];\n"
        "    }\n"
        "  }\n") if compact else (
        "  __syncthreads();\n"
        "  if (blockIdx.x == 0 && blockIdx.y == 0 && blockIdx.z == 0 &&\n"
        "      threadIdx.x % 128 == 0 && p.finalStates[0].data) {\n"
        "    unsigned *row = reinterpret_cast<unsigned *>(\n"
        "        stateAt(p.finalStates[0], 0, 0, threadIdx.x / 128, 0));\n"
        f"    for (int i = 0; i < {count}; ++i) row[i] = larcCycles[i];\n"
        "  }\n")
    # The end of the kernel's body: run<> before the entry points of a split plan,
    # else the kernel itself, the file's last function.
    marker = "\n}\n\n// The package's kernels"
    end = text.rindex(marker) if marker in text else text.rstrip().rindex("\n}")
    text = text[:end] + "\n" + report + text[end:]
    return text.replace("using namespace larc_kernel;\n",
                        "using namespace larc_kernel;\n" + STAMP_SUPPORT, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("package")
    ap.add_argument("out")
    ap.add_argument("--nvcc", default=shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc")
    args = ap.parse_args()
    package, out = Path(args.package), Path(args.out)
    manifest = json.loads((package / "manifest.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(package, out)
    cu = out / manifest["cubin"].replace(".cubin", ".cu")
    text, names = stamp(cu.read_text())
    count = max(len(v) for v in names.values()) if isinstance(names, dict) else len(names)
    cu.write_text(add_report(text, count, compact=isinstance(names, dict) and "producer" in names
                             and "owner 0" in names))
    (out / "phases.json").write_text(json.dumps(names) + "\n")
    subprocess.run([args.nvcc, "-std=c++17", "-O3", "-gencode=arch=compute_90a,code=sm_90a",
                    "--cubin", f"-I{REPO}/lowering/cuda/include", f"-I{REPO}/runtime/include",
                    str(cu), "-o", str(out / manifest["cubin"])], check=True)
    roles = names.items() if isinstance(names, dict) else [("", names)]
    for role, phases in roles:
        print(f"{out}: {role + ' ' if role else ''}{len(phases)} phases: {', '.join(phases)}")


if __name__ == "__main__":
    main()
