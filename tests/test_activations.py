"""mlbook.activations: values, derivatives (against finite differences), stability, bad input."""
import numpy as np
import pytest

from mlbook import activations as A
from mlbook.activations import (ACTIVATIONS, elu, elu_grad, get_activation, leaky_relu, leaky_relu_grad, log_softmax, maxout,
                                maxout_backward, relu, relu_grad, sigmoid, sigmoid_grad, softmax,
                                softplus, swish, tanh, tanh_grad)
from mlbook.gradcheck import numerical_gradient, rel_error
from mlbook.layers import Maxout, deep_mlp_gradient_norms

NAMES = list(ACTIVATIONS)
# away from the kink at 0 (finite differences straddling it average the two slopes), and
# |x| <= 4 where rounding in f(x +- eps) stays far below f'(x) (large |x|: see the sympy tests)
GRID = np.concatenate([np.linspace(-4, -0.05, 40), np.linspace(0.05, 4, 40)])
NO_FP_TROUBLE = dict(over="raise", divide="raise", invalid="raise")


def pointwise_numerical_derivative(f, xs):
    """numerical_gradient of the scalar f at each point separately (f is elementwise)."""
    return np.array([numerical_gradient(lambda v: float(f(v)[0]), np.array([x])).item()
                     for x in xs])


def test_registry_has_every_documented_activation():
    assert NAMES == ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish"]
    for name, (f, g) in ACTIVATIONS.items():
        assert f.__name__ == name and g.__name__ == name + "_grad"
        assert f is getattr(A, name) and g is getattr(A, name + "_grad")


@pytest.mark.parametrize("name", NAMES)
def test_every_derivative_matches_finite_differences(name):
    f, g = ACTIVATIONS[name]
    numeric = pointwise_numerical_derivative(f, GRID)
    assert rel_error(g(GRID), numeric) < 1e-7


@pytest.mark.parametrize("alpha", [0.01, 0.3, 2.5])
def test_alpha_derivatives_match_finite_differences(alpha):
    for f, g in [(leaky_relu, leaky_relu_grad), (elu, elu_grad)]:
        numeric = pointwise_numerical_derivative(lambda v: f(v, alpha), GRID)
        assert rel_error(g(GRID, alpha), numeric) < 1e-7, f.__name__


def test_known_values():
    assert sigmoid(0) == 0.5 and sigmoid_grad(0) == 0.25
    assert np.isclose(sigmoid_grad(10), 4.5395807735951673e-05, rtol=1e-14)
    assert np.isclose(sigmoid_grad(-10), sigmoid_grad(10), rtol=1e-15)
    assert tanh_grad(0) == 1.0 and np.isclose(tanh_grad(1.0), 1 - np.tanh(1.0) ** 2, rtol=1e-14)
    assert np.isclose(softplus(0), np.log(2), rtol=1e-15)
    assert np.isclose(swish(1.0), 1 / (1 + np.exp(-1.0)), rtol=1e-15)
    assert elu(-np.log(2), alpha=2.0) == pytest.approx(-1.0, rel=1e-14)
    assert leaky_relu(-3.0, alpha=0.1) == pytest.approx(-0.3)
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def test_derivative_convention_at_the_kink_is_the_left_derivative():
    assert relu_grad(0) == 0.0 and relu_grad(0.0) == 0.0
    assert leaky_relu_grad(0.0, alpha=0.2) == 0.2
    assert elu_grad(0.0, alpha=0.5) == 0.5 and elu_grad(0.0) == 1.0
    assert "relu_grad(0) = 0" in A.__doc__


@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_are_finite_without_warnings(name):
    f, g = ACTIVATIONS[name]
    x = np.array([-1e308, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e308])
    with np.errstate(**NO_FP_TROUBLE):
        y, dy = f(x), g(x)
    assert np.isfinite(y).all() and np.isfinite(dy).all()


def test_large_inputs_keep_relative_precision():
    # sigma'(40) = e^-40 / (1 + e^-40)^2, which a naive s * (1 - s) rounds to 0
    assert sigmoid_grad(40.0) == pytest.approx(np.exp(-40.0), rel=1e-14)
    assert tanh_grad(20.0) == pytest.approx(4 * np.exp(-40.0), rel=1e-13)
    assert softplus(-40.0) == pytest.approx(np.exp(-40.0), rel=1e-14)
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0
    assert elu(-1000.0) == -1.0 and softplus(1000.0) == 1000.0


