"""Optimizers against their published update rules, hand-computed; schedules; bad input."""
import math

import numpy as np
import pytest

from mlbook import optim
from mlbook.optim import (SGD, Adadelta, Adagrad, Adam, AdamW, DivergenceError, ExponentialDecay,
                          HalveOnPlateau, Momentum, RMSProp, StepDecay, adam_update,
                          make_optimizer, momentum_update)


def one(value):
    return {"w": np.array([float(value)])}


def run(opt, w0, grads):
    """Apply opt to a single scalar parameter with the given gradient sequence; return w's."""
    p = one(w0)
    out = []
    for g in grads:
        opt.step(p, one(g))
        out.append(float(p["w"][0]))
    return out


def test_sgd_by_hand():
    # w = 1, g = 2, lr = 0.1: w <- 1 - 0.1 * 2 = 0.8, then 0.8 - 0.1 * (-1) = 0.9
    assert run(SGD(0.1), 1.0, [2.0, -1.0]) == pytest.approx([0.8, 0.9], abs=1e-15)


def test_momentum_by_hand():
    # v1 = -0.1*2 = -0.2, w1 = 0.8; v2 = 0.9*(-0.2) - 0.1*2 = -0.38, w2 = 0.42
    assert run(Momentum(0.1, momentum=0.9), 1.0, [2.0, 2.0]) == pytest.approx([0.8, 0.42], abs=1e-15)


def test_nesterov_by_hand():
    # v1 = -0.2; w1 = 1 - 0.9*0 + 1.9*(-0.2) = 0.62
    # v2 = 0.9*(-0.2) - 0.1*2 = -0.38; w2 = 0.62 - 0.9*(-0.2) + 1.9*(-0.38) = 0.078
    got = run(Momentum(0.1, momentum=0.9, nesterov=True), 1.0, [2.0, 2.0])
    assert got == pytest.approx([0.62, 0.078], abs=1e-14)


def test_adagrad_by_hand():
    # G1 = 4, w1 = 1 - 0.1*2/2 = 0.9; G2 = 4 + 1 = 5, w2 = 0.9 - 0.1*1/sqrt(5)
    got = run(Adagrad(0.1, eps=0.0 + 1e-300), 1.0, [2.0, 1.0])
    assert got == pytest.approx([0.9, 0.9 - 0.1 / math.sqrt(5)], abs=1e-14)


def test_rmsprop_by_hand():
    # s1 = 0.1*4 = 0.4, w1 = 1 - 0.01*2/sqrt(0.4); s2 = 0.9*0.4 + 0.1*1 = 0.46
    w1 = 1 - 0.01 * 2 / (math.sqrt(0.4) + 1e-8)
    w2 = w1 - 0.01 * 1 / (math.sqrt(0.46) + 1e-8)
    assert run(RMSProp(0.01, rho=0.9), 1.0, [2.0, 1.0]) == pytest.approx([w1, w2], abs=1e-14)


def test_adadelta_by_hand():
    rho, eps = 0.95, 1e-6
    Eg2 = (1 - rho) * 4.0
    dx1 = -math.sqrt(0 + eps) / math.sqrt(Eg2 + eps) * 2.0
    Edx2 = (1 - rho) * dx1 ** 2
    Eg2 = rho * Eg2 + (1 - rho) * 1.0
    dx2 = -math.sqrt(Edx2 + eps) / math.sqrt(Eg2 + eps) * 1.0
    got = run(Adadelta(rho=rho, eps=eps), 1.0, [2.0, 1.0])
    assert got == pytest.approx([1 + dx1, 1 + dx1 + dx2], abs=1e-15)


def test_adam_by_hand_and_bias_correction():
    lr, b1, b2 = 0.1, 0.9, 0.999
    # step 1: m = 0.1*2 = 0.2, v = 0.001*4 = 0.004; m_hat = 2, v_hat = 4: the step is lr * 2/2 = lr
    got = run(Adam(lr), 1.0, [2.0])
    assert got[0] == pytest.approx(1.0 - lr * 2 / (2 + 1e-8), abs=1e-14)
    # without bias correction the step would have been lr * 0.2 / sqrt(0.004) = 0.316 lr
    assert abs(got[0] - (1 - lr * 0.2 / math.sqrt(0.004))) > 0.05
    # step 2 with g = 1
    m = b1 * 0.2 + (1 - b1) * 1.0
    v = b2 * 0.004 + (1 - b2) * 1.0
    m_hat, v_hat = m / (1 - b1 ** 2), v / (1 - b2 ** 2)
    got = run(Adam(lr), 1.0, [2.0, 1.0])
    assert got[1] == pytest.approx(got[0] - lr * m_hat / (math.sqrt(v_hat) + 1e-8), abs=1e-14)


