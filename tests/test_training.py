"""fit: mini-batches, seeded shuffling, history, early stopping, divergence, bad input."""
import numpy as np
import pytest

import math
import re
import warnings

from mlbook.layers import Dense, ReLU, Sequential, Tanh, fit
from mlbook.layers.training import (MAX_GROWTH, DivergenceWarning, divergence_status, evaluate,
                                    exploded)
from mlbook.optim import SGD, DivergenceError, HalveOnPlateau, StepDecay


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def model(seed=0):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(2, 8, rng=rng), Tanh(), Dense(8, 2, rng=rng)])


CE = "softmax_cross_entropy"


def test_fit_learns_and_records_history():
    X, y = data()
    m = model()
    before = evaluate(m, X, y, CE)
    h = fit(m, X[:90], y[:90], loss=CE, optimizer="adam", lr=0.05, epochs=20, batch_size=10,
            validation=(X[90:], y[90:]))
    assert len(h["train_loss"]) == len(h["val_loss"]) == len(h["lr"]) == 20 == h["epochs_run"]
    assert h["train_loss"][-1] < 0.5 * before
    assert h["train_loss"][-1] == pytest.approx(evaluate(m, X[:90], y[:90], CE))
    assert h["diverged_at"] is None and not h["stopped_early"]


def test_full_batch_sgd_is_plain_gradient_descent():
    """batch_size = N: one step per epoch with the full-batch gradient; same as doing it by hand."""
    X, y = data(40)
    m1, m2 = model(1), model(1)
    fit(m1, X, y, loss=CE, optimizer="sgd", lr=0.5, epochs=3, batch_size=40, shuffle=False)
    from mlbook.losses import softmax_cross_entropy
    opt = SGD(0.5)
    for _ in range(3):
        _, d = softmax_cross_entropy(m2.forward(X), y)
        m2.backward(d)
        opt.step(m2.params, m2.grads)
    for k in m1.params:
        np.testing.assert_allclose(m1.params[k], m2.params[k], rtol=1e-12)


def test_seeded_shuffling_is_reproducible_and_matters():
    X, y = data()
    runs = []
    for seed in (3, 3, 4):
        m = model()
        runs.append(fit(m, X, y, loss=CE, lr=0.1, epochs=3, batch_size=8, seed=seed)["train_loss"])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_early_stopping_restores_best():
    X, _ = data(60)
    y = np.random.default_rng(5).integers(0, 2, size=60)   # random labels: overfits at once
    m = model()
    h = fit(m, X[:30], y[:30], loss=CE, optimizer="adam", lr=0.05, epochs=200, batch_size=5,
            validation=(X[30:], y[30:]), patience=3)
    assert h["stopped_early"] and h["epochs_run"] < 200
    assert h["epochs_run"] - h["best_epoch"] == 3
    best = min(h["val_loss"])
    assert h["val_loss"][h["best_epoch"] - 1] == best
    assert evaluate(m, X[30:], y[30:], CE) == pytest.approx(best, rel=1e-12)


def test_divergence_raises_and_keeps_finite_weights():
    X, y = data()
    X = X * 100
    m = model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # not a single warning on the way
        with pytest.raises(DivergenceError, match=r"training diverged in epoch \d+") as err:
            fit(m, X, np.eye(2)[y], loss="mse", optimizer="sgd", lr=1e6, epochs=50,
                batch_size=4)
    h = err.value.history
    assert h["diverged_at"] == err.value.epoch and h["divergence"] is err.value
    assert h["epochs_run"] < 50 and all(np.isfinite(h["train_loss"]))
    for v in m.params.values():
        assert np.all(np.isfinite(v))


def _small_relu_net():
    rng = np.random.default_rng(0)
    return Sequential([Dense(2, 8, rng=rng), ReLU(), Dense(8, 2, rng=rng)])


def test_lr_1e6_on_a_small_relu_net_raises_the_report():
    """The issue's call: it used to store the error in the history and print nothing."""
    X, y = data()
    m = _small_relu_net()
    with pytest.raises(DivergenceError) as err:
        fit(m, X, y, loss=CE, optimizer="sgd", lr=1e6, epochs=5)
    e = err.value
    assert (e.epoch, e.step, e.quantity, e.name) == (1, 2, "loss", "loss")
    assert re.fullmatch(r"training diverged in epoch 1 \(update 2, mini-batch 2 of the epoch\): "
                        r"the loss exploded to \S+ \(over 10000 x max\(1, L0\) with L0 = \S+, "
                        r"the first mini-batch's loss\) \(lr=1e\+06 is too large for this "
                        r"problem\); no parameter became inf or NaN", str(e)), str(e)
    assert divergence_status(e).startswith("diverged in epoch 1 (update 2): the loss exploded to")
    assert all(np.all(np.isfinite(v)) for v in m.params.values())


