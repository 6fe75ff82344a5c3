"""Network diagram of the 2-2-2 worked example, drawn with matplotlib only.

Two functions, like every figure in the course:

* :func:`network_diagram_data` computes what the figure shows (positions, node values,
  edge weights, optional gradients) from :mod:`mlbook.worked_example` — tests check it;
* :func:`draw_network` draws that data on an axis.

::

    fig, axes = plt.subplots(2, 1, figsize=(9, 9.5))     # one above the other: text stays legible
    draw_network(ax=axes[0], title="before")
    draw_network(update(), ax=axes[1], title="after one update", compare_to=INITIAL_PARAMS)
"""
import matplotlib.pyplot as plt
from matplotlib.patches import Circle

from mlbook.plots.style import SMALL

__all__ = ["network_diagram_data", "draw_network", "NODE_POSITIONS", "draw_dropout_masks"]

NODE_POSITIONS = {"i1": (0.0, 1.6), "i2": (0.0, 0.0), "h1": (3.0, 1.6), "h2": (3.0, 0.0),
                  "o1": (6.0, 1.6), "o2": (6.0, 0.0), "b1": (1.5, -1.05), "b2": (4.5, -1.05)}
_EDGES = {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
          "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2"),
          "b1": ("b1", ("h1", "h2")), "b2": ("b2", ("o1", "o2"))}
# where along each edge its label sits: crossing edges get labels away from the crossing
_LABEL_AT = {"w1": 0.5, "w2": 0.27, "w3": 0.27, "w4": 0.5,
             "w5": 0.5, "w6": 0.27, "w7": 0.27, "w8": 0.5}
_COLOURS = {"input": "#dbe9f6", "hidden": "#fde9c9", "output": "#d8f0d8", "bias": "#eeeeee"}


def network_diagram_data(params=None, inputs=None, targets=None, *, show_gradients=False,
                         compare_to=None):
    """Everything the diagram shows, computed by :mod:`mlbook.worked_example`.

    Returns ``{"nodes": {name: {...}}, "edges": {param: {...}}, "E_total": float}`` where a node
    has ``xy``, ``kind`` (input/hidden/output/bias), ``value`` (i, out_h, out_o or the bias)
    and ``net`` (hidden/output units); with ``show_gradients`` also ``delta`` = dE_total/dnet.
    An edge has ``src``, ``dst``, ``weight``, and with ``show_gradients`` ``grad`` = dE_total/dw;
    with ``compare_to`` (the parameters before an update) ``change`` = weight - old weight.
    """
    from mlbook import worked_example as we
    p = we.as_params(params)
    inputs = we.INPUTS if inputs is None else inputs
    targets = we.TARGETS if targets is None else targets
    old = None if compare_to is None else we.as_params(compare_to)
    f = we.forward(p, inputs, targets)
    c = we.chain_rule_factors(p, inputs, targets) if show_gradients else None
    i1, i2 = we.as_pair(inputs, "inputs")
    nodes = {
        "i1": {"kind": "input", "value": i1}, "i2": {"kind": "input", "value": i2},
        "b1": {"kind": "bias", "value": p["b1"]}, "b2": {"kind": "bias", "value": p["b2"]},
    }
    for unit, kind in (("h1", "hidden"), ("h2", "hidden"), ("o1", "output"), ("o2", "output")):
        nodes[unit] = {"kind": kind, "value": f["out_" + unit], "net": f["net_" + unit]}
        if show_gradients:
            key = {"h1": "dE_total_dnet_h1", "h2": "dE_total_dnet_h2",
                   "o1": "dE_o1_dnet_o1", "o2": "dE_o2_dnet_o2"}[unit]
            nodes[unit]["delta"] = c[key]
    for name, node in nodes.items():
        node["xy"] = NODE_POSITIONS[name]
    edges = {}
    for name, (src, dst) in _EDGES.items():
        edge = {"src": src, "dst": dst, "weight": p[name]}
        if show_gradients:
            edge["grad"] = c["dE_d" + name]
        if old is not None:
            edge["change"] = p[name] - old[name]
        edges[name] = edge
    return {"nodes": nodes, "edges": edges, "E_total": f["E_total"]}


def _node_text(name, node, show_gradients):
    if node["kind"] == "input":
        return f"{name}\n{node['value']:.2f}"
    if node["kind"] == "bias":
        return name
    text = f"{name}\nnet {node['net']:.4f}\nout {node['value']:.4f}"
    if show_gradients and "delta" in node:
        text += f"\nδ {node['delta']:+.4f}"
    return text


def _edge_text(name, edge):
    text = f"{name} = {edge['weight']:.5f}"
    if "change" in edge:
        text += f" ({edge['change']:+.5f})"
    if "grad" in edge:
        text += f"\n∂E/∂{name} = {edge['grad']:+.5f}"
    return text


