"""Computational graphs of :class:`mlbook.autodiff.Value`, drawn with matplotlib only.

Nodes are laid out left to right by depth (inputs on the left, the output on the right); a graph
too deep to fit the notebook page that way (more than ``PAGE_PX`` wide, where JupyterLab would
shrink its text below ``MIN_TEXT_PX``) is drawn top to bottom instead (inputs at the top, the
output at the bottom). Each box shows the node's name and operation, its value and its
gradient::

    from mlbook.autodiff import Value
    from mlbook.plots import draw_graph
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    draw_graph(f, title="f = (x + y) z")

``graph_layout(root)`` returns the positions alone (tests use it), ``draw_graph`` can highlight
a node and colour the nodes by the state of their gradient (the backprop stepper uses both).
"""
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch

from mlbook.autodiff import Value, topological_order
from mlbook.plots.style import DPI, PAGE_PX, SMALL

__all__ = ["graph_layout", "graph_data", "graph_axes", "draw_graph", "node_title", "STATE_COLOURS",
           "graph_direction"]

# fill colour of a node box by the state of its gradient
STATE_COLOURS = {
    "leaf": "#dbeafe",      # an input or parameter (no gradient shown as state)
    "op": "#f3f4f6",        # an operation
    "waiting": "#ffffff",   # stepper: no gradient has arrived yet
    "partial": "#fef3c7",   # stepper: some consumers have sent their share, not all
    "done": "#dcfce7",      # stepper: gradient complete
    "current": "#fdba74",   # stepper: the node being processed
}


def node_title(node):
    """The node's label; an unnamed operation is titled by its op, an unnamed leaf 'leaf'."""
    return node.label or (node.op if node.children else "leaf")


def _columns(order):
    """Column of every node: operations at 1 + the deepest child; each leaf one column left
    of its leftmost consumer (so a weight sits next to the multiply that uses it)."""
    col = {}
    for node in order:                      # children first
        if node.children:
            col[node] = 1 + max(col.get(c, 0) for c in node.children)
        else:
            col[node] = 0
    consumers = {node: [] for node in order}
    for node in order:
        for child in node.children:
            consumers[child].append(node)
    for node in order:
        if not node.children and consumers[node]:
            col[node] = min(col[p] for p in consumers[node]) - 1
    shift = min(col.values())
    return {n: c - shift for n, c in col.items()}, consumers


def _spread(ideal):
    """Positions as close as possible to ``ideal`` (sorted) with a spacing of at least 1."""
    ys = []
    for v in ideal:
        ys.append(v if not ys else max(v, ys[-1] + 1.0))
    shift = (sum(ideal) - sum(ys)) / len(ys)          # keep the column centred on its ideal
    return [y + shift for y in ys]


def _dfs_rank(root):
    """Order in which a depth-first walk from the output first meets each node (iterative);
    the last child is met first, so the first input of an operation ends up on top."""
    rank, stack = {}, [root]
    while stack:
        node = stack.pop()
        if node in rank:
            continue
        rank[node] = len(rank)
        stack.extend(node.children)
    return rank


def graph_layout(root):
    """Positions ``{node: (x, y)}`` for every node of ``root``'s graph.

    x = column (depth from the inputs), y = row; the output is at the right. Rows are chosen
    so that each node sits near the mean height of the nodes it is connected to (two
    barycentre sweeps), at least 1 apart within a column.
    """
    if not isinstance(root, Value):
        raise TypeError(f"graph_layout: root must be a Value, got {type(root).__name__}")
    order = topological_order(root)
    col, consumers = _columns(order)
    rank = _dfs_rank(root)
    n_cols = max(col.values()) + 1
    by_col = [[] for _ in range(n_cols)]
    for node in order:
        by_col[col[node]].append(node)
    y = {}
    # first pass, right to left: each node near its consumers (already placed)
    for c in range(n_cols - 1, -1, -1):
        nodes = by_col[c]
        ideal = []
        for k, node in enumerate(nodes):
            ps = [y[p] for p in consumers[node] if p in y]
            ideal.append((sum(ps) / len(ps) if ps else 0.0, rank[node], k))
        ideal.sort()
        ideal = [(v, k) for v, _, k in ideal]
        for (_, k), pos in zip(ideal, _spread([v for v, _ in ideal])):
            y[nodes[k]] = pos
    # second pass, left to right: operations near their inputs, then right to left again
    for sweep in (range(1, n_cols), range(n_cols - 2, -1, -1)):
        for c in sweep:
            nodes = sorted(by_col[c], key=lambda n: y[n])
            ideal = []
            for node in nodes:
                nbrs = list(node.children) + consumers[node]
                ideal.append(0.5 * y[node] + 0.5 * sum(y[m] for m in nbrs) / len(nbrs)
                             if nbrs else y[node])
            pairs = sorted(zip(ideal, range(len(nodes))))
            for (_, k), pos in zip(pairs, _spread([v for v, _ in pairs])):
                y[nodes[k]] = pos
    low = min(y.values())
    return {node: (float(col[node]), y[node] - low) for node in order}


