"""Every explorer has one shape (mlbook.widgets.explorer.Explorer): the same test handle, a
figure redrawn in place, a static picture beside the live widget, no backlog of redraws, text
legible at 100 % zoom, and one PNG encoder in the whole package."""
import base64
import pathlib
import re
import threading
import time

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from mlbook.plots.live import LiveFigure, figure_png, new_figure  # noqa: E402
from mlbook.plots.style import DPI, MIN_TEXT_PX  # noqa: E402
from mlbook.widgets import (activation_explorer, backprop_stepper, classifier_explorer,  # noqa: E402
                            dropout_explorer, init_explorer, kernel_editor, lr_explorer,
                            optimizer_race)
from mlbook.widgets.explorer import Explorer  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ROOT = pathlib.Path(__file__).resolve().parents[1]

# builder, its main control, a new value for it, small arguments that keep the test quick
EXPLORERS = {
    "lr_explorer": (lambda: lr_explorer(steps=500), "lr", 30.0),
    "optimizer_race": (lambda: optimizer_race(steps=20), "lr", 0.02),
    "classifier_explorer": (lambda: classifier_explorer("moons"), "hidden", 8),
    "activation_explorer": (lambda: activation_explorer("tanh", 0.5), "x", 1.5),
    "backprop_stepper": (backprop_stepper, "step", 5),
    "kernel_editor": (lambda: kernel_editor(preset="identity"), "k4", 2.0),
    "dropout_explorer": (lambda: dropout_explorer(epochs=10), "p", 0.2),
    "init_explorer": (lambda: init_explorer(depth=6), "scheme", "glorot_uniform"),
}


@pytest.fixture(scope="module", params=list(EXPLORERS))
def built(request):
    make, control, value = EXPLORERS[request.param]
    return request.param, make(), control, value


def test_same_handle_and_a_png_that_follows_the_control(built):
    name, ex, control, value = built
    assert isinstance(ex, Explorer) and ex.data is not None
    assert ex.png.startswith(PNG) and ex.image.value == ex.png
    width, height = (int(round(v * ex.live.figure.dpi)) for v in ex.live.figure.get_size_inches())
    assert (ex.image.layout.width, ex.image.layout.height) == (f"{width}px", f"{height}px")
    before_png, before_data = ex.png, ex.data
    ex.controls[control].value = value
    assert ex.png != before_png and ex.data is not before_data, f"{name}: nothing redrawn"
    assert ex.timings[-1]["frames"] >= 1 and ex.timings[-1]["total"] > 0


def test_static_picture_beside_the_widget_view(built):
    name, ex, *_ = built
    bundle = ex._repr_mimebundle_()
    assert WIDGET_MIME in bundle                              # JupyterLab: the live widget
    assert base64.b64decode(bundle["image/png"]) == ex.png    # GitHub, nbviewer: the picture
    assert not bundle["text/plain"].startswith(("VBox(", "HBox(")), bundle["text/plain"]


def _text_px(fig):
    """Smallest font size, in pixels at 100 % zoom, of any visible text in ``fig``."""
    sizes = []
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_visible() and text.get_text().strip():
            sizes.append(text.get_fontsize() * fig.dpi / 72)
    return min(sizes)


def test_text_is_legible(built):
    name, ex, *_ = built
    ex.live.render()
    assert _text_px(ex.live.figure) >= MIN_TEXT_PX, name


def test_static_course_figures_have_legible_text():
    """The figures the notebooks draw with mlbook.plots: nothing under MIN_TEXT_PX pixels."""
    import matplotlib.pyplot as plt

    from mlbook.autodiff import worked_example_graph
    from mlbook.plots import course_style, draw_graph, draw_network, plot_trajectories
    from mlbook.widgets.optimizer_race import optimizer_race_update
    plt.close("all")          # figures other tests left open are not the course's figures
    course_style()
    draw_network(show_gradients=True)
    draw_graph(worked_example_graph()[0])
    d = optimizer_race_update(steps=10)
    plot_trajectories(d["grid"], d["paths"])
    for num in plt.get_fignums():
        fig = plt.figure(num)
        assert fig.dpi == DPI
        assert _text_px(fig) >= MIN_TEXT_PX, fig.axes[0].get_title()
    plt.close("all")


def test_moves_redraw_on_the_cached_background():
    ex = lr_explorer(steps=2000)
    full = ex.live.full_draws
    for lr in (0.7, 0.5, 0.7, 0.5):           # same axes: only the animated artists redrawn
        ex.controls["lr"].value = lr
    assert ex.live.full_draws == full
    ex.controls["steps"].value = 4000         # a new x range: one full draw
    assert ex.live.full_draws == full + 1
    # the picture drawn on the cached background equals a full draw of the same state
    blit = _pixels(ex.png)
    ex.live.figure.stale = True
    assert np.array_equal(blit, _pixels(ex.live.png()))
    # the axes have a decade of headroom below the lowest curve: a larger rate (lower
    # curve) keeps them too
    assert ex.live.figure.axes[0].get_ylim()[0] <= min(ex.data["errors"]) / 10


def _pixels(png):
    import io

    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(png)))


