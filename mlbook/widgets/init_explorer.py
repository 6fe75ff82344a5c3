"""Initialization explorer: a deep stack of Dense layers at initialization, layer by layer.

Pick the depth, the activation, the weight initialization and whether a BatchNorm sits between
each affine layer and its nonlinearity; see the distribution of the activations and of the
backpropagated gradients in every layer.

* ``init_explorer_update(depth, activation, scheme, batchnorm) -> dict`` — runs the network
  (one forward and one backward pass of mlbook layers) and returns what the figure shows;
* ``init_explorer_draw(data, axes=None)`` — draws it: two ridgeline panels of per-layer
  histograms of the magnitudes on a log scale (a layer whose spread is 10^8 times smaller
  sits eight decades further left) and the per-layer standard deviations;
* ``init_explorer(...)`` — the widget, an :class:`mlbook.widgets.explorer.Explorer` (the
  ridge lines, spread lines and title are redrawn in place on a cached background).

The network: x (n, width) ~ N(0, 1); for l = 1 .. depth
``z_l = h_{l-1} W_l + b_l``, (``BatchNorm``), ``h_l = f(z_l)``; at the top a unit-Gaussian gradient
dL/dh_depth arrives and is backpropagated. The gradient shown per layer is the one at the affine
layer's output, delta_l = dL/dz_l (what dW_l = h_{l-1}^T delta_l is built from).
"""
import html

import numpy as np

from mlbook.init import INITIALIZERS, normal
from mlbook.layers import BatchNorm, Dense, ReLU, Sigmoid, Tanh
from mlbook.plots.style import SMALL
from mlbook.validation import check_choice, check_flag, check_int

__all__ = ["init_explorer_update", "init_explorer_draw", "init_explorer", "deep_stack",
           "INIT_ACTIVATIONS", "INIT_SCHEMES"]

INIT_ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
# mlbook.init's schemes ("normal" is N(0, 0.01^2)) plus a too-large Gaussian, N(0, 1)
INIT_SCHEMES = {**INITIALIZERS, "normal(1)": normal(1.0)}
BINS_PER_DECADE = 5      # histogram bins of log10 |value|: 5 per factor of 10
FIGSIZE = (10.4, 3.7)      # inches; 832 x 296 px at the course's 80 dpi


def deep_stack(depth, activation, scheme, batchnorm, *, width=128, seed=0):
    """The list of mlbook layers [Dense, (BatchNorm), f] * depth, weights from ``scheme`` (a
    name in INIT_SCHEMES or an initializer callable)."""
    scheme = INIT_SCHEMES.get(scheme, scheme) if isinstance(scheme, str) else scheme
    rng = np.random.default_rng(seed)
    layers = []
    for _ in range(depth):
        layers.append(Dense(width, width, rng=rng, init=scheme))
        if batchnorm:
            layers.append(BatchNorm(width))
        layers.append(INIT_ACTIVATIONS[activation]())
    return layers


def _log_magnitudes(values):
    """log10 |v| of the non-zero entries of ``values`` (flattened)."""
    v = np.abs(values[values != 0.0])
    return np.log10(v)


def _hist(values, edges, logs=None):
    """Counts of log10 |v| of the NON-ZERO values in the bins (``edges`` in log10 units),
    scaled to a peak of 1; and the zero fraction. ``logs``: ``_log_magnitudes(values)`` if
    already computed.

    Exact zeros (ReLU's inactive half, a collapsed layer) have no logarithm and would dwarf
    everything else; they are reported as a fraction instead. Values outside the edges are
    left out. (Equal-width bins: an index and a bincount, no sort.)
    """
    v = _log_magnitudes(values) if logs is None else logs
    nb = len(edges) - 1
    idx = np.floor((v - edges[0]) * (nb / (edges[-1] - edges[0]))).astype(np.intp)
    counts = np.bincount(idx[(idx >= 0) & (idx < nb)], minlength=nb).astype(float)
    peak = counts.max()
    return (counts / peak if peak > 0 else counts), 1.0 - v.size / values.size


