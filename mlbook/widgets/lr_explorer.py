"""Learning-rate explorer on the worked example: drag the rate, watch the 2-2-2 net retrain.

* :func:`lr_explorer_update` — retrains with :func:`mlbook.worked_example.train` and returns the
  loss curve and what became of the run (converging, saturated, overshot, diverged);
* :func:`lr_explorer_draw` — the loss curve (log y) with pinned earlier curves, and the final
  outputs beside the targets; :class:`ExplorerFigure` keeps one figure alive between slider
  moves so a redraw costs only the drawing;
* :func:`lr_explorer` — the widget: log-scale lr slider, steps, update order, biases, "pin".

What "too large" looks like here. The sigmoid saturates, so E_total never becomes inf: with the
biases fixed (the blog's setting) a huge rate drives out_o1 to 0 and out_o2 to 1 in one step;
their slopes out (1 - out) vanish and the error freezes at 1/2 (0.01^2 + 0.01^2) = 1e-4
("saturated"). With the biases trained too, a huge step overshoots: the error jumps *above*
its starting value and stays there ("overshot"). A run whose parameters overflow float64 is
"diverged": ``train`` stops with an error naming the step, and the curve is drawn up to it.
"""

import numpy as np

from mlbook import worked_example as we
from mlbook.optim import DivergenceError

__all__ = ["lr_explorer_update", "lr_explorer_draw", "lr_explorer", "classify_run", "ExplorerFigure"]

_SATURATION = 1e-9      # out (1 - out) below this for an output: its gradient has vanished


def classify_run(errors, outputs):
    """Name what happened in a run: ('converging' | 'saturated' | 'overshot', step or None).

    overshot: some errors[k] > errors[0] (the first such k is returned);
    saturated: an output unit's slope out (1 - out) < 1e-9 while the error has stopped moving
    (the first step from which the error is constant to 1e-15 is returned);
    otherwise converging.
    """
    errors = np.asarray(errors, dtype=float)
    above = np.nonzero(errors > errors[0])[0]
    if above.size:
        return "overshot", int(above[0])
    slopes = [o * (1.0 - o) for o in outputs]
    if errors.size > 1 and min(slopes) < _SATURATION:
        moving = np.nonzero(np.abs(np.diff(errors)) > 1e-15)[0]
        frozen_from = int(moving[-1]) + 1 if moving.size else 1
        if frozen_from < errors.size - 1:
            return "saturated", frozen_from
    return "converging", None


def lr_explorer_update(lr, steps=10_000, sequential=False, biases=False):
    """Retrain the worked example and return what the explorer draws.

    Returns a dict: ``lr``, ``steps``, ``sequential``, ``biases``; ``errors`` — exactly
    ``worked_example.train(steps, lr, sequential=..., biases=...)[1]`` (shape (steps + 1,)), or
    for a diverged run the errors up to the last finite step; ``final_error``; ``outputs``
    (out_o1, out_o2) after training and ``targets``; ``status`` ('converging', 'saturated',
    'overshot', 'diverged'); ``event_step`` (where it saturated/overshot/diverged, or None);
    ``label`` (legend text).
    """
    try:
        params, errors = we.train(steps, lr, sequential=sequential, biases=biases)
        status, event = None, None
    except DivergenceError as exc:                    # the step is data on the exception
        event = exc.step
        params, errors = we.train(event - 1, lr, sequential=sequential, biases=biases)
        status = "diverged"
    f = we.forward(params)
    outputs = (f["out_o1"], f["out_o2"])
    if status is None:
        status, event = classify_run(errors, outputs)
    order = "sequential" if sequential else "simultaneous"
    label = f"lr={lr:.3g}, {order}{', biases' if biases else ''}: "
    label += {"converging": f"E={errors[-1]:.2e}",
              "saturated": f"saturated at step {event}, E={errors[-1]:.2e}",
              "overshot": f"error rose at step {event}, E={errors[-1]:.2e}",
              "diverged": f"diverged at step {event}"}[status]
    return {"lr": float(lr), "steps": int(steps), "sequential": bool(sequential),
            "biases": bool(biases), "errors": errors, "final_error": float(errors[-1]),
            "outputs": outputs, "targets": we.TARGETS, "status": status, "event_step": event,
            "label": label}


