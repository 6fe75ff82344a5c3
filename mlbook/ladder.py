"""The MNIST ladder of the slides, rebuilt with mlbook's layers, losses and optimizers.

The first lecture deck climbs a ladder of MNIST test accuracies taken from Alec Radford's
"Introduction to Deep Learning with Python" (the Theano-Tutorials scripts)::

    rung           model                                   recipe                     slide
    logistic       softmax(x W)                            SGD lr 0.05                92.5 %
    sigmoid_625    625 sigmoid hidden units                SGD lr 0.05                98.2 %
    modern         625-625 ReLU, dropout 0.2 in / 0.5 hid  RMSprop lr 1e-3, rho 0.9   99.0 %
    convnet        3x3 convs 32-64-128, 2x2 max pooling,   RMSprop lr 1e-3, rho 0.9   99.5 %
                   dropout 0.2, FC 625, dropout 0.5
    (record: 99.77 % by a committee of 35 convnets)

Common to every rung: pixels / 255, weights drawn from N(0, 0.01^2), no biases, softmax
cross-entropy, mini-batches of 128, 100 epochs over the 60,000 training digits.

Differences from the original, all small and on purpose:

* no biases: mlbook's Dense and Conv2D have a bias; here it is zeroed and never updated
  (:class:`FrozenBiases` steps every parameter but the biases), which is the same network;
* RMSprop: the original divides by sqrt(s + 1e-6), mlbook's :class:`~mlbook.optim.RMSProp` by
  sqrt(s) + eps; eps = 1e-3 = sqrt(1e-6) gives the same step where it matters (tiny s);
* the original convnet uses "full" 3x3 convolutions and pooling that keeps a partial border
  window (28 -> 30 -> 15 -> 13 -> 7 -> 5 -> 3); mlbook's layers pad by 1 and pool without
  partial windows (28 -> 28 -> 14 -> 14 -> 7 -> 7 -> 3): the same 128 x 3 x 3 = 1152 inputs to
  the 625-unit layer, the same filters and parameter count;
* the original drops the last incomplete mini-batch of each epoch; mlbook trains on it.

``python -m mlbook.ladder`` downloads the 60,000 training digits (verified, cached) and trains
the four recipes, printing the comparison table; ``--help`` lists the options for a shorter run.
``python -m mlbook.ladder --data bundled --course`` trains offline with notebook 10's settings
(:data:`COURSE`: a few epochs, faster rates, the small convnet), about a minute. A short run of
the *original* recipes stays near chance: with N(0, 0.01^2) weights and the original rates the
first thousands of steps sit on a plateau, so the command says so after such a rung.
In a notebook, :func:`train_rung` with ``small=True`` trains a scaled-down convnet in seconds.
"""
import argparse
import math
import sys
import time

import numpy as np

from .layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential, Sigmoid
from .layers.training import (divergence_error, exploded, loss_text, report_divergence,
                              step_or_diverge)
from .losses import softmax_cross_entropy
from .optim import DivergenceError, Optimizer, RMSProp, SGD
from .validation import as_rng, check_choice, check_int, check_number

__all__ = ["RUNGS", "TITLES", "PUBLISHED", "RECORD", "RECIPES", "COURSE", "build_model", "model_input",
           "FrozenBiases", "make_optimizer_for", "train_epoch", "train_rung", "predict_proba", "accuracy", "confusion_matrix",
           "comparison_table", "Progress", "seconds_per_digit", "estimate_seconds", "main"]