def _saturated(h, activation):
    """Fraction of units in the flat tails, where f'(z) < 1 % of its maximum; NaN for ReLU."""
    if activation == "tanh":
        return float(np.mean(np.abs(h) > 0.995))          # 1 - h^2 < 0.01
    if activation == "sigmoid":
        return float(np.mean(np.minimum(h, 1.0 - h) < 0.0101))   # h (1 - h) < 0.01 / 4
    return float("nan")


def _edges(per_layer, logs=None):
    """Bin edges of log10 |value|, :data:`BINS_PER_DECADE` per decade, on whole decades from
    below the smallest layer's bulk (its 0.1 % quantile) to above the largest |value| of any
    layer: every layer's histogram on one axis, each where its magnitudes are. ``logs``: the
    layers' ``_log_magnitudes`` if already computed."""
    logs = [_log_magnitudes(v) for v in per_layer] if logs is None else logs
    logs = [v for v in logs if v.size]
    if not logs:                                     # all zero (zeros init): nothing to bin
        lo, hi = -1, 1
    else:
        lo = int(np.floor(min(float(np.quantile(v, 0.001)) for v in logs)))
        hi = int(np.ceil(max(float(v.max()) for v in logs)))
        hi = max(hi, lo + 1)
    return np.linspace(lo, hi, (hi - lo) * BINS_PER_DECADE + 1)


def init_explorer_update(depth=10, activation="tanh", scheme="glorot_uniform", batchnorm=False,
                         *, width=128, n=256, seed=0):
    """Forward and backward through ``depth`` layers at initialization; per-layer statistics.

    Returns a dict (arrays have one entry per layer, 1 .. depth):
      'depth', 'activation', 'scheme', 'batchnorm'   the settings (scheme: a name in
                                INIT_SCHEMES — mlbook.init's, plus "normal(1)" = N(0, 1))
      'act_mean', 'act_std'     mean and standard deviation of h_l
      'act_zero', 'act_sat'     fraction of h_l exactly 0; fraction saturated (f'(z) below 1 %
                                of its maximum; NaN for ReLU)
      'grad_std'                standard deviation of delta_l = dL/dz_l
      'dW_norm'                 Frobenius norm of dL/dW_l
      'act_edges', 'act_hist'   bin edges in log10 |value| (whole decades, BINS_PER_DECADE
      'grad_edges', 'grad_hist' bins each; (nbins + 1,)) and (depth, nbins) histograms of
                                log10 |value| of the non-zero values, each scaled to a peak of 1
      'grad_zero'               fraction of delta_l exactly 0
      'text'                    the statistics, one line per layer
    """
    depth = check_int(depth, "depth", minimum=1, maximum=50)
    activation = check_choice(activation, "activation", tuple(INIT_ACTIVATIONS))
    scheme = check_choice(scheme, "scheme", tuple(INIT_SCHEMES))
    batchnorm = check_flag(batchnorm, "batchnorm")
    width = check_int(width, "width", minimum=2)
    n = check_int(n, "n", minimum=2)
    layers = deep_stack(depth, activation, scheme, batchnorm, width=width, seed=seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(n, width))
    per = 3 if batchnorm else 2
    acts, z_grads, dWs = [], [], []
    h = x
    with np.errstate(over="ignore", under="ignore"):
        for i, layer in enumerate(layers):
            h = layer.forward(h)
            if i % per == per - 1:                    # after f: h_l
                acts.append(h)
        g = rng.normal(size=h.shape)                  # a unit-Gaussian dL/dh at the top
        for i in reversed(range(len(layers))):
            g = layers[i].backward(g)
            if i % per == 1:                          # after f (or BatchNorm): dL/dz_l
                z_grads.append(g)
            elif i % per == 0:                        # after Dense: its dL/dW_l
                dWs.append(float(np.linalg.norm(layers[i].grads["W"])))
    z_grads.reverse()
    dWs.reverse()
    sat = [_saturated(a, activation) for a in acts]
    act_logs = [_log_magnitudes(a) for a in acts]          # once per layer: edges and bins
    grad_logs = [_log_magnitudes(g) for g in z_grads]
    act_edges, grad_edges = _edges(acts, act_logs), _edges(z_grads, grad_logs)
    a_hist = [_hist(a, act_edges, v) for a, v in zip(acts, act_logs)]
    g_hist = [_hist(g, grad_edges, v) for g, v in zip(z_grads, grad_logs)]
    data = {
        "depth": depth, "activation": activation, "scheme": scheme, "batchnorm": batchnorm,
        "act_mean": np.array([a.mean() for a in acts]),
        "act_std": np.array([a.std() for a in acts]),
        "act_zero": np.array([z for _, z in a_hist]),
        "act_sat": np.array(sat),
        "grad_std": np.array([g.std() for g in z_grads]),
        "grad_zero": np.array([z for _, z in g_hist]),
        "dW_norm": np.array(dWs),
        "act_edges": act_edges, "act_hist": np.array([c for c, _ in a_hist]),
        "grad_edges": grad_edges, "grad_hist": np.array([c for c, _ in g_hist]),
    }
    data["text"] = _table(data)
    return data


