"""Initialization explorer: the update function's data against an independent forward/backward
with mlbook layers, the numbers the schemes must show, the drawing and the widget."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlbook.layers import BatchNorm, Dense, ReLU, Sequential, Tanh  # noqa: E402
from mlbook.widgets.init_explorer import (BINS_PER_DECADE, init_explorer, init_explorer_draw,  # noqa: E402
                                          init_explorer_update)


def independent(depth, activation, scheme, batchnorm, width=128, n=256, seed=0):
    """The same network built by hand: h_l, dL/dz_l, |dW_l| per layer."""
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(depth):
        blocks.append([Dense(width, width, rng=rng, init=scheme)]
                      + ([BatchNorm(width)] if batchnorm else [])
                      + [Tanh() if activation == "tanh" else ReLU()])
    data_rng = np.random.default_rng(seed + 1)
    h = data_rng.normal(size=(n, width))
    hs = []
    for block in blocks:
        h = Sequential(block).forward(h)
        hs.append(h)
    g = data_rng.normal(size=h.shape)
    dz, dW = [], []
    for block in reversed(blocks):
        g = block[-1].backward(g)
        if batchnorm:
            g = block[1].backward(g)
        dz.append(g)
        g = block[0].backward(g)
        dW.append(np.linalg.norm(block[0].grads["W"]))
    return hs, dz[::-1], dW[::-1]


@pytest.mark.parametrize("depth, activation, scheme, batchnorm", [
    (4, "tanh", "glorot_uniform", False), (3, "relu", "he_normal", True),
    (5, "tanh", "normal", True), (2, "relu", "zeros", False)])
def test_data_matches_an_independent_computation(depth, activation, scheme, batchnorm):
    d = init_explorer_update(depth, activation, scheme, batchnorm)
    hs, dz, dW = independent(depth, activation, scheme, batchnorm)
    np.testing.assert_allclose(d["act_std"], [h.std() for h in hs], rtol=1e-12)
    np.testing.assert_allclose(d["act_mean"], [h.mean() for h in hs], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(d["grad_std"], [g.std() for g in dz], rtol=1e-12)
    np.testing.assert_allclose(d["dW_norm"], dW, rtol=1e-12)
    np.testing.assert_allclose(d["act_zero"], [np.mean(h == 0) for h in hs])
    edges = d["act_edges"]                  # log10 |h|: whole decades, BINS_PER_DECADE each
    nbins = len(edges) - 1
    assert edges[0] == np.floor(edges[0]) and edges[-1] == np.floor(edges[-1])
    assert nbins == (edges[-1] - edges[0]) * BINS_PER_DECADE
    assert d["act_hist"].shape == (depth, nbins)
    assert d["grad_hist"].shape == (depth, len(d["grad_edges"]) - 1)
    # the histograms: of log10 |h| of the non-zero values, peak scaled to 1, edges covering
    # every value
    for h, counts in zip(hs, d["act_hist"]):
        nz = h[h != 0]
        if nz.size:
            assert counts.max() == 1.0
            raw = np.histogram(np.log10(np.abs(nz)), bins=edges)[0]
            np.testing.assert_allclose(counts, raw / raw.max(), atol=2.0 / raw.max())
            assert raw.sum() > 0.99 * nz.size            # the edges hold nearly every value
            assert 10.0 ** edges[-1] >= np.abs(nz).max()
    # each layer where its magnitudes are: the peak moves with the layer's spread
    if scheme != "zeros":
        centers = 0.5 * (edges[1:] + edges[:-1])
        peaks = centers[np.argmax(d["act_hist"], axis=1)]
        np.testing.assert_allclose(peaks, np.log10(d["act_std"]), atol=1.0)
    assert d["text"].splitlines()[0].startswith(f"{depth} layers, {activation}, {scheme}")
    assert len(d["text"].splitlines()) == depth + 2


def test_what_the_schemes_show():
    small = init_explorer_update(10, "tanh", "normal", False)
    ratio = small["act_std"][1:] / small["act_std"][:-1]
    # N(0, 0.01^2) with 128 inputs: each layer multiplies the spread by about sqrt(128) * 0.01
    np.testing.assert_allclose(ratio, np.sqrt(128) * 0.01, rtol=0.1)
    assert small["act_std"][-1] < 1e-8 and small["grad_std"][0] < 1e-7
    glorot = init_explorer_update(10, "tanh", "glorot_uniform", False)
    assert np.all(glorot["act_std"] > 0.15) and np.all(glorot["grad_std"] > 0.2)
    he = init_explorer_update(10, "relu", "he_normal", False)
    assert np.all((he["act_std"] > 0.5) & (he["act_std"] < 2.0))
    assert np.all(np.abs(he["act_zero"] - 0.5) < 0.1)
    bn = init_explorer_update(10, "tanh", "normal", True)
    np.testing.assert_allclose(bn["act_std"], bn["act_std"][0], rtol=0.05)
    zeros = init_explorer_update(3, "tanh", "zeros", False)
    assert np.all(zeros["act_std"] == 0) and np.all(zeros["dW_norm"] == 0)
    big = init_explorer_update(6, "tanh", "normal(1)", False)
    assert np.all(big["act_sat"] > 0.6) and np.all(glorot["act_sat"] < 0.01)   # saturated tanh
    assert np.all(np.isnan(he["act_sat"]))


def test_bad_input():
    with pytest.raises(ValueError, match="activation must be one of 'tanh', 'relu', 'sigmoid'"):
        init_explorer_update(3, "gelu", "he_normal", False)
    with pytest.raises(ValueError, match="scheme must be one of 'zeros'"):
        init_explorer_update(3, "relu", "xavier", False)
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        init_explorer_update(0, "relu", "he_normal", False)
    with pytest.raises(TypeError, match="batchnorm must be True or False"):
        init_explorer_update(3, "relu", "he_normal", "yes")


def test_draw_puts_the_data_on_the_axes():
    import matplotlib.pyplot as plt
    d = init_explorer_update(6, "relu", "he_normal", True)
    fig, axes = plt.subplots(1, 3)
    init_explorer_draw(d, axes)
    lines = axes[0].get_lines()
    assert len(lines) == 6 and len(axes[1].get_lines()) == 6
    np.testing.assert_allclose(lines[2].get_ydata(), 3 + 0.85 * d["act_hist"][2])
    np.testing.assert_allclose(axes[1].get_lines()[5].get_ydata(), 6 + 0.85 * d["grad_hist"][5])
    std_h, std_g = axes[2].get_lines()
    np.testing.assert_allclose(std_h.get_ydata(), d["act_std"])
    np.testing.assert_allclose(std_g.get_ydata(), d["grad_std"])
    assert axes[2].get_yscale() == "log"
    plt.close(fig)


def test_in_place_refresh_and_depth_change():
    import matplotlib.pyplot as plt
    from mlbook.widgets.init_explorer import _refresh
    fig, axes = plt.subplots(1, 3)
    init_explorer_draw(init_explorer_update(5, "tanh", "glorot_uniform", False), axes)
    lines = axes[0].get_lines()
    d = init_explorer_update(5, "tanh", "normal", False)
    _refresh(d, axes)
    assert axes[0].get_lines() == lines                      # the same artists, new data
    np.testing.assert_allclose(axes[0].get_lines()[4].get_ydata(), 5 + 0.85 * d["act_hist"][4])
    np.testing.assert_allclose(axes[2].get_lines()[1].get_ydata(), d["grad_std"])
    assert axes[0].get_xlim() == (d["act_edges"][0], d["act_edges"][-1])
    assert _suptitle(fig) == "5 layers, tanh, normal"
    d = init_explorer_update(8, "relu", "he_normal", True)
    _refresh(d, axes)                                        # deeper: three ridges added
    assert len(axes[0].get_lines()) == len(axes[1].get_lines()) == 8
    assert axes[0].get_lines()[:5] == lines
    np.testing.assert_allclose(axes[1].get_lines()[7].get_ydata(), 8 + 0.85 * d["grad_hist"][7])
    assert axes[0].get_ylim() == (0.8, 9.0)
    np.testing.assert_allclose(axes[2].get_lines()[0].get_ydata(), d["act_std"])
    d = init_explorer_update(3, "sigmoid", "he_normal", False)
    _refresh(d, axes)                                        # shallower: ridges removed
    assert len(axes[0].get_lines()) == 3 and axes[0].get_ylim() == (0.8, 4.0)
    np.testing.assert_allclose(axes[0].get_lines()[2].get_ydata(), 3 + 0.85 * d["act_hist"][2])
    assert _suptitle(fig) == "3 layers, sigmoid, he_normal"
    plt.close(fig)


def test_widget_builds_and_reacts():
    from mlbook.plots.style import MIN_TEXT_PX
    from mlbook.widgets.explorer import Explorer
    w = init_explorer(depth=4, activation="tanh", scheme="normal")
    assert isinstance(w, Explorer)
    assert set(w.controls) == {"depth", "activation", "scheme", "batchnorm"}
    assert w.image.layout.width == "832px" and w.image.layout.height == "296px"
    assert w.png[:8] == b"\x89PNG\r\n\x1a\n" and w.image.value == w.png
    assert w.summary() == "init explorer: 4 layers, tanh, normal"
    assert w.data["depth"] == 4 and "4 layers, tanh, normal" in w.stats.value
    assert w.children[-1] is w.stats                         # the table below the figure
    np.testing.assert_allclose(w.data["act_std"],
                               init_explorer_update(4, "tanh", "normal", False)["act_std"])
    png = w.png
    w.controls["batchnorm"].value = True
    assert w.summary() == "init explorer: 4 layers, tanh, normal, BatchNorm"
    assert w.png != png and w.data["batchnorm"] is True
    w.controls["depth"].value = 7
    w.controls["scheme"].value = "he_normal"
    w.controls["activation"].value = "relu"
    assert w.summary() == "init explorer: 7 layers, relu, he_normal, BatchNorm"
    ridges = w.live.figure.axes[0].get_lines()        # hidden lines wait above the depth
    assert "    7 " in w.stats.value and sum(ln.get_visible() for ln in ridges) == 7
    assert all(ln.get_visible() == (i < 7) for i, ln in enumerate(ridges))
    np.testing.assert_allclose(w.data["grad_std"],
                               init_explorer_update(7, "relu", "he_normal", True)["grad_std"])
    assert [t["frames"] for t in w.timings[-4:]] == [1, 1, 1, 1]
    # the picture equals a fresh full draw of the same state
    fresh = init_explorer(depth=7, activation="relu", scheme="he_normal", batchnorm=True)
    assert _pixels(w.png).shape == _pixels(fresh.png).shape
    assert np.array_equal(_pixels(w.png), _pixels(fresh.png))
    # legible text: nothing under MIN_TEXT_PX pixels at 100 % zoom
    w.live.render()
    sizes = [t.get_fontsize() * w.live.figure.dpi / 72
             for t in w.live.figure.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()]
    assert min(sizes) >= MIN_TEXT_PX
    with pytest.raises(ValueError, match="scheme must be one of"):
        init_explorer(scheme="nope")


def test_a_move_at_the_same_depth_blits_when_the_limits_stay():
    """Only the lines and the title are redrawn when no axis limit changes."""
    w = init_explorer(depth=6, activation="tanh", scheme="glorot_uniform")
    full = w.live.full_draws
    data = init_explorer_update(6, "tanh", "glorot_uniform", False)
    w._show(data)                        # the same state again: nothing but animated artists
    w.live.render()
    assert w.live.full_draws == full
    w.controls["depth"].value = 9        # new rows: one full draw
    assert w.live.full_draws == full + 1


def _pixels(png):
    import io

    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def _suptitle(fig):
    """Figure.get_suptitle() needs matplotlib >= 3.8; the declared floor is 3.7."""
    return fig._suptitle.get_text() if fig._suptitle is not None else ""
