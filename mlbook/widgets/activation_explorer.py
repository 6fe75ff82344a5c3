"""Activation explorer: pick an activation (and its α), move x, see f, f', the tangent at x.

* ``activation_explorer_update(name, x, alpha=None) -> dict`` — the data the figure shows;
* ``activation_explorer_draw(data, axes=None)`` — draws it (function + tangent, derivative);
* ``activation_explorer(name='sigmoid', x=1.0)`` — the widget.
"""
import html
import numbers

import numpy as np

from mlbook.activations import ALPHA_DEFAULTS, get_activation
from mlbook.plots.style import SMALL

__all__ = ["activation_explorer_update", "activation_explorer_draw", "activation_explorer"]

X_RANGE = (-6.0, 6.0)
TANGENT_HALF_WIDTH = 1.5
# slider range of alpha per activation (ELU needs alpha > 0, leaky ReLU alpha >= 0)
ALPHA_RANGES = {"leaky_relu": (0.0, 0.5, 0.01), "elu": (0.05, 3.0, 0.05)}


def activation_explorer_update(name, x, alpha=None):
    """Everything the explorer shows for activation ``name`` at the point ``x``.

    ``alpha`` is used by the activations that have one (leaky_relu, elu; None = default) and
    ignored by the others (the returned ``'alpha'`` is then None).

    Returns a dict:
      'name', 'alpha'     the activation and the alpha used (or None)
      'grid', 'f', 'df'   the curves: f and f' on a grid covering X_RANGE and x
      'x', 'y', 'slope'   the point: x, f(x), f'(x)
      'tangent_x', 'tangent_y'   the tangent line y = f(x) + f'(x)(t - x) for t in x ± 1.5
      'text'              the numbers as one formatted line
    """
    f, df = get_activation(name)
    name = name.strip().lower()
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not np.isfinite(x):
        raise ValueError(f"activation_explorer_update: x must be a finite number, got {x!r}")
    x = float(x)
    kw = {}
    if name in ALPHA_DEFAULTS:
        kw["alpha"] = ALPHA_DEFAULTS[name] if alpha is None else alpha
    grid = np.linspace(min(X_RANGE[0], x - 1.0), max(X_RANGE[1], x + 1.0), 401)
    y, slope = f(x, **kw), df(x, **kw)
    tangent_x = np.array([x - TANGENT_HALF_WIDTH, x + TANGENT_HALF_WIDTH])
    a_txt = f", α = {kw['alpha']:.2f}" if kw else ""
    return {
        "name": name, "alpha": kw.get("alpha"),
        "grid": grid, "f": f(grid, **kw), "df": df(grid, **kw),
        "x": x, "y": y, "slope": slope,
        "tangent_x": tangent_x, "tangent_y": y + slope * (tangent_x - x),
        "text": f"{name}{a_txt}:  x = {x:.3f}   f(x) = {y:.6f}   f'(x) = {slope:.6g}",
    }


def _limits(values):
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 0.1 * max(hi - lo, 1e-3)
    return lo - pad, hi + pad


def _titles(data):
    label = data["name"] + ("" if data["alpha"] is None else f" (α = {data['alpha']:.2f})")
    return (f"{label}: f(x) = {data['y']:.4f}", f"derivative: f'(x) = {data['slope']:.4g}",
            f"{data['name']}(x)", f"tangent, slope {data['slope']:.4g}", f"{data['name']}'(x)")


def activation_explorer_draw(data, axes=None):
    """Left: f with the point and its tangent line. Right: f' with the point. Returns the axes.

    Lines, in order: left — f, tangent, point, y = 0, x marker; right — f', point, y = 0,
    x marker (``_refresh`` updates them in place).
    """
    if axes is None:
        import matplotlib.pyplot as plt
        _, axes = plt.subplots(1, 2, figsize=(9.6, 3.4))
    ax_f, ax_d = axes
    t_f, t_d, l_f, l_t, l_d = _titles(data)
    ax_f.plot(data["grid"], data["f"], color="C0", lw=2, label=l_f)
    ax_f.plot(data["tangent_x"], data["tangent_y"], color="C1", lw=1.5, label=l_t)
    ax_f.plot([data["x"]], [data["y"]], "o", color="C1")
    ax_d.plot(data["grid"], data["df"], color="C3", lw=2, ls="--", label=l_d)
    ax_d.plot([data["x"]], [data["slope"]], "o", color="C3")
    ax_f.set_title(t_f)
    ax_d.set_title(t_d)
    for ax, values in ((ax_f, data["f"]), (ax_d, data["df"])):
        ax.axhline(0, color="k", lw=0.6)
        ax.axvline(data["x"], color="grey", lw=0.6, ls=":")
        ax.set_xlabel("x")
        ax.set_xlim(data["grid"][0], data["grid"][-1])
        ax.set_ylim(*_limits(values))
        ax.legend(loc="upper left", fontsize=SMALL)
    return axes


