"""Checkers for notebook 11 (your own network, from scratch).

    check_linear(Linear)                          # class: forward(X) -> Y; backward(dY) -> dX, fills grads
    check_relu_forward(relu_forward)              # x -> max(0, x)
    check_relu_backward(relu_backward)            # (dout, x) -> dx; gradient 0 at x = 0
    check_softmax_cross_entropy(softmax_cross_entropy)   # (logits, y) -> (loss, dlogits)
    check_grad_check(grad_check)                  # (f, x, h) -> (rel_error, numeric)
    check_gradient_errors(gradient_errors)        # (layer, X, y) -> {"W", "b", "X": rel_error}
    check_sgd_momentum_step(sgd_momentum_step)    # (params, grads, velocity, lr, momentum), in place
    check_net(Net)                                # class: any depth; forward, backward, params, grads
    check_train(train)                            # (net, X, y, X_val, y_val, ...) -> history
    check_digits(Net, train)                      # the student's own network on the digits: >= 95 %
    check_maxpool_backward(maxpool_backward)      # stretch
    check_conv_input_grad(conv_input_grad)        # stretch

Each compares with a reference written here (plain numpy: the capstone's exercises are the pieces
mlbook's own layers are made of, so mlbook's versions are off limits to the student, see the
``declare_exercise`` calls) and, for every gradient, with central finite differences. When a
value is wrong, the checker replays the usual slips (a transposed ``dW``, ``db`` not summed, the
max shift missing, the loss summed instead of averaged, momentum's sign or order, gradients
accumulated across steps, X shuffled without y, the last epoch's weights kept instead of the
best one's, a network that only works with two layers, ...) and names the one that reproduces
the student's numbers.

"""

import numpy as np

import mlbook.activations
import mlbook.conv
import mlbook.datasets.mnist
import mlbook.gradcheck
import mlbook.ladder
import mlbook.layers
import mlbook.losses
import mlbook.optim
from mlbook.layers import convolutional as _conv_layers
from mlbook.layers import dense as _dense_layers
from mlbook.layers import training as _training

from .core import grading_seed
from .core import (CORRECT, NOT_ATTEMPTED, WRONG, Budget, Case, CheckResult, NotAttempted,
                   check_function, close_to, compare_output, declare_exercise, guarded_call,
                   not_attempted, register_hints, short, type_name, driver, is_class)

__all__ = ["check_linear", "check_relu_forward", "check_relu_backward",
           "check_softmax_cross_entropy", "check_grad_check", "check_gradient_errors",
           "check_sgd_momentum_step", "check_net", "check_train", "check_digits",
           "check_maxpool_backward", "check_conv_input_grad", "DIGITS_SETTINGS",
           "digits_data"]

# --------------------------------------------------------------------------------------------
# what each exercise may not call (the delegation rule, enforced by mlbook.checks.core)

import sys as _sys

# this module too: its reference solutions (_Linear, _Net, _train, ...) are answers
_THIS = _sys.modules[__name__]
_LAYERS = [_dense_layers.Dense, _dense_layers.Sequential, _dense_layers.ReLU, _training.fit, _THIS]
declare_exercise("Linear", off_limits=_LAYERS)
declare_exercise("relu_forward", off_limits=[mlbook.activations.relu, _dense_layers.ReLU, _THIS])
declare_exercise("relu_backward", off_limits=[mlbook.activations.relu_grad, _dense_layers.ReLU, _THIS])
declare_exercise("softmax_cross_entropy",
                 off_limits=[mlbook.losses, mlbook.activations.softmax,
                             mlbook.activations.log_softmax, _THIS])
declare_exercise("grad_check", off_limits=[mlbook.gradcheck, _THIS])
declare_exercise("sgd_momentum_step", off_limits=[mlbook.optim, _THIS])
declare_exercise("Net", off_limits=_LAYERS)
# the data loaders too: a train that fetched the held-out digits itself could train on them
_TRAINING = _LAYERS + [mlbook.optim, mlbook.losses, mlbook.ladder, mlbook.datasets.mnist]
declare_exercise("maxpool_backward", off_limits=[mlbook.conv, _conv_layers.MaxPool2D, _THIS])
declare_exercise("conv_input_grad", off_limits=[mlbook.conv, _conv_layers.Conv2D, _THIS])

def _call(fn, case, *, exercise, budget=None, printed=None):
    """guarded_call, always with the exercise's name (its delegation rule applies)."""
    return guarded_call(fn, case, exercise=exercise, budget=budget, printed=printed)


def _wrong(exercise, text):
    return CheckResult(WRONG, exercise, text)


def _not_a(kind, exercise, value, call):
    return _wrong(exercise, f"expected a {kind}, got {type_name(value)} — pass the {kind} itself: "
                            f"{call}")


def _rename(result, names):
    """Say which output of a class's methods was wrong instead of "item k of the returned
    tuple" (check_function compares tuples built by the checker, not returned by the student)."""
    for k, name in enumerate(names):
        result.message = result.message.replace(f"item {k} of the returned tuple", name)
    result.message = result.message.replace("your function raised", "your code raised")
    return result


def _first_slip(got, variants, names=None):
    """The message of the first slip whose output ``got`` reproduces (tuples compared item by
    item, only the items that differ from the right answer, ``variants[0]``)."""
    right = variants[0][1]
    single = not isinstance(right, tuple)
    if single:
        got, right = (got,), (right,)
    if not isinstance(got, (tuple, list)) or len(got) != len(right):
        return None
    for message, make in variants[1:]:
        try:
            with np.errstate(all="ignore"):
                value = make() if callable(make) else make
        except (ValueError, IndexError, TypeError):
            continue
        value = (value,) if single else value
        differs = [k for k in range(len(right)) if not close_to(value[k], right[k])]
        if differs and all(close_to(got[k], value[k]) for k in range(len(right))):
            return message
    return None


# --------------------------------------------------------------------------------------------
# references (plain numpy)

def _he(rng, n_in, n_out):
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


