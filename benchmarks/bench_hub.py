"""A class on one hub: start-up, spawning, memory and explorer latency with many students.

    python benchmarks/bench_hub.py                       # 1, 10 and 20 students, limit on/off
    python benchmarks/bench_hub.py --students 1 5 --moves 5

Starts the course hub in test mode (tests/hub/hubsim.py: deploy/jupyterhub_config.py with
DummyAuthenticator and local processes, on 127.0.0.1), twice: with the per-kernel BLAS/OpenMP
thread limit (MLBOOK_KERNEL_THREADS=1, the production setting) and without it (0: numpy's
libraries start one thread per core in every kernel). Each time it measures

* hub start: process start until the hub's API answers through the proxy;
* spawn: all servers requested at once (concurrent API requests, as students clicking at the
  same time), time from the first request until the first, the 10th, ... is seen ready;
* memory per student: proportional set size (PSS) of a student's server and of its kernel,
  after the kernel has built the learning-rate explorer;
* explorer latency, kernel side, with 1, 10 and 20 students active at once: each active
  student's kernel moves the learning-rate slider of ``lr_explorer()`` (retrain 10,000 steps +
  redraw + PNG, timed by the explorer itself) and calls ``init_explorer_update`` (ten 256 x 128
  layers forward and backward: matrix products, where BLAS threads matter), ``--moves`` times,
  pausing ``--pause`` s between moves, all students at the same time;
* kernels lost: every kernel must still answer at the end.

Target (CONTRIBUTING.md): with 20 students active, explorer update p95 ≤ 1 s, no kernel lost.
A benchmark, not a test: it prints the figures and exits 0. Figures on a loaded machine are
inflated; the two configurations run one after the other, so compare them with care.
"""
import argparse
import concurrent.futures as cf
import json
import os
import pathlib
import platform
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hub"))

import hubsim  # noqa: E402

SETUP = """
import json, time
import numpy as np
from mlbook.widgets import lr_explorer, init_explorer_update
ex = lr_explorer()
init_explorer_update(depth=10)
print("ready")
"""
MOVES = """
lat = {{"lr": [], "init": []}}
rates = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0]
for k in range({moves}):
    ex.controls["lr"].value = rates[(k + {offset}) % len(rates)]
    ex.wait(timeout=600)
    lat["lr"].append(ex.timings[-1]["total"] / 1000)
    t0 = time.perf_counter()
    init_explorer_update(depth=10, seed=k + {offset})
    lat["init"].append(time.perf_counter() - t0)
    time.sleep({pause})
print(json.dumps(lat))
"""


def pss_kib(pid):
    try:
        text = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return None


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[k]


