"""Optimizer race: paths are exactly what mlbook.optim produces; divergence is reported."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlbook.optim import Adam, Momentum  # noqa: E402
from mlbook.widgets.optimizer_race import (SURFACES, optimizer_race,  # noqa: E402
                                           optimizer_race_draw, optimizer_race_update)


def test_paths_follow_the_optimizers():
    d = optimizer_race_update("rosenbrock", lr=0.001, momentum=0.8, steps=20,
                              optimizers=("momentum", "adam"))
    s = SURFACES["rosenbrock"]
    for name, opt in (("momentum", Momentum(0.001, momentum=0.8)), ("adam", Adam(0.001))):
        p = {"theta": np.array(s["start"], dtype=float)}
        path = [p["theta"].copy()]
        for _ in range(20):
            opt.step(p, {"theta": s["grad"](p["theta"])})
            path.append(p["theta"].copy())
        np.testing.assert_allclose(d["paths"][name], path, rtol=1e-13)
        assert d["final_loss"][name] == pytest.approx(s["f"](path[-1]))


def test_gradients_are_right():
    from mlbook.gradcheck import numerical_gradient, rel_error
    for s in SURFACES.values():
        x = np.array([0.3, -0.7])
        assert rel_error(s["grad"](x), numerical_gradient(s["f"], x)) < 1e-7


def test_everyone_improves_on_the_quadratic():
    d = optimizer_race_update("elongated quadratic", steps=200)
    f0 = SURFACES["elongated quadratic"]["f"](np.array(SURFACES["elongated quadratic"]["start"]))
    for name, f in d["final_loss"].items():
        assert f < f0, name
    assert all(st == "ok" for st in d["status"].values())
    assert d["final_loss"]["momentum"] < 1e-6 and d["final_loss"]["sgd"] < 1e-6


def test_too_large_lr_diverges_and_is_reported():
    d = optimizer_race_update("elongated quadratic", lr=0.2, steps=100, optimizers=("sgd",))
    # 1 - 0.2 * 20 = -3: the steep coordinate triples in size every step
    assert d["status"]["sgd"].startswith("diverged at step")
    assert np.all(np.isfinite(d["paths"]["sgd"]))
    k = len(d["paths"]["sgd"])            # the start and k - 1 steps inside, step k left the plot
    assert d["status"]["sgd"] == f"diverged at step {k}: theta left the plot (|theta| > 50)"


def test_momentum_escapes_the_saddle_faster_than_sgd():
    d = optimizer_race_update("saddle", lr=0.05, steps=60, optimizers=("sgd", "momentum"))
    assert abs(d["paths"]["momentum"][-1][1]) > abs(d["paths"]["sgd"][-1][1])


def test_bad_input():
    with pytest.raises(ValueError, match="unknown surface"):
        optimizer_race_update("himmelblau")
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        optimizer_race_update(lr=0.0)
    with pytest.raises(ValueError, match=r"unknown optimizer\(s\) \['lbfgs'\]"):
        optimizer_race_update(optimizers=("lbfgs",))


def test_draw_and_widget():
    d = optimizer_race_update("saddle", steps=30)
    ax = optimizer_race_draw(d)
    assert len(ax.get_legend().get_texts()) == 7
    box = optimizer_race(steps=20)
    assert box.data["steps"] == 20
    updates = box.updates
    box.controls["surface"].value = "rosenbrock"
    assert box.data["surface"] == "rosenbrock" and box.updates == updates + 1
    assert box.data["lr"] == SURFACES["rosenbrock"]["lr"]
