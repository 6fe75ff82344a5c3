"""Backprop stepper: walk through a backward pass one node at a time.

The logic is the plain class :class:`BackpropStepper`: it replays ``root.backward()`` node by
node, in reverse topological order, recording at each step

* the node reached, whose gradient d(root)/d(node) is now complete (every consumer has sent
  its share),
* its local derivatives d(node)/d(child), one per input,
* what it sends to each input: local derivative x its gradient (the chain rule on one edge),
* every node's gradient accumulated so far.

It never touches ``.grad`` of the Values. Tests drive it step by step; the widget
(:func:`backprop_stepper`) draws the graph with the current node highlighted.

Usage::

    from mlbook.widgets import backprop_stepper
    backprop_stepper()          # the worked example's E_total, 43 nodes
"""
import html

import ipywidgets as widgets

from mlbook.autodiff import LOCAL_DERIVATIVES, Value, topological_order
from mlbook.plots.graph import draw_graph, graph_axes, graph_layout, node_title

__all__ = ["BackpropStep", "BackpropStepper", "backprop_stepper_update",
           "backprop_stepper_draw", "backprop_stepper_html", "backprop_stepper_png",
           "backprop_stepper"]


class BackpropStep:
    """One step of the backward pass (see :class:`BackpropStepper`).

    Attributes: ``index``, ``node``, ``upstream`` (d root / d node, complete),
    ``local_grads`` (d node / d child per input), ``sent`` (list of (child, local * upstream)),
    ``grads`` (dict node -> gradient accumulated after this step, None if nothing arrived yet),
    ``visited`` (nodes already processed, this one included).
    """

    def __init__(self, index, node, upstream, sent, grads, visited):
        self.index, self.node, self.upstream = index, node, upstream
        self.local_grads = node.local_grads
        self.sent, self.grads, self.visited = sent, grads, visited

    def __repr__(self):
        return (f"BackpropStep({self.index}: {node_title(self.node)}, grad={self.upstream:.6g}, "
                f"sends {[round(g, 6) for _, g in self.sent]})")


class BackpropStepper:
    """The backward pass of ``root`` as a list of steps, in reverse topological order.

    ``stepper.order`` — nodes in the order they are visited (``root`` first);
    ``stepper.steps[k]`` — a :class:`BackpropStep`; ``stepper.final_grads`` — node -> gradient,
    identical to what ``root.backward()`` would add to ``.grad``.
    """

    def __init__(self, root, grad=1.0):
        if not isinstance(root, Value):
            raise TypeError(f"BackpropStepper: root must be a Value, got {type(root).__name__}")
        self.root = root
        self.order = list(reversed(topological_order(root)))
        self._layout = None
        grads = {node: None for node in self.order}
        grads[root] = float(grad)
        visited = set()
        self.steps = []
        for k, node in enumerate(self.order):
            upstream = grads[node]                 # complete: all consumers came earlier
            sent = []
            for child, local in zip(node.children, node.local_grads):
                share = local * upstream          # the chain rule on this edge
                grads[child] = share if grads[child] is None else grads[child] + share
                sent.append((child, share))
            visited.add(node)
            self.steps.append(BackpropStep(k, node, upstream, sent, dict(grads), frozenset(visited)))
        self.final_grads = {node: (g if g is not None else 0.0) for node, g in grads.items()}

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, k):
        return self.steps[k]

    @property
    def layout(self):
        """Node positions, computed once (the widget redraws with them)."""
        if self._layout is None:
            self._layout = graph_layout(self.root)
        return self._layout

    def find(self, label):
        """The node with this label (first in visiting order); KeyError if there is none."""
        for node in self.order:
            if node.label == label:
                return node
        raise KeyError(f"no node labelled {label!r}")


def _rule(op):
    """The local-derivative rule of an operation, with a constant exponent/base filled in."""
    if op.startswith("**"):
        k = op[2:]
        return f"d(a^{k})/da = {k} a^({k}-1)"
    if op.endswith("**"):
        c = op[:-2]
        return f"d({c}^a)/da = {c}^a ln {c}"
    return LOCAL_DERIVATIVES.get(op, "")


def backprop_stepper_update(stepper, step):
    """Everything the stepper shows at ``step`` (0-based), as plain data.

    Returns dict: step, n_steps, node, title, op, data, upstream, rule (the local derivative
    rule), inputs (list of dicts: node, title, data, local, sent, total = the input's gradient
    right after this share was added), grads (node -> accumulated
    gradient or None), states (node -> 'done' | 'partial' | 'waiting'), next_title.
    """
    if not isinstance(stepper, BackpropStepper):
        raise TypeError(f"stepper must be a BackpropStepper, got {type(stepper).__name__}")
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(stepper):
        raise ValueError(f"step must be an integer in 0..{len(stepper) - 1}, got {step!r}")
    s = stepper.steps[step]
    states = {}
    for node in stepper.order:
        if node in s.visited and node is not s.node:
            states[node] = "done"
        elif node is s.node:
            states[node] = "current"
        elif s.grads[node] is not None:
            states[node] = "partial"
        else:
            states[node] = "waiting"
    before = stepper.steps[step - 1].grads if step else {}
    running, inputs = {}, []
    for (child, share), local in zip(s.sent, s.local_grads):
        prior = running.get(child, before.get(child))
        running[child] = share if prior is None else prior + share    # the += of the chain rule
        inputs.append(dict(node=child, title=node_title(child), data=child.data, local=local,
                           sent=share, total=running[child]))
    nxt = stepper.order[step + 1] if step + 1 < len(stepper) else None
    return dict(step=step, n_steps=len(stepper), node=s.node, title=node_title(s.node),
                op=s.node.op, data=s.node.data, upstream=s.upstream, rule=_rule(s.node.op),
                inputs=inputs, grads=s.grads, states=states,
                next_title=node_title(nxt) if nxt is not None else None)


