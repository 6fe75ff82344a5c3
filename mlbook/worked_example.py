"""The 2-2-2 network of the classic step-by-step backpropagation example (Mazur 2015).

::

    i1 --w1--> h1 --w5--> o1        net_h1 = w1 i1 + w2 i2 + b1     out_h1 = sigma(net_h1)
       \\ w3 /     \\ w7 /             net_h2 = w3 i1 + w4 i2 + b1     out_h2 = sigma(net_h2)
         X          X                net_o1 = w5 out_h1 + w6 out_h2 + b2   out_o1 = sigma(net_o1)
       / w2 \\     / w6 \\             net_o2 = w7 out_h1 + w8 out_h2 + b2   out_o2 = sigma(net_o2)
    i2 --w4--> h2 --w8--> o2        E_o = 1/2 (target_o - out_o)^2,  E_total = E_o1 + E_o2

Sigmoid everywhere, one bias shared by each layer (b1 for the hidden layer, b2 for the output
layer). Every quantity has the name the blog uses, so a notebook can print ``out['out_h1']``
beside the published 0.593269992.

Everything here is plain Python floats (the network is tiny): ``train(steps=10_000)`` runs in a
few milliseconds, fast enough to retrain on every slider move.

The two update orders (``sequential``):

* ``False`` — every gradient is computed from the *same old* weights, then all weights change
  at once. This is the rule the blog's text states, and it is ordinary gradient descent.
* ``True`` — the output weights w5..w8 are updated first and the hidden-layer deltas are then
  computed through the *updated* w5..w8. Some figures the blog and the slides print (the error
  0.291027924 after one update) only come out this way; notebook 02 shows which and why.
"""
import math

import numpy as np

from .optim import DivergenceError
from .validation import as_float_array, check_flag, check_int, check_number, check_positive

__all__ = [
    "INITIAL_PARAMS", "INPUTS", "TARGETS", "PARAM_NAMES", "WEIGHT_NAMES", "BIAS_NAMES",
    "forward", "gradients", "chain_rule_factors", "update", "train", "as_params", "as_pair",
]

PARAM_NAMES = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2")
WEIGHT_NAMES = PARAM_NAMES[:8]
BIAS_NAMES = PARAM_NAMES[8:]

INITIAL_PARAMS = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30,
                  "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55,
                  "b1": 0.35, "b2": 0.60}
INPUTS = (0.05, 0.10)
TARGETS = (0.01, 0.99)


# --------------------------------------------------------------------------------------------
# input validation (public: mlbook.symbolic and mlbook.plots.network validate the same way)

def as_params(params):
    """The ten parameters as a dict of Python floats (``None`` → INITIAL_PARAMS); raises
    naming the parameter that is missing, unknown, not a number or not finite."""
    if params is None:
        return dict(INITIAL_PARAMS)
    if not hasattr(params, "keys") or not hasattr(params, "__getitem__"):
        raise TypeError(f"params must be a dict with keys {', '.join(PARAM_NAMES)}, "
                        f"got {type(params).__name__}")
    unknown = [k for k in params.keys() if k not in PARAM_NAMES]
    if unknown:
        raise ValueError(f"params has unknown parameter name(s) {', '.join(map(repr, unknown))}; "
                         f"expected exactly {', '.join(PARAM_NAMES)}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(map(repr, missing))}; "
                         f"expected exactly {', '.join(PARAM_NAMES)}")
    return {name: check_number(params[name], f"params[{name!r}]") for name in PARAM_NAMES}


def as_pair(pair, name):
    """``inputs`` / ``targets``: two finite real numbers → a tuple of two Python floats."""
    a, b = as_float_array(pair, name, shape=(2,), finite=True, dtype=np.float64)
    return float(a), float(b)




# --------------------------------------------------------------------------------------------
# the network