def test_the_opt_out_warns_with_the_same_text_and_returns_the_history():
    X, y = data()
    with pytest.raises(DivergenceError) as err:
        fit(_small_relu_net(), X, y, loss=CE, optimizer="sgd", lr=1e6, epochs=5)
    with pytest.warns(DivergenceWarning) as record:
        h = fit(_small_relu_net(), X, y, loss=CE, optimizer="sgd", lr=1e6, epochs=5,
                on_divergence="warn")
    assert [str(w.message) for w in record] == [str(err.value)]
    assert str(h["divergence"]) == str(err.value) and h["diverged_at"] == 1
    with pytest.raises(ValueError, match="on_divergence must be one of 'raise', 'warn'"):
        fit(model(), X, y, loss=CE, on_divergence="ignore")


def _exploding_line():
    """pred = w x + b on x = 1, target 0, full batch: s = w + b becomes s (1 - 2 lr) per
    update, so with lr = 2 the loss 1/2 s^2 grows 9-fold per epoch from 1/2 — finite for
    hundreds of epochs, and past MAX_GROWTH x max(1, 1/2) = 1e4 after epoch 5 (1/2 9^5)."""
    line = Dense(1, 1, rng=0)
    line.params["W"][...] = 1.0
    X, y = np.ones((8, 1)), np.zeros((8, 1))
    return line, X, y


def test_a_loss_that_explodes_without_overflowing_is_divergence():
    line, X, y = _exploding_line()
    with pytest.raises(DivergenceError) as err:
        fit(line, X, y, loss="mse", optimizer="sgd", lr=2.0, epochs=100, batch_size=8,
            shuffle=False)
    e, h = err.value, err.value.history
    np.testing.assert_allclose(h["train_loss"], 0.5 * 9.0 ** np.arange(1, 6))   # epochs 1-5
    assert (e.epoch, e.step, e.name, e.quantity) == (5, 5, "training loss", "loss")
    assert e.what == f"the training loss exploded to {0.5 * 9 ** 5:.3g}"          # 2.95e+04
    assert "over 10000 x max(1, L0) with L0 = 0.5" in str(e)
    assert h["best_epoch"] == 1 and len(h["lr"]) == 5
    assert abs(line.params["W"][0, 0] + line.params["b"][0]) == pytest.approx(3.0)  # epoch 1's


def test_the_growth_rule():
    assert MAX_GROWTH == 1e4
    assert not exploded(1e4, 0.5) and exploded(1.0001e4, 0.5)          # max(1, L0) = 1
    assert not exploded(2e5, 20.0) and exploded(2.0001e5, 20.0)        # 1e4 x L0
    assert exploded(math.inf, 1.0) and exploded(math.nan, 1.0) and exploded(math.nan, None)
    assert not exploded(1e300, None)                                   # L0 not known yet


def test_a_validation_loss_counts_only_when_it_is_not_finite():
    X, y = data()
    X_val = X[:10] * 1e8                                  # huge validation loss, finite
    h = fit(Dense(2, 2, rng=0), X, y, loss=CE, lr=0.1, epochs=2,
            validation=(X_val, 1 - (X_val.sum(axis=1) > 0)))     # confidently wrong labels
    assert h["diverged_at"] is None and h["val_loss"][0] > 1e4


def test_schedule_sets_lr_per_epoch():
    X, y = data()
    h = fit(model(), X, y, loss=CE, lr=0.3, epochs=5, batch_size=30, schedule=StepDecay(0.2, every=2))
    assert h["lr"] == pytest.approx([0.2, 0.2, 0.1, 0.1, 0.05])
    h = fit(model(), X[:60], y[:60], loss=CE, epochs=15, batch_size=60, optimizer="sgd",
            validation=(X[60:], y[60:]), schedule=HalveOnPlateau(lr0=8.0))
    assert h["lr"][0] == 8.0 and min(h["lr"]) < 8.0      # the rate was halved at least once
    ratios = np.array(h["lr"][1:]) / np.array(h["lr"][:-1])
    assert set(np.round(ratios, 12)) <= {1.0, 0.5}


@pytest.mark.parametrize("bs", [0, -1, 121])
def test_bad_batch_size(bs):
    X, y = data()
    with pytest.raises(ValueError, match=r"batch_size must be an integer from 1 to the number of examples \(120\)"):
        fit(model(), X, y, loss=CE, batch_size=bs)


@pytest.mark.parametrize("bs", [2.5, True, "8"])
def test_batch_size_of_the_wrong_type(bs):
    X, y = data()
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        fit(model(), X, y, loss=CE, batch_size=bs)


def test_bad_optimizer_loss_and_data():
    X, y = data()
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'; choose one of sgd, momentum"):
        fit(model(), X, y, loss=CE, optimizer="adamm")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        fit(model(), X, y, loss="hinge")
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        fit(model(), X, y, loss=CE, lr=float("nan"))
    with pytest.raises(ValueError, match="X has 120 examples but y has 119"):
        fit(model(), X, y[:-1], loss=CE)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        fit(model(), X, y, loss=CE, epochs=0)
