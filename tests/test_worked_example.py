"""mlbook.worked_example: the 2-2-2 network, checked against the blog's figures and each other."""
import math
import warnings

import numpy as np
import pytest

from mlbook.gradcheck import numerical_gradient, rel_error
from mlbook.optim import DivergenceError
from mlbook.worked_example import (INITIAL_PARAMS, INPUTS, PARAM_NAMES, TARGETS,
                                   chain_rule_factors, forward, gradients, train, update)


def test_constants():
    assert INITIAL_PARAMS == {"w1": .15, "w2": .20, "w3": .25, "w4": .30, "w5": .40, "w6": .45,
                              "w7": .50, "w8": .55, "b1": .35, "b2": .60}
    assert INPUTS == (0.05, 0.10) and TARGETS == (0.01, 0.99)
    assert PARAM_NAMES == tuple(INITIAL_PARAMS)


# the blog's forward pass, to its printed 9 decimals
@pytest.mark.parametrize("key, printed", [
    ("net_h1", 0.3775), ("out_h1", 0.593269992), ("out_h2", 0.596884378),
    ("net_o1", 1.105905967), ("out_o1", 0.75136507), ("out_o2", 0.772928465),
    ("E_o1", 0.274811083), ("E_o2", 0.023560026), ("E_total", 0.298371109),
])
def test_forward_matches_blog(key, printed):
    out = forward()
    assert isinstance(out[key], float)
    assert abs(out[key] - printed) <= 0.5e-9


def test_forward_keys_and_internal_consistency():
    out = forward()
    assert set(out) == {"net_h1", "out_h1", "net_h2", "out_h2", "net_o1", "out_o1", "net_o2",
                        "out_o2", "E_o1", "E_o2", "E_total"}
    assert out["out_h1"] == pytest.approx(1 / (1 + math.exp(-out["net_h1"])), abs=1e-15)
    assert out["E_total"] == pytest.approx(out["E_o1"] + out["E_o2"], abs=1e-15)
    assert out["net_h2"] == pytest.approx(0.25 * 0.05 + 0.30 * 0.10 + 0.35, abs=1e-15)


def test_forward_other_inputs_and_extreme_values():
    out = forward(inputs=(1.0, -1.0), targets=(0.0, 1.0))
    assert out["net_h1"] == pytest.approx(0.15 - 0.20 + 0.35, abs=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = forward(dict(INITIAL_PARAMS, w5=-1e6, w6=-1e6, b1=1e6, w7=1e6))
    assert big["out_o1"] == 0.0 and big["out_o2"] == 1.0 and big["out_h1"] == 1.0


@pytest.mark.parametrize("key, printed", [
    ("dE_dout_o1", 0.74136507), ("dout_o1_dnet_o1", 0.186815602), ("dnet_o1_dw5", 0.593269992),
    ("dE_dw5", 0.082167041), ("dE_o1_dnet_o1", 0.138498562), ("dE_o1_dout_h1", 0.055399425),
    ("dE_total_dout_h1", 0.036350306), ("dout_h1_dnet_h1", 0.241300709), ("dnet_h1_dw1", 0.05),
    ("dE_dw1", 0.000438568),
])
def test_chain_rule_factors_match_blog(key, printed):
    assert abs(chain_rule_factors()[key] - printed) <= 0.5e-9


def test_blog_dE_o2_dout_h1_last_digit():
    """The blog prints -0.019049119; the exact value rounds to -0.019049118.

    Double rounding: dE_o2/dnet_o2 = -0.0380982365... rounded to 9 decimals is -0.038098237;
    times w7 = 0.5 gives exactly -0.0190491185, a tie, rounded half away from zero to ...119.
    """
    from decimal import ROUND_HALF_UP, Decimal
    c = chain_rule_factors()
    assert f"{c['dE_o2_dout_h1']:.9f}" == "-0.019049118"
    delta_o2_rounded = Decimal(f"{c['dE_o2_dnet_o2']:.9f}")
    assert str(delta_o2_rounded) == "-0.038098237"
    product = delta_o2_rounded * Decimal("0.5")
    assert str(product) == "-0.0190491185"
    assert str(product.quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)) == "-0.019049119"


def test_chain_rule_products_equal_gradients():
    c, g = chain_rule_factors(), gradients()
    assert c["dE_dw5"] == pytest.approx(c["dE_dout_o1"] * c["dout_o1_dnet_o1"] * c["dnet_o1_dw5"],
                                        rel=1e-15)
    assert c["dE_total_dout_h1"] == pytest.approx(c["dE_o1_dout_h1"] + c["dE_o2_dout_h1"], rel=1e-15)
    for name in PARAM_NAMES:
        assert g[name] == c["dE_d" + name]


