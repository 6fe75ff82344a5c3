"""Checkers for notebook 04 (backpropagation in matrix form).

    check_dense_backward(dense_backward)           # (dY, X, W) -> (dX, dW, db)
    check_two_layer_backward(two_layer_backward)   # (X, T, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)
    check_train_epochs(train_epochs)               # (model, X, y, loss_fn, lr=, epochs=,
                                                   #  batch_size=, seed=) -> losses per epoch

Each compares with mlbook (``layers.Dense``, ``layers.Sequential`` with ``losses.mse``,
``layers.fit`` with plain SGD) and, for the two backward passes, with central finite
differences (``mlbook.gradcheck``). When a value is wrong, the checker replays the usual slips
(a transposed ``dW``, ``db`` not summed over the batch, a forgotten σ', the mean-vs-sum mix-up,
shuffling X without y, ...) and names the one that reproduces the student's numbers.
"""
import numpy as np

from mlbook.activations import sigmoid, sigmoid_grad
from mlbook.gradcheck import numerical_gradient
from mlbook.layers import Dense, Sequential, Sigmoid, Tanh, fit
from mlbook.losses import mse, softmax_cross_entropy
from mlbook.worked_example import INPUTS, TARGETS, as_matrices

from .core import (WRONG, Case, CheckResult, NotAttempted, close_to, not_attempted, short, type_name,
                   check_function, compare_output, guarded_call, register_hints, driver)

__all__ = ["check_dense_backward", "check_two_layer_backward", "check_train_epochs"]


_close = close_to


def _first_wrong_item(got, expected):
    """Index of the first item of the tuple ``got`` that does not match ``expected``."""
    for k, e in enumerate(expected):
        if not _close(got[k], e):
            return k
    return None


def _name_slip(got, expected, names, variants):
    """Find the first wrong item of ``got`` and the first slip in ``variants`` that explains it.

    ``variants`` is a list of (message, function returning the tuple of arrays computed with
    that slip); a variant that cannot be computed for these shapes is skipped.
    """
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return None
    k = _first_wrong_item(got, expected)
    if k is None:
        return None
    for message, make in variants:
        try:
            with np.errstate(all="ignore"):
                values = make()
        except (ValueError, IndexError):
            continue
        if _close(got[k], values[k]) and not _close(values[k], expected[k]):
            return f"{names[k]}: {message}"
    return None


# --------------------------------------------------------------------------------------------
# dense_backward

def _dense_reference(dY, X, W):
    """mlbook's Dense layer with weights W: forward X, backward dY -> (dX, dW, db)."""
    layer = Dense(W.shape[0], W.shape[1])
    layer.params["W"][...] = W
    layer.forward(X)
    dX = layer.backward(dY)
    return dX, layer.grads["W"], layer.grads["b"]


def _dense_numeric(dY, X, W):
    """Central differences of L = sum(dY * (X W + b)), whose gradient w.r.t. Y is dY."""
    X, W = X.astype(float).copy(), W.astype(float).copy()
    b = np.zeros(W.shape[1])

    def loss(_):
        return float(np.sum(dY * (X @ W + b)))
    return (numerical_gradient(loss, X), numerical_gradient(loss, W), numerical_gradient(loss, b))


def _dense_diagnose(got, case):
    dY, X, W = case.args
    n = X.shape[0]
    dX, dW, db = dY @ W.T, X.T @ dY, dY.sum(axis=0)
    names = ("dX (item 0)", "dW (item 1)", "db (item 2)")
    slips = [
        ("transposed — dW has the shape of W, (n_in, n_out): entry [i, j] is the weight from "
         "input i to output j", lambda: (dX, dW.T, db)),
        ("mean vs sum mix-up: you divided by the batch size N. dY already holds the loss's "
         "1/N; the contributions of the N examples add up (sum over the batch)",
         lambda: (dX / n, dW / n, dY.mean(axis=0))),
        ("not summed over the batch: every example contributes to the same parameters, so add "
         "the contributions of all N rows (sum over axis 0); the result has shape (n_out,)",
         lambda: (dX, dW, dY)),
        ("summed over the wrong axis (axis 1, the units); sum over the batch axis, 0",
         lambda: (dX, dW, dY.sum(axis=1))),
        ("summed over everything: db has one entry per output unit, shape (n_out,)",
         lambda: (dX, dW, np.full(dY.shape[1], dY.sum()))),
        ("W is not transposed: Y = X W maps n_in to n_out, so going back multiplies by the "
         "transpose of W", lambda: (dY @ W, dW, db)),
        ("transposed — dX has the shape of X, (N, n_in)", lambda: (dX.T, dW, db)),
        ("only the first example counted: use every row of the batch",
         lambda: (dX, X[:1].T @ dY[:1], dY[0])),
        ("wrong sign", lambda: (-dX, -dW, -db)),
    ]
    return _name_slip(got, (dX, dW, db), names, slips)


