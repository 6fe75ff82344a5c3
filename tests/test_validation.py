"""mlbook.validation: the shared argument checks (type errors vs value errors, named argument)."""
import numpy as np
import pytest

from mlbook.validation import (as_float_array, as_rng, check_choice, check_flag, check_int,
                               check_number, check_positive, check_probability)


def test_as_rng_conventions():
    g = np.random.default_rng(3)
    assert as_rng(g) is g
    assert as_rng(5).integers(1000) == np.random.default_rng(5).integers(1000)
    with pytest.raises(TypeError, match="seed"):
        as_rng(2.5, "seed")
    with pytest.raises(ValueError, match="rng"):
        as_rng(-1)


@pytest.mark.parametrize("bad, exc", [(2.5, TypeError), (True, TypeError), ("3", TypeError), (0, ValueError)])
def test_check_int(bad, exc):
    with pytest.raises(exc, match="n_in"):
        check_int(bad, "n_in", minimum=1)
    assert check_int(np.int64(4), "n_in", minimum=1) == 4


@pytest.mark.parametrize("bad, exc", [(-0.5, ValueError), (0, ValueError), (np.inf, ValueError),
                                      (np.nan, ValueError), ("0.1", TypeError), (True, TypeError)])
def test_check_positive(bad, exc):
    with pytest.raises(exc, match="lr must be a positive finite number"):
        check_positive(bad, "lr")
    assert check_positive(0.5, "lr") == 0.5


def test_numbers_probabilities_flags_choices():
    assert check_number(np.float32(1.5), "x", low=0) == 1.5
    with pytest.raises(ValueError, match=r"beta must be a finite number in \[0, 1\), got 1.0"):
        check_number(1.0, "beta", low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\)"):
        check_probability(1.0)
    assert check_probability(1.0, allow_one=True) == 1.0
    with pytest.raises(TypeError, match="shuffle"):
        check_flag("yes", "shuffle")
    with pytest.raises(ValueError, match="'sgd', 'adam'"):
        check_choice("adamw", "optimizer", ("sgd", "adam"))


def test_as_float_array():
    assert as_float_array([1, 2], "x").dtype == np.float64
    assert as_float_array(np.ones(2, np.float32), "x").dtype == np.float32
    for bad in ("abc", [1 + 2j], np.array(["a"]), [[1, 2], [3]]):
        with pytest.raises(TypeError, match="x must"):
            as_float_array(bad, "x")
    with pytest.raises(ValueError, match="2-D"):
        as_float_array(np.ones(3), "x", ndim=2)
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        as_float_array(np.ones((2, 2)), "x", shape=(None, 3))
    with pytest.raises(ValueError, match="empty"):
        as_float_array(np.ones((0, 3)), "x")
    with pytest.raises(ValueError, match="finite"):
        as_float_array([np.nan], "x", finite=True)
    assert np.isnan(as_float_array([np.nan], "x")[0])


def test_check_callable_and_param_dicts():
    from mlbook.validation import check_callable, check_param_dicts
    assert check_callable(len, "f") is len
    with pytest.raises(TypeError, match="callback must be a function"):
        check_callable(3, "callback")
    p = {"W": np.ones((2, 2))}
    check_param_dicts(p, {"W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"missing \['W'\]; unexpected \['V'\]"):
        check_param_dicts(p, {"V": np.zeros((2, 2))})
    with pytest.raises(TypeError, match=r"params\['W'\] must be a float numpy array"):
        check_param_dicts({"W": [1.0]}, {"W": np.zeros(1)})
    with pytest.raises(TypeError, match=r"grads\['W'\] must be a numpy array of real numbers"):
        check_param_dicts(p, {"W": np.full((2, 2), "a")})
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3,\)"):
        check_param_dicts(p, {"W": np.zeros(3)})


def test_messages_state_the_whole_rule():
    with pytest.raises(ValueError, match=r"lam must be a finite number >= 0, got nan"):
        check_number(np.nan, "lam", low=0)
    with pytest.raises(TypeError, match=r"lam must be a real number \(a finite number >= 0\)"):
        check_number("0.1", "lam", low=0)
    with pytest.raises(ValueError, match=r"must have shape \(2,\), got \(3,\)"):
        as_float_array([1, 2, 3], "inputs", shape=(2,))
    with pytest.raises(ValueError, match=r"X must hold finite numbers only; it has 2 NaN or inf "
                                         r"entries \(bad data\)"):
        as_float_array([[np.nan, 1.0], [np.inf, 2.0]], "X", finite=True)
    with pytest.raises(TypeError, match="got a ragged or non-numeric list"):
        as_float_array([[1.0, 2.0], [3.0]], "x")
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\), got nan"):
        check_probability(np.nan)