def graph_data(root, grads=None):
    """The drawable content of the graph: ``{'nodes': [...], 'edges': [...]}``.

    Each node: dict(title, op, label, data, grad, x, y, leaf); each edge: (child index,
    parent index, local derivative d parent / d child). ``grads`` (optional dict node -> value
    or None) replaces ``node.grad``, e.g. with the gradient accumulated so far in the stepper.
    """
    pos = graph_layout(root)
    nodes = list(pos)
    index = {node: k for k, node in enumerate(nodes)}
    out_nodes = []
    for node in nodes:
        g = grads.get(node) if grads is not None else node.grad
        x, y = pos[node]
        out_nodes.append(dict(title=node_title(node), op=node.op, label=node.label,
                              data=node.data, grad=g, x=x, y=y, leaf=not node.children))
    edges = [(index[child], index[node], local)
             for node in nodes for child, local in zip(node.children, node.local_grads)]
    return {"nodes": out_nodes, "edges": edges}


_OP_SYMBOLS = {"*": "×", "-": "−", "neg": "−x"}


def _heading(node):
    """First line of a node's box: 'label (op)' for a named operation, else title alone."""
    op = _OP_SYMBOLS.get(node.op, node.op)
    if node.children and node.label:
        return f"{node.label} ({op})"
    return op if node.children else node_title(node)


def _fmt(v, digits):
    if v is None:
        return "—"
    return f"{v:.{digits}g}" if v != 0 else "0"


# inches per layout unit: across a column (box width + gap) and per row / depth level
_COL_IN, _ROW_IN, _LEVEL_IN = 1.2, 0.7, 0.8
_WIDE_LEGEND_IN = 9      # the state legend fits one row of five entries on a wider figure


def _extent(layout):
    """(number of depth columns, number of rows) of a layout."""
    return (int(max(x for x, _ in layout.values())) + 1,
            max(y for _, y in layout.values()) + 1)


def graph_direction(layout):
    """'across' (inputs left, output right) if the graph fits the notebook page that way
    (at most ``PAGE_PX`` wide at the course's DPI), else 'down' (inputs at the top, output at
    the bottom): a deep graph drawn across would be shrunk by JupyterLab, its text with it."""
    n_cols, _ = _extent(layout)
    return "across" if (_COL_IN * n_cols + 0.2) * DPI <= PAGE_PX else "down"


def graph_axes(layout, *, legend=False, figure=None):
    """Axes sized so the node text fits its boxes: 1.2 in per column, 0.7 in per row (drawn
    across), or 1.2 in per row and 0.8 in per depth level (drawn down, see
    :func:`graph_direction`).

    ``figure`` (optional, e.g. a ``matplotlib.figure.Figure`` not managed by pyplot) is
    resized and receives the Axes; by default a new pyplot figure is made.
    """
    n_cols, height = _extent(layout)
    if graph_direction(layout) == "across":
        w, h = _COL_IN * n_cols + 0.2, _ROW_IN * height
    else:
        w, h = _COL_IN * height + 0.2, _LEVEL_IN * n_cols
    # the legend (see draw_graph): one row of five entries on a wide figure, else three rows
    below = (0.45 if w > _WIDE_LEGEND_IN else 0.85) if legend else 0.1
    h += below + 0.4
    if figure is None:
        figure = plt.figure(figsize=(w, h))
    else:
        figure.set_size_inches(w, h)
    bottom = below / h
    return figure.add_axes((0.1 / w, bottom, 1 - 0.2 / w, 1 - bottom - 0.4 / h))