def _title(data):
    return (f"{data['depth']} layers, {data['activation']}, {data['scheme']}"
            + (", BatchNorm" if data["batchnorm"] else ""))


def _table(data):
    lines = [_title(data),
             f"{'layer':>5s} {'mean h':>10s} {'std h':>10s} {'h = 0':>6s} {'std dL/dz':>10s} "
             f"{'|dL/dW|':>10s}"]
    for i in range(data["depth"]):
        lines.append(f"{i + 1:5d} {data['act_mean'][i]:10.2e} {data['act_std'][i]:10.2e} "
                     f"{data['act_zero'][i]:6.0%} {data['grad_std'][i]:10.2e} "
                     f"{data['dW_norm'][i]:10.2e}")
    return "\n".join(lines)


def _positive(values):
    v = np.asarray(values, dtype=float)
    return np.where(v > 0, v, np.nan)


def _ridge_y(i, counts):
    """Ridge i (layer i + 1) is drawn at height i + 1, its histogram scaled to 0.85."""
    return i + 1 + 0.85 * counts


def _layer_top(depth, current=None, slack=4, headroom=0):
    """The highest layer row the axes show: ``depth`` (+ ``headroom`` empty rows, room for a
    deeper network); with ``current`` (the row shown now) kept while it is at least ``depth``
    and at most ``slack`` rows above it, so that moving the depth slider back and forth keeps
    the axes (a redraw on the cached background)."""
    if current is not None and depth <= current <= depth + slack:
        return current
    return depth + min(headroom, slack)


X_HEADROOM = (3, 1)       # widget: empty decades left / right of a fresh fit (see _x_limits)
X_SLACK = 6               # widget: decades that may stay empty at either end before a refit


def _x_limits(ax, edges, keep=False, headroom=(0, 0)):
    """x limits (log10 |value|) of a histogram panel: the edges, plus ``headroom`` decades
    (left, right); with ``keep``, the limits now set stay while the edges fit inside them and
    no more than X_SLACK decades are empty at either end."""
    lo, hi = float(edges[0]), float(edges[-1])
    if keep:
        c_lo, c_hi = map(float, ax.get_xlim())
        if lo - X_SLACK <= c_lo <= lo and hi <= c_hi <= hi + X_SLACK:
            return c_lo, c_hi
    return lo - headroom[0], hi + headroom[1]


