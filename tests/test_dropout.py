"""Dropout layer: statistics of the mask, mean preserved, backward uses the mask, ensemble."""
import itertools
import math

import numpy as np
import pytest

from mlbook.gradcheck import numerical_gradient, rel_error
from mlbook.layers.dropout import (Dropout, all_masks, dropout_backward, dropout_forward,
                                   exact_dropout_ensemble, log10_num_masks, mask_probabilities,
                                   num_masks)
from mlbook.layers import Dropout as DropoutFromPackage


def test_exported_from_layers():
    assert DropoutFromPackage is Dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_kept_fraction_within_binomial_bounds(p):
    n = 200_000
    layer = Dropout(p, rng=1)
    y = layer.forward(np.ones((400, 500)))
    kept = layer.mask.mean()
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(kept - (1 - p)) < 5 * sigma, (kept, 1 - p, sigma)
    # the output is exactly 0 or 1/(1-p)
    assert set(np.unique(y)) <= {0.0, 1 / (1 - p)}
    assert np.array_equal(y != 0, layer.mask)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("mode", ["inverted", "original"])
def test_mean_preserved_train_vs_test(p, mode):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 8)) + 2.0
    layer = Dropout(p, rng=2, mode=mode)
    samples = 40_000
    train_mean = layer.forward(np.repeat(x, samples, axis=0)).mean(axis=0)
    test_out = layer.forward(x, training=False)[0]
    # standard error of the mean of x*m*s: |x| s sqrt(p(1-p)/samples)
    s = layer.train_scale
    se = np.abs(x[0]) * s * math.sqrt(p * (1 - p) / samples)
    assert np.all(np.abs(train_mean - test_out) < 5 * se + 1e-12)
    expected_test = x[0] if mode == "inverted" else x[0] * (1 - p)
    assert np.allclose(test_out, expected_test)


def test_backward_is_upstream_times_mask_over_keep():
    p = 0.3
    layer = Dropout(p, rng=5)
    rng = np.random.default_rng(9)
    x, dy = rng.normal(size=(6, 7)), rng.normal(size=(6, 7))
    layer.forward(x)
    dx = layer.backward(dy)
    assert np.allclose(dx, dy * layer.mask / (1 - p))
    assert 0 < layer.mask.sum() < layer.mask.size       # a real mask, not all kept/dropped


def test_backward_matches_numerical_gradient_with_fixed_mask():
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    layer = Dropout(0.4, rng=0)
    layer.fixed_mask = rng.random((4, 5)) >= 0.4
    num = numerical_gradient(lambda z: float(np.sum(layer.forward(z) * dy)), x)
    layer.forward(x)
    assert rel_error(layer.backward(dy), num) < 1e-8


def test_original_mode_training_unscaled_and_backward():
    layer = Dropout(0.25, rng=4, mode="original")
    x = np.full((3, 10), 2.0)
    y = layer.forward(x)
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert np.allclose(layer.backward(np.ones_like(x)), layer.mask * 1.0)
    assert np.allclose(layer.forward(x, training=False), 1.5)
    assert np.allclose(layer.backward(np.ones_like(x)), 0.75)


def test_eval_mode_is_identity_and_does_not_use_rng():
    layer = Dropout(0.5, rng=7)
    x = np.arange(12.0).reshape(3, 4)
    state = layer.rng.bit_generator.state
    y = layer.forward(x, training=False)
    assert np.array_equal(y, x) and y is not x
    assert layer.rng.bit_generator.state == state
    assert np.array_equal(layer.backward(np.ones((3, 4))), np.ones((3, 4)))


def test_same_seed_same_masks_different_seed_different():
    x = np.ones((5, 20))
    a, b, c = Dropout(0.5, rng=11), Dropout(0.5, rng=11), Dropout(0.5, rng=12)
    for _ in range(3):
        a.forward(x), b.forward(x), c.forward(x)
        assert np.array_equal(a.mask, b.mask)
    assert not np.array_equal(a.mask, c.mask)
    g = np.random.default_rng(11)
    d = Dropout(0.5, rng=g)
    d.forward(x)
    assert d.rng is g


def test_successive_passes_draw_new_masks():
    layer = Dropout(0.5, rng=0)
    layer.forward(np.ones((4, 30)))
    m1 = layer.mask.copy()
    layer.forward(np.ones((4, 30)))
    assert not np.array_equal(m1, layer.mask)


