"""Checkers of notebooks 01 and 02 (and 00's warm-up): right answers pass, plausible mistakes
are named, hostile functions never crash the checker."""
import math

import numpy as np
import pytest

from mlbook.checks import (check_dE_dw4, check_dE_dw7, check_layer_forward, check_net_for_output,
                           check_neuron_output, check_total_error, hint)
from mlbook.checks.core import HINTS
from mlbook.worked_example import INITIAL_PARAMS, INPUTS, TARGETS, forward, gradients


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


# ---------------------------------------------------------------- correct student solutions
def neuron_output(x, w, b):
    return float(sig(np.dot(w, x) + b))


def net_for_output(y):
    return np.log(y / (1 - y))


def layer_forward(W, X, b):
    return sig(X @ W.T + b)


def total_error(params, half=0.5, b1="b1", b2="b2"):
    p = params
    i1, i2 = INPUTS
    h1 = sig(p["w1"] * i1 + p["w2"] * i2 + p[b1])
    h2 = sig(p["w3"] * i1 + p["w4"] * i2 + p[b1])
    o1 = sig(p["w5"] * h1 + p["w6"] * h2 + p[b2])
    o2 = sig(p["w7"] * h1 + p["w8"] * h2 + p[b2])
    return float(half * (TARGETS[0] - o1) ** 2 + half * (TARGETS[1] - o2) ** 2)


def _deltas(params):
    f = forward(params)
    d1 = (f["out_o1"] - TARGETS[0]) * f["out_o1"] * (1 - f["out_o1"])
    d2 = (f["out_o2"] - TARGETS[1]) * f["out_o2"] * (1 - f["out_o2"])
    return f, d1, d2


def dE_dw7(params, h="out_h1", sign=1.0):
    f, d1, d2 = _deltas(params)
    return sign * d2 * f[h]


def dE_dw4(params, w=("w6", "w8"), inp=1, deriv=True, only=None):
    f, d1, d2 = _deltas(params)
    paths = {"o1": d1 * params[w[0]], "o2": d2 * params[w[1]]}
    up = paths[only] if only else paths["o1"] + paths["o2"]
    s = f["out_h2"] * (1 - f["out_h2"]) if deriv else 1.0
    return up * s * INPUTS[inp]


CHECKS = [
    (check_neuron_output, neuron_output, "neuron_output"),
    (check_net_for_output, net_for_output, "net_for_output"),
    (check_layer_forward, layer_forward, "layer_forward"),
    (check_total_error, total_error, "total_error"),
    (check_dE_dw7, dE_dw7, "dE_dw7"),
    (check_dE_dw4, dE_dw4, "dE_dw4"),
]


@pytest.mark.parametrize("check, solution, name", CHECKS)
def test_correct_solution_passes(check, solution, name):
    r = check(solution)
    assert r.status == "correct", str(r)
    assert str(r).startswith(f"✅ Correct — {name}")


@pytest.mark.parametrize("check, solution, name", CHECKS)
def test_not_attempted(check, solution, name):
    def stub(*args):
        raise NotImplementedError("exercise")
    r = check(stub)
    assert r.status == "not_attempted" and "⏳" in str(r)


HOSTILE = [
    (lambda *a: None, "returned None"),
    (lambda *a: [0.5], None),
    (lambda *a: float("nan"), None),
    (lambda *a: "0.5", None),
    (lambda *a: np.zeros((3, 3)), None),
]


def _raises_value_error(*args):
    raise ValueError("boom")


@pytest.mark.parametrize("check, solution, name", CHECKS)
@pytest.mark.parametrize("fn, needle", HOSTILE + [(_raises_value_error, "raised ValueError: boom")])
def test_hostile_functions_do_not_crash(check, solution, name, fn, needle):
    r = check(fn)
    assert r.status == "wrong"
    text = str(r)
    assert text.startswith(f"❌ Not yet — {name}") and "On input" in text
    if needle:
        assert needle in text


@pytest.mark.parametrize("check, solution, name", CHECKS)
def test_not_callable(check, solution, name):
    r = check(0.5)
    assert r.status == "wrong" and "expected a function" in str(r)


# ---------------------------------------------------------------- named mistakes
def _wrong(check, fn, needle):
    r = check(fn)
    assert r.status == "wrong", str(r)
    assert needle in str(r), str(r)
    return r


def test_neuron_mistakes():
    r = _wrong(check_neuron_output, lambda x, w, b: float(np.dot(w, x) + b), "net input")
    assert "x = [2, 3, -1]" in str(r) and "expected 0.900249511, got 2.2" in str(r)
    _wrong(check_neuron_output, lambda x, w, b: float(sig(np.dot(w, x))), "bias b is missing")
    _wrong(check_neuron_output, lambda x, w, b: math.tanh(np.dot(w, x) + b), "tanh")
    _wrong(check_neuron_output, lambda x, w, b: float(sig(np.sum(x) * np.sum(w) + b)), "dot product")


