"""Checkers of notebook 09: pass the reference, fail plausible mistakes by name, survive anything."""
import numpy as np
import pytest

from mlbook.checks import hint, HINTS
from mlbook.checks.dropout import check_dropout_backward, check_dropout_forward, check_l2_penalty
from mlbook.layers.dropout import dropout_backward, dropout_forward


# --------------------------------------------------------------------------------------------
# dropout forward

def no_scaling(x, p, rng):
    mask = rng.random(x.shape) >= p
    return x * mask, (mask, p)


def times_keep(x, p, rng):
    mask = rng.random(x.shape) >= p
    return x * mask * (1 - p), (mask, p)


def keeps_with_p(x, p, rng):
    mask = rng.random(x.shape) < p
    return x * mask / (1 - p), (mask, p)


def one_mask_per_batch(x, p, rng):
    mask = rng.random(x.shape[1:]) >= p
    return x * mask / (1 - p), (np.broadcast_to(mask, x.shape), p)


def global_rng(x, p, rng):
    mask = np.random.random(x.shape) >= p
    return x * mask / (1 - p), (mask, p)


def own_seed(x, p, rng):              # ignores the rng it was given: a generator of its own
    mask = np.random.default_rng(0).random(x.shape) >= p
    return x * mask / (1 - p), (mask, p)


def draws_but_ignores(x, p, rng):     # touches the rng, but the mask comes from elsewhere
    rng.random()
    mask = np.random.default_rng(42).random(x.shape) >= p
    return x * mask / (1 - p), (mask, p)


def only_y(x, p, rng):
    return dropout_forward(x, p, rng)[0]


@pytest.mark.usefixtures("no_delegation_rule")
def test_forward_reference_passes():
    r = check_dropout_forward(dropout_forward)
    assert r and r.status == "correct", str(r)


def test_forward_alternative_correct_draw_passes():
    def other(x, p, rng):                 # a different but valid way to draw the mask
        mask = rng.binomial(1, 1 - p, size=x.shape).astype(bool)
        return np.where(mask, x / (1 - p), 0.0), (mask, p)
    assert check_dropout_forward(other)