class _Linear:
    """Reference layer: Y = X W + b; dW = Xᵀ dY, db = Σ_rows dY, dX = dY Wᵀ."""

    def __init__(self, n_in, n_out, rng=0, slip=None):
        rng = np.random.default_rng(rng)
        self.params = {"W": _he(rng, n_in, n_out), "b": np.zeros(n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.X, self.slip = None, slip

    def forward(self, X):
        self.X = X
        return X @ self.params["W"] + self.params["b"]

    def backward(self, dY):
        W = self.params["W"]
        self.grads["W"] = self.X.T @ dY * (1.5 if self.slip == "dW" else 1.0)
        self.grads["b"] = dY.sum(axis=0)
        return dY @ W.T * (-1.0 if self.slip == "dX" else 1.0)


def _relu_backward(dout, x):
    return dout * (x > 0)


def _softmax_ce(logits, y, *, shift=True, scale="mean", grad="mean"):
    z = np.asarray(logits, dtype=float)
    n = z.shape[0]
    if shift:
        z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    logp = z - np.log(e.sum(axis=1, keepdims=True))
    loss = -float(np.sum(logp[rows, y]))
    loss = loss / n if scale == "mean" else loss
    d = p.copy()
    if grad != "no_onehot":
        d[rows, y] -= 1.0
    if grad in ("mean", "no_onehot"):
        d /= n
    return loss, d


class _Net:
    """Reference network: Linear → ReLU → … → Linear, params "W1", "b1", …"""

    def __init__(self, sizes, rng=0):
        rng = np.random.default_rng(rng)
        self.layers = [_Linear(m, n, rng=rng) for m, n in zip(sizes[:-1], sizes[1:])]
        self.zs = []

    def forward(self, X):
        self.zs = []
        h = X
        for i, layer in enumerate(self.layers):
            z = layer.forward(h)
            if i < len(self.layers) - 1:
                self.zs.append(z)
                z = np.maximum(z, 0.0)
            h = z
        return h

    def backward(self, dout):
        for i in range(len(self.layers) - 1, -1, -1):
            if i < len(self.layers) - 1:
                dout = _relu_backward(dout, self.zs[i])
            dout = self.layers[i].backward(dout)
        return dout

    @property
    def params(self):
        return {f"{k}{i}": layer.params[k] for i, layer in enumerate(self.layers, 1) for k in "Wb"}

    @property
    def grads(self):
        return {f"{k}{i}": layer.grads[k] for i, layer in enumerate(self.layers, 1) for k in "Wb"}


def _momentum_step(params, grads, velocity, lr, momentum, slip=None):
    for k, p in params.items():
        v, g = velocity[k], grads[k]
        if slip == "order":
            p += v
        if slip == "torch":
            v *= momentum
            v += g
            p -= lr * v
            continue
        if slip == "no_momentum":
            v[...] = -lr * g
        elif slip == "no_decay":
            v -= lr * g
        else:
            v *= momentum
            v -= lr * g * (-1.0 if slip == "sign" else 1.0)
        if slip != "order":
            p += v


def _accuracy(net, X, y):
    return float(np.mean(np.argmax(net.forward(X), axis=1) == y))


def _train(net, X, y, X_val, y_val, *, epochs=10, batch_size=64, lr=0.1, momentum=0.9, seed=0,
           slip=None):
    """Reference loop (``slip`` switches one usual mistake on): one generator, a new permutation
    of X and y together every epoch, mini-batches in order (the last one may be smaller), the
    student's loss and momentum step, validation accuracy after each epoch, and at the end the
    parameters of the best epoch (the first best) copied back into the net's arrays."""
    rng = np.random.default_rng(seed)
    params = net.params
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    history = {"train_loss": [], "val_acc": [], "best_epoch": 0}
    best, best_params, n = -1.0, None, len(X)
    for _ in range(epochs):
        if slip == "reseed":
            rng = np.random.default_rng(seed)
        idx = np.arange(n) if slip == "no_shuffle" else rng.permutation(n)
        if slip == "reset_velocity":
            velocity = {k: np.zeros_like(v) for k, v in params.items()}
        losses = []
        for start in range(0, n, batch_size):
            b = idx[start:start + batch_size]
            yb = y[start:start + batch_size] if slip == "x_only" else y[b]
            loss, dlogits = _softmax_ce(net.forward(X[b]), yb)
            net.backward(dlogits)
            _momentum_step(params, net.grads, velocity, lr, momentum)
            losses.append(loss)
        if slip == "loss_weighted":          # weighted by batch size: the mean over examples
            sizes = [len(idx[s:s + batch_size]) for s in range(0, n, batch_size)]
            history["train_loss"].append(float(np.average(losses, weights=sizes)))
        elif slip == "loss_full":            # notebook 04's record: the whole set after the epoch
            history["train_loss"].append(_softmax_ce(net.forward(X), y)[0])
        else:
            history["train_loss"].append(float(np.mean(losses)))
        history["val_acc"].append(_accuracy(net, X_val, y_val))
        if history["val_acc"][-1] > best:
            best, history["best_epoch"] = history["val_acc"][-1], len(history["val_acc"])
            best_params = {k: v.copy() for k, v in params.items()}
    if slip != "keep_last":
        for k, v in params.items():
            v[...] = best_params[k]
    return history


def _maxpool_backward(dout, x, size=2, stride=2, *, slip=None):
    dx = np.zeros_like(x, dtype=float)
    OH, OW = dout.shape
    for i in range(OH):
        for j in range(OW):
            win = x[i * stride:i * stride + size, j * stride:j * stride + size]
            if slip == "avg":
                mask = np.full(win.shape, 1.0 / win.size)
            elif slip == "ties":
                mask = (win == win.max()).astype(float)
            else:
                mask = np.zeros(win.shape)
                mask[np.unravel_index(np.argmax(win), win.shape)] = 1.0
            target = dx[i * stride:i * stride + size, j * stride:j * stride + size]
            if slip == "assign":
                target[mask > 0] = (mask * dout[i, j])[mask > 0]
            else:
                target += mask * dout[i, j]
    return dx


def _conv_input_grad(dout, kernel, image_shape, stride=1, padding=0, *, slip=None):
    kh, kw = kernel.shape
    H, W = image_shape
    k = kernel[::-1, ::-1] if slip == "flip" else kernel
    s = 1 if slip == "no_stride" else stride
    dxp = np.zeros((H + 2 * padding, W + 2 * padding))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dxp[i * s:i * s + kh, j * s:j * s + kw] += dout[i, j] * k
    if slip == "no_crop":
        return dxp
    return dxp[padding:padding + H, padding:padding + W]


def _numeric(f, x, eps=1e-6):
    """Central differences of the scalar f() with respect to x, perturbed in place."""
    g = np.zeros_like(x, dtype=float)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return g


def _fd(f, x):
    """Central differences of ``f(x)`` at a copy of ``x``."""
    x = np.array(x, dtype=float)
    return _numeric(lambda: f(x), x)


# --------------------------------------------------------------------------------------------
# Linear

@driver
def _linear_run(cls, X, W, b, dY, *, mode="once", X_before=None):
    """Build ``cls`` with weights W, b (written into its arrays), then forward / backward.

    mode: "once"; "stale" (an earlier forward on X_before first); "twice" (backward called
    twice: the grads must describe one backward, not add up). Returns (Y, dX, dW, db)."""
    layer = cls(W.shape[0], W.shape[1], rng=0)
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    if mode == "stale":
        layer.forward(X_before)
    Y = layer.forward(X)
    if mode == "twice":
        layer.backward(dY)
    dX = layer.backward(dY)
    return Y, dX, layer.grads["W"], layer.grads["b"]


def _linear_expected(X, W, b, dY, **_):
    return X @ W + b, dY @ W.T, X.T @ dY, dY.sum(axis=0)


def _linear_numeric(X, W, b, dY, **_):
    X, W, b = X.copy(), W.copy(), b.copy()

    def loss():
        return float(np.sum(dY * (X @ W + b)))
    return X @ W + b, _numeric(loss, X), _numeric(loss, W), _numeric(loss, b)


def _linear_diagnose(got, case):
    X, W, b, dY = case.args
    mode, X0 = case.kwargs.get("mode"), case.kwargs.get("X_before")
    Y, dX, dW, db = _linear_expected(X, W, b, dY)
    n = X.shape[0]
    variants = [
        ("right", (Y, dX, dW, db)),
        ("dW is transposed: it has the shape of W, (n_in, n_out) — dW = Xᵀ dY, not dYᵀ X",
         lambda: (Y, dX, dW.T, db)),
        ("db is not summed over the batch: each bias is used by all N examples, so add their "
         "contributions, db = dY.sum(axis=0), shape (n_out,)", lambda: (Y, dX, dW, dY)),
        ("db is averaged, not summed: dY already carries the loss's 1/N; the N contributions add "
         "up (dY.sum(axis=0))", lambda: (Y, dX, dW, dY.mean(axis=0))),
        ("dW and db are divided by N: dY already carries the loss's 1/N (sum over the batch, "
         "do not average again)", lambda: (Y, dX, dW / n, dY.mean(axis=0))),
        ("dX must go back through Wᵀ: dX = dY @ W.T, shape (N, n_in)",
         lambda: (Y, dY @ W, dW, db)),
        ("the bias is missing from the forward pass: Y = X W + b", lambda: (X @ W, dX, dW, db)),
    ]
    if mode == "twice":
        variants.append(("the gradients add up across backward calls (grads[...] += ...): each "
                         "backward must REPLACE grads with this batch's gradient — the training "
                         "loop calls backward once per step", (Y, dX, 2 * dW, 2 * db)))
    if mode == "stale":
        variants.append(("backward used the input of an EARLIER forward: forward must store the "
                         "X it was called with (self.X = X) every time", (Y, dX, X0.T @ dY, db)))
    return _first_slip(got, variants)


def check_linear(Linear):
    """Check the class ``Linear(n_in, n_out, rng)``: ``forward(X) -> Y`` keeps X, and
    ``backward(dY) -> dX`` fills ``grads["W"]`` and ``grads["b"]`` (replacing them)."""
    exercise = "Linear"
    if not is_class(Linear):
        return _not_a("class", exercise, Linear, "check_linear(Linear), not Linear(...)")
    rng = np.random.default_rng(110)

    def run(*args, **kwargs):
        return _linear_run(Linear, *args, **kwargs)

    cases = [
        Case(np.array([[1.0, -2.0]]), np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
             np.array([0.5, -0.5, 1.0]), np.array([[1.0, 2.0, -1.0]]),
             label="one example: X (1, 2), W (2, 3), b (3,), dY (1, 3)"),
        Case(rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2),
             rng.normal(size=(4, 2)), label="a batch: X (4, 3), W (3, 2), b (2,), dY (4, 2)"),
        Case(rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=3),
             rng.normal(size=(3, 3)), label="square shapes: X (3, 3), W (3, 3), dY (3, 3)"),
        Case(rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2),
             rng.normal(size=(5, 2)), mode="twice",
             label="X (5, 3), W (3, 2); backward called twice with the same dY (grads must not "
                   "add up)"),
        Case(rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4),
             rng.normal(size=(2, 4)), mode="stale", X_before=rng.normal(size=(2, 3)),
             label="forward on one batch, then forward on X (2, 3), then backward (it must use "
                   "the latest X)"),
    ]
    kwargs = dict(exercise=exercise, diagnose=_linear_diagnose)
    names = ("forward's Y", "backward's dX", 'grads["W"]', 'grads["b"]')
    result = check_function(run, _linear_expected, cases, **kwargs)
    if not result.correct:
        return _rename(result, names)
    fd = Case(rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3),
              rng.normal(size=(4, 3)), label="X (4, 5), W (5, 3), compared with finite differences "
                                             "of L = Σ dY ⊙ (X W + b)")
    return _rename(check_function(
        run, _linear_numeric, [fd], rtol=1e-5, atol=1e-7, **kwargs,
        why="Y = X W + b forward; dW = Xᵀ dY, db = Σ_rows dY, dX = dY Wᵀ backward — equal to "
            "the reference and to finite differences, and the grads describe the latest batch."), names)


