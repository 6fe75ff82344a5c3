"""Seconds per epoch of each rung of the MNIST ladder, on the course split and on the full set.

Two settings per rung:

* course: what notebook 10 trains (8,000 training digits, 2,000 held out; the small convnet),
  with the settings of the notebook's ``COURSE`` table: one real epoch on the bundled digits,
  timed, times the notebook's number of epochs;
* original: the slides' recipes (batch 128, the 32-64-128 convnet) on the full MNIST set,
  60,000 training and 10,000 test digits per epoch, extrapolated from timed mini-batches
  (``mlbook.ladder.seconds_per_digit``), so no download is needed.

Target (ARCHITECTURE.md): notebook 10 runs in ≤ 60 s under nbval; its four rungs may take
≤ 40 s of it (the rest: data, two experiments, figures). CPU time, one BLAS thread (as the
tests run), medians. Prints the figures and the target; exits 0 either way.

    python benchmarks/bench_mnist.py
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

from mlbook import ladder  # noqa: E402
from mlbook.datasets.mnist import course_split  # noqa: E402

# the notebook's settings (notebooks/10_mnist_ladder.ipynb, cell COURSE)
COURSE = {
    "logistic": dict(epochs=20),
    "sigmoid_625": dict(epochs=4, lr=0.5, batch_size=16),
    "modern": dict(epochs=5, eps=1e-8, batch_size=64),
    "convnet": dict(epochs=5, small=True, init="default", lr=3e-3, lr_decay=0.7, eps=1e-8,
                    batch_size=64),
}
TARGET_COURSE_SECONDS = 40.0
N_FULL, N_FULL_TEST = 60_000, 10_000


def main():
    print("MNIST ladder: CPU seconds per epoch, one BLAS thread (course split: one real epoch "
          "timed; full set: extrapolated from timed mini-batches)")
    print(f"{'rung':28s} {'course split':>13s} {'x epochs':>9s} {'= notebook':>11s}   "
          f"{'original, full set':>19s} {'x 100 epochs':>13s}")
    total_course = total_full = 0.0
    train_set, test_set = course_split()
    for rung in ladder.RUNGS:
        c = dict(COURSE[rung])
        t0 = time.process_time()
        ladder.train_rung(rung, train_set, test_set, **{**c, "epochs": 1})
        course_epoch = time.process_time() - t0
        train, evaluate = ladder.seconds_per_digit(rung)
        full_epoch = N_FULL * train + N_FULL_TEST * evaluate
        total_course += course_epoch * c["epochs"]
        total_full += full_epoch * 100
        print(f"{ladder.TITLES[rung]:28s} {course_epoch:11.2f} s {c['epochs']:9d} "
              f"{course_epoch * c['epochs']:9.1f} s   {full_epoch:17.1f} s "
              f"{full_epoch * 100 / 3600:11.2f} h")
    print(f"notebook 10, four rungs: {total_course:.1f} s (target <= {TARGET_COURSE_SECONDS:.0f} s: "
          f"{'met' if total_course <= TARGET_COURSE_SECONDS else 'NOT met'})")
    print(f"python -m mlbook.ladder, original recipes, 100 epochs each: {total_full / 3600:.1f} h "
          f"(figure only, no target)")
    return 0


if __name__ == "__main__":
    main()
