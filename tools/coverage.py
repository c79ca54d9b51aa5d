#!/usr/bin/env python3
"""Coverage of flash-linear-attention's rules: a dated Markdown table, one row per examples/peer spec.

Issue 9 item 5. For every examples/peer/*.larc it shows
  - the peer function the spec reproduces (read from the spec's leading comment);
  - what the rule needed beyond the base form S_t = a_t S_{t-1} + k v^T, o = S^T q
    (one [K, V] state, no or scalar decay, terms without probes), read from
    `larcc compile SPEC --emit=class`;
  - `larcc verify SPEC --dtype f64` and `--dtype f32`: pass or fail and the largest relative
    error it prints (with the spec's extra options from tests/peer/CMakeLists.txt);
  - agreement with the peer, from the JSON that
    `tests/peer/compare_with_peer.py --check DIR --json PATH` writes on the GPU machine;
  - whether larcc generates a GPU kernel (`--emit=cuda`; larcc's reason where it does not)
    and, with --packages DIR, whether DIR/<rule>_k128_v128/*.cubin uses wgmma (HGMMA in its SASS);
  - larc's and the peer's time on B8-T2048-H16-D128 from bench/bench.py's JSON files.
Standard library only. larcc runs two at a time, each under a 60 s limit; a crash or a timeout
shows as an error in its cell. All 23 rules take about a minute and a half on two cores (dplr and
gated_delta_product verify for ~15-20 s each).

  python3 tools/coverage.py                                  # all rules, Markdown on stdout
  python3 tools/coverage.py --rules simple_gla,kda
  python3 tools/coverage.py --out /tmp/coverage.md --peer-json peer.json \\
      --bench-json bench/results/2026-11-23-h100-*-s2*.json --packages build-bench/peer
"""

import argparse
import concurrent.futures
import datetime
import json
import math
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
PEER_SPECS = REPO / 'examples' / 'peer'
PEER_CTEST = REPO / 'tests' / 'peer' / 'CMakeLists.txt'  # per-spec `larcc verify` options
BENCH_SHAPE = 'B8-T2048-H16-D128'
SPEED = f'larc / peer ms, {BENCH_SHAPE} (speed-up)'  # the bench column
GPU_CHECK = 'GPU bf16 vs fp64, within 1.5× the peer (device table)'
TIMEOUT_S = 60
WORKERS = 2
CUOBJDUMP_PLACES = [
    '/usr/local/cuda/bin/cuobjdump',
    '/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/nvidia/cu13/bin/cuobjdump',
]


class Run(NamedTuple):
    rc: int | None  # None: did not finish (timeout, or could not start)
    out: str        # stdout and stderr


class Cell(NamedTuple):
    ok: bool | None  # None: not known (not run, error)
    text: str


def run(cmd, timeout=TIMEOUT_S):
    """Runs cmd in the repository root; never raises."""
    try:
        p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, errors='replace',
                           timeout=timeout)
        return Run(p.returncode, p.stdout + p.stderr)
    except subprocess.TimeoutExpired:
        return Run(None, f'timeout after {timeout} s')
    except OSError as e:
        return Run(None, str(e))


def shorten(text, width=70):
    text = ' '.join(text.split())
    return text if len(text) <= width else text[:width - 1] + '…'


def failure(r):
    """A short reason for a run that did not succeed."""
    if r.rc is None:
        return r.out
    m = re.search(r'error: (.*)', r.out)
    lines = r.out.strip().splitlines()
    why = m.group(1) if m else (lines[-1] if lines else 'no output')
    why = re.sub(r'^\S*larcc: ', '', why)  # the loader's messages start with the program's path
    how = f'signal {-r.rc}' if r.rc < 0 else f'exit {r.rc}'
    return f'{how}: {why}'


def fmt_err(e):
    return f'{e:.1e}'


def worst(errors):
    """The largest error, NaN above everything."""
    return max(errors, key=lambda e: (math.isnan(e), e))


