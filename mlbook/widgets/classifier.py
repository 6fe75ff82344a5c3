"""Train a small classifier on a toy dataset: learning rate, batch size, optimizer, hidden units.

The network is Dense(2, hidden) -> Tanh -> Dense(hidden, C) with softmax cross-entropy,
trained by :func:`mlbook.layers.fit` on 75 % of the points; the other 25 % are the validation
set. ``batch_size=1`` is stochastic gradient descent, ``batch_size = number of training
points`` full-batch gradient descent, anything between mini-batch.

* :func:`classifier_update` — builds, trains, returns the curves and the decision regions;
* :func:`classifier_draw` — loss curves (training and validation) beside the decision regions;
* :func:`classifier_explorer` — the widget.
"""
import numpy as np

from mlbook.datasets.toy import TOY_DATASETS, make_toy, train_val_split
from mlbook.layers import Dense, ReLU, Sequential, Tanh, fit
from mlbook.layers.training import divergence_status
from mlbook.optim import DivergenceError
from mlbook.optim import OPTIMIZERS

__all__ = ["build_classifier", "classifier_data", "classifier_update", "classifier_draw",
           "classifier_explorer"]


def classifier_data(dataset="spirals", n=300, seed=0):
    """The toy dataset split 75/25: ``X_train, y_train, X_val, y_val`` (seeded)."""
    X, y = make_toy(dataset, n=n, seed=seed)
    return train_val_split(X, y, val_fraction=0.25, seed=seed)


def build_classifier(hidden=16, n_classes=2, activation="tanh", seed=0):
    """Dense(2, hidden) -> Tanh (or ReLU) -> Dense(hidden, n_classes), seeded weights."""
    if activation not in ("tanh", "relu"):
        raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
    rng = np.random.default_rng(seed)
    act = Tanh() if activation == "tanh" else ReLU()
    return Sequential([Dense(2, hidden, rng=rng), act, Dense(hidden, n_classes, rng=rng)])


def classifier_update(dataset="spirals", lr=0.03, batch_size=16, optimizer="adam", hidden=24,
                      epochs=60, activation="tanh", seed=0, n=300, progress=None):
    """Train the classifier and return what the widget draws.

    Returns a dict: the settings; ``history`` (from ``fit``: ``train_loss``, ``val_loss`` per
    epoch, ``diverged_at``...); ``train_acc``, ``val_acc``; ``grid`` = (xx, yy, class, confidence)
    from :func:`mlbook.plots.curves.decision_grid`; ``X_train``, ``y_train``, ``X_val``,
    ``y_val``; ``model`` (the trained Sequential). ``progress`` (optional) is called after every
    epoch with a function that returns this dict for the model trained so far (the explorer
    shows training as it happens).
    """
    if dataset not in TOY_DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(TOY_DATASETS)}")
    X_train, y_train, X_val, y_val = classifier_data(dataset, n=n, seed=seed)
    n_classes = int(max(y_train.max(), y_val.max())) + 1
    model = build_classifier(hidden, n_classes, activation, seed)
    settings = {"dataset": dataset, "lr": lr, "batch_size": batch_size, "optimizer": optimizer,
                "hidden": hidden, "epochs": epochs, "activation": activation}
    split = (X_train, y_train, X_val, y_val)
    callback = None
    if progress is not None:
        def callback(epoch, hist):
            progress(lambda: _result(settings, model, dict(hist, train_loss=list(
                hist["train_loss"]), val_loss=list(hist["val_loss"])), split))
    try:
        history = fit(model, X_train, y_train, loss="softmax_cross_entropy", optimizer=optimizer,
                      lr=lr, epochs=epochs, batch_size=batch_size, validation=(X_val, y_val),
                      seed=seed, restore_best=False, callback=callback)
    except DivergenceError as err:         # shown in the figure, not raised into the widget
        history = err.history
    return _result(settings, model, history, split)


def _result(settings, model, history, split):
    from mlbook.plots.curves import decision_grid
    X_train, y_train, X_val, y_val = split

    def predict(X):                  # a diverged model's scores overflow: NaN, not an error
        try:
            return model.predict(X)
        except OverflowError:
            return np.full((len(X), model.layers[-1].n_out), np.nan)

    with np.errstate(over="ignore", invalid="ignore"):
        train_acc = float(np.mean(predict(X_train).argmax(axis=1) == y_train))
        val_acc = float(np.mean(predict(X_val).argmax(axis=1) == y_val))
        grid = decision_grid(predict, np.vstack([X_train, X_val]), resolution=70)
    return dict(settings, history=history, train_acc=train_acc, val_acc=val_acc, grid=grid,
                X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val, model=model)


def _note(history):
    """The divergence report drawn on the loss plot ("" for a run that did not diverge)."""
    err = history.get("divergence")
    if err is None:
        return ""
    return divergence_status(err, sep=":\n") + "\n(lr too large)"


