"""Checkers for the computational-graph exercises (notebook 03).

* ``check_div_backward(div_backward)`` — the backward pass of a divide gate:
  ``div_backward(a, b, dout) -> (da, db)`` for f = a / b (the student derives both local
  derivatives). ``check_mul_backward`` does the same for a multiply gate.
* ``check_backward_pass(backward_pass)`` — the engine's whole backward pass:
  ``backward_pass(root)`` must fill ``.grad`` of every node of root's graph. The checker builds
  graphs with ``mlbook.autodiff.Value`` (the slides' f = (x + y) z, a node used twice, a diamond,
  a sigmoid neuron, the 43-node 2-2-2 network), copies each into bare nodes that have only
  ``data``, ``grad``, ``children`` and ``local_grads`` (so ``Value.backward`` cannot be borrowed),
  runs the student's function on the copy and compares every node's gradient with
  ``Value.backward``'s. Wrong orders and ``=`` instead of ``+=`` are recognised and named.
* ``check_tanh_method(Scalar)`` — the ``tanh`` operation of a small Value-like class: the
  checker builds ``Scalar(x).tanh()`` and compares its value with tanh(x), its children with
  ``(Scalar(x),)`` and its local derivative with d tanh(a)/da. The class needs
  ``Scalar(data)``, ``.data``, ``.tanh()`` returning a node with ``.children`` and ``.local_grads``.
"""
import math

import numpy as np

from .core import (CORRECT, WRONG, Budget, Case, CheckResult, NotAttempted,
                   not_attempted, short, type_name, check_function, compare_output,
                   guarded_call, register_hints, driver, is_class)

__all__ = ["check_mul_backward", "check_div_backward", "check_backward_pass", "check_tanh_method",
           "mul_backward_reference"]


# --------------------------------------------------------------------------------------------
# multiply gate

def mul_backward_reference(a, b, dout):
    """f = a * b; local derivatives df/da = b, df/db = a; times the upstream gradient dout."""
    return (dout * b, dout * a)


_MUL_CASES = [
    Case(3.0, -2.0, 1.0, label="a=3, b=-2, dout=1"),
    Case(-2.0, 5.0, -4.0, label="a=-2, b=5, dout=-4"),       # the slides' q*z with x, y
    Case(3.0, -4.0, 1.0, label="a=q=3, b=z=-4, dout=1 (the slides' f = q z)"),
    Case(0.5, 0.25, 2.0, label="a=0.5, b=0.25, dout=2"),
    Case(-1.5, 0.0, 3.0, label="a=-1.5, b=0, dout=3"),
]


def _diagnose_mul(got, case):
    a, b, dout = case.args
    if got is None:
        return "your function returned None: is a `return da, db` statement missing?"
    try:
        da, db = (float(v) for v in got)
    except Exception:  # noqa: BLE001
        return None
    wrong = [
        ((dout * a, dout * b), "each input's local derivative is the OTHER input: "
                               "∂(a·b)/∂a = b and ∂(a·b)/∂b = a (the multiply gate swaps)"),
        ((b, a), "the upstream gradient dout is missing: multiply each local derivative by dout "
                 "(chain rule)"),
        ((dout, dout), "that is the add gate (it passes dout through unchanged); the multiply "
                       "gate scales dout by the other input"),
        ((a, b), "neither swapped nor multiplied by dout: da = dout * b, db = dout * a"),
        ((dout * b, dout * b), "db uses b; it should use a: db = dout * a"),
        ((dout * a, dout * a), "da uses a; it should use b: da = dout * b"),
        ((-dout * b, -dout * a), "the signs are flipped"),
    ]
    for (ea, eb), msg in wrong:
        if np.isclose(da, ea) and np.isclose(db, eb) and not (
                np.isclose(ea, dout * b) and np.isclose(eb, dout * a)):
            return msg
    return None


