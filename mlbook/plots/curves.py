"""Loss curves, decision boundaries and optimizer trajectories on contour plots.

Pure data helpers (:func:`decision_grid`, :func:`surface_grid`) are separate from the drawing
functions so widgets and tests can use the data without a figure.
"""
import matplotlib.pyplot as plt
import numpy as np

from .style import SMALL

__all__ = ["plot_history", "decision_grid", "plot_decision_boundary",
           "surface_grid", "plot_trajectories"]

CLASS_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _axes(ax, figsize=(6.4, 4.0)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_history(history, ax=None, *, title="Loss per epoch", logy=False):
    """Training (and validation) loss per epoch from :func:`mlbook.layers.fit`'s history."""
    ax = _axes(ax)
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="training", color="#1f77b4")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], label="validation", color="#ff7f0e")
    best = history.get("best_epoch")
    if best is not None and history.get("val_loss"):
        ax.axvline(best, color="grey", ls=":", lw=1, label=f"best epoch ({best})")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=SMALL)
    return ax


def decision_grid(predict, X, *, resolution=80, margin=0.3):
    """Evaluate ``predict`` on a grid covering X: returns (xx, yy, classes, probs).

    predict : maps (M, 2) points to scores (M, C); classes = argmax over C (shape of xx);
    probs = max softmax probability per point (a confidence in [1/C, 1]).
    """
    X = np.asarray(X, dtype=float)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    with np.errstate(over="ignore", invalid="ignore"):
        scores = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()]), dtype=float)
        z = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
    return xx, yy, scores.argmax(axis=1).reshape(xx.shape), p.max(axis=1).reshape(xx.shape)


def plot_decision_boundary(grid, X, y, ax=None, *, title="Decision regions", X_val=None, y_val=None):
    """Draw the class regions of ``grid = decision_grid(...)`` and the points (X, y)."""
    from matplotlib.colors import ListedColormap
    ax = _axes(ax, (4.5, 4.0))
    xx, yy, classes, _ = grid
    n_classes = int(max(classes.max(), np.max(y))) + 1
    cmap = ListedColormap(CLASS_COLOURS[:n_classes])
    # the regions as an image (one pixel per grid point): fast to draw and to update in place
    ax.imshow(classes, origin="lower", extent=(xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]),
              cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, alpha=0.25, interpolation="nearest",
              aspect="auto")
    ax.scatter(X[:, 0], X[:, 1], c=np.asarray(y), cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5,
               s=12, edgecolors="k", linewidths=0.3, label="training")
    if X_val is not None:
        ax.scatter(X_val[:, 0], X_val[:, 1], c=np.asarray(y_val), cmap=cmap, vmin=-0.5,
                   vmax=n_classes - 0.5, s=14, marker="^", edgecolors="k", linewidths=0.3,
                   label="validation")
        ax.legend(loc="lower right", fontsize=SMALL)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.grid(False)
    return ax


def surface_grid(f, xlim, ylim, resolution=120):
    """(X, Y, Z) with Z = f(np.stack([X, Y])) on a grid: f takes an array (2, ...) of points."""
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    XX, YY = np.meshgrid(xs, ys)
    return XX, YY, f(np.stack([XX, YY]))


def plot_trajectories(grid, paths, ax=None, *, title=None, levels=18, log_levels=False,
                      minimum=None, labels=None):
    """Contours of ``grid = surface_grid(...)`` with one path (array (k, 2)) per optimizer.

    Lines of ``ax`` afterwards: the n paths (shortest drawn on top), then n end markers, then
    the start and the minimum markers."""
    ax = _axes(ax, (6.0, 4.5))
    XX, YY, ZZ = grid
    if log_levels:
        zmin = ZZ.min()
        lv = zmin + np.logspace(-2, np.log10(max(ZZ.max() - zmin, 1e-1)), levels)
        ax.contour(XX, YY, ZZ, levels=lv, cmap="viridis", linewidths=0.5)
    else:
        ax.contour(XX, YY, ZZ, levels=levels, cmap="viridis", linewidths=0.5)
    # shorter paths on top: a slow optimizer's few small steps are not hidden under the others
    lengths = [float(np.sum(np.hypot(*np.diff(np.asarray(p, dtype=float), axis=0).T)))
               if len(p) > 1 else 0.0 for p in paths.values()]
    rank = {k: r for r, k in enumerate(np.argsort(lengths)[::-1])}
    for k, (name, path) in enumerate(paths.items()):
        path = np.asarray(path)
        text = labels.get(name, name) if labels else name
        ax.plot(path[:, 0], path[:, 1], "-", color=plt.cm.tab10(k % 10),
                lw=1.4, label=text, marker=".", ms=2, zorder=2.0 + 0.01 * rank[k])
    for k, path in enumerate(paths.values()):     # where each path ended: visible however short
        path = np.asarray(path)
        ax.plot(path[-1:, 0], path[-1:, 1], "o", color=plt.cm.tab10(k % 10), ms=5, mec="white",
                mew=0.8, zorder=2.5)
    if len(paths):
        start = np.asarray(next(iter(paths.values())))[0]
        ax.plot(*start, "ko", ms=5)
    if minimum is not None:
        ax.plot(*minimum, "k*", ms=10)
    ax.set_xlim(XX.min(), XX.max())
    ax.set_ylim(YY.min(), YY.max())
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=SMALL, borderaxespad=0)
    ax.grid(False)
    return ax