def test_adam_first_step_is_lr_times_sign_whatever_the_scale():
    # bias correction makes the first step lr * g/|g| for any gradient size
    for g in (1e-3, 1.0, 1e3):
        p = one(0.0)
        Adam(0.05).step(p, one(g))
        assert p["w"][0] == pytest.approx(-0.05, rel=2e-5)   # eps/|g| <= 1e-5


def test_pure_functions_agree_with_classes():
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(3, 2))
    gs = [rng.normal(size=(3, 2)) for _ in range(4)]
    p, opt = {"W": w0.copy()}, Momentum(0.05, momentum=0.8)
    w, v = w0.copy(), np.zeros_like(w0)
    p2, opt2 = {"W": w0.copy()}, Adam(0.01)
    wa, m, va = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
    for t, g in enumerate(gs, start=1):
        opt.step(p, {"W": g})
        w, v = momentum_update(w, g, v, 0.05, 0.8)
        opt2.step(p2, {"W": g})
        wa, m, va = adam_update(wa, g, m, va, t, 0.01)
    np.testing.assert_allclose(p["W"], w, rtol=1e-12)
    np.testing.assert_allclose(p2["W"], wa, rtol=1e-12)



def adamw_paper(theta, grads, alpha, wd, beta1=0.9, beta2=0.999, eps=1e-8, eta=1.0):
    """Loshchilov & Hutter (ICLR 2019), Algorithm 2 ("AdamW"), line by line, without a schedule
    (eta_t = eta for every t):  m, v, m_hat, v_hat as in Adam (line 6 without the L2 term), then
    theta_t = theta_{t-1} - eta_t (alpha m_hat / (sqrt(v_hat) + eps) + lambda theta_{t-1})."""
    m = v = 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        theta = theta - eta * (alpha * m_hat / (math.sqrt(v_hat) + eps) + wd * theta)
        out.append(theta)
    return out


def test_adamw_against_the_published_rule():
    grads = [2.0, -1.0, 0.5, 3.0, -0.25]
    # mlbook (and torch) AdamW(lr, weight_decay) = the paper's rule with alpha = 1, eta_t = lr
    got = run(AdamW(0.1, weight_decay=0.2), 1.5, grads)
    assert got == pytest.approx(adamw_paper(1.5, grads, alpha=1.0, wd=0.2, eta=0.1), abs=1e-14)
    # ... which is also alpha = lr, eta_t = 1 and the paper's lambda = lr * weight_decay
    assert got == pytest.approx(adamw_paper(1.5, grads, alpha=0.1, wd=0.02), abs=1e-14)
    # by hand, step 1: Adam's first step is lr * sign(g); the decay uses theta_0 = 1.5
    assert got[0] == pytest.approx(1.5 - 0.1 * 2 / (2 + 1e-8) - 0.1 * 0.2 * 1.5, abs=1e-14)


def test_adamw_decay_is_decoupled_from_the_gradient_scale():
    # zero gradients: Adam does nothing, AdamW shrinks every weight by (1 - lr wd) per step,
    # whatever its size; an L2 term in the gradient would instead be divided by sqrt(v_hat)
    p = {"W": np.array([1.0, -3.0, 1e-3])}
    opt = AdamW(0.01, weight_decay=0.5)
    for _ in range(100):
        opt.step(p, {"W": np.zeros(3)})
    np.testing.assert_allclose(p["W"], np.array([1.0, -3.0, 1e-3]) * (1 - 0.005) ** 100,
                               rtol=1e-12)
    # weight_decay = 0 is Adam exactly
    rng = np.random.default_rng(2)
    gs = [rng.normal(size=(2, 3)) for _ in range(6)]
    w0 = rng.normal(size=(2, 3))
    p1, p2 = {"W": w0.copy()}, {"W": w0.copy()}
    o1, o2 = Adam(0.01), AdamW(0.01, weight_decay=0.0)
    for g in gs:
        o1.step(p1, {"W": g})
        o2.step(p2, {"W": g})
    np.testing.assert_array_equal(p1["W"], p2["W"])