def _titles(data):
    left = (f"{data['optimizer']}, lr={data['lr']:.3g}, batch {data['batch_size']}, "
            f"{data['hidden']} hidden")
    right = f"accuracy: train {data['train_acc']:.0%}, validation {data['val_acc']:.0%}"
    return left, right


def classifier_draw(data, axes=None):
    """Loss curves (left) and decision regions with the points (right). Returns the axes."""
    import matplotlib.pyplot as plt
    from mlbook.plots.curves import plot_decision_boundary, plot_history
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
    h = data["history"]
    title, right = _titles(data)
    if h["train_loss"]:
        plot_history(h, axes[0], title=title)
    if h["diverged_at"] is not None:
        axes[0].set_title(title)
        axes[0].text(0.5, 0.5, _note(h),
                     transform=axes[0].transAxes, ha="center", color="#d62728")
    plot_decision_boundary(data["grid"], data["X_train"], data["y_train"], axes[1],
                           X_val=data["X_val"], y_val=data["y_val"], title=right)
    return axes


class _LiveClassifier:
    """:func:`classifier_draw`'s picture, redrawn in place while the network trains: the loss
    curves, the class regions (an image) and the titles are animated; axes, points and legends
    are drawn again only for a new dataset or number of epochs, or when the loss leaves the
    y range."""

    def __init__(self, figsize=(10, 3.8)):
        from mlbook.plots.live import LiveFigure
        self.live = LiveFigure(figsize)
        self.key = None

    def _build(self, data):
        from mlbook.plots.live import LiveFigure
        from mlbook.plots.style import SMALL
        fig = self.live.figure
        fig.clear()
        self.axes = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.25)
        ax, ax_b = self.axes
        plot_decision = dict(data, history={"train_loss": [], "val_loss": [], "diverged_at": None})
        classifier_draw(plot_decision, self.axes)          # the regions and points
        (self.train,) = ax.plot([], [], label="training", color="#1f77b4")
        (self.val,) = ax.plot([], [], label="validation", color="#ff7f0e")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.legend(loc="upper right", fontsize=SMALL)
        ax.set_xlim(0.5, data["epochs"] + 0.5)
        self.note = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", color="#d62728")
        LiveFigure.animate(self.train, self.val, self.note, ax.title, ax_b.title, ax_b.images[0])
        self.key = (data["dataset"], data["epochs"])

    def show(self, data):
        from mlbook.plots.live import LiveFigure
        if self.key != (data["dataset"], data["epochs"]):
            self._build(data)
        ax, ax_b = self.axes
        h = data["history"]
        epochs = np.arange(1, len(h["train_loss"]) + 1)
        self.train.set_data(epochs, h["train_loss"])
        self.val.set_data(epochs, h["val_loss"])
        top = max([1.0] + [v for v in h["train_loss"] + h["val_loss"] if np.isfinite(v)])
        y_hi = ax.get_ylim()[1]
        if not (top <= y_hi <= 3 * top):                     # out of range, or far too roomy
            LiveFigure.set_limits(ax, ylim=(0.0, 1.15 * top))
        self.note.set_text(_note(h))
        left, right = _titles(data)
        ax.title.set_text(left)
        ax_b.title.set_text(right)
        ax_b.images[0].set_data(data["grid"][2])


def classifier_explorer(dataset="spirals"):
    """The widget: dataset, optimizer, lr, batch size (1 ... all), hidden units, epochs. Each
    change retrains; the curves and regions are shown as the network trains."""
    import ipywidgets as w

    from .explorer import Explorer

    style = {"description_width": "100px"}
    lay = w.Layout(width="380px")
    n_train = classifier_data(dataset)[0].shape[0]
    ds = w.Dropdown(options=list(TOY_DATASETS), value=dataset, description="dataset", style=style)
    opt = w.Dropdown(options=list(OPTIMIZERS), value="adam", description="optimizer", style=style)
    lr = w.FloatLogSlider(value=0.03, base=10, min=-4, max=1, step=0.1, description="learning rate",
                          readout_format=".3g", continuous_update=False, style=style, layout=lay)
    bs = w.SelectionSlider(options=[1, 2, 4, 8, 16, 32, 64, 128, n_train], value=16,
                           description="batch size", continuous_update=False, style=style, layout=lay)
    hid = w.IntSlider(value=24, min=2, max=64, step=2, description="hidden units",
                      continuous_update=False, style=style, layout=lay)
    ep = w.IntSlider(value=60, min=5, max=200, step=5, description="epochs",
                     continuous_update=False, style=style, layout=lay)
    view = _LiveClassifier()

    def compute(frame):
        return classifier_update(ds.value, lr.value, bs.value, opt.value, hid.value, ep.value,
                                 progress=frame)

    return Explorer([w.HBox([w.VBox([ds, opt, lr]), w.VBox([bs, hid, ep])])],
                    {"dataset": ds, "optimizer": opt, "lr": lr, "batch_size": bs, "hidden": hid,
                     "epochs": ep}, compute, view.show, view.live,
                    text=lambda data: "classifier explorer: " + "; ".join(_titles(data)))
