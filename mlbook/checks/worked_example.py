"""Checkers for the forward-pass notebook (01) and the worked-example notebook (02).

01: ``net_for_output(y)`` (the net input at which a sigmoid unit outputs y) and
``layer_forward(W, X, b)`` (a layer of sigmoid units on a batch). 02: ``total_error(params)``
(the whole forward pass), ``dE_dw7(params)`` (an output weight the text does not derive) and
``dE_dw4(params)`` (a hidden weight the text does not derive). ``neuron_output`` is the
warm-up of notebook 00.

Every checker takes the student's function and returns a :class:`~mlbook.checks.core.CheckResult`
(✅ / ❌ with the input, the expected and the returned value, and — when the wrong answer is a
known mistake — a sentence naming it / ⏳). The references are mlbook's own functions.
"""
import math

import numpy as np

from mlbook.activations import sigmoid
from mlbook.checks.core import Case, check_function, register_hints

__all__ = [
    "check_neuron_output", "check_net_for_output", "check_layer_forward",
    "check_total_error", "check_dE_dw7", "check_dE_dw4",
]


def _close(got, value):
    """True when the student's output ``got`` is numerically ``value`` (scalar or array)."""
    try:
        g = np.asarray(got, dtype=float)
        v = np.asarray(value, dtype=float)
        return g.shape == v.shape and bool(np.allclose(g, v, rtol=1e-6, atol=1e-12))
    except (TypeError, ValueError):
        return False


def _first_match(got, candidates):
    for value, message in candidates:
        if _close(got, value):
            return message
    return None


# ============================================================================================
# notebook 01 — one neuron, one layer
# ============================================================================================

def _neuron_output(x, w, b):
    """out = sigma(w . x + b) for 1-D x, w (same length) and a scalar b."""
    return float(sigmoid(np.dot(w, x) + b))


def _diagnose_neuron(got, case):
    x, w, b = case.args
    net = float(np.dot(w, x) + b)
    return _first_match(got, [
        (net, "you returned the net input w·x + b; the neuron's output applies the "
              "sigmoid to it: σ(w·x + b)."),
        (float(sigmoid(np.dot(w, x))), "the bias b is missing: net = w·x + b."),
        (math.tanh(net), "that is tanh(net); this neuron uses the sigmoid σ(z) = 1/(1 + e^(−z))."),
        (float(sigmoid(-net)), "sign error: σ(z) = 1/(1 + e^(−z)), with a minus in the exponent."),
        (float(sigmoid(np.sum(x) * np.sum(w) + b)), "multiply each input by ITS weight and add "
                                                     "(a dot product), not sum × sum."),
    ])


def check_neuron_output(student_fn):
    """Check ``neuron_output(x, w, b) -> float``: sigma(w . x + b)."""
    cases = [
        Case(np.array([2.0, 3.0, -1.0]), np.array([0.1, 0.5, 2.5]), 3.0,
             label="the slide's neuron: x = [2, 3, -1], w = [0.1, 0.5, 2.5], b = 3.0"),
        Case(np.array([0.0, 0.0]), np.array([1.0, -1.0]), 0.0, label="x = [0, 0], w = [1, -1], b = 0"),
        Case(np.array([0.05, 0.10]), np.array([0.15, 0.20]), 0.35,
             label="h1 of the worked example: x = [0.05, 0.10], w = [0.15, 0.20], b = 0.35"),
        Case(np.array([1.0, -2.0, 0.5, 4.0]), np.array([-0.3, 0.8, 1.5, -0.25]), -0.5,
             label="x = [1, -2, 0.5, 4], w = [-0.3, 0.8, 1.5, -0.25], b = -0.5"),
    ]
    return check_function(student_fn, _neuron_output, cases, exercise="neuron_output",
                          why="A neuron is a weighted sum plus a bias, squashed by an activation.",
                          diagnose=_diagnose_neuron)


def _net_for_output(y):
    """The net input z with sigmoid(z) = y, elementwise, for y in (0, 1)."""
    y = np.asarray(y, dtype=float)
    return np.log(y) - np.log1p(-y)


def _diagnose_net_for_output(got, case):
    (y,) = case.args
    with np.errstate(all="ignore"):
        return _first_match(got, [
            (-_net_for_output(y), "sign error: a large output needs a large POSITIVE net input "
                                  "(σ(z) > 0.5 exactly when z > 0)."),
            ((1 - y) / y, "that is e^(−z); take the logarithm to get −z, then flip the sign."),
            (y / (1 - y), "that is e^(z); one logarithm more gives z."),
            (np.log(y), "ln(y) alone ignores the 1 in 1/(1 + e^(−z)): solve for e^(−z) first."),
            (-np.log(y), "−ln(y) ignores the 1 in 1/(1 + e^(−z)): solve for e^(−z) first."),
            (np.log(1 / y + 1), "1/y = 1 + e^(−z), so e^(−z) = 1/y − 1 (minus, not plus)."),
        ])