def backprop_stepper_draw(data, stepper, ax=None):
    """Draw the graph for one step: current node orange, its input edges red."""
    root_name = node_title(stepper.root)
    title = (f"backward pass, step {data['step'] + 1} of {data['n_steps']}: "
             f"∂{root_name}/∂{data['title']} = {data['upstream']:.6g}")
    return draw_graph(stepper.root, ax, highlight=data["node"], grads=data["grads"],
                      states=data["states"], layout=stepper.layout, title=title, legend=True)


def backprop_stepper_html(data, root_name="root"):
    """The side panel: the node, its complete gradient, its local derivatives, what it sends."""
    e = html.escape
    t = e(data["title"])
    rows = [f"<b>Step {data['step'] + 1} of {data['n_steps']}: node <code>{t}</code></b>"
            + (f" (operation <code>{e(data['op'])}</code>)" if data["op"] else " (a leaf)"),
            f"value: <code>{data['data']:.9g}</code>",
            f"gradient, now complete: ∂{e(root_name)}/∂{t} = <code>{data['upstream']:.9g}</code>"]
    if data["inputs"]:
        rows.append(f"local derivative rule: <code>{e(data['rule'])}</code>")
        for inp in data["inputs"]:
            total = inp["total"]
            rows.append(f"&rarr; sends to <code>{e(inp['title'])}</code>: local "
                        f"<code>{inp['local']:.6g}</code> × <code>{data['upstream']:.6g}</code> "
                        f"= <code>{inp['sent']:.9g}</code>"
                        + (f"; its gradient so far: <code>{total:.9g}</code>"
                           if total != inp["sent"] else ""))
    else:
        rows.append("a leaf: nothing to pass on. This is the gradient gradient descent uses."
                    if data["step"] else "")
    if data["next_title"]:
        rows.append(f"<span style='color:#6b7280'>next: <code>{e(data['next_title'])}</code></span>")
    return "<div style='line-height:1.5'>" + "<br>".join(r for r in rows if r) + "</div>"


def _draw_step(stepper, step, figure):
    figure.clear()
    ax = graph_axes(stepper.layout, legend=True, figure=figure)
    backprop_stepper_draw(backprop_stepper_update(stepper, step), stepper, ax)


def backprop_stepper_png(stepper, step, figure=None):
    """PNG bytes of the graph at ``step`` (drawn on ``figure``, a non-pyplot Figure)."""
    from mlbook.plots.live import figure_png, new_figure

    if figure is None:
        figure = new_figure((6.4, 4.0))
    _draw_step(stepper, step, figure)
    return figure_png(figure)


def backprop_stepper(root=None):
    """The widget: Play / Prev / Next / slider over the steps, a side panel and the graph.

    ``root`` defaults to the worked example's E_total (:func:`mlbook.autodiff.worked_example_graph`).
    An :class:`~mlbook.widgets.explorer.Explorer`: the graph is shown at its own size, so its
    text stays legible (too deep to fit the page across, it is drawn top to bottom, see
    :func:`mlbook.plots.graph.graph_direction`; the box scrolls if a picture is still wider
    than the page), each step's picture is cached, and while the
    student reads, the steps ahead are drawn in the background, so a step is shown at once.
    """
    from mlbook.plots.live import LiveFigure

    from .explorer import Explorer

    if root is None:
        from mlbook.autodiff import worked_example_graph
        root = worked_example_graph()[0]
    stepper = BackpropStepper(root)
    root_name = node_title(root)
    n = len(stepper)
    # the slider counts steps from 1, like the text ("Step 1 of 43"); step k is slider.value - 1
    slider = widgets.IntSlider(value=1, min=1, max=n, description="step",
                               continuous_update=False, layout=widgets.Layout(width="420px"))
    play = widgets.Play(value=1, min=1, max=n, interval=1500, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    prev_b = widgets.Button(description="◀ Prev", layout=widgets.Layout(width="90px"))
    next_b = widgets.Button(description="Next ▶", layout=widgets.Layout(width="90px"))
    panel = widgets.HTML(layout=widgets.Layout(height="190px", overflow="auto"))
    live = LiveFigure((6.4, 4.0))

    def compute(frame):
        data = backprop_stepper_update(stepper, slider.value - 1)
        panel.value = backprop_stepper_html(data, root_name)
        return data

    def ahead():
        """The next three steps and the previous one: what Next / Prev / Play ask for."""
        k = slider.value - 1
        for j in (k + 1, k + 2, k + 3, k - 1):
            if 0 <= j < n:
                yield backprop_stepper_update(stepper, j)

    explorer = Explorer([widgets.HBox([play, prev_b, next_b, slider]), panel], {"step": slider},
                        compute, lambda data: _draw_step(stepper, data["step"], live.figure),
                        live, key=lambda data: data["step"], prefetch=ahead, scroll=True,
                        text=lambda data: (f"backprop stepper: step {data['step'] + 1} of "
                                           f"{data['n_steps']}, node {data['title']}"))
    prev_b.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 1)))
    next_b.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, n)))
    explorer.stepper = stepper
    return explorer
