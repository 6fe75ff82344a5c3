"""A small training loop: mini-batches, seeded shuffling, loss history, early stopping.

    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer="adam", lr=0.01,
                  epochs=50, batch_size=32, validation=(X_val, y_val), patience=5)

One epoch = one pass over the shuffled training set in mini-batches of ``batch_size``
(``batch_size=1``: stochastic gradient descent; ``batch_size=len(X)``: full-batch gradient
descent). Each mini-batch: forward, loss and its gradient, backward, one optimizer step.
"""
import math

import numpy as np

from ..losses import LOSSES
from ..optim import DivergenceError, OPTIMIZERS, Optimizer, make_optimizer
from ..validation import as_float_array, as_rng, check_callable, check_flag, check_int

__all__ = ["fit", "evaluate"]


def _loss_fn(loss):
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)} or pass a "
                     f"function (pred, target) -> (loss, grad)")


def evaluate(model, X, y, loss="mse"):
    """The loss of ``model`` on (X, y) in evaluation mode (``training=False``), a float
    (``inf`` when it overflows float64: the model has diverged)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            value, _ = _loss_fn(loss)(model.forward(X, training=False), y)
        except OverflowError:       # the loss is beyond float64: report it as inf
            return math.inf
    return float(value)


def _snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def _restore(model, snapshot):
    for k, v in model.params.items():
        v[...] = snapshot[k]


def _data(X, y, what=""):
    """(X, y) as arrays with one example per row; NaN/inf anywhere is bad data, refused."""
    X = as_float_array(X, f"{what}X", finite=True)
    as_float_array(y, f"{what}y", finite=True)        # the same checks; y keeps its dtype (labels)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{what}X and {what}y must be arrays with a batch axis")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{what}X has {X.shape[0]} examples but {what}y has {y.shape[0]}; "
                         f"they must match")
    return X, y


def _diverged(what, name, quantity, epoch, step, batch, lr):
    """The report: a DivergenceError saying what diverged, where, and what the model kept."""
    return DivergenceError(f"training diverged in epoch {epoch} (update {step}, mini-batch "
                           f"{batch} of the epoch): {what} (lr={lr:g} is too large for this "
                           f"problem); no parameter became inf or NaN",
                           name=name, step=step, epoch=epoch, quantity=quantity)


def fit(model, X, y, *, loss="mse", optimizer="sgd", lr=None, epochs=10, batch_size=32,
        validation=None, shuffle=True, seed=0, patience=None, restore_best=True,
        schedule=None, optimizer_kwargs=None, callback=None):
    """Train ``model`` (a layer or Sequential) on (X, y) with mini-batch gradient descent.

    Parameters
    ----------
    model : has forward(x, training), backward(dy), params, grads
    X : (N, ...) inputs; y : (N, ...) targets (integer labels for softmax_cross_entropy)
    loss : a name in ``mlbook.losses.LOSSES`` or a function (pred, target) -> (loss, grad)
    optimizer : a name in ``mlbook.optim.OPTIMIZERS`` or an Optimizer instance
    lr : learning rate of a named optimizer (positive, finite; default 0.1). Not with an
        Optimizer instance, which has its own: both at once is a ValueError (a conflict)
    epochs : number of passes over the data; batch_size : 1 .. N
    validation : optional (X_val, y_val); its loss is recorded per epoch and drives early stopping
    shuffle, seed : reshuffle every epoch with ``np.random.default_rng(seed)``
    patience : stop after this many epochs without a new best monitored loss (validation if
        given, else training); ``None`` never stops early
    restore_best : on stopping (early or by divergence) put back the parameters of the best
        epoch; without it (or before the first epoch ends) a diverged model keeps its last
        finite parameters — an optimizer step never leaves inf or NaN behind
    schedule : optional ``schedule(epoch, val_loss) -> lr`` (see ``mlbook.optim``), called after
        each epoch; a schedule with ``lr0`` sets the first epoch's lr too
    callback : optional ``callback(epoch, history)`` after each epoch

    Returns
    -------
    history : dict with lists ``train_loss``, ``val_loss`` (empty without validation) and ``lr``
        (one entry per epoch run; losses measured after the epoch on the whole set, in
        evaluation mode), ``best_epoch`` (1-based), ``stopped_early`` (bool), ``diverged_at``
        (epoch number or None), ``divergence`` (None, or the :class:`mlbook.optim.DivergenceError`
        describing what diverged: ``str()`` of it is the report, ``.epoch``, ``.step`` (the
        update, counted over the whole run) and ``.name`` the data) and ``epochs_run``.

    X and y are checked before training starts: NaN or inf in them is reported as bad data.
    """
    loss_fn = _loss_fn(loss)
    X, y = _data(X, y)
    n = X.shape[0]
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer from 1 to the number of examples ({n}), "
                         f"got {batch_size}")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise ValueError("validation must be a pair (X_val, y_val)")
        X_val, y_val = _data(*validation, what="validation ")
    if patience is not None:
        patience = check_int(patience, "patience", minimum=1)
    shuffle = check_flag(shuffle, "shuffle")
    restore_best = check_flag(restore_best, "restore_best")
    if callback is not None:
        check_callable(callback, "callback")
    if schedule is not None:
        check_callable(schedule, "schedule")
    if not isinstance(optimizer, Optimizer) and not (isinstance(optimizer, str)
                                                     and optimizer.lower() in OPTIMIZERS):
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                         f"{', '.join(OPTIMIZERS)} or pass an Optimizer instance")
    if lr is None and not isinstance(optimizer, Optimizer):
        lr = 0.1
    opt = make_optimizer(optimizer, lr, **(optimizer_kwargs or {}))
    if schedule is not None and getattr(schedule, "lr0", None) is not None:
        opt.lr = schedule.lr0
    rng = as_rng(seed, "seed")

    history = {"train_loss": [], "val_loss": [], "lr": [], "best_epoch": None,
               "stopped_early": False, "diverged_at": None, "divergence": None, "epochs_run": 0}
    best, best_params, bad_epochs = math.inf, None, 0
    order = np.arange(n)
    params = model.params          # the layers' own arrays (the Layer contract: never rebound)
    step = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(1, epochs + 1):
            history["lr"].append(opt.lr)
            idx = rng.permutation(n) if shuffle else order
            diverged = None
            for batch, start in enumerate(range(0, n, batch_size), start=1):
                step += 1
                b = idx[start:start + batch_size]
                try:
                    value, dout = loss_fn(model.forward(X[b], training=True), y[b])
                except OverflowError:                 # raised by mlbook's losses, never silent
                    value = math.inf
                if not math.isfinite(value):
                    diverged = _diverged(f"the loss became {value}", "loss", "loss", epoch,
                                         step, batch, opt.lr)
                    break
                model.backward(dout)
                try:
                    opt.step(params, model.grads)        # all or nothing: never leaves inf/NaN
                except DivergenceError as err:
                    what = (f"the gradient of {err.name} became inf or NaN"
                            if err.quantity == "gradient"
                            else f"the update would have made {err.name} inf or NaN")
                    diverged = _diverged(what, err.name, err.quantity, epoch, step, batch,
                                         opt.lr)
                    break
            history["epochs_run"] = epoch
            if diverged is not None:
                history["diverged_at"], history["divergence"] = epoch, diverged
                history["lr"].pop()
                if restore_best and best_params is not None:
                    _restore(model, best_params)
                break
            train_loss = evaluate(model, X, y, loss_fn)
            history["train_loss"].append(train_loss)
            monitored = train_loss
            if validation is not None:
                monitored = evaluate(model, X_val, y_val, loss_fn)
                history["val_loss"].append(monitored)
            if not math.isfinite(monitored):
                history["diverged_at"] = epoch
                kind = "validation loss" if validation is not None else "training loss"
                history["divergence"] = _diverged(f"the {kind} became {monitored}", kind,
                                                  "loss", epoch, step, batch, opt.lr)
                if restore_best and best_params is not None:
                    _restore(model, best_params)
                break
            if monitored < best:
                best, bad_epochs, history["best_epoch"] = monitored, 0, epoch
                if restore_best:
                    best_params = _snapshot(model)
            else:
                bad_epochs += 1
            if callback is not None:
                callback(epoch, history)
            if patience is not None and bad_epochs >= patience:
                history["stopped_early"] = True
                if restore_best and best_params is not None:
                    _restore(model, best_params)
                break
            if schedule is not None:
                opt.lr = schedule(epoch, monitored)
    return history