def test_gradients_keys_and_finite_differences():
    g = gradients()
    assert list(g) == list(PARAM_NAMES)
    x = np.array([INITIAL_PARAMS[n] for n in PARAM_NAMES])

    def loss(v):
        return forward(dict(zip(PARAM_NAMES, v)))["E_total"]

    num = numerical_gradient(loss, x)
    ana = np.array([g[n] for n in PARAM_NAMES])
    assert rel_error(ana, num) < 1e-7
    assert g["b2"] == pytest.approx(g["w5"] / forward()["out_h1"] + g["w7"] / forward()["out_h1"])


def test_gradients_at_other_point_finite_differences():
    rng = np.random.default_rng(0)
    p = dict(zip(PARAM_NAMES, rng.normal(size=10)))
    g = gradients(p, inputs=(0.3, -0.7), targets=(0.2, 0.6))
    x = np.array([p[n] for n in PARAM_NAMES])
    num = numerical_gradient(
        lambda v: forward(dict(zip(PARAM_NAMES, v)), (0.3, -0.7), (0.2, 0.6))["E_total"], x)
    assert rel_error(np.array([g[n] for n in PARAM_NAMES]), num) < 1e-6


# ---------------------------------------------------------------------------- update
BLOG_AFTER_ONE = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
                  "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121}


def _decimals(x):
    s = f"{x:.12g}"
    return len(s.split(".")[1]) if "." in s else 0


@pytest.mark.parametrize("name", list(BLOG_AFTER_ONE))
def test_update_stated_rule_matches_blog_weights(name):
    new = update()
    printed = BLOG_AFTER_ONE[name]
    assert round(new[name], _decimals(printed)) == pytest.approx(printed, abs=1e-12)


def test_update_does_not_mutate_and_keeps_biases():
    p = dict(INITIAL_PARAMS)
    new = update(p)
    assert p == INITIAL_PARAMS and new is not p
    assert new["b1"] == 0.35 and new["b2"] == 0.60


def test_update_is_gradient_step():
    g = gradients()
    new = update(lr=0.3, biases=True)
    for n in PARAM_NAMES:
        assert new[n] == pytest.approx(INITIAL_PARAMS[n] - 0.3 * g[n], abs=1e-15)


def test_sequential_changes_only_hidden_weights():
    a, b = update(sequential=False), update(sequential=True)
    for n in ("w5", "w6", "w7", "w8", "b1", "b2"):
        assert a[n] == b[n]
    for n in ("w1", "w2", "w3", "w4"):
        assert a[n] != b[n]
    # hidden delta through the UPDATED w5, w7
    f, c = forward(), chain_rule_factors()
    dh1 = (c["dE_o1_dnet_o1"] * b["w5"] + c["dE_o2_dnet_o2"] * b["w7"]) * f["out_h1"] * (1 - f["out_h1"])
    assert b["w1"] == pytest.approx(0.15 - 0.5 * dh1 * 0.05, abs=1e-16)


def test_error_after_one_update_both_rules():
    assert f"{forward(update())['E_total']:.9f}" == "0.291027774"          # the stated rule
    assert f"{forward(update(sequential=True))['E_total']:.9f}" == "0.291027924"  # blog/slides


def test_biases_trained_lower_the_error_more():
    e_fixed = forward(update())["E_total"]
    e_bias = forward(update(biases=True))["E_total"]
    assert e_bias < e_fixed
    new = update(biases=True)
    g = gradients()
    assert new["b2"] == pytest.approx(0.60 - 0.5 * g["b2"], abs=1e-15)


# ---------------------------------------------------------------------------- train
def test_train_shapes_and_first_errors():
    p, errors = train(steps=3)
    assert isinstance(errors, np.ndarray) and errors.shape == (4,) and errors.dtype == float
    assert errors[0] == pytest.approx(forward()["E_total"], abs=1e-15)
    assert errors[1] == pytest.approx(forward(update())["E_total"], abs=1e-15)
    assert set(p) == set(PARAM_NAMES)
    p0, e0 = train(steps=0)
    assert e0.shape == (1,) and p0 == INITIAL_PARAMS


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize("biases", [False, True])
def test_train_equals_repeated_update(sequential, biases):
    p = dict(INITIAL_PARAMS)
    errs = [forward(p)["E_total"]]
    for _ in range(25):
        p = update(p, 0.7, sequential=sequential, biases=biases)
        errs.append(forward(p)["E_total"])
    q, errors = train(25, 0.7, sequential=sequential, biases=biases)
    assert q == p                                   # the fast loop is update(), bit for bit
    assert errors.tolist() == errs


def test_train_sigmoid_overflow_path_matches_update():
    start = dict(INITIAL_PARAMS, w5=-2000.0, w7=1500.0)    # net_o1 < -709: exp(-net) overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        q, errors = train(3, params=start)
        p = start
        for _ in range(3):
            p = update(p)
    assert q == p and np.all(np.isfinite(errors))
    assert forward(start)["out_o1"] == 0.0


