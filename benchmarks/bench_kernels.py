"""Notebook 10's rungs with 1 and with 4 kernels training at once on this machine.

A "kernel" here is a Python process doing what notebook 10's training cells do: one epoch of
each rung with the notebook's settings (``mlbook.ladder.COURSE``) on the course split.
Run 1, then 4 of them at once, each with numpy's BLAS at its default thread count (one per
core: OpenBLAS's threads spin between products) and with one thread
(``OPENBLAS_NUM_THREADS=1``, what mlbook.threads recommends for a hub). Prints the median
wall-clock seconds per rung over the concurrent kernels, and the slowdown against one kernel
with the same setting.

On 2 cores, 4 kernels can at best take 2x as long as one (each gets half a core); a slowdown
far above that is time lost to threads waiting for each other. Run it on an otherwise idle
machine for clean figures (another engineer's load adds to both).

    python benchmarks/bench_kernels.py [--kernels 4] [--rungs logistic convnet]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {bench!r})

from mlbook import ladder
from mlbook.datasets.mnist import course_split
train, test = course_split()
out = {{}}
for rung in {rungs!r}:
    c = {{k: v for k, v in ladder.COURSE[rung].items() if k != "epochs"}}
    t0 = time.perf_counter()
    ladder.train_rung(rung, train, test, epochs=1, **c)
    out[rung] = time.perf_counter() - t0
print(json.dumps(out))
"""


def run(n, rungs, threads):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)
        if threads is not None:
            env[var] = str(threads)
    code = CHILD.format(bench=str(ROOT / "benchmarks"), rungs=list(rungs))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(n)]
    results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    return {r: statistics.median(res[r] for res in results) for r in rungs}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", type=int, default=4)
    ap.add_argument("--rungs", nargs="+", default=["logistic", "sigmoid_625", "modern",
                                                   "convnet"])
    args = ap.parse_args(argv)
    cores = os.cpu_count()
    print(f"{cores} cores; one epoch per rung (notebook 10's settings), wall-clock seconds, "
          f"median over the concurrent kernels")
    print(f"{'BLAS threads':>14s} {'rung':>12s} {'1 kernel':>9s} {f'{args.kernels} kernels':>10s} "
          f"{'slowdown':>9s}  (ideal {max(1.0, args.kernels / cores):.1f}x)")
    for threads in (None, 1):
        one = run(1, args.rungs, threads)
        many = run(args.kernels, args.rungs, threads)
        label = "default" if threads is None else str(threads)
        for rung in args.rungs:
            print(f"{label:>14s} {rung:>12s} {one[rung]:9.2f} {many[rung]:10.2f} "
                  f"{many[rung] / one[rung]:8.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    t0 = time.monotonic()
    code = main()
    print(f"({time.monotonic() - t0:.0f} s; load average now "
          f"{os.getloadavg()[0]:.1f})")
    sys.exit(code)