# --------------------------------------------------------------------------------------------
# ReLU

_RELU_X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0], [0.0, 1.0, -1.0, 0.0, 2.0]])


def check_relu_forward(relu_forward):
    """Check ``relu_forward(x) -> max(0, x)``, elementwise, a new array."""
    cases = [Case(np.array([-1.0, 0.0, 2.0])), Case(_RELU_X),
             Case(np.random.default_rng(111).normal(size=(3, 4)), label="random (3, 4)")]
    return check_function(
        relu_forward, lambda x: np.maximum(x, 0.0), cases, exercise="relu_forward",
        diagnose=lambda got, case: _first_slip(got, [
            ("right", np.maximum(case.args[0], 0.0)),
            ("that is min(0, x): keep the positive part", np.minimum(case.args[0], 0.0)),
            ("that is |x|: negative inputs give 0", np.abs(case.args[0])),
            ("that is the mask x > 0; return the values max(0, x)", (case.args[0] > 0) * 1.0)]),
        why="relu(x) = max(0, x): the positive part passes, the rest is cut to 0.")


def _relu_diagnose(got, case):
    dout, x = case.args
    return _first_slip(got, [
        ("right", _relu_backward(dout, x)),
        ("the convention at 0: this course takes relu'(0) = 0 (use x > 0, not x >= 0) — the "
         "derivative does not exist at the kink, and 0 is what mlbook and PyTorch use",
         lambda: dout * (x >= 0)),
        ("that is only the local gradient (x > 0); multiply it by the upstream dout",
         lambda: (x > 0) * 1.0),
        ("the mask must come from the forward input x, not from dout", lambda: dout * (dout > 0)),
        ("relu(dout) is not the gradient: dout passes where x > 0", lambda: np.maximum(dout, 0)),
        ("wrong sign", lambda: -dout * (x > 0)),
    ])


def check_relu_backward(relu_backward):
    """Check ``relu_backward(dout, x) -> dx = dout ⊙ (x > 0)`` (gradient 0 at x = 0)."""
    rng = np.random.default_rng(112)
    away = rng.normal(size=(3, 4))
    away[np.abs(away) < 0.1] = 0.5
    cases = [Case(np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])),
             Case(np.array([[1.0, -2.0, 3.0, 0.5, -1.5], [2.0, 1.0, -1.0, 4.0, 0.5]]), _RELU_X,
                  label="x with exact zeros (the convention: relu'(0) = 0)"),
             Case(rng.normal(size=(3, 4)), away, label="random (3, 4)")]
    kwargs = dict(exercise="relu_backward", diagnose=_relu_diagnose)
    result = check_function(relu_backward, _relu_backward, cases, **kwargs)
    if not result.correct:
        return result
    dout = rng.normal(size=(3, 4))
    fd = Case(dout, away, label="random (3, 4) away from 0, compared with finite differences")
    return check_function(
        relu_backward,
        lambda d, x: _fd(lambda xx: float(np.sum(d * np.maximum(xx, 0.0))), x),
        [fd], rtol=1e-5, atol=1e-7, **kwargs,
        why="dx = dout where x > 0, else 0 (and 0 at x = 0, the convention): ReLU is a gate.")


# --------------------------------------------------------------------------------------------
# softmax cross-entropy

def _sce_diagnose(got, case):
    z, y = case.args
    n = z.shape[0]
    ok = _softmax_ce(z, y)
    if isinstance(got, (tuple, list)) and len(got) == 2:
        bad = [np.asarray(g, dtype=float) for g in got
               if isinstance(g, (np.ndarray, float, np.floating))]
        if np.abs(z).max() > 100 and any(not np.all(np.isfinite(g)) for g in bad):
            return ("the max shift is missing: exp(1000) overflows to inf. Subtract each row's "
                    "max first, z - z.max(axis=1, keepdims=True): softmax does not change")
    return _first_slip(got, [
        ("right", ok),
        ("the loss is summed over the batch, not averaged (and the gradient too): divide both "
         "by N — a batch-size-independent loss lets one learning rate fit every batch size",
         lambda: _softmax_ce(z, y, scale="sum", grad="sum")),
        ("the gradient does not match the loss's scale: the loss is a mean over N examples, so "
         "its gradient carries 1/N too, (p - onehot(y)) / N", lambda: _softmax_ce(z, y, grad="sum")),
        ("the gradient does not match the loss's scale: the loss is summed but the gradient "
         "divided by N. Average both", lambda: _softmax_ce(z, y, scale="sum")),
        ("the one-hot is not subtracted: dL/dz = (p - onehot(y)) / N, minus 1 at each row's "
         "true class", lambda: _softmax_ce(z, y, grad="no_onehot")),
        ("wrong sign", lambda: (ok[0], -ok[1])),
        ("the loss is -log p of the true class (positive), not log p", lambda: (-ok[0], ok[1])),
        (f"labels indexed as columns of a (C, N) array? The logits are (N, C) = {z.shape}",
         lambda: (ok[0], ok[1].T)),
    ], names=("loss", "dlogits"))


