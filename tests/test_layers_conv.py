"""mlbook.layers.convolutional: Conv2D, MaxPool2D, Flatten against loops and finite differences."""
import numpy as np
import pytest

from mlbook.conv import conv2d
from mlbook.gradcheck import numerical_gradient, rel_error
from mlbook.layers import Conv2D, Flatten, Layer, MaxPool2D


def loop_conv_layer(x, W, b, stride, padding):
    """Direct loops over images, filters, output rows and columns."""
    N, C, H, Wd = x.shape
    F, _, k, _ = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    OH, OW = (H + 2 * padding - k) // stride + 1, (Wd + 2 * padding - k) // stride + 1
    y = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    y[n, f, i, j] = np.sum(W[f] * xp[n, :, i * stride:i * stride + k,
                                                     j * stride:j * stride + k]) + b[f]
    return y


CONFIGS = [  # (N, c_in, c_out, H, W, k, stride, padding)
    (2, 1, 1, 5, 5, 3, 1, 0), (2, 3, 4, 7, 6, 3, 1, 1), (3, 2, 3, 8, 9, 3, 2, 1),
    (1, 3, 2, 6, 6, 3, 1, 0), (2, 2, 2, 7, 7, 2, 3, 2), (2, 4, 3, 5, 4, 1, 1, 0),
    (1, 1, 2, 5, 5, 5, 1, 0), (2, 2, 2, 4, 4, 5, 1, 1),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=str)
def test_conv2d_forward_matches_loops_and_backward_matches_numerical_gradient(cfg):
    N, c_in, c_out, H, W, k, s, p = cfg
    rng = np.random.default_rng(sum(cfg))
    layer = Conv2D(c_in, c_out, k, stride=s, padding=p, rng=rng)
    layer.params["b"][:] = rng.normal(size=c_out)
    x = rng.normal(size=(N, c_in, H, W))
    y = layer.forward(x)
    np.testing.assert_allclose(y, loop_conv_layer(x, layer.params["W"], layer.params["b"], s, p),
                               rtol=1e-12, atol=1e-12)
    g = rng.normal(size=y.shape)
    dx = layer.backward(g)
    assert dx.shape == x.shape

    def loss(_):
        return np.sum(layer.forward(x) * g)

    # L = sum(g * y) is linear in x, W and b, so central differences are exact up to rounding
    assert rel_error(dx, numerical_gradient(loss, x, eps=1e-3)) < 1e-7
    grads = {k_: v.copy() for k_, v in layer.grads.items()}
    for name in ("W", "b"):
        num = numerical_gradient(loss, layer.params[name], eps=1e-3)
        assert rel_error(grads[name], num) < 1e-7, name
    assert set(layer.grads) == set(layer.params)
    assert all(layer.grads[k_].shape == layer.params[k_].shape for k_ in layer.params)


def test_conv2d_with_a_nonlinear_loss_gradcheck():
    rng = np.random.default_rng(7)
    layer = Conv2D(2, 3, 3, padding=1, rng=rng)
    x = rng.normal(size=(2, 2, 5, 5))
    t = rng.normal(size=(2, 3, 5, 5))

    def loss(_):
        return 0.5 * np.sum((np.tanh(layer.forward(x)) - t) ** 2)

    y = layer.forward(x)
    dx = layer.backward((np.tanh(y) - t) * (1 - np.tanh(y) ** 2))
    dW = layer.grads["W"].copy()
    # a curved loss: central differences carry ~1e-9 absolute error, and rel_error is taken
    # entry by entry, so a gradient entry near 1e-4 limits it to ~1e-5 (a bug gives > 1e-2)
    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-5
    assert rel_error(dW, numerical_gradient(loss, layer.params["W"])) < 1e-5
    assert np.abs(dx - numerical_gradient(loss, x)).max() < 1e-7


def test_conv2d_channel_sum_matches_single_channel_conv2d():
    rng = np.random.default_rng(3)
    layer = Conv2D(3, 2, 3, rng=rng)           # the slide's 6x6x3 input, two 3x3x3 filters
    x = rng.normal(size=(1, 3, 6, 6))
    y = layer.forward(x)
    assert y.shape == (1, 2, 4, 4)
    for f in range(2):
        expected = sum(conv2d(x[0, c], layer.params["W"][f, c]) for c in range(3))
        np.testing.assert_allclose(y[0, f], expected + layer.params["b"][f], atol=1e-12)


