"""Dense forward+backward at MNIST shapes against the bare matrix-multiply floor.

The network is the slides' one-hidden-layer MNIST classifier (784 -> 625 -> 10, "activity of
100 hidden neurons (out of 625)"), plus a second 625 -> 625 layer, on mini-batches of 128 real
test digits (the copy bundled with mlbook). The floor is the three GEMMs of each layer alone on preallocated arrays:
y = x W, dW = x^T dy, dx = dy W^T.

Target (ARCHITECTURE.md): ≤ 1.5 x the floor. CPU time, one BLAS thread, medians.
Prints the figures and targets, exits 0 either way.

    python benchmarks/bench_dense.py
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from mlbook.layers import Dense  # noqa: E402

SHAPES = [(784, 625), (625, 625), (625, 10)]
BATCH = 128


def digits(n):
    from mlbook.datasets import load_mnist
    images, _ = load_mnist(kind="test", as_float=True)
    return images[:n].reshape(n, -1), "real MNIST test digits (bundled)"


def cpu_ms(fn, repeat=40):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return 1e3 * statistics.median(times)


def main():
    x0, source = digits(BATCH)
    rng = np.random.default_rng(1)
    total_layer = total_floor = 0.0
    print(f"Dense forward+backward, batch {BATCH}, float64, one BLAS thread, CPU time ({source})")
    x = x0
    for n_in, n_out in SHAPES:
        layer = Dense(n_in, n_out, rng=rng)
        dy = rng.standard_normal((BATCH, n_out))
        W = layer.params["W"].copy()
        y_buf, dW_buf, dx_buf = (np.empty((BATCH, n_out)), np.empty((n_in, n_out)),
                                 np.empty((BATCH, n_in)))

        def layer_step(layer=layer, x=x, dy=dy):
            layer.forward(x)
            layer.backward(dy)

        def floor(x=x, W=W, dy=dy, y_buf=y_buf, dW_buf=dW_buf, dx_buf=dx_buf):
            np.matmul(x, W, out=y_buf)
            np.matmul(x.T, dy, out=dW_buf)
            np.matmul(dy, W.T, out=dx_buf)

        t_layer, t_floor = cpu_ms(layer_step), cpu_ms(floor)
        total_layer += t_layer
        total_floor += t_floor
        print(f"  {n_in:4d} -> {n_out:4d}: Dense {t_layer:6.2f} ms | floor {t_floor:6.2f} ms "
              f"(x{t_layer / t_floor:.2f})")
        x = layer.forward(x)
    ratio = total_layer / total_floor
    print(f"Dense vs matrix-multiply floor (3 layers): {ratio:.2f} x  "
          f"({total_layer:.2f} ms vs {total_floor:.2f} ms) (target <= 1.5 x) "
          f"{'ok' if ratio <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    main()
