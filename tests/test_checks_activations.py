"""Checkers of notebook 05: pass the reference, fail plausible mistakes with a named problem,
survive hostile functions, report not attempted."""
import numpy as np
import pytest

from mlbook.activations import sigmoid, sigmoid_grad, softmax, tanh_grad
from mlbook.checks import HINTS, check_sigmoid_grad, check_softmax, check_tanh_grad, hint

CHECKS = [(check_sigmoid_grad, sigmoid_grad), (check_tanh_grad, tanh_grad),
          (check_softmax, softmax)]


@pytest.mark.parametrize("check, reference", CHECKS)
@pytest.mark.usefixtures("no_delegation_rule")
def test_reference_passes(check, reference):
    r = check(reference)
    assert r.status == "correct", str(r)
    assert str(r).startswith("✅ Correct")


def test_textbook_student_solutions_pass():
    def s_grad(x):
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)

    def t_grad(x):
        return 1 - np.tanh(x) ** 2

    def sm(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    assert check_sigmoid_grad(s_grad) and check_tanh_grad(t_grad) and check_softmax(sm)


@pytest.mark.parametrize("wrong, needle", [
    (lambda x: sigmoid(x), "you returned σ(x) itself"),
    (lambda x: -sigmoid(x) * (1 - sigmoid(x)), "wrong sign"),
    (lambda x: x * (1 - x), "you applied s(1 − s) to x itself"),
    (lambda x: 1 - sigmoid(x), "the denominator not squared"),
    (lambda x: sigmoid(x) * (1 + sigmoid(x)), "with a minus"),
    (lambda x: sigmoid(x) ** 2, "σ(x)² is not σ'(x)"),
])
def test_sigmoid_grad_mistakes_are_named(wrong, needle):
    r = check_sigmoid_grad(wrong)
    assert r.status == "wrong" and needle in str(r), str(r)
    assert "expected 0.25" in str(r) or "expected" in str(r)


@pytest.mark.parametrize("wrong, needle", [
    (lambda x: 1 - np.tanh(x), "missing square"),
    (lambda x: 1 + np.tanh(x) ** 2, "wrong sign"),
    (lambda x: np.tanh(x) ** 2 - 1, "wrong sign"),
    (lambda x: np.tanh(x), "you returned tanh(x) itself"),
    (lambda x: 1 - x ** 2, "you applied 1 − t² to x itself"),
    (lambda x: (1 - np.tanh(x)) ** 2, "squares the wrong thing"),
    (lambda x: sigmoid(x) * (1 - sigmoid(x)), "derivative of the sigmoid"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_tanh_grad_mistakes_are_named(wrong, needle):
    r = check_tanh_grad(wrong)
    assert r.status == "wrong" and needle in str(r), str(r)


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def global_max_softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("wrong, needle", [
    (naive_softmax, "subtract the maximum first"),
    (global_max_softmax, "subtract each row's own maximum"),
    (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(), "normalised over the whole array"),
    (lambda z: np.exp(z) / np.exp(z).sum(axis=0, keepdims=True), "along axis 0"),
    (lambda z: z / z.sum(axis=-1, keepdims=True), "forgot the exponential"),
    (lambda z: np.exp(z), "forgot to normalise"),
    (lambda z: np.log(softmax(z)), "log-probabilities"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_softmax_mistakes_are_named(wrong, needle):
    r = check_softmax(wrong)
    assert r.status == "wrong" and needle in str(r), str(r)


def test_naive_softmax_fails_exactly_at_the_large_input():
    text = str(check_softmax(naive_softmax))
    assert "z = [1000, 1001, 1002]" in text and "contains nan" in text


def raises(x):
    raise ZeroDivisionError("oops")


def not_attempted(x):
    raise NotImplementedError("exercise")


def in_place(x):
    x -= 1
    return x


@pytest.mark.parametrize("check", [c for c, _ in CHECKS])
@pytest.mark.parametrize("hostile, needle", [
    (raises, "raised ZeroDivisionError: oops"),
    (lambda x: None, "returned None"),
    (lambda x: [0.25] * np.size(x), "returned a Python list"),
    (lambda x: np.zeros((7, 7)), "wrong shape"),
    (lambda x: np.full(np.shape(x), np.nan), "contains nan"),
    (lambda x: "0.25", "expected a numpy array"),
    (in_place, "in place"),
    (42, "expected a function"),
])
def test_hostile_functions_never_crash_the_checker(check, hostile, needle):
    r = check(hostile)
    assert r.status == "wrong" and needle in str(r), str(r)
    r._repr_html_()                               # renders too


@pytest.mark.parametrize("check", [c for c, _ in CHECKS])
def test_not_attempted(check):
    r = check(not_attempted)
    assert r.status == "not_attempted" and "⏳ Not attempted" in str(r)


def test_hints_registered_with_solutions():
    for name in ("sigmoid_grad", "tanh_grad", "softmax"):
        assert len(HINTS[name]) == 3
        assert "hint 1 of 3" in str(hint(name, 1))
    assert "s * (1 - s)" in HINTS["sigmoid_grad"][-1]
    assert "1 - t ** 2" in HINTS["tanh_grad"][-1]
    assert "keepdims=True" in HINTS["softmax"][-1]