def test_conv2d_learning_step_reduces_the_loss_and_updates_params_in_place():
    rng = np.random.default_rng(0)
    layer = Conv2D(1, 1, 3, rng=rng)
    W_before = layer.params["W"]
    x = rng.normal(size=(4, 1, 8, 8))
    target = np.stack([conv2d(img[0], np.ones((3, 3)))[None] for img in x])
    losses = []
    for _ in range(30):
        y = layer.forward(x)
        losses.append(0.5 * np.mean((y - target) ** 2))
        layer.backward((y - target) / y.size)
        for k in layer.params:
            layer.params[k] -= 0.5 * layer.grads[k]
    assert layer.params["W"] is W_before
    assert losses[-1] < 0.1 * losses[0]


def test_conv2d_dtypes_init_and_repr():
    layer = Conv2D(2, 4, 3, rng=0)
    assert layer.params["W"].shape == (4, 2, 3, 3) and layer.params["b"].shape == (4,)
    assert abs(layer.params["W"].std() - np.sqrt(2 / 18)) < 0.12
    np.testing.assert_array_equal(Conv2D(2, 4, 3, rng=0).params["W"], layer.params["W"])
    x32 = np.ones((1, 2, 5, 5), dtype=np.float32)
    y = layer.forward(x32)
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32
    assert layer.grads["W"].dtype == np.float64
    assert layer.forward(np.ones((1, 2, 5, 5), dtype=int)).dtype == np.float64
    assert "Conv2D(2, 4, 3" in repr(layer)
    assert isinstance(layer, Layer)


def test_conv2d_backward_returns_fresh_arrays():
    rng = np.random.default_rng(2)
    layer = Conv2D(1, 2, 3, padding=1, rng=rng)
    x = rng.normal(size=(2, 1, 4, 4))
    y1 = layer.forward(x)
    dx1 = layer.backward(np.ones_like(y1))
    keep_y, keep_dx = y1.copy(), dx1.copy()
    y2 = layer.forward(2 * x)
    layer.backward(5 * np.ones_like(y2))
    np.testing.assert_array_equal(y1, keep_y)
    np.testing.assert_array_equal(dx1, keep_dx)


def test_conv2d_bad_inputs_state_the_shapes():
    layer = Conv2D(3, 4, 3)
    with pytest.raises(ValueError, match=r"expected 3 input channel\(s\).*\(N, 3, H, W\).*\(2, 1, 8, 8\)"):
        layer.forward(np.zeros((2, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(3, 8, 8\).*x\[:, None\]"):
        layer.forward(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match=r"kernel 3x3 is larger than the padded input.*\(1, 3, 2, 2\)"):
        layer.forward(np.zeros((1, 3, 2, 2)))
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        Conv2D(1, 1, 3, stride=0)
    with pytest.raises(ValueError, match="padding"):
        Conv2D(1, 1, 3, padding=-1)
    with pytest.raises(TypeError, match="kernel"):
        Conv2D(1, 1, 2.5)
    with pytest.raises(TypeError, match="x must be a real number or an array"):
        layer.forward("image")
    with pytest.raises(ValueError, match=r"\(N, C, H, W\), got shape \(1, 1\)"):
        layer.forward([[1.0]])
    layer.forward(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(2, 4, 3, 3\)"):
        layer.backward(np.zeros((2, 4, 5, 5)))
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(1, 1, 1).backward(np.zeros((1, 1, 1, 1)))


@pytest.mark.parametrize("size,stride", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_maxpool_forward_and_gradient(size, stride):
    rng = np.random.default_rng(size * 7 + stride)
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0   # distinct values: no ties
    pool = MaxPool2D(size, stride)
    y = pool.forward(x)
    OH, OW = (7 - size) // stride + 1, (8 - size) // stride + 1
    assert y.shape == (2, 3, OH, OW)
    for i in range(OH):
        for j in range(OW):
            np.testing.assert_array_equal(
                y[:, :, i, j],
                x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3)))
    g = rng.normal(size=y.shape)
    dx = pool.backward(g)
    num = numerical_gradient(lambda _: np.sum(pool.forward(x) * g), x, eps=1e-4)
    assert rel_error(dx, num) < 1e-7
    np.testing.assert_allclose(dx.sum(), g.sum())   # every upstream gradient lands somewhere


def test_maxpool_slide_example_and_ties_go_to_the_first_maximum():
    x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]], dtype=float)[None, None]
    pool = MaxPool2D(2, 2)
    np.testing.assert_array_equal(pool.forward(x)[0, 0], [[9, 2], [6, 3]])
    tie = np.array([[[[4.0, 4.0], [1.0, 4.0]]]])
    pool.forward(tie)
    np.testing.assert_array_equal(pool.backward(np.array([[[[1.0]]]]))[0, 0], [[1, 0], [0, 0]])
    with pytest.raises(ValueError, match="larger than the input"):
        MaxPool2D(3, 1).forward(np.zeros((1, 1, 2, 5)))
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        MaxPool2D(0)


