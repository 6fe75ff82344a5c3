"""A small training loop: mini-batches, seeded shuffling, loss history, early stopping.

    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer="adam", lr=0.01,
                  epochs=50, batch_size=32, validation=(X_val, y_val), patience=5)

One epoch = one pass over the shuffled training set in mini-batches of ``batch_size``
(``batch_size=1``: stochastic gradient descent; ``batch_size=len(X)``: full-batch gradient
descent). Each mini-batch: forward, loss and its gradient, backward, one optimizer step.

Divergence — every training loop in mlbook reports it the same way
------------------------------------------------------------------
Training *diverges* (the learning rate is too large) when

* the loss, a gradient or a parameter becomes inf or NaN (an optimizer step never leaves inf or
  NaN behind: it refuses the step, see :mod:`mlbook.optim`), or
* the loss **explodes** before it overflows: a mini-batch loss, or a training loss measured
  after an epoch, exceeds ``MAX_GROWTH * max(1, L0)`` where ``L0`` is the loss of the first
  mini-batch before any update (``MAX_GROWTH = 1e4``: four orders of magnitude above where
  training started, or above 1 for a loss that starts below 1);
* a layer or the loss overflows float64 after the first update (a
  :class:`~mlbook.validation.FloatOverflowError`; before any update it is the data's fault and
  is raised as it is).

A validation loss counts only when it is inf or NaN (a large one is overfitting, not
divergence). The loops (:func:`fit`, :func:`mlbook.ladder.train_rung`, the explorers in
:mod:`mlbook.widgets`) build the report with :func:`divergence_error` and hand it to
:func:`report_divergence`: by default a :class:`~mlbook.optim.DivergenceError` is raised, or,
with ``on_divergence="warn"``, a :class:`DivergenceWarning` with the same text is issued and the
loop returns what it has. Explorers catch the error and show :func:`divergence_status` in their
figure instead of raising into the widget.
"""
import math
import warnings

import numpy as np

from ..losses import LOSSES
from ..optim import DivergenceError, OPTIMIZERS, Optimizer, make_optimizer
from ..validation import (as_float_array, as_rng, check_callable, check_choice, check_flag,
                          check_int)
from .dense import Sequential

# (mlbook.layers re-exports these; the loops' helpers below are imported from this module)
__all__ = ["fit", "evaluate", "MAX_GROWTH", "DivergenceWarning"]

MAX_GROWTH = 1e4
"""A loss above ``MAX_GROWTH * max(1, L0)`` (L0: the first mini-batch's loss) has diverged."""

ON_DIVERGENCE = ("raise", "warn")


class DivergenceWarning(UserWarning):
    """Issued instead of raising :class:`~mlbook.optim.DivergenceError` when a training loop
    is called with ``on_divergence="warn"``; its text is the error's."""


def exploded(loss, first_loss):
    """The loss-growth rule: ``True`` when ``loss`` is inf/NaN or exceeds
    ``MAX_GROWTH * max(1, first_loss)`` (``first_loss``: the first mini-batch's loss, before
    any update; ``None`` while it is not known yet, then only inf/NaN count)."""
    if not math.isfinite(loss):
        return True
    return first_loss is not None and loss > MAX_GROWTH * max(1.0, first_loss)


def loss_text(loss, first_loss):
    """What :func:`exploded` found, as ``(what, detail)`` for :func:`divergence_error`:
    ``("the loss became nan", None)`` or
    ``("the loss exploded to 2.6e+10", "over 10000 x max(1, L0) with L0 = ...")``."""
    if not math.isfinite(loss):
        return f"the loss became {loss}", None
    return (f"the loss exploded to {loss:.3g}",
            f"over {MAX_GROWTH:g} x max(1, L0) with L0 = {first_loss:.3g}, the first "
            f"mini-batch's loss")


def divergence_error(what, *, name, quantity, step, epoch=None, batch=None, lr=None,
                     detail=None):
    """The one report of a diverged training run: a :class:`~mlbook.optim.DivergenceError`
    whose text says what diverged, where, and that no parameter became inf or NaN.

    ``what`` (e.g. ``"the loss became inf"``; kept as ``err.what``), ``detail`` (optional, in
    parentheses after it), ``name`` (the parameter or ``"loss"``), ``quantity`` (``"loss"``,
    ``"gradient"``, ``"parameter"``), ``step`` (the update, 1-based, counted over the whole
    run), ``epoch``/``batch`` (1-based, if the loop has epochs), ``lr`` (the learning rate)."""
    if epoch is not None:
        where = f"in epoch {epoch} (update {step}" + (
            f", mini-batch {batch} of the epoch)" if batch is not None else ")")
    else:
        where = f"at step {step}"
    why = f" (lr={lr:g} is too large for this problem)" if lr is not None else ""
    more = f" ({detail})" if detail else ""
    err = DivergenceError(f"training diverged {where}: {what}{more}{why}; no parameter became "
                          f"inf or NaN", name=name, step=step, epoch=epoch, quantity=quantity)
    err.what = what
    return err


