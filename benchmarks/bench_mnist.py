"""Seconds per epoch of each rung of the MNIST ladder, on the course split and on the full set.

Two settings per rung:

* course: what notebook 10 trains (8,000 training digits, 2,000 held out; the small convnet),
  with the settings of the notebook's ``COURSE`` table;
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

from mlbook import ladder  # noqa: E402

# the notebook's settings (notebooks/10_mnist_ladder.ipynb, cell COURSE)
COURSE = {
    "logistic": dict(epochs=20, batch_size=128),
    "sigmoid_625": dict(epochs=4, batch_size=16),
    "modern": dict(epochs=5, batch_size=64),
    "convnet": dict(epochs=5, batch_size=64, small=True, init="default"),
}
TARGET_COURSE_SECONDS = 40.0
N_COURSE, N_COURSE_TEST, N_FULL, N_FULL_TEST = 8000, 2000, 60_000, 10_000


def main():
    print("MNIST ladder: CPU seconds per epoch (one BLAS thread; extrapolated from timed "
          "mini-batches of 28 x 28 digits)")
    print(f"{'rung':28s} {'course split':>13s} {'x epochs':>9s} {'= notebook':>11s}   "
          f"{'original, full set':>19s} {'x 100 epochs':>13s}")
    total_course = total_full = 0.0
    for rung in ladder.RUNGS:
        c = COURSE[rung]
        train, evaluate = ladder.seconds_per_digit(rung, small=c.get("small", False),
                                                   batch_size=c["batch_size"],
                                                   init=c.get("init", "normal"))
        course_epoch = N_COURSE * train + N_COURSE_TEST * evaluate
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
