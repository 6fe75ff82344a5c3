"""Dense, activations and Sequential: every backward against numerical_gradient (float64)."""
import numpy as np
import pytest

from mlbook.gradcheck import numerical_gradient, rel_error
from mlbook.layers import Dense, ReLU, Sequential, Sigmoid, Tanh
from mlbook.layers.base import Layer
from mlbook.losses import mse, softmax_cross_entropy

rng = np.random.default_rng(42)


def check_layer(layer, x):
    """Compare dx and every grads[k] with central differences of L = sum(y * dy)."""
    dy = rng.normal(size=layer.forward(x).shape)
    layer.forward(x)
    dx = layer.backward(dy)
    loss = lambda _: float(np.sum(layer.forward(x) * dy))  # noqa: E731
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-7
    for k, p in layer.params.items():
        assert rel_error(layer.grads[k], numerical_gradient(loss, p)) < 1e-7, k


def test_dense_forward_is_xW_plus_b():
    d = Dense(3, 2, rng=0)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(d.forward(x), x @ d.params["W"] + d.params["b"])
    assert d.params["W"].shape == (3, 2) and d.params["b"].shape == (2,)
    a = np.sqrt(6 / 5)
    assert np.all(np.abs(d.params["W"]) <= a) and np.all(d.params["b"] == 0)


def test_dense_seed_is_reproducible():
    np.testing.assert_array_equal(Dense(4, 3, rng=7).params["W"], Dense(4, 3, rng=7).params["W"])


@pytest.mark.parametrize("layer", [Dense(4, 3, rng=1), Sigmoid(), Tanh(), ReLU()],
                         ids=["Dense", "Sigmoid", "Tanh", "ReLU"])
def test_backward_matches_numerical_gradient(layer):
    x = rng.normal(size=(5, 4))
    if isinstance(layer, ReLU):
        x[np.abs(x) < 1e-3] = 0.5        # stay away from the kink
    check_layer(layer, x)


def test_activations_values():
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x))
    np.testing.assert_allclose(ReLU().forward(x), [[0.0, 0.0, 2.0]])
    r = ReLU()
    r.forward(x)
    np.testing.assert_allclose(r.backward(np.ones_like(x)), [[0.0, 0.0, 1.0]])
    # stable sigmoid for huge inputs, no warning
    assert Sigmoid().forward(np.array([[-1000.0, 1000.0]])).tolist() == [[0.0, 1.0]]


def test_sequential_gradcheck_through_a_loss():
    model = Sequential([Dense(3, 5, rng=2), Tanh(), Dense(5, 4, rng=3), Sigmoid(), Dense(4, 3, rng=4)])
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)

    def loss(_):
        return softmax_cross_entropy(model.forward(x), y)[0]

    _, dout = softmax_cross_entropy(model.forward(x), y)
    dx = model.backward(dout)
    grads = model.grads
    assert set(grads) == {"0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}
    # eps = 1e-5: some entries are ~1e-5, where eps = 1e-6 leaves rounding noise near 1e-7
    for k, p in model.params.items():
        assert rel_error(grads[k], numerical_gradient(loss, p, eps=1e-5)) < 1e-7, k
    assert rel_error(dx, numerical_gradient(loss, x, eps=1e-5)) < 1e-7


def test_sequential_params_are_the_layers_arrays():
    d = Dense(2, 2, rng=0)
    model = Sequential([d, ReLU()])
    assert model.params["0.W"] is d.params["W"]
    assert isinstance(model, Layer)


def test_dense_reproduces_the_worked_example_output_layer():
    """The blog's net as Dense + Sigmoid layers: same E_total as mlbook.worked_example."""
    from mlbook import worked_example as we
    p = we.INITIAL_PARAMS
    hidden, out = Dense(2, 2), Dense(2, 2)
    hidden.params["W"][...] = [[p["w1"], p["w3"]], [p["w2"], p["w4"]]]
    hidden.params["b"][...] = p["b1"]
    out.params["W"][...] = [[p["w5"], p["w7"]], [p["w6"], p["w8"]]]
    out.params["b"][...] = p["b2"]
    model = Sequential([hidden, Sigmoid(), out, Sigmoid()])
    loss, dout = mse(model.forward(np.array([we.INPUTS])), np.array([we.TARGETS]))
    assert loss == pytest.approx(we.forward()["E_total"], abs=1e-15)
    model.backward(dout)
    g = we.gradients()
    assert model.grads["2.W"][0, 0] == pytest.approx(g["w5"], abs=1e-15)
    assert model.grads["0.W"][0, 0] == pytest.approx(g["w1"], abs=1e-15)


def test_bad_input():
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\)"):
        Dense(3, 2).forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="n_out must be an integer >= 1"):
        Dense(3, 0)
    with pytest.raises(TypeError, match="rng"):
        Dense(3, 2, rng="seed")
    d = Dense(3, 2)
    d.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape \(4, 2\)"):
        d.backward(np.zeros((4, 3)))
    with pytest.raises(TypeError, match=r"layers\[1\]"):
        Sequential([Dense(2, 2), np.tanh])