RUNGS = ("logistic", "sigmoid_625", "modern", "convnet")
TITLES = {
    "logistic": "logistic regression",
    "sigmoid_625": "625 sigmoid hidden units",
    "modern": "625-625 ReLU + dropout",
    "convnet": "convnet",
}
# test accuracies printed on the slides (Radford's scripts, 60,000 training digits, 100 epochs)
PUBLISHED = {"logistic": 0.925, "sigmoid_625": 0.982, "modern": 0.990, "convnet": 0.995}
RECORD = 0.9977            # "committee of 35 conv. nets", the best on LeCun's page at the time
RECIPES = {
    "logistic": {"optimizer": "sgd", "lr": 0.05},
    "sigmoid_625": {"optimizer": "sgd", "lr": 0.05},
    "modern": {"optimizer": "rmsprop", "lr": 1e-3, "rho": 0.9, "eps": 1e-3},
    "convnet": {"optimizer": "rmsprop", "lr": 1e-3, "rho": 0.9, "eps": 1e-3},
}
INIT_STD = 0.01
BATCH_SIZE = 128
# notebook 10's settings: what fits in about a minute on 8,000 digits (keyword arguments of
# train_rung; everything not named is the recipe's). The notebook lists each change.
COURSE = {
    "logistic": dict(epochs=20),
    "sigmoid_625": dict(epochs=4, lr=0.5, batch_size=16),
    "modern": dict(epochs=5, eps=1e-8, batch_size=64),
    "convnet": dict(epochs=5, small=True, init="default", lr=3e-3, lr_decay=0.7, eps=1e-8,
                    batch_size=64),
}
CHANCE = 0.1               # ten classes
SHORT_RUN = 5_000          # fewer gradient steps per rung: the command warns what to expect


# --------------------------------------------------------------------------------------------
# the four models

def _init_normal(model, rng):
    """Every weight array from N(0, INIT_STD^2), every bias 0 (the original's init_weights)."""
    for layer in model.layers:
        if "W" in layer.params:
            W = layer.params["W"]
            W[...] = rng.normal(0.0, INIT_STD, size=W.shape)
            layer.params["b"][...] = 0.0
    return model


def build_model(rung, *, rng=0, small=False, hidden=625, init="normal"):
    """The model of one rung, weights N(0, 0.01^2), biases 0. Input: see :func:`model_input`.

    ``small=True`` gives the notebook's convnet (8 then 16 filters, the second convolution with
    stride 2 instead of a second pooling, a 64-unit instead of a 625-unit layer); ``hidden``
    changes the width of the hidden layer(s) of the two MLP rungs. ``init="normal"`` is the
    original N(0, 0.01^2); ``init="default"`` keeps the layers' own initialisation (Glorot
    for Dense, He for Conv2D), biases 0 either way. Output: (N, 10) logits.
    """
    init = check_choice(init, "init", ("normal", "default"))
    rung = check_choice(rung, "rung", RUNGS)
    rng = as_rng(rng)
    hidden = check_int(hidden, "hidden", minimum=1)
    seed = lambda: int(rng.integers(2**31))      # noqa: E731  one stream per dropout layer
    # the layers' own initialisation, seeded from rng (init="normal" overwrites it below)
    w = seed if init == "default" else (lambda: None)      # noqa: E731
    if rung == "logistic":
        layers = [Dense(784, 10, rng=w())]
    elif rung == "sigmoid_625":
        layers = [Dense(784, hidden, rng=w()), Sigmoid(), Dense(hidden, 10, rng=w())]
    elif rung == "modern":
        layers = [Dropout(0.2, rng=seed()), Dense(784, hidden, rng=w()), ReLU(),
                  Dropout(0.5, rng=seed()), Dense(hidden, hidden, rng=w()), ReLU(),
                  Dropout(0.5, rng=seed()), Dense(hidden, 10, rng=w())]
    elif small:
        layers = [Conv2D(1, 8, 3, padding=1, rng=w()), MaxPool2D(2), ReLU(),      # 28 -> 14
                  Conv2D(8, 16, 3, stride=2, padding=1, rng=w()), ReLU(),         # 14 -> 7
                  Flatten(), Dropout(0.2, rng=seed()), Dense(16 * 7 * 7, 64, rng=w()), ReLU(),
                  Dense(64, 10, rng=w())]
    else:
        layers = [Conv2D(1, 32, 3, padding=1, rng=w()), ReLU(), MaxPool2D(2),
                  Dropout(0.2, rng=seed()),
                  Conv2D(32, 64, 3, padding=1, rng=w()), ReLU(), MaxPool2D(2),
                  Dropout(0.2, rng=seed()),
                  Conv2D(64, 128, 3, padding=1, rng=w()), ReLU(), MaxPool2D(2), Flatten(),
                  Dropout(0.2, rng=seed()), Dense(128 * 3 * 3, 625, rng=w()), ReLU(),
                  Dropout(0.5, rng=seed()), Dense(625, 10, rng=w())]
    model = Sequential(layers)
    if init == "normal":
        return _init_normal(model, rng)
    for layer in model.layers:
        if "b" in layer.params:
            layer.params["b"][...] = 0.0
    return model