def _sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x) for a Python float, for any x without overflow.

    ``math.exp(-x)`` raises OverflowError only for x < -709, where sigma(x) = e^x / (1 + e^x)
    (tiny, possibly 0.0) is used instead. Python floats never emit RuntimeWarnings.
    """
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:
        e = math.exp(x)
        return e / (1.0 + e)


def forward(params=None, inputs=INPUTS, targets=TARGETS):
    """Forward pass, every intermediate quantity by name.

    Parameters: ``params`` dict of w1..w8, b1, b2 (default ``INITIAL_PARAMS``); ``inputs``
    (i1, i2); ``targets`` (target_o1, target_o2).

    Returns a dict of Python floats::

        net_h1 = w1 i1 + w2 i2 + b1              out_h1 = sigma(net_h1)
        net_h2 = w3 i1 + w4 i2 + b1              out_h2 = sigma(net_h2)
        net_o1 = w5 out_h1 + w6 out_h2 + b2      out_o1 = sigma(net_o1)
        net_o2 = w7 out_h1 + w8 out_h2 + b2      out_o2 = sigma(net_o2)
        E_o1 = 1/2 (target_o1 - out_o1)^2        E_o2 = 1/2 (target_o2 - out_o2)^2
        E_total = E_o1 + E_o2
    """
    p = as_params(params)
    i1, i2 = as_pair(inputs, "inputs")
    t1, t2 = as_pair(targets, "targets")
    net_h1 = p["w1"] * i1 + p["w2"] * i2 + p["b1"]
    out_h1 = _sigmoid(net_h1)
    net_h2 = p["w3"] * i1 + p["w4"] * i2 + p["b1"]
    out_h2 = _sigmoid(net_h2)
    net_o1 = p["w5"] * out_h1 + p["w6"] * out_h2 + p["b2"]
    out_o1 = _sigmoid(net_o1)
    net_o2 = p["w7"] * out_h1 + p["w8"] * out_h2 + p["b2"]
    out_o2 = _sigmoid(net_o2)
    E_o1 = 0.5 * (t1 - out_o1) ** 2
    E_o2 = 0.5 * (t2 - out_o2) ** 2
    return {"net_h1": net_h1, "out_h1": out_h1, "net_h2": net_h2, "out_h2": out_h2,
            "net_o1": net_o1, "out_o1": out_o1, "net_o2": net_o2, "out_o2": out_o2,
            "E_o1": E_o1, "E_o2": E_o2, "E_total": E_o1 + E_o2}


def chain_rule_factors(params=None, inputs=INPUTS, targets=TARGETS):
    """Every factor of the chain rule the blog prints, by name (dict of Python floats).

    Output layer (w5; w6..w8 alike)::

        dE_dout_o1      = dE_total/dout_o1 = -(target_o1 - out_o1) = out_o1 - target_o1
        dout_o1_dnet_o1 = out_o1 (1 - out_o1)
        dnet_o1_dw5     = out_h1
        dE_dw5          = dE_dout_o1 * dout_o1_dnet_o1 * dnet_o1_dw5

    Hidden layer (w1; w2..w4 alike). out_h1 feeds both outputs, so two paths add up::

        dE_o1_dnet_o1    = dE_dout_o1 * dout_o1_dnet_o1           (the output delta of o1)
        dnet_o1_dout_h1  = w5
        dE_o1_dout_h1    = dE_o1_dnet_o1 * dnet_o1_dout_h1
        dE_o2_dnet_o2    = dE_dout_o2 * dout_o2_dnet_o2
        dnet_o2_dout_h1  = w7
        dE_o2_dout_h1    = dE_o2_dnet_o2 * dnet_o2_dout_h1
        dE_total_dout_h1 = dE_o1_dout_h1 + dE_o2_dout_h1
        dout_h1_dnet_h1  = out_h1 (1 - out_h1)
        dnet_h1_dw1      = i1
        dE_dw1           = dE_total_dout_h1 * dout_h1_dnet_h1 * dnet_h1_dw1

    The dict also holds the same factors for h2 and for every other weight, and the
    gradients of the two shared biases: dE_db2 = dE_o1_dnet_o1 + dE_o2_dnet_o2,
    dE_db1 = dE_total_dnet_h1 + dE_total_dnet_h2.
    """
    p = as_params(params)
    i1, i2 = as_pair(inputs, "inputs")
    t1, t2 = as_pair(targets, "targets")
    f = forward(p, (i1, i2), (t1, t2))
    c = {}
    # output layer
    c["dE_dout_o1"] = f["out_o1"] - t1
    c["dE_dout_o2"] = f["out_o2"] - t2
    c["dout_o1_dnet_o1"] = f["out_o1"] * (1.0 - f["out_o1"])
    c["dout_o2_dnet_o2"] = f["out_o2"] * (1.0 - f["out_o2"])
    c["dE_o1_dnet_o1"] = c["dE_dout_o1"] * c["dout_o1_dnet_o1"]
    c["dE_o2_dnet_o2"] = c["dE_dout_o2"] * c["dout_o2_dnet_o2"]
    c["dnet_o1_dw5"] = f["out_h1"]
    c["dnet_o1_dw6"] = f["out_h2"]
    c["dnet_o2_dw7"] = f["out_h1"]
    c["dnet_o2_dw8"] = f["out_h2"]
    c["dE_dw5"] = c["dE_dout_o1"] * c["dout_o1_dnet_o1"] * c["dnet_o1_dw5"]
    c["dE_dw6"] = c["dE_dout_o1"] * c["dout_o1_dnet_o1"] * c["dnet_o1_dw6"]
    c["dE_dw7"] = c["dE_dout_o2"] * c["dout_o2_dnet_o2"] * c["dnet_o2_dw7"]
    c["dE_dw8"] = c["dE_dout_o2"] * c["dout_o2_dnet_o2"] * c["dnet_o2_dw8"]
    # hidden layer: out_h1 reaches E_total through o1 (via w5) and o2 (via w7)
    c["dnet_o1_dout_h1"] = p["w5"]
    c["dnet_o2_dout_h1"] = p["w7"]
    c["dnet_o1_dout_h2"] = p["w6"]
    c["dnet_o2_dout_h2"] = p["w8"]
    c["dE_o1_dout_h1"] = c["dE_o1_dnet_o1"] * c["dnet_o1_dout_h1"]
    c["dE_o2_dout_h1"] = c["dE_o2_dnet_o2"] * c["dnet_o2_dout_h1"]
    c["dE_o1_dout_h2"] = c["dE_o1_dnet_o1"] * c["dnet_o1_dout_h2"]
    c["dE_o2_dout_h2"] = c["dE_o2_dnet_o2"] * c["dnet_o2_dout_h2"]
    c["dE_total_dout_h1"] = c["dE_o1_dout_h1"] + c["dE_o2_dout_h1"]
    c["dE_total_dout_h2"] = c["dE_o1_dout_h2"] + c["dE_o2_dout_h2"]
    c["dout_h1_dnet_h1"] = f["out_h1"] * (1.0 - f["out_h1"])
    c["dout_h2_dnet_h2"] = f["out_h2"] * (1.0 - f["out_h2"])
    c["dE_total_dnet_h1"] = c["dE_total_dout_h1"] * c["dout_h1_dnet_h1"]
    c["dE_total_dnet_h2"] = c["dE_total_dout_h2"] * c["dout_h2_dnet_h2"]
    c["dnet_h1_dw1"] = i1
    c["dnet_h1_dw2"] = i2
    c["dnet_h2_dw3"] = i1
    c["dnet_h2_dw4"] = i2
    c["dE_dw1"] = c["dE_total_dout_h1"] * c["dout_h1_dnet_h1"] * c["dnet_h1_dw1"]
    c["dE_dw2"] = c["dE_total_dout_h1"] * c["dout_h1_dnet_h1"] * c["dnet_h1_dw2"]
    c["dE_dw3"] = c["dE_total_dout_h2"] * c["dout_h2_dnet_h2"] * c["dnet_h2_dw3"]
    c["dE_dw4"] = c["dE_total_dout_h2"] * c["dout_h2_dnet_h2"] * c["dnet_h2_dw4"]
    # shared biases: dnet/db = 1 for both nets of the layer
    c["dE_db2"] = c["dE_o1_dnet_o1"] + c["dE_o2_dnet_o2"]
    c["dE_db1"] = c["dE_total_dnet_h1"] + c["dE_total_dnet_h2"]
    return c


def gradients(params=None, inputs=INPUTS, targets=TARGETS):
    """dE_total/dp for every parameter p, keyed by the parameter's name (w1..w8, b1, b2).

    Output layer: delta_o = (out_o - target_o) out_o (1 - out_o); dE/dw5 = delta_o1 out_h1, ...
    Hidden layer: delta_h1 = (delta_o1 w5 + delta_o2 w7) out_h1 (1 - out_h1); dE/dw1 = delta_h1 i1, ...
    Shared biases: dE/db2 = delta_o1 + delta_o2; dE/db1 = delta_h1 + delta_h2.
    """
    c = chain_rule_factors(params, inputs, targets)
    return {name: c["dE_d" + name] for name in PARAM_NAMES}


def update(params=None, lr=0.5, *, biases=False, sequential=False, inputs=INPUTS,
           targets=TARGETS):
    """One step of gradient descent, p <- p - lr dE_total/dp. Returns a new dict.

    ``params`` is not modified. With ``biases=False`` (the blog) b1 and b2 stay fixed.

    ``sequential=False``: every gradient from the same old parameters (the stated rule).
    ``sequential=True``: w5..w8 (and b2) are updated first; the hidden deltas are then computed
    through the UPDATED w5..w8:  delta_h1 = (delta_o1 w5_new + delta_o2 w7_new) out_h1 (1 - out_h1).
    The output deltas and all forward values still come from the old parameters.
    """
    p = as_params(params)
    lr = check_positive(lr, "lr")
    biases = check_flag(biases, "biases")
    sequential = check_flag(sequential, "sequential")
    new = _step(p, lr, biases, sequential, as_pair(inputs, "inputs"), as_pair(targets, "targets"))
    _check_finite(new, lr, step=1)
    return new


def _step(p, lr, biases, sequential, inputs, targets):
    """:func:`update` on checked arguments (a dict of floats, lr > 0, flags, two pairs)."""
    (i1, i2), (t1, t2) = inputs, targets
    f = forward(p, (i1, i2), (t1, t2))
    out_h1, out_h2, out_o1, out_o2 = f["out_h1"], f["out_h2"], f["out_o1"], f["out_o2"]
    delta_o1 = (out_o1 - t1) * out_o1 * (1.0 - out_o1)
    delta_o2 = (out_o2 - t2) * out_o2 * (1.0 - out_o2)
    new = dict(p)
    new["w5"] = p["w5"] - lr * delta_o1 * out_h1
    new["w6"] = p["w6"] - lr * delta_o1 * out_h2
    new["w7"] = p["w7"] - lr * delta_o2 * out_h1
    new["w8"] = p["w8"] - lr * delta_o2 * out_h2
    back = new if sequential else p           # which w5..w8 the hidden deltas go through
    delta_h1 = (delta_o1 * back["w5"] + delta_o2 * back["w7"]) * out_h1 * (1.0 - out_h1)
    delta_h2 = (delta_o1 * back["w6"] + delta_o2 * back["w8"]) * out_h2 * (1.0 - out_h2)
    new["w1"] = p["w1"] - lr * delta_h1 * i1
    new["w2"] = p["w2"] - lr * delta_h1 * i2
    new["w3"] = p["w3"] - lr * delta_h2 * i1
    new["w4"] = p["w4"] - lr * delta_h2 * i2
    if biases:
        new["b2"] = p["b2"] - lr * (delta_o1 + delta_o2)
        new["b1"] = p["b1"] - lr * (delta_h1 + delta_h2)
    return new


def _check_finite(p, lr, step):
    """DivergenceError carrying ``step`` and the parameter's ``name`` if one is not finite."""
    for name in PARAM_NAMES:
        if not math.isfinite(p[name]):
            raise DivergenceError(
                f"training diverged at step {step}: {name} became {p[name]} "
                f"(lr={lr} is too large for float64); use a smaller lr", name=name, step=step,
                quantity="parameter")


