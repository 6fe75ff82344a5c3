"""Exercise checkers for notebook 05 (activation functions): ``sigmoid_grad``, ``tanh_grad``,
``softmax``.

Each checker compares the student's function with mlbook's reference on a few inputs, easiest
first, and when a value is wrong it tries to recognise the mistake (σ instead of σ', a missing
square, a wrong sign, s(1 − s) applied to x instead of to σ(x), a softmax that overflows or
normalises along the wrong axis) and names it.
"""
import numpy as np

from mlbook.activations import sigmoid, softmax, tanh
from mlbook.activations import sigmoid_grad as _sigmoid_grad
from mlbook.activations import tanh_grad as _tanh_grad
from mlbook.checks.core import (Case, NotAttempted, check_function, close_to, guarded_call,
                                register_hints)

__all__ = ["check_sigmoid_grad", "check_tanh_grad", "check_softmax"]


_matches = close_to


def _first_match(got, candidates):
    with np.errstate(all="ignore"):
        for message, make in candidates:
            try:
                candidate = make()
            except Exception:  # noqa: BLE001
                continue
            if _matches(got, candidate):
                return message
    return None


def _diagnose_on_probe(student, probe, diagnose, exercise):
    """A ``diagnose(got, case)`` that looks at the student's output on ``probe``, an input where
    the plausible mistakes all give different numbers (at x = 0, σ = 1 − σ, for instance)."""
    def run(got, case):
        try:
            got_probe, error = guarded_call(student, Case(probe.copy()), exercise=exercise)
        except NotAttempted:
            return None
        return None if error else diagnose(got_probe, Case(probe.copy()))
    return run


# --------------------------------------------------------------------------------------------
# sigmoid_grad

_X_SIG = np.array([-4.0, -1.0, 0.0, 0.5, 2.0])


def _diagnose_sigmoid_grad(got, case):
    x = np.asarray(case.args[0], dtype=float)
    s = sigmoid(x)
    return _first_match(got, [
        ("you returned σ(x) itself; the derivative is σ(x)·(1 − σ(x))", lambda: s),
        ("wrong sign: σ'(x) = σ(x)(1 − σ(x)) is positive everywhere (σ is increasing)",
         lambda: -s * (1 - s)),
        ("σ(x)(1 + σ(x)) — the factor is (1 − σ(x)), with a minus", lambda: s * (1 + s)),
        ("you applied s(1 − s) to x itself; first compute s = sigmoid(x), then s * (1 - s)",
         lambda: x * (1 - x)),
        ("a factor is missing: you returned 1 − σ(x) (= e^-x / (1 + e^-x), the denominator not "
         "squared); multiply by σ(x)", lambda: 1 - s),
        ("a factor is missing: σ(x)² is not σ'(x); it is σ(x)·(1 − σ(x))", lambda: s * s),
        ("you returned e^-x, the derivative of the exponent only; finish the quotient rule: "
         "e^-x / (1 + e^-x)²", lambda: np.exp(-x)),
    ])


def check_sigmoid_grad(sigmoid_grad):
    """Check ``sigmoid_grad(x) -> σ'(x)`` (elementwise, same shape as x)."""
    cases = [
        Case(np.array([0.0]), label="x = [0.0] (σ'(0) should be 0.25)"),
        Case(_X_SIG.copy()),
        Case(np.array([[-2.0, 0.0, 3.0], [1.0, -0.5, 6.0]]), label="a (2, 3) array"),
        Case(np.array([-30.0, 30.0]), label="x = [-30, 30] (saturated: σ' ≈ 9.4e-14)"),
    ]
    return check_function(
        sigmoid_grad, _sigmoid_grad, cases, exercise="sigmoid_grad",
        why="σ'(x) = σ(x)(1 − σ(x)) ≤ 1/4: every sigmoid layer shrinks the backward signal by at "
            "least 4×.",
        diagnose=_diagnose_on_probe(sigmoid_grad, _X_SIG, _diagnose_sigmoid_grad, "sigmoid_grad"))


# --------------------------------------------------------------------------------------------
# tanh_grad

_X_TANH = np.array([-3.0, -1.0, 0.25, 1.0, 2.0])

def _diagnose_tanh_grad(got, case):
    x = np.asarray(case.args[0], dtype=float)
    t = tanh(x)
    return _first_match(got, [
        ("you returned tanh(x) itself; the derivative is 1 − tanh(x)²", lambda: t),
        ("missing square: 1 − tanh(x) is not the derivative; it is 1 − tanh(x)²",
         lambda: 1 - t),
        ("wrong sign: 1 + tanh(x)² — the derivative is 1 − tanh(x)² (at most 1)",
         lambda: 1 + t ** 2),
        ("wrong sign: the derivative of tanh is positive everywhere (tanh is increasing)",
         lambda: t ** 2 - 1),
        ("you applied 1 − t² to x itself; first compute t = tanh(x), then 1 - t**2",
         lambda: 1 - x ** 2),
        ("(1 − tanh(x))² squares the wrong thing; square tanh(x) first: 1 − tanh(x)²",
         lambda: (1 - t) ** 2),
        ("you returned the derivative of the sigmoid; tanh' = 1 − tanh(x)²",
         lambda: sigmoid(x) * (1 - sigmoid(x))),
    ])


