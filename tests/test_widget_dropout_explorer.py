"""Dropout explorer: the update function's data agrees with mlbook; the widget builds."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mlbook.activations import softmax  # noqa: E402
from mlbook.layers import Dropout, fit  # noqa: E402
from mlbook.losses import softmax_cross_entropy  # noqa: E402
from mlbook.optim import Adam  # noqa: E402
from mlbook.regularization import L2, Penalized  # noqa: E402
from mlbook.widgets.dropout_explorer import (  # noqa: E402
    boundary_grid, draw_dropout_masks, dropout_explorer, dropout_explorer_draw,
    dropout_explorer_update, dropout_masks_data, overfit_data, overfit_mlp)

EPOCHS = 60


@pytest.fixture(scope="module")
def runs():
    return {(p, lam): dropout_explorer_update(p, lam, epochs=EPOCHS)
            for p, lam in [(0.0, 0.0), (0.5, 0.0), (0.0, 1e-2)]}


def test_update_matches_a_fit_run_by_hand(runs):
    data = runs[(0.5, 0.0)]
    X, y, X_val, y_val = overfit_data()
    model = overfit_mlp(0.5)
    hist = fit(model, X, y, loss="softmax_cross_entropy", optimizer=Penalized(Adam(0.005), L2(0)),
               epochs=EPOCHS, batch_size=20, validation=(X_val, y_val), seed=0)
    assert np.allclose(data["train_loss"], hist["train_loss"])
    assert np.allclose(data["val_loss"], hist["val_loss"])
    assert list(data["epochs"]) == list(range(1, EPOCHS + 1))
    # the last point of each curve is the model's own loss, evaluation mode
    final, _ = softmax_cross_entropy(data["model"].forward(X_val, training=False), y_val)
    assert np.isclose(data["val_loss"][-1], final)
    assert sum(isinstance(l, Dropout) for l in data["model"].layers) == 2


def test_boundary_is_the_models_probability(runs):
    data = runs[(0.0, 0.0)]
    xx, yy, prob = data["xx"], data["yy"], data["prob"]
    assert prob.shape == xx.shape == yy.shape == (60, 60)
    i, j = 17, 42
    logits = data["model"].forward(np.array([[xx[i, j], yy[i, j]]]), training=False)
    assert np.isclose(prob[i, j], softmax(logits, axis=1)[0, 1])
    assert 0.0 <= prob.min() and prob.max() <= 1.0
    assert prob.min() < 0.1 and prob.max() > 0.9          # both classes appear
    acc = np.mean(data["model"].forward(data["X"], training=False).argmax(1) == data["y"])
    assert np.isclose(data["train_acc"], acc)


def test_regularization_changes_the_run(runs):
    plain, l2 = runs[(0.0, 0.0)], runs[(0.0, 1e-2)]
    assert l2["weight_norm"] < 0.7 * plain["weight_norm"]           # L2 shrinks the weights
    assert plain["train_loss"][-1] < runs[(0.5, 0.0)]["train_loss"][-1]   # dropout fits less


def test_early_stopping_stops():
    data = dropout_explorer_update(0.0, 0.0, patience=5, epochs=EPOCHS)
    assert data["stopped_early"] and len(data["train_loss"]) < EPOCHS
    assert data["best_epoch"] == int(np.argmin(data["val_loss"])) + 1


def test_draw_puts_the_data_on_the_axes(runs):
    data = runs[(0.5, 0.0)]
    fig, axes = plt.subplots(1, 2)
    dropout_explorer_draw(data, axes)
    lines = axes[0].get_lines()
    assert np.allclose(lines[0].get_ydata(), data["train_loss"])
    assert np.allclose(lines[1].get_ydata(), data["val_loss"])
    assert "dropout p=0.5" in axes[0].get_title()
    plt.close(fig)


def test_bad_p():
    with pytest.raises(ValueError, match="p must be in"):
        dropout_explorer_update(1.0, 0.0, epochs=2)
    with pytest.raises(ValueError, match="lam"):
        dropout_explorer_update(0.0, -1.0, epochs=2)


def test_masks_come_from_dropout_layers():
    data = dropout_masks_data(sizes=(3, 50, 50, 2), p=0.3, n_passes=3, seed=4)
    masks = data["masks"]
    assert len(masks) == 3 and [m.shape for m in masks[0]] == [(3,), (50,), (50,), (2,)]
    assert masks[0][0].all() and masks[0][-1].all()
    d = Dropout(0.3, rng=4)
    d.forward(np.ones((1, 50)))
    assert np.array_equal(masks[0][1], d.mask[0])           # the same draw as the layer
    assert not np.array_equal(masks[0][1], masks[1][1])     # each pass draws anew
    kept = np.mean([m[1].mean() for m in masks])
    assert 0.5 < kept < 0.9
    fig, axes = plt.subplots(1, 3)
    draw_dropout_masks(data, axes)
    assert axes[0].get_title().startswith("pass 1:")
    plt.close(fig)


def test_widget_builds():
    w = dropout_explorer(p=0.0, lam=0.0, epochs=5)
    p_slider, lam_slider = w.children[0].children
    assert "validation loss" in w.children[1].value
    lam_slider.value = 1e-3          # triggers a retrain and redraw without error
    assert "validation loss" in w.children[1].value and w.data["lam"] == 1e-3
    assert w.image.layout.height == "304px"
    plt.close("all")


def test_a_diverged_run_is_shown_in_the_title_and_status_not_raised(monkeypatch):
    import sys
    dx = sys.modules["mlbook.widgets.dropout_explorer"]   # the package has a function so named
    from mlbook.layers.training import divergence_error

    def diverging_fit(model, X, y, **kw):        # what fit does when training diverges
        history = fit(model, X, y, **dict(kw, epochs=2))
        err = divergence_error("the loss became inf", name="loss", quantity="loss", step=45,
                               epoch=3, batch=1, lr=0.005)
        history.update(diverged_at=3, divergence=err)
        err.history = history
        raise err

    monkeypatch.setattr(dx, "fit", diverging_fit)
    d = dropout_explorer_update(0.0, 0.0, epochs=5)
    assert d["divergence"] == "diverged in epoch 3 (update 45): the loss became inf"
    assert len(d["train_loss"]) == 2                       # the epochs before it, drawn
    axes = dropout_explorer_draw(d)
    assert axes[0].get_title() == d["divergence"]
    assert dx._status(d) == d["divergence"]
    plt.close("all")