def check_softmax_cross_entropy(softmax_cross_entropy):
    """Check ``softmax_cross_entropy(logits, y) -> (loss, dlogits)``: the mean over the batch of
    -log softmax(z)[y], stable for large logits, and its gradient (p - onehot(y)) / N."""
    exercise = "softmax_cross_entropy"
    rng = np.random.default_rng(113)
    cases = [
        Case(np.array([[2.0, 1.0, 0.1]]), np.array([0]), label="one example, logits [2, 1, 0.1], y=[0]"),
        Case(rng.normal(size=(5, 4)), np.array([0, 3, 1, 3, 2]), label="a batch: logits (5, 4)"),
        Case(np.array([[1000.0, 0.0, -1000.0], [500.0, 502.0, 501.0]]), np.array([0, 1]),
             label="large logits [[1000, 0, -1000], [500, 502, 501]] (the max shift)"),
    ]
    kwargs = dict(exercise=exercise, diagnose=_sce_diagnose)
    result = check_function(softmax_cross_entropy, _softmax_ce, cases, **kwargs)
    if not result.correct:
        return result
    # the gradient it returns must be the gradient of the loss it returns
    z, y = rng.normal(size=(4, 3)), np.array([2, 0, 1, 1])

    def own_fd(z, y):
        zz = z.copy()
        got = softmax_cross_entropy(zz, y)
        return got[0], _numeric(lambda: float(softmax_cross_entropy(zz, y)[0]), zz)
    fd = Case(z, y, label="logits (4, 3): your dlogits against finite differences of your loss")
    return check_function(
        softmax_cross_entropy, own_fd, [fd], rtol=1e-5, atol=1e-7, **kwargs,
        why="loss = mean of -log softmax(z)[y], computed as z - max - log Σ exp(z - max); "
            "dlogits = (p - onehot(y)) / N — the gradient of exactly that loss.")


# --------------------------------------------------------------------------------------------
# grad_check

def _ref_grad_check(f, x, h=1e-5, *, slip=None):
    analytic = np.array(f(x)[1], dtype=float)
    numeric = np.zeros_like(x, dtype=float)
    flat, nflat = x.reshape(-1), numeric.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(x)[0]
        flat[i] = old - h if slip != "forward" else old
        fm = f(x)[0]
        flat[i] = old
        nflat[i] = (fp - fm) / (h if slip in ("forward", "one_h") else 2 * h)
    if slip == "notes":
        denom = np.maximum(np.abs(analytic), np.abs(numeric))
    elif slip == "absolute":
        denom = np.ones_like(numeric)
    else:
        denom = np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))
    err = np.abs(analytic - numeric) / denom
    return float(np.mean(err) if slip == "mean" else np.max(err)), numeric


def _gc_function(kind, x):
    """A test function f(x) -> (value, analytic gradient); "closure" reads the array itself."""
    if kind == "cubic":
        return lambda v: (float(np.sum(v ** 3)), 3 * v ** 2)
    if kind == "wrong":
        return lambda v: (float(np.sum(v ** 3)), 3 * v ** 2 + 0.1 * v)
    if kind == "closure":
        return lambda _: (float(np.sum(np.sin(x) * x)), np.cos(x) * x + np.sin(x))
    raise ValueError(kind)


@driver
def _gc_run(grad_check, kind, x0, h):
    x = x0.copy()
    out = grad_check(_gc_function(kind, x), x, h)
    return out, (None if np.array_equal(x, x0) else x)


def check_grad_check(grad_check):
    """Check ``grad_check(f, x, h) -> (rel_error, numeric)`` where ``f(x) -> (value, grad)``:
    central differences, x perturbed in place and restored, and the relative error
    max |a - n| / max(1e-8, |a| + |n|)."""
    exercise = "grad_check"
    if not callable(grad_check):
        return _not_a("function", exercise, grad_check, "check_grad_check(grad_check)")
    rng = np.random.default_rng(114)
    budget = Budget()
    cases = [("cubic", np.array([1.0, -2.0, 0.5]), 1e-5,
              "f(x) = Σ x³ with its right gradient 3x², x = [1, -2, 0.5], h = 1e-5"),
             ("wrong", np.array([1.0, -2.0, 0.5]), 1e-5,
              "f(x) = Σ x³ with a WRONG gradient 3x² + 0.1x (the error must show)"),
             ("cubic", np.array([[0.3, -1.2], [2.0, 0.7]]), 1e-2,
              "f(x) = Σ x³ on a (2, 2) array, h = 1e-2 (central differences are exact for x² "
              "terms; one-sided ones are not)"),
             ("closure", rng.normal(size=(2, 3)), 1e-5,
              "f reads x from its closure — like a layer reading its own W — so x must be "
              "perturbed in place, x[i] += h, and restored")]
    for kind, x0, h, label in cases:
        try:
            got, error = _call(lambda: _gc_run(grad_check, kind, x0, h), Case(label=label),
                               exercise=exercise, budget=budget)
        except NotAttempted:
            return not_attempted(exercise)
        head = f"On input {label}:\n"
        if error:
            return _wrong(exercise, head + f"your function {error}")
        out, changed = got
        if changed is not None:
            return _wrong(exercise, head + f"x was left changed: {short(changed)} instead of "
                                           f"{short(x0)} — put each entry back after perturbing it")
        x = x0.copy()
        expected = _ref_grad_check(_gc_function(kind, x), x, h)
        problem = compare_output(out, expected, rtol=1e-5, atol=1e-9)
        if problem:
            variants = [("right", expected)]
            for slip, msg in [
                    ("forward", "one-sided differences (f(x+h) - f(x)) / h: use central ones, "
                                "(f(x+h) - f(x-h)) / (2h) — error O(h²) instead of O(h)"),
                    ("one_h", "central differences divide by 2h: the two points are 2h apart"),
                    ("notes", "relative error as max |a-n| / max(|a|, |n|); this course uses "
                              "cs231n's assignment version, |a-n| / max(1e-8, |a| + |n|)"),
                    ("absolute", "that is the absolute error |a - n|; divide by "
                                 "max(1e-8, |a| + |n|)"),
                    ("mean", "the relative error is the MAX over the entries, not the mean (one "
                             "wrong entry must show)")]:
                xs = x0.copy()
                variants.append((msg, lambda s=slip, xs=xs: _ref_grad_check(
                    _gc_function(kind, xs), xs, h, slip=s)))
            if kind == "closure":
                variants.append(("the numerical gradient is 0: you perturbed a COPY of x, and f "
                                 "reads x itself — change x[i] in place and restore it",
                                 (1.0, np.zeros_like(x0))))
            slip = _first_slip(out, variants) if isinstance(out, (tuple, list)) else None
            return _wrong(exercise, head + problem + (f"\nHint: {slip}" if slip else ""))
    return CheckResult(CORRECT, exercise,
                       "Central differences with x perturbed in place and restored, and "
                       "max |a - n| / max(1e-8, |a| + |n|): below 1e-7 the gradient is right.")


# --------------------------------------------------------------------------------------------
# gradient_errors: grad_check used on a layer and the loss

def _ge_data():
    rng = np.random.default_rng(115)
    return rng.normal(size=(4, 5)), np.array([0, 2, 1, 2])


def _ge_reference(layer_slip):
    X, y = _ge_data()
    layer = _Linear(5, 3, rng=7, slip=layer_slip)
    out = {}
    for name in ("W", "b", "X"):
        x = X if name == "X" else layer.params[name]

        def f(_):
            loss, dY = _softmax_ce(layer.forward(X), y)
            dX = layer.backward(dY)
            return loss, (dX if name == "X" else layer.grads[name])
        out[name] = _ref_grad_check(f, x)[0]
    return out


@driver
def _ge_run(gradient_errors, slip, X, y):
    """``gradient_errors`` on the check's layer (with its slip); returns what it returned."""
    got = gradient_errors(_Linear(5, 3, rng=7, slip=slip), X, y)
    if isinstance(got, dict) and all(isinstance(k, str) for k in got):
        return {k: _plainish(v) for k, v in got.items()}
    return _plainish(got)


def _plainish(value):
    """Numbers, strings and arrays as they are; anything else as its short description."""
    if type(value) in (int, float, str, bool, type(None)) or isinstance(value, np.number):
        return value
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        return value
    if type(value) in (list, tuple):
        return type(value)(_plainish(v) for v in value)
    return f"{type_name(value)}: {short(value)}"


# the layer it is given is the check's _Linear: calling its methods is the exercise
declare_exercise("gradient_errors", off_limits=[mlbook.gradcheck, _THIS], may_use=[_Linear])