def _dense_cases(rng):
    return [
        Case(np.array([[1.0, -2.0, 0.5]]), np.array([[2.0, 3.0]]),
             np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]),
             label="one example: dY (1, 3), X (1, 2), W (2, 3)"),
        Case(rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), rng.normal(size=(3, 2)),
             label="a batch: dY (4, 2), X (4, 3), W (3, 2)"),
        Case(rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3)),
             label="square shapes: dY (3, 3), X (3, 3), W (3, 3)"),
    ]


def check_dense_backward(dense_backward):
    """Check ``dense_backward(dY, X, W) -> (dX, dW, db)`` for the layer Y = X W + b."""
    rng = np.random.default_rng(40)
    kwargs = dict(exercise="dense_backward", diagnose=_dense_diagnose, rtol=1e-6, atol=1e-9)
    result = check_function(dense_backward, _dense_reference, _dense_cases(rng), **kwargs)
    if not result.correct:
        return result
    fd_case = Case(rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(4, 3)),
                   label="dY (5, 3), X (5, 4), W (4, 3), compared with finite differences")
    return check_function(
        dense_backward, _dense_numeric, [fd_case], rtol=1e-5, atol=1e-7,
        exercise="dense_backward", diagnose=_dense_diagnose,
        why="dW = Σ over the batch of each example's outer product, db = Σ of the rows of dY, "
            "and dX sends dY back through Wᵀ — the three lines of mlbook's Dense.backward, "
            "equal to mlbook and to finite differences.")


# --------------------------------------------------------------------------------------------
# two_layer_backward

def _two_layer_reference(X, T, W1, b1, W2, b2):
    """Gradients of mse(out_o, T) through mlbook's Sequential(Dense, Sigmoid, Dense, Sigmoid)."""
    d1, d2 = Dense(*W1.shape), Dense(*W2.shape)
    for layer, W, b in ((d1, W1, b1), (d2, W2, b2)):
        layer.params["W"][...] = W
        layer.params["b"][...] = b
    model = Sequential([d1, Sigmoid(), d2, Sigmoid()])
    _, dout = mse(model.forward(X), T)
    model.backward(dout)
    return d1.grads["W"], d1.grads["b"], d2.grads["W"], d2.grads["b"]


def _two_layer_loss(X, T, W1, b1, W2, b2):
    return mse(sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2), T)[0]


def _two_layer_numeric(X, T, W1, b1, W2, b2):
    params = [np.array(p, dtype=float) for p in (W1, b1, W2, b2)]

    def loss(_):
        return _two_layer_loss(X, T, *params)
    return tuple(numerical_gradient(loss, p) for p in params)