def check_mul_backward(mul_backward):
    """Check ``mul_backward(a, b, dout) -> (da, db)`` for the gate f = a * b."""
    return check_function(
        mul_backward, mul_backward_reference, _MUL_CASES, exercise="mul_backward",
        why="A multiply gate swaps its inputs: each one's gradient is the upstream gradient "
            "times the other input.", diagnose=_diagnose_mul)


# --------------------------------------------------------------------------------------------
# tanh on a Value-like class

_TANH_POINTS = (0.5, -1.3, 0.0, 2.0, -20.0)


def _diagnose_tanh_grad(got, x):
    t = math.tanh(x)
    candidates = [
        (0.0, "the gradient never reached the input: give the new node children=(self,) and "
              "one local derivative per child, e.g. local_grads=(1 - t**2,)"),
        (t, "the local derivative is tanh(a) itself; it should be d tanh(a)/da = 1 - tanh(a)^2"),
        (1 - t, "tanh is not squared: d tanh(a)/da = 1 - tanh(a)^2"),
        (1 - x * x, "used the input a instead of the output t = tanh(a): 1 - t^2, not 1 - a^2"),
        (t * t - 1, "the sign is flipped: 1 - tanh(a)^2, not tanh(a)^2 - 1"),
        (1 + t * t, "the sign is wrong: 1 - tanh(a)^2, not 1 + tanh(a)^2"),
        (1.0, "the local derivative is 1 (the add gate's); for tanh it is 1 - tanh(a)^2"),
        (t * (1 - t), "that is the sigmoid's derivative σ(1 - σ); for tanh it is 1 - tanh(a)^2"),
    ]
    right = 1 - t * t
    for value, msg in candidates:
        if np.isclose(got, value, rtol=1e-6, atol=1e-9) and not np.isclose(value, right):
            return msg
    return None


def _plainish(value):
    """A number or array as it is; anything else as its short description (plain data)."""
    if type(value) in (int, float, str, bool, type(None)) or isinstance(value, np.number):
        return value
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        return value
    return f"{type_name(value)}: {short(value)}"


@driver
def _tanh_probe(cls, x):
    """Build ``cls(x)``, call ``.tanh()`` on it and describe the result in plain data."""
    try:
        node = cls(x)
    except Exception as exc:  # noqa: BLE001
        return {"build_error": f"{type(exc).__name__}: {exc}"}
    if not callable(getattr(type(node), "tanh", None)):
        return {"no_tanh": True}
    out = node.tanh()
    children = tuple(getattr(out, "children", ()) or ())
    return {"is_node": isinstance(out, cls), "type": type_name(out), "short": short(out),
            "none": out is None, "same": out is node,
            "input_kept": getattr(node, "data", None) == x,
            "input_data": short(getattr(node, "data", None)),
            "value": _plainish(getattr(out, "data", None)),
            "n_children": len(children), "child_is_self": len(children) == 1 and children[0] is node,
            "local_grads": [_plainish(g) for g in tuple(getattr(out, "local_grads", ()) or ())]}


