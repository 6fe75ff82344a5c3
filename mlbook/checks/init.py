"""Checkers for notebook 07 (initialization and batch normalization): ``he_normal`` and
``batchnorm_backward``.

* ``he_normal`` is random, so its checker looks at large draws: the shape, a mean of 0, the
  variance against 2 / fan_in (within 5 standard errors), a Gaussian shape (kurtosis 3, where a
  uniform has 1.8) and reproducibility from ``rng``. It names the usual slips: fan_out instead
  of fan_in, the missing factor 2, Glorot's variance, the variance passed where numpy wants the
  standard deviation, a uniform draw, the global ``np.random``.
* ``batchnorm_backward`` is compared with mlbook's reference (``mlbook.layers.batchnorm``); a
  wrong answer is matched against the usual slips: forgetting the paths through the mean and/or
  the variance, the unbiased variance, sums where means belong, a missing gamma, dgamma from x
  instead of xhat, unsummed parameter gradients.
"""
import numpy as np

from .core import (CORRECT, WRONG, Case, CheckResult, NotAttempted, not_attempted, type_name,
                   check_function, compare_output, guarded_call, register_hints)
from mlbook.layers.batchnorm import batchnorm_backward as _bn_backward
from mlbook.layers.batchnorm import batchnorm_forward as _bn_forward

__all__ = ["check_he_normal", "check_batchnorm_backward"]


def _close(a, b, rel):
    return abs(a - b) <= rel * abs(b)


# --------------------------------------------------------------------------------------------
# he_normal

# (shape, fan_in, fan_out): fans far apart so that a swapped fan is a factor of 2+ off
_HE_CASES = [((300, 2000), 300, 2000), ((64, 32, 3, 3), 288, 576)]


def _he_diagnose(var, fan_in, fan_out, kurtosis):
    target = 2.0 / fan_in
    named = [
        (2.0 / fan_out, "you used fan_out; He's variance is 2 / fan_in — the forward pass sums over "
                        "the fan_in inputs of each unit"),
        (1.0 / fan_in, "the variance is 1 / fan_in: the factor 2 is missing — ReLU zeroes half of "
                       "its inputs, so each layer would halve the signal's second moment"),
        (2.0 / (fan_in + fan_out), "that is Glorot's variance 2 / (fan_in + fan_out); He's uses "
                                   "fan_in only"),
        (target ** 2, "you passed the variance as the scale: rng.normal(loc, scale) takes the "
                      "STANDARD DEVIATION, the square root of 2 / fan_in"),
        (np.sqrt(target), "the variance came out as sqrt(2 / fan_in): take the square root once, "
                          "to turn the variance into the standard deviation"),
        (1.0, "the weights are not scaled at all (variance 1): a unit with fan_in inputs would "
              "multiply the signal's variance by fan_in"),
        (1.0 / fan_out, "the variance is 1 / fan_out: use fan_in, and the factor 2"),
        (2.0 / fan_in / 3.0, "a uniform on [-sqrt(2/fan_in), sqrt(2/fan_in)] has variance "
                             "(2/fan_in)/3; the exercise asks for a normal distribution"),
    ]
    for value, text in named:
        if _close(var, value, 0.03):
            return text
    return None