def train(steps=10_000, lr=0.5, *, params=None, biases=False, sequential=False,
          inputs=INPUTS, targets=TARGETS):
    """Run ``steps`` updates (see :func:`update`). Returns ``(params, errors)``.

    ``errors`` is a float ndarray of shape (steps + 1,): ``errors[0]`` is the initial E_total,
    ``errors[k]`` the error after k updates.

    Divergence. The sigmoid is evaluated stably and saturates, so any finite learning rate
    (1e6, even 1e300) gives a finite history: after the first huge step the units saturate,
    their gradients out (1 - out) become 0 and the error plateaus (notebook 02 shows this).
    Only if a parameter itself overflows float64 (possible with extreme ``inputs``, e.g. 1e300)
    does ``train`` stop, with ``mlbook.optim.DivergenceError`` (a ValueError) whose ``.step``
    and ``.name`` say where ("training diverged at step k: w1 became -inf ..."). No
    RuntimeWarning is ever emitted (plain Python floats, stable sigmoid).

    The loop below is :func:`update` written out on local float variables (no dicts in the
    loop), so 10,000 steps take a few milliseconds; the tests check it against ``update``.
    """
    steps = check_int(steps, "steps", minimum=0)
    lr = check_positive(lr, "lr")
    biases = check_flag(biases, "biases")
    sequential = check_flag(sequential, "sequential")
    p = as_params(params)
    i1, i2 = as_pair(inputs, "inputs")
    t1, t2 = as_pair(targets, "targets")
    w1, w2, w3, w4, w5, w6, w7, w8, b1, b2 = (p[n] for n in PARAM_NAMES)
    exp, sig = math.exp, _sigmoid
    errors = [0.0] * (steps + 1)
    for k in range(steps + 1):
        # forward (the fast formula; the stable one only if exp overflows, as in _sigmoid)
        n1 = w1 * i1 + w2 * i2 + b1
        n2 = w3 * i1 + w4 * i2 + b1
        try:
            h1 = 1.0 / (1.0 + exp(-n1))
            h2 = 1.0 / (1.0 + exp(-n2))
            n3 = w5 * h1 + w6 * h2 + b2
            n4 = w7 * h1 + w8 * h2 + b2
            o1 = 1.0 / (1.0 + exp(-n3))
            o2 = 1.0 / (1.0 + exp(-n4))
        except OverflowError:
            h1, h2 = sig(n1), sig(n2)
            n3 = w5 * h1 + w6 * h2 + b2
            n4 = w7 * h1 + w8 * h2 + b2
            o1, o2 = sig(n3), sig(n4)
        e1 = t1 - o1
        e2 = t2 - o2
        errors[k] = 0.5 * e1 ** 2 + 0.5 * e2 ** 2
        if k == steps:
            break
        # backward: output deltas, then the output-layer update
        d1 = (o1 - t1) * o1 * (1.0 - o1)
        d2 = (o2 - t2) * o2 * (1.0 - o2)
        n5 = w5 - lr * d1 * h1
        n6 = w6 - lr * d1 * h2
        n7 = w7 - lr * d2 * h1
        n8 = w8 - lr * d2 * h2
        if sequential:
            w5, w6, w7, w8 = n5, n6, n7, n8
        dh1 = (d1 * w5 + d2 * w7) * h1 * (1.0 - h1)
        dh2 = (d1 * w6 + d2 * w8) * h2 * (1.0 - h2)
        w5, w6, w7, w8 = n5, n6, n7, n8
        w1 -= lr * dh1 * i1
        w2 -= lr * dh1 * i2
        w3 -= lr * dh2 * i1
        w4 -= lr * dh2 * i2
        if biases:
            b2 -= lr * (d1 + d2)
            b1 -= lr * (dh1 + dh2)
    final = (w1, w2, w3, w4, w5, w6, w7, w8, b1, b2)
    if not all(map(math.isfinite, final)):
        # inf/nan never turn finite again, so checking the end is enough; replay step by step
        # (checking each one) to name the step where it happened
        q = dict(p)
        for step in range(1, steps + 1):
            q = _step(q, lr, biases, sequential, (i1, i2), (t1, t2))
            _check_finite(q, lr, step)
        raise DivergenceError(f"training diverged within {steps} steps (lr={lr} is too large "
                              f"for float64); use a smaller lr", step=steps)
    return dict(zip(PARAM_NAMES, final)), np.array(errors, dtype=float)