def check_tanh_method(cls):
    """Check the ``tanh`` method of a Value-like class (pass the class: ``check_tanh_method(Scalar)``)."""
    exercise = "tanh_method"
    if not is_class(cls):
        return CheckResult(WRONG, exercise,
                           f"expected the class itself, got {type_name(cls)} — call "
                           f"check_tanh_method(Scalar), not check_tanh_method(Scalar(1.0))")
    name = cls.__name__
    budget = Budget()
    for x in _TANH_POINTS:
        where = f"{name}({x:g}).tanh()"
        try:
            got, error = guarded_call(_tanh_probe, Case(cls, x, label=where), budget=budget,
                                      exercise=exercise)
        except NotAttempted:
            return not_attempted(exercise)
        if isinstance(got, dict) and got.get("no_tanh"):
            return CheckResult(WRONG, exercise, f"{name} has no tanh method")
        if error:
            return CheckResult(WRONG, exercise, f"{where}: your method {error}")
        if not isinstance(got, dict) or "build_error" in got or "is_node" not in got:
            return CheckResult(WRONG, exercise, f"could not build {name}({x:g}): "
                                                f"{got.get('build_error') if isinstance(got, dict) else short(got)}")
        if not got["is_node"]:
            extra = " — is a `return` statement missing?" if got["none"] else ""
            return CheckResult(WRONG, exercise,
                               f"{where} should return a new {name} node (so it can join the "
                               f"graph), got {got['type']}: {got['short']}{extra}")
        if got["same"]:
            return CheckResult(WRONG, exercise, f"{where} returned the node itself; create a "
                                                f"new {name} for the result")
        if not got["input_kept"]:
            return CheckResult(WRONG, exercise, f"{where} changed the input's data to "
                                                f"{got['input_data']}")
        problem = compare_output(got["value"], math.tanh(x))
        if problem:
            return CheckResult(WRONG, exercise, f"{where}: the value (.data) is wrong: {problem}")
        locals_ = tuple(got["local_grads"])
        if not got["child_is_self"]:
            n = got["n_children"]
            return CheckResult(WRONG, exercise,
                               f"{where}: the new node's children should be exactly (self,), the "
                               f"node tanh was called on; got {n} child(ren)"
                               + (" — the gradient can never reach the input" if not n else ""))
        if len(locals_) != 1:
            return CheckResult(WRONG, exercise,
                               f"{where}: local_grads should hold one number per child (one here), "
                               f"got {len(locals_)}: {short(locals_)}")
        expected = 1 - math.tanh(x) ** 2
        problem = compare_output(locals_[0], expected, rtol=1e-6, atol=1e-12)
        if problem:
            msg = (f"{where}: the local derivative d tanh(a)/da at a = {x:g} is wrong: {problem}")
            try:
                extra = _diagnose_tanh_grad(float(locals_[0]), x)
            except Exception:  # noqa: BLE001
                extra = None
            if extra:
                msg += f"\nHint: {extra}"
            return CheckResult(WRONG, exercise, msg)
    return CheckResult(CORRECT, exercise,
                       "tanh joins the graph like every other operation: its value, and its local "
                       "derivative 1 - tanh² stored for the backward pass.")


# --------------------------------------------------------------------------------------------
# divide gate

def div_backward_reference(a, b, dout):
    """f = a / b; df/da = 1/b, df/db = -a/b^2; times the upstream gradient dout."""
    return (dout / b, -dout * a / b ** 2)


_DIV_CASES = [
    Case(6.0, 3.0, 1.0, label="a=6, b=3, dout=1"),
    Case(1.0, 2.0, 1.0, label="a=1, b=2, dout=1"),
    Case(-2.0, 5.0, -4.0, label="a=-2, b=5, dout=-4"),
    Case(3.0, -0.5, 2.0, label="a=3, b=-0.5, dout=2"),
    Case(0.0, 4.0, 3.0, label="a=0, b=4, dout=3"),
]


def _diagnose_div(got, case):
    a, b, dout = case.args
    try:
        da, db = (float(v) for v in got)
    except Exception:  # noqa: BLE001
        return None
    right = div_backward_reference(a, b, dout)
    wrong = [
        ((dout / b, dout * a / b ** 2), "∂(a/b)/∂b has a minus sign: a/b = a·b⁻¹ and "
                                         "d(b⁻¹)/db = −b⁻²"),
        ((1 / b, -a / b ** 2), "the upstream gradient dout is missing: multiply each local "
                               "derivative by dout (chain rule)"),
        ((dout * b, dout * a), "those are the multiply gate's derivatives; for a / b, "
                               "∂f/∂a = 1/b"),
        ((dout / b, -dout / b ** 2), "∂(a/b)/∂b = −a/b²: the factor a is missing"),
        ((dout / b, -dout * a / b), "∂(a/b)/∂b = −a/b²: b is squared"),
        ((dout / b, -dout * b / a if a else float("nan")), "∂(a/b)/∂b is −a/b², not −b/a"),
        ((-dout * a / b ** 2, dout / b), "da and db are swapped"),
    ]
    for (ea, eb), msg in wrong:
        if np.isclose(da, ea) and np.isclose(db, eb) and not (
                np.isclose(ea, right[0]) and np.isclose(eb, right[1])):
            return msg
    return None


