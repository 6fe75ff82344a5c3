"""BatchNorm and BatchNorm2D: backward against finite differences (float64), running
statistics, evaluation mode, PyTorch's conventions, and every bad input."""
import numpy as np
import pytest

from mlbook.gradcheck import numerical_gradient, rel_error
from mlbook.layers import BatchNorm, BatchNorm2D, Dense, ReLU, Sequential
from mlbook.layers.batchnorm import batchnorm_backward, batchnorm_forward

# BN's dx sums to zero per feature, so some entries are tiny; a step of 1e-4 keeps the
# rounding noise of the central difference below them (the function is smooth, so the
# truncation error of the larger step is ~1e-9 relative).
EPS = 1e-4


def layer_and_input(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "1d":
        layer, shape = BatchNorm(4), (6, 4)
    else:
        layer, shape = BatchNorm2D(3), (2, 3, 4, 5)
    layer.params["gamma"][:] = rng.normal(size=layer.n_features)
    layer.params["beta"][:] = rng.normal(size=layer.n_features)
    x = rng.normal(1.0, 2.0, size=shape)
    return layer, x, rng.normal(size=shape)


@pytest.mark.parametrize("kind", ["1d", "2d"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("seed", range(4))
def test_backward_matches_finite_differences(kind, training, seed):
    layer, x, dy = layer_and_input(kind, seed)
    if not training:                 # some non-trivial running statistics first
        layer.forward(x * 0.5 + 0.3)
    layer.forward(x, training=training)
    dx = layer.backward(dy)
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()

    def loss(_):
        return float(np.sum(layer.forward(x, training=training) * dy))

    assert rel_error(dx, numerical_gradient(loss, x, eps=EPS)) < 1e-7
    for k in ("gamma", "beta"):
        assert rel_error(layer.grads[k], numerical_gradient(loss, layer.params[k], eps=EPS)) < 1e-7, k
    if not training:
        np.testing.assert_array_equal(layer.running_mean, rm)   # eval mode leaves them alone
        np.testing.assert_array_equal(layer.running_var, rv)


def test_forward_normalizes_with_biased_batch_statistics():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 5.0, size=(8, 3))
    bn = BatchNorm(3, eps=1e-5)
    bn.params["gamma"][:] = [1.0, 2.0, 0.5]
    bn.params["beta"][:] = [0.0, -1.0, 4.0]
    y = bn.forward(x)
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(y, xhat * [1.0, 2.0, 0.5] + [0.0, -1.0, 4.0], rtol=1e-12)
    np.testing.assert_allclose(((y - bn.params["beta"]) / bn.params["gamma"]).mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(((y - bn.params["beta"]) / bn.params["gamma"]).var(0),
                               x.var(0) / (x.var(0) + 1e-5), rtol=1e-12)


def test_running_averages_follow_pytorch():
    rng = np.random.default_rng(2)
    bn = BatchNorm(2, momentum=0.3)
    np.testing.assert_array_equal(bn.running_mean, [0, 0])
    np.testing.assert_array_equal(bn.running_var, [1, 1])
    rm, rv = np.zeros(2), np.ones(2)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=(5, 2))
        bn.forward(x)
        rm = 0.7 * rm + 0.3 * x.mean(0)
        rv = 0.7 * rv + 0.3 * x.var(0, ddof=1)          # unbiased, as torch.nn.BatchNorm1d
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, rv, rtol=1e-12)
    # momentum = 1 keeps only the last batch
    bn1 = BatchNorm(2, momentum=1.0)
    bn1.forward(x)
    np.testing.assert_allclose(bn1.running_var, x.var(0, ddof=1), rtol=1e-12)


def test_2d_statistics_per_channel_over_n_h_w():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 2, 3, 5)) * np.array([1.0, 10.0])[None, :, None, None] + 7.0
    bn = BatchNorm2D(2, momentum=1.0)
    y = bn.forward(x)
    assert y.shape == x.shape
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)) / (x.var(axis=(0, 2, 3)) + 1e-5),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    # the same numbers as BatchNorm on the (N H W, C) rows
    flat = BatchNorm(2).forward(x.transpose(0, 2, 3, 1).reshape(-1, 2))
    np.testing.assert_allclose(y, flat.reshape(4, 3, 5, 2).transpose(0, 3, 1, 2), rtol=1e-12)
    # one image is a batch of 15 values per channel: allowed in training
    assert BatchNorm2D(2).forward(x[:1]).shape == (1, 2, 3, 5)