def _set_ridges(ax, edges, hist, top=None, keep=False, headroom=(0, 0)):
    """Make ``ax`` hold one ridge line per layer of ``hist`` (adding or removing lines as the
    depth changed; new lines are animated like the existing ones) and put the data on them.
    ``top``: the highest layer row shown (default: the depth). ``keep``: lines beyond the
    depth are hidden instead of removed (removing an artist means a full draw), and the x
    limits stay while the data fit (:func:`_x_limits`, ``headroom`` on a refit)."""
    from mlbook.plots.live import LiveFigure
    top = len(hist) if top is None else top
    lines = ax.get_lines()
    animated = bool(lines) and lines[0].get_animated()
    # a line for every row shown (hidden above the depth): a deeper network within the rows
    # shown needs no new artist (adding one means a full draw)
    wanted = max(len(hist), top)
    if not keep:
        for line in lines[wanted:]:
            line.remove()
    for i in range(len(lines), wanted):
        (line,) = ax.plot([], [], color=f"C{i % 10}", lw=1.3)
        line.set_animated(animated)
    centers = 0.5 * (edges[1:] + edges[:-1])
    for i, line in enumerate(ax.get_lines()):
        if i < len(hist):
            line.set_data(centers, _ridge_y(i, hist[i]))
        if line.get_visible() != (i < len(hist)):
            line.set_visible(i < len(hist))
    LiveFigure.set_limits(ax, _x_limits(ax, edges, keep, headroom), (0.8, top + 1.0))
    ticks = list(range(1, top + 1, max(1, top // 5)))
    if list(ax.get_yticks()) != ticks:
        ax.set_yticks(ticks)


def _ridge(ax, edges, hist, title, xlabel):
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    _set_ridges(ax, edges, hist)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("layer")
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{10.0 ** v:.0e}"))


def init_explorer_draw(data, axes=None):
    """Left: histogram of h_l per layer (one ridge each, layer 1 at the bottom). Middle: the
    same for delta_l = dL/dz_l. Right: std of h_l and of delta_l per layer (log scale).
    Returns the axes. Lines: left/middle one per layer; right: std h, std dL/dz. The figure's
    suptitle names the settings (``_refresh`` updates all of them in place)."""
    if axes is None:
        import matplotlib.pyplot as plt
        _, axes = plt.subplots(1, 3, figsize=FIGSIZE)
    ax_a, ax_g, ax_s = axes
    _ridge(ax_a, data["act_edges"], data["act_hist"], "activations h per layer", "|h| (log scale)")
    _ridge(ax_g, data["grad_edges"], data["grad_hist"], "gradients dL/dz per layer",
           "|dL/dz| (log scale)")
    layers = np.arange(1, data["depth"] + 1)
    ax_s.plot(layers, _positive(data["act_std"]), "o-", color="C0", label="std of h")
    ax_s.plot(layers, _positive(data["grad_std"]), "s-", color="C3", label="std of dL/dz")
    ax_s.set_yscale("log")
    _plain_log_ticks(ax_s)
    ax_s.set_xlabel("layer")
    ax_s.set_title("spread per layer", fontsize=10)
    ax_s.legend(fontsize=SMALL, loc="best")
    _limits(ax_s, data)
    ax_a.figure.suptitle(_title(data), fontsize=11)
    return axes


def _plain_log_ticks(ax):
    """Tick labels like 1e-05 instead of mathtext 10^{-5}: parsing mathtext on every redraw
    costs more than everything else in the figure."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=8))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _limits(ax, data, top=None, keep=False, slack=10.0 ** X_SLACK, headroom=1.0):
    """Limits of the spread panel (set only when they change: a change means a full draw).
    ``top``: the last layer shown (default: the depth); ``keep``: the y limits now set are
    kept while the data fit and they are no more than ``slack`` times wider at either end;
    ``headroom``: a refit goes this factor lower (room for a deeper network's spread)."""
    from matplotlib.ticker import MaxNLocator

    from mlbook.plots.live import LiveFigure
    v = np.concatenate([_positive(data["act_std"]), _positive(data["grad_std"])])
    v = v[np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.1, 10.0)
    ylim = (min(lo, 0.1) / 2, max(hi, 10.0) * 2)
    c_lo, c_hi = map(float, ax.get_ylim())
    if keep and ylim[0] / slack <= c_lo <= ylim[0] and ylim[1] <= c_hi <= ylim[1] * slack:
        ylim = (c_lo, c_hi)
    else:
        ylim = (ylim[0] / headroom, ylim[1])
    top = data["depth"] if top is None else top
    LiveFigure.set_limits(ax, (0.5, top + 0.5), ylim)
    if not isinstance(ax.xaxis.get_major_locator(), MaxNLocator):
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))


def _refresh(data, axes, keep=False, headroom=False):
    """Update the artists made by :func:`init_explorer_draw` in place: the ridge lines (added
    or removed when the depth changed), the spread lines, the limits (only when they changed)
    and the suptitle. ``keep`` (the widget): the axes keep their rows and limits while the
    new state fits them (see :func:`_layer_top`); extra ridges are hidden, not removed.
    ``headroom`` (the widget): a refit leaves room for the next depths (two layer rows,
    X_HEADROOM decades), so the first moves of the depth slider keep the axes too."""
    ax_a, ax_g, ax_s = axes
    current = int(round(ax_a.get_ylim()[1] - 1.0)) if keep else None
    top = _layer_top(data["depth"], current, headroom=2 if headroom else 0)
    x_room = X_HEADROOM if headroom else (0, 0)
    _set_ridges(ax_a, data["act_edges"], data["act_hist"], top, keep, x_room)
    _set_ridges(ax_g, data["grad_edges"], data["grad_hist"], top, keep, x_room)
    layers = np.arange(1, data["depth"] + 1)
    std_h, std_g = ax_s.get_lines()
    std_h.set_data(layers, _positive(data["act_std"]))
    std_g.set_data(layers, _positive(data["grad_std"]))
    _limits(ax_s, data, top, keep, headroom=10.0 ** X_HEADROOM[0] if headroom else 1.0)
    # the suptitle's Text itself (Figure.suptitle() would mark the whole figure stale)
    ax_a.figure._suptitle.set_text(_title(data))


def init_explorer(depth=10, activation="tanh", scheme="normal", batchnorm=False):
    """The widget: depth slider, activation and scheme dropdowns, a BatchNorm checkbox, the
    figure and below it the per-layer statistics (an
    :class:`mlbook.widgets.explorer.Explorer`; its ``controls`` are "depth", "activation",
    "scheme", "batchnorm")."""
    import ipywidgets as W

    from mlbook.plots.live import LiveFigure

    from .explorer import Explorer

    first = init_explorer_update(depth, activation, scheme, batchnorm)    # validates too
    d = W.IntSlider(value=depth, min=1, max=max(20, depth), description="depth",
                    continuous_update=True)
    act = W.Dropdown(options=list(INIT_ACTIVATIONS), value=activation, description="activation")
    sch = W.Dropdown(options=list(INIT_SCHEMES), value=scheme, description="init")
    bn = W.Checkbox(value=batchnorm, description="BatchNorm", indent=False)
    stats = W.HTML()
    live = LiveFigure(FIGSIZE)
    axes = live.figure.subplots(1, 3)
    live.figure.subplots_adjust(left=0.05, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
    init_explorer_draw(first, axes)
    # a new depth redraws the axes; pin the labels once (placed beside two-digit layer
    # numbers, the widest the depth slider makes) instead of re-measuring them every time
    formatters = [ax.yaxis.get_major_formatter() for ax in axes[:2]]
    for ax in axes[:2]:
        ax.set_yticks([1], labels=["20"])
    live.freeze_layout()
    for ax, formatter in zip(axes[:2], formatters):
        ax.yaxis.set_major_formatter(formatter)
        ax.set_yticks([])
    _refresh(first, axes, headroom=True)
    # redrawn on every change: the lines and the suptitle; axes, ticks, titles, legend are
    # the background (a new depth or new limits mean one full draw)
    for ax in axes:
        LiveFigure.animate(*ax.get_lines())
    LiveFigure.animate(live.figure.suptitle(_title(first), fontsize=11))
    shown = [first]

    def compute(frame):
        # the first picture too (the same data as ``first``): in a kernel the worker thread
        # computes it while the explorer is built, so its first computation is not the
        # student's first press (see Explorer._warm_up)
        return init_explorer_update(d.value, act.value, sch.value, bn.value)

    def show(data):
        stats.value = (f"<pre style=\"font-size:11px;line-height:1.2;margin:0\">"
                       f"{html.escape(data['text'])}</pre>")
        # scrubbing the depth keeps the axes while the new state fits them; any other
        # change fits the axes to the new state exactly
        before = shown[0]
        keep = all(before[k] == data[k] for k in ("activation", "scheme", "batchnorm"))
        shown[0] = data
        _refresh(data, axes, keep=keep, headroom=True)

    explorer = Explorer([W.HBox([d, act, sch, bn])],
                        {"depth": d, "activation": act, "scheme": sch, "batchnorm": bn},
                        compute, show, live,
                        text=lambda data: f"init explorer: {_title(data)}")
    explorer.children = explorer.children + (stats,)     # the table below the figure
    explorer.stats = stats
    return explorer
