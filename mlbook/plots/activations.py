"""Figures for activation functions: each function with its derivative, gradient norms through
depth, softmax at several temperatures."""
import matplotlib.pyplot as plt
import numpy as np

from mlbook.activations import ACTIVATIONS, ALPHA_DEFAULTS, get_activation, softmax
from mlbook.plots.style import SMALL

__all__ = ["activation_curves", "plot_activation", "plot_activations", "plot_gradient_norms",
           "plot_softmax_temperature"]

FUNCTION_COLOUR, DERIVATIVE_COLOUR = "C0", "C3"


def activation_curves(name, *, alpha=None, xlim=(-5.0, 5.0), n=401):
    """The data of one activation plot: ``{'x', 'f', 'df', 'alpha'}`` on ``n`` points of ``xlim``.

    ``alpha`` is used only by activations that have one (leaky_relu, elu); None = default.
    """
    f, df = get_activation(name)
    x = np.linspace(xlim[0], xlim[1], n)
    kw = {}
    if name in ALPHA_DEFAULTS:
        kw["alpha"] = ALPHA_DEFAULTS[name] if alpha is None else alpha
    return {"x": x, "f": f(x, **kw), "df": df(x, **kw), "alpha": kw.get("alpha")}


def plot_activation(name, ax=None, *, alpha=None, xlim=(-5.0, 5.0)):
    """Draw activation ``name`` (solid) and its derivative (dashed) on one axes; return the axes."""
    data = activation_curves(name, alpha=alpha, xlim=xlim)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3))
    label = name if data["alpha"] is None else f"{name} (α = {data['alpha']:g})"
    ax.plot(data["x"], data["f"], color=FUNCTION_COLOUR, lw=2, label=f"{name}(x)")
    ax.plot(data["x"], data["df"], color=DERIVATIVE_COLOUR, lw=2, ls="--", label=f"{name}'(x)")
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_title(label)
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize=SMALL)
    return ax


def plot_activations(names=None, *, xlim=(-5.0, 5.0), ncols=4):
    """A grid with every activation and its derivative (all of ``ACTIVATIONS`` by default)."""
    names = list(ACTIVATIONS) if names is None else list(names)
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.8 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        plot_activation(name, ax, xlim=xlim)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.suptitle("Activation functions (solid) and their derivatives (dashed)")
    fig.tight_layout()
    return fig


def plot_gradient_norms(norms, ax=None, *, title="Gradient norm per layer at initialisation"):
    """Semilog plot of ``{label: array of ||dL/dW_l|| for l = 1..depth}``; return the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        ax.semilogy(np.arange(1, values.size + 1), values, "o-", label=label)
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel(r"$\|\partial L / \partial W_l\|$ (log scale)")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_softmax_temperature(z, temperatures, ax=None):
    """Bars of softmax(z / T) for each temperature T; return the axes."""
    z = np.asarray(z, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    width = 0.8 / len(temperatures)
    k = np.arange(z.size)
    for i, T in enumerate(temperatures):
        ax.bar(k + (i - (len(temperatures) - 1) / 2) * width, softmax(z / T), width,
               label=f"T = {T:g}")
    ax.set_xticks(k, [f"class {j}\nz = {v:g}" for j, v in enumerate(z)])
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title("softmax(z / T): low T sharpens, high T flattens")
    ax.legend()
    return ax