def _decimate(n, limit=1000):
    """Indices 0, s, 2s, ... plus the last one, at most about ``limit`` of them (for drawing)."""
    stride = max(1, n // limit)
    idx = np.arange(0, n, stride)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def lr_explorer_draw(data, pinned=(), ax=None):
    """Draw the loss curve of ``data`` (log y), each pinned run faded, and the final outputs.

    Curves are drawn through at most ~1000 of their points (every k-th step and the last one):
    the figure looks the same and redraws in a few milliseconds. Returns the axes.
    """
    from matplotlib.ticker import NullLocator
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    import matplotlib.cm as cm
    for k, old in enumerate(pinned):
        _curve(ax, old, color=cm.tab10((k + 1) % 10), alpha=0.6, lw=1.0)
    _curve(ax, data, color="#1f77b4", lw=2.0)
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step")
    ax.set_ylabel(r"$E_{total}$ (log scale)")
    ax.set_title("Worked example: error during training")
    ax.legend(loc="lower left", fontsize=7)
    o1, o2 = data["outputs"]
    t1, t2 = data["targets"]
    ax.text(0.99, 0.97, f"after {data['steps']} steps:\n"
            f"out_o1 = {o1:.6f}  (target {t1:g})\nout_o2 = {o2:.6f}  (target {t2:g})",
            transform=ax.transAxes, ha="right", va="top", fontsize=8, family="monospace",
            bbox={"boxstyle": "round", "fc": "white", "ec": "#cccccc"})
    return ax


def _curve(ax, data, **kw):
    errors = np.asarray(data["errors"])
    idx, shown = _shown(data)               # log scale: an exact 0 is shown at 1e-300
    ax.plot(idx, shown, label=data["label"], **kw)
    if data["status"] != "converging" and data["event_step"] is not None:
        k = min(data["event_step"], errors.size - 1)
        y = max(errors[k], 1e-300)
        ax.plot([k], [y], marker="x", ms=9, mew=2, color="#d62728")
        ax.annotate(data["status"], (k, y), textcoords="offset points", xytext=(6, 6),
                    color="#d62728", fontsize=8)


class ExplorerFigure:
    """A figure that stays alive between slider moves (no pyplot, its own Agg canvas).

    ``redraw(data, pinned)`` updates the existing artists (curve data, marker, texts, legend)
    instead of clearing the axes, so no tick or axis is rebuilt: a redraw costs only the
    rendering. It shows the same things as :func:`lr_explorer_draw`.
    """

    def __init__(self, figsize=(7.5, 3.4)):
        from matplotlib.ticker import NullLocator
        self.figure = new_figure(figsize)
        ax = self.ax = self.figure.subplots()
        self.figure.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.9)
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("step")
        ax.set_ylabel(r"$E_{total}$ (log scale)")
        ax.set_title("Worked example: error during training")
        (self.line,) = ax.plot([0], [1.0], color="#1f77b4", lw=2.0, zorder=3)
        (self.mark,) = ax.plot([], [], marker="x", ms=9, mew=2, color="#d62728", ls="none", zorder=4)
        self.note = ax.annotate("", (0, 1.0), textcoords="offset points", xytext=(6, 6),
                                color="#d62728", fontsize=8)
        self.text = ax.text(0.99, 0.97, "", transform=ax.transAxes, ha="right", va="top",
                            fontsize=8, family="monospace",
                            bbox={"boxstyle": "round", "fc": "white", "ec": "#cccccc"})
        self.pinned_lines = []

    def redraw(self, data, pinned=()):
        import matplotlib.cm as cm
        ax = self.ax
        while len(self.pinned_lines) > len(pinned):        # pins cleared
            self.pinned_lines.pop().remove()
        for k in range(len(self.pinned_lines), len(pinned)):  # new pins
            idx, shown = _shown(pinned[k])
            (ln,) = ax.plot(idx, shown, color=cm.tab10((k + 1) % 10), alpha=0.6, lw=1.0,
                            label=pinned[k]["label"])
            self.pinned_lines.append(ln)
        idx, shown = _shown(data)
        self.line.set_data(idx, shown)
        self.line.set_label(data["label"])
        if data["status"] != "converging" and data["event_step"] is not None:
            k = min(data["event_step"], len(data["errors"]) - 1)
            y = max(float(data["errors"][k]), 1e-300)
            self.mark.set_data([k], [y])
            self.note.xy = (k, y)
            self.note.set_text(data["status"])
        else:
            self.mark.set_data([], [])
            self.note.set_text("")
        o1, o2 = data["outputs"]
        t1, t2 = data["targets"]
        self.text.set_text(f"after {data['steps']} steps:\nout_o1 = {o1:.6f}  (target {t1:g})\n"
                           f"out_o2 = {o2:.6f}  (target {t2:g})")
        curves = [data] + list(pinned)
        lo = min(max(float(np.min(c["errors"])), 1e-300) for c in curves)
        hi = max(float(np.max(c["errors"])) for c in curves)
        ax.set_ylim(lo / 3, hi * 3)
        ax.set_xlim(-0.02 * max(c["steps"] for c in curves) - 1, max(c["steps"] for c in curves) * 1.02 + 1)
        handles = self.pinned_lines + [self.line]
        ax.legend(handles, [h.get_label() for h in handles], loc="lower left", fontsize=7)
        self.figure.canvas.draw()
        return self.figure


