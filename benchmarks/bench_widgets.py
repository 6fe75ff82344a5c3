"""Speed of the optimizer-chapter widgets (medians on this machine; prints figure and target).

    python benchmarks/bench_widgets.py

1. learning-rate explorer: one slider change = retrain the worked example for 10,000 steps
   (mlbook.worked_example.train), redraw the explorer's figure in place and encode its PNG —
   target 100 ms (in the browser: benchmarks/bench_browser.py);
2. classifier widget: one epoch of training (spirals, 225 training points, Adam, 24 hidden
   units) at the widget's default batch size 16, and at batch size 1 (pure SGD: 225 steps per
   epoch) — target 20 ms for the default.
Exits 0 either way (a benchmark, not a test).
"""
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from mlbook.layers import fit  # noqa: E402
from mlbook.plots import course_style  # noqa: E402
from mlbook.widgets.classifier import build_classifier, classifier_data  # noqa: E402
from mlbook.widgets.lr_explorer import lr_explorer  # noqa: E402


def median_ms(fn, repeat):
    times = []
    for k in range(repeat):
        t0 = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def bench_lr_explorer(repeat=15):
    """One slider move of the explorer as built for the notebook: retrain + redraw in place +
    PNG (the widget's own pipeline, synchronously)."""
    course_style()
    ex = lr_explorer()
    rates = [0.5, 0.7]
    return median_ms(lambda k: ex.controls["lr"].__setattr__("value", rates[k % 2]), repeat)


def bench_classifier_epoch(batch_size, repeat=15):
    X, y, Xv, yv = classifier_data("spirals")
    model = build_classifier(24, 3)
    return median_ms(lambda k: fit(model, X, y, loss="softmax_cross_entropy", optimizer="adam",
                                   lr=0.01, epochs=1, batch_size=batch_size,
                                   validation=(Xv, yv), seed=k, restore_best=False), repeat)


if __name__ == "__main__":
    print(f"lr explorer, one change (train 10,000 steps + redraw in place + PNG): "
          f"{bench_lr_explorer():.1f} ms (target 100 ms)")
    print(f"classifier widget, one epoch at batch size 16 (default): "
          f"{bench_classifier_epoch(16):.1f} ms (target 20 ms)")
    print(f"classifier widget, one epoch at batch size 1 (225 SGD steps): "
          f"{bench_classifier_epoch(1):.1f} ms (target 20 ms)")