def check_net_for_output(student_fn):
    """Check ``net_for_output(y) -> ndarray`` (same shape as y): the sigmoid's inverse."""
    cases = [
        Case(np.array([0.5, 0.8]), label="y = [0.5, 0.8] (0.5: the middle of the sigmoid)"),
        Case(np.array([0.9, 0.1]), label="y = [0.9, 0.1]"),
        Case(np.array([0.900249511, 0.593269992, 0.751365070]),
             label="y = the slides' neuron 0.900249511, out_h1 0.593269992, out_o1 0.751365070"),
        Case(np.array([[1e-6, 0.25], [0.75, 1 - 1e-6]]), label="y of shape (2, 2), near 0 and 1"),
    ]
    return check_function(student_fn, _net_for_output, cases, exercise="net_for_output",
                          why="The inverse of the sigmoid is the log-odds ln(y / (1 − y)) "
                              "('logit'): every output in (0, 1) has exactly one net input.",
                          rtol=1e-6, atol=1e-9, diagnose=_diagnose_net_for_output)


def _layer_forward(W, X, b):
    """out = sigma(X @ W.T + b): W (n_out, n_in), X (N, n_in), b (n_out,) -> (N, n_out)."""
    return sigmoid(X @ W.T + b)


def _diagnose_layer(got, case):
    W, X, b = case.args
    candidates = [
        (X @ W.T + b, "you returned the net inputs; apply the sigmoid to them."),
        (sigmoid(X @ W.T), "the bias b is missing."),
        (np.tanh(X @ W.T + b), "that is tanh; this layer uses the sigmoid."),
        (sigmoid(X @ W.T + b).T, "transposed: one ROW per example, one column per unit."),
    ]
    if W.shape[0] == W.shape[1]:
        candidates.append((sigmoid(X @ W + b), "W is used transposed: row j of W holds the "
                                               "weights INTO unit j, and each row of X is one "
                                               "example."))
    return _first_match(got, candidates)


def check_layer_forward(student_fn):
    """Check ``layer_forward(W, X, b) -> ndarray (N, n_out)`` on a batch X (N, n_in)."""
    rng = np.random.default_rng(1)
    W_we = np.array([[0.15, 0.20], [0.25, 0.30]])
    cases = [
        Case(W_we, np.array([[0.05, 0.10]]), np.array([0.35, 0.35]),
             label="the worked example's hidden layer, a batch of one: "
                   "W = [[0.15, 0.20], [0.25, 0.30]], X = [[0.05, 0.10]], b = [0.35, 0.35]"),
        Case(np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]),
             np.array([0.5]), label="one unit, three inputs, two examples: W (1, 3), X (2, 3)"),
        Case(np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]]),
             np.array([0.1, -0.2]), label="W = [[0.5, -1], [2, 0.25]], X (3, 2), b = [0.1, -0.2]"),
        Case(rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=4),
             label="random W (4, 3), X (5, 3), b (4,) (seed 1)"),
    ]
    return check_function(student_fn, _layer_forward, cases, exercise="layer_forward",
                          why="One matrix product computes every unit for every example at once.",
                          diagnose=_diagnose_layer)


# ============================================================================================
# notebook 02 — the 2-2-2 worked example
# ============================================================================================

def _cases_02():
    """INITIAL_PARAMS, the weights after one update, and random weights (seed 2)."""
    from mlbook.worked_example import INITIAL_PARAMS, PARAM_NAMES, update
    rng = np.random.default_rng(2)
    other = dict(zip(PARAM_NAMES, (float(v) for v in rng.uniform(-1.0, 1.0, size=10))))
    return [
        Case(dict(INITIAL_PARAMS), label="INITIAL_PARAMS (the blog's weights)"),
        Case(update(INITIAL_PARAMS), label="the weights after one update"),
        Case(other, label="random weights in [-1, 1] (seed 2): "
             + ", ".join(f"{k}={v:.3f}" for k, v in other.items())),
    ]


def _parts(params):
    """Forward values and both output deltas at ``params`` (worked example's inputs/targets)."""
    from mlbook.worked_example import INPUTS, TARGETS, forward
    f = forward(params)
    d1 = (f["out_o1"] - TARGETS[0]) * f["out_o1"] * (1 - f["out_o1"])
    d2 = (f["out_o2"] - TARGETS[1]) * f["out_o2"] * (1 - f["out_o2"])
    return f, d1, d2, INPUTS, TARGETS