def _shown(data):
    errors = np.asarray(data["errors"])
    idx = _decimate(errors.size)
    if data["event_step"] is not None:
        idx = np.union1d(idx, [min(data["event_step"], errors.size - 1)])
    return idx, np.maximum(errors[idx], 1e-300)


def figure_output(fig, text=""):
    """A ``display_data`` output holding ``fig`` as PNG, for ``Output.outputs = (...,)``.

    Swapping an Output's ``outputs`` (rather than ``with out: display(...)``) replaces the old
    figure in one step and behaves the same in JupyterLab, nbclient and nbval.
    """
    import base64
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                     "text/plain": text or "<figure>"}}


def new_figure(figsize):
    """A matplotlib Figure outside pyplot (nothing is shown twice), with an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def lr_explorer(lr=0.5, steps=10_000, sequential=False, biases=False):
    """The widget: returns an ``ipywidgets.VBox`` (display it in a notebook cell)."""
    import ipywidgets as w

    lr_slider = w.FloatLogSlider(value=lr, base=10, min=-3, max=4, step=0.05,
                                 description="learning rate", readout_format=".3g",
                                 continuous_update=True, layout=w.Layout(width="420px"),
                                 style={"description_width": "100px"})
    steps_slider = w.IntSlider(value=steps, min=0, max=20_000, step=500, description="steps",
                               continuous_update=False, layout=w.Layout(width="420px"),
                               style={"description_width": "100px"})
    order = w.ToggleButtons(options=[("all at once", False), ("output layer first", True)],
                            value=bool(sequential), description="update order",
                            style={"description_width": "100px", "button_width": "140px"})
    bias_box = w.Checkbox(value=bool(biases), description="train biases b1, b2 too")
    pin = w.Button(description="pin this curve", icon="thumb-tack")
    clear = w.Button(description="clear pins")
    out = w.Output(layout=w.Layout(height="300px"))
    state = {"pinned": [], "data": None}
    canvas = ExplorerFigure()

    def redraw(*_):
        state["data"] = lr_explorer_update(lr_slider.value, steps_slider.value, order.value,
                                           bias_box.value)
        out.outputs = (figure_output(canvas.redraw(state["data"], state["pinned"]),
                                     state["data"]["label"]),)

    def on_pin(_):
        if state["data"] is not None:
            state["pinned"].append(state["data"])
            redraw()

    def on_clear(_):
        state["pinned"].clear()
        redraw()

    for control in (lr_slider, steps_slider, order, bias_box):
        control.observe(redraw, names="value")
    pin.on_click(on_pin)
    clear.on_click(on_clear)
    redraw()
    box = w.VBox([lr_slider, steps_slider, order, w.HBox([bias_box, pin, clear]), out])
    box._mlbook_state = state          # for tests: the data currently shown
    return box