def model_input(rung, images):
    """images (N, 28, 28) in [0, 1] -> what the rung's model takes: (N, 784) for the
    fully connected rungs, (N, 1, 28, 28) for the convnet."""
    rung = check_choice(rung, "rung", RUNGS)
    images = np.asarray(images, dtype=float)
    return images.reshape(len(images), 1, 28, 28) if rung == "convnet" \
        else images.reshape(len(images), -1)


class FrozenBiases(Optimizer):
    """Wrap an optimizer so that it updates every parameter except the biases (names ending
    in ``b``, e.g. ``"2.b"``), which keep their value (0): networks without biases, built from
    layers that have them."""

    def __init__(self, inner):
        if not isinstance(inner, Optimizer):
            raise TypeError(f"inner must be an mlbook Optimizer, got {type(inner).__name__}")
        self.inner = inner
        self.state = inner.state

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def step(self, params, grads):
        keys = [k for k in params if k.split(".")[-1] != "b"]
        self.inner.step({k: params[k] for k in keys}, {k: grads[k] for k in keys})

    def __repr__(self):
        return f"FrozenBiases({self.inner!r})"


def make_optimizer_for(rung, lr=None, eps=None):
    """The rung's optimizer (SGD or RMSprop as in :data:`RECIPES`), biases frozen;
    ``lr`` and ``eps`` (RMSprop only) override the recipe's values."""
    recipe = dict(RECIPES[check_choice(rung, "rung", RUNGS)])
    name, rate = recipe.pop("optimizer"), recipe.pop("lr")
    rate = rate if lr is None else lr
    if eps is not None and "eps" in recipe:
        recipe["eps"] = eps
    inner = SGD(rate) if name == "sgd" else RMSProp(rate, **recipe)
    return FrozenBiases(inner)


# --------------------------------------------------------------------------------------------
# predicting and training

def predict_proba(model, X, *, batch=1000):
    """Class probabilities (N, 10): softmax of the model's logits in evaluation mode."""
    out = []
    for start in range(0, len(X), batch):
        z = model.forward(X[start:start + batch], training=False)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out.append(e / e.sum(axis=1, keepdims=True))
    return np.concatenate(out)


def accuracy(model, X, y, *, batch=1000):
    """Fraction of (X, y) that ``model`` classifies correctly (argmax of its logits)."""
    hits = 0
    for start in range(0, len(X), batch):
        z = model.forward(X[start:start + batch], training=False)
        hits += int(np.sum(z.argmax(axis=1) == y[start:start + batch]))
    return hits / len(X)


def confusion_matrix(labels, predictions, n_classes=10):
    """Counts C (n_classes, n_classes): C[i, j] = how many examples of true class i were
    predicted as class j. labels, predictions: (N,) integers in 0..n_classes-1.

    The diagonal holds the correct answers, so ``trace(C) / N`` is the accuracy.
    """
    labels = np.asarray(labels).astype(np.int64)
    predictions = np.asarray(predictions).astype(np.int64)
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (labels, predictions), 1)
    return C