def test_flatten_round_trip():
    x = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    f = Flatten()
    y = f.forward(x)
    assert y.shape == (2, 60)
    np.testing.assert_array_equal(y[1], x[1].ravel())
    np.testing.assert_array_equal(f.backward(y), x)
    with pytest.raises(ValueError, match="batch axis"):
        f.forward(np.float64(3.0))


def test_a_tiny_convnet_backward_through_every_layer():
    rng = np.random.default_rng(11)
    conv, pool, flat = Conv2D(1, 2, 3, padding=1, rng=rng), MaxPool2D(2, 2), Flatten()
    x = rng.normal(size=(2, 1, 6, 6))
    v = rng.normal(size=(2, 18))

    def loss(_):
        return np.sum(flat.forward(pool.forward(conv.forward(x))) * v)

    loss(None)
    dx = conv.backward(pool.backward(flat.backward(v)))
    dW = conv.grads["W"].copy()
    assert rel_error(dx, numerical_gradient(loss, x, eps=1e-5)) < 1e-7
    assert rel_error(dW, numerical_gradient(loss, conv.params["W"], eps=1e-5)) < 1e-7


@pytest.mark.parametrize("stride", [2, 1])
@pytest.mark.parametrize("shape", [(3, 2, 6, 6), (2, 3, 7, 5), (1, 1, 2, 2)])
def test_maxpool_2x2_tournament_equals_the_general_loop(shape, stride, monkeypatch):
    """The 2 x 2 fast path (pairwise maxima) gives the general loop's y, winners and dx, bit
    for bit: random values with many ties (small integers), signed zeros, +-inf, channels-last
    memory as after a Conv2D; a window with NaN goes to the general loop."""
    from mlbook.layers import MaxPool2D
    r = np.random.default_rng(sum(shape) + stride)
    cases = [r.integers(-2, 3, size=shape).astype(float), r.normal(size=shape),
             r.choice([0.0, -0.0, 1.0, np.inf, -np.inf], size=shape),
             np.ascontiguousarray(r.integers(0, 2, size=shape).astype(float).transpose(1, 2, 3, 0)
                                  ).transpose(3, 0, 1, 2)]
    nan = r.normal(size=shape)
    nan.flat[r.integers(nan.size, size=3)] = np.nan
    cases.append(nan)
    for x in cases:
        fast = MaxPool2D(2, stride)
        with np.errstate(invalid="ignore"):
            y = fast.forward(x)
            dy = r.normal(size=y.shape)
            dx = fast.backward(dy)
        with monkeypatch.context() as m:
            m.setattr(MaxPool2D, "_forward_2x2", staticmethod(lambda x, views: None))
            ref = MaxPool2D(2, stride)
            with np.errstate(invalid="ignore"):
                y_ref = ref.forward(x)
                dx_ref = ref.backward(dy)
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(np.signbit(y), np.signbit(y_ref))
        np.testing.assert_array_equal(fast.cache[2], ref.cache[2])
        np.testing.assert_array_equal(dx, dx_ref)
        np.testing.assert_array_equal(np.signbit(dx), np.signbit(dx_ref))