def test_relu_layer_equals_the_functions_bit_for_bit():
    """ReLU's mask path gives relu(x) and dy * relu_grad(x) exactly: signed zeros, inf, and
    NaN (NaN in x takes the functions' path: NaN flows on)."""
    from mlbook.activations import relu, relu_grad
    r = np.random.default_rng(5)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, 1e-310, -1e-310, 3.0, -3.0])
    for x in (r.normal(size=(6, 8)), np.vstack([specials] * 2),
              np.vstack([specials, np.full(8, np.nan)]), r.normal(size=(3, 8)).astype(np.float32)):
        dy = r.normal(size=x.shape)
        dy[0, :2] = [np.inf, -0.0]
        layer = ReLU()
        with np.errstate(invalid="ignore"):
            y = layer.forward(x)
            dx = layer.backward(dy)
            want_y, want_dx = relu(x), dy * relu_grad(x)
        assert y.dtype == want_y.dtype and dx.dtype == want_dx.dtype
        np.testing.assert_array_equal(y, want_y)
        np.testing.assert_array_equal(np.signbit(y), np.signbit(want_y))
        np.testing.assert_array_equal(dx, want_dx)
        np.testing.assert_array_equal(np.signbit(dx), np.signbit(want_dx))


@pytest.mark.parametrize("first", ["dense", "dropout_then_dense", "conv"])
def test_backward_without_input_grad_gives_the_same_grads(first):
    """Sequential.backward(dy, input_grad=False): the grads of backward(dy), bit for bit,
    and None instead of dL/dx (the layers before the first one with parameters skipped)."""
    from mlbook.layers import Conv2D, Dropout, Flatten
    if first == "conv":
        layers = lambda: [Conv2D(1, 2, 3, padding=1, rng=0), ReLU(), Flatten(), Dense(32, 3, rng=1)]  # noqa: E731
        x = rng.normal(size=(5, 1, 4, 4))
    else:
        pre = [Dropout(0.3, rng=2)] if first == "dropout_then_dense" else []
        layers = lambda: pre + [Dense(6, 4, rng=0), ReLU(), Dense(4, 3, rng=1)]  # noqa: E731
        x = rng.normal(size=(5, 6))
    a, b = Sequential(layers()), Sequential(layers())
    dy = rng.normal(size=(5, 3))
    for net in (a, b):
        for layer in net.layers:
            if hasattr(layer, "fixed_mask"):
                layer.fixed_mask = np.arange(6) % 2 == 0
        net.forward(x)
    assert a.backward(dy) is not None
    assert b.backward(dy, input_grad=False) is None
    assert a.grads.keys() == b.grads.keys()
    for k in a.grads:
        np.testing.assert_array_equal(a.grads[k], b.grads[k])


def test_backward_without_input_grad_still_checks_the_grads_for_overflow():
    from mlbook.validation import FloatOverflowError
    layer = Dense(2, 2, rng=0)
    layer.forward(np.array([[1e300, 1.0]]))
    with pytest.raises(FloatOverflowError, match="Dense.backward"):
        layer.backward(np.array([[1e300, 1.0]]), input_grad=False)