def check_gradient_errors(gradient_errors):
    """Check ``gradient_errors(layer, X, y) -> {"W": e, "b": e, "X": e}``: the relative errors
    that the student's grad_check finds for ``softmax_cross_entropy(layer.forward(X), y)``, on a
    right layer (all tiny) and on a layer with a wrong backward (the error must show)."""
    exercise = "gradient_errors"
    if not callable(gradient_errors):
        return _not_a("function", exercise, gradient_errors, "check_gradient_errors(gradient_errors)")
    budget = Budget()
    for slip, label in [(None, "a correct Linear layer (5 → 3), X (4, 5), y (4,)"),
                        ("dW", "a Linear layer whose backward returns 1.5 × the right dW"),
                        ("dX", "a Linear layer whose backward returns -dX")]:
        X, y = _ge_data()
        try:
            got, error = _call(_ge_run, Case(gradient_errors, slip, X, y, label=label),
                               exercise=exercise, budget=budget)
        except NotAttempted:
            return not_attempted(exercise)
        head = f"On input {label}:\n"
        if error:
            return _wrong(exercise, head + f"your function {error}")
        if not isinstance(got, dict) or set(got) != {"W", "b", "X"}:
            return _wrong(exercise, head + f"expected a dict with keys 'W', 'b', 'X', got "
                                           f"{short(got)}")
        expected = _ge_reference(slip)
        for name in ("W", "b", "X"):
            big = expected[name] > 1e-3
            value = got[name]
            try:
                value = float(value)
            except (TypeError, ValueError):
                return _wrong(exercise, head + f"[{name!r}]: expected a number, got {short(value)}")
            fine = (value > 1e-3 and np.isclose(value, expected[name], rtol=1e-3)) if big \
                else (0 <= value < 1e-6)
            if not fine:
                why = ("this layer's gradient is wrong, so grad_check must report a large error "
                       f"(about {expected[name]:.3g})" if big else
                       "this gradient is right, so its relative error must be tiny (< 1e-6)")
                return _wrong(exercise, head + f"[{name!r}] = {short(value)}: {why}. Run "
                                               f"grad_check on f(v) = (loss, gradient of v) for "
                                               f"v = layer.params['W'], layer.params['b'] and X")
    return CheckResult(CORRECT, exercise,
                       "Your grad_check finds a right layer right and a wrong one wrong: run it "
                       "on every new layer before training with it.")


# --------------------------------------------------------------------------------------------
# sgd_momentum_step

@driver
def _momentum_run(step, p0, g_seq, lr, momentum):
    """Three steps on {"W", "b"}; returns (W and b after each step, velocity after each step,
    whether the original arrays were updated in place)."""
    params = {k: v.copy() for k, v in p0.items()}
    held = dict(params)
    velocity = {k: np.zeros_like(v) for k, v in p0.items()}
    out = []
    for grads in g_seq:
        step(params, {k: v.copy() for k, v in grads.items()}, velocity, lr, momentum)
        out += [held["W"].copy(), held["b"].copy(), np.array(velocity["W"], dtype=float),
                np.array(velocity["b"], dtype=float)]
    return tuple(out)


def check_sgd_momentum_step(sgd_momentum_step):
    """Check ``sgd_momentum_step(params, grads, velocity, lr, momentum)``: for every key,
    v ← momentum·v − lr·g, then p ← p + v, both in place (p: the same array as before)."""
    exercise = "sgd_momentum_step"
    if not callable(sgd_momentum_step):
        return _not_a("function", exercise, sgd_momentum_step,
                      "check_sgd_momentum_step(sgd_momentum_step)")
    rng = np.random.default_rng(116)
    p0 = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)}
    g_seq = [{"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3)} for _ in range(3)]
    lr, mu = 0.1, 0.9

    def ref(slip=None):
        return _momentum_run(lambda *a: _momentum_step(*a, slip=slip), p0, g_seq, lr, mu)

    label = "params W (2, 3), b (3,), three steps with lr = 0.1, momentum = 0.9, velocity from 0"
    try:
        got, error = _call(lambda: _momentum_run(sgd_momentum_step, p0, g_seq, lr, mu),
                           Case(label=label), exercise=exercise)
    except NotAttempted:
        return not_attempted(exercise)
    if error:
        return _wrong(exercise, f"On input {label}:\nyour function {error}")
    expected = ref()
    for k, (g, e) in enumerate(zip(got, expected)):
        problem = compare_output(g, e)
        if problem:
            step, what = k // 4 + 1, ["params['W']", "params['b']", "velocity['W']",
                                      "velocity['b']"][k % 4]
            head = f"On input {label}:\nafter step {step}, {what}: {problem}"
            if np.array_equal(got[-4], p0["W"]) and np.array_equal(got[-3], p0["b"]):
                return _wrong(exercise, head + "\nHint: the parameter arrays did not change: "
                              "update them in place (p += v, or params[k] += v); "
                              "params[k] = p + v makes a new array that the layer never sees")
            slip = _first_slip(got, [
                ("right", expected),
                ("wrong sign: v ← momentum·v − lr·g (the velocity points downhill), p ← p + v",
                 lambda: ref("sign")),
                ("wrong order: update the velocity first, then move p by the NEW velocity",
                 lambda: ref("order")),
                ("the momentum term is missing: v ← momentum·v − lr·g keeps part of the old "
                 "velocity", lambda: ref("no_momentum")),
                ("the old velocity is never decayed: v ← momentum·v − lr·g, not v − lr·g",
                 lambda: ref("no_decay")),
                ("that is PyTorch's form (v ← momentum·v + g, p ← p − lr·v): the same steps for a "
                 "fixed lr, but this course's velocity is v ← momentum·v − lr·g, p ← p + v",
                 lambda: ref("torch")),
            ])
            return _wrong(exercise, head + (f"\nHint: {slip}" if slip else ""))
    return CheckResult(CORRECT, exercise,
                       "v ← momentum·v − lr·g, then p ← p + v, in place: the velocity "
                       "remembers past gradients, so steps grow along a consistent direction.")


# --------------------------------------------------------------------------------------------
# Net

@driver
def _net_run(cls, sizes, X, dout, *, values_seed, twice=False):
    """Build ``cls(sizes, rng=0)``, write known values into its params (in place), forward X,
    backward dout. Returns (out, dX, grads in the order W1, b1, W2, ...)."""
    net = cls(list(sizes), rng=0)
    params = net.params
    keys = [f"{k}{i}" for i in range(1, len(sizes)) for k in "Wb"]
    if not isinstance(params, dict) or set(params) != set(keys):
        raise _NetShape(f"net.params must be a dict with the keys {keys} for sizes {list(sizes)}, "
                        f"got {short(list(params) if isinstance(params, dict) else params)}")
    rng = np.random.default_rng(values_seed)
    for i in range(1, len(sizes)):
        params[f"W{i}"][...] = rng.normal(size=(sizes[i - 1], sizes[i]))
        params[f"b{i}"][...] = rng.normal(size=sizes[i])
    if twice:
        net.forward(X[::-1] * 0.5)
        net.backward(dout[::-1])
    out = net.forward(X)
    dX = net.backward(dout)
    grads = net.grads
    if not isinstance(grads, dict) or set(grads) != set(keys):
        raise _NetShape(f"net.grads must be a dict with the same keys as net.params, {keys}, got "
                        f"{short(list(grads) if isinstance(grads, dict) else grads)}")
    return (out, dX) + tuple(grads[k] for k in keys)


class _NetShape(Exception):
    """Params or grads not keyed "W1", "b1", ... (caught and reported by check_net)."""


@driver
def _net_keys(cls, sizes):
    """None if ``cls(sizes).params`` and, after a forward/backward, ``.grads`` have the keys
    W1, b1, ..., else the message saying what they have."""
    net = cls(list(sizes), rng=0)
    keys = [f"{k}{i}" for i in range(1, len(sizes)) for k in "Wb"]
    for what in ("params", "grads"):
        if what == "grads":
            net.backward(np.ones((2, sizes[-1])) * 0.0 + net.forward(np.ones((2, sizes[0]))) * 0)
        d = getattr(net, what)
        if not isinstance(d, dict) or sorted(d) != sorted(keys):
            got = sorted(d) if isinstance(d, dict) else type_name(d)
            return (f"net.{what} must be a dict with the keys {keys} for sizes {list(sizes)} "
                    f"(W1, b1 for the first Linear, ...), got {got}")
        if what == "params" and not all(np.shares_memory(d[k], getattr(net, what)[k])
                                        for k in keys):
            return ("net.params must hold the layers' own arrays, not copies: an optimizer "
                    "updates net.params in place, and only the layers' arrays reach forward")
    return None


def _net_numeric(sizes, X, dout, *, values_seed, twice=False):
    net = _Net(sizes)
    rng = np.random.default_rng(values_seed)
    params = net.params
    for i in range(1, len(sizes)):
        params[f"W{i}"][...] = rng.normal(size=(sizes[i - 1], sizes[i]))
        params[f"b{i}"][...] = rng.normal(size=sizes[i])
    X = X.copy()

    def loss():
        return float(np.sum(dout * net.forward(X)))
    keys = [f"{k}{i}" for i in range(1, len(sizes)) for k in "Wb"]
    return (net.forward(X), _numeric(loss, X)) + tuple(_numeric(loss, params[k]) for k in keys)


def check_net(Net):
    """Check the class ``Net(sizes, rng)``: Linear → ReLU → … → Linear for ANY number of layers,
    ``forward(X)``, ``backward(dout) -> dX``, ``params`` and ``grads`` as dicts "W1", "b1", …"""
    exercise = "Net"
    if not is_class(Net):
        return _not_a("class", exercise, Net, "check_net(Net), not Net(...)")
    rng = np.random.default_rng(117)

    def run(*args, **kwargs):
        return _net_run(Net, *args, **kwargs)

    def ref(sizes, X, dout, *, values_seed, twice=False):
        return _net_run(_Net, sizes, X, dout, values_seed=values_seed)

    shapes = [((4, 5, 3), 3, "two layers, sizes [4, 5, 3]"),
              ((3, 2), 2, "ONE layer, sizes [3, 2] (no ReLU: the last layer is linear)"),
              ((4, 6, 5, 4, 3), 3, "FOUR layers, sizes [4, 6, 5, 4, 3]"),
              ((3, 4, 4, 2), 2, "three layers, sizes [3, 4, 4, 2], forward/backward on another "
                                "batch first (grads must describe the latest batch only)")]
    cases = [Case(s, rng.normal(size=(n, s[0])), rng.normal(size=(n, s[-1])), values_seed=k,
                  twice=(k == 3), label=label)
             for k, (s, n, label) in enumerate(shapes)]
    try:
        keys, error = _call(lambda: _net_keys(Net, (4, 5, 3)), Case(label="Net([4, 5, 3])"),
                            exercise=exercise)
    except NotAttempted:
        return not_attempted(exercise)
    if error or keys is not None:
        return _wrong(exercise, f"On Net([4, 5, 3], rng=0): your class {error}" if error else keys)
    for case in cases:
        names = ("forward's output (the logits)", "backward's dX") + tuple(
            f'grads["{k}{i}"]' for i in range(1, len(case.args[0])) for k in "Wb")
        result = _rename(check_function(run, ref, [case], exercise=exercise,
                                        diagnose=_net_diagnose), names)
        if not result.correct:
            sizes = case.args[0]
            if len(sizes) != 3 and "raised" in result.message:
                result.message += ("\nHint: the network must work for any number of layers — loop "
                                   "over self.layers (forward in order, backward in reverse) "
                                   "instead of writing out two of them")
            elif case.kwargs["twice"]:
                result.message += ("\nHint: after a second forward/backward the gradients must be "
                                   "this batch's only: does a layer add to grads (+=) or keep an "
                                   "old input?")
            return result
    fd = Case((3, 5, 4, 2), rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), values_seed=9,
              label="sizes [3, 5, 4, 2], compared with finite differences of Σ dout ⊙ net(X)")
    return _rename(check_function(
        run, _net_numeric, [fd], rtol=1e-5, atol=1e-7, exercise=exercise,
        why="The same two lines per layer, in a loop: any depth, and every gradient equal to "
            "finite differences."), names)


