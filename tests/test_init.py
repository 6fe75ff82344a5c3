"""mlbook.init: the variance of large draws against each formula, uniform bounds, fans, and the
init= argument of Dense and Conv2D."""
import numpy as np
import pytest

from mlbook import init
from mlbook.init import (INITIALIZERS, fans, get_initializer, glorot_normal, glorot_uniform,
                         he_normal, he_uniform, initialize, normal, zeros)
from mlbook.layers import Conv2D, Dense

SHAPE = (400, 1000)            # 400,000 draws: the sample variance is within ~0.6 % (3 sd)
FAN_IN, FAN_OUT = 300, 50      # deliberately not the shape, so each formula's fan is tested


def sample_var_ok(w, var):
    """|sample var - var| within 5 standard errors (Var of s^2 ~ (m4 - var^2) / n)."""
    n = w.size
    m4 = np.mean(w ** 4)
    se = np.sqrt((m4 - w.var() ** 2) / n)
    return abs(w.var() - var) < 5 * se and abs(w.mean()) < 5 * np.sqrt(var / n)


@pytest.mark.parametrize("fn, var", [
    (glorot_uniform, 2.0 / (FAN_IN + FAN_OUT)),
    (glorot_normal, 2.0 / (FAN_IN + FAN_OUT)),
    (he_uniform, 2.0 / FAN_IN),
    (he_normal, 2.0 / FAN_IN),
    (normal(0.01), 1e-4),
    (normal(0.5), 0.25),
])
def test_empirical_variance_matches_formula(fn, var):
    w = fn(SHAPE, fan_in=FAN_IN, fan_out=FAN_OUT, rng=0)
    assert w.shape == SHAPE and w.dtype == np.float64
    assert sample_var_ok(w, var), (w.var(), var)
    # a wrong fan would be far outside: e.g. fan_out instead of fan_in for He
    assert not sample_var_ok(w, 2.0 * var) and not sample_var_ok(w, 0.5 * var)


@pytest.mark.parametrize("fn, bound", [
    (glorot_uniform, np.sqrt(6.0 / (FAN_IN + FAN_OUT))),
    (he_uniform, np.sqrt(6.0 / FAN_IN)),
])
def test_uniform_bounds(fn, bound):
    w = fn(SHAPE, fan_in=FAN_IN, fan_out=FAN_OUT, rng=1)
    assert np.all(np.abs(w) <= bound)
    assert np.abs(w).max() > 0.999 * bound          # the whole interval is used
    # flat: each tenth of [-a, a] holds about a tenth of the draws
    counts, _ = np.histogram(w, bins=10, range=(-bound, bound))
    np.testing.assert_allclose(counts / w.size, 0.1, atol=0.003)


@pytest.mark.parametrize("fn", [glorot_normal, he_normal, normal(0.2)])
def test_normal_schemes_are_gaussian(fn):
    w = fn(SHAPE, fan_in=FAN_IN, fan_out=FAN_OUT, rng=2)
    kurtosis = np.mean(w ** 4) / np.mean(w ** 2) ** 2
    assert abs(kurtosis - 3.0) < 0.05                # a uniform would give 1.8


def test_zeros_and_seeds():
    np.testing.assert_array_equal(zeros((3, 4), fan_in=3, fan_out=4, rng=0), np.zeros((3, 4)))
    for fn in INITIALIZERS.values():
        a = fn((5, 6), fan_in=5, fan_out=6, rng=7)
        np.testing.assert_array_equal(a, fn((5, 6), fan_in=5, fan_out=6, rng=7))
    g = np.random.default_rng(3)
    assert not np.array_equal(he_normal((4, 4), rng=g), he_normal((4, 4), rng=g))  # stream goes on


def test_fans_from_shape():
    assert fans((20, 30)) == (20, 30)
    assert fans((16, 3, 5, 5)) == (75, 400)            # (c_out, c_in, k, k): c_in k k, c_out k k
    w = he_normal((64, 32, 3, 3), rng=0)               # fan_in from the shape: 32 * 9
    assert sample_var_ok(w, 2.0 / 288)
    with pytest.raises(ValueError, match="shape must be"):
        fans((7,))