@pytest.mark.parametrize("fn,words", [
    (no_scaling, "not scaled"),
    (times_keep, "multiplied by (1 - p)"),
    (keeps_with_p, "probability of DROPPING"),
    (one_mask_per_batch, "same mask"),
    (global_rng, "did not draw a single number from the rng"),
    (own_seed, "did not draw a single number from the rng"),
    (draws_but_ignores, "does not depend on the rng you were given"),
    (only_y, "return the pair (y, cache)"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_forward_mistakes_named(fn, words):
    r = check_dropout_forward(fn)
    assert not r and r.status == "wrong"
    assert words in str(r), str(r)


@pytest.mark.parametrize("fn,words", [
    (lambda x, p, rng: None, "expected the pair"),
    (lambda x, p, rng: [1, 2, 3], "of length 3"),
    (lambda x, p, rng: (x.tolist(), None), "Python list"),
    (lambda x, p, rng: (x[:, :3], None), "has shape"),
    (lambda x, p, rng: (x * np.nan, None), "NaN"),
    (lambda x, p, rng: 1 / 0, "ZeroDivisionError"),
    (lambda x, p, rng: (x > 0, None), "dtype bool"),
])
def test_forward_survives_hostile(fn, words):
    r = check_dropout_forward(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_forward_in_place_and_not_callable_and_not_attempted():
    def in_place(x, p, rng):
        mask = rng.random(x.shape) >= p
        x *= mask / (1 - p)
        return x, (mask, p)
    assert "in place" in str(check_dropout_forward(in_place))
    assert "expected a function" in str(check_dropout_forward(dropout_forward(np.ones(3), 0.5, 0)))

    def stub(x, p, rng):
        raise NotImplementedError("exercise")
    assert check_dropout_forward(stub).status == "not_attempted"


# --------------------------------------------------------------------------------------------
# dropout backward

def fwd_with_rng(x, p, rng):
    y, (mask, p) = dropout_forward(x, p, rng)
    return y, (mask, p, rng)


def fresh_mask(dy, cache):
    mask, p, rng = cache
    return dy * (rng.random(dy.shape) >= p) / (1 - p)


@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_reference_passes():
    r = check_dropout_backward(dropout_forward, dropout_backward)
    assert r and r.status == "correct", str(r)


@pytest.mark.parametrize("bwd,words", [
    (lambda dy, cache: dy * cache[0], "1/(1-p) factor is missing"),
    (lambda dy, cache: dy, "dropped units"),
    (lambda dy, cache: dy * cache[0] * (1 - cache[1]), "instead of dividing"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_mistakes_named(bwd, words):
    r = check_dropout_backward(dropout_forward, bwd)
    assert not r and words in str(r), str(r)


@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_fresh_mask_named():
    r = check_dropout_backward(fwd_with_rng, fresh_mask)
    assert not r and "REUSE the mask" in str(r), str(r)


@pytest.mark.parametrize("bwd,words", [
    (lambda dy, cache: None, "is None"),
    (lambda dy, cache: dy.T, "has shape"),
    (lambda dy, cache: dy / 0.0, "NaN or inf"),
    (lambda dy, cache: cache[5], "IndexError"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_survives_hostile(bwd, words):
    with np.errstate(all="ignore"):
        r = check_dropout_backward(dropout_forward, bwd)
    assert r.status == "wrong" and words in str(r), str(r)


@pytest.mark.usefixtures("no_delegation_rule")
def test_backward_needs_forward_first():
    def stub(*a):
        raise NotImplementedError
    assert check_dropout_backward(dropout_forward, stub).status == "not_attempted"
    assert check_dropout_backward(stub, dropout_backward).status == "not_attempted"
    r = check_dropout_backward(no_scaling, dropout_backward)
    assert not r and "Fix dropout_forward first" in str(r)
    assert "should be a function" in str(check_dropout_backward(dropout_forward, 3))


# --------------------------------------------------------------------------------------------
# L2

def l2_ref(W, lam):
    return lam * np.sum(W ** 2), 2 * lam * W


def test_l2_reference_passes():
    assert check_l2_penalty(l2_ref)


@pytest.mark.parametrize("fn,words", [
    (lambda W, lam: (lam * np.sum(W ** 2), lam * W), "missing the factor 2"),
    (lambda W, lam: (lam * np.sum(W ** 2), -2 * lam * W), "wrong sign"),
    (lambda W, lam: (lam * np.sum(W ** 2), 2 * W), "missing the strength lam"),
    (lambda W, lam: (0.5 * lam * np.sum(W ** 2), 2 * lam * W), "factor 1/2"),
    (lambda W, lam: (lam * np.sum(np.abs(W)), lam * np.sign(W)), "L1"),
])
def test_l2_mistakes_named(fn, words):
    r = check_l2_penalty(fn)
    assert not r and words in str(r), str(r)


@pytest.mark.parametrize("fn", [lambda W, lam: None, lambda W, lam: 2 * lam * W,
                                lambda W, lam: (1.0, [0.0]), lambda W, lam: W[9, 9]])
def test_l2_survives_hostile(fn):
    r = check_l2_penalty(fn)
    assert r.status == "wrong"


def test_hints_registered():
    for name in ["dropout_forward", "dropout_backward", "l2_penalty"]:
        assert len(HINTS[name]) >= 2
        assert "💡" in str(hint(name, 1))


@pytest.mark.usefixtures("no_delegation_rule")
def test_forward_that_ignores_rng_is_told_so_and_nothing_else_is():
    r = check_dropout_forward(own_seed)
    assert r.status == "wrong" and "rng" in str(r) and "default_rng" in str(r), str(r)
    # the reference, and a valid alternative that skips drawing when p == 0, pass
    def skip_at_zero(x, p, rng):
        if p == 0:
            return x.copy(), (np.ones(x.shape, bool), p)
        return dropout_forward(x, p, rng)
    assert check_dropout_forward(skip_at_zero)
    # dropout_backward's check reports the forward problem
    r = check_dropout_backward(own_seed, dropout_backward)
    assert r.status == "wrong" and "rng" in str(r), str(r)