def _two_layer_variant(X, T, W1, b1, W2, b2, *, out_prime="net", hidden_prime="net",
                       scale="mean", back="W2.T", db="sum", transpose=False, sign=1.0):
    """The backward pass with one slip switched on (the defaults give the right answer)."""
    n = X.shape[0]
    net_h = X @ W1 + b1
    out_h = sigmoid(net_h)
    net_o = out_h @ W2 + b2
    out_o = sigmoid(net_o)
    primes = {"net": lambda net, out: sigmoid_grad(net), "none": lambda net, out: 1.0,
              "of_out": lambda net, out: sigmoid_grad(out)}
    factor = {"mean": 1.0 / n, "sum": 1.0, "mean_twice": 1.0 / n ** 2}[scale]
    d_o = sign * factor * (out_o - T) * primes[out_prime](net_o, out_o)
    back_w = {"W2.T": W2.T, "W2": W2}[back]
    d_h = (d_o @ back_w) * primes[hidden_prime](net_h, out_h)
    summed = {"sum": lambda d: d.sum(axis=0), "mean": lambda d: d.mean(axis=0),
              "none": lambda d: d}[db]
    dW1, dW2 = X.T @ d_h, out_h.T @ d_o
    if transpose:
        dW1, dW2 = dW1.T, dW2.T
    return dW1, summed(d_h), dW2, summed(d_o)


_TWO_LAYER_SLIPS = [
    ("σ' forgotten at the output: the loss's gradient w.r.t. out_o must still go through the "
     "output sigmoid, times σ'(net_o), to become δ_o", dict(out_prime="none")),
    ("σ' forgotten in the hidden layer: after going back through the output weights, multiply "
     "elementwise by σ'(net_h) to get δ_h", dict(hidden_prime="none")),
    ("σ' forgotten in both layers", dict(out_prime="none", hidden_prime="none")),
    ("σ' evaluated at the output instead of the net input: σ'(net) = out·(1 − out), not "
     "σ'(out)", dict(out_prime="of_out", hidden_prime="of_out")),
    ("σ' evaluated at out_o instead of net_o", dict(out_prime="of_out")),
    ("σ' evaluated at out_h instead of net_h", dict(hidden_prime="of_out")),
    ("mean vs sum mix-up: your gradients are N times too large. The loss is the MEAN over the "
     "batch (mlbook.losses.mse), so dL/d out_o carries a factor 1/N", dict(scale="sum")),
    ("mean vs sum mix-up: you divided by N twice. The 1/N of the mean loss is already in δ; the "
     "examples' contributions to a parameter then add up (sum over the batch)",
     dict(db="mean")),
    ("divided by N twice (once in δ, once more)", dict(scale="mean_twice")),
    ("not summed over the batch: one entry per unit, shape (n_units,) — add the rows",
     dict(db="none")),
    ("transposed — a weight gradient has the shape of its weight matrix (n_in, n_out)",
     dict(transpose=True)),
    ("going back through W2 needs its transpose: δ_o (N, n_out) times a (n_out, n_hidden) "
     "matrix", dict(back="W2")),
    ("wrong sign: dL/d out_o = out_o − T (the loss grows when out_o moves away from T)",
     dict(sign=-1.0)),
]


def _two_layer_diagnose(got, case):
    X, T, W1, b1, W2, b2 = case.args
    expected = _two_layer_variant(X, T, W1, b1, W2, b2)
    names = ("dW1 (item 0)", "db1 (item 1)", "dW2 (item 2)", "db2 (item 3)")
    variants = []
    for message, switches in _TWO_LAYER_SLIPS:
        variants.append((message, lambda s=switches: _two_layer_variant(X, T, W1, b1, W2, b2, **s)))
    return _name_slip(got, expected, names, variants)


def _two_layer_cases(rng):
    W1, b1, W2, b2 = as_matrices()
    return [
        Case(np.array([INPUTS]), np.array([TARGETS]), W1, b1, W2, b2,
             label="the 2-2-2 network of notebook 02 (N = 1)"),
        Case(rng.normal(size=(4, 3)), rng.uniform(size=(4, 2)), rng.normal(size=(3, 5)),
             rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2),
             label="a batch: X (4, 3), T (4, 2), W1 (3, 5), b1 (5,), W2 (5, 2), b2 (2,)"),
    ]