def train_epoch(model, opt, X, y, *, rng, batch_size=BATCH_SIZE, epoch=None, watch=None):
    """One pass over (X, y) in shuffled mini-batches: forward, softmax cross-entropy,
    backward, one optimizer step each. Returns the mean mini-batch loss of the epoch.

    Divergence is checked as in :func:`mlbook.layers.fit` (the rule of
    :mod:`mlbook.layers.training`): an inf/NaN or exploded mini-batch loss, or a refused
    optimizer step, raises the :func:`~mlbook.layers.training.divergence_error` report.
    ``watch`` (a dict, kept between epochs by :func:`train_rung`) holds the update count
    ``"step"`` and the first mini-batch's loss ``"first_loss"``; ``epoch`` goes into the report.
    """
    watch = {"step": 0, "first_loss": None} if watch is None else watch
    order = rng.permutation(len(y))
    total = 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for batch, start in enumerate(range(0, len(y), batch_size), start=1):
            watch["step"] += 1
            where = {"step": watch["step"], "epoch": epoch, "batch": batch}
            b = order[start:start + batch_size]
            try:
                loss, dlogits = softmax_cross_entropy(model.forward(X[b], training=True), y[b])
            except OverflowError:          # FloatOverflowError of a layer or the loss
                if watch["step"] == 1:     # before any update: the data's fault, not the lr's
                    raise
                loss = math.inf
            if exploded(loss, watch["first_loss"]):
                what, detail = loss_text(loss, watch["first_loss"])
                raise divergence_error(what, detail=detail, name="loss", quantity="loss",
                                       lr=opt.lr, **where)
            if watch["first_loss"] is None:
                watch["first_loss"] = float(loss)
            try:
                model.backward(dlogits, input_grad=False)     # the grads; no dL/d(images)
            except OverflowError:
                if watch["step"] == 1:
                    raise
                raise divergence_error("the backward pass overflowed float64", name="gradient",
                                       quantity="gradient", lr=opt.lr, **where) from None
            err = step_or_diverge(opt, model.params, model.grads, **where)
            if err is not None:
                raise err
            total += loss * len(b)
    return total / len(y)


def train_rung(rung, train, test, *, epochs, rng=0, small=False, hidden=625, lr=None,
               eps=None, lr_decay=1.0, augment=None, progress=None, batch_size=BATCH_SIZE,
               init="normal", on_divergence="raise"):
    """Train one rung with its recipe and measure it after every epoch.

    train, test : pairs (images (N, 28, 28) in [0, 1], labels (N,) ints)
    epochs : passes over ``train``; rng : seed or Generator (weights, shuffling, dropout)
    small, hidden, init : see :func:`build_model`; lr, eps : override the recipe's values
    batch_size : mini-batch size (the recipe: 128)
    lr_decay : the learning rate is multiplied by this after every epoch (1: constant)
    augment : optional ``augment(images, rng) -> images`` applied afresh to every epoch
    progress : optional :class:`Progress` (or anything with ``update(epoch, text)``)

    Returns a dict: ``model``, ``train_loss`` (mean mini-batch cross-entropy of each epoch,
    dropout on) and ``test_accuracy`` (on ``test`` after each epoch), ``accuracy`` (the final
    one), ``seconds`` (training time), ``epochs``, ``diverged_at`` (the epoch in which
    training diverged — learning rate too large — after which it stopped, or None) and
    ``divergence`` (the :class:`~mlbook.optim.DivergenceError`, or None).

    Divergence (the rule of :mod:`mlbook.layers.training`, as in :func:`mlbook.layers.fit`):
    training stops, and with ``on_divergence="raise"`` (default) the DivergenceError is raised
    (its ``.result`` is this dict so far); with ``"warn"`` a DivergenceWarning with the same
    text is issued and the dict is returned.
    """
    rung = check_choice(rung, "rung", RUNGS)
    on_divergence = check_choice(on_divergence, "on_divergence", ("raise", "warn"))
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    lr_decay = check_number(lr_decay, "lr_decay", low=0.0, low_open=True, high=1.0)
    rng = as_rng(rng)
    model = build_model(rung, rng=rng, small=small, hidden=hidden, init=init)
    opt = make_optimizer_for(rung, lr, eps)
    X_train, y_train = train[0], np.asarray(train[1])
    X_test, y_test = model_input(rung, test[0]), np.asarray(test[1])
    X_fixed = model_input(rung, X_train)
    result = {"model": model, "train_loss": [], "test_accuracy": [], "epochs": epochs}
    result["diverged_at"] = result["divergence"] = None
    watch = {"step": 0, "first_loss": None}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        X = X_fixed if augment is None else model_input(rung, augment(X_train, rng))
        try:
            loss = train_epoch(model, opt, X, y_train, rng=rng, batch_size=batch_size,
                               epoch=epoch, watch=watch)
        except DivergenceError as err:           # lr too large: stop, keep what was measured
            result["diverged_at"], result["divergence"] = epoch, err
            break
        result["train_loss"].append(loss)
        result["test_accuracy"].append(accuracy(model, X_test, y_test))
        opt.lr = opt.lr * lr_decay
        if progress is not None:
            progress.update(epoch, f"loss {loss:.4f}, test accuracy "
                                   f"{100 * result['test_accuracy'][-1]:.2f} %")
    result["seconds"] = time.perf_counter() - start
    # a run that diverged in its first epoch is as good as guessing
    result["accuracy"] = result["test_accuracy"][-1] if result["test_accuracy"] else 0.1
    if result["divergence"] is not None:
        result["divergence"].result = result
        report_divergence(result["divergence"], on_divergence)
    return result


