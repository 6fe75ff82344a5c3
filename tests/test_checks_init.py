"""Checkers of notebook 07: pass the reference (and other correct answers), fail the usual
slips by name, survive hostile functions, report not attempted."""
import numpy as np
import pytest

from mlbook.checks import HINTS, check_batchnorm_backward, check_he_normal, hint
from mlbook.init import he_normal as reference_he_normal
from mlbook.init import he_uniform
from mlbook.layers.batchnorm import batchnorm_backward, batchnorm_forward


# --------------------------------------------------------------------------------------------
# he_normal

@pytest.mark.usefixtures("no_delegation_rule")
def test_he_normal_reference_and_alternatives_pass():
    assert check_he_normal(reference_he_normal)

    def via_standard_normal(shape, *, fan_in, fan_out, rng):
        return rng.standard_normal(shape) * np.sqrt(2 / fan_in)
    r = check_he_normal(via_standard_normal)
    assert r.status == "correct" and "2 / fan_in" in str(r), str(r)


@pytest.mark.parametrize("fn, words", [
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(0, np.sqrt(2 / fan_out), size=shape),
     "you used fan_out"),
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(0, np.sqrt(1 / fan_in), size=shape),
     "the factor 2 is missing"),
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(0, np.sqrt(2 / (fan_in + fan_out)), size=shape),
     "Glorot's variance"),
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(0, 2 / fan_in, size=shape),
     "STANDARD DEVIATION"),
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(size=shape), "not scaled at all"),
    (lambda shape, *, fan_in, fan_out, rng: he_uniform(shape, fan_in=fan_in, fan_out=fan_out, rng=rng),
     "uniform distribution"),
    (lambda shape, *, fan_in, fan_out, rng: np.random.normal(0, np.sqrt(2 / fan_in), size=shape),
     "draw from the rng argument"),
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(0.1, np.sqrt(2 / fan_in), size=shape),
     "should be 0"),
    (lambda shape, *, fan_in, fan_out, rng: rng.normal(0, np.sqrt(2 / fan_in), size=shape[:2]),
     "wrong shape: expected (64, 32, 3, 3)"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_he_normal_slips_are_named(fn, words):
    r = check_he_normal(fn)
    assert r.status == "wrong" and words in str(r), str(r)


@pytest.mark.parametrize("fn, words", [
    (lambda shape, **kw: None, "returned None"),
    (lambda shape, **kw: [0.0] * 3, "got a list"),
    (lambda shape, **kw: np.zeros(shape, dtype=int), "floating-point"),
    (lambda shape, **kw: np.full(shape, np.nan), "NaN"),
    (lambda shape, fan_in, fan_out: 1, "TypeError"),            # forgot the rng keyword
])
def test_he_normal_survives_hostile(fn, words):
    r = check_he_normal(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_he_normal_not_attempted_and_not_callable():
    def stub(shape, *, fan_in, fan_out, rng):
        raise NotImplementedError("exercise")
    assert check_he_normal(stub).status == "not_attempted"
    assert "expected a function" in str(check_he_normal(np.zeros(3)))


# --------------------------------------------------------------------------------------------
# batchnorm_backward

def ref_backward(dy, x, gamma, eps):
    return batchnorm_backward(dy, batchnorm_forward(x, gamma, 0 * gamma, eps)[1])


def stepwise(dy, x, gamma, eps):
    """The long way: through xhat, var and mu (cs231n's staged derivation)."""
    n = x.shape[0]
    mu, var = x.mean(0), x.var(0)
    xhat = (x - mu) / np.sqrt(var + eps)
    dxhat = dy * gamma
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = -np.sum(dxhat, axis=0) / np.sqrt(var + eps) + dvar * np.mean(-2 * (x - mu), axis=0)
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / n + dmu / n
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)


@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_reference_and_staged_derivation_pass():
    assert check_batchnorm_backward(ref_backward)
    r = check_batchnorm_backward(stepwise)
    assert r.status == "correct" and "orthogonal" in str(r), str(r)


def _wrong_dx(make):
    def fn(dy, x, gamma, eps):
        n = x.shape[0]
        mu, var = x.mean(0), x.var(0)
        s = 1 / np.sqrt(var + eps)
        xhat = (x - mu) * s
        return make(dy, x, gamma, eps, n, s, xhat), (dy * xhat).sum(0), dy.sum(0)
    return fn


@pytest.mark.parametrize("fn, words", [
    (_wrong_dx(lambda dy, x, g, eps, n, s, xh: g * s * dy), "mean and the batch variance are both"),
    (_wrong_dx(lambda dy, x, g, eps, n, s, xh: g * s * (dy - dy.mean(0))), "path through the batch VARIANCE"),
    (_wrong_dx(lambda dy, x, g, eps, n, s, xh: g * s * (dy - xh * (dy * xh).mean(0))), "path through the batch MEAN"),
    (_wrong_dx(lambda dy, x, g, eps, n, s, xh: g * s * (dy - dy.sum(0) - xh * (dy * xh).sum(0))), "need a 1/N"),
    (_wrong_dx(lambda dy, x, g, eps, n, s, xh: s * (dy - dy.mean(0) - xh * (dy * xh).mean(0))), "gamma is missing"),
    (_wrong_dx(lambda dy, x, g, eps, n, s, xh: (
        lambda su, xu: g * su * (dy - dy.mean(0) - xu * (dy * xu).mean(0)))(
        1 / np.sqrt(x.var(0, ddof=1) + eps), (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps))),
     "UNBIASED"),
])
def test_backward_dx_slips_are_named(fn, words):
    r = check_batchnorm_backward(fn)
    assert r.status == "wrong" and words in str(r), str(r)


@pytest.mark.parametrize("fn, words", [
    (lambda dy, x, g, eps: (ref_backward(dy, x, g, eps)[0], (dy * x).sum(0), dy.sum(0)), "not dy * x"),
    (lambda dy, x, g, eps: (ref_backward(dy, x, g, eps)[0], dy.sum(0),
                            ref_backward(dy, x, g, eps)[1]), "dgamma is dbeta"),
    (lambda dy, x, g, eps: (ref_backward(dy, x, g, eps)[0], ref_backward(dy, x, g, eps)[1], dy),
     "dbeta must be summed"),
    (lambda dy, x, g, eps: ref_backward(dy, x, g, eps)[0], "expected a tuple of 3"),
    (lambda dy, x, g, eps: None, "expected a tuple of 3"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_param_slips_and_shapes(fn, words):
    r = check_batchnorm_backward(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_backward_not_attempted_and_hints():
    def stub(dy, x, gamma, eps):
        raise NotImplementedError("exercise")
    assert check_batchnorm_backward(stub).status == "not_attempted"
    for name in ("he_normal", "batchnorm_backward"):
        assert name in HINTS
        assert "hint 1 of" in str(hint(name, 1))
