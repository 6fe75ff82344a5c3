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
from mlbook.layers.training import divergence_status
from mlbook.optim import DivergenceError
from mlbook.plots.style import SMALL

__all__ = ["lr_explorer_update", "lr_explorer_draw", "lr_explorer", "classify_run", "LR_VALUES"]

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
        event, report = exc.step, divergence_status(exc)
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
              "diverged": report if status == "diverged" else ""}[status]
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
    ax.legend(loc="lower left", fontsize=SMALL)
    ax.text(0.99, 0.97, _outputs_text(data),
            transform=ax.transAxes, ha="right", va="top", fontsize=SMALL, family="monospace",
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
                    color="#d62728", fontsize=SMALL)


def _outputs_text(data):
    o1, o2 = data["outputs"]
    t1, t2 = data["targets"]
    return (f"after {data['steps']} steps:\nout_o1 = {o1:.6f}  (target {t1:g})\n"
            f"out_o2 = {o2:.6f}  (target {t2:g})")


def _outputs_parts(data):
    """:func:`_outputs_text` as a template with the two outputs blanked out, the outputs, and
    what follows each output on its line (monospace: the outputs go where the blanks are)."""
    values = [f"{o:.6f}" for o in data["outputs"]]
    suffixes = [f"  (target {t:g})" for t in data["targets"]]
    template = (f"after {data['steps']} steps:\n"
                + "\n".join(f"out_o{k + 1} = {' ' * len(v)}{s}"
                             for k, (v, s) in enumerate(zip(values, suffixes))))
    return template, values, suffixes


def _shown(data):
    errors = np.asarray(data["errors"])
    idx = _decimate(errors.size)
    if data["event_step"] is not None:
        idx = np.union1d(idx, [min(data["event_step"], errors.size - 1)])
    return idx, np.maximum(errors[idx], 1e-300)


LR_VALUES = tuple(float(f"{m:g}e{d}") for d in range(-3, 4) for m in (1, 1.5, 2, 3, 5, 7)) + (1e4,)
"""The rates the slider offers: 1, 1.5, 2, 3, 5, 7 per decade from 0.001 to 10,000, so every
rate the course names (0.01, 0.05, 0.5, 30, 300, 1000, ...) is reached exactly."""


def _log_limits(curves, current=None, slack=3, headroom=1):
    """y limits in whole decades around every curve, with ``headroom`` empty decades below
    (a larger rate ends lower: room for the next curve). With ``current`` limits: kept while
    every curve fits and no more than ``slack`` decades are empty at either end, so most
    slider moves keep the axes (and redraw on the cached background) and curves stay
    comparable."""
    lo = min(max(float(np.min(c["errors"])), 1e-300) for c in curves)
    hi = max(float(np.max(c["errors"])) for c in curves)
    decades = np.floor(np.log10(lo) - 0.3), np.ceil(np.log10(hi) + 0.3)
    new = 10.0 ** decades[0], 10.0 ** decades[1]
    if current is not None:
        c_lo, c_hi = current
        if new[0] / 10.0 ** slack <= c_lo <= new[0] and new[1] <= c_hi <= new[1] * 10.0 ** slack:
            return tuple(current)
    return 10.0 ** (decades[0] - headroom), new[1]


