"""Dropout explorer: retrain an over-sized MLP on a small noisy problem with a dropout rate and an
L2 strength of your choice, and watch the training/validation curves and the decision boundary.

    data = dropout_explorer_update(p=0.5, lam=0.0)     # pure computation (tests call this)
    dropout_explorer_draw(data)                        # two panels: curves, boundary
    dropout_explorer()                                 # sliders -> retrain -> redraw

The experiment (same for the notebook's static figures and the widget):
    data   40 training points of ``moons(noise=0.3)``, 300 validation points from the same
           distribution (a different seed);
    model  2 -> 64 -> 64 -> 2 tanh MLP (about 4,500 weights, 100 per training point), with
           ``Dropout(p)`` after each hidden layer when p > 0;
    train  Adam(lr=0.005), mini-batches of 20, softmax cross-entropy, ``L2(lam)`` via
           ``Penalized``, optional early stopping (``patience``).

Also here: :func:`dropout_masks_data`, the masks of several forward passes (drawn by
:func:`mlbook.plots.draw_dropout_masks`, re-exported here).
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection

from ..activations import softmax
from ..datasets.toy import moons
from ..layers import Dense, Dropout, Sequential, Tanh, fit
from ..layers.training import divergence_status
from ..optim import Adam, DivergenceError
from ..plots.network import draw_dropout_masks  # noqa: F401  (re-exported: notebook 09)
from ..plots.style import SMALL
from ..regularization import L1, L2, Penalized, Penalty

__all__ = [
    "overfit_data", "overfit_mlp", "train_overfit", "boundary_grid",
    "dropout_explorer_update", "dropout_explorer_draw", "dropout_explorer",
    "dropout_masks_data", "draw_dropout_masks", "P_VALUES", "LAM_VALUES",
]

P_VALUES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
LAM_VALUES = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
_BOUNDS = (-1.6, 2.6, -1.2, 1.7)      # x_min, x_max, y_min, y_max of the moons plot


def overfit_data(n_train=40, n_val=300, noise=0.3, seed=3):
    """``(X_train, y_train, X_val, y_val)``: a small noisy training set, a large validation set."""
    X, y = moons(n=n_train, noise=noise, seed=seed)
    X_val, y_val = moons(n=n_val, noise=noise, seed=seed + 100)
    return X, y, X_val, y_val


def overfit_mlp(p=0.0, *, width=64, seed=0):
    """2 -> width -> width -> 2 tanh MLP, with Dropout(p) after each hidden layer if p > 0."""
    layers = [Dense(2, width, rng=seed), Tanh()]
    if p:
        layers.append(Dropout(p, rng=seed + 10))
    layers += [Dense(width, width, rng=seed + 1), Tanh()]
    if p:
        layers.append(Dropout(p, rng=seed + 11))
    layers.append(Dense(width, 2, rng=seed + 2))
    return Sequential(layers)


def train_overfit(p=0.0, penalty=None, *, patience=None, epochs=300, data=None, seed=0, lr=0.005,
                  callback=None, _built=None):
    """Build :func:`overfit_mlp` and train it on :func:`overfit_data`. Returns (model, history).

    ``penalty``: None, a number (L2 strength) or a Penalty (L2, L1, ElasticNet); ``callback``
    is passed to :func:`mlbook.layers.fit` (called after every epoch).
    """
    X, y, X_val, y_val = overfit_data() if data is None else data
    if penalty is None:
        penalty = L2(0.0)
    elif not isinstance(penalty, Penalty):
        penalty = L2(penalty)
    model = overfit_mlp(p, seed=seed)
    if _built is not None:
        _built["model"] = model
    history = fit(model, X, y, loss="softmax_cross_entropy",
                  optimizer=Penalized(Adam(lr), penalty), epochs=epochs, batch_size=20,
                  validation=(X_val, y_val), patience=patience, seed=seed, callback=callback)
    return model, history


def boundary_grid(model, bounds=_BOUNDS, n=60):
    """P(class 1) of ``model`` (evaluation mode) on an n x n grid: ``(xx, yy, prob)``, each (n, n)."""
    x0, x1, y0, y1 = bounds
    xx, yy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    logits = model.forward(np.c_[xx.ravel(), yy.ravel()], training=False)
    return xx, yy, softmax(logits, axis=1)[:, 1].reshape(n, n)


def _accuracy(model, X, y):
    return float(np.mean(model.forward(X, training=False).argmax(axis=1) == y))


def dropout_explorer_update(p=0.0, lam=0.0, *, patience=None, epochs=300, data=None, seed=0,
                            progress=None):
    """Retrain with dropout rate ``p`` and L2 strength ``lam``; return what the figure shows.

    Returns a dict: ``p``, ``lam``, ``epochs`` (1..epochs run), ``train_loss``, ``val_loss``
    (data loss per epoch, evaluation mode), ``best_epoch``, ``stopped_early``, ``train_acc``,
    ``val_acc``, ``xx``, ``yy``, ``prob`` (P(class 1) on the grid), ``X``, ``y``, ``X_val``,
    ``y_val``, ``weight_norm`` (sum of squared weights), ``model`` and ``divergence`` (None, or
    :func:`~mlbook.layers.training.divergence_status` of a diverged run: the figure's title and
    the status line show it). ``progress`` (optional) is called after every epoch with a
    function returning this dict for the model so far.
    """
    if p not in P_VALUES and not (0.0 <= float(p) < 1.0):
        raise ValueError(f"p must be in [0, 1), got {p!r}")
    data = overfit_data() if data is None else data
    box = {}
    callback = None
    if progress is not None:
        def callback(epoch, hist):
            progress(lambda: _result(p, lam, box["model"], hist, data))
    try:
        model, hist = train_overfit(p, L2(lam), patience=patience, epochs=epochs, data=data,
                                    seed=seed, callback=callback, _built=box)
    except DivergenceError as err:         # shown in the figure, not raised into the widget
        model, hist = box["model"], err.history
    return _result(p, lam, model, hist, data)


def _result(p, lam, model, hist, data):
    X, y, X_val, y_val = data
    xx, yy, prob = boundary_grid(model)
    return {
        "p": float(p), "lam": float(lam),
        "epochs": np.arange(1, len(hist["train_loss"]) + 1),
        "train_loss": np.array(hist["train_loss"]), "val_loss": np.array(hist["val_loss"]),
        "best_epoch": hist["best_epoch"], "stopped_early": hist["stopped_early"],
        "train_acc": _accuracy(model, X, y), "val_acc": _accuracy(model, X_val, y_val),
        "xx": xx, "yy": yy, "prob": prob, "X": X, "y": y, "X_val": X_val, "y_val": y_val,
        "weight_norm": float(sum(np.sum(l.params["W"] ** 2) for l in model.layers if "W" in l.params)),
        "model": model,
        "divergence": (None if hist.get("divergence") is None
                       else divergence_status(hist["divergence"])),
    }


def _title(data):
    if data.get("divergence"):
        return data["divergence"]
    parts = []
    if data["p"]:
        parts.append(f"dropout p={data['p']:g}")
    if data["lam"]:
        parts.append(f"L2 λ={data['lam']:g}")
    if data["stopped_early"]:
        parts.append(f"early stop (best epoch {data['best_epoch']})")
    return ", ".join(parts) or "no regularization"


def _extent(data):
    return (data["xx"][0, 0], data["xx"][0, -1], data["yy"][0, 0], data["yy"][-1, 0])


def _boundary(data):
    """The P(class 1) = 0.5 level: a list of (k, 2) arrays of points."""
    import contourpy
    return contourpy.contour_generator(data["xx"], data["yy"], data["prob"]).lines(0.5)


def dropout_explorer_draw(data, axes=None, *, ylim=(0.0, 1.0)):
    """Left: train/validation loss per epoch. Right: P(class 1) with the 0.5 boundary and points."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_c, ax_b = axes
    ax_c.plot(data["epochs"], data["train_loss"], label=f"training (acc {data['train_acc']:.0%})")
    ax_c.plot(data["epochs"], data["val_loss"], label=f"validation (acc {data['val_acc']:.0%})")
    if data["best_epoch"]:
        ax_c.axvline(data["best_epoch"], color="gray", ls=":", lw=1, label="lowest validation loss")
    ax_c.set_ylim(*ylim)
    ax_c.set_xlabel("epoch")
    ax_c.set_ylabel("cross-entropy loss")
    ax_c.set_title(_title(data), fontsize=10)
    ax_c.set_xlim(0, max(len(data["epochs"]), 1) + 1)
    ax_c.legend(fontsize=SMALL, loc="upper right")
    # P(class 1) as an image and its 0.5 level as lines: cheap to draw and to update in place
    ax_b.imshow(data["prob"], origin="lower", extent=_extent(data), cmap="RdBu_r", vmin=0, vmax=1,
                alpha=0.6, interpolation="bilinear", aspect="auto")
    ax_b.add_collection(LineCollection(_boundary(data), colors="k", linewidths=1.5))
    ax_b.scatter(data["X_val"][:, 0], data["X_val"][:, 1], c=data["y_val"], cmap="RdBu_r",
                 s=6, alpha=0.35, vmin=0, vmax=1, label="validation")
    ax_b.scatter(data["X"][:, 0], data["X"][:, 1], c=data["y"], cmap="RdBu_r", s=40,
                 edgecolors="k", vmin=0, vmax=1, label="training")
    ax_b.set_xlabel("$x_1$")
    ax_b.set_ylabel("$x_2$")
    ax_b.set_title("decision boundary P(class 1) = 0.5", fontsize=10)
    ax_b.legend(fontsize=SMALL, loc="lower left")
    ax_b.grid(False)
    return axes