def check_two_layer_backward(two_layer_backward):
    """Check ``two_layer_backward(X, T, W1, b1, W2, b2) -> (dW1, db1, dW2, db2)``: the gradients
    of ``mse(σ(σ(X W1 + b1) W2 + b2), T)`` (mean over the batch)."""
    rng = np.random.default_rng(41)
    kwargs = dict(exercise="two_layer_backward", diagnose=_two_layer_diagnose)
    result = check_function(two_layer_backward, _two_layer_reference, _two_layer_cases(rng),
                            **kwargs)
    if not result.correct:
        return result
    fd_case = Case(rng.normal(size=(3, 2)), rng.uniform(size=(3, 3)), rng.normal(size=(2, 4)),
                   rng.normal(size=4), rng.normal(size=(4, 3)), rng.normal(size=3),
                   label="X (3, 2), T (3, 3), W1 (2, 4), W2 (4, 3), compared with finite "
                         "differences")
    return check_function(
        two_layer_backward, _two_layer_numeric, [fd_case], rtol=1e-5, atol=1e-8, **kwargs,
        why="Two layers, one recursion: δ_o from the loss, δ_h = δ_o W2ᵀ ⊙ σ'(net_h), and each "
            "layer's dW = (its input)ᵀ δ — for N = 1 exactly notebook 02's numbers.")


# --------------------------------------------------------------------------------------------
# train_epochs

_TRAIN = dict(lr=0.5, epochs=3, batch_size=8, seed=5)


def _train_data():
    from mlbook.datasets.toy import spirals
    return spirals(n_per_class=10, n_classes=3, seed=3)       # 30 points: batches 8, 8, 8, 6


def _train_model():
    return Sequential([Dense(2, 8, rng=1), Tanh(), Dense(8, 3, rng=2)])


def _params_of(model):
    return {k: v.copy() for k, v in model.params.items()}


def _train_variant(X, y, *, shuffle="every", drop_last=False, sign=1.0, grad_scale="none",
                   record="after", lr=0.5, epochs=3, batch_size=8, seed=5):
    """The SGD loop with one slip switched on; returns (losses, params)."""
    model = _train_model()
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    first = None
    losses = []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            if shuffle == "none":
                idx = np.arange(n)
            elif shuffle == "once":
                first = rng.permutation(n) if first is None else first
                idx = first
            else:
                idx = rng.permutation(n)
            batch_losses = []
            stop = n - n % batch_size if drop_last else n
            for start in range(0, stop, batch_size):
                b = idx[start:start + batch_size]
                yb = y[start:start + batch_size] if shuffle == "x_only" else y[b]
                value, dout = softmax_cross_entropy(model.forward(X[b]), yb)
                batch_losses.append(value)
                model.backward(dout)
                grads = model.grads
                scale = {"none": 1.0, "divide": 1.0 / len(b), "multiply": float(len(b)),
                         "divide_bs": 1.0 / batch_size,
                         "multiply_bs": float(batch_size)}[grad_scale]
                for name, p in model.params.items():
                    p -= sign * lr * scale * grads[name]
            if record == "after":
                losses.append(softmax_cross_entropy(model.forward(X), y)[0])
            elif record == "batch_mean":
                losses.append(float(np.mean(batch_losses)))
            else:
                losses.append(batch_losses[-1])
    return np.array(losses), _params_of(model)


_TRAIN_SLIPS = [
    ("you shuffled X but not y (or y with another permutation): the labels no longer belong "
     "to their inputs. Index both with the same shuffled indices, X[idx] and y[idx]",
     dict(shuffle="x_only")),
    ("the examples were not shuffled: draw a new order with rng.permutation(N) every epoch",
     dict(shuffle="none")),
    ("every epoch used the same order: create the generator ONCE, before the epoch loop, and "
     "draw a new permutation from it at the start of every epoch", dict(shuffle="once")),
    ("the last, smaller mini-batch was skipped: with N = 30 and batch_size = 8 the batches "
     "have 8, 8, 8 and 6 examples", dict(drop_last=True)),
    ("wrong sign: gradient DEScent moves each parameter against its gradient",
     dict(sign=-1.0)),
    ("mean vs sum mix-up: the loss (and so the gradient) is already a mean over the "
     "mini-batch; dividing by the batch size again makes every step that much too small",
     dict(grad_scale="divide")),
    ("mean vs sum mix-up: the loss (and so the gradient) is already a mean over the "
     "mini-batch; dividing by the batch size again makes every step that much too small",
     dict(grad_scale="divide_bs")),
    ("mean vs sum mix-up: the gradient is already a mean over the mini-batch; multiplying by "
     "the batch size makes every step that much too large", dict(grad_scale="multiply")),
    ("mean vs sum mix-up: the gradient is already a mean over the mini-batch; multiplying by "
     "the batch size makes every step that much too large", dict(grad_scale="multiply_bs")),
    ("the parameters are right, but the recorded loss is the mean of the mini-batch losses; "
     "record the loss on the whole training set after each epoch", dict(record="batch_mean")),
    ("the parameters are right, but the recorded loss is the last mini-batch's; record the "
     "loss on the whole training set after each epoch", dict(record="last")),
]