def test_adamw_by_name_and_in_fit_is_all_or_nothing():
    assert isinstance(make_optimizer("adamw", 0.01, weight_decay=0.1), AdamW)
    p = {"w": np.array([1.0])}
    opt = AdamW(1e308, weight_decay=10.0)
    with pytest.raises(DivergenceError):
        opt.step(p, one(1.0))
    assert p["w"][0] == 1.0 and opt.state == {}

QUADRATIC_A = np.diag([1.0, 10.0])


@pytest.mark.parametrize("name,lr", [("sgd", 0.05), ("momentum", 0.02), ("nesterov", 0.02),
                                     ("adagrad", 0.5), ("rmsprop", 0.02), ("adam", 0.05),
                                     ("adadelta", 1.0), ("adamw", 0.05)])
def test_each_reduces_a_convex_quadratic(name, lr):
    """f(x) = 1/2 x^T A x from (3, 2): f must fall to well under its start."""
    opt = make_optimizer(name, lr)
    p = {"x": np.array([3.0, 2.0])}
    f = lambda x: 0.5 * x @ QUADRATIC_A @ x  # noqa: E731
    f0 = f(p["x"])
    steps = 3000 if name == "adadelta" else 300
    for _ in range(steps):
        opt.step(p, {"x": QUADRATIC_A @ p["x"]})
    assert f(p["x"]) < 1e-2 * f0, (name, f(p["x"]))


def test_state_is_per_parameter_array():
    opt = Momentum(0.1, 0.9)
    p = {"a": np.array([1.0]), "b": np.array([1.0, 1.0])}
    opt.step(p, {"a": np.array([1.0]), "b": np.array([0.0, 0.0])})
    assert opt.state["a"]["v"][0] == pytest.approx(-0.1)
    np.testing.assert_array_equal(opt.state["b"]["v"], [0.0, 0.0])
    assert p["b"].tolist() == [1.0, 1.0]


def test_step_updates_in_place():
    w = np.array([1.0, 2.0])
    p = {"w": w}
    SGD(0.5).step(p, {"w": np.array([2.0, 2.0])})
    assert p["w"] is w and w.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), float("inf")])
@pytest.mark.parametrize("cls", [SGD, Momentum, Adagrad, RMSProp, Adam, AdamW])
def test_bad_learning_rate(cls, bad):
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        cls(bad)


