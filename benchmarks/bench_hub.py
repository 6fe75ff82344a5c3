"""A class on one hub: start-up, spawning, memory and explorer latency with many students.

    python benchmarks/bench_hub.py                       # 1, 10 and 20 students, limit on/off
    python benchmarks/bench_hub.py --students 1 5 --moves 5

Starts the course hub in test mode (tests/hub/hubsim.py: deploy/jupyterhub_config.py with
DummyAuthenticator and local processes, on 127.0.0.1) twice, both running at once: with the
per-kernel BLAS/OpenMP thread limit (MLBOOK_KERNEL_THREADS=1, the production setting) and
without it (0: numpy's libraries start one thread per core in every kernel). It measures

* hub start: process start until the hub's API answers through the proxy;
* spawn: all servers requested at once (concurrent API requests, as students clicking at the
  same time), time from the first request until the first and the last is seen ready;
* memory per student: proportional set size (PSS) of a student's server and of its kernel,
  after the kernel has built the learning-rate explorer;
* explorer latency, kernel side, with 1, 10 and 20 students active at once: each active
  student's kernel moves the learning-rate slider of ``lr_explorer()`` (retrain 10,000 steps +
  redraw + PNG) and calls ``init_explorer_update`` (ten 256 x 128 layers forward and backward:
  matrix products, where BLAS threads matter), ``--moves`` times, pausing ``--pause`` s between
  moves, all students at the same time. The slider's latency is taken twice: wall time in the
  kernel from setting the value until ``ex.wait()`` returns (what a student waits for, minus
  the browser), and the explorer's own timer (from when its worker starts the update: it leaves
  out the hand-over to the worker);
* kernels lost: every kernel must still answer at the end.

The measurements are interleaved: for each class size, ``--rounds`` rounds in which the two
configurations take turns (the order flips every round), so a change in the machine's load
(other work on it) hits both alike; the load average before and after each turn is printed.

Target (CONTRIBUTING.md): with 20 students active, explorer update p95 ≤ 1 s, no kernel lost.
A benchmark, not a test: it prints the figures and exits 0. Figures on a loaded machine are
inflated: state the load average beside them.
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
lat = {{"lr": [], "lr_wall": [], "init": []}}
rates = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0]
for k in range({moves}):
    t0 = time.perf_counter()
    ex.controls["lr"].value = rates[(k + {offset}) % len(rates)]    # never the value it has
    ex.wait(timeout=600)
    lat["lr_wall"].append(time.perf_counter() - t0)
    lat["lr"].append(ex.timings[-1]["total"] / 1000)
    t0 = time.perf_counter()
    init_explorer_update(depth=10, seed=k + {offset})
    lat["init"].append(time.perf_counter() - t0)
    time.sleep({pause})
print(json.dumps(lat))
"""
KEYS = ("lr_wall", "lr", "init")


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


def start_config(threads, n, workdir):
    """A hub with MLBOOK_KERNEL_THREADS=threads, n students, each with a kernel that has built
    the explorers. Returns (hub, kernels, figures)."""
    hub = hubsim.Hub(workdir / f"threads-{threads}", kernel_threads=threads)
    out = {"threads": threads}
    hub.start()
    out["hub_start_s"] = hub.started_in
    names = [f"s{i:02d}" for i in range(1, n + 1)]
    hub.add_users(names)
    ready = hub.spawn(names, timeout=1800)
    out["spawn_s"] = sorted(ready.values())
    kernels = []
    t0 = time.monotonic()
    for name in names:
        k = hub.student(name).open_notebook("bench.ipynb")
        r = k.execute(SETUP, timeout=600)
        if r["error"]:
            raise hubsim.HubError(f"setup failed for {name}: {r}")
        kernels.append(k)
    out["kernels_ready_s"] = time.monotonic() - t0
    procs = hub.processes()
    servers = [p for p, cmd in procs.items() if "jupyterhub.singleuser" in cmd]
    kpids = [p for p, cmd in procs.items() if "ipykernel_launcher" in cmd]
    out["server_pss_mib"] = statistics.median(pss_kib(p) or 0 for p in servers) / 1024
    out["kernel_pss_mib"] = statistics.median(pss_kib(p) or 0 for p in kpids) / 1024
    out["load_after_setup"] = os.getloadavg()[0]
    return hub, kernels, out