def _refresh(data, axes):
    """Update the artists made by :func:`activation_explorer_draw` in place."""
    from mlbook.plots.live import LiveFigure
    ax_f, ax_d = axes
    f_line, tangent, point_f, _, vline_f = ax_f.get_lines()
    df_line, point_d, _, vline_d = ax_d.get_lines()
    f_line.set_data(data["grid"], data["f"])
    tangent.set_data(data["tangent_x"], data["tangent_y"])
    point_f.set_data([data["x"]], [data["y"]])
    df_line.set_data(data["grid"], data["df"])
    point_d.set_data([data["x"]], [data["slope"]])
    for vline in (vline_f, vline_d):
        vline.set_xdata([data["x"], data["x"]])
    t_f, t_d, l_f, l_t, l_d = _titles(data)
    ax_f.title.set_text(t_f)
    ax_d.title.set_text(t_d)
    for text, label in zip(ax_f.get_legend().get_texts(), (l_f, l_t)):
        text.set_text(label)
    ax_d.get_legend().get_texts()[0].set_text(l_d)
    for ax, values in ((ax_f, data["f"]), (ax_d, data["df"])):
        LiveFigure.set_limits(ax, (data["grid"][0], data["grid"][-1]), _limits(values))


def activation_explorer(name="sigmoid", x=1.0):
    """The widget: a dropdown of activations, sliders for x and α (enabled where it applies),
    the numbers, and the figure (an :class:`mlbook.widgets.explorer.Explorer`)."""
    import ipywidgets as W

    from mlbook.activations import ACTIVATIONS
    from mlbook.plots.live import LiveFigure

    from .explorer import Explorer

    get_activation(name)
    pick = W.Dropdown(options=list(ACTIVATIONS), value=name, description="activation")
    xs = W.FloatSlider(value=x, min=X_RANGE[0], max=X_RANGE[1], step=0.05, description="x",
                       continuous_update=True, readout_format=".2f")
    al = W.FloatSlider(value=0.01, min=0.0, max=0.5, step=0.01, description="α",
                       readout_format=".2f")
    numbers_ = W.HTML()

    def set_alpha_slider(activation):
        if activation in ALPHA_RANGES:
            lo, hi, step = ALPHA_RANGES[activation]
            # widen first so that the new value is never clipped by the old range
            al.min, al.max = min(al.min, lo), max(al.max, hi)
            al.value = ALPHA_DEFAULTS[activation]
            al.min, al.max, al.step = lo, hi, step
            al.disabled = False
        else:
            al.disabled = True

    set_alpha_slider(name)
    live = LiveFigure((9.6, 3.4))
    axes = live.figure.subplots(1, 2)
    live.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.2)
    activation_explorer_draw(activation_explorer_update(name, x, None if al.disabled else al.value),
                             axes)
    for ax in axes:     # everything but the axes, ticks and labels is redrawn on each move
        LiveFigure.animate(*ax.get_lines(), ax.title, ax.get_legend())

    def compute(frame):
        return activation_explorer_update(pick.value, xs.value, None if al.disabled else al.value)

    def show(data):
        numbers_.value = f"<code style=\"white-space:pre\">{html.escape(data['text'])}</code>"
        _refresh(data, axes)

    explorer = Explorer([W.HBox([pick, xs, al]), numbers_], {"x": xs, "alpha": al}, compute,
                        show, live, text=lambda data: f"activation explorer: {data['text']}")
    explorer.controls["activation"] = pick

    def on_pick(change):
        with explorer.hold():             # reset α, then one update
            set_alpha_slider(change["new"])

    pick.observe(on_pick, names="value")
    return explorer