def test_bad_learning_rate_type_and_setter():
    with pytest.raises(TypeError, match="lr"):
        SGD("0.1")
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="momentum"):
        Momentum(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta1"):
        Adam(0.1, beta1=-0.1)
    with pytest.raises(ValueError, match="rho"):
        RMSProp(0.1, rho=1.5)
    with pytest.raises(ValueError, match="eps"):
        Adadelta(eps=0)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(0.1, weight_decay=-0.01)


def test_mismatched_keys_and_shapes():
    p = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    with pytest.raises(ValueError, match=r"grads must have the same keys.*missing \['b'\]"):
        SGD(0.1).step(p, {"W": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"unexpected \['c'\]"):
        SGD(0.1).step(p, {"W": np.zeros((2, 3)), "b": np.zeros(3), "c": np.zeros(1)})
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3, 2\)"):
        SGD(0.1).step(p, {"W": np.zeros((3, 2)), "b": np.zeros(3)})
    with pytest.raises(TypeError, match=r"params\['w'\] must be a float numpy array"):
        SGD(0.1).step({"w": [1.0]}, {"w": np.zeros(1)})
    with pytest.raises(TypeError, match="grads must be a dict"):
        SGD(0.1).step(p, [np.zeros((2, 3))])


def test_divergence_is_an_error_not_a_warning():
    p = {"w": np.array([1e300])}
    with pytest.raises(DivergenceError, match="diverged"):
        SGD(1e10).step(p, {"w": np.array([1e300])})


def test_make_optimizer_unknown_name_lists_names():
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'.*sgd, momentum.*adam, adamw"):
        make_optimizer("adamax", 0.1)
    assert isinstance(make_optimizer("Adam", 0.1), Adam)
    assert make_optimizer("nesterov", 0.1).nesterov


def test_step_decay_and_exponential():
    s = StepDecay(0.1, factor=0.5, every=10)
    assert [s(e) for e in (0, 9, 10, 25)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    e = ExponentialDecay(0.1, k=0.1)
    assert e(10) == pytest.approx(0.1 * math.exp(-1))
    with pytest.raises(ValueError, match="every"):
        StepDecay(0.1, every=0)


def test_halve_on_plateau_is_the_slides_recipe():
    s = HalveOnPlateau()          # lr0 = 0.1, halve after 1 epoch without improvement
    lrs = [s(e, v) for e, v in enumerate([1.0, 0.8, 0.7, 0.75, 0.6, 0.6, 0.61])]
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
    with pytest.raises(ValueError, match="val_loss"):
        s(7)


def test_repr_names_hyperparameters():
    assert repr(Adam(0.01)) == "Adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08)"
    assert "nesterov=True" in repr(Momentum(0.1, nesterov=True))
    assert set(optim.OPTIMIZERS) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                     "adadelta", "adam", "adamw"}
    assert repr(AdamW(0.01)) == ("AdamW(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-08, "
                                 "weight_decay=0.01)")


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_staged_step_equals_the_in_place_rule_bit_for_bit(name):
    """The fast path (new values into reused scratch arrays, checked, then copied in) gives
    exactly the numbers of the in-place formulas (``_update``), step after step, and leaves
    the parameter arrays and state in place."""
    rng = np.random.default_rng(3)
    fast, slow = make_optimizer(name, 0.05), make_optimizer(name, 0.05)
    slow._can_stage = lambda: False                    # force the copy-and-update path
    shapes = {"W": (7, 5), "b": (5,)}
    pf = {k: rng.normal(size=s) for k, s in shapes.items()}
    ps = {k: v.copy() for k, v in pf.items()}
    arrays = dict(pf)
    for _ in range(6):
        g = {k: rng.normal(size=s) * 10.0 ** rng.integers(-3, 3) for k, s in shapes.items()}
        fast.step(pf, g)
        slow.step(ps, g)
        for k in shapes:
            assert pf[k] is arrays[k]
            np.testing.assert_array_equal(pf[k], ps[k])
            for key, value in slow.state[k].items():
                np.testing.assert_array_equal(fast.state[k][key], value)


@pytest.mark.parametrize("name", sorted(optim.OPTIMIZERS))
def test_staged_step_that_would_overflow_changes_nothing(name):
    opt = make_optimizer(name, 0.1)
    p = {"W": np.full((2, 2), 1.797e308), "b": np.ones(2)}
    opt.step({"b": p["b"]}, {"b": np.ones(2)})         # state for b only
    opt.lr = 1e308
    before, state = {k: v.copy() for k, v in p.items()}, repr(opt.state)
    with pytest.raises(DivergenceError) as err:
        opt.step(p, {"W": np.full((2, 2), -1.0), "b": np.ones(2)})
    assert err.value.quantity == "parameter"
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])
    assert repr(opt.state) == state


@pytest.mark.parametrize("name", ["sgd", "momentum", "adamw"])
def test_staged_step_with_huge_updates_is_checked_aside_and_equal(name):
    """Updates of 1e160 (beyond what the two-dot-product shortcut accepts) and a parameter
    holding 1e300 take the checked path: the same numbers as the in-place rule."""
    fast, slow = make_optimizer(name, 1e-40), make_optimizer(name, 1e-40)
    slow._can_stage = lambda: False
    pf = {"W": np.array([[1e300, -2.0], [3.0, 1e-300]])}
    ps = {"W": pf["W"].copy()}
    for scale in (1e200, 1e100, 1e200):
        g = {"W": np.array([[1.0, -2.0], [0.5, 3.0]]) * scale}
        fast.step(pf, g)
        slow.step(ps, g)
        np.testing.assert_array_equal(pf["W"], ps["W"])


def test_one_dot_product_proves_an_update_finite():
    """optim._small_update(p, d) True  =>  p - d and p + d are finite, on values near the
    edges of float64 (largest float, half an ulp of it, inf, NaN, zeros)."""
    big = np.finfo(np.float64).max
    edge = np.array([0.0, -0.0, 1.0, 1e-300, 2.0 ** 970, 2.0 ** 971, 1e292, 1e154, 2.0 ** 1023,
                     big, np.inf, np.nan])
    vals = np.concatenate([edge, -edge])
    r = np.random.default_rng(0)
    with np.errstate(over="ignore", invalid="ignore"):
        for a in vals:
            for b in vals:
                p, d = np.array([a, 1.0]), np.array([b, 2.0])
                if optim._small_update(p, d):
                    assert np.isfinite(p - d).all() and np.isfinite(p + d).all(), (a, b)
        for _ in range(200):
            p = r.choice(vals, 5) * r.random(5)
            d = r.choice(vals, 5) * r.random(5)
            if optim._small_update(p, d):
                assert np.isfinite(p - d).all() and np.isfinite(p + d).all(), (p, d)
    assert optim._small_update(np.ones(3), np.ones(3))