def measure(kernels, k, moves, pause, offset):
    """The first k kernels move their sliders at the same time; {key: [seconds]}, errors."""
    with cf.ThreadPoolExecutor(max_workers=k) as pool:
        futures = [pool.submit(kern.execute,
                               MOVES.format(moves=moves, offset=i + offset, pause=pause), 1800)
                   for i, kern in enumerate(kernels[:k])]
        results = []
        for f in futures:
            try:
                results.append(f.result())
            except Exception as exc:  # noqa: BLE001 - a lost kernel is a result
                results.append({"error": repr(exc), "text": ""})
    lat = {key: [] for key in KEYS}
    errors = [r["error"] for r in results if r["error"]]
    for r in results:
        if not r["error"]:
            d = json.loads(r["text"].strip().splitlines()[-1])
            for key in lat:
                lat[key].extend(d[key])
    return lat, errors


def alive(kernels):
    n = 0
    for kern in kernels:
        try:
            n += kern.execute("print('alive')", timeout=300)["text"].strip() == "alive"
        except Exception:  # noqa: BLE001 - counted as lost
            pass
    return n


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
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds per class size; the configurations take turns within each")
    args = ap.parse_args(argv)
    reason = hubsim.hub_unavailable_reason()
    if reason:
        print(f"bench_hub: cannot run: {reason}")
        return 0
    print(f"machine: {machine()}")
    sizes = sorted(set(args.students))
    n = max(sizes)
    configs, results = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        try:
            for threads in args.threads:        # every configuration up before any measurement
                configs[threads] = start_config(threads, n, pathlib.Path(tmp))
                print(json.dumps(configs[threads][2]), flush=True)
            # interleaved: for each class size, round after round, the configurations take turns
            # (the order flips every round), so a change in the machine's load hits them alike
            for k in sizes:
                for r in range(args.rounds):
                    order = args.threads if r % 2 == 0 else args.threads[::-1]
                    for threads in order:
                        load0 = os.getloadavg()[0]
                        lat, errors = measure(configs[threads][1], k, args.moves, args.pause,
                                              offset=r * args.moves)
                        acc = results.setdefault((threads, k), {"load": [], "errors": [],
                                                                **{key: [] for key in KEYS}})
                        for key in KEYS:
                            acc[key].extend(lat[key])
                        acc["errors"].extend(errors)
                        acc["load"].append((load0, os.getloadavg()[0]))
                        print(json.dumps({"threads": threads, "students": k, "round": r,
                                          "load_before_after": acc["load"][-1],
                                          **{key: (pct(lat[key], 50), pct(lat[key], 95))
                                             for key in KEYS}, "errors": errors}), flush=True)
            for threads, (hub, kernels, out) in configs.items():
                out["kernels_alive"] = (alive(kernels), len(kernels))
        finally:
            for hub, kernels, out in configs.values():
                hub.stop()
                out["left_over_processes"] = len(hub.processes())
    print()
    print("| thread limit | hub start | spawn: first / all | server / kernel PSS | students active "
          "| slider → picture (wall) p50 / p95 | explorer's own timer p50 / p95 "
          "| init explorer p50 / p95 | load avg (1 min) during | kernels alive |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (threads, k), acc in results.items():
        out = configs[threads][2]
        label = f"{threads} thread" if threads else "none (library default)"
        loads = [x for pair in acc["load"] for x in pair]
        cells = " | ".join(f"{pct(acc[key], 50) * 1000:.0f} / {pct(acc[key], 95) * 1000:.0f} ms"
                           for key in KEYS)
        print(f"| {label} | {out['hub_start_s']:.1f} s | {out['spawn_s'][0]:.1f} / "
              f"{out['spawn_s'][-1]:.1f} s ({len(out['spawn_s'])}) | {out['server_pss_mib']:.0f} / "
              f"{out['kernel_pss_mib']:.0f} MiB | {k} | {cells} | {min(loads):.1f}–{max(loads):.1f} "
              f"| {out['kernels_alive'][0]}/{out['kernels_alive'][1]} |")
    for (threads, k), acc in results.items():
        if acc["errors"]:
            print(f"errors with thread limit {threads}, {k} students: {acc['errors']}")
    limited = [t for t in args.threads if t]
    if limited and (limited[0], n) in results:
        acc = results[(limited[0], n)]
        print(f"\ntarget: with {n} students active, explorer p95 <= 1 s and no kernel lost; "
              f"measured with the thread limit: slider -> picture p95 {pct(acc['lr_wall'], 95):.2f} s "
              f"(explorer's own timer {pct(acc['lr'], 95):.2f} s), kernels alive "
              + ", ".join(f"{o['kernels_alive'][0]}/{o['kernels_alive'][1]}"
                          for _, _, o in configs.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