def check_he_normal(he_normal):
    """Check ``he_normal(shape, *, fan_in, fan_out, rng) -> ndarray`` by its draws."""
    exercise = "he_normal"
    if not callable(he_normal):
        return CheckResult(WRONG, exercise, f"expected a function, got {type_name(he_normal)} — "
                           "pass the function itself: check_he_normal(he_normal)")
    try:
        for shape, fan_in, fan_out in _HE_CASES:
            label = f"he_normal({shape}, fan_in={fan_in}, fan_out={fan_out}, rng=default_rng(0))"
            w, error = guarded_call(he_normal, Case(shape, fan_in=fan_in, fan_out=fan_out,
                                                    rng=np.random.default_rng(0), label=label),
                                    exercise=exercise)
            if error:
                return CheckResult(WRONG, exercise, f"{label}: your function {error}")
            problem = _draw_problem(w, shape)
            if problem:
                return CheckResult(WRONG, exercise, f"{label}:\n{problem}")
            w = np.asarray(w, dtype=float)
            n, var, target = w.size, float(np.mean(w ** 2)), 2.0 / fan_in
            kurtosis = float(np.mean(w ** 4) / var ** 2) if var > 0 else float("nan")
            if abs(w.mean()) > 5 * np.sqrt(var / n) + 1e-12:
                return CheckResult(WRONG, exercise, f"{label}:\nthe mean of the weights is "
                                   f"{w.mean():.4g}; it should be 0 (draw around 0, loc=0)")
            if not abs(var - target) <= 5 * target * np.sqrt(2.0 / n):
                msg = (f"{label}:\nthe weights have variance {var:.6g}; He's rule gives "
                       f"{target:.6g}")
                named = _he_diagnose(var, fan_in, fan_out, kurtosis)
                return CheckResult(WRONG, exercise, msg + (f"\nHint: {named}" if named else ""))
            if abs(kurtosis - 3.0) > 0.15:
                extra = (" — that is a uniform distribution (He uniform); draw from a normal "
                         "one with rng.normal" if abs(kurtosis - 1.8) < 0.15 else "")
                return CheckResult(WRONG, exercise, f"{label}:\nthe variance is right but the "
                                   f"draws are not Gaussian (E[w^4]/E[w^2]^2 = {kurtosis:.2f}, "
                                   f"a normal distribution has 3){extra}")
            again, _ = guarded_call(he_normal, Case(shape, fan_in=fan_in, fan_out=fan_out,
                                                    rng=np.random.default_rng(0)),
                                    exercise=exercise)
            if not (isinstance(again, np.ndarray) and np.array_equal(again, w)):
                return CheckResult(WRONG, exercise, f"{label}:\ntwo calls with the same rng seed "
                                   "gave different weights: draw from the rng argument "
                                   "(rng.normal(...)), not from np.random")
    except NotAttempted:
        return not_attempted(exercise)
    return CheckResult(CORRECT, exercise,
                       "Var(w) = 2 / fan_in keeps the second moment of ReLU activations the same "
                       "in every layer.")


def _draw_problem(w, shape):
    if w is None:
        return "returned None — is a `return` statement missing?"
    if not isinstance(w, np.ndarray):
        return f"expected a numpy array of shape {shape}, got {type_name(w)}"
    if w.shape != tuple(shape):
        return f"wrong shape: expected {tuple(shape)}, got {w.shape}"
    if w.dtype == bool or not np.issubdtype(w.dtype, np.floating):
        return f"expected floating-point numbers, got dtype {w.dtype}"
    if not np.all(np.isfinite(w)):
        return "contains NaN or inf"
    return None


# --------------------------------------------------------------------------------------------
# batchnorm_backward helpers

def _bn_inputs(seed, shape=(6, 3)):
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=shape)
    return x, rng.normal(1.0, 0.5, size=shape[1]), rng.normal(size=shape[1])


def _first_match(got, variants, index=None):
    try:
        got = got if index is None else got[index]
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    with np.errstate(all="ignore"):
        for text, make in variants:
            cand = make()
            if got.shape == cand.shape and np.all(np.isfinite(got)) \
                    and np.allclose(got, cand, rtol=1e-6, atol=1e-9):
                return text
    return None


# --------------------------------------------------------------------------------------------
# batchnorm_backward

def _bn_backward_reference(dy, x, gamma, eps):
    return _bn_backward(dy, _bn_forward(x, gamma, np.zeros_like(gamma), eps)[1])


def _backward_variants(dy, x, gamma, eps):
    n = x.shape[0]
    mu, var = x.mean(0), x.var(0)
    s = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * s
    su = 1.0 / np.sqrt(x.var(0, ddof=1) + eps)
    xu = (x - mu) * su
    dbeta, dgamma = dy.sum(0), (dy * xhat).sum(0)
    through = "the paths through the batch mean and the batch variance are both missing"
    return [
        (f"{through}: gamma * dy / sqrt(var + eps) treats mu and var as constants, but every "
         "x_i changes them. Subtract the mean of dy and xhat times the mean of dy * xhat",
         lambda: gamma * s * dy),
        ("the path through the batch VARIANCE is missing: you subtracted the mean of dy but not "
         "xhat * mean(dy * xhat)", lambda: gamma * s * (dy - dy.mean(0))),
        ("the path through the batch MEAN is missing: you subtracted xhat * mean(dy * xhat) but "
         "not the mean of dy", lambda: gamma * s * (dy - xhat * (dy * xhat).mean(0))),
        ("the two correction terms need a 1/N: they are MEANS over the batch (sum / N), not sums",
         lambda: gamma * s * (dy - dbeta - xhat * dgamma)),
        ("you used the UNBIASED variance (ddof=1); the forward pass normalized with the biased "
         "one (divide by N), so the backward pass must too",
         lambda: gamma * su / n * (n * dy - dy.sum(0) - xu * (dy * xu).sum(0))),
        ("gamma is missing from dx: y = gamma * xhat + beta, so dL/dxhat = gamma * dy",
         lambda: s / n * (n * dy - dbeta - xhat * dgamma)),
        ("the sign of the correction terms: dx = gamma s / N (N dy - sum dy - xhat sum(dy xhat))",
         lambda: gamma * s / n * (n * dy + dbeta + xhat * dgamma)),
    ]