def _total_error(params):
    from mlbook.worked_example import forward
    return forward(params)["E_total"]


def _diagnose_total_error(got, case):
    from mlbook.worked_example import forward
    (p,) = case.args
    f, _, _, (i1, i2), (t1, t2) = _parts(p)
    swapped = dict(p, w2=p["w3"], w3=p["w2"], w6=p["w7"], w7=p["w6"])
    no_bias = dict(p, b1=0.0, b2=0.0)
    return _first_match(got, [
        (2 * f["E_total"], "the factor ½ is missing: E_total = ½(t1 − o1)² + ½(t2 − o2)²."),
        (f["E_o1"], "that is E_o1 alone; add the second output's error."),
        (0.5 * ((t2 - f["out_o1"]) ** 2 + (t1 - f["out_o2"]) ** 2),
         "the targets are swapped: target_o1 = 0.01 goes with out_o1."),
        (forward(swapped)["E_total"], "the weights are wired the wrong way round: w2 goes from "
                                      "i2 to h1 and w3 from i1 to h2 (row by row)."),
        (forward(no_bias)["E_total"], "the biases are missing: b1 enters both hidden units, "
                                      "b2 both output units."),
        (forward(dict(p, b1=p["b2"], b2=p["b1"]))["E_total"], "b1 and b2 are swapped: b1 "
                                                                "belongs to the hidden layer."),
    ])


def check_total_error(student_fn):
    """Check ``total_error(params) -> float``: E_total of the 2-2-2 network at ``params``."""
    return check_function(student_fn, _total_error, _cases_02(), exercise="total_error",
                          why="The whole forward pass: four weighted sums, four sigmoids and the "
                              "squared error.",
                          rtol=1e-9, atol=1e-12, diagnose=_diagnose_total_error)


def _dE_dw7(params):
    from mlbook.worked_example import gradients
    return gradients(params)["w7"]


def _diagnose_dE_dw7(got, case):
    (p,) = case.args
    f, d1, d2, _, _ = _parts(p)
    o2 = f["out_o2"]
    return _first_match(got, [
        (-d2 * f["out_h1"], "wrong sign: ∂E/∂out_o2 = out_o2 − target_o2."),
        (d1 * f["out_h1"], "that is ∂E/∂w5: w7 feeds o2, so use out_o2 and target_o2."),
        (d2 * f["out_h2"], "that is ∂E/∂w8: w7 starts at h1, so ∂net_o2/∂w7 = out_h1."),
        (d2 / (o2 * (1 - o2)) * f["out_h1"], "the factor ∂out_o2/∂net_o2 = out_o2 (1 − out_o2) "
                                              "is missing."),
        (d2, "the last factor ∂net_o2/∂w7 = out_h1 is missing."),
        (d2 * p["w7"], "∂net_o2/∂w7 is the value w7 multiplies (out_h1), not w7 itself."),
    ])


def check_dE_dw7(student_fn):
    """Check ``dE_dw7(params) -> float``: dE_total/dw7 of the worked example at ``params``."""
    return check_function(student_fn, _dE_dw7, _cases_02(), exercise="dE_dw7",
                          why="Same three factors as for w5, along w7's own path: "
                              "E_total ← out_o2 ← net_o2 ← w7.",
                          rtol=1e-6, atol=1e-12, diagnose=_diagnose_dE_dw7)


def _dE_dw4(params):
    from mlbook.worked_example import gradients
    return gradients(params)["w4"]


def _diagnose_dE_dw4(got, case):
    (p,) = case.args
    f, d1, d2, (i1, i2), _ = _parts(p)
    s2 = f["out_h2"] * (1 - f["out_h2"])
    s1 = f["out_h1"] * (1 - f["out_h1"])
    both = d1 * p["w6"] + d2 * p["w8"]
    return _first_match(got, [
        (-both * s2 * i2, "wrong sign: ∂E/∂out_o = out_o − target_o."),
        (d1 * p["w6"] * s2 * i2, "only the path through o1 is there: out_h2 also feeds o2 "
                                 "(through w8); the two paths add."),
        (d2 * p["w8"] * s2 * i2, "only the path through o2 is there: add the path through o1 "
                                 "(through w6)."),
        ((d1 * p["w5"] + d2 * p["w7"]) * s2 * i2, "w5 and w7 leave h1; out_h2 reaches o1 "
                                                  "through w6 and o2 through w8."),
        (both * s1 * i2, "the sigmoid factor belongs to h2 (w4 enters h2): out_h2 (1 − out_h2)."),
        (both * i2, "the factor ∂out_h2/∂net_h2 = out_h2 (1 − out_h2) is missing."),
        (both * s2, "the last factor ∂net_h2/∂w4 = i2 is missing."),
        (both * s2 * i1, "∂net_h2/∂w4 is i2 (what w4 multiplies), not i1."),
    ])