# -- what the repository says -------------------------------------------------------------------

def peer_function(spec):
    """The peer call named in the spec's leading comment, as `<op folder>.<function>`."""
    comment = []
    for line in spec.read_text().splitlines():
        if not line.startswith('#'):
            break
        comment.append(line.lstrip('#').strip())
    text = ' '.join(comment)
    at = text.find('flash-linear-attention')
    m = re.compile(r'(?:fla\.ops\.)?([A-Za-z_]\w*(?:\.\w+)+)\(').search(text, max(at, 0))
    if not m:
        return '?'
    parts = m.group(1).split('.')
    return f'{parts[0]}.{parts[-1]}'


def verify_options():
    """{rule: [extra `larcc verify` arguments]}, from the peer ctests' LARC_PEER_OPTIONS_<rule>."""
    text = PEER_CTEST.read_text() if PEER_CTEST.exists() else ''
    return {m[1]: m[2].split() for m in re.finditer(r'set\(LARC_PEER_OPTIONS_(\w+)\s+([^)]*)\)', text)}


def find_cuobjdump():
    found = shutil.which('cuobjdump')
    return found or next((p for p in CUOBJDUMP_PLACES if Path(p).exists()), None)


# -- reading larcc's output ---------------------------------------------------------------------

STATE_RE = re.compile(r'^  state \w+ \[([^\]]*)\]: (\d+) sub-steps?, decay ([\w-]+), (no )?probes', re.M)
TERMS_RE = re.compile(r'^    step \d+: .*?, (\d+) terms?', re.M)


def needed(r):
    """What `--emit=class` shows beyond the base form, as a short phrase."""
    if r.rc != 0:
        return Cell(None, 'error: ' + shorten(failure(r), 50))
    states = STATE_RE.findall(r.out)
    terms = max((int(n) for n in TERMS_RE.findall(r.out)), default=1)
    steps = max((int(s[1]) for s in states), default=1)
    found = [
        (len(states) > 1, f'{len(states)} states'),
        (any(',' not in s[0] for s in states), 'vector state'),
        (re.search(r'^    apply: (?!whole)', r.out, re.M), 'transposed state'),
        (any(s[2] == 'per-key' for s in states), 'per-key decay'),
        (any(not s[3] for s in states),
         'probe (delta rule)' if terms == 1 else f'{terms} terms, probe (DPLR)'),
        (steps > 1, f'{steps} sub-steps'),
        ('readout prev' in r.out, 'prev readout'),
        ('reads:' in r.out, 'reads another state'),
        ('restarts where' in r.out, 'restarts'),
        (re.search(r'(kron|concat)\(', r.out), 'feature map'),
        ('softmax(' in r.out, 'softmax'),
    ]
    return Cell(True, ', '.join(what for hit, what in found if hit) or '—')


ERROR_RE = re.compile(r'relative error\s+(\S+)')


def verified(r):
    """`larcc verify`'s verdict and its largest relative error."""
    verdict = re.findall(r'^(PASS|FAIL)\b', r.out, re.M)
    errors = [float(e) for e in ERROR_RE.findall(r.out)]
    if r.rc is None or not verdict or not errors or (verdict[-1] == 'PASS') != (r.rc == 0):
        return Cell(None, 'error: ' + shorten(failure(r), 50))
    ok = verdict[-1] == 'PASS'
    return Cell(ok, f"{'pass' if ok else 'FAIL'} {fmt_err(worst(errors))}")


def gpu_kernel(r):
    """Whether `--emit=cuda` succeeded; larcc's reason where it did not."""
    if r.rc == 0:
        return Cell(True, 'yes')
    if r.rc is None or r.rc < 0 or 'error: ' not in r.out:
        return Cell(None, 'error: ' + shorten(failure(r), 50))
    why = re.search(r'error: (.*)', r.out).group(1)
    why = why.removeprefix('GPU code generation does not handle ').removesuffix(' yet')
    return Cell(False, 'no: ' + shorten(why, 60))