class _LiveDropout:
    """:func:`dropout_explorer_draw`'s picture, redrawn in place while the network trains: the
    curves, their legend, the title, P(class 1) and the boundary are animated; axes and points
    are drawn once."""

    def __init__(self, data, epochs, figsize=(10, 3.8)):
        from mlbook.plots.live import LiveFigure
        self.live = LiveFigure(figsize)
        fig = self.live.figure
        self.axes = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.22)
        dropout_explorer_draw(data, self.axes)
        ax_c, ax_b = self.axes
        ax_c.set_xlim(0, epochs + 1)
        self.train, self.val = ax_c.get_lines()[:2]
        self.best = ax_c.axvline(np.nan, color="gray", ls=":", lw=1)
        for extra in ax_c.get_lines()[2:-1]:
            extra.remove()
        ax_c.legend([self.train, self.val, self.best], ["", "", "lowest validation loss"],
                    fontsize=SMALL, loc="upper right")
        self.boundary = ax_b.collections[0]
        LiveFigure.animate(self.train, self.val, self.best, ax_c.get_legend(), ax_c.title,
                           ax_b.images[0], self.boundary)

    def show(self, data):
        ax_c, ax_b = self.axes
        self.train.set_data(data["epochs"], data["train_loss"])
        self.val.set_data(data["epochs"], data["val_loss"])
        best = data["best_epoch"] or np.nan
        self.best.set_xdata([best, best])
        texts = ax_c.get_legend().get_texts()
        texts[0].set_text(f"training (acc {data['train_acc']:.0%})")
        texts[1].set_text(f"validation (acc {data['val_acc']:.0%})")
        ax_c.title.set_text(_title(data))
        ax_b.images[0].set_data(data["prob"])
        self.boundary.set_segments(_boundary(data))