def check_dE_dw4(student_fn):
    """Check ``dE_dw4(params) -> float``: dE_total/dw4 of the worked example at ``params``."""
    return check_function(student_fn, _dE_dw4, _cases_02(), exercise="dE_dw4",
                          why="A hidden weight collects the error from every output its unit "
                              "feeds: the paths add up.",
                          rtol=1e-6, atol=1e-12, diagnose=_diagnose_dE_dw4)


register_hints({
    "neuron_output": [
        "First the net input: multiply each input by its weight, add them up, add the bias "
        "(`np.dot(w, x) + b`).",
        "Then squash it: `sigmoid(net)` from mlbook.activations, or `1 / (1 + np.exp(-net))`.",
    ],
    "net_for_output": [
        "Write y = 1 / (1 + e^(−z)) and solve for z, one step at a time. First: 1/y = 1 + e^(−z).",
        "So e^(−z) = 1/y − 1 = (1 − y)/y. Take the natural logarithm of both sides.",
        "z = −ln((1 − y)/y) = ln(y / (1 − y)); in numpy `np.log(y) - np.log1p(-y)` "
        "(log1p stays accurate for y near 0).",
    ],
    "layer_forward": [
        "Each ROW of X is one example; row j of W holds the weights INTO unit j. Work out the "
        "shapes first: you need (N, n_in) times something of shape (n_in, n_out).",
        "`X @ W.T` has shape (N, n_out): entry (i, j) is example i's weighted sum for unit j. "
        "Add b (n_out,) — numpy broadcasts it over the rows.",
        "Finally apply `sigmoid` to the whole array: `sigmoid(X @ W.T + b)`.",
    ],
    "total_error": [
        "Hidden layer first: net_h1 = w1·i1 + w2·i2 + b1 and net_h2 = w3·i1 + w4·i2 + b1; "
        "out_h = σ(net_h) (`sigmoid` is imported).",
        "Output layer from the hidden outputs: net_o1 = w5·out_h1 + w6·out_h2 + b2, "
        "net_o2 = w7·out_h1 + w8·out_h2 + b2; out_o = σ(net_o).",
        "E_total = ½(target_o1 − out_o1)² + ½(target_o2 − out_o2)², with INPUTS and TARGETS.",
    ],
    "dE_dw7": [
        "Which output does w7 feed, and from which hidden unit? Follow the path "
        "E_total ← out_o2 ← net_o2 ← w7: one factor per arrow.",
        "∂E_total/∂out_o2 = out_o2 − target_o2 and ∂out_o2/∂net_o2 = out_o2 (1 − out_o2) "
        "(`f = forward(params)` gives every out_*).",
        "net_o2 = w7·out_h1 + w8·out_h2 + b2, so ∂net_o2/∂w7 = out_h1. Multiply the three.",
    ],
    "dE_dw4": [
        "w4 enters net_h2 = w3·i1 + w4·i2 + b1. Which outputs does out_h2 feed, and through "
        "which weights? (w6 to o1, w8 to o2.)",
        "With the output deltas δ_o = (out_o − target_o)·out_o·(1 − out_o): "
        "∂E_total/∂out_h2 = δ_o1·w6 + δ_o2·w8 — one term per path.",
        "Then times ∂out_h2/∂net_h2 = out_h2 (1 − out_h2) and ∂net_h2/∂w4 = i2 = INPUTS[1].",
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
    import mlbook.losses as losses
    import mlbook.worked_example as worked_example
    from mlbook.checks.core import declare_exercise
    this = sys.modules[__name__]
    declare_exercise("neuron_output", off_limits=[this, dense, layer_base, worked_example])
    declare_exercise("net_for_output", off_limits=[this, "mlbook.symbolic"])
    declare_exercise("layer_forward", off_limits=[this, dense, layer_base, worked_example])
    forward_pass = [this, worked_example, autodiff, losses, dense, layer_base, "mlbook.symbolic"]
    declare_exercise("total_error", off_limits=forward_pass)
    for name in ("dE_dw7", "dE_dw4"):
        declare_exercise(name, off_limits=forward_pass + [gradcheck],
                         may_use=[worked_example.forward, worked_example.as_params])


_declare()
