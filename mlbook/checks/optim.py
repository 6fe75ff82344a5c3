"""Checkers for the optimizer exercises of notebook 06: the momentum update and the Adam update.

    check_momentum_update(momentum_update)   # student's (w, dw, v, lr, momentum) -> (w_new, v_new)
    check_adam_update(adam_update)           # (w, dw, m, v, t, lr, beta1, beta2, eps) -> (w_new, m_new, v_new)

Both compare with the references in :mod:`mlbook.optim` and recognise the usual slips
(wrong sign, the slides' gradient-accumulator convention, missing bias correction, g instead of
g**2, ...) by name.
"""
import numpy as np

from mlbook.optim import adam_update as _adam_ref
from mlbook.optim import momentum_update as _momentum_ref

from .core import Case, check_function, register_hints

__all__ = ["check_momentum_update", "check_adam_update"]


def _first_array(got):
    """The w_new the student returned (first item of a tuple), as a float array, or None."""
    if isinstance(got, (tuple, list)) and got:
        got = got[0]
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr


def _matches(got, candidate):
    w = _first_array(got)
    return w is not None and w.shape == np.shape(candidate) and \
        np.allclose(w, candidate, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------------------------
# momentum

_MOMENTUM_CASES = [
    Case(np.array([1.0]), np.array([2.0]), np.array([0.0]), 0.1, 0.9,
         label="first step: w=[1.], dw=[2.], v=[0.], lr=0.1, momentum=0.9"),
    Case(np.array([0.5, -1.0, 2.0]), np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.2]), 0.05, 0.8,
         label="w=[0.5, -1., 2.], dw=[1., -2., 0.5], v=[0.3, 0.1, -0.2], lr=0.05, momentum=0.8"),
    Case(np.random.default_rng(0).normal(size=(2, 3)), np.random.default_rng(1).normal(size=(2, 3)),
         np.random.default_rng(2).normal(size=(2, 3)), 0.01, 0.9,
         label="random (2, 3) arrays, lr=0.01, momentum=0.9"),
]


def _diagnose_momentum(got, case):
    w, dw, v, lr, mu = case.args
    if isinstance(got, (tuple, list)) and len(got) == 2:
        a, b = (np.asarray(x, dtype=float) if isinstance(x, np.ndarray) else None for x in got)
        v_new = mu * v - lr * dw
        if a is not None and b is not None and a.shape == w.shape and b.shape == w.shape \
                and np.allclose(a, v_new) and np.allclose(b, w + v_new):
            return "you returned (v_new, w_new); return (w_new, v_new) in that order."
        if a is not None and b is not None and b.shape == w.shape and np.allclose(b, mu * v + dw) \
                and np.allclose(a, w - lr * (mu * v + dw)):
            return ("your w_new is right, but v is the slides' gradient accumulator "
                    "(v = momentum*v + dw, w -= lr*v). Here v is the velocity: "
                    "v_new = momentum*v - lr*dw and w_new = w + v_new.")
    if _matches(got, w - (mu * v - lr * dw)) or _matches(got, w + mu * v + lr * dw):
        return "wrong sign: the velocity must point downhill, v_new = momentum*v - lr*dw."
    if _matches(got, w + v):
        return "you moved w with the OLD velocity; update v first, then w_new = w + v_new."
    if _matches(got, w - lr * dw) and np.any(v != 0):
        return "the momentum term is missing: v_new = momentum*v - lr*dw keeps part of the old velocity."
    if _matches(got, w + (1 - mu) * v - lr * dw) or _matches(got, w + mu * v - (1 - mu) * lr * dw):
        return "momentum multiplies the old velocity (momentum*v), and lr multiplies the gradient."
    return None


def check_momentum_update(momentum_update):
    """Check ``momentum_update(w, dw, v, lr, momentum) -> (w_new, v_new)``."""
    return check_function(
        momentum_update, _momentum_ref, _MOMENTUM_CASES, exercise="momentum_update",
        diagnose=_diagnose_momentum,
        why="The velocity remembers past gradients: steps grow along directions where the "
            "gradient keeps its sign and cancel where it flips.")


# --------------------------------------------------------------------------------------------
# Adam

_r = np.random.default_rng(5)
_ADAM_CASES = [
    Case(np.array([1.0]), np.array([2.0]), np.array([0.0]), np.array([0.0]), 1, 0.1, 0.9, 0.999, 1e-8,
         label="first step t=1: w=[1.], dw=[2.], m=[0.], v=[0.], lr=0.1"),
    Case(np.array([0.5, -1.0]), np.array([-1.0, 3.0]), np.array([0.2, -0.1]), np.array([0.04, 0.5]),
         3, 0.01, 0.9, 0.999, 1e-8,
         label="t=3: w=[0.5, -1.], dw=[-1., 3.], m=[0.2, -0.1], v=[0.04, 0.5], lr=0.01"),
    Case(_r.normal(size=(2, 3)), _r.normal(size=(2, 3)), 0.1 * _r.normal(size=(2, 3)),
         0.1 * _r.uniform(0.1, 1.0, size=(2, 3)), 10, 0.001, 0.8, 0.99, 1e-8,
         label="random (2, 3) arrays, t=10, lr=0.001, beta1=0.8, beta2=0.99"),
]