def sass(r):
    if r.rc != 0:
        return Cell(None, 'cuobjdump error')
    return Cell('HGMMA' in r.out, 'HGMMA' if 'HGMMA' in r.out else 'no HGMMA')


# -- results of other scripts -------------------------------------------------------------------

def peer_agreement(results, rule):
    """compare_with_peer.py's verdict for rule, with its largest error."""
    if results is None or rule not in results:
        return Cell(None, 'not run')
    entry = results[rule]
    if entry.get('pass') is None:
        return Cell(None, 'skipped')
    errors = entry.get('outputs', {})
    if not errors:
        return Cell(False, 'FAIL: ' + shorten(entry.get('error', 'no outputs'), 40))
    if entry['pass']:
        return Cell(True, f'yes ({fmt_err(worst(errors.values()))})')
    bad = ', '.join(f'{n} {fmt_err(e)}' for n, e in errors.items() if not e <= 1e-5)
    return Cell(False, f'FAIL ({bad})')


def load_gpu_tables(paths):
    """{rule: [rows]} of tests/gpu/device_table.py --peer-specs --out files."""
    rows = {}
    for path in paths:
        for row in json.loads(Path(path).read_text()).get('rows', []):
            rows.setdefault(row['rule'].removeprefix('peer/'), []).append(row)
    return rows


def gpu_agreement(tables, rule):
    """The device table's rows of rule: how many pass (larc's bf16 GPU error vs an fp64
    recurrence within 1.5x the peer's chunk kernel's), and the worst larc/peer ratio."""
    rows = tables.get(rule)
    if not rows:
        return Cell(None, '-')
    passed = sum(1 for r in rows if r['ok'])
    ratios = [max(r['err_o'] / r['peer_err_o'], r['err_s'] / r['peer_err_s']) for r in rows
              if r.get('peer_err_o') and r.get('peer_err_s') and r['peer_err_s'] <= 1e-2]
    # parallel_based and the like return o only and take no initial state: o's ratio where the
    # peer ran the case; the states and the other cases are held to 1e-2
    o_only = all(r.get('peer_err_s') is None for r in rows)
    if o_only:
        ratios = [r['err_o'] / r['peer_err_o'] for r in rows if r.get('peer_err_o')]
    worst_ratio = f', worst {max(ratios):.2f}× peer' if ratios else ''
    note = ' (o; the peer returns no state, takes no h0)' if o_only and ratios else ''
    return Cell(passed == len(rows), f'{passed}/{len(rows)} rows{worst_ratio}{note}')


def load_bench(paths):
    """{variant: row} on BENCH_SHAPE (a later file wins) and the devices and dates named."""
    rows, devices = {}, set()
    for path in paths:
        data = json.loads(Path(path).read_text())
        for row in data.get('rows', []):
            shape = row.get('shape') or '-'.join(f'{k}{row.get(k)}' for k in 'BTHD')
            if shape == BENCH_SHAPE and 'variant' in row:
                rows[row['variant']] = row
                devices.add(f"{data.get('device', '?')}, {data.get('date', '?')}")
    return rows, devices


def speed(rows, rule):
    row = rows.get(rule)
    if not row or 'ms_peer' not in row:
        return Cell(None, '-')
    peer = row['ms_peer']
    if 'ms_larc' not in row:
        return Cell(None, f'- / {peer:.3f}')
    larc = row['ms_larc']
    return Cell(True, f'{larc:.3f} / {peer:.3f} ({peer / larc:.2f}×)')


# -- the table ----------------------------------------------------------------------------------

# Rules whose feature map sets the key dim, sized as bench/prepare.sh builds them (q, k of 16).
CUDA_SIZES = {'based': ['--dims', 'K=16'], 'rebased': ['--dims', 'K=16']}