def draw_graph(root, ax=None, *, highlight=None, grads=None, states=None, show_grad=True,
               digits=4, title=None, layout=None, fontsize=SMALL, legend=None, max_nodes=250):
    """Draw ``root``'s computational graph; return the Axes.

    Parameters
    ----------
    root : Value, the output node (drawn at the right)
    ax : Axes to draw into (a new figure sized to the graph if None)
    highlight : a node (or list of nodes) to draw in orange, with its input edges in red
    grads : optional dict node -> float or None shown instead of ``node.grad`` (None: '—')
    states : optional dict node -> 'waiting' | 'partial' | 'done' | 'current' (box colours)
    show_grad : False draws values only (a forward pass)
    digits : significant digits of the printed numbers
    layout : positions from :func:`graph_layout` (pass them to avoid recomputing)
    max_nodes : larger graphs raise ValueError (they cannot be drawn legibly)
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: root must be a Value, got {type(root).__name__}")
    if layout is None:
        n_nodes = len(topological_order(root))
        if n_nodes > max_nodes:
            raise ValueError(f"draw_graph: the graph has {n_nodes} nodes, more than max_nodes="
                             f"{max_nodes} can show legibly; draw a smaller part of it (any "
                             f"intermediate Value is the root of its own subgraph)")
    pos = layout if layout is not None else graph_layout(root)
    if highlight is None:
        highlighted = set()
    elif isinstance(highlight, Value):
        highlighted = {highlight}
    else:
        highlighted = set(highlight)
    n_cols, height = _extent(pos)
    if legend is None:
        legend = states is not None
    if ax is None:
        ax = graph_axes(pos, legend=legend)
    across = graph_direction(pos) == "across"
    if across:      # x = depth column, y = row; data units of 1.2 in x 0.7 in
        box_w, box_h = 0.86, 0.8 if show_grad else 0.6
        xy = pos
        out_side, in_side, head = (box_w / 2, 0.0), (-box_w / 2, 0.0), ">"
        xlim, ylim = (-0.6, n_cols - 0.4), (-0.6, height - 0.4)
    else:           # x = row (the top row on the left), y = depth from the top;
                    # data units of 1.2 in x 0.8 in
        box_w, box_h = 0.86, 0.7 if show_grad else 0.5
        xy = {node: (height - 1 - y, n_cols - 1 - x) for node, (x, y) in pos.items()}
        out_side, in_side, head = (0.0, -box_h / 2), (0.0, box_h / 2), "v"
        xlim, ylim = (-0.6, height - 0.4), (-0.6, n_cols - 0.4)

    # edges first (behind the boxes): child's output side -> parent's input side; one
    # LineCollection per colour and one scatter for the arrow heads keep redraws fast
    segs, hot_segs = [], []
    for node in xy:
        x1, y1 = xy[node]
        for child in node.children:
            x0, y0 = xy[child]
            seg = [(x0 + out_side[0], y0 + out_side[1]), (x1 + in_side[0], y1 + in_side[1])]
            (hot_segs if node in highlighted else segs).append(seg)
    ax.add_collection(LineCollection(segs, colors="#9ca3af", linewidths=0.9, zorder=1))
    ax.add_collection(LineCollection(hot_segs, colors="#dc2626", linewidths=2.4, zorder=2))
    heads = [seg[1] for seg in segs + hot_segs]
    if heads:
        ax.scatter([h[0] for h in heads], [h[1] for h in heads], marker=head, s=14,
                   c="#6b7280", zorder=2, linewidths=0)
    for node, (x, y) in xy.items():
        state = (states or {}).get(node)
        if node in highlighted:
            state = "current"
        fill = STATE_COLOURS[state] if state else STATE_COLOURS["leaf" if not node.children else "op"]
        edge = "#c2410c" if node in highlighted else ("#1d4ed8" if not node.children else "#4b5563")
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.0,rounding_size=0.08",
                                    fc=fill, ec=edge, lw=2.5 if node in highlighted else 1.0,
                                    zorder=3))
        g = grads.get(node) if grads is not None else node.grad
        lines = [_heading(node), f"data {_fmt(node.data, digits)}"]
        if show_grad:
            lines.append(f"grad {_fmt(g, digits)}")
        # one text per node keeps a 40-node redraw fast (text rendering dominates)
        ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=fontsize,
                family="monospace", zorder=4, linespacing=1.25, color="#111827")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("auto")
    ax.axis("off")
    ax.set_title(title if title is not None else
                 f"computational graph of {node_title(root)} ({len(pos)} nodes)")
    if legend:
        handles = [Patch(fc=STATE_COLOURS[s], ec="#4b5563", label=txt) for s, txt in (
            ("current", "current node"), ("done", "visited: gradient complete, passed on"),
            ("partial", "has received gradient, not visited yet"), ("waiting", "no gradient yet"))]
        handles.append(Line2D([], [], color="#dc2626", lw=2.2, label="gradient sent to inputs"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                  ncol=5 if ax.figure.get_figwidth() > _WIDE_LEGEND_IN else 2,
                  fontsize=fontsize, frameon=False)
    return ax