def draw_network(params=None, inputs=None, targets=None, *, show_gradients=False,
                 compare_to=None, ax=None, title=None):
    """Draw the 2-2-2 network: weights on the edges, net/out (and δ) on the nodes.

    Parameters as :func:`network_diagram_data`; ``ax`` a matplotlib axis (a new figure if
    None); ``title`` defaults to the network's total error. Returns the axis.
    """
    data = network_diagram_data(params, inputs, targets, show_gradients=show_gradients,
                                compare_to=compare_to)
    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 4.8))
    nodes, edges = data["nodes"], data["edges"]
    radius = 0.48          # data units: the node's 3-4 lines of text fit inside its circle
    for name, edge in edges.items():
        x0, y0 = nodes[edge["src"]]["xy"]
        dsts = edge["dst"] if isinstance(edge["dst"], tuple) else (edge["dst"],)
        for dst in dsts:
            x1, y1 = nodes[dst]["xy"]
            r0 = radius * (0.6 if name[0] == "b" else 1.0)
            d = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
            ux, uy = (x1 - x0) / d, (y1 - y0) / d
            ax.annotate("", xy=(x1 - radius * ux, y1 - radius * uy),
                        xytext=(x0 + r0 * ux, y0 + r0 * uy),
                        arrowprops=dict(arrowstyle="-|>", color="#999999" if name[0] == "b"
                                        else "#555555", lw=1.0, shrinkA=0, shrinkB=0,
                                        linestyle="--" if name[0] == "b" else "-"))
        if name[0] == "w":
            t = _LABEL_AT[name]
            x1, y1 = nodes[edge["dst"]]["xy"]
            lx, ly = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        else:
            lx, ly = x0, y0 - 0.5
        ax.text(lx, ly, _edge_text(name, edge), ha="center", va="center", fontsize=SMALL,
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#cccccc", lw=0.5), zorder=4)
    for name, node in nodes.items():
        x, y = node["xy"]
        r = radius * (0.6 if node["kind"] == "bias" else 1.0)
        ax.add_patch(Circle((x, y), r, fc=_COLOURS[node["kind"]], ec="#333333", lw=1.0, zorder=3))
        ax.text(x, y, _node_text(name, node, show_gradients), ha="center", va="center",
                fontsize=SMALL, zorder=5)
    ax.set_xlim(-0.55, 6.55)
    ax.set_ylim(-1.75, 2.15)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title if title is not None else f"2-2-2 network, E_total = {data['E_total']:.9f}")
    return ax


def draw_dropout_masks(data, axes=None):
    """One small diagram per forward pass: dropped units hollow and crossed, their edges faded.

    ``data`` from :func:`mlbook.widgets.dropout_explorer.dropout_masks_data` (``sizes``,
    ``masks[k][l]`` bool per unit). Each diagram is three collections (all edges, all units,
    all crosses), not one artist per edge: it draws in milliseconds. Returns the axes.
    """
    import numpy as np
    from matplotlib.collections import LineCollection

    sizes, masks = data["sizes"], data["masks"]
    if axes is None:
        _, axes = plt.subplots(1, len(masks), figsize=(3.0 * len(masks), 3.2))
    axes = np.atleast_1d(axes)
    top = max(sizes)
    pos = [np.array([(l, (top - n) / 2 + i) for i in range(n)]) for l, n in enumerate(sizes)]
    for k, (ax, mask) in enumerate(zip(axes, masks)):
        segs, alive = [], []
        for l in range(len(sizes) - 1):
            for i, a in enumerate(pos[l]):
                for j, b in enumerate(pos[l + 1]):
                    segs.append((a, b))
                    alive.append(bool(mask[l][i] and mask[l + 1][j]))
        alive = np.array(alive)
        ax.add_collection(LineCollection(segs, colors=np.where(alive[:, None], 0.35, 0.9)
                                         .repeat(3, axis=1), linewidths=np.where(alive, 0.8, 0.5),
                                         zorder=1))
        xy = np.vstack(pos)
        kept = np.concatenate([np.asarray(m, dtype=bool) for m in mask])
        ax.scatter(xy[:, 0], xy[:, 1], s=160, zorder=2, edgecolors="k",
                   c=np.where(kept[:, None], [[0.29, 0.565, 0.851]], [[1.0, 1.0, 1.0]]))
        ax.scatter(xy[~kept, 0], xy[~kept, 1], s=110, marker="x", c="#d62728", linewidths=2,
                   zorder=3)
        kept_hidden = sum(int(np.sum(m)) for m in mask[1:-1])
        total_hidden = sum(sizes[1:-1])
        ax.set_title(f"pass {k + 1}: {kept_hidden}/{total_hidden} hidden units kept", fontsize=9)
        ax.set_xlim(-0.4, len(sizes) - 0.6)
        ax.set_ylim(-0.8, top - 0.2)
        ax.axis("off")
    return axes