# --------------------------------------------------------------------------------------------
# the same network with matrices (notebook 04)

__all__ += ["WEIGHT_POSITIONS", "as_matrices"]

# Where each named weight sits in the batch-first matrices: net_h = X W1 + b1 with X (N, 2),
# so column j of W1 holds the weights INTO hidden unit j (row i: from input i).
WEIGHT_POSITIONS = {"w1": ("W1", 0, 0), "w2": ("W1", 1, 0), "w3": ("W1", 0, 1), "w4": ("W1", 1, 1),
                    "w5": ("W2", 0, 0), "w6": ("W2", 1, 0), "w7": ("W2", 0, 1), "w8": ("W2", 1, 1)}


def as_matrices(params=None):
    """The ten named parameters as the arrays of a batch-first 2-2-2 network.

    Returns ``(W1, b1, W2, b2)``, new float arrays of shapes (2, 2), (2,), (2, 2), (2,)::

        W1 = [[w1, w3],      b1 = [b1, b1]      net_h = X W1 + b1     X (N, 2), net_h (N, 2)
              [w2, w4]]
        W2 = [[w5, w7],      b2 = [b2, b2]      net_o = out_h W2 + b2           net_o (N, 2)
              [w6, w8]]

    Row i of a weight matrix is the unit the weight comes from, column j the unit it goes to
    (``WEIGHT_POSITIONS`` lists every name's place). The shared bias of a layer appears once per
    unit, so its gradient is the sum of the two entries of ``db``.
    """
    p = as_params(params)
    mats = {"W1": np.empty((2, 2)), "W2": np.empty((2, 2))}
    for name, (matrix, i, j) in WEIGHT_POSITIONS.items():
        mats[matrix][i, j] = p[name]
    return mats["W1"], np.full(2, p["b1"]), mats["W2"], np.full(2, p["b2"])
