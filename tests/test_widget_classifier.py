"""Classifier widget: its curves are fit's history on the seeded toy data."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlbook.layers import fit  # noqa: E402
from mlbook.layers.training import divergence_status  # noqa: E402
from mlbook.widgets.classifier import (build_classifier, classifier_data,  # noqa: E402
                                       classifier_draw, classifier_explorer, classifier_update)


def test_update_equals_fit_on_the_same_data():
    d = classifier_update("moons", lr=0.05, batch_size=8, optimizer="momentum", hidden=8, epochs=5)
    X, y, Xv, yv = classifier_data("moons")
    model = build_classifier(8, 2)
    h = fit(model, X, y, loss="softmax_cross_entropy", optimizer="momentum", lr=0.05, epochs=5,
            batch_size=8, validation=(Xv, yv), seed=0, restore_best=False)
    assert d["history"]["train_loss"] == h["train_loss"]
    assert d["history"]["val_loss"] == h["val_loss"]
    pred = model.predict(Xv).argmax(1)
    assert d["val_acc"] == pytest.approx(np.mean(pred == yv))


def test_learns_moons():
    d = classifier_update("moons", epochs=40)
    assert d["train_acc"] > 0.95 and d["val_acc"] > 0.9
    xx, yy, cls, conf = d["grid"]
    assert xx.shape == cls.shape == conf.shape and set(np.unique(cls)) == {0, 1}


def test_full_batch_and_sgd_extremes():
    n = classifier_data("xor")[0].shape[0]
    full = classifier_update("xor", batch_size=n, epochs=3)
    sgd = classifier_update("xor", batch_size=1, epochs=3, optimizer="sgd", lr=0.01)
    assert len(full["history"]["train_loss"]) == len(sgd["history"]["train_loss"]) == 3
    with pytest.raises(ValueError, match="batch_size must be an integer from 1"):
        classifier_update("xor", batch_size=n + 1)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown dataset"):
        classifier_update("iris")
    with pytest.raises(ValueError, match="unknown optimizer 'newton'"):
        classifier_update(optimizer="newton")
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        classifier_update(lr=-0.1)


def test_divergence_drawn_not_warned():
    d = classifier_update("spirals", lr=1e200, optimizer="sgd", batch_size=4, epochs=5,
                          activation="relu")   # tanh + softmax stay finite; ReLU overflows
    assert d["history"]["diverged_at"] is not None
    axes = classifier_draw(d)
    note = [t.get_text() for t in axes[0].texts]
    assert note == [divergence_status(d["history"]["divergence"], sep=":\n") + "\n(lr too large)"]
    assert note[0].startswith("diverged in epoch 1 (update ")


def test_a_loss_that_explodes_is_shown_as_divergence():
    d = classifier_update("spirals", lr=100.0, optimizer="sgd", batch_size=16, epochs=5,
                          activation="relu")              # no overflow: the growth rule
    err = d["history"]["divergence"]
    assert err.quantity == "loss" and err.what.startswith("the loss exploded to ")
    assert np.isfinite(d["grid"][3]).all()


def test_widget_builds():
    box = classifier_explorer("moons")
    assert box.data["dataset"] == "moons"
    box.controls["lr"].value = 0.1
    assert box.data["lr"] == 0.1 and len(box.data["history"]["train_loss"]) == 60


def test_decision_grid_is_the_models_argmax():
    from mlbook.plots.curves import decision_grid
    d = classifier_update("xor", epochs=5)
    xx, yy, cls, conf = decision_grid(d["model"].predict, d["X_train"], resolution=20)
    pts = np.c_[xx.ravel(), yy.ravel()]
    scores = d["model"].predict(pts)
    np.testing.assert_array_equal(cls.ravel(), scores.argmax(1))
    p = np.exp(scores - scores.max(1, keepdims=True))
    np.testing.assert_allclose(conf.ravel(), (p / p.sum(1, keepdims=True)).max(1))
    assert xx.min() == pytest.approx(d["X_train"][:, 0].min() - 0.3)


def test_draw_shows_the_history():
    d = classifier_update("moons", epochs=4)
    ax_loss, ax_regions = classifier_draw(d)
    train_line, val_line = ax_loss.get_lines()[:2]
    np.testing.assert_allclose(train_line.get_ydata(), d["history"]["train_loss"])
    np.testing.assert_allclose(val_line.get_ydata(), d["history"]["val_loss"])
    assert "validation" in ax_regions.get_title()
