"""Checkers for the dropout and regularization exercises (notebook 09).

    check_dropout_forward(dropout_forward)                    # (x, p, rng) -> (y, cache)
    check_dropout_backward(dropout_forward, dropout_backward) # (dy, cache) -> dx
    check_l2_penalty(l2_penalty)                              # (W, lam) -> (loss, dW)

A dropout mask is random, so the forward check does not compare with a reference draw: it
reads the mask off the student's output (``y != 0`` for an ``x`` with no zeros) and checks
(1) the kept units are scaled by exactly 1/(1-p), (2) the kept fraction is within 5 standard
deviations of 1-p, (3) each entry gets its own mask, (4) the mask is drawn from the ``rng``
argument: the generator is used, the same seed gives the same mask and another seed another.
The backward check then requires ``dx = dy * mask / (1-p)`` with the forward pass's mask.
"""
import math

import numpy as np

from .core import (CORRECT, NOT_ATTEMPTED, WRONG, Case, CheckResult, NotAttempted,
                   not_attempted, short, type_name, check_function, compare_output,
                   guarded_call, register_hints)

__all__ = ["check_dropout_forward", "check_dropout_backward", "check_l2_penalty"]


# --------------------------------------------------------------------------------------------
# inputs

def _input(seed, shape=(200, 50)):
    """Values with |x| in [0.5, 2], random signs: no zeros, so ``y != 0`` is the keep-mask."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _seeded(seed):
    return np.random.default_rng(seed)


def _fmt(v):
    return f"{v:.6g}"


# --------------------------------------------------------------------------------------------
# forward

def _forward_output(fn, x, p, seed):
    """Call the student's forward; return (y, cache, None) or (None, None, message)."""
    rng = _seeded(seed)
    state = rng.bit_generator.state
    case = Case(x, p, rng, label=f"x of shape {x.shape}, p={p}, rng=default_rng({seed})")
    got, error = guarded_call(fn, case, exercise="dropout_forward")   # may raise NotAttempted
    where = f"On input {case.label}:\n"
    if error:
        return None, None, where + f"your function {error}"
    if isinstance(got, np.ndarray):
        return None, None, where + ("returned only an array; return the pair (y, cache) so "
                                    "that backward can reuse the mask, e.g. `return y, (mask, p)`")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, None, where + (f"expected the pair (y, cache), got {type_name(got)}"
                                    + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
    y, cache = got
    problem = _array_problem(y, x.shape, "y")
    if problem:
        return None, None, where + problem
    if p > 0 and rng.bit_generator.state == state:
        return None, None, where + (
            "your function did not draw a single number from the rng it was given. Draw the "
            "mask from that generator (rng.random(x.shape)), not from np.random or a generator "
            "of your own: the caller's seed must decide which units are dropped")
    return np.asarray(y, dtype=float), cache, None


def _array_problem(y, shape, name):
    if y is None:
        return f"{name} is None — is a `return` statement missing?"
    if isinstance(y, (list, tuple)):
        return f"{name} is a Python {type(y).__name__}; expected a numpy array of shape {shape}"
    if not isinstance(y, np.ndarray):
        return f"{name} should be a numpy array of shape {shape}, got {type_name(y)}: {short(y)}"
    if y.shape != shape:
        return f"{name} has shape {y.shape}, expected {shape} (the same shape as the input)"
    if y.dtype == bool or not (np.issubdtype(y.dtype, np.floating) or np.issubdtype(y.dtype, np.integer)):
        return f"{name} has dtype {y.dtype}; expected floating-point numbers"
    if not np.all(np.isfinite(y)):
        return f"{name} contains NaN or inf — look for a division by zero"
    return None


def _diagnose_scale(ratio, p):
    """Name the mistake when kept units are x * ratio instead of x / (1-p)."""
    keep = 1.0 - p
    if np.allclose(ratio, 1.0):
        return ("the kept units are not scaled: inverted dropout divides them by (1 - p) "
                f"(here by {_fmt(keep)}) so that the expected activation stays x")
    if np.allclose(ratio, keep):
        return ("the kept units are multiplied by (1 - p); that is the test-time rule of the "
                "original formulation. Inverted dropout DIVIDES kept units by (1 - p) in training")
    if np.allclose(ratio, 1.0 / p) if p > 0 else False:
        return ("the kept units are divided by p; divide by the keep probability 1 - p "
                "(p is the probability of dropping)")
    if np.allclose(ratio, p):
        return "the kept units are multiplied by p; divide them by the keep probability 1 - p"
    return None


def _forward_problem(fn, p, seed):
    """Return a message describing what is wrong with the forward output, or None."""
    x = _input(seed)
    y, cache, msg = _forward_output(fn, x, p, seed)
    if msg:
        return msg, None
    label = f"On input x of shape {x.shape}, p={p}, rng=default_rng({seed}):\n"
    if p == 0.0:
        problem = compare_output(y, x)
        return (label + "with p = 0 nothing is dropped, so y must equal x; " + problem
                if problem else None), (x, y, cache)
    mask = y != 0
    ratio = y[mask] / x[mask]
    expected = 1.0 / (1.0 - p)
    if not np.allclose(ratio, expected, rtol=1e-6):
        named = _diagnose_scale(ratio, p)
        worst = ratio[np.argmax(np.abs(ratio - expected))]
        text = (f"a kept unit should be x / (1 - p) = x * {_fmt(expected)}, but one is "
                f"x * {_fmt(worst)}")
        return label + text + (f"\nHint: {named}" if named else ""), None
    if np.all(mask == mask[:1]):
        return label + ("every example got the same mask; draw one random number per entry, "
                        "rng.random(x.shape), so each example drops different units"), None
    n, keep = mask.size, 1.0 - p
    kept = mask.mean()
    sigma = math.sqrt(p * keep / n)
    if abs(kept - keep) > 5 * sigma:
        text = (f"{kept:.1%} of the units were kept; with p = {p} about {keep:.0%} should be "
                f"(the probability of keeping is 1 - p)")
        if abs(kept - p) <= 5 * sigma:
            text += ("\nHint: you kept each unit with probability p — but p is the probability "
                     "of DROPPING: keep where rng.random(x.shape) >= p (or < 1 - p)")
        return label + text, None
    y2, _, msg2 = _forward_output(fn, x, p, seed)
    if msg2:
        return msg2, None
    if not np.array_equal(y2, y):
        return label + ("two calls with the same seed gave different masks: draw the mask "
                        "from the rng argument (rng.random(...)), not from np.random"), None
    y3, _, msg3 = _forward_output(fn, x, p, seed + 1000)
    if msg3:
        return msg3, None
    if np.array_equal(y3 != 0, mask):
        return label + (f"rng=default_rng({seed}) and rng=default_rng({seed + 1000}) gave the "
                        "same mask: your mask does not depend on the rng you were given (a seed "
                        "or generator of your own inside the function?). Draw it from the rng "
                        "argument: rng.random(x.shape)"), None
    return None, (x, y, cache)


def check_dropout_forward(dropout_forward):
    """Check ``dropout_forward(x, p, rng) -> (y, cache)`` (inverted dropout, training mode)."""
    exercise = "dropout_forward"
    if not callable(dropout_forward):
        return CheckResult(WRONG, exercise, f"expected a function, got {type_name(dropout_forward)}"
                           " — pass the function itself: check_dropout_forward(dropout_forward)")
    try:
        for p, seed in [(0.5, 1), (0.2, 2), (0.8, 3), (0.0, 4)]:
            problem, _ = _forward_problem(dropout_forward, p, seed)
            if problem:
                return CheckResult(WRONG, exercise, problem)
    except NotAttempted:
        return not_attempted(exercise)
    return CheckResult(CORRECT, exercise,
                       "Kept units are scaled by 1/(1-p), so E[y] = x and nothing changes at "
                       "test time.")


# --------------------------------------------------------------------------------------------
# backward

def check_dropout_backward(dropout_forward, dropout_backward):
    """Check ``dropout_backward(dy, cache) -> dx`` against ``dy * mask / (1 - p)``.

    The cache comes from the student's own ``dropout_forward`` (checked first).
    """
    exercise = "dropout_backward"
    for name, fn in [("dropout_forward", dropout_forward), ("dropout_backward", dropout_backward)]:
        if not callable(fn):
            return CheckResult(WRONG, exercise, f"{name} should be a function, got {type_name(fn)}"
                               " — call check_dropout_backward(dropout_forward, dropout_backward)")
    try:
        first = check_dropout_forward(dropout_forward)
    except Exception:  # noqa: BLE001 — never raise
        first = CheckResult(WRONG, exercise, "dropout_forward could not be checked")
    if first.status == NOT_ATTEMPTED:
        return CheckResult(NOT_ATTEMPTED, exercise,
                           "The dropout_forward this kernel knows still raises "
                           "NotImplementedError: write it and run its cell first.")
    if not first:
        return CheckResult(WRONG, exercise, "Fix dropout_forward first (its check fails):\n"
                           + first.message)
    try:
        for p, seed in [(0.5, 11), (0.3, 12)]:
            problem = _backward_problem(dropout_forward, dropout_backward, p, seed)
            if problem:
                return CheckResult(WRONG, exercise, problem)
    except NotAttempted:
        return not_attempted(exercise)
    return CheckResult(CORRECT, exercise,
                       "The gradient flows only through the units the forward pass kept, "
                       "with the same 1/(1-p) factor.")


def _backward_problem(fwd, bwd, p, seed):
    x = _input(seed)
    y, cache, msg = _forward_output(fwd, x, p, seed)
    if msg:
        return msg
    mask = y != 0
    dy = _input(seed + 100)
    label = f"On dy of shape {dy.shape} after a forward pass with p={p}:\n"
    got, error = guarded_call(bwd, Case(dy, cache, label="dy, cache"),
                              exercise="dropout_backward")
    if error:
        return label + f"your function {error}"
    problem = _array_problem(got, dy.shape, "dx")
    if problem:
        return label + problem
    dx = np.asarray(got, dtype=float)
    expected = dy * mask / (1.0 - p)
    if np.allclose(dx, expected, rtol=1e-6, atol=1e-9):
        got2, error2 = guarded_call(bwd, Case(dy, cache, label="dy, cache"),
                                      exercise="dropout_backward")
        if error2 or not np.allclose(np.asarray(got2, dtype=float), expected):
            return label + ("a second call with the same cache gave a different dx: backward "
                            "must use the stored mask, not draw a new one")
        return None
    text = label + compare_output(dx, expected)
    zero = dx == 0
    if np.allclose(dx, dy):
        hint_ = ("dx = dy lets gradient flow through the dropped units; multiply by the "
                 "forward pass's mask (and by 1/(1-p))")
    elif not np.array_equal(zero, ~mask):
        hint_ = ("dx is zero on different units than the forward pass dropped: backward must "
                 "REUSE the mask from the forward pass (keep it in cache), not draw a fresh one")
    elif np.allclose(dx, dy * mask):
        hint_ = "the mask is right but the 1/(1-p) factor is missing — the forward pass scaled by it"
    elif np.allclose(dx, dy * mask * (1.0 - p)):
        hint_ = "multiplied by (1-p) instead of dividing: the forward pass divided by (1-p)"
    else:
        hint_ = None
    return text + (f"\nHint: {hint_}" if hint_ else "")


# --------------------------------------------------------------------------------------------
# L2

def _l2_reference(W, lam):
    W = np.asarray(W, dtype=float)
    return lam * float(np.sum(W * W)), 2.0 * lam * W


def _l2_diagnose(got, case):
    W, lam = case.args
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None
    loss, dW = got
    W = np.asarray(W, dtype=float)
    s = float(np.sum(W * W))
    try:
        dW = np.asarray(dW, dtype=float)
        loss = float(loss)
    except (TypeError, ValueError):
        return None
    if dW.shape == W.shape:
        if lam != 0 and np.allclose(dW, lam * W):
            return "dW is missing the factor 2: d(lam w^2)/dw = 2 lam w"
        if lam != 0 and np.allclose(dW, -2 * lam * W):
            return "dW has the wrong sign: the penalty grows with |w|, its gradient points away from 0"
        if lam != 1 and np.allclose(dW, 2 * W):
            return "dW is missing the strength lam: the gradient of lam * sum w^2 is 2 lam w"
        if lam != 0 and np.allclose(dW, lam * np.sign(W)):
            return "that is the L1 gradient (lam * sign(w)); L2's is 2 lam w"
    if lam != 0 and np.isclose(loss, 0.5 * lam * s):
        return "the loss has a factor 1/2; the slides' L2 penalty is lam * sum w^2 (no 1/2)"
    if lam != 0 and np.isclose(loss, lam * math.sqrt(s)):
        return "that is lam * ||W|| (the norm); the penalty is lam * the SQUARED norm, sum w^2"
    if lam != 0 and np.isclose(loss, lam * float(np.sum(np.abs(W)))):
        return "that is the L1 penalty (sum |w|); L2 is sum w^2"
    return None


def check_l2_penalty(l2_penalty):
    """Check ``l2_penalty(W, lam) -> (loss, dW)`` = ``(lam * sum W**2, 2 * lam * W)``."""
    rng = np.random.default_rng(7)
    cases = [
        Case(np.array([[1.0, -2.0], [3.0, 0.5]]), 0.1, label="W = [[1, -2], [3, 0.5]], lam = 0.1"),
        Case(np.array([[1.0, -2.0], [3.0, 0.5]]), 0.0, label="W = [[1, -2], [3, 0.5]], lam = 0"),
        Case(rng.normal(size=(3, 4)), 0.01, label="W of shape (3, 4), lam = 0.01"),
        Case(rng.normal(size=(5,)), 2.5, label="W of shape (5,), lam = 2.5"),
    ]
    return check_function(l2_penalty, _l2_reference, cases, exercise="l2_penalty",
                          why="With plain gradient descent each step now also shrinks every "
                              "weight by the factor (1 - 2 lr lam): weight decay. (Under Adam it "
                              "is not the same: see below.)",
                          diagnose=_l2_diagnose)


# --------------------------------------------------------------------------------------------
# hints

register_hints({
    "dropout_forward": [
        "rng.random(x.shape) gives one uniform number in [0, 1) per entry; it is >= p with "
        "probability 1 - p — that comparison is a keep-mask (a boolean array).",
        "An entry kept with probability 1 - p and then multiplied by c has expected value "
        "(1 - p) * c * x. Choose c so that this is x.",
        "y = x * mask / (1 - p), and return the pair (y, (mask, p)): backward needs the very "
        "same mask.",
    ],
    "dropout_backward": [
        "Entry by entry, the forward pass multiplied x by a constant: 0 for a dropped entry, the "
        "scale factor for a kept one. What is dy_j/dx_j then?",
        "So dL/dx_j = dL/dy_j times that same constant, built from the forward pass's mask — take "
        "it out of the cache; never draw a new one here.",
        "mask, p = cache; return dy * mask / (1 - p)",
    ],
    "l2_penalty": [
        "The penalty is one number: lam * np.sum(W ** 2).",
        "Differentiate with respect to one entry w: only its own term lam * w**2 depends on it.",
        "d(lam w^2)/dw = 2 lam w, for every entry at once: dW = 2 * lam * W. Return (penalty, dW).",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.gradcheck as gradcheck
    import mlbook.layers.dropout as dropout
    import mlbook.regularization as regularization
    from .core import declare_exercise
    this = sys.modules[__name__]
    for name in ("dropout_forward", "dropout_backward"):
        declare_exercise(name, off_limits=[this, dropout, "mlbook.widgets.dropout_explorer"])
    declare_exercise("l2_penalty", off_limits=[this, regularization, gradcheck,
                                               "mlbook.widgets.dropout_explorer"])


_declare()