# --------------------------------------------------------------------------------------------
# progress: a live line in Jupyter or a terminal, nothing left behind in a saved notebook

def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """A progress bar for ``total`` epochs of training ``label``.

    In Jupyter it is one live-updating line that is blanked when :meth:`close` is called, so
    a saved notebook keeps no trace of it (print a summary after it); in a terminal it is a
    ``\\r``-rewritten line on ``stream`` (stderr), ended by a newline. Use as a context manager.
    """

    def __init__(self, total, label="", *, stream=None, width=30):
        self.total = check_int(total, "total", minimum=1)
        self.label, self.width = label, width
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self._handle = None
        if stream is None and _in_notebook():
            from IPython.display import display
            self._handle = display({"text/plain": ""}, raw=True, display_id=True)

    def line(self, done, text=""):
        """The text of the bar after ``done`` of ``total`` epochs."""
        filled = int(round(self.width * done / self.total))
        elapsed = time.perf_counter() - self.start
        eta = elapsed / done * (self.total - done) if done else math.nan
        bar = "#" * filled + "." * (self.width - filled)
        eta_text = f", ~{eta:.0f} s left" if done and done < self.total else ""
        return (f"{self.label} [{bar}] epoch {done}/{self.total} ({elapsed:.0f} s{eta_text})"
                + (f"  {text}" if text else ""))

    def update(self, done, text=""):
        line = self.line(done, text)
        if self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)
        else:
            self.stream.write("\r" + line)
            self.stream.flush()

    def close(self):
        if self._handle is not None:
            self._handle.update({"text/plain": ""}, raw=True)
        else:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --------------------------------------------------------------------------------------------
# the comparison table

def comparison_table(results, *, n_train, note=""):
    """Markdown table: each rung's computed test accuracy beside the slide's figure.

    results : {rung: accuracy (a fraction)} for some of :data:`RUNGS`.
    """
    n_train = check_int(n_train, "n_train", minimum=1)
    rows = ["| rung | computed here | on the slide | difference |",
            "| --- | ---: | ---: | ---: |"]
    for rung in RUNGS:
        if rung in results:
            acc = results[rung]
            rows.append(f"| {TITLES[rung]} | {100 * acc:.2f} % | {100 * PUBLISHED[rung]:.1f} % "
                        f"| {100 * (acc - PUBLISHED[rung]):+.2f} points |")
    rows.append(f"| record (committee of 35 convnets) | — | {100 * RECORD:.2f} % | |")
    text = "\n".join(rows)
    return text + (f"\n\n{note}" if note else "") + \
        f"\n\nComputed with {n_train:,} training digits."


# --------------------------------------------------------------------------------------------
# the command line: python -m mlbook.ladder

