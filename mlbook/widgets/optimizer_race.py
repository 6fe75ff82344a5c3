"""Optimizer race: every optimizer of :mod:`mlbook.optim` from the same start on a 2-D surface.

Surfaces (``SURFACES``), each f(theta) with its gradient, a start and a plot window:

* ``"elongated quadratic"``  f = 1/2 (x^2 + 20 y^2): steep across, shallow along — plain
  gradient descent zig-zags across the valley unless lr is small, and then it crawls;
* ``"rosenbrock"``  f = (1 - x)^2 + 100 (y - x^2)^2: a curved, flat-bottomed valley, minimum (1, 1);
* ``"saddle"``  f = x^2 + y^4/4 - y^2/2: a saddle point at the origin between two minima
  (0, +-1); starting almost on the ridge y = 0, gradient descent stalls near the saddle.

:func:`optimizer_race_update` runs the race and returns the paths; :func:`optimizer_race_draw`
draws contours and paths; :func:`optimizer_race` is the widget (sliders for lr and momentum).
"""
import functools

import numpy as np

from mlbook.layers.training import divergence_error, divergence_status, step_or_diverge
from mlbook.optim import make_optimizer

__all__ = ["SURFACES", "RACE_OPTIMIZERS", "RACE_RATES", "optimizer_race_update",
           "optimizer_race_draw", "optimizer_race"]


def _quad_f(t):
    return 0.5 * (t[0] ** 2 + 20.0 * t[1] ** 2)


def _quad_g(t):
    return np.array([t[0], 20.0 * t[1]])


def _rosen_f(t):
    return (1.0 - t[0]) ** 2 + 100.0 * (t[1] - t[0] ** 2) ** 2


def _rosen_g(t):
    x, y = t
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


def _saddle_f(t):
    return t[0] ** 2 + 0.25 * t[1] ** 4 - 0.5 * t[1] ** 2


def _saddle_g(t):
    return np.array([2.0 * t[0], t[1] ** 3 - t[1]])


SURFACES = {
    "elongated quadratic": {"f": _quad_f, "grad": _quad_g, "start": (-4.5, 1.2),
                            "xlim": (-5.0, 5.0), "ylim": (-2.0, 2.0), "minimum": (0.0, 0.0),
                            "lr": 0.05, "explore_lr": 0.065, "log_levels": False},
    "rosenbrock": {"f": _rosen_f, "grad": _rosen_g, "start": (-1.5, 2.0),
                   "xlim": (-2.0, 2.0), "ylim": (-1.0, 3.0), "minimum": (1.0, 1.0),
                   "lr": 0.001, "explore_lr": 0.001, "log_levels": True},
    "saddle": {"f": _saddle_f, "grad": _saddle_g, "start": (-1.8, 1e-3),
               "xlim": (-2.0, 2.0), "ylim": (-1.6, 1.6), "minimum": (0.0, 1.0),
               "lr": 0.05, "explore_lr": 0.05, "log_levels": False},
}
"""``lr``: the shared rate of :func:`optimizer_race_update` (notebook 06's race);
``explore_lr``: the widget's starting rate. On the quadratic the widget starts at 0.065, where
one SGD step multiplies theta_2 by 1 - 0.065 * 20 = -0.3 (the zig-zag of notebook 06, section 2)
while Nesterov (which diverges once lr * 20 > 2 (1 + mu) / (1 + 2 mu), 0.068 for mu = 0.9)
still converges; at 0.05 the factor is exactly 0: SGD zeroes theta_2 in one step."""

RACE_RATES = tuple(sorted({float(f"{m:g}e{d}") for d in range(-4, 0) for m in (1, 1.5, 2, 3, 5, 7)}
                          | {1.0} | {s["explore_lr"] for s in SURFACES.values()}))
"""The rates the widget's slider offers (1, 1.5, 2, 3, 5, 7 per decade, and each surface's
starting rate): every value is shown exactly as the code uses it."""

RACE_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")


@functools.lru_cache(maxsize=8)
def _grid(name, resolution=120):
    from mlbook.plots.curves import surface_grid
    s = SURFACES[name]
    return surface_grid(s["f"], s["xlim"], s["ylim"], resolution)


def _run(name, surface, lr, momentum, steps):
    kwargs = {"momentum": momentum} if name in ("momentum", "nesterov") else {}
    opt = make_optimizer(name, lr, **kwargs) if name != "adadelta" else make_optimizer(name, 1.0)
    theta = {"theta": np.array(surface["start"], dtype=float)}
    path = [theta["theta"].copy()]
    limit = 10.0 * max(abs(v) for v in surface["xlim"] + surface["ylim"])
    status, err = "ok", None
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            g = surface["grad"](theta["theta"])
            if not np.all(np.isfinite(g)):
                err = divergence_error("the gradient became inf or NaN", name="theta",
                                       quantity="gradient", step=k)
            else:
                err = step_or_diverge(opt, theta, {"theta": g}, step=k)
            if err is None and np.max(np.abs(theta["theta"])) > limit:
                err = divergence_error(f"theta left the plot (|theta| > {limit:g})",
                                       name="theta", quantity="parameter", step=k)
            if err is not None:
                status = divergence_status(err)     # shown in the legend, not raised
                break
            path.append(theta["theta"].copy())
    return np.array(path), status