def _net_diagnose(got, case):
    expected = _net_run(_Net, *case.args, values_seed=case.kwargs["values_seed"])
    if isinstance(got, tuple) and not close_to(got[0], expected[0]):
        if close_to(got[0], np.maximum(expected[0], 0.0)):
            return ("ReLU was applied to the last layer's output too: the logits come straight "
                    "from the last Linear")
        return ("forward's output is wrong: Linear, ReLU, ..., Linear in order, no ReLU after "
                "the last layer (does check_linear pass?)")
    return None


# --------------------------------------------------------------------------------------------
# train

_TRAIN_SETTINGS = dict(epochs=6, batch_size=16, lr=0.5, momentum=0.9, seed=3)


def _train_data():
    from mlbook.datasets.toy import spirals
    X, y = spirals(n_per_class=30, n_classes=3, seed=11)
    rng = np.random.default_rng(12)
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    return X[:60], y[:60], X[60:], y[60:]


def _train_net():
    return _Net([2, 16, 3], rng=4)


def _train_reference(slip=None):
    net = _train_net()
    history = _train(net, *_train_data(), **_TRAIN_SETTINGS, slip=slip)
    return history, {k: v.copy() for k, v in net.params.items()}


_LOSS_ONLY = ("loss_weighted", "loss_full")
_TRAIN_SLIPS = [
    ("loss_weighted", "the weights are right; history['train_loss'] is the plain mean of the "
                      "epoch's mini-batch losses, np.mean(losses), not weighted by batch size"),
    ("loss_full", "the weights are right; history['train_loss'] is the mean of the epoch's "
                  "mini-batch losses (already computed), not the loss on the whole training "
                  "set after the epoch"),
    ("x_only", "X was shuffled but y was not (or not with the same permutation): the labels no "
               "longer belong to their inputs. Index both with the same idx, X[idx] and y[idx]"),
    ("no_shuffle", "the examples were not shuffled: draw idx = rng.permutation(N) every epoch"),
    ("reseed", "every epoch used the same order: create the generator once, before the epoch "
               "loop, and draw a new permutation from it every epoch"),
    ("reset_velocity", "the velocity was reset every epoch: create it once, before the loop, "
                       "so that momentum carries across epochs"),
    ("keep_last", "the net keeps the LAST epoch's weights: copy the parameters whenever the "
                  "validation accuracy is the best so far (v.copy()), and copy them back into "
                  "the net's arrays (p[...] = best[k]) at the end"),
]


def _floats(value):
    """``value`` as a float array, or None when it is not one (compare_output then says so)."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


@driver
def _train_run(train, X, y, X_val, y_val, **settings):
    """Train the check's network with ``train``; return (its history, the parameters after)."""
    net = _train_net()
    got = train(net, X, y, X_val, y_val, **settings)
    if isinstance(got, dict) and all(isinstance(k, str) for k in got):
        got = {k: _plainish(v) for k, v in got.items()}
    else:
        got = _plainish(got)
    return got, {k: v.copy() for k, v in net.params.items()}