def _status(result):
    if result.get("divergence"):
        return result["divergence"]
    return (f"final training loss {result['train_loss'][-1]:.3f}, validation loss "
            f"{result['val_loss'][-1]:.3f}; validation accuracy {result['val_acc']:.1%}; "
            f"Σw² = {result['weight_norm']:.1f}")


def dropout_explorer(p=0.5, lam=0.0, *, epochs=300):
    """Sliders for the dropout rate and the L2 strength; each change retrains, and the curves
    and the boundary are shown as the network trains (an :class:`~mlbook.widgets.explorer.Explorer`)."""
    import ipywidgets as W

    from .explorer import Explorer

    p_slider = W.SelectionSlider(options=[(f"{v:g}", v) for v in P_VALUES], value=p,
                                 description="dropout p", continuous_update=False)
    lam_slider = W.SelectionSlider(options=[(f"{v:g}", v) for v in LAM_VALUES], value=lam,
                                   description="L2 λ", continuous_update=False)
    status = W.HTML()
    data = overfit_data()
    first = dropout_explorer_update(p, lam, epochs=epochs, data=data)
    view = _LiveDropout(first, epochs)
    cached = {"first": first}

    def compute(frame):
        if "first" in cached:                   # the first picture: already trained
            # in a kernel this runs in the worker thread while the explorer is built: a
            # short training there runs the code (and fetches the memory) that the first
            # press would otherwise run for the first time in that thread; its result is
            # not shown
            dropout_explorer_update(p_slider.value, lam_slider.value, epochs=2, data=data)
            return cached.pop("first")
        return dropout_explorer_update(p_slider.value, lam_slider.value, epochs=epochs,
                                       data=data, progress=frame)

    def show(result):
        status.value = _status(result)
        view.show(result)

    return Explorer([W.HBox([p_slider, lam_slider]), status],
                    {"p": p_slider, "lam": lam_slider}, compute, show, view.live,
                    first_frame_after=0.0,      # the restart shows after the first epoch
                    text=lambda result: f"dropout explorer: {_title(result)}; {_status(result)}")


# --------------------------------------------------------------------------------------------
# masks on a network diagram

def dropout_masks_data(sizes=(4, 6, 6, 2), p=0.5, n_passes=4, seed=0):
    """Keep-masks of ``n_passes`` training forward passes of one example through a small net.

    Dropout (rate ``p``) is applied to every hidden layer (not to the input or output here).
    Returns ``{"sizes", "p", "masks"}``, ``masks[k][l]``: bool array (sizes[l],) for pass k,
    layer l (all True for the input and output layers). The masks are those drawn by
    mlbook's Dropout layers.
    """
    drops = [Dropout(p, rng=seed + i) for i in range(len(sizes) - 2)]
    masks = []
    for _ in range(n_passes):
        per_layer = [np.ones(sizes[0], dtype=bool)]
        for d, n in zip(drops, sizes[1:-1]):
            d.forward(np.ones((1, n)), training=True)
            per_layer.append(d.mask[0].copy())
        per_layer.append(np.ones(sizes[-1], dtype=bool))
        masks.append(per_layer)
    return {"sizes": tuple(sizes), "p": p, "masks": masks}