def test_train_10000_reproduces_blog_and_slides():
    p, err = train(10_000)
    assert f"{err[9999]:.10f}" == "0.0000351085"      # blog's figure = stated rule, 9,999 updates
    assert f"{err[10000]:.10f}" == "0.0000351019"     # stated rule, 10,000 updates
    ps, errs = train(10_000, sequential=True)
    assert f"{errs[10000]:.9f}" == "0.000035085"       # slides' figure
    out = forward(ps)
    assert f"{out['out_o1']:.9f}" == "0.015912196" and f"{out['out_o2']:.9f}" == "0.984065734"
    out_stated = forward(p)
    assert f"{out_stated['out_o1']:.9f}" != "0.015912196"
    assert np.all(np.diff(err) < 0)                   # the error falls at every step


def test_train_does_not_mutate_params():
    p = dict(INITIAL_PARAMS, w1=0.3)
    train(5, params=p)
    assert p["w1"] == 0.3


@pytest.mark.parametrize("lr", [1e3, 1e6, 1e100, 1e300])
def test_huge_lr_gives_finite_history_without_warnings(lr):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p, err = train(200, lr=lr, biases=True)
    assert np.all(np.isfinite(err)) and all(math.isfinite(v) for v in p.values())
    assert np.all((err >= 0) & (err <= 1.0))


def test_parameter_overflow_names_the_step():
    start = dict(INITIAL_PARAMS, w1=0.0, w2=0.0, b1=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError, match=r"diverged at step 1: w1 became -inf") as err:
            train(10, lr=1e20, params=start, inputs=(1e300, 0.1))
        assert (err.value.step, err.value.name) == (1, "w1")   # the data, not only the text
        assert isinstance(err.value, ValueError)
        with pytest.raises(ValueError, match=r"diverged at step 1"):
            update(start, lr=1e20, inputs=(1e300, 0.1))


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("lr", [0, 0.0, -0.5, float("nan"), float("inf"), -float("inf")])
def test_bad_lr(lr):
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        update(lr=lr)
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        train(5, lr=lr)


def test_lr_wrong_type():
    with pytest.raises(TypeError, match="lr"):
        train(5, lr="0.5")
    with pytest.raises(TypeError, match="lr"):
        update(lr=None)


def test_negative_steps():
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got -1"):
        train(-1)


@pytest.mark.parametrize("steps", [2.5, 10.0, "10", None, True])
def test_steps_of_the_wrong_type(steps):
    with pytest.raises(TypeError, match="steps must be an integer"):
        train(steps)


def test_numpy_integer_steps_ok():
    _, err = train(np.int64(3))
    assert err.shape == (4,)


def test_unknown_and_missing_parameter_names():
    with pytest.raises(ValueError, match="unknown parameter name.*'w9'"):
        forward(dict(INITIAL_PARAMS, w9=1.0))
    missing = {k: v for k, v in INITIAL_PARAMS.items() if k != "b2"}
    with pytest.raises(ValueError, match="missing 'b2'"):
        gradients(missing)
    with pytest.raises(ValueError, match="unknown"):
        update(dict(INITIAL_PARAMS, W1=1.0))
    with pytest.raises(ValueError, match="missing"):
        train(3, params={"w1": 0.1})


def test_bad_parameter_values_and_types():
    with pytest.raises(ValueError, match=r"params\['w3'\] must be a finite number"):
        forward(dict(INITIAL_PARAMS, w3=float("nan")))
    with pytest.raises(TypeError, match=r"params\['w3'\] must be a real number"):
        forward(dict(INITIAL_PARAMS, w3="0.25"))
    with pytest.raises(TypeError, match="params must be a dict"):
        forward([0.1] * 10)


def test_bad_inputs_targets_and_flags():
    with pytest.raises(ValueError, match=r"inputs must have shape \(2,\), got \(3,\)"):
        forward(inputs=(0.05, 0.1, 0.2))
    with pytest.raises(ValueError, match=r"targets must hold finite numbers only; it has 1 NaN"):
        forward(targets=(0.01, float("inf")))
    with pytest.raises(ValueError, match=r"inputs must have shape \(2,\), got \(\)"):
        forward(inputs=0.05)
    with pytest.raises(TypeError, match="inputs must be a real number or an array"):
        forward(inputs=("a", 0.1))
    with pytest.raises(TypeError, match="sequential must be True or False"):
        update(sequential="yes")
    with pytest.raises(TypeError, match="biases must be True or False"):
        train(3, biases=1)


def test_numpy_scalars_accepted():
    p = {k: np.float64(v) for k, v in INITIAL_PARAMS.items()}
    out = forward(p)
    assert isinstance(out["out_o1"], float)
    assert out["E_total"] == pytest.approx(forward()["E_total"], abs=0)
