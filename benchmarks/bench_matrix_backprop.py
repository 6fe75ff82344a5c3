"""Loop vs matrices: the batched backward pass against the same gradient example by example.

Notebook 04 shows that one batched forward+backward pass through an MLP gives exactly the sum of
the N per-example passes (to 1e-12). This benchmark measures what the matrix form buys: the
batch of 128 MNIST-sized inputs (784 -> 100 -> 10, tanh hidden layer, softmax cross-entropy),
once as 128 passes of one example through mlbook's layers and once as one pass of the batch.
Both compute the same gradient (checked here too).

Target: the batched pass >= 10 x faster than the loop (12-15 x measured on the 2-core machine
under load: the loop pays numpy's per-call overhead 128 times, the batch one BLAS call per
product). CPU time, one BLAS thread, medians.
Prints the figures and the target, exits 0 either way.

    python benchmarks/bench_matrix_backprop.py
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from mlbook.layers import Dense, Sequential, Tanh  # noqa: E402
from mlbook.losses import softmax_cross_entropy  # noqa: E402

N, SIZES, TARGET = 128, (784, 100, 10), 10.0


def cpu_ms(fn, repeat=15):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1e3 * statistics.median(times)


def main():
    rng = np.random.default_rng(0)
    X = rng.random((N, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=N)
    model = Sequential([Dense(SIZES[0], SIZES[1], rng=1), Tanh(), Dense(SIZES[1], SIZES[2], rng=2)])

    def loop():
        total = {k: np.zeros_like(v) for k, v in model.params.items()}
        for n in range(N):
            _, dout = softmax_cross_entropy(model.forward(X[n:n + 1]), y[n:n + 1])
            model.backward(dout / N)          # the batch loss is the mean over the N examples
            for k, v in model.grads.items():
                total[k] += v
        return total

    def batched():
        _, dout = softmax_cross_entropy(model.forward(X), y)
        model.backward(dout)
        return {k: v.copy() for k, v in model.grads.items()}

    a, b = loop(), batched()
    worst = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    t_loop, t_batch = cpu_ms(loop), cpu_ms(batched)
    ratio = t_loop / t_batch
    print(f"MLP {SIZES[0]}-{SIZES[1]}-{SIZES[2]}, batch {N}, float64, one BLAS thread, CPU time; "
          f"max |loop - batched| = {worst:.1e}")
    print(f"  loop over {N} examples: {t_loop:7.2f} ms | one batched pass: {t_batch:6.2f} ms")
    print(f"batched backward pass vs per-example loop: {ratio:.1f} x faster "
          f"(target >= {TARGET:g} x) {'ok' if ratio >= TARGET else 'UNDER'}")


if __name__ == "__main__":
    main()