def _diagnose_adam(got, case):
    w, dw, m, v, t, lr, b1, b2, eps = case.args
    m_new = b1 * m + (1 - b1) * dw
    v_new = b2 * v + (1 - b2) * dw * dw
    m_hat, v_hat = m_new / (1 - b1 ** t), v_new / (1 - b2 ** t)
    with np.errstate(all="ignore"):
        if _matches(got, w + lr * m_hat / (np.sqrt(v_hat) + eps)):
            return "wrong sign: Adam steps against the gradient, w_new = w - lr * m_hat / (sqrt(v_hat) + eps)."
        if _matches(got, w - lr * m_new / (np.sqrt(v_new) + eps)):
            return ("the bias correction is missing: divide m by (1 - beta1**t) and v by "
                    "(1 - beta2**t) before using them (m and v start at 0, so early on they are too small).")
        if _matches(got, w - lr * m_hat / (np.sqrt(v_new) + eps)) or \
                _matches(got, w - lr * m_new / (np.sqrt(v_hat) + eps)):
            return "only one of the two moments is bias-corrected; correct both m and v."
        if _matches(got, w - lr * m_hat / (v_hat + eps)):
            return "the square root is missing: divide by sqrt(v_hat) + eps, not v_hat + eps."
        m_sw = (1 - b1) * m + b1 * dw
        v_sw = (1 - b2) * v + b2 * dw * dw
        if _matches(got, w - lr * (m_sw / (1 - b1 ** t)) / (np.sqrt(v_sw / (1 - b2 ** t)) + eps)):
            return "beta and (1 - beta) are swapped: m_new = beta1*m + (1 - beta1)*dw (the OLD average gets beta)."
        for tt in (t - 1, t + 1):
            if tt >= 1 and _matches(got, w - lr * (m_new / (1 - b1 ** tt)) / (np.sqrt(v_new / (1 - b2 ** tt)) + eps)):
                return f"the bias correction uses t={tt}; use the step number t as given (1 for the first step)."
        v_lin = b2 * v + (1 - b2) * dw
        w_lin = w - lr * m_hat / (np.sqrt(v_lin / (1 - b2 ** t)) + eps)
        if np.all(np.isfinite(w_lin)) and _matches(got, w_lin):
            return "v must average the SQUARED gradient: v_new = beta2*v + (1 - beta2)*dw**2."
    w_got = _first_array(got)
    if w_got is not None and w_got.shape == np.shape(w) and not np.all(np.isfinite(w_got)):
        return ("NaN/inf: is v averaging dw**2 (never negative)? does the bias correction divide by "
                "1 - beta**t with t >= 1?")
    return None


def check_adam_update(adam_update):
    """Check ``adam_update(w, dw, m, v, t, lr, beta1, beta2, eps) -> (w_new, m_new, v_new)``."""
    return check_function(
        adam_update, _adam_ref, _ADAM_CASES, exercise="adam_update", diagnose=_diagnose_adam,
        why="Adam = momentum (m) + RMSProp (v) + bias correction; the first step has size "
            "about lr whatever the gradient's scale.")


register_hints({
    "momentum_update": [
        "Two lines: first the new velocity from the old velocity and the gradient, then the new "
        "weights from the new velocity.",
        "The velocity keeps a fraction `momentum` of itself and is pushed downhill by the plain "
        "gradient step: v_new = momentum * v - lr * dw (no `v *= ...`: that changes the caller's array).",
        "The weights move by the new velocity: w_new = w + v_new. Return (w_new, v_new).",
    ],
    "adam_update": [
        "A running average with decay rate beta keeps the fraction beta of its old value and adds "
        "(1 - beta) times the new one. Adam keeps two: m of the gradient (like momentum) and v of "
        "the squared gradient (like RMSProp).",
        "m_new = beta1*m + (1 - beta1)*dw and v_new = beta2*v + (1 - beta2)*dw**2.",
        "Both averages start at 0, so early on they are too small: divide by (1 - beta1**t) and "
        "(1 - beta2**t): m_hat = m_new / (1 - beta1**t), v_hat = v_new / (1 - beta2**t).",
        "w_new = w - lr * m_hat / (np.sqrt(v_hat) + eps); return (w_new, m_new, v_new) — the "
        "uncorrected m_new and v_new are what the next step needs.",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.optim as optim
    from .core import declare_exercise
    this = sys.modules[__name__]
    for name in ("momentum_update", "adam_update"):
        declare_exercise(name, off_limits=[this, optim, "mlbook.layers.training",
                                           "mlbook.widgets.optimizer_race"])


_declare()
