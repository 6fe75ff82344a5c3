"""One epoch of each rung of notebook 10 in mlbook and in PyTorch (CPU, float64), same threads.

For every rung with notebook 10's settings (``mlbook.ladder.COURSE``: 8,000 training
digits, the rung's batch size, optimizer and rate; the small convnet), one epoch as
``mlbook.ladder.train_rung`` runs it — shuffled mini-batches, forward, softmax cross-entropy,
backward, one optimizer step each, then the accuracy on the 2,000 held-out digits — and the
same network, loss, optimizer and epoch in PyTorch. The two run interleaved (mlbook, torch,
mlbook, torch, ...) in one process with the same number of threads (numpy's OpenBLAS through
``mlbook.threads``; ``torch.set_num_threads``), ``--repeat`` times; the median wall-clock
seconds and their ratio are printed per rung, and beside them the CPU seconds (process time) of
the same runs: on a loaded machine the wall clock measures the other processes more than these
two, while CPU time with ``--threads 1`` stays close to the work done. Goal (issue 27):
mlbook <= 1.2 x torch per rung.

Last column: the same epoch's matrix multiplies alone, numpy (its OpenBLAS) against torch
(its own BLAS; the weight kept (out, in) as in ``nn.Linear``) on the same shapes and threads —
forward ``X @ W`` of every layer, backward ``X.T @ dY`` and (but for the first layer)
``dY @ W.T``, the convolutions as the matrix
multiplies of their im2col form. No Python layer can be faster than these: where the BLAS
libraries differ, their ratio is the floor of the whole epoch's.

Torch is needed only here (``pip install torch``; never a dependency of mlbook). The torch
networks have no biases (mlbook's ladder freezes its biases at 0: the same function).
On a loaded machine both sides are slowed; compare the ratios, re-measure on an idle one.

    python benchmarks/bench_ladder_torch.py [--threads 2] [--repeat 3] [--only convnet]
"""
import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import numpy as np  # noqa: E402


from mlbook import ladder  # noqa: E402
from mlbook.datasets.mnist import course_split  # noqa: E402
from mlbook.threads import get_blas_threads, set_blas_threads  # noqa: E402

GOAL = 1.2


def torch_model(rung, torch):
    nn = torch.nn
    if rung == "logistic":
        layers = [nn.Flatten(), nn.Linear(784, 10, bias=False)]
    elif rung == "sigmoid_625":
        layers = [nn.Flatten(), nn.Linear(784, 625, bias=False), nn.Sigmoid(),
                  nn.Linear(625, 10, bias=False)]
    elif rung == "modern":
        layers = [nn.Flatten(), nn.Dropout(0.2), nn.Linear(784, 625, bias=False), nn.ReLU(),
                  nn.Dropout(0.5), nn.Linear(625, 625, bias=False), nn.ReLU(), nn.Dropout(0.5),
                  nn.Linear(625, 10, bias=False)]
    else:                                            # the notebook's small convnet
        layers = [nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.ReLU(),
                  nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.ReLU(),
                  nn.Flatten(), nn.Dropout(0.2), nn.Linear(16 * 7 * 7, 64, bias=False),
                  nn.ReLU(), nn.Linear(64, 10, bias=False)]
    return nn.Sequential(*layers).double()


