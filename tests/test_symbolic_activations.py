"""mlbook.symbolic, activation section: sympy derivations, textbook forms, numpy vs sympy."""
import numpy as np
import pytest
import sympy as sp

from mlbook.activations import ACTIVATIONS
from mlbook.symbolic import (ALPHA, SIGMA, SYMBOLIC_ACTIVATIONS, X, activation_derivation_latex,
                             activation_derivative, activation_expr, activation_values)
from mlbook import symbolic

# a grid with large |x| (saturation), points near 0 (both sides of the kink) and the kink
GRID = np.concatenate([[-700.0, -100.0, -40.0, -20.0], np.linspace(-12, 12, 97),
                       [-1e-9, 1e-9, 20.0, 40.0, 100.0, 700.0]])


def true_rel_error(a, b):
    """max |a - b| / |b|; where b is exactly 0 (underflow, ReLU), a must be exactly 0 too."""
    a, b = np.asarray(a), np.asarray(b)
    err = np.abs(a - b) / np.where(b == 0, 1.0, np.abs(b))
    return float(np.max(np.where(b == 0, np.where(a == 0, 0.0, np.inf), err)))


def test_same_names_as_the_numeric_registry():
    assert SYMBOLIC_ACTIVATIONS == tuple(ACTIVATIONS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_numpy_derivative_matches_sympy_to_1e10(name):
    _, grad = ACTIVATIONS[name]
    exact = activation_values(name, GRID)
    assert true_rel_error(grad(GRID), exact) < 1e-10


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_numpy_function_matches_sympy_to_1e10(name):
    f, _ = ACTIVATIONS[name]
    exact = activation_values(name, GRID, derivative=False)
    assert true_rel_error(f(GRID), exact) < 1e-10


@pytest.mark.parametrize("name, alpha", [("leaky_relu", 0.2), ("elu", 0.5), ("elu", 3.0)])
def test_alpha_variants_match_sympy(name, alpha):
    f, grad = ACTIVATIONS[name]
    assert true_rel_error(grad(GRID, alpha), activation_values(name, GRID, alpha=alpha)) < 1e-10
    assert true_rel_error(f(GRID, alpha),
                          activation_values(name, GRID, derivative=False, alpha=alpha)) < 1e-10


def test_kink_convention_matches_numpy():
    assert activation_values("relu", [0.0]).item() == 0.0
    assert activation_values("leaky_relu", [0.0], alpha=0.3).item() == 0.3
    assert activation_values("elu", [0.0], alpha=0.5).item() == 0.5


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_derivative_equals_textbook_form(name):
    info = activation_derivative(name)
    assert info["equal"] is True
    assert sp.simplify(info["derivative"] - info["raw"]) == 0 or isinstance(info["raw"], sp.Piecewise)


def test_textbook_forms_are_the_famous_ones():
    s = SIGMA(X)
    assert activation_derivative("sigmoid")["textbook"] == s * (1 - s)
    tb = activation_derivative("tanh")["textbook"]
    assert str(tb) == "1 - tanh(x)**2"
    assert activation_derivative("softplus")["textbook"] == s
    assert activation_derivative("sigmoid")["derivative"] == sp.exp(X) / (sp.exp(X) + 1) ** 2
    assert activation_derivative("elu")["derivative"] == sp.Piecewise((1, X > 0),
                                                                      (ALPHA * sp.exp(X), True))


def test_a_wrong_textbook_form_is_not_proved_equal():
    d = sp.diff(activation_expr("sigmoid"), X)
    assert symbolic._is_zero(d - symbolic._expand_textbook(SIGMA(X) * (1 - SIGMA(X))))
    assert not symbolic._is_zero(d - symbolic._expand_textbook(SIGMA(X)))            # missing 1-σ
    assert not symbolic._is_zero(d - symbolic._expand_textbook(1 - SIGMA(X) ** 2))
    t = sp.diff(activation_expr("tanh"), X)
    assert not symbolic._is_zero(t - (1 - sp.tanh(X)))                                # missing square
    e = sp.diff(activation_expr("elu"), X)
    assert not symbolic._is_zero(e - sp.Piecewise((1, X > 0), (ALPHA, True)))


def test_latex_shows_definition_and_textbook_form():
    tex = activation_derivation_latex("sigmoid")
    assert tex.startswith(r"\sigma(x) = \frac{1}{1 + e^{- x}}")
    assert r"\sigma'(x) = \frac{e^{x}}{\left(e^{x} + 1\right)^{2}} = " in tex
    assert r"\neq" not in tex
    assert r"1 - \tanh^{2}" in activation_derivation_latex("tanh")


def test_unknown_name():
    with pytest.raises(ValueError, match="name must be one of 'sigmoid', 'tanh'"):
        activation_expr("gelu")


def test_activation_values_rejects_non_finite_points():
    with pytest.raises(ValueError, match="xs must be finite"):
        activation_values("sigmoid", [0.0, np.inf])
