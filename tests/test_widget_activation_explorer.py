"""Activation explorer: the update function's data against mlbook.activations; the widget."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlbook.activations import ACTIVATIONS, ALPHA_DEFAULTS  # noqa: E402
from mlbook.widgets.activation_explorer import (activation_explorer,  # noqa: E402
                                                activation_explorer_draw,
                                                activation_explorer_update)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("x", [-3.7, -0.4, 0.9, 5.0])
def test_update_data_matches_mlbook(name, x):
    f, df = ACTIVATIONS[name]
    kw = {"alpha": ALPHA_DEFAULTS[name]} if name in ALPHA_DEFAULTS else {}
    d = activation_explorer_update(name, x)
    assert d["name"] == name and d["alpha"] == kw.get("alpha")
    assert d["grid"].shape == d["f"].shape == d["df"].shape == (401,)
    assert d["grid"][0] <= -6 and d["grid"][-1] >= 6
    np.testing.assert_allclose(d["f"], f(d["grid"], **kw), rtol=1e-15)
    np.testing.assert_allclose(d["df"], df(d["grid"], **kw), rtol=1e-15)
    assert d["x"] == x and d["y"] == f(x, **kw) and d["slope"] == df(x, **kw)
    # the tangent line passes through (x, f(x)) with slope f'(x) ...
    tx, ty = d["tangent_x"], d["tangent_y"]
    assert tx[0] < x < tx[1]
    assert np.isclose((ty[1] - ty[0]) / (tx[1] - tx[0]), d["slope"], rtol=1e-12, atol=1e-15)
    assert np.isclose(np.interp(x, tx, ty), d["y"], rtol=1e-12, atol=1e-15)
    # ... and it is the best linear fit near x: error of a finite step is o(h)
    h = 1e-4
    assert abs(f(x + h, **kw) - (d["y"] + d["slope"] * h)) < 1e-6
    assert f"x = {x:.3f}" in d["text"] and f"f(x) = {d['y']:.6f}" in d["text"]


def test_alpha_is_used_where_it_applies_and_ignored_elsewhere():
    d = activation_explorer_update("leaky_relu", -2.0, alpha=0.2)
    assert d["alpha"] == 0.2 and d["y"] == pytest.approx(-0.4) and d["slope"] == 0.2
    d = activation_explorer_update("elu", -1.0, alpha=2.0)
    assert d["y"] == pytest.approx(2.0 * (np.exp(-1.0) - 1)) and d["slope"] == pytest.approx(2 * np.exp(-1.0))
    assert "α = 2.00" in d["text"]
    d = activation_explorer_update("sigmoid", 0.0, alpha=0.7)
    assert d["alpha"] is None and d["slope"] == 0.25 and "α" not in d["text"]


def test_known_numbers():
    assert activation_explorer_update("sigmoid", 0.0)["text"] == (
        "sigmoid:  x = 0.000   f(x) = 0.500000   f'(x) = 0.25")
    assert activation_explorer_update("relu", 0.0)["slope"] == 0.0          # kink convention
    d = activation_explorer_update("tanh", 10.0)
    assert d["grid"][-1] >= 11.0 and d["slope"] == pytest.approx(8.244614e-09, rel=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="valid names: sigmoid, tanh, relu"):
        activation_explorer_update("gelu", 0.0)
    with pytest.raises(ValueError, match="x must be a finite number"):
        activation_explorer_update("relu", np.nan)
    with pytest.raises(ValueError, match="x must be a finite number"):
        activation_explorer_update("relu", "1")
    with pytest.raises(ValueError, match="alpha must be a positive finite number"):
        activation_explorer_update("elu", 0.0, alpha=0.0)


def test_draw_puts_the_data_on_the_axes():
    import matplotlib.pyplot as plt
    d = activation_explorer_update("swish", 1.2)
    fig, axes = plt.subplots(1, 2)
    activation_explorer_draw(d, axes)
    lines = axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), d["f"])
    np.testing.assert_array_equal(lines[1].get_ydata(), d["tangent_y"])
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_ydata(), d["df"])
    plt.close(fig)


def test_widget_builds_and_reacts():
    w = activation_explorer("elu", x=-1.0)
    controls, numbers_ = w.children[:2]
    pick, xs, al = controls.children
    assert w.image.layout.height == "272px"                      # the figure's own size
    assert w.png[:8] == b"\x89PNG\r\n\x1a\n" and w.image.value == w.png
    assert w.summary().startswith("activation explorer: elu, α = 1.00:  x = -1.000")
    assert not al.disabled and al.value == 1.0 and al.min > 0
    assert "elu, α = 1.00" in numbers_.value and "x = -1.000" in numbers_.value
    xs.value = 2.0
    assert "x = 2.000" in numbers_.value and "x = 2.000" in w.summary()
    pick.value = "tanh"
    assert al.disabled and ">tanh:" in numbers_.value
    pick.value = "leaky_relu"
    assert not al.disabled and al.value == 0.01 and al.min == 0.0
    al.value = 0.3
    assert "α = 0.30" in numbers_.value
    with pytest.raises(ValueError, match="valid names"):
        activation_explorer("nope")


def test_static_activation_plots():
    """mlbook.plots.activations: curve data from mlbook, one panel per activation."""
    import matplotlib.pyplot as plt
    from mlbook.plots.activations import (activation_curves, plot_activations,
                                          plot_gradient_norms, plot_softmax_temperature)
    c = activation_curves("elu", alpha=0.5, xlim=(-2, 2), n=5)
    np.testing.assert_allclose(c["f"], ACTIVATIONS["elu"][0](np.linspace(-2, 2, 5), alpha=0.5))
    np.testing.assert_allclose(c["df"], ACTIVATIONS["elu"][1](np.linspace(-2, 2, 5), alpha=0.5))
    fig = plot_activations()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible][:2] == ["sigmoid", "tanh"] and len(visible) == 7
    np.testing.assert_allclose(visible[0].get_lines()[1].get_ydata(),
                               ACTIVATIONS["sigmoid"][1](np.linspace(-5, 5, 401)))
    ax = plot_gradient_norms({"a": [1.0, 0.1, 0.01]})
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [1.0, 0.1, 0.01])
    ax = plot_softmax_temperature([1.0, 2.0], [1.0, 10.0])
    assert len(ax.patches) == 4
    plt.close("all")


def test_in_place_redraw_shows_the_new_data():
    import matplotlib.pyplot as plt
    from mlbook.widgets.activation_explorer import _refresh
    fig, axes = plt.subplots(1, 2)
    activation_explorer_draw(activation_explorer_update("sigmoid", 1.0), axes)
    d = activation_explorer_update("leaky_relu", -2.0, alpha=0.3)
    _refresh(d, axes)
    f_line, tangent, point, _, vline = axes[0].get_lines()
    np.testing.assert_array_equal(f_line.get_ydata(), d["f"])
    np.testing.assert_array_equal(tangent.get_ydata(), d["tangent_y"])
    assert point.get_xdata()[0] == -2.0 and point.get_ydata()[0] == pytest.approx(-0.6)
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_ydata(), d["df"])
    assert axes[1].get_lines()[1].get_ydata()[0] == 0.3
    assert axes[0].get_title() == "leaky_relu (α = 0.30): f(x) = -0.6000"
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == [
        "leaky_relu(x)", "tangent, slope 0.3"]
    lo, hi = axes[0].get_ylim()
    assert lo <= d["f"].min() and hi >= d["f"].max()
    plt.close(fig)