def test_eval_mode_uses_running_statistics():
    rng = np.random.default_rng(4)
    bn = BatchNorm(3, momentum=0.5)
    for _ in range(20):
        bn.forward(rng.normal(5.0, 2.0, size=(32, 3)))
    x = rng.normal(5.0, 2.0, size=(4, 3))
    bn.params["gamma"][:] = 2.0
    y_eval = bn.forward(x, training=False)
    expected = 2.0 * (x - bn.running_mean) / np.sqrt(bn.running_var + bn.eps)
    np.testing.assert_allclose(y_eval, expected, rtol=1e-12)
    # each example alone gives the same answer in eval mode (no dependence on the batch) ...
    np.testing.assert_allclose(bn.forward(x[:1], training=False), y_eval[:1], rtol=1e-12)
    # the running statistics approach the data's (mean 5, variance 4)
    assert np.all(np.abs(bn.running_mean - 5.0) < 0.6) and np.all(np.abs(bn.running_var - 4.0) < 1.5)
    # ... and training mode differs: it uses this batch's statistics
    assert not np.allclose(bn.forward(x, training=True), y_eval, atol=1e-3)


def test_in_a_sequential_gradcheck_through_the_net():
    rng = np.random.default_rng(5)
    model = Sequential([Dense(3, 5, rng=1), BatchNorm(5), ReLU(), Dense(5, 2, rng=2)])
    x, dy = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    model.forward(x)
    model.backward(dy)
    grads = {k: v.copy() for k, v in model.grads.items()}
    assert {"1.gamma", "1.beta"} <= set(grads)

    def loss(_):
        return float(np.sum(model.forward(x) * dy))
    # the bias of the Dense layer in front of BatchNorm gets no gradient: BN subtracts the
    # batch mean, which cancels any constant shift (so that bias is redundant)
    np.testing.assert_allclose(grads["0.b"], 0, atol=1e-12)
    for k, p in model.params.items():
        if k != "0.b":
            assert rel_error(grads[k], numerical_gradient(loss, p, eps=EPS)) < 1e-7, k


def test_functional_form_equals_layer():
    rng = np.random.default_rng(6)
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    y, cache = batchnorm_forward(x, gamma, beta, 1e-5)
    bn = BatchNorm(3)
    bn.params["gamma"][:], bn.params["beta"][:] = gamma, beta
    np.testing.assert_array_equal(bn.forward(x), y)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    np.testing.assert_array_equal(bn.backward(dy), dx)
    np.testing.assert_array_equal(bn.grads["gamma"], dgamma)
    np.testing.assert_array_equal(bn.grads["beta"], dbeta)
    # dx sums to zero per feature and is orthogonal to xhat: shifting or scaling a feature's
    # whole batch does not change the normalized output
    np.testing.assert_allclose(dx.sum(0), 0, atol=1e-12)
    _, cache0 = batchnorm_forward(x, gamma, beta, 0.0)
    dx0 = batchnorm_backward(dy, cache0)[0]
    np.testing.assert_allclose((dx0 * cache0[0]).sum(0), 0, atol=1e-12)


@pytest.mark.parametrize("make, x, error, words", [
    (lambda: BatchNorm(3), np.ones((1, 3)), ValueError, "at least 2 values"),
    (lambda: BatchNorm2D(2), np.ones((1, 2, 1, 1)), ValueError, "at least 2 values"),
    (lambda: BatchNorm(3), np.ones((4, 2)), ValueError, r"x must have shape \(N, 3\)"),
    (lambda: BatchNorm(3), np.ones(3), ValueError, r"x must have shape \(N, 3\)"),
    (lambda: BatchNorm2D(3), np.ones((2, 2, 4, 4)), ValueError, r"\(N, 3, H, W\)"),
    (lambda: BatchNorm2D(3), np.ones((2, 3)), ValueError, r"\(N, 3, H, W\)"),
    (lambda: BatchNorm(2), np.array([[1.0, np.nan], [2.0, 3.0]]), ValueError, "x must hold finite"),
    (lambda: BatchNorm(2), np.array([[1.0, np.inf], [2.0, 3.0]]), ValueError, "x must hold finite"),
    (lambda: BatchNorm(2), [["a", "b"], ["c", "d"]], TypeError, "x must be a real number or an array of real"),
])
def test_bad_input_to_forward(make, x, error, words):
    with pytest.raises(error, match=words):
        make().forward(x)