def run_config(threads, sizes, moves, pause, workdir):
    n = max(sizes)
    hub = hubsim.Hub(workdir / f"threads-{threads}", kernel_threads=threads)
    out = {"threads": threads}
    try:
        hub.start()
        out["hub_start_s"] = hub.started_in
        names = [f"s{i:02d}" for i in range(1, n + 1)]
        hub.add_users(names)
        t0 = time.monotonic()
        ready = hub.spawn(names, timeout=1800)
        order = sorted(ready.values())
        out["spawn_s"] = {k: order[k - 1] for k in sorted(set(sizes) | {n}) if k <= len(order)}
        students = [hub.student(name) for name in names]
        kernels = []
        t0 = time.monotonic()
        for s in students:
            k = s.open_notebook("bench.ipynb")
            r = k.execute(SETUP, timeout=600)
            if r["error"]:
                raise hubsim.HubError(f"setup failed for {s.name}: {r}")
            kernels.append(k)
        out["kernels_ready_s"] = time.monotonic() - t0
        procs = hub.processes()
        servers = [p for p, cmd in procs.items() if "jupyterhub.singleuser" in cmd]
        kpids = [p for p, cmd in procs.items() if "ipykernel_launcher" in cmd]
        out["server_pss_mib"] = statistics.median(pss_kib(p) or 0 for p in servers) / 1024
        out["kernel_pss_mib"] = statistics.median(pss_kib(p) or 0 for p in kpids) / 1024
        out["latency"] = {}
        for k in sizes:
            active = kernels[:k]
            with cf.ThreadPoolExecutor(max_workers=k) as pool:
                futures = [pool.submit(kern.execute,
                                       MOVES.format(moves=moves, offset=i, pause=pause), 1800)
                           for i, kern in enumerate(active)]
                results = []
                for f in futures:
                    try:
                        results.append(f.result())
                    except Exception as exc:  # noqa: BLE001 - a lost kernel is a result
                        results.append({"error": repr(exc), "text": ""})
            lat = {"lr": [], "init": []}
            errors = [r["error"] for r in results if r["error"]]
            for r in results:
                if not r["error"]:
                    d = json.loads(r["text"].strip().splitlines()[-1])
                    for key in lat:
                        lat[key].extend(d[key])
            out["latency"][k] = {key: (pct(v, 50), pct(v, 95)) for key, v in lat.items()}
            out["latency"][k]["errors"] = errors
        alive = 0
        for kern in kernels:
            try:
                r = kern.execute("print('alive')", timeout=300)
                alive += r["text"].strip() == "alive"
            except Exception:  # noqa: BLE001 - counted as lost
                pass
        out["kernels_alive"] = (alive, len(kernels))
        for kern in kernels:
            try:
                kern.close()
            except Exception:  # noqa: BLE001 - the hub stops them anyway
                pass
    finally:
        hub.stop()
        out["left_over_processes"] = len(hub.processes())
    return out


def machine():
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "?")
    return (f"{platform.machine()}, {os.cpu_count()} cores, {int(mem) // 1024 ** 2} GiB RAM, "
            f"Python {platform.python_version()}, load average at start {load[0]:.1f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, nargs="+", default=[1, 10, 20])
    ap.add_argument("--moves", type=int, default=5, help="slider moves per active student")
    ap.add_argument("--pause", type=float, default=0.5, help="seconds between moves")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 0],
                    help="MLBOOK_KERNEL_THREADS values to compare (0 = no limit)")
    args = ap.parse_args(argv)
    reason = hubsim.hub_unavailable_reason()
    if reason:
        print(f"bench_hub: cannot run: {reason}")
        return 0
    print(f"machine: {machine()}")
    sizes = sorted(set(args.students))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        for threads in args.threads:
            t0 = time.monotonic()
            res = run_config(threads, sizes, args.moves, args.pause, pathlib.Path(tmp))
            res["wall_s"] = time.monotonic() - t0
            results.append(res)
            print(json.dumps(res), flush=True)
    print()
    print("| thread limit | hub start | spawn (first / all) | server / kernel PSS | students active "
          "| lr explorer p50 / p95 | init explorer p50 / p95 | kernels alive |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        label = f"{r['threads']} thread" if r["threads"] else "none (library default)"
        spawn = r["spawn_s"]
        for k, lat in r["latency"].items():
            print(f"| {label} | {r['hub_start_s']:.1f} s | {spawn[min(spawn)]:.1f} / "
                  f"{spawn[max(spawn)]:.1f} s ({max(spawn)} servers) | {r['server_pss_mib']:.0f} / "
                  f"{r['kernel_pss_mib']:.0f} MiB | {k} | {lat['lr'][0] * 1000:.0f} / "
                  f"{lat['lr'][1] * 1000:.0f} ms | {lat['init'][0] * 1000:.0f} / "
                  f"{lat['init'][1] * 1000:.0f} ms | {r['kernels_alive'][0]}/{r['kernels_alive'][1]} |")
    worst = max((lat["lr"][1] for r in results if r["threads"] for lat in [r["latency"][max(r["latency"])]]),
                default=float("nan"))
    print(f"\ntarget: with {max(sizes)} students active, explorer p95 <= 1 s and no kernel lost; "
          f"measured with the thread limit: lr explorer p95 {worst:.2f} s, kernels alive "
          + ", ".join(f"{r['kernels_alive'][0]}/{r['kernels_alive'][1]}" for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