def test_net_for_output_mistakes():
    r = _wrong(check_net_for_output, lambda y: -np.log(y / (1 - y)), "sign error")
    assert "expected 1.38629436, got -1.38629436" in str(r)
    _wrong(check_net_for_output, lambda y: (1 - y) / y, "that is e^(−z)")
    _wrong(check_net_for_output, lambda y: y / (1 - y), "that is e^(z)")
    _wrong(check_net_for_output, lambda y: np.log(y), "ln(y) alone")
    _wrong(check_net_for_output, lambda y: np.log(1 / y + 1), "minus, not plus")
    _wrong(check_net_for_output, lambda y: float(np.log(y[0] / (1 - y[0]))), "")  # a number, not an array
    # shape is kept: (2, 2) in, (2, 2) out
    _wrong(check_net_for_output, lambda y: np.log(y / (1 - y)).ravel(), "wrong shape")


def test_layer_mistakes():
    _wrong(check_layer_forward, lambda W, X, b: sig(X @ W + b), "W is used transposed")
    _wrong(check_layer_forward, lambda W, X, b: sig(X @ W.T), "bias b is missing")
    _wrong(check_layer_forward, lambda W, X, b: X @ W.T + b, "apply the sigmoid")
    _wrong(check_layer_forward, lambda W, X, b: np.tanh(X @ W.T + b), "tanh")
    r = _wrong(check_layer_forward, lambda W, X, b: sig(X @ W.T + b).T, "wrong shape")
    assert "expected (2, 1), got (1, 2)" in str(r) or "transposed" in str(r)
    _wrong(check_layer_forward, lambda W, X, b: sig(W @ X[0] + b), "wrong shape")   # one example only
    # a list of the right numbers is accepted (compared as an array)
    assert check_layer_forward(lambda W, X, b: sig(X @ W.T + b).tolist()).correct


@pytest.mark.usefixtures("no_delegation_rule")
def test_total_error_mistakes():
    _wrong(check_total_error, lambda p: total_error(p, half=1.0), "factor ½ is missing")
    _wrong(check_total_error, lambda p: forward(p)["E_o1"], "E_o1 alone")
    _wrong(check_total_error, lambda p: total_error(p, b1="b2", b2="b1"), "b1 and b2 are swapped")
    _wrong(check_total_error, lambda p: total_error(dict(p, b1=0.0, b2=0.0)), "biases are missing")
    _wrong(check_total_error,
           lambda p: total_error(dict(p, w2=p["w3"], w3=p["w2"], w6=p["w7"], w7=p["w6"])),
           "wired the wrong way round")

    def swapped_targets(p):
        f = forward(p)
        return 0.5 * ((TARGETS[1] - f["out_o1"]) ** 2 + (TARGETS[0] - f["out_o2"]) ** 2)
    _wrong(check_total_error, swapped_targets, "targets are swapped")


@pytest.mark.usefixtures("no_delegation_rule")
def test_dE_dw7_mistakes():
    r = _wrong(check_dE_dw7, lambda p: dE_dw7(p, sign=-1.0), "wrong sign")
    assert f"expected {gradients()['w7']:.9g}" in str(r)
    _wrong(check_dE_dw7, lambda p: gradients(p)["w5"], "that is ∂E/∂w5")
    _wrong(check_dE_dw7, lambda p: gradients(p)["w8"], "that is ∂E/∂w8")
    _wrong(check_dE_dw7, lambda p: dE_dw7(p) / (forward(p)["out_o2"] * (1 - forward(p)["out_o2"])),
           "out_o2 (1 − out_o2) is missing")
    _wrong(check_dE_dw7, lambda p: _deltas(p)[2], "out_h1 is missing")


@pytest.mark.usefixtures("no_delegation_rule")
def test_dE_dw4_mistakes():
    _wrong(check_dE_dw4, lambda p: dE_dw4(p, only="o1"), "only the path through o1")
    _wrong(check_dE_dw4, lambda p: dE_dw4(p, only="o2"), "only the path through o2")
    _wrong(check_dE_dw4, lambda p: dE_dw4(p, w=("w5", "w7")), "w5 and w7 leave h1")
    _wrong(check_dE_dw4, lambda p: dE_dw4(p, deriv=False), "out_h2 (1 − out_h2) is missing")
    _wrong(check_dE_dw4, lambda p: dE_dw4(p, inp=0), "not i1")
    _wrong(check_dE_dw4, lambda p: -dE_dw4(p), "wrong sign")
    _wrong(check_dE_dw4, lambda p: gradients(p)["w3"], "not i1")


def test_student_mutating_params_is_harmless():
    def fn(params):
        value = dE_dw4(params)
        params["w6"] = 99.0            # a student's side effect must not leak into later cases
        return value
    assert check_dE_dw4(fn).correct
    assert INITIAL_PARAMS["w6"] == 0.45


def test_hints_registered_and_docstring_free_formulas_are_in_the_hints():
    for name in ("neuron_output", "net_for_output", "layer_forward", "total_error", "dE_dw7",
                 "dE_dw4"):
        assert len(HINTS[name]) >= 2
    assert "hint 1 of 3" in str(hint("dE_dw7", 1))
    assert "that was the last one" in str(hint("dE_dw4", 3))
    assert "ln(y / (1 − y))" in str(hint("net_for_output", 3))
    assert "ln" not in str(hint("net_for_output", 1))          # one step at a time


def test_array_where_a_number_is_expected():
    r = check_dE_dw7(lambda p: np.full((3, 3), 0.08))
    assert r.status == "wrong" and "expected a single number" in str(r) and "(3, 3)" in str(r)