@pytest.mark.parametrize("name", NAMES)
def test_shapes_scalars_and_integer_promotion(name):
    f, g = ACTIVATIONS[name]
    xi = np.array([[-2, -1], [0, 3]])                       # int64
    for fn in (f, g):
        out = fn(xi)
        assert out.shape == (2, 2) and out.dtype == np.float64
        np.testing.assert_allclose(out, fn(xi.astype(float)), rtol=0, atol=0)
        assert isinstance(fn(2), float) and fn(2) == fn(2.0)
        np.testing.assert_allclose(fn([-1, 2]), fn(np.array([-1.0, 2.0])))
    x = np.array([-1.0, 2.0])
    before = x.copy()
    f(x), g(x)
    np.testing.assert_array_equal(x, before)                # inputs are not modified


@pytest.mark.parametrize("fn", [elu, elu_grad])
@pytest.mark.parametrize("alpha", [0.0, -1.0, np.inf, np.nan])
def test_elu_rejects_bad_alpha(fn, alpha):
    with pytest.raises(ValueError, match="alpha must be a positive finite number"):
        fn(np.array([1.0]), alpha=alpha)


@pytest.mark.parametrize("fn", [leaky_relu, leaky_relu_grad])
@pytest.mark.parametrize("alpha", [-0.01, np.inf, -np.inf, np.nan])
def test_leaky_relu_rejects_bad_alpha(fn, alpha):
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        fn(np.array([1.0]), alpha=alpha)


def test_leaky_relu_alpha_zero_is_relu_and_types_are_checked():
    x = np.array([-2.0, 0.0, 1.5])
    np.testing.assert_array_equal(leaky_relu(x, alpha=0), relu(x))
    with pytest.raises(TypeError, match="alpha must be a positive finite number"):
        elu(x, alpha="1")
    with pytest.raises(TypeError, match="alpha must be a real number"):
        leaky_relu(x, alpha=np.array([0.1, 0.2]))


@pytest.mark.parametrize("bad", ["abc", None, np.array(["a"]), np.array([1 + 2j]), [[1, 2], [3]]])
def test_non_numeric_input_is_a_type_error(bad):
    with pytest.raises(TypeError, match="sigmoid: x must be a real number"):
        sigmoid(bad)


def test_get_activation():
    assert get_activation("tanh") == (tanh, tanh_grad)
    assert get_activation(" ReLU ") == (relu, relu_grad)
    with pytest.raises(ValueError) as err:
        get_activation("gelu")
    msg = str(err.value)
    assert "'gelu'" in msg and all(name in msg for name in NAMES)
    with pytest.raises(TypeError, match="name must be a string"):
        get_activation(sigmoid)


# --------------------------------------------------------------------------------------------
# softmax