def check_div_backward(div_backward):
    """Check ``div_backward(a, b, dout) -> (da, db)`` for the gate f = a / b."""
    return check_function(
        div_backward, div_backward_reference, _DIV_CASES, exercise="div_backward",
        why="Any gate works the same way: its local derivatives, each times the upstream "
            "gradient.", diagnose=_diagnose_div)


# --------------------------------------------------------------------------------------------
# the engine's backward pass

class _Node:
    """A bare graph node: what a backward pass may use, and nothing else."""
    __slots__ = ("data", "grad", "children", "local_grads", "label")

    def __init__(self, data, children, local_grads, label):
        self.data, self.grad = data, 0.0
        self.children, self.local_grads, self.label = children, local_grads, label

    def __repr__(self):
        return f"node {self.label}"


def _copy_graph(root):
    """Mirror a Value graph into _Nodes. Returns (new_root, [(value, node)] in topological order)."""
    from mlbook.autodiff import topological_order
    order = topological_order(root)
    made = {}
    for k, v in enumerate(order):
        label = v.label or f"#{k} ({v.op or 'leaf'} = {v.data:.4g})"
        made[v] = _Node(float(v.data), tuple(made[c] for c in v.children),
                        tuple(float(g) for g in v.local_grads), label)
    return made[root], [(v, made[v]) for v in order]


def _graphs():
    """(description, root Value) pairs, easiest first."""
    from mlbook.autodiff import Value, worked_example_graph
    out = []
    x = Value(3.0, label="x")
    out.append(("a single leaf x = 3 (d x / d x = 1)", x))
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    out.append(("the slides' f = (x + y) z at x = -2, y = 5, z = -4", f))
    x = Value(3.0, label="x")
    f = x * x
    f.label = "f"
    out.append(("f = x * x at x = 3 (x is BOTH children of one node)", f))
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    a = x * y
    a.label = "a"
    bnode = a + x
    bnode.label = "b"
    f = a * bnode
    f.label = "f"
    out.append(("a diamond: a = x y, b = a + x, f = a b at x = 2, y = -3 (a and x are used "
                "twice)", f))
    w, xn, b = Value(2.0, label="w"), Value(-1.0, label="x"), Value(3.0, label="b")
    wx = w * xn
    wx.label = "wx"
    net = wx + b
    net.label = "net"
    yv = net.sigmoid()
    yv.label = "y"
    out.append(("the sigmoid neuron y = σ(w x + b) at w = 2, x = -1, b = 3", yv))
    e_total, _ = worked_example_graph()
    out.append(("the 2-2-2 network's E_total (43 nodes)", e_total))
    return out


def _wrong_backward(kind):
    """Plausible wrong backward passes, to name a student's mistake."""
    def run(root):
        order = _topo_nodes(root)
        if kind == "assign":
            root.grad = 1.0
            for node in reversed(order):
                for child, local in zip(node.children, node.local_grads):
                    child.grad = local * node.grad
        elif kind == "forward_order":
            root.grad = 1.0
            for node in order:
                for child, local in zip(node.children, node.local_grads):
                    child.grad += local * node.grad
        elif kind == "no_upstream":
            root.grad = 1.0
            for node in reversed(order):
                for child, local in zip(node.children, node.local_grads):
                    child.grad += local
        elif kind == "no_seed":
            for node in reversed(order):
                for child, local in zip(node.children, node.local_grads):
                    child.grad += local * node.grad
        elif kind == "bfs":
            root.grad = 1.0
            queue, seen = [root], set()
            while queue:
                node = queue.pop(0)
                if id(node) in seen:
                    continue
                seen.add(id(node))
                for child, local in zip(node.children, node.local_grads):
                    child.grad += local * node.grad
                    queue.append(child)
        elif kind == "every_path":          # recursion: each node passes on what it has so far
            def push(node):
                for child, local in zip(node.children, node.local_grads):
                    child.grad += local * node.grad
                    push(child)
            root.grad = 1.0
            push(root)
    return run


