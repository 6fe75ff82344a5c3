"""fit: mini-batches, seeded shuffling, history, early stopping, divergence, bad input."""
import numpy as np
import pytest

from mlbook.layers import Dense, Sequential, Tanh, fit
from mlbook.layers.training import evaluate
from mlbook.optim import SGD, HalveOnPlateau, StepDecay


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


def test_divergence_stops_cleanly_without_warnings():
    X, y = data()
    X = X * 100
    m = model()
    h = fit(m, X, np.eye(2)[y], loss="mse", optimizer="sgd", lr=1e6, epochs=50, batch_size=4)
    assert h["diverged_at"] is not None and h["epochs_run"] < 50
    assert all(np.isfinite(h["train_loss"]))
    for v in m.params.values():
        assert np.all(np.isfinite(v))


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