def jobs_for(rule, larcc, options, package, cuobjdump):
    """(rule, kind) -> command: every larcc (and cuobjdump) run one rule needs."""
    spec = f'examples/peer/{rule}.larc'
    jobs = {
        (rule, 'f64'): [larcc, 'verify', spec, '--dtype', 'f64', *options],
        (rule, 'f32'): [larcc, 'verify', spec, '--dtype', 'f32', *options],
        (rule, 'class'): [larcc, 'compile', spec, '--emit=class'],
        (rule, 'cuda'): [larcc, 'compile', spec, '--emit=cuda', *CUDA_SIZES.get(rule, [])],
    }
    cubins = sorted(package.glob('*.cubin')) if package else []
    if cubins and cuobjdump:
        jobs[(rule, 'sass')] = [cuobjdump, '-sass', str(cubins[0])]
    return jobs


def run_all(jobs):
    """Runs every job, WORKERS at a time, with progress on stderr; {key: Run}."""
    done, start = {}, time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        futures = {pool.submit(run, cmd): key for key, cmd in jobs.items()}
        for future in concurrent.futures.as_completed(futures):
            key = futures[future]
            done[key] = future.result()
            print(f'[{len(done)}/{len(jobs)} {time.monotonic() - start:5.1f} s] {" ".join(key)}: '
                  f'rc {done[key].rc}', file=sys.stderr)
    return done


def package_cell(rule, packages, runs):
    """The --packages column: whether the k128/v128 package has a cubin and its SASS has HGMMA."""
    pkg = packages / f'{rule}_k128_v128'
    if not pkg.is_dir():
        return Cell(False, 'no package')
    if not list(pkg.glob('*.cubin')):
        return Cell(False, 'no cubin')
    if (rule, 'sass') not in runs:
        return Cell(None, 'cubin (no cuobjdump)')
    cell = sass(runs[(rule, 'sass')])
    return Cell(cell.ok, f'cubin, {cell.text}')


def row_cells(rule, runs, peer, bench, packages, tables):
    cells = {
        'rule': Cell(True, f'`{rule}`'),
        'peer function': Cell(True, f'`{peer_function(PEER_SPECS / f"{rule}.larc")}`'),
        'needed beyond the base form': needed(runs[(rule, 'class')]),
        'verify f64': verified(runs[(rule, 'f64')]),
        'verify f32': verified(runs[(rule, 'f32')]),
        'agrees with the peer': peer_agreement(peer, rule),
        'GPU kernel': gpu_kernel(runs[(rule, 'cuda')]),
        GPU_CHECK: gpu_agreement(tables, rule),
        SPEED: speed(bench, rule),
    }
    if packages:
        cells['package'] = package_cell(rule, packages, runs)
    return cells


def markdown_row(texts):
    return '| ' + ' | '.join(t.replace('|', '\\|') for t in texts) + ' |'


def summary(table):
    def passed(col):
        return sum(1 for cells in table if cells[col].ok)

    def shown(col, absent):
        return sum(1 for cells in table if cells[col].text != absent)

    n = len(table)
    verify = sum(1 for cells in table if cells['verify f64'].ok and cells['verify f32'].ok)
    compared = shown('agrees with the peer', 'not run')
    parts = [f'{verify} of {n} rules: CPU verify pass (f64 and f32)',
             f'{passed("GPU kernel")} generate a GPU kernel',
             f'{passed(GPU_CHECK)} pass every row of the GPU check against the peer',
             f'{passed("agrees with the peer")} of {compared} compared agree with the peer'
             if compared else 'the comparison with the peer not run',
             f'{passed(SPEED)} timed beside the peer on {BENCH_SHAPE}']
    if 'package' in table[0]:
        parts.insert(2, f'{passed("package")} packages use HGMMA')
    return '; '.join(parts) + '.'


def git_version():
    head = run(['git', 'rev-parse', '--short', 'HEAD'], timeout=10)
    dirty = run(['git', 'status', '--porcelain', '--untracked-files=no'], timeout=10)
    if head.rc != 0:
        return 'unknown commit'
    return head.out.strip() + (' plus uncommitted changes' if dirty.out.strip() else '')


