"""Checkers for the momentum and Adam exercises: pass the reference, name plausible mistakes,
survive hostile functions."""
import numpy as np
import pytest

from mlbook.checks import HINTS, check_adam_update, check_momentum_update, hint
from mlbook.optim import adam_update, momentum_update


# ------------------------------------------------------------------ momentum
def mom_wrong_sign(w, dw, v, lr, momentum):
    v_new = momentum * v + lr * dw
    return w + v_new, v_new


def mom_slides_convention(w, dw, v, lr, momentum):
    v_new = momentum * v + dw
    return w - lr * v_new, v_new


def mom_old_velocity(w, dw, v, lr, momentum):
    return w + v, momentum * v - lr * dw


def mom_no_momentum(w, dw, v, lr, momentum):
    return w - lr * dw, -lr * dw


def mom_swapped(w, dw, v, lr, momentum):
    v_new = momentum * v - lr * dw
    return v_new, w + v_new


def mom_in_place(w, dw, v, lr, momentum):
    v *= momentum
    v -= lr * dw
    return w + v, v


@pytest.mark.usefixtures("no_delegation_rule")
def test_momentum_reference_passes():
    r = check_momentum_update(momentum_update)
    assert r.correct, str(r)
    assert "✅" in str(r)


@pytest.mark.parametrize("fn,words", [
    (mom_wrong_sign, "wrong sign"),
    (mom_slides_convention, "slides' gradient accumulator"),
    (mom_old_velocity, "OLD velocity"),
    (mom_no_momentum, "momentum term is missing"),
    (mom_swapped, "(v_new, w_new)"),
    (mom_in_place, "changed its input array in place"),
])
def test_momentum_plausible_mistakes_are_named(fn, words):
    r = check_momentum_update(fn)
    assert r.status == "wrong"
    assert words in str(r), str(r)


# ------------------------------------------------------------------ Adam
def adam_no_bias_correction(w, dw, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    return w - lr * m / (np.sqrt(v) + eps), m, v


def adam_wrong_sign(w, dw, m, v, t, lr, beta1, beta2, eps):
    w_new, m_new, v_new = adam_update(w, dw, m, v, t, lr, beta1, beta2, eps)
    return 2 * w - w_new, m_new, v_new


def adam_linear_v(w, dw, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def adam_t_minus_one(w, dw, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * dw            # bias correction with t - 1 instead of t
    v = beta2 * v + (1 - beta2) * dw ** 2       # (mlbook's adam_update refuses t = 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_swapped_betas(w, dw, m, v, t, lr, beta1, beta2, eps):
    m = (1 - beta1) * m + beta1 * dw
    v = (1 - beta2) * v + beta2 * dw ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), m, v


def adam_returns_corrected_moments(w, dw, m, v, t, lr, beta1, beta2, eps):
    w_new, m_new, v_new = adam_update(w, dw, m, v, t, lr, beta1, beta2, eps)
    return w_new, m_new / (1 - beta1 ** t), v_new / (1 - beta2 ** t)


@pytest.mark.usefixtures("no_delegation_rule")
def test_adam_reference_passes():
    r = check_adam_update(adam_update)
    assert r.correct, str(r)


@pytest.mark.parametrize("fn,words", [
    (adam_no_bias_correction, "bias correction is missing"),
    (adam_wrong_sign, "wrong sign"),
    (adam_linear_v, "SQUARED gradient"),
    (adam_t_minus_one, "1 - beta**t"),
    (adam_swapped_betas, "swapped"),
    (adam_returns_corrected_moments, "item 1 of the returned tuple"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_adam_plausible_mistakes_are_named(fn, words):
    r = check_adam_update(fn)
    assert r.status == "wrong"
    assert words in str(r), str(r)


# ------------------------------------------------------------------ hostile functions
def raises_not_implemented(*args):
    raise NotImplementedError("exercise")


HOSTILE = [
    lambda *a: None,
    lambda *a: [1.0, 2.0],
    lambda *a: 1 / 0,
    lambda *a: (np.full(3, np.nan),) * 3,
    lambda *a: (np.zeros((7, 7)), np.zeros((7, 7)), np.zeros((7, 7))),
    lambda *a: "w",
]


@pytest.mark.parametrize("checker", [check_momentum_update, check_adam_update])
def test_checkers_survive_hostile_functions(checker):
    for fn in HOSTILE:
        r = checker(fn)
        assert r.status == "wrong" and r.message
    r = checker(raises_not_implemented)
    assert r.status == "not_attempted" and "⏳" in str(r)
    r = checker(42)
    assert r.status == "wrong" and "expected a function" in str(r)


def test_hints_are_registered():
    assert len(HINTS["momentum_update"]) == 3 and len(HINTS["adam_update"]) == 4
    assert "momentum * v - lr * dw" in str(hint("momentum_update", 2))
    assert "1 - beta1**t" in str(hint("adam_update", 3))