def test_p_zero_keeps_everything():
    layer = Dropout(0.0, rng=0)
    x = np.random.default_rng(0).normal(size=(3, 3))
    assert np.array_equal(layer.forward(x), x)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan"), float("inf")])
def test_bad_p_value_error(p):
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\)"):
        Dropout(p)


def test_p_one_message_says_why():
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\), got 1.0"):
        Dropout(1)


@pytest.mark.parametrize("p", ["0.5", None, True])
def test_bad_p_type_error(p):
    with pytest.raises(TypeError, match="p must be a probability"):
        Dropout(p)


def test_bad_mode_rng_and_backward_before_forward():
    with pytest.raises(ValueError, match="mode"):
        Dropout(0.5, mode="scaled")
    with pytest.raises(TypeError, match="rng"):
        Dropout(0.5, rng="seed")
    with pytest.raises(RuntimeError, match="before forward"):
        Dropout(0.5).backward(np.ones(3))
    layer = Dropout(0.5, rng=0)
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        layer.backward(np.ones((3, 2)))
    layer.fixed_mask = np.ones(4, dtype=bool)
    with pytest.raises(ValueError, match="broadcast"):
        layer.forward(np.ones((2, 3)))
    layer.fixed_mask = np.ones(3)
    with pytest.raises(TypeError, match="boolean"):
        layer.forward(np.ones((2, 3)))


def test_functional_forward_backward():
    x = np.random.default_rng(0).normal(size=(50, 40))
    y, cache = dropout_forward(x, 0.5, np.random.default_rng(1))
    mask, p = cache
    assert mask.dtype == bool and p == 0.5
    assert np.allclose(y, x * mask * 2)
    dy = np.ones_like(x)
    assert np.allclose(dropout_backward(dy, cache), mask * 2)
    # same draw as the layer with the same seed
    layer = Dropout(0.5, rng=1)
    layer.forward(x)
    assert np.array_equal(layer.mask, mask)


# --------------------------------------------------------------------------------------------
# the ensemble

def test_mask_counting():
    assert num_masks(3) == 8 and num_masks(0) == 1
    assert num_masks(4096) == 2 ** 4096
    assert abs(log10_num_masks(4096) - math.log10(2) * 4096) < 1e-9
    # exact: 2**4096 has 1234 decimal digits, so it is 1.04... * 10**1233
    assert len(str(num_masks(4096))) == 1234
    assert round(log10_num_masks(4096)) == 1233
    assert str(num_masks(4096)).startswith("1044")
    with pytest.raises(ValueError, match="n_units"):
        num_masks(-1)


def test_all_masks_and_probabilities():
    m = all_masks(3)
    assert m.shape == (8, 3) and m.dtype == bool
    assert len({tuple(r) for r in m}) == 8
    probs = mask_probabilities(m, 0.2)
    assert abs(probs.sum() - 1) < 1e-12
    assert np.isclose(probs[-1], 0.8 ** 3) and np.isclose(probs[0], 0.2 ** 3)
    with pytest.raises(ValueError, match="too many"):
        all_masks(30)


class _Linear:
    """A bare dense layer (so this test does not depend on mlbook.layers.dense)."""

    def __init__(self, W, b):
        self.W, self.b, self.params, self.grads = W, b, {}, {}

    def forward(self, x, training=True):
        return x @ self.W + self.b