def _train_message(label, problem, slip=None):
    return CheckResult(WRONG, "train_epochs",
                       f"On input {label}:\n{problem}" + (f"\nHint: {slip}" if slip else ""))


@driver
def _train_epochs_run(train_epochs, X, y, **settings):
    """Train the check's model with ``train_epochs``; return (what it returned, the model's
    parameters afterwards)."""
    model = _train_model()
    got = train_epochs(model, X, y, softmax_cross_entropy, **settings)
    if not isinstance(got, (list, tuple, np.ndarray, int, float, np.number, str, type(None))):
        got = f"{type_name(got)}: {short(got)}"
    return got, _params_of(model)


def check_train_epochs(train_epochs):
    """Check ``train_epochs(model, X, y, loss_fn, *, lr, epochs, batch_size, seed) -> losses``
    against ``mlbook.layers.fit`` with plain SGD and the same seeded shuffling."""
    exercise = "train_epochs"
    if not callable(train_epochs):
        return CheckResult(WRONG, exercise,
                           f"expected a function, got {type_name(train_epochs)} — pass the "
                           f"function itself: check_train_epochs(train_epochs)")
    X, y = _train_data()
    start = _params_of(_train_model())
    label = (f"a 2-8-3 tanh MLP on 30 spiral points, loss_fn=softmax_cross_entropy, "
             f"lr={_TRAIN['lr']}, epochs={_TRAIN['epochs']}, batch_size={_TRAIN['batch_size']}, "
             f"seed={_TRAIN['seed']}")
    case = Case(train_epochs, X, y, **_TRAIN)
    try:
        answer, error = guarded_call(_train_epochs_run, case, exercise=exercise)
    except NotAttempted:
        return not_attempted(exercise)
    if error:
        return _train_message(label, f"your function {error}")
    got, got_params = answer

    reference = _train_model()
    history = fit(reference, X, y, loss=softmax_cross_entropy, optimizer="sgd",
                  lr=_TRAIN["lr"], epochs=_TRAIN["epochs"], batch_size=_TRAIN["batch_size"],
                  seed=_TRAIN["seed"])
    expected_losses = np.array(history["train_loss"])
    expected_params = _params_of(reference)

    if got is None:
        return _train_message(label, "returned None — return the list of the losses after "
                                     "each epoch")
    if isinstance(got, (list, tuple)):
        numbers = all(isinstance(v, (int, float, np.integer, np.floating)) and not
                      isinstance(v, bool) for v in got)
        if not numbers:
            return _train_message(label, f"expected a list of {_TRAIN['epochs']} numbers (one "
                                         f"loss per epoch), got {short(got)}")
        got = np.array(got, dtype=float)
    problem = compare_output(got, expected_losses)
    if problem and not (isinstance(got, np.ndarray) and got.shape == expected_losses.shape
                        and np.isfinite(got).all()):
        return _train_message(label, f"the returned losses: {problem}")
    params_problem = None
    unchanged = all(np.array_equal(got_params[k], start[k]) for k in start)
    for name in expected_params:
        p = compare_output(got_params[name], expected_params[name])
        if p:
            params_problem = f"after training, model.params[{name!r}]: {p}"
            break
    if problem is None and params_problem is None:
        return CheckResult(
            "correct", exercise,
            "Same losses and same final weights as mlbook.layers.fit with plain SGD: shuffle, "
            "slice, forward, loss, backward, step — that is the whole training loop.")
    if unchanged:
        return _train_message(
            label, "the model's parameters did not change",
            "update the arrays in place (p -= lr * g for each p in model.params.values()); "
            "assigning model.params[name] = ... only rebinds an entry of a temporary dict")
    text = (f"the returned losses: {problem}" if problem else "the returned losses are right")
    if params_problem:
        text += f"\n{params_problem}"
    got_losses = np.asarray(got, dtype=float) if isinstance(got, np.ndarray) else None
    for message, switches in _TRAIN_SLIPS:
        losses_v, params_v = _train_variant(X, y, **switches, **_TRAIN)
        params_match = all(_close(got_params[k], params_v[k]) for k in params_v)
        losses_match = got_losses is not None and _close(got_losses, losses_v)
        if params_match and (losses_match or problem is None):
            return _train_message(label, text, message)
    return _train_message(label, text)