def check_train(train):
    """Check ``train(net, X, y, X_val, y_val, *, epochs, batch_size, lr, momentum, seed)``
    against the reference loop, on a 2-16-3 network and 90 spiral points."""
    exercise = "train"
    if not callable(train):
        return _not_a("function", exercise, train, "check_train(train)")
    X, y, X_val, y_val = _train_data()
    settings = ", ".join(f"{k}={v}" for k, v in _TRAIN_SETTINGS.items())
    label = f"a 2-16-3 ReLU net, 60 spiral points (validation: 30), {settings}"
    try:
        answer, error = _call(_train_run, Case(train, X, y, X_val, y_val, **_TRAIN_SETTINGS,
                                               label=label), exercise=exercise)
    except NotAttempted:
        return not_attempted(exercise)
    head = f"On input {label}:\n"
    if error:
        return _wrong(exercise, head + f"your function {error}")
    got, got_params = answer
    if not isinstance(got, dict) or not {"train_loss", "val_acc", "best_epoch"} <= set(got):
        return _wrong(exercise, head + "expected the history dict with keys 'train_loss', "
                                       f"'val_acc', 'best_epoch', got {short(got)}")
    expected, params = _train_reference()
    problems = []
    for key in ("val_acc", "train_loss", "best_epoch"):
        p = compare_output(_floats(got[key]) if key != "best_epoch" else got[key],
                           np.asarray(expected[key], dtype=float) if key != "best_epoch"
                           else expected[key])
        if p:
            problems.append(f"history[{key!r}]: {p}")
    for k in params:
        p = compare_output(got_params[k], params[k])
        if p:
            problems.append(f"after training, net.params[{k!r}]: {p}")
            break
    if not problems:
        return CheckResult(CORRECT, exercise,
                           "Shuffle X and y together, step through mini-batches, measure on the "
                           "validation set each epoch, keep the best epoch: the whole loop.")
    for slip, message in _TRAIN_SLIPS:
        h, p = _train_reference(slip)
        same_params = all(close_to(got_params[k], p[k]) for k in p)
        same_acc = close_to(got["val_acc"], np.asarray(h["val_acc"]))
        same_loss = close_to(got["train_loss"], np.asarray(h["train_loss"]))
        if same_params and same_acc and (same_loss or slip not in _LOSS_ONLY):
            problems.append(f"Hint: {message}")
            break
    else:
        problems.append("Hint: softmax_cross_entropy and sgd_momentum_step must pass their checks "
                        "first; the mini-batches are idx[start:start + batch_size] for start in "
                        "range(0, N, batch_size), the last one smaller")
    return _wrong(exercise, head + "\n".join(problems))


# --------------------------------------------------------------------------------------------
# the payoff: the student's own network on the digits

DIGITS_SETTINGS = dict(sizes=[784, 100, 10], epochs=12, batch_size=128, lr=0.1, momentum=0.9,
                       seed=0)
DIGITS_TARGET = 0.95
DIGITS_BUDGET = 120.0      # seconds (a check's default budget is 10 s; a correct run takes ~10 s)
N_VALIDATION = 1000        # the last 1,000 of the 8,000 training digits choose the best epoch


def digits_data():
    """The course split, flattened: ``(X_train, y_train, X_val, y_val, X_test, y_test)`` —
    7,000 training digits, 1,000 validation digits (from the training part) and the 2,000
    held-out test digits, each a (n, 784) row of pixels in [0, 1]."""
    from mlbook.datasets.mnist import course_split
    (X, y), (X_test, y_test) = course_split()
    X, X_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)
    k = len(X) - N_VALIDATION
    return X[:k], y[:k], X[k:], y[k:], X_test, y_test


declare_exercise("train", off_limits=_TRAINING + [digits_data], may_use=[_Net])  # the net it is given
declare_exercise("digits", off_limits=_TRAINING + [digits_data])


@driver(replay=False)         # 10 s a run: its hidden case is the grading-time order
def _digits_run(Net, train, X, y, X_val, y_val, X_test, seed):
    """Train the student's Net with their train; return (the history's best epoch, the
    trained net's logits on X_test) — the labels of X_test stay with the checker."""
    s = DIGITS_SETTINGS
    net = Net(list(s["sizes"]), rng=seed)
    history = train(net, X, y, X_val, y_val, epochs=s["epochs"], batch_size=s["batch_size"],
                    lr=s["lr"], momentum=s["momentum"], seed=seed)
    best = history.get("best_epoch") if isinstance(history, dict) else None
    return _plainish(best), np.asarray(net.forward(X_test), dtype=float)


def check_digits(Net, train):
    """Train the student's own ``Net`` with their ``train`` on the course's digits
    (:data:`DIGITS_SETTINGS`) and report the held-out accuracy; ✅ at ≥ 95 %."""
    exercise = "digits"
    if not is_class(Net):
        return _not_a("class", exercise, Net, "check_digits(Net, train)")
    if not callable(train):
        return _not_a("function", exercise, train, "check_digits(Net, train)")
    s = DIGITS_SETTINGS
    label = (f"Net({s['sizes']}) trained by your train on 7,000 digits ({s['epochs']} epochs, "
             f"batches of {s['batch_size']}, lr {s['lr']}, momentum {s['momentum']}), tested on "
             f"the 2,000 held-out digits")
    budget = Budget(DIGITS_BUDGET)
    X, y, X_val, y_val, X_test, y_test = digits_data()
    shuffle = grading_seed(None)     # when grading: the held-out digits in an order drawn then
    if shuffle is not None:
        order = np.random.default_rng(shuffle).permutation(len(y_test))
        X_test, y_test = X_test[order], y_test[order]
    try:
        got, error = _call(lambda *data: _digits_run(Net, train, *data, s["seed"]),
                           Case(X, y, X_val, y_val, X_test, label=label), exercise=exercise,
                           budget=budget)
    except NotAttempted:
        return CheckResult(NOT_ATTEMPTED, exercise, "Net and train must be written first "
                                                   "(check_net and check_train ✅).")
    if error and budget.remaining() <= 0:
        return _wrong(exercise, f"{label}:\nyour code ran for {DIGITS_BUDGET:g} s and was "
                                f"stopped. A correct Net and train need about 10 s on one core; "
                                f"do check_net and check_train pass in well under a second? (On "
                                f"a busy machine, numpy's multi-threaded BLAS can be many times "
                                f"slower: set OPENBLAS_NUM_THREADS=1 before starting Jupyter.)")
    if error:
        return _wrong(exercise, f"{label}:\nyour code {error}")
    best, logits = got
    logits = np.asarray(logits) if isinstance(logits, np.ndarray) else None
    if logits is None or logits.shape != (len(y_test), 10):
        return _wrong(exercise, f"{label}:\nnet.forward(X_test) should return logits of shape "
                                f"({len(y_test)}, 10)")
    accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
    if not accuracy >= DIGITS_TARGET:
        return _wrong(exercise, f"{label}: {100 * accuracy:.2f} % held-out accuracy, below "
                                f"{100 * DIGITS_TARGET:.0f} %. Do check_net and check_train pass?")
    return CheckResult(CORRECT, exercise,
                       f"Your own network: {100 * accuracy:.2f} % of the 2,000 held-out digits "
                       f"right (best epoch {best}) — every line of it yours.")


# --------------------------------------------------------------------------------------------
# stretch: max pooling and the input gradient of a strided, padded convolution

def _maxpool_cases(rng):
    tie = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 0.0, 1.0, 2.0], [0.5, 0.5, 4.0, 1.0],
                    [0.5, 0.5, 1.0, 4.0]])
    overlap = rng.normal(size=(5, 5))
    overlap[2, 2] = 5.0
    return [
        Case(np.array([[1.0, 2.0], [3.0, 4.0]]), rng.permutation(16).reshape(4, 4) * 1.0,
             label="x (4, 4) of distinct values, size=2, stride=2"),
        Case(np.array([[1.0, -1.0], [2.0, 0.5]]), tie,
             label="x (4, 4) with ties inside windows (convention: the first maximum, row by row)"),
        Case(rng.normal(size=(2, 2)), overlap, 3, 2,
             label="x (5, 5) whose maximum x[2, 2] lies in all four windows, size=3, stride=2 "
                   "(overlapping windows)"),
    ]