def test_softmax_values_and_sum():
    p = softmax(np.array([1.0, 2.0, 3.0]))
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p, e / e.sum(), rtol=1e-15)
    np.testing.assert_allclose(log_softmax(np.array([1.0, 2.0, 3.0])), np.log(e / e.sum()),
                               rtol=1e-14)
    np.testing.assert_allclose(softmax(np.array([1, 2, 3])), p)     # ints promoted


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_softmax_any_axis_large_inputs(axis):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1000, size=(3, 4, 5))
    x[0, 0, 0], x[1, 1, 1] = 1000.0, -1000.0
    with np.errstate(**NO_FP_TROUBLE):
        p, lp = softmax(x, axis=axis), log_softmax(x, axis=axis)
    assert np.isfinite(p).all() and np.isfinite(lp).all()
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(lp), p, rtol=1e-12, atol=1e-300)
    # reference: move axis last, subtract max by hand in each slice
    moved = np.moveaxis(x, axis, -1)
    ref = np.exp(moved - moved.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(p, np.moveaxis(ref, -1, axis), rtol=1e-12, atol=1e-300)


def test_softmax_of_pm_1000_and_shift_invariance():
    x = np.array([1000.0, -1000.0, 0.0])
    np.testing.assert_array_equal(softmax(x), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(log_softmax(x), [0.0, -2000.0, -1000.0], rtol=1e-15)
    np.testing.assert_allclose(softmax(np.array([1000.0, 1001.0])), softmax(np.array([0.0, 1.0])),
                               rtol=1e-15)
    big_batch = np.random.default_rng(1).normal(0, 500, size=(10_000, 10))
    np.testing.assert_allclose(softmax(big_batch).sum(1), 1.0, rtol=1e-12)


def test_softmax_cross_entropy_gradient_is_p_minus_onehot():
    rng = np.random.default_rng(2)
    z = rng.normal(size=5)
    y = 3
    numeric = numerical_gradient(lambda v: -log_softmax(v)[y], z)
    assert rel_error(softmax(z) - np.eye(5)[y], numeric) < 1e-7


def test_softmax_masking_and_bad_input():
    np.testing.assert_allclose(softmax(np.array([0.0, -np.inf, 0.0])), [0.5, 0.0, 0.5])
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        softmax(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        log_softmax(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="all -inf"):
        softmax(np.array([-np.inf, -np.inf]))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis must be an int"):
        softmax(np.zeros((2, 3)), axis=1.0)
    with pytest.raises(ValueError, match="at least one dimension"):
        softmax(3.0)
    with pytest.raises(ValueError, match=r"no entries along axis 1 \(shape \(3, 0\)\)"):
        log_softmax(np.zeros((3, 0)), axis=1)


# --------------------------------------------------------------------------------------------
# maxout

def test_maxout_routes_gradient_to_the_winner():
    z = np.array([[1.0, 3.0, 2.0], [-1.0, -5.0, -2.0]])
    assert maxout(z).tolist() == [3.0, -1.0]
    dz = maxout_backward(np.array([10.0, 20.0]), z)
    np.testing.assert_array_equal(dz, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])
    # ties go to the first piece
    np.testing.assert_array_equal(maxout_backward(np.array([1.0]), np.array([[2.0, 2.0]])), [[1, 0]])
    with pytest.raises(ValueError, match="dout must have shape"):
        maxout_backward(np.ones(3), z)


def test_maxout_layer_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    layer = Maxout(4, 3, pieces=3, rng=rng)
    x = rng.normal(size=(5, 4))
    g = rng.normal(size=(5, 3))
    y = layer.forward(x)
    assert y.shape == (5, 3)
    dx = layer.backward(g)
    loss = lambda _=None: np.sum(layer.forward(x) * g)  # noqa: E731
    assert rel_error(dx, numerical_gradient(lambda v: np.sum(layer.forward(v) * g), x.copy())) < 1e-7
    for k in ("W", "b"):
        assert rel_error(layer.grads[k], numerical_gradient(loss, layer.params[k])) < 1e-7
    with pytest.raises(ValueError, match=r"x must have shape \(N, 4\)"):
        layer.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match="pieces must be an integer >= 1"):
        Maxout(2, 2, pieces=0)


# --------------------------------------------------------------------------------------------
# vanishing gradients

def test_deep_mlp_gradient_norms_sigmoid_vanishes_tanh_and_relu_do_not():
    n = {a: deep_mlp_gradient_norms(a, depth=12, rng=0) for a in ("sigmoid", "tanh", "relu")}
    assert all(v.shape == (12,) and (v > 0).all() for v in n.values())
    # sigma' <= 1/4: the first layer gets a tiny fraction of the last layer's gradient
    assert n["sigmoid"][0] / n["sigmoid"][-1] < 1e-5
    assert 0.3 < n["tanh"][0] / n["tanh"][-1] < 3
    assert 0.3 < n["relu"][0] / n["relu"][-1] < 3
    np.testing.assert_array_equal(deep_mlp_gradient_norms("relu", depth=3, rng=5),
                                  deep_mlp_gradient_norms("relu", depth=3, rng=5))


def test_deep_mlp_gradient_norms_against_finite_differences():
    # tiny net: check dL/dW_1 numerically by rebuilding the same weights from the seed
    depth, width, batch = 3, 4, 5
    norms = deep_mlp_gradient_norms("tanh", depth=depth, width=width, batch=batch, rng=7)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((batch, width))
    Ws = [rng.normal(0.0, np.sqrt(1 / width), (width, width)) for _ in range(depth)]
    g = rng.standard_normal((batch, width))

    def loss(_):
        h = x
        for W in Ws:
            h = np.tanh(h @ W)
        return np.sum(h * g) / batch

    for l in range(depth):
        assert np.isclose(norms[l], np.linalg.norm(numerical_gradient(loss, Ws[l])), rtol=1e-7)


def test_deep_mlp_gradient_norms_bad_input():
    with pytest.raises(ValueError, match="unknown activation"):
        deep_mlp_gradient_norms("sigmoidd")
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        deep_mlp_gradient_norms("relu", depth=0)
    with pytest.raises(ValueError, match="init must be"):
        deep_mlp_gradient_norms("relu", init="glorot")