def _param_variants(dy, x, gamma, eps):
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return [
        ("dgamma sums dy * xhat (the normalized input), not dy * x", lambda: (dy * x).sum(0)),
        ("dgamma must be summed over the batch: one number per feature, shape (D,)",
         lambda: dy * xhat),
        ("dgamma is dbeta: dgamma = sum over the batch of dy * xhat, dbeta = sum of dy",
         lambda: dy.sum(0)),
        ("dgamma is averaged; the loss's gradient SUMS the contributions of the batch",
         lambda: (dy * xhat).mean(0)),
    ]


def _beta_variants(dy, x, gamma, eps):
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return [
        ("dbeta must be summed over the batch: one number per feature, shape (D,)", lambda: dy),
        ("dbeta is averaged; it is the SUM of dy over the batch", lambda: dy.mean(0)),
        ("dbeta and dgamma are swapped", lambda: (dy * xhat).sum(0)),
    ]


def check_batchnorm_backward(batchnorm_backward):
    """Check ``batchnorm_backward(dy, x, gamma, eps) -> (dx, dgamma, dbeta)`` (training mode)."""
    cases = []
    for seed, shape, eps in [(10, (4, 2), 1e-5), (11, (6, 3), 1e-5), (12, (8, 5), 0.1)]:
        x, gamma, _ = _bn_inputs(seed, shape)
        dy = np.random.default_rng(seed + 100).normal(size=shape)
        cases.append(Case(dy, x, gamma, eps, label=f"dy and x of shape {shape}, eps = {eps}"))

    def diagnose(got, case):
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return None
        exp = _bn_backward_reference(*case.args)
        for k, variants in ((0, _backward_variants), (1, _param_variants), (2, _beta_variants)):
            if compare_output(got[k], exp[k]) is None:
                continue
            return _first_match(got, variants(*case.args), index=k)
        return None

    return check_function(batchnorm_backward, _bn_backward_reference, cases,
                          exercise="batchnorm_backward", diagnose=diagnose,
                          why="dx sums to zero over the batch and is orthogonal to xhat: a shift "
                              "or rescaling of a whole feature cannot change BN's output.")


# --------------------------------------------------------------------------------------------
# hints

register_hints({
    "he_normal": [
        "With z = sum_i w_i x_i over fan_in inputs, Var(z) = fan_in * Var(w) * E[x^2]. For a "
        "ReLU input x = relu(z') with z' symmetric around 0, E[x^2] = Var(z') / 2: half the "
        "values are zeroed.",
        "Keeping Var(z) = Var(z') from layer to layer needs fan_in * Var(w) / 2 = 1, i.e. "
        "Var(w) = 2 / fan_in. numpy wants the standard deviation: sqrt(2 / fan_in).",
        "return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)",
    ],
    "batchnorm_backward": [
        "Recompute mu, var (biased), s = 1 / sqrt(var + eps) and xhat = (x - mu) * s. "
        "dbeta = dy.sum(axis=0), dgamma = (dy * xhat).sum(axis=0).",
        "x_i reaches the loss through xhat_i directly AND through mu and var, which depend on "
        "every x_j. With g = gamma * dy: dL/dvar = -s^3 / 2 * sum (g (x - mu)), dL/dmu = -s * "
        "sum g, and dx = g s + dL/dvar * 2 (x - mu) / N + dL/dmu / N.",
        "Simplified: dx = gamma * s / N * (N * dy - dbeta - xhat * dgamma).",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.autodiff as autodiff
    import mlbook.gradcheck as gradcheck
    import mlbook.init as init
    import mlbook.layers.batchnorm as batchnorm
    from .core import declare_exercise
    this = sys.modules[__name__]
    declare_exercise("he_normal", off_limits=[this, init, "mlbook.ladder",
                                              "mlbook.widgets.init_explorer"])
    declare_exercise("batchnorm_backward", off_limits=[this, batchnorm, gradcheck, autodiff])


_declare()
