"""Time every solution notebook executed in a fresh kernel, as nbval runs it.

Targets (ARCHITECTURE.md): each notebook ≤ 30 s (10 and 11, which train on the digits: ≤ 60 s),
all together ≤ 120 s, on the 2-core machine.
Prints each figure beside its target and exits 0 either way (a benchmark, not a timed test).

    python benchmarks/bench_notebooks.py
"""
import pathlib
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
LONGER = {"10": 60, "11": 60}          # notebook number -> its target in seconds, if not 30


def main():
    total = 0.0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        client.execute()
        dt = time.perf_counter() - t0
        total += dt
        limit = LONGER.get(path.name[:2], 30)
        flag = "ok" if dt <= limit else "OVER"
        print(f"{path.name:42s} {dt:6.1f} s   (target ≤ {limit} s)  {flag}", flush=True)
    flag = "ok" if total <= 120 else "OVER"
    print(f"{'all notebooks':42s} {total:6.1f} s   (target ≤ 120 s) {flag}")


if __name__ == "__main__":
    main()