def step_or_diverge(opt, params, grads, **where):
    """``opt.step(params, grads)``; a refused step (inf/NaN gradient or update) comes back as
    the :func:`divergence_error` report (``where``: its step/epoch/batch), else ``None``."""
    try:
        opt.step(params, grads)          # all or nothing: never leaves inf/NaN behind
    except DivergenceError as err:
        what = (f"the gradient of {err.name} became inf or NaN" if err.quantity == "gradient"
                else f"the update would have made {err.name} inf or NaN")
        return divergence_error(what, name=err.name, quantity=err.quantity,
                                lr=getattr(opt, "lr", None), **where)
    return None


def report_divergence(err, on_divergence="raise", *, stacklevel=3):
    """Raise ``err`` (``on_divergence="raise"``) or issue a :class:`DivergenceWarning` with its
    text (``"warn"``) — nothing diverges silently."""
    if on_divergence == "raise":
        raise err
    warnings.warn(str(err), DivergenceWarning, stacklevel=stacklevel)


def divergence_status(err, sep=": "):
    """The short line an explorer shows for a diverged run, from the error's data:
    ``"diverged in epoch 3 (update 40): the loss exploded to 2.6e+10"`` or
    ``"diverged at step 7: w1 became inf or NaN"`` (``sep`` between where and what)."""
    where = (f"in epoch {err.epoch} (update {err.step})" if err.epoch is not None
             else f"at step {err.step}")
    what = getattr(err, "what", None) or {
        "gradient": f"the gradient of {err.name} became inf or NaN",
        "parameter": f"{err.name} became inf or NaN",
    }.get(err.quantity, f"{err.name or 'the loss'} became inf or NaN")
    return f"diverged {where}{sep}{what}"


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


def _backward_for_grads(model, dout):
    """model.backward(dout) for its grads only: a Sequential skips dL/d(input) (the same
    grads, see :meth:`Sequential.backward`); any other layer runs its plain backward."""
    if isinstance(model, Sequential):
        model.backward(dout, input_grad=False)
    else:
        model.backward(dout)


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


def fit(model, X, y, *, loss="mse", optimizer="sgd", lr=None, epochs=10, batch_size=32,
        validation=None, shuffle=True, seed=0, patience=None, restore_best=True,
        schedule=None, optimizer_kwargs=None, callback=None, on_divergence="raise"):
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
    on_divergence : ``"raise"`` (default) or ``"warn"``. When training diverges (the rule is in
        this module's docstring: inf/NaN, or a training loss above ``MAX_GROWTH * max(1, L0)``;
        a validation loss counts only when it is inf/NaN) training stops, the model is restored
        as ``restore_best`` says, and then ``fit`` raises the
        :class:`~mlbook.optim.DivergenceError` (its ``.history`` is the history so far) — or,
        with ``"warn"``, issues a :class:`DivergenceWarning` with the same text and returns the
        history.

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
    on_divergence = check_choice(on_divergence, "on_divergence", ON_DIVERGENCE)
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
    step, first_loss, diverged = 0, None, None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(1, epochs + 1):
            history["lr"].append(opt.lr)
            idx = rng.permutation(n) if shuffle else order
            for batch, start in enumerate(range(0, n, batch_size), start=1):
                step += 1
                where = {"step": step, "epoch": epoch, "batch": batch}
                b = idx[start:start + batch_size]
                try:
                    value, dout = loss_fn(model.forward(X[b], training=True), y[b])
                except OverflowError:      # FloatOverflowError of a layer or loss, never silent
                    if step == 1:          # before any update: the data's fault, not the lr's
                        raise
                    value = math.inf
                value = float(value)
                if exploded(value, first_loss):
                    what, detail = loss_text(value, first_loss)
                    diverged = divergence_error(what, detail=detail, name="loss",
                                                quantity="loss", lr=opt.lr, **where)
                    break
                if first_loss is None:
                    first_loss = value
                try:
                    _backward_for_grads(model, dout)
                except OverflowError:
                    if step == 1:
                        raise
                    diverged = divergence_error("the backward pass overflowed float64",
                                                name="gradient", quantity="gradient",
                                                lr=opt.lr, **where)
                    break
                diverged = step_or_diverge(opt, params, model.grads, **where)
                if diverged is not None:
                    break
            history["epochs_run"] = epoch
            if diverged is not None:
                history["lr"].pop()
                break
            train_loss = evaluate(model, X, y, loss_fn)
            history["train_loss"].append(train_loss)
            monitored = train_loss
            if validation is not None:
                monitored = evaluate(model, X_val, y_val, loss_fn)
                history["val_loss"].append(monitored)
            for kind, value in (("training loss", train_loss), ("validation loss", monitored)):
                if exploded(value, first_loss if kind == "training loss" else None):
                    what, detail = loss_text(value, first_loss)
                    diverged = divergence_error(what.replace("the loss", f"the {kind}", 1),
                                                detail=detail, name=kind, quantity="loss",
                                                step=step, epoch=epoch, lr=opt.lr)
                    break
            if diverged is not None:
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
    if diverged is not None:
        history["diverged_at"], history["divergence"] = diverged.epoch, diverged
        if restore_best and best_params is not None:
            _restore(model, best_params)
        diverged.history = history
        report_divergence(diverged, on_divergence)
    return history