def test_batch_of_one_is_fine_in_eval_mode():
    y = BatchNorm(3).forward(np.array([[1.0, 2.0, 3.0]]), training=False)
    np.testing.assert_allclose(y, np.array([[1.0, 2.0, 3.0]]) / np.sqrt(1 + 1e-5))


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(momentum=0.0), ValueError, r"momentum must be in \(0, 1\]"),
    (dict(momentum=1.5), ValueError, r"momentum must be in \(0, 1\]"),
    (dict(momentum=-0.1), ValueError, r"momentum must be in \(0, 1\]"),
    (dict(momentum=float("nan")), ValueError, "momentum must be a finite"),
    (dict(momentum="0.1"), TypeError, "momentum must be a real number"),
    (dict(eps=0.0), ValueError, "eps must be a positive"),
    (dict(eps=-1e-5), ValueError, "eps must be a positive"),
    (dict(eps=None), TypeError, "eps must be a positive"),
])
@pytest.mark.parametrize("cls", [BatchNorm, BatchNorm2D])
def test_bad_hyperparameters(cls, kwargs, error, words):
    with pytest.raises(error, match=words):
        cls(3, **kwargs)


def test_bad_sizes_and_backward_misuse():
    with pytest.raises(ValueError, match="n_features must be an integer >= 1"):
        BatchNorm(0)
    with pytest.raises(TypeError, match="n_features must be an integer"):
        BatchNorm(2.0)
    with pytest.raises(ValueError, match="channels must be an integer >= 1"):
        BatchNorm2D(0)
    bn = BatchNorm(2)
    with pytest.raises(RuntimeError, match="before forward"):
        bn.backward(np.ones((3, 2)))
    bn.forward(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(3, 2\)"):
        bn.backward(np.ones((2, 2)))


def test_repr():
    assert repr(BatchNorm(4)) == "BatchNorm(4, momentum=0.1, eps=1e-05)"
    assert repr(BatchNorm2D(8, momentum=0.01)) == "BatchNorm2D(8, momentum=0.01, eps=1e-05)"


# ------------------------------------------------------------------------------------------
# notebook 07's deep MLPs and the relative size of a step (issue 26)

def test_mlp_places_batchnorm_and_starts_from_the_same_weights():
    from mlbook.layers import BatchNorm, Dense, ReLU, Tanh, mlp
    plain, before, after = mlp(False), mlp(True), mlp(True, bn_position="after")
    assert [type(l) for l in before.layers[:3]] == [Dense, BatchNorm, ReLU]
    assert [type(l) for l in after.layers[:3]] == [Dense, ReLU, BatchNorm]
    assert [type(l) for l in plain.layers[:2]] == [Dense, ReLU]
    dense = lambda net: [l.params["W"] for l in net.layers if isinstance(l, Dense)]
    assert len(dense(plain)) == 7 and dense(plain)[-1].shape == (32, 3)
    for a, b in zip(dense(plain), dense(before)):
        np.testing.assert_array_equal(a, b)          # only the BN layers differ
    assert isinstance(mlp(False, act=Tanh, depth=2).layers[1], Tanh)
    with pytest.raises(ValueError, match="bn_position"):
        mlp(True, bn_position="middle")


def test_relative_step_sizes_under_batchnorm_scale_as_one_over_the_weight_norm_squared():
    from mlbook.layers import mlp, relative_step_sizes
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 2)), rng.integers(0, 3, 64)
    net = mlp(True, depth=3, width=16)
    base = relative_step_sizes(net, X, y, lr=0.1)
    W = net.layers[3].params["W"]                   # the second hidden Dense, behind a BN
    manual = 0.1 * np.linalg.norm(net.layers[3].grads["W"]) / np.linalg.norm(W)
    assert base.shape == (3,) and np.isclose(base[1], manual)
    W *= 10                                          # BN ignores the scale: gradient / 10
    scaled = relative_step_sizes(net, X, y, lr=0.1)
    assert np.isclose(scaled[1], base[1] / 100, rtol=1e-3)
    assert np.allclose(relative_step_sizes(net, X, y, lr=0.2), 2 * scaled)
    with pytest.raises(ValueError, match="lr"):
        relative_step_sizes(net, X, y, lr=-1)