_WRONG_BACKWARD = [
    ("assign", "a node used more than once got only ONE path's contribution: accumulate with "
               "`child.grad += ...`, never `=` (the paths add)."),
    ("forward_order", "the nodes are visited leaves first; the backward pass must start at the "
                      "root and visit a node only after every node that uses it (reverse "
                      "topological order)."),
    ("bfs", "a node passed its gradient on before it was complete: breadth-first order is not "
            "enough when paths of different lengths meet; visit the nodes in reverse "
            "topological order."),
    ("no_upstream", "each edge must carry local derivative × the node's gradient (chain rule), "
                    "not the local derivative alone."),
    ("no_seed", "the root's own gradient d root / d root = 1 was never set, so nothing flowed."),
    ("every_path", "a node's gradient was passed on once per path through it, on top of its "
                   "children's: each node must pass on its COMPLETE gradient exactly once."),
]


def _topo_nodes(root):
    order, done, stack = [], set(), [(root, iter(root.children))]
    on = {id(root)}
    while stack:
        node, kids = stack[-1]
        for child in kids:
            if id(child) not in done and id(child) not in on:
                on.add(id(child))
                stack.append((child, iter(child.children)))
                break
        else:
            stack.pop()
            on.discard(id(node))
            done.add(id(node))
            order.append(node)
    return order


def _graph_spec(root):
    """A Value graph as plain data: ``(nodes, pairs)`` with nodes ``[data, [child indices],
    [local grads], label]`` in topological order, and ``pairs`` as :func:`_copy_graph`'s."""
    _, pairs = _copy_graph(root)
    index = {id(n): k for k, (_, n) in enumerate(pairs)}
    nodes = [[n.data, [index[id(c)] for c in n.children], list(n.local_grads), n.label]
             for _, n in pairs]
    return nodes, pairs


@driver
def _backward_run(backward_pass, nodes, root):
    """Build bare nodes from ``nodes`` (see :func:`_graph_spec`), run ``backward_pass`` on node
    ``root`` and return every node's ``.grad`` and ``.data`` afterwards."""
    made = []
    for data, kids, local_grads, label in nodes:
        made.append(_Node(float(data), tuple(made[int(k)] for k in kids),
                          tuple(float(g) for g in local_grads), str(label)))
    backward_pass(made[int(root)])
    return [_plainish(n.grad) for n in made], [_plainish(n.data) for n in made]