class _Tanh:
    params, grads = {}, {}

    def forward(self, x, training=True):
        return np.tanh(x)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_exact_ensemble_against_brute_force():
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(size=(2, 3)), rng.normal(size=3)
    W2, b2 = rng.normal(size=(3, 3)), rng.normal(size=3)
    W3, b3 = rng.normal(size=(3, 1)), rng.normal(size=1)
    x = rng.normal(size=(5, 2))
    p1, p2 = 0.5, 0.3
    layers = [_Linear(W1, b1), _Tanh(), Dropout(p1, rng=0), _Linear(W2, b2), _Tanh(),
              Dropout(p2, rng=0), _Linear(W3, b3)]
    ens, ws = exact_dropout_ensemble(layers, x, output=_sigmoid)

    brute = np.zeros((5, 1))
    total_prob = 0.0
    for bits in itertools.product([0, 1], repeat=6):
        m1, m2 = np.array(bits[:3]), np.array(bits[3:])
        prob = np.prod(np.where(m1, 1 - p1, p1)) * np.prod(np.where(m2, 1 - p2, p2))
        h1 = np.tanh(x @ W1 + b1) * m1 / (1 - p1)
        h2 = np.tanh(h1 @ W2 + b2) * m2 / (1 - p2)
        brute += prob * _sigmoid(h2 @ W3 + b3)
        total_prob += prob
    assert abs(total_prob - 1) < 1e-12
    assert np.allclose(ens, brute, rtol=1e-12, atol=1e-14)
    h = np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2)
    assert np.allclose(ws, _sigmoid(h @ W3 + b3))
    # the approximation is close but not exact for a nonlinear net
    assert 1e-3 < np.max(np.abs(ens - ws)) < 0.5
    # the layers' fixed masks are restored
    assert layers[2].fixed_mask is None and layers[5].fixed_mask is None


def test_exact_ensemble_is_exact_for_a_linear_net():
    rng = np.random.default_rng(1)
    W1, b1, W2, b2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)
    x = rng.normal(size=(6, 3))
    ens, ws = exact_dropout_ensemble([_Linear(W1, b1), Dropout(0.5), _Linear(W2, b2)], x)
    assert np.allclose(ens, ws)


def test_exact_ensemble_matches_monte_carlo():
    rng = np.random.default_rng(2)
    W1, b1, W2, b2 = rng.normal(size=(2, 4)), rng.normal(size=4), rng.normal(size=(4, 1)), rng.normal(size=1)
    x = rng.normal(size=(3, 2))
    layers = [_Linear(W1, b1), _Tanh(), Dropout(0.5, rng=3), _Linear(W2, b2)]
    ens, _ = exact_dropout_ensemble(layers, x, output=_sigmoid)
    mc = np.mean([_sigmoid(layers[3].forward(layers[2].forward(np.tanh(x @ W1 + b1))))
                  for _ in range(20_000)], axis=0)
    assert np.allclose(ens, mc, atol=0.01)


def test_exact_ensemble_needs_a_dropout_layer():
    with pytest.raises(ValueError, match="no Dropout"):
        exact_dropout_ensemble([_Tanh()], np.zeros((1, 2)))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_geometric_mean_is_exact_for_softmax_over_one_dropout_layer():
    rng = np.random.default_rng(4)
    W1, b1 = rng.normal(size=(2, 5)) * 2, rng.normal(size=5)
    W2, b2 = rng.normal(size=(5, 5)) * 2, rng.normal(size=5)
    W3, b3 = rng.normal(size=(5, 3)) * 2, rng.normal(size=3)
    x = rng.normal(size=(7, 2))
    p = 0.5
    one = [_Linear(W1, b1), _Tanh(), _Linear(W2, b2), _Tanh(), Dropout(p), _Linear(W3, b3)]
    geo, ws = exact_dropout_ensemble(one, x, output=_softmax, mean="geometric")
    ari, ws2 = exact_dropout_ensemble(one, x, output=_softmax)
    assert np.array_equal(ws, ws2)
    assert np.max(np.abs(geo - ws)) < 1e-12                  # exact (Hinton et al. 2012)
    assert np.max(np.abs(ari - ws)) > 1e-2                   # the arithmetic mean is not
    # brute force: normalised product of the 2^5 sub-networks' distributions
    h = np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2)
    log_g = sum(np.prod(np.where(m, 1 - p, p)) * np.log(_softmax((h * m / (1 - p)) @ W3 + b3))
                for m in itertools.product([0, 1], repeat=5))
    g = np.exp(log_g)
    assert np.allclose(geo, g / g.sum(axis=1, keepdims=True), rtol=1e-12)
    # two dropout layers with a nonlinearity between them: no longer exact
    two = [_Linear(W1, b1), _Tanh(), Dropout(p), _Linear(W2, b2), _Tanh(), Dropout(p),
           _Linear(W3, b3)]
    geo2, ws_two = exact_dropout_ensemble(two, x, output=_softmax, mean="geometric")
    assert np.max(np.abs(geo2 - ws_two)) > 1e-3
    with pytest.raises(ValueError, match="mean must be one of 'arithmetic', 'geometric'"):
        exact_dropout_ensemble(one, x, output=_softmax, mean="harmonic")
