"""Learning-rate explorer: its data is worked_example.train's; divergence is labelled, not warned."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlbook import worked_example as we  # noqa: E402
from mlbook.optim import DivergenceError  # noqa: E402
from mlbook.widgets.lr_explorer import (LR_VALUES, _LiveLossCurves, classify_run,  # noqa: E402
                                        lr_explorer, lr_explorer_draw, lr_explorer_update)


@pytest.mark.parametrize("lr,steps,sequential,biases", [(0.5, 10_000, False, False),
                                                        (2.0, 500, True, False),
                                                        (0.05, 300, False, True)])
def test_curve_is_worked_example_train(lr, steps, sequential, biases):
    d = lr_explorer_update(lr, steps, sequential, biases)
    params, errors = we.train(steps, lr, sequential=sequential, biases=biases)
    np.testing.assert_array_equal(d["errors"], errors)
    f = we.forward(params)
    assert d["outputs"] == (f["out_o1"], f["out_o2"])
    assert d["final_error"] == errors[-1] and d["status"] == "converging"
    assert d["targets"] == (0.01, 0.99)


def test_slides_figure_after_10000_steps():
    # the slides: "Repeat 10,000 times: 0.000035085" (published figure) — the sequential order
    assert f"{lr_explorer_update(0.5, sequential=True)['final_error']:.9f}" == "0.000035085"
    assert f"{lr_explorer_update(0.5, sequential=False)['final_error']:.9f}" == "0.000035102"


def test_huge_rate_saturates_and_is_labelled():
    d = lr_explorer_update(1000.0)
    assert d["status"] == "saturated" and d["event_step"] == 1
    assert "saturated at step 1" in d["label"]
    assert d["final_error"] == pytest.approx(1e-4, rel=1e-6)   # 1/2 (0.01^2 + 0.01^2)


def test_overshoot_with_biases_is_labelled():
    d = lr_explorer_update(300.0, 2000, True, True)
    assert d["status"] == "overshot" and d["event_step"] == 1
    assert d["errors"][1] > d["errors"][0]


def test_diverged_run_is_drawn_up_to_the_divergence(monkeypatch):
    real_train = we.train

    def fake_train(steps, lr, **kw):          # a run that overflows at step 7
        if steps >= 7:
            raise DivergenceError("training diverged at step 7: w1 became inf", name="w1", step=7)
        return real_train(steps, lr, **kw)

    monkeypatch.setattr(we, "train", fake_train)
    d = lr_explorer_update(0.5, 100)
    assert d["status"] == "diverged" and d["event_step"] == 7
    assert d["errors"].shape == (7,) and "diverged at step 7" in d["label"]


def test_classify_run():
    assert classify_run([0.3, 0.2, 0.1], (0.5, 0.5)) == ("converging", None)
    assert classify_run([0.3, 0.4, 0.4], (0.5, 0.5)) == ("overshot", 1)
    assert classify_run([0.3, 1e-4, 1e-4, 1e-4], (1e-40, 1.0)) == ("saturated", 1)


def test_bad_lr_is_an_error_naming_lr():
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        lr_explorer_update(-1.0)
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        lr_explorer_update(float("inf"))


def test_drawing_shows_the_data():
    d = lr_explorer_update(0.5, 2000)
    pinned = [lr_explorer_update(1000.0, 2000)]
    ax = lr_explorer_draw(d, pinned)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [pinned[0]["label"], d["label"]]
    fig = _LiveLossCurves(d)
    fig.show(d, pinned)
    x, y = fig.line.get_data()
    np.testing.assert_allclose(y, d["errors"][x])
    assert "out_o1 = " in fig.text.get_text()
    assert [t.get_text() for t in fig.ax.get_legend().get_texts()] == labels
    fig.show(d, [])                           # pins cleared
    assert fig.pinned_lines == []


def test_widget_builds_and_pins():
    box = lr_explorer(lr=0.5, steps=1000)
    np.testing.assert_array_equal(box.data["errors"], we.train(1000, 0.5)[1])
    box.controls["lr"].value = 2.0
    assert box.data["lr"] == 2.0
    box.controls["pin"].click()
    assert len(box.pinned) == 1
    assert len(box.live.figure.axes[0].get_legend().get_texts()) == 2
    box.controls["clear"].click()
    assert box.pinned == []


def test_slider_offers_every_rate_of_notebook_06():
    """Each learning rate notebook 06 names (its spectrum and the explorer's "Try: ...") can be
    set exactly on the slider."""
    import json
    import pathlib
    import re
    nb = json.loads((pathlib.Path(__file__).parents[1] / "notebooks"
                     / "06_learning_rate_optimizers.ipynb").read_text(encoding="utf-8"))
    rates = set()
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        m = re.search(r"spectrum = \[([^\]]*)\]", src)
        if m:
            rates |= {float(v) for v in m.group(1).split(",")}
        if cell["cell_type"] == "markdown" and "explorer" in src.lower() and "Try:" in src:
            rates |= {float(v) for v in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])",
                                                     src[src.index("Try:"):])}
    assert {0.5, 30, 300, 1000} <= rates, rates
    box = lr_explorer(lr=0.5, steps=10)
    slider = box.controls["lr"]
    assert slider.value == 0.5
    for rate in sorted(rates):
        assert rate in LR_VALUES, rate
        slider.value = rate                   # a SelectionSlider: only offered values
        assert box.data["lr"] == rate