def check_maxpool_backward(maxpool_backward):
    """Stretch: ``maxpool_backward(dout, x, size=2, stride=2) -> dx`` for one (H, W) map:
    each dout[i, j] goes to the first maximum of its window; overlapping windows add up."""
    exercise = "maxpool_backward"
    rng = np.random.default_rng(118)

    def diagnose(got, case):
        return _first_slip(got, [("right", _maxpool_backward(*case.args))] + [
            (msg, lambda s=s: _maxpool_backward(*case.args, slip=s)) for s, msg in [
                ("avg", "that spreads dout evenly over the window (average pooling's gradient); "
                        "max pooling sends it all to the maximum"),
                ("ties", "on a tie, only the first maximum (np.argmax of the window) gets dout, "
                         "not every maximum"),
                ("assign", "where windows overlap, the contributions ADD up (+=), they do not "
                           "replace each other")]])

    result = check_function(maxpool_backward, _maxpool_backward, _maxpool_cases(rng),
                            exercise=exercise, diagnose=diagnose)
    if not result.correct:
        return result
    x = rng.permutation(36).reshape(6, 6) / 7.0
    dout = rng.normal(size=(3, 3))
    fd = Case(dout, x, label="x (6, 6) of distinct values, compared with finite differences")
    return check_function(
        maxpool_backward,
        lambda d, x: _fd(lambda xx: float(np.sum(d * mlbook.conv.max_pool2d(xx))), x),
        [fd], rtol=1e-5, atol=1e-7, exercise=exercise,
        why="Max pooling is a switch: the gradient goes to the one input that won the window.")


def check_conv_input_grad(conv_input_grad):
    """Stretch: ``conv_input_grad(dout, kernel, image_shape, stride, padding) -> dimage`` for
    ``out = conv2d(image, kernel, stride=stride, padding=padding)`` (cross-correlation)."""
    exercise = "conv_input_grad"
    rng = np.random.default_rng(119)
    cases = [
        Case(rng.normal(size=(2, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]), (3, 3), 1, 0,
             label="image (3, 3), kernel [[1, 2], [3, 4]], stride 1, padding 0"),
        Case(rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), (5, 5), 2, 1,
             label="image (5, 5), kernel (3, 3), stride 2, padding 1"),
        Case(rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), (6, 5), 2, 1,
             label="image (6, 5), kernel (2, 3), stride 2, padding 1"),
    ]

    def diagnose(got, case):
        variants = [("right", _conv_input_grad(*case.args))]
        for s, msg in [("flip", "the kernel is flipped: conv2d is a cross-correlation, so "
                                "dimage[i*s + a, j*s + b] += dout[i, j] * kernel[a, b], unflipped"),
                       ("no_stride", "the stride is missing: output (i, j) read the window at "
                                     "(i*stride, j*stride)")]:
            variants.append((msg, lambda s=s: _conv_input_grad(*case.args, slip=s)))
        slip = _first_slip(got, variants)
        if slip is None and np.shape(got) == _conv_input_grad(*case.args, slip="no_crop").shape:
            return "that is the gradient of the PADDED image: crop the padding away"
        return slip

    result = check_function(conv_input_grad, _conv_input_grad, cases, exercise=exercise,
                            diagnose=diagnose)
    if not result.correct:
        return result
    dout, kernel = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    fd = Case(dout, kernel, (6, 6), 2, 1, label="image (6, 6), kernel (3, 3), stride 2, padding "
                                                 "1, compared with finite differences")

    def numeric(d, k, shape, stride, padding):
        image = rng.normal(size=shape)
        return _numeric(lambda: float(np.sum(d * mlbook.conv.conv2d(
            image, k, stride=stride, padding=padding))), image)
    return check_function(conv_input_grad, numeric, [fd], rtol=1e-5, atol=1e-7, exercise=exercise,
                          why="Each output spreads dout[i, j] · kernel back over the window it "
                              "read; sum the overlaps, crop the padding.")


# --------------------------------------------------------------------------------------------
# hints

register_hints({
    "Linear": [
        "forward: store the input (self.X = X) — backward needs it — and return X @ W + b with "
        "W = self.params['W'], b = self.params['b'].",
        "backward: Y = X W + b, so dW = Xᵀ dY (shape (n_in, n_out), like W), db = the sum of "
        "dY's rows (shape (n_out,)), dX = dY Wᵀ (shape (N, n_in), like X).",
        "Assign, do not add: self.grads['W'] = self.X.T @ dY; self.grads['b'] = dY.sum(axis=0); "
        "return dY @ self.params['W'].T",
    ],
    "relu_forward": ["np.maximum(x, 0.0) — elementwise, returns a new array."],
    "relu_backward": [
        "ReLU lets the gradient through where its input was positive and blocks it elsewhere.",
        "The convention at x = 0: the gradient is 0 there (use x > 0, not x >= 0).",
        "return dout * (x > 0)",
    ],
    "softmax_cross_entropy": [
        "Subtract each row's max first: z = logits - logits.max(axis=1, keepdims=True). "
        "Softmax does not change, and exp never overflows.",
        "log p = z - log Σ exp(z) (row by row); the loss is -log p at each row's true class "
        "(log_p[np.arange(N), y]), averaged over the N rows.",
        "dlogits = (p - onehot(y)) / N: p = exp(log_p), then subtract 1 at [np.arange(N), y] and "
        "divide by N — the same 1/N as the loss.",
    ],
    "grad_check": [
        "analytic = f(x)[1].copy(). Then for every entry i (x.reshape(-1) is a view you can "
        "index with one number): remember old = x[i], set x[i] = old + h, compute f(x)[0], set "
        "x[i] = old - h, compute f(x)[0], put x[i] = old back.",
        "numeric[i] = (f_plus - f_minus) / (2 h) — the two points are 2h apart.",
        "rel_error = np.max(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + "
        "np.abs(numeric))); return rel_error, numeric",
    ],
    "gradient_errors": [
        "For v = layer.params['W']: f(v) runs forward, the loss and backward and returns "
        "(loss, layer.grads['W']). grad_check perturbs v in place, and the layer reads it.",
        "For X: the same f, returning (loss, dX) — backward's return value.",
        "Return {'W': grad_check(f_W, layer.params['W'])[0], 'b': ..., 'X': ...}.",
    ],
    "sgd_momentum_step": [
        "For every key k: v = velocity[k]; v ← momentum·v − lr·grads[k]; then p ← p + v.",
        "In place: `velocity[k] *= momentum; velocity[k] -= lr * grads[k]; params[k] += "
        "velocity[k]` — params[k] = params[k] + v would make a new array that the layer never "
        "sees.",
    ],
    "Net": [
        "forward: h = X; for every layer but the last, h = relu_forward(layer.forward(h)) — keep "
        "each pre-activation for backward; the last layer gives the logits, no ReLU.",
        "backward: walk the layers in reverse: d = layer.backward(d), and before each hidden "
        "layer's backward, d = relu_backward(d, its pre-activation).",
        "params: {f'W{i}': layer.params['W'], f'b{i}': layer.params['b'] for i, layer in "
        "enumerate(self.layers, 1)} (a loop of two entries per layer); grads the same with "
        "layer.grads.",
    ],
    "train": [
        "Before the loop: rng = np.random.default_rng(seed); params = net.params; velocity = "
        "zeros like each parameter; best = -1.",
        "Each epoch: idx = rng.permutation(N); for start in range(0, N, batch_size): b = "
        "idx[start:start + batch_size]; forward X[b], loss with y[b], backward, "
        "sgd_momentum_step(params, net.grads, velocity, lr, momentum).",
        "After each epoch: accuracy = mean(argmax(net.forward(X_val), axis=1) == y_val); if it "
        "beats best, copy every parameter (v.copy()). At the end write the copies back in place: "
        "params[k][...] = best_params[k].",
    ],
    "maxpool_backward": [
        "dx = zeros like x. For each output (i, j), take the window x[i*s:i*s+size, "
        "j*s:j*s+size] and find its first maximum with np.unravel_index(np.argmax(win), "
        "win.shape).",
        "Add dout[i, j] at that position of dx (+=: windows may overlap).",
    ],
    "conv_input_grad": [
        "Work on the padded image: dxp = zeros (H + 2p, W + 2p). Output (i, j) read the window "
        "xp[i*s:i*s+kh, j*s:j*s+kw], weighted by kernel.",
        "So dxp[i*s:i*s+kh, j*s:j*s+kw] += dout[i, j] * kernel for every (i, j); then crop: "
        "dxp[p:p+H, p:p+W].",
    ],
})