def check_tanh_grad(tanh_grad):
    """Check ``tanh_grad(x) -> tanh'(x)`` (elementwise, same shape as x)."""
    cases = [
        Case(np.array([0.0]), label="x = [0.0] (tanh'(0) should be 1)"),
        Case(_X_TANH.copy()),
        Case(np.array([[0.5, -0.5], [2.0, -4.0]]), label="a (2, 2) array"),
        Case(np.array([-20.0, 20.0]), label="x = [-20, 20] (saturated)"),
    ]
    return check_function(
        tanh_grad, _tanh_grad, cases, exercise="tanh_grad",
        why="tanh'(0) = 1: near zero a tanh unit passes the gradient through undiminished — four "
            "times more than a sigmoid.",
        diagnose=_diagnose_on_probe(tanh_grad, _X_TANH, _diagnose_tanh_grad, "tanh_grad"))


# --------------------------------------------------------------------------------------------
# softmax

def _diagnose_softmax(got, case):
    z = np.asarray(case.args[0], dtype=float)
    got_arr = None
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        pass
    if got_arr is not None and got_arr.shape == z.shape and not np.isfinite(got_arr).all():
        row_max = z.max(axis=-1, keepdims=True)
        if np.abs(z).max() > 700 and z.ndim == 2 and np.ptp(row_max) > 700:
            return ("NaN for rows on very different scales: subtract each row's own maximum "
                    "(z.max(axis=-1, keepdims=True)), not the maximum of the whole array")
        if np.abs(z).max() > 700:
            return ("np.exp overflows for scores this large (e^710 = inf, inf/inf = nan): "
                    "subtract the maximum first — softmax(z) = softmax(z − max z), the factor "
                    "e^-max cancels")
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max())
    return _first_match(got, [
        ("you normalised over the whole array; each row must sum to 1: "
         "np.sum(e, axis=-1, keepdims=True)", lambda: e / e.sum()),
        ("you normalised along axis 0 (columns); the classes are along the last axis: "
         "np.sum(e, axis=-1, keepdims=True)", lambda: e / e.sum(axis=0, keepdims=True)),
        ("you forgot to normalise: divide e^z by its sum along the last axis",
         lambda: np.exp(z)),
        ("you forgot the exponential: softmax(z) = e^z / Σ e^z, not z / Σ z",
         lambda: z / z.sum(axis=-1, keepdims=True)),
        ("you subtracted the max but did not normalise: divide by the sum along the last axis",
         lambda: np.exp(z - z.max(axis=-1, keepdims=True))),
        ("you returned log-probabilities; softmax returns probabilities (exponentiate)",
         lambda: np.log(softmax(z))),
    ])


def check_softmax(softmax_fn):
    """Check ``softmax(z)`` along the last axis, for shapes (K,) and (N, K), stable for big z."""
    cases = [
        Case(np.array([1.0, 2.0, 3.0])),
        Case(np.zeros(4), label="z = zeros(4) (uniform: every probability 0.25)"),
        Case(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), label="a (2, 3) batch, one row each"),
        Case(np.array([1000.0, 1001.0, 1002.0]), label="z = [1000, 1001, 1002] (large scores)"),
        Case(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -999.0]]),
             label="a (2, 3) batch with rows near +1000 and -1000"),
    ]
    return check_function(
        softmax_fn, softmax, cases, exercise="softmax",
        why="Subtracting the row maximum changes nothing mathematically and makes softmax safe "
            "for any logits.",
        diagnose=_diagnose_softmax)


register_hints({
    "sigmoid_grad": [
        "Write σ(x) = (1 + e^-x)^-1 and differentiate with the chain rule: the power -1 outside, "
        "e^-x inside.",
        "You should get σ'(x) = e^-x / (1 + e^-x)². Split it into two factors, "
        "1 / (1 + e^-x) · e^-x / (1 + e^-x), and write each with σ(x).",
        "The first factor is σ(x), the second 1 − σ(x). Compute s = sigmoid(x) once and combine: "
        "return s * (1 - s)",
    ],
    "tanh_grad": [
        "Write tanh = u / v with u = e^x − e^-x and v = e^x + e^-x. Note that u' = v and v' = u, "
        "and use the quotient rule.",
        "(u'v − uv') / v² = (v² − u²) / v². Write that with u / v = tanh(x).",
        "It is 1 − tanh(x)² — the square of tanh, not of 1 − tanh: t = np.tanh(x); return 1 - t ** 2",
    ],
    "softmax": [
        "softmax(z)_i = e^{z_i} / Σ_j e^{z_j}, with the sum along the last axis "
        "(np.sum(..., axis=-1, keepdims=True) keeps the shape broadcastable).",
        "e^1000 overflows. Subtracting a constant from every score of a row does not change "
        "its softmax, so subtract the row maximum first: z - z.max(axis=-1, keepdims=True).",
        "e = np.exp(z - z.max(axis=-1, keepdims=True)); return e / e.sum(axis=-1, keepdims=True)",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.activations as activations
    import mlbook.autodiff as autodiff
    import mlbook.gradcheck as gradcheck
    import mlbook.layers.dense as dense
    import mlbook.losses as losses
    from .core import declare_exercise
    this = sys.modules[__name__]
    derivative = [this, activations, dense, autodiff, gradcheck, "mlbook.symbolic",
                  "mlbook.plots.activations", "mlbook.widgets.activation_explorer"]
    declare_exercise("sigmoid_grad", off_limits=derivative, may_use=[activations.sigmoid])
    declare_exercise("tanh_grad", off_limits=derivative, may_use=[activations.tanh])
    declare_exercise("softmax", off_limits=[this, activations, losses, "mlbook.ladder"])


_declare()