class _LiveLossCurves:
    """The explorer's figure: :func:`lr_explorer_draw`'s picture, redrawn in place.

    The curve, the event marker, the outputs box and the legend are animated artists; the axes
    change (a full draw) only when the steps or the decade range of the curves change.
    """

    def __init__(self, data, figsize=(7.5, 3.4)):
        from mlbook.plots.live import LiveFigure
        self.live = LiveFigure(figsize)
        fig = self.live.figure
        self.ax = fig.subplots()
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.9)
        lr_explorer_draw(data, ax=self.ax)
        self.pinned_lines = []
        self.line, self.text = self.ax.get_lines()[0], self.ax.texts[-1]
        for extra in self.ax.get_lines()[1:] + self.ax.texts[:-1]:
            extra.remove()                    # draw's own marker/annotation: ours replace them
        (self.mark,) = self.ax.plot([], [], marker="x", ms=9, mew=2, color="#d62728", ls="none",
                                    zorder=4)
        self.note = self.ax.annotate("", (0, 1.0), textcoords="offset points", xytext=(6, 6),
                                     color="#d62728", fontsize=SMALL)
        # The outputs box: its labels are background (drawn on a full draw only); the two
        # numbers are animated texts over the blanks (rendering glyphs dominates a redraw)
        self.values = []
        template, values, suffixes = _outputs_parts(data)
        self.text.set_text(template)
        renderer = fig.canvas.get_renderer()
        prop = self.text.get_fontproperties()
        one = renderer.get_text_width_height_descent("0", prop, ismath=False)[0]
        advance = (renderer.get_text_width_height_descent("0" * 21, prop, ismath=False)[0]
                   - one) / 20                 # monospace: every character's width, pixels
        # where the template's lines sit: evenly spaced from the top of its box (pixels)
        box = self.text.get_window_extent(renderer)
        lines = template.split("\n")
        h, d = np.max([renderer.get_text_width_height_descent(t, prop, ismath=False)[1:]
                       for t in lines + ["lp"]], axis=0)
        spacing = (box.height - h - d) / (len(lines) - 1)
        from matplotlib.transforms import offset_copy
        for k, (value, suffix) in enumerate(zip(values, suffixes)):
            # below the anchor (the box's top); Agg rounds a line's glyph bitmap by the line's
            # own descent, and digits have none: one pixel lower puts them where they were
            baseline = -h - (k + 1) * spacing + d - 1.0
            shift = offset_copy(self.ax.transAxes, fig, x=-advance * len(suffix), y=baseline,
                                units="dots")
            self.values.append(self.ax.text(0.99, 0.97, value, transform=shift, ha="right",
                                            va="baseline", fontsize=SMALL, family="monospace"))
        for artist in (self.line, self.mark, self.note, *self.values):
            artist.set_animated(True)
        self.show(data, ())

    def show(self, data, pinned):
        import matplotlib.cm as cm
        ax = self.ax
        while len(self.pinned_lines) > len(pinned):        # pins cleared
            self.pinned_lines.pop().remove()
        for k in range(len(self.pinned_lines), len(pinned)):  # new pins: part of the background
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
        template, values, _ = _outputs_parts(data)
        if self.text.get_text() != template:           # the steps changed: a full draw
            self.text.set_text(template)
        for artist, value in zip(self.values, values):
            artist.set_text(value)
        curves = [data] + list(pinned)
        ylim = _log_limits(curves, ax.get_ylim())
        if tuple(ax.get_ylim()) != ylim:
            ax.set_ylim(*ylim)
        n = max(c["steps"] for c in curves)
        xlim = (-0.02 * n - 1, n * 1.02 + 1)
        if tuple(ax.get_xlim()) != xlim:
            ax.set_xlim(*xlim)
        handles = self.pinned_lines + [self.line]
        legend = ax.get_legend()
        if legend is None or not legend.get_animated() or len(legend.get_texts()) != len(handles):
            legend = ax.legend(handles, [h.get_label() for h in handles], loc="lower left",
                               fontsize=SMALL)
            legend.set_animated(True)
        legend.get_texts()[-1].set_text(data["label"])        # in place: no full draw


def lr_explorer(lr=0.5, steps=10_000, sequential=False, biases=False):
    """The widget (an :class:`mlbook.widgets.explorer.Explorer`; display it in a cell).

    The learning-rate slider steps through :data:`LR_VALUES` (``lr`` is added if it is not
    one of them), so each rate the notebook names can be set exactly.
    """
    import ipywidgets as w

    from .explorer import Explorer

    rates = sorted(set(LR_VALUES) | {float(lr)})
    style = {"description_width": "100px"}
    lr_slider = w.SelectionSlider(options=[(f"{v:g}", v) for v in rates], value=float(lr),
                                  description="learning rate", continuous_update=True,
                                  layout=w.Layout(width="420px"), style=style)
    steps_slider = w.IntSlider(value=steps, min=0, max=20_000, step=500, description="steps",
                               continuous_update=False, layout=w.Layout(width="420px"),
                               style=style)
    order = w.ToggleButtons(options=[("all at once", False), ("output layer first", True)],
                            value=bool(sequential), description="update order",
                            style={"description_width": "100px", "button_width": "140px"})
    bias_box = w.Checkbox(value=bool(biases), description="train biases b1, b2 too")
    pin = w.Button(description="pin this curve", icon="thumb-tack")
    clear = w.Button(description="clear pins")
    pinned = []

    def compute(frame):
        return lr_explorer_update(lr_slider.value, steps_slider.value, order.value,
                                  bias_box.value)

    first = lr_explorer_update(lr, steps, sequential, biases)
    view = _LiveLossCurves(first)
    explorer = Explorer([lr_slider, steps_slider, order, w.HBox([bias_box, pin, clear])],
                        {"lr": lr_slider, "steps": steps_slider, "sequential": order,
                         "biases": bias_box, "pin": pin, "clear": clear},
                        compute, lambda data: view.show(data, pinned), view.live,
                        text=lambda data: f"learning-rate explorer: {data['label']}")

    def on_pin(_):
        if explorer.data is not None:
            pinned.append(explorer.data)
            explorer.request()

    def on_clear(_):
        pinned.clear()
        explorer.request()

    pin.on_click(on_pin)
    clear.on_click(on_clear)
    explorer.pinned = pinned
    return explorer