def header(args, devices):
    lines = [f'## Coverage of flash-linear-attention\'s rules ({datetime.date.today().isoformat()})', '',
             f'- Generated by `tools/coverage.py` at larc {git_version()}.',
             '- Base form: S_t = a_t S_{t-1} + k v^T, o = S^T q (one [K, V] state, no or scalar '
             'decay, terms without probes); what a rule needed beyond it is read from '
             '`larcc compile --emit=class`.',
             '- CPU verify: `larcc verify` (default problem: B=2 T=200 H=2 dk=dv=32, chunk 64) in '
             'f64 (tolerance 1e-10) and f32 (1e-4): the largest relative error of the outputs and '
             'final states.',
             '- Peer: ' + (f'`{args.peer_json}` (compare_with_peer.py: the largest '
                           '‖larc − peer‖ / ‖peer‖, bound 1e-5).' if args.peer_json
                           else 'not run (no --peer-json).')]
    if devices:
        lines.append('- Bench: ' + '; '.join(sorted(devices)) + ' (bench/bench.py: '
                     + ', '.join(f'`{Path(p).name}`' for p in args.bench_json) + ').')
    return lines


def table_markdown(args, table, devices):
    columns = list(table[0])
    lines = header(args, devices) + ['', markdown_row(columns), markdown_row(['---'] * len(columns))]
    lines += [markdown_row([cells[c].text for c in columns]) for cells in table]
    return '\n'.join(lines + ['', summary(table)]) + '\n'


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rules', help='comma-separated rules (default: every examples/peer spec)')
    ap.add_argument('--out', help='also write the Markdown to this file')
    ap.add_argument('--larcc', default=str(REPO / 'build' / 'bin' / 'larcc'), help='larcc to run')
    ap.add_argument('--peer-json', help="compare_with_peer.py --json's output")
    ap.add_argument('--bench-json', nargs='+', default=[], metavar='PATH',
                    help="bench/bench.py's JSON files (a later file wins for the same variant)")
    ap.add_argument('--gpu-table-json', nargs='+', default=[], metavar='PATH',
                    help="tests/gpu/device_table.py --peer-specs --out files (the GPU column)")
    ap.add_argument('--packages', help='a folder of packages, DIR/<rule>_k128_v128 '
                    '(bench/prepare.sh writes them to build-bench/peer)')
    args = ap.parse_args()
    for option, path in [('--larcc', args.larcc), ('--peer-json', args.peer_json),
                         *(('--bench-json', p) for p in args.bench_json),
                         *(('--gpu-table-json', p) for p in args.gpu_table_json)]:
        if path and not Path(path).is_file():
            ap.error(f'{option}: no file {path}')
    known = sorted(p.stem for p in PEER_SPECS.glob('*.larc'))
    args.rules = args.rules.split(',') if args.rules else known
    unknown = [r for r in args.rules if r not in known]
    if unknown:
        ap.error(f'--rules: no examples/peer spec for {", ".join(unknown)}')
    return args


def main():
    args = parse_args()
    larcc = str(Path(args.larcc).resolve())
    packages = Path(args.packages).resolve() if args.packages else None
    cuobjdump = find_cuobjdump() if packages else None
    options = verify_options()
    jobs = {}
    for rule in args.rules:
        package = packages / f'{rule}_k128_v128' if packages else None
        jobs |= jobs_for(rule, larcc, options.get(rule, []), package, cuobjdump)
    runs = run_all(jobs)
    peer = json.loads(Path(args.peer_json).read_text()) if args.peer_json else None
    bench, devices = load_bench(args.bench_json)
    tables = load_gpu_tables(args.gpu_table_json)
    table = [row_cells(rule, runs, peer, bench, packages, tables) for rule in args.rules]
    text = table_markdown(args, table, devices)
    print(text, end='')
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