def check_backward_pass(backward_pass):
    """Check ``backward_pass(root)``: afterwards every node of root's graph holds d root / d node."""
    exercise = "backward_pass"
    if not callable(backward_pass):
        return CheckResult(WRONG, exercise,
                           f"expected a function, got {type_name(backward_pass)} — pass the "
                           f"function itself: check_backward_pass(backward_pass)")
    budget, printed = Budget(), []
    for description, root in _graphs():
        root.zero_grad()
        root.backward()
        nodes, pairs = _graph_spec(root)
        root_index = next(k for k, (v, _) in enumerate(pairs) if v is root)
        try:
            got, error = guarded_call(_backward_run, Case(backward_pass, nodes, root_index,
                                                          label=description),
                                      budget=budget, printed=printed, exercise=exercise)
        except NotAttempted:
            return not_attempted(exercise)
        if error:
            return CheckResult(WRONG, exercise, f"On {description}: your function {error}")
        grads, datas = got
        numbers = [isinstance(g, (int, float, np.number)) and not isinstance(g, bool)
                   for g in grads]
        bad = []
        for k, (value, node) in enumerate(pairs):
            got_k = grads[k]
            try:
                ok = numbers[k] and bool(np.isclose(float(got_k), value.grad, rtol=1e-9,
                                                    atol=1e-12))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                bad.append((node, value.grad, got_k))
        if bad:
            node, want, got_k = bad[0]
            got_txt = (f"{float(got_k):.9g}" if isinstance(got_k, (int, float, np.number))
                       else short(got_k))
            msg = (f"On {description}:\n{len(bad)} of {len(pairs)} nodes have a wrong .grad; "
                   f"{node.label}: expected d root/d {node.label} = {want:.9g}, got {got_txt}")
            for kind, sentence in _WRONG_BACKWARD:
                twin_root, twin_pairs = _copy_graph(root)
                try:
                    _wrong_backward(kind)(twin_root)
                except RecursionError:
                    continue
                if all(np.isclose(float(n.grad), float(g), rtol=1e-9, atol=1e-12)
                       for (_, n), g, number in zip(twin_pairs, grads, numbers) if number):
                    msg += f"\nHint: {sentence}"
                    break
            return CheckResult(WRONG, exercise, msg)
        changed = [n.label for (v, n), d in zip(pairs, datas) if d != float(v.data)]
        if changed:
            return CheckResult(WRONG, exercise, f"On {description}: the backward pass changed "
                                                f"the value (.data) of {changed[0]}; it may only "
                                                f"write .grad")
    return CheckResult(CORRECT, exercise,
                       "That is the whole engine: one pass in reverse topological order, "
                       "`child.grad += local * node.grad` along every edge.")


register_hints({
    "div_backward": [
        "Write f = a / b as a · b⁻¹. With b held fixed, f is a times a constant: ∂f/∂a = 1/b.",
        "With a held fixed, f = a · b⁻¹ and d(b⁻¹)/db = −b⁻²: ∂f/∂b = −a / b².",
        "Chain rule: multiply each local derivative by the upstream gradient: "
        "`return dout / b, -dout * a / b**2`.",
    ],
    "backward_pass": [
        "First list the nodes so that every node comes AFTER all of its children (a topological "
        "order): a depth-first walk that appends a node once all its children are done; keep a "
        "`visited` set so a shared node is listed once.",
        "Seed the root: `root.grad = 1.0` (d root / d root). Then walk the list in REVERSE (root "
        "first): by the time you reach a node, every node that uses it has already sent its "
        "share, so its gradient is complete.",
        "At each node, for `child, local in zip(node.children, node.local_grads)`: "
        "`child.grad += local * node.grad` — `+=`, because a child used twice collects from both.",
    ],
    "mul_backward": [
        "For f = a * b the local derivatives are ∂f/∂a = b and ∂f/∂b = a: each input gets the "
        "*other* input.",
        "Chain rule: multiply each local derivative by the upstream gradient `dout`.",
        "`return dout * b, dout * a`",
    ],
    "tanh_method": [
        "The forward value is `t = math.tanh(self.data)`; the new node has one child, `self`.",
        "tanh(a) = sinh(a)/cosh(a). Differentiate with the quotient rule, using "
        "sinh' = cosh and cosh' = sinh, and simplify with cosh² − sinh² = 1.",
        "d tanh(a)/da = 1 − tanh(a)² = 1 − t² (use the output t, not the input): "
        "`return Scalar(t, (self,), (1 - t**2,))`.",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.activations as activations
    import mlbook.autodiff as autodiff
    import mlbook.gradcheck as gradcheck
    from .core import declare_exercise
    this = sys.modules[__name__]
    for name in ("mul_backward", "div_backward"):
        declare_exercise(name, off_limits=[this, autodiff, gradcheck, "mlbook.symbolic"])
    declare_exercise("tanh_method", off_limits=[this, autodiff, gradcheck, activations.tanh_grad,
                                                "mlbook.symbolic"])
    declare_exercise("backward_pass", off_limits=[this, autodiff, gradcheck],
                     may_use=[_Node])          # the graph's nodes: repr(node) is fine


_declare()