def test_registry_and_names():
    assert list(INITIALIZERS) == ["zeros", "normal", "glorot_uniform", "glorot_normal",
                                  "he_uniform", "he_normal"]
    assert INITIALIZERS["normal"].std == 0.01 and INITIALIZERS["normal"].__name__ == "normal(0.01)"
    assert get_initializer("he_normal") is he_normal
    assert get_initializer(glorot_uniform) is glorot_uniform
    with pytest.raises(ValueError, match="init must be one of 'zeros', 'normal', 'glorot_uniform', "
                                         "'glorot_normal', 'he_uniform', 'he_normal', got 'xavier'"):
        get_initializer("xavier")
    with pytest.raises(TypeError, match="init must be a name"):
        get_initializer(0.01)


def test_bad_arguments():
    with pytest.raises(ValueError, match="std must be a positive"):
        normal(0.0)
    with pytest.raises(ValueError, match="fan_in must be an integer >= 1"):
        he_normal((3, 3), fan_in=0, fan_out=3)
    with pytest.raises(TypeError, match="shape entries must be an integer"):
        glorot_uniform((3, 2.5))
    with pytest.raises(TypeError, match="rng must be None"):
        he_uniform((3, 3), rng="seed")
    with pytest.raises(ValueError, match=r"must return an array of shape \(2, 3\), got shape \(3, 2\)"):
        initialize(lambda s, **kw: np.zeros(s[::-1]), (2, 3), fan_in=2, fan_out=3, rng=0)
    with pytest.raises(ValueError, match="finite real numbers"):
        initialize(lambda s, **kw: np.full(s, np.nan), (2, 3), fan_in=2, fan_out=3, rng=0)


# --------------------------------------------------------------------------------------------
# layers

def test_dense_default_is_unchanged_glorot_uniform():
    a = np.sqrt(6.0 / (5 + 7))
    expected = np.random.default_rng(3).uniform(-a, a, size=(5, 7))     # the old code, verbatim
    np.testing.assert_array_equal(Dense(5, 7, rng=3).params["W"], expected)
    np.testing.assert_array_equal(Dense(5, 7, rng=3, init="glorot_uniform").params["W"], expected)


def test_conv_default_is_unchanged_he_normal():
    expected = np.random.default_rng(4).normal(0.0, np.sqrt(2.0 / 27), size=(6, 3, 3, 3))
    np.testing.assert_array_equal(Conv2D(3, 6, 3, rng=4).params["W"], expected)


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_dense_init_by_name(name):
    d = Dense(200, 300, rng=5, init=name)
    expected = INITIALIZERS[name]((200, 300), fan_in=200, fan_out=300, rng=5)
    np.testing.assert_array_equal(d.params["W"], expected)
    np.testing.assert_array_equal(d.params["b"], np.zeros(300))


def test_conv_init_fans_are_c_in_k_k_and_c_out_k_k():
    seen = {}

    def spy(shape, *, fan_in, fan_out, rng):
        seen.update(shape=shape, fan_in=fan_in, fan_out=fan_out)
        return np.full(shape, 0.5)
    c = Conv2D(3, 8, 5, rng=0, init=spy)
    assert seen == {"shape": (8, 3, 5, 5), "fan_in": 75, "fan_out": 200}
    assert np.all(c.params["W"] == 0.5)
    w = Conv2D(16, 32, 3, rng=1, init="he_uniform").params["W"]
    assert sample_var_ok(w, 2.0 / (16 * 9)) and np.abs(w).max() <= np.sqrt(6.0 / 144)
    w = Conv2D(16, 32, 3, rng=1, init="glorot_normal").params["W"]
    assert sample_var_ok(w, 2.0 / (16 * 9 + 32 * 9))


def test_dense_init_callable_and_errors():
    d = Dense(2, 3, init=lambda shape, *, fan_in, fan_out, rng: np.arange(6.0).reshape(shape))
    np.testing.assert_array_equal(d.params["W"], [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(ValueError, match="init must be one of 'zeros', 'normal'"):
        Dense(2, 3, init="kaiming")
    with pytest.raises(ValueError, match="init must be one of"):
        Conv2D(1, 2, 3, init="Xavier")
    with pytest.raises(TypeError, match="init must be a name"):
        Dense(2, 3, init=None)


def test_module_is_reachable_lazily():
    import mlbook
    assert mlbook.init is init