def seconds_per_digit(rung, *, small=False, batch_size=BATCH_SIZE, batches=None, init="normal"):
    """Measured CPU seconds to train on one digit (forward, backward, step) and to evaluate one
    digit, for ``rung`` on this machine: ``(train, evaluate)``, medians over ``batches`` timed
    mini-batches (default: enough for about 1,000 digits, at least 3; after one warm-up) of
    random 28 x 28 images."""
    rung = check_choice(rung, "rung", RUNGS)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    batches = max(3, 1024 // batch_size) if batches is None else \
        check_int(batches, "batches", minimum=1)
    rng = np.random.default_rng(0)
    model = build_model(rung, rng=rng, small=small, init=init)
    opt = make_optimizer_for(rung)
    X = model_input(rung, rng.random((batch_size, 28, 28)))
    y = rng.integers(0, 10, batch_size)
    train, evaluate = [], []
    for k in range(batches + 1):
        t0 = time.process_time()
        train_epoch(model, opt, X, y, rng=rng, batch_size=batch_size)
        t1 = time.process_time()
        model.forward(X, training=False)
        t2 = time.process_time()
        if k:                                      # the first round warms up caches
            train.append((t1 - t0) / batch_size)
            evaluate.append((t2 - t1) / batch_size)
    return float(np.median(train)), float(np.median(evaluate))


def estimate_seconds(rung, n_train, n_test, epochs, *, small=False, batch_size=BATCH_SIZE):
    """Estimated CPU seconds of :func:`train_rung`: measured per-digit costs times the digits
    trained on and evaluated, times the epochs."""
    train, evaluate = seconds_per_digit(rung, small=small, batch_size=batch_size)
    return epochs * (n_train * train + n_test * evaluate)


def _load(data, limit, seed):
    from .datasets.mnist import course_split, load_mnist
    if data == "bundled":
        (Xtr, ytr), (Xte, yte) = course_split()
    else:
        Xtr, ytr = load_mnist(kind="train", download=True, as_float=True)
        Xte, yte = load_mnist(kind="test", as_float=True)
    if limit is not None:
        rng = np.random.default_rng(seed)
        keep = rng.permutation(len(ytr))[:limit]
        Xtr, ytr = Xtr[keep], ytr[keep]
        keep = rng.permutation(len(yte))[:limit]
        Xte, yte = Xte[keep], yte[keep]
    return (Xtr, ytr.astype(np.int64)), (Xte, yte.astype(np.int64))


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m mlbook.ladder",
        description="Train the slides' four MNIST recipes (logistic regression, 625 sigmoid "
                    "units, 625-625 ReLU + dropout, convnet) with mlbook and compare with the "
                    "published accuracies. Default: the original recipes on the 60,000 "
                    "training digits (downloaded once, md5-verified), 100 epochs each — hours "
                    "on a laptop; the estimate is printed before training starts.")
    p.add_argument("--data", choices=("full", "bundled"), default="full",
                   help="full: 60,000 downloaded training digits, 10,000 test digits; bundled: "
                        "the course split of the 10,000 bundled digits (8,000 / 2,000), offline")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs per rung (original: 100; with --course: the notebook's)")
    p.add_argument("--course", action="store_true",
                   help="notebook 10's settings (a few epochs, faster rates, the small convnet): "
                        "with --data bundled, the notebook's table in about a minute")
    p.add_argument("--limit", type=int, default=None,
                   help="use only this many training digits and this many test digits, drawn "
                        "at random (a quick run)")
    p.add_argument("--rungs", nargs="+", choices=RUNGS, default=list(RUNGS),
                   help="which rungs to train (default: all four)")
    p.add_argument("--small-convnet", action="store_true",
                   help="the notebook's small convnet instead of the original 32-64-128 one")
    p.add_argument("--seed", type=int, default=0, help="random seed (weights, order, dropout)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads of numpy's BLAS (default: as started, one per core; on a "
                        "shared machine use 1: see mlbook.threads)")
    return p


def main(argv=None):
    """Entry point of ``python -m mlbook.ladder``; returns the exit code."""
    args = _parser().parse_args(argv)
    if (args.epochs is not None and args.epochs < 1) or (args.limit is not None and args.limit < 10):
        print("error: --epochs must be >= 1 and --limit >= 10", file=sys.stderr)
        return 2
    if args.threads is not None:
        if args.threads < 1:
            print("error: --threads must be >= 1", file=sys.stderr)
            return 2
        from .threads import set_blas_threads
        set_blas_threads(args.threads)
    try:
        train, test = _load(args.data, args.limit, args.seed)
    except OSError as exc:
        print("Could not get the 60,000 MNIST training digits:\n" + str(exc) +
              "\n\nWhat to do: connect to the internet and run this command again (the files "
              "are downloaded once, about 11 MB, md5-checked and cached), or put the two "
              "train-*-ubyte.gz files in that folder by hand, or train offline on the bundled "
              "digits: python -m mlbook.ladder --data bundled", file=sys.stderr)
        return 1
    n = len(train[1])
    settings = {r: _settings(r, args) for r in args.rungs}
    print(f"MNIST ladder: {n:,} training digits, {len(test[1]):,} test digits, " + (
        "notebook 10's settings (--course)" if args.course else
        f"{settings[args.rungs[0]]['epochs']} epoch(s) per rung, batch {BATCH_SIZE}") + ".",
        flush=True)
    estimate = {r: estimate_seconds(r, n, len(test[1]), st["epochs"], small=st.get("small", False),
                                    batch_size=st.get("batch_size", BATCH_SIZE))
                for r, st in settings.items()}
    print("Estimated run time (CPU time, measured on a few batches here): " + ", ".join(
        f"{TITLES[r]} {_duration(s)}" for r, s in estimate.items())
        + f"; total {_duration(sum(estimate.values()))}.", flush=True)
    steps = -(-n // BATCH_SIZE) * settings[args.rungs[0]]["epochs"]
    if not args.course and steps < SHORT_RUN:
        print(f"A short run: {steps:,} gradient steps per rung of the original recipes (the slide's "
              f"figures took {(60_000 // BATCH_SIZE) * 100:,}). Expect accuracies far below the slide, "
              f"near chance for rungs that stay on the plateau of N(0, 0.01^2) weights; --course "
              f"runs notebook 10's faster settings instead.", flush=True)
    results = {}
    for rung in args.rungs:
        with Progress(settings[rung]["epochs"], TITLES[rung]) as bar:
            res = train_rung(rung, train, test, rng=args.seed, progress=bar, **settings[rung])
        results[rung] = res["accuracy"]
        print(f"{TITLES[rung]}: test accuracy {100 * res['accuracy']:.2f} % after "
              f"{len(res['test_accuracy'])} epoch(s), {res['seconds']:.1f} s")
        if res["accuracy"] < 2 * CHANCE:
            print(f"  near chance ({100 * CHANCE:.0f} %): " + _near_chance(rung, n, settings[rung],
                                                                     args.course), flush=True)
    print()
    print(comparison_table(results, n_train=n))
    return 0


def _settings(rung, args):
    """train_rung's keyword arguments for ``rung`` under the command-line options."""
    if args.course:
        st = dict(COURSE[rung])
    else:
        st = {"epochs": 100, "small": args.small_convnet}
    if args.epochs is not None:
        st["epochs"] = args.epochs
    if args.small_convnet:
        st["small"] = True
    return st


def _near_chance(rung, n_train, settings, course):
    """Why a rung ended near chance, and what to run instead."""
    steps = -(-n_train // settings.get("batch_size", BATCH_SIZE)) * settings["epochs"]
    original = (60_000 // BATCH_SIZE) * 100
    if course:
        return (f"{steps:,} gradient steps were not enough here; notebook 10 trains on 8,000 "
                f"digits (drop --limit) or give it more --epochs.")
    return (f"{steps:,} gradient steps of the original recipe (the slide's figure took "
            f"{original:,}). With N(0, 0.01^2) weights and the original learning rate the first "
            f"thousands of steps stay on a plateau. For a short run use --course (notebook 10's "
            f"faster settings); for the recipe itself, many more --epochs or the full data.")


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


if __name__ == "__main__":      # pragma: no cover
    sys.exit(main())