def test_live_figure_blits_and_redraws_when_stale():
    live = LiveFigure((3, 2))
    ax = live.figure.subplots()
    (line,) = ax.plot([0, 1], [0, 1])
    line.set_animated(True)
    live.render()
    assert live.full_draws == 1
    line.set_ydata([1, 0])                    # animated: no full draw
    first = live.png()
    assert live.full_draws == 1
    ax.set_title("changed")                   # not animated: a full draw
    second = live.png()
    assert live.full_draws == 2 and first != second and second.startswith(PNG)


def test_last_value_wins_no_backlog():
    """In the background (as in a kernel), 30 moves during a slow update collapse into one."""
    import ipywidgets as W
    slider = W.IntSlider(value=0, max=100)
    seen, started = [], threading.Event()

    def compute(frame):
        started.set()
        seen.append(slider.value)
        time.sleep(0.05)
        return {"v": slider.value}

    live = LiveFigure((2, 1))
    live.figure.subplots()
    ex = Explorer([slider], {"v": slider}, compute, lambda d: None, live, background=True)
    seen.clear()
    started.clear()
    slider.value = 1
    started.wait(5)
    for v in range(2, 32):                    # a fast drag while 1 is being computed
        slider.value = v
    ex.wait()
    assert seen[0] == 1 and seen[-1] == 31 and len(seen) <= 3, seen
    assert ex.data == {"v": 31}


def test_long_computation_shows_frames_and_is_abandoned_for_a_newer_value():
    import ipywidgets as W
    slider = W.IntSlider(value=0, max=100)
    finished = []

    def compute(frame):
        v = slider.value
        for epoch in range(40):
            time.sleep(0.01)
            frame(lambda: {"v": v, "epoch": epoch})
        finished.append(v)
        return {"v": v, "epoch": 40}

    live = LiveFigure((2, 1))
    live.figure.subplots()
    ex = Explorer([slider], {"v": slider}, compute, lambda d: None, live, background=True,
                  first_frame_after=0.0, frame_interval=0.05)
    ex.wait()
    finished.clear()
    slider.value = 1
    time.sleep(0.1)
    slider.value = 2                          # while 1 is still training
    ex.wait()
    assert finished == [2] and ex.data == {"v": 2, "epoch": 40}
    assert ex.timings[-1]["frames"] > 2       # training shown as it happened


def test_one_png_encoder_in_the_package():
    """Only mlbook/plots/live.py encodes PNGs (no savefig(format='png'), no base64 of figures
    elsewhere)."""
    offenders = []
    for path in (ROOT / "mlbook").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name == "live.py":
            continue
        if re.search(r"savefig\([^)]*png|format=\"png\"\)|Image\.fromarray|(?<!np)\.save\(buf", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_figure_png_encodes_any_figure():
    fig = new_figure((2, 1))
    fig.subplots().plot([0, 1])
    png = figure_png(fig)
    assert png.startswith(PNG) and _pixels(png).shape == (80, 160, 3)


def test_in_a_kernel_the_worker_makes_the_first_picture_while_the_explorer_is_built():
    """Background mode (a kernel): the worker thread computes, draws and encodes the first
    picture before the constructor returns (its first-time costs are the cell's, not the
    first key press's); the picture is the one a synchronous build shows; an error in it is
    raised by the constructor."""
    import ipywidgets as W
    threads = []

    def make(background, fail=False):
        slider = W.IntSlider(value=3, max=10)
        live = LiveFigure((2, 1))
        ax = live.figure.subplots()
        (line,) = ax.plot([0, 1], [0, 0])
        LiveFigure.animate(line)

        def compute(frame):
            threads.append(threading.current_thread().name)
            if fail:
                raise ValueError("slider value 3 is not allowed")
            return {"v": slider.value}

        return Explorer([slider], {"v": slider}, compute,
                        lambda d: line.set_ydata([0, d["v"] / 10]), live,
                        background=background)

    sync = make(False)
    assert threads == ["MainThread"]
    ex = make(True)
    # built: the worker made the first picture, and it is the synchronous build's picture
    assert threads[1:] == ["mlbook-explorer"] and ex.updates == 1 and ex.data == {"v": 3}
    assert np.array_equal(_pixels(ex.png), _pixels(sync.png))
    assert ex.live.full_draws == 1                     # the full draw happened in the worker
    ex.controls["v"].value = 4                         # later updates: on the background
    ex.wait()
    assert ex.data == {"v": 4} and ex.live.full_draws == 1
    with pytest.raises(ValueError, match="slider value 3"):
        make(True, fail=True)


@pytest.mark.parametrize("name", ["lr_explorer", "init_explorer", "optimizer_race",
                                  "kernel_editor"])
def test_first_picture_made_in_the_worker_equals_a_synchronous_build(name, monkeypatch):
    """The real explorers built as in a kernel (background) show the same first picture as
    built synchronously: the warm-up is the first picture itself, not a stand-in."""
    make = EXPLORERS[name][0]
    sync = make()
    monkeypatch.setattr("mlbook.widgets.explorer.in_kernel", lambda: True)
    ex = make()
    assert ex.background and ex._thread is not None and ex.updates >= 1
    assert np.array_equal(_pixels(ex.png), _pixels(sync.png)), name