def torch_epoch(rung, settings, train, test, torch, seed=0):
    """Seconds of one epoch (training loop + held-out accuracy), like train_rung's."""
    torch.manual_seed(seed)
    model = torch_model(rung, torch)
    recipe = ladder.RECIPES[rung]
    lr = settings.get("lr", recipe["lr"])
    if recipe["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=lr, alpha=recipe["rho"],
                                  eps=settings.get("eps", recipe["eps"]))
    loss_fn = torch.nn.CrossEntropyLoss()
    shape = (-1, 1, 28, 28) if rung == "convnet" else (-1, 784)
    X = torch.from_numpy(np.asarray(train[0], dtype=np.float64).reshape(shape))
    y = torch.from_numpy(np.asarray(train[1], dtype=np.int64))
    Xt = torch.from_numpy(np.asarray(test[0], dtype=np.float64).reshape(shape))
    yt = torch.from_numpy(np.asarray(test[1], dtype=np.int64))
    bs = settings.get("batch_size", ladder.BATCH_SIZE)
    start, cpu = time.perf_counter(), time.process_time()
    model.train()
    order = torch.randperm(len(y))
    for i in range(0, len(y), bs):
        b = order[i:i + bs]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(X[b]), y[b])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        hits = sum(int((model(Xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum())
                   for i in range(0, len(yt), 1000))
    _ = hits / len(yt)
    return time.perf_counter() - start, time.process_time() - cpu


# (rows per example, k, n) of each layer's matrix multiply: X (B*rows, k) @ W (k, n)
GEMMS = {
    "logistic": [(1, 784, 10)],
    "sigmoid_625": [(1, 784, 625), (1, 625, 10)],
    "modern": [(1, 784, 625), (1, 625, 625), (1, 625, 10)],
    "convnet": [(28 * 28, 9, 8), (7 * 7, 72, 16), (1, 784, 64), (1, 64, 10)],   # im2col form
}


def gemm_epoch(rung, batch_size, n, torch, repeat=20):
    """(numpy, torch) seconds of the matrix multiplies of one epoch of ``rung`` (``n``
    examples): one batch's multiplies timed ``repeat`` times (best), times the batch count."""
    rng = np.random.default_rng(0)
    mats = []
    for rows, k, m in GEMMS[rung]:
        X = rng.standard_normal((batch_size * rows, k))
        mats.append((X, rng.standard_normal((k, m)), rng.standard_normal((batch_size * rows, m))))
    # torch's side as nn.Linear and its autograd do it: the weight kept (out, in)
    tmats = [(torch.from_numpy(X), torch.from_numpy(W.T.copy()), torch.from_numpy(dY))
             for X, W, dY in mats]
    linear = torch.nn.functional.linear

    def numpy_batch():
        for i, (X, W, dY) in enumerate(mats):
            X @ W
            X.T @ dY
            if i:
                dY @ W.T

    def torch_batch():
        for i, (X, Wt, dY) in enumerate(tmats):
            linear(X, Wt)
            dY.T @ X
            if i:
                dY @ Wt
    best = {}
    for _ in range(repeat):
        for name, run in (("numpy", numpy_batch), ("torch", torch_batch)):
            t = time.perf_counter()
            run()
            best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
    batches = -(-n // batch_size)
    return best["numpy"] * batches, best["torch"] * batches


def mlbook_epoch(rung, settings, train, test):
    """(wall, CPU) seconds of train_rung's epoch (its loop and held-out accuracy)."""
    cpu = time.process_time()
    res = ladder.train_rung(rung, train, test, **{**settings, "epochs": 1})
    return res["seconds"], time.process_time() - cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install torch (only for this benchmark)")
        return 0
    torch.set_num_threads(args.threads)
    set_blas_threads(args.threads)
    train, test = course_split()
    print(f"one epoch of notebook 10's rungs ({len(train[1])} training, {len(test[1])} held-out "
          f"digits), float64, {args.threads} thread(s) (numpy BLAS {get_blas_threads()}, "
          f"torch {torch.get_num_threads()}, torch {torch.__version__}); median of "
          f"{args.repeat} interleaved runs, wall-clock seconds")
    print(f"{'rung':28s} {'mlbook':>8s} {'torch':>8s} {'ratio':>7s}   goal <= {GOAL}"
          f"   | CPU seconds (process time): mlbook  torch  ratio"
          f"   | matrix multiplies alone: numpy  torch  ratio")
    rows = []
    for rung in ladder.RUNGS:
        if args.only and rung not in args.only:
            continue
        settings = {k: v for k, v in ladder.COURSE[rung].items() if k != "epochs"}
        mlbook_epoch(rung, settings, train, test)              # warm both (first-call costs)
        torch_epoch(rung, settings, train, test, torch)
        ours, theirs = [], []
        for r in range(args.repeat):
            ours.append(mlbook_epoch(rung, settings, train, test))
            theirs.append(torch_epoch(rung, settings, train, test, torch, seed=r))
        ratios = [a[0] / b[0] for a, b in zip(ours, theirs)]
        cpu_ratios = [a[1] / b[1] for a, b in zip(ours, theirs)]
        med = statistics.median
        g_np, g_t = gemm_epoch(rung, settings.get("batch_size", ladder.BATCH_SIZE),
                               len(train[1]), torch)
        row = (rung, med(a[0] for a in ours), med(b[0] for b in theirs), med(ratios))
        rows.append(row)
        print(f"{ladder.TITLES[row[0]]:28s} {row[1]:8.3f} {row[2]:8.3f} {row[3]:6.2f}x   "
              f"{'ok' if row[3] <= GOAL else 'OVER'}   (ratios: "
              + ", ".join(f"{x:.2f}" for x in ratios) + f")   | {med(a[1] for a in ours):6.3f} "
              f"{med(b[1] for b in theirs):6.3f} {med(cpu_ratios):5.2f}x"
              f"   | {g_np:6.3f} {g_t:6.3f} {g_np / g_t:5.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    t0 = time.monotonic()
    code = main()
    print(f"({time.monotonic() - t0:.0f} s; machine load now: "
          f"{open('/proc/loadavg').read().split()[0] if pathlib.Path('/proc/loadavg').exists() else '?'})")
    sys.exit(code)