def optimizer_race_update(surface="elongated quadratic", lr=None, momentum=0.9, steps=100,
                          optimizers=RACE_OPTIMIZERS):
    """Run each optimizer ``steps`` steps from the surface's start with the same ``lr``.

    Adadelta has no learning rate (Zeiler 2012) and ignores ``lr``; Momentum and Nesterov use
    ``momentum``. Returns a dict: ``surface``, ``lr``, ``momentum``, ``steps``, ``grid`` (X, Y, Z
    for the contours), ``paths`` {name: array (k + 1, 2)} (a diverged path stops at its last
    point inside 10x the window), ``final_loss`` {name: f at the path's end}, ``status``
    {name: 'ok' | 'diverged at step k: what'}, ``minimum``.
    """
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}; choose one of {', '.join(SURFACES)}")
    s = SURFACES[surface]
    lr = s["lr"] if lr is None else lr
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    unknown = [o for o in optimizers if o not in RACE_OPTIMIZERS]
    if unknown:
        raise ValueError(f"unknown optimizer(s) {unknown}; choose from {', '.join(RACE_OPTIMIZERS)}")
    make_optimizer("sgd", lr)                               # validates lr, names it
    paths, final, status = {}, {}, {}
    for name in optimizers:
        path, st = _run(name, s, lr, momentum, int(steps))
        paths[name], status[name] = path, st
        final[name] = float(s["f"](path[-1]))
    return {"surface": surface, "lr": float(lr), "momentum": float(momentum), "steps": int(steps),
            "grid": _grid(surface), "paths": paths, "final_loss": final, "status": status,
            "minimum": s["minimum"]}


def _labels(data):
    return {name: (f"{name}: f={data['final_loss'][name]:.3g}" if st == "ok" else f"{name}: {st}")
            for name, st in data["status"].items()}


def _title(data):
    return (f"{data['surface']}: {data['steps']} steps, lr={data['lr']:.3g}, "
            f"momentum={data['momentum']:.2f}")


def optimizer_race_draw(data, ax=None):
    """Contours of the surface and each optimizer's path, labelled with its final loss."""
    from mlbook.plots.curves import plot_trajectories
    return plot_trajectories(data["grid"], data["paths"], ax, title=_title(data),
                             log_levels=SURFACES[data["surface"]]["log_levels"],
                             minimum=data["minimum"], labels=_labels(data))


class _LiveRace:
    """:func:`optimizer_race_draw`'s picture, redrawn in place: the contours are drawn once per
    surface; the paths, their legend and the title are animated."""

    def __init__(self, figsize=(7.8, 4.4)):
        from mlbook.plots.live import LiveFigure
        self.live = LiveFigure(figsize)
        self.ax, self.key = None, None

    def show(self, data):
        from mlbook.plots.live import LiveFigure
        key = (data["surface"], tuple(data["paths"]))
        if key != self.key:                      # new surface or optimizers: draw afresh
            fig = self.live.figure
            fig.clear()
            self.ax = fig.subplots()
            fig.subplots_adjust(left=0.09, right=0.68, bottom=0.12, top=0.92)
            optimizer_race_draw(data, self.ax)
            n = len(data["paths"])
            self.paths = self.ax.get_lines()[:n]
            self.ends = self.ax.get_lines()[n:2 * n]
            LiveFigure.animate(*self.paths, *self.ends, self.ax.title, self.ax.get_legend())
            self.key = key
            return
        labels = _labels(data)
        for line, end, text, name in zip(self.paths, self.ends, self.ax.get_legend().get_texts(),
                                         data["paths"]):
            path = data["paths"][name]
            line.set_data(path[:, 0], path[:, 1])
            end.set_data(path[-1:, 0], path[-1:, 1])
            text.set_text(labels[name])
        self.ax.title.set_text(_title(data))


def optimizer_race(surface="elongated quadratic", steps=100):
    """The widget: surface, learning rate (log slider), momentum, steps, which optimizers."""
    import ipywidgets as w

    from .explorer import Explorer

    style = {"description_width": "110px"}
    surf = w.Dropdown(options=list(SURFACES), value=surface, description="surface", style=style)
    lr = w.SelectionSlider(options=[(f"{v:g}", v) for v in RACE_RATES],
                           value=SURFACES[surface]["explore_lr"], description="learning rate",
                           style=style, continuous_update=True, layout=w.Layout(width="420px"))
    mom = w.FloatSlider(value=0.9, min=0.0, max=0.99, step=0.01, description="momentum",
                        style=style, continuous_update=True, layout=w.Layout(width="420px"))
    nsteps = w.IntSlider(value=steps, min=10, max=500, step=10, description="steps", style=style,
                         continuous_update=False, layout=w.Layout(width="420px"))
    which = w.SelectMultiple(options=list(RACE_OPTIMIZERS), value=list(RACE_OPTIMIZERS),
                             description="optimizers", rows=7, style=style)
    view = _LiveRace()

    def compute(frame):
        return optimizer_race_update(surf.value, lr.value, mom.value, nsteps.value,
                                     tuple(which.value))

    explorer = Explorer([w.HBox([w.VBox([surf, lr, mom, nsteps]), which])],
                        {"lr": lr, "momentum": mom, "steps": nsteps, "optimizers": which},
                        compute, view.show, view.live,
                        text=lambda data: f"optimizer race: {_title(data)}")
    explorer.controls["surface"] = surf

    def on_surface(change):
        with explorer.hold():                  # the surface's own learning rate, one update
            lr.value = SURFACES[change["new"]]["explore_lr"]

    surf.observe(on_surface, names="value")
    return explorer