# --------------------------------------------------------------------------------------------
# hints

register_hints({
    "dense_backward": [
        "Start from one example and one weight: y_j = Σ_i x_i W_ij + b_j, so ∂L/∂W_ij = "
        "x_i · ∂L/∂y_j. For one example that is an outer product, shape (n_in, n_out).",
        "With N examples every W_ij is used N times, so its gradient is the sum of the N "
        "contributions: Σ_n X[n, i] dY[n, j] — a matrix product of Xᵀ (n_in, N) and dY "
        "(N, n_out). Each b_j is used N times too.",
        "For dX: x_i reaches every y_j through W_ij, so ∂L/∂x_i = Σ_j W_ij ∂L/∂y_j — multiply "
        "dY (N, n_out) by a matrix of shape (n_out, n_in).",
        "dX = dY @ W.T;  dW = X.T @ dY;  db = dY.sum(axis=0);  return dX, dW, db",
    ],
    "two_layer_backward": [
        "Redo the forward pass first and keep net_h, out_h, net_o, out_o. Then go backwards "
        "one layer at a time; write the shape of every array next to it.",
        "The loss is the mean over the batch of Σ ½(t − out)², so dL/d out_o = (out_o − T) / N. "
        "Through the output sigmoid: δ_o = dL/d out_o ⊙ σ'(net_o), with σ'(net) = out (1 − out).",
        "Each layer is a dense layer: dW2 = out_hᵀ δ_o, db2 = Σ_rows δ_o, and the gradient "
        "w.r.t. out_h is δ_o W2ᵀ. Then δ_h = (δ_o W2ᵀ) ⊙ σ'(net_h), dW1 = Xᵀ δ_h, "
        "db1 = Σ_rows δ_h.",
    ],
    "train_epochs": [
        "Create rng = np.random.default_rng(seed) once. Each epoch: idx = rng.permutation(N), "
        "then for start in range(0, N, batch_size): b = idx[start:start + batch_size].",
        "For each mini-batch: out = model.forward(X[b]); loss, dout = loss_fn(out, y[b]); "
        "model.backward(dout). The SAME b indexes X and y.",
        "Then one SGD step, in place: grads = model.grads; for name, p in model.params.items(): "
        "p -= lr * grads[name]. After the epoch append loss_fn(model.forward(X), y)[0].",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.autodiff as autodiff
    import mlbook.gradcheck as gradcheck
    import mlbook.layers.base as layer_base
    import mlbook.layers.dense as dense
    import mlbook.layers.depth as depth
    import mlbook.layers.training as training
    import mlbook.losses as losses
    import mlbook.optim as optim
    import mlbook.worked_example as worked_example
    from mlbook.activations import sigmoid
    from .core import declare_exercise
    this = sys.modules[__name__]
    layers = [this, dense, layer_base, training, depth, losses, gradcheck, autodiff]
    declare_exercise("dense_backward", off_limits=layers)
    declare_exercise("two_layer_backward", off_limits=layers + [worked_example],
                     may_use=[sigmoid])
    declare_exercise("train_epochs", off_limits=[this, training, optim, "mlbook.ladder",
                                                 "mlbook.widgets.classifier"])


_declare()
