"""A tiny scalar reverse-mode autodiff: backpropagation as the chain rule on a graph.

Every arithmetic operation on :class:`Value` objects builds one node of a computational graph.
A node remembers

* ``data`` — the number computed on the forward pass,
* ``children`` — the Values it was computed from,
* ``local_grads`` — one local derivative per child, d(node)/d(child), written *in the operation
  itself*, right next to the forward formula (so ``a * b`` stores ``(b, a)``),
* ``op`` and ``label`` — what to print when the graph is drawn.

``root.backward()`` then applies the chain rule once per edge, in reverse topological order:

    dRoot/dchild  +=  d(node)/d(child)  *  dRoot/d(node)
                      (local derivative)   (upstream gradient)

The ``+=`` is what makes shared subexpressions right: a node used twice receives one
contribution from each use, and its gradient is their sum (the multivariable chain rule).

Example (the slides' ``f = (x + y) z`` at x = -2, y = 5, z = -4)::

    >>> x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    >>> q = x + y; f = q * z
    >>> f.backward()
    >>> f.data, q.grad, x.grad, y.grad, z.grad
    (-12.0, -4.0, -4.0, -4.0, 3.0)

Gradients accumulate
--------------------
``backward()`` *adds* d(self)/d(node) to ``node.grad`` for every node of the graph, exactly
like PyTorch accumulates ``.grad``. Calling it twice on the same graph therefore doubles every
gradient. To start from zero, call ``root.zero_grad()`` (sets ``.grad = 0`` on every node of
root's graph) before ``root.backward()``; a freshly built graph starts at zero.

The graph walk is iterative (an explicit stack, no recursion), so graphs of any depth work.
"""
import math

from .validation import check_number

__all__ = ["Value", "LOCAL_DERIVATIVES", "topological_order", "forward_mode_gradient",
           "reverse_mode_gradient", "worked_example_graph"]

# The local derivative of every operation, as text (the notebook prints this table;
# each one is implemented right next to its forward formula in Value below).
LOCAL_DERIVATIVES = {
    "+": "d(a + b)/da = 1,  d(a + b)/db = 1",
    "-": "d(a - b)/da = 1,  d(a - b)/db = -1",
    "*": "d(a * b)/da = b,  d(a * b)/db = a",
    "/": "d(a / b)/da = 1/b,  d(a / b)/db = -a/b^2",
    "**k": "d(a^k)/da = k a^(k-1)   (k a constant)",
    "c**": "d(c^a)/da = c^a ln c   (c > 0 a constant)",
    "neg": "d(-a)/da = -1",
    "exp": "d(e^a)/da = e^a",
    "log": "d(ln a)/da = 1/a",
    "tanh": "d(tanh a)/da = 1 - tanh(a)^2",
    "σ": "d(σ(a))/da = σ(a) (1 - σ(a))",
    "relu": "d(relu a)/da = 1 if a > 0 else 0",
    "max": "d max(a, b)/da = 1 if a >= b else 0 (and the other way round for b)",
}


def _float_op(fn, *args):
    """``fn(*args)`` on Python floats, an overflow giving inf — which Value() then refuses,
    naming the operation (so no operation below needs its own overflow check)."""
    try:
        return fn(*args)
    except OverflowError:
        return math.inf


class Value:
    """One scalar node of a computational graph.

    Parameters
    ----------
    data : a real number (int, float, numpy scalar; not bool), finite
    label : optional name shown when the graph is drawn (e.g. ``"w5"``)

    Attributes
    ----------
    data : float        the forward value
    grad : float        d(root)/d(this node), filled in by ``root.backward()`` (starts at 0)
    children : tuple    the Values this node was computed from (empty for a leaf)
    local_grads : tuple d(this node)/d(child), one per child
    op : str            the operation that made it ('' for a leaf)
    label : str
    """

    __array_ufunc__ = None   # numpy scalars on the left (np.float64(2) * v) defer to Value

    def __init__(self, data, children=(), local_grads=(), op="", label=""):
        # every check lives here, once: the operations below read like their formulas
        if isinstance(data, Value):
            raise TypeError("Value(data): data is already a Value; use it directly")
        data = check_number(data, "Value(data): data" + (f" (the result of {op!r}, which "
                                                          f"overflows float64)" if op else ""))
        local_grads = tuple(float(g) for g in local_grads)
        if len(children) != len(local_grads) or not all(map(math.isfinite, local_grads)):
            raise ValueError(f"Value: the local derivative of {op!r} is not finite at this point "
                             f"(value {data:g}, local derivatives {local_grads})")
        self.data = data
        self.grad = 0.0
        self.children = tuple(children)
        self.local_grads = local_grads
        self.op = op
        self.label = str(label)

    def __repr__(self):
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"

    @staticmethod
    def _lift(other):
        """A plain number becomes a constant leaf, labelled with its value."""
        if isinstance(other, Value):
            return other
        leaf = Value(other)
        leaf.label = f"{leaf.data:g}"
        return leaf

    # ---------------------------------------------------------------------------------------
    # binary operations: forward value, and the local derivative of each input next to it

    def __add__(self, other):
        other = self._lift(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")    # d/da = 1, d/db = 1

    def __sub__(self, other):
        other = self._lift(other)
        return Value(self.data - other.data, (self, other), (1.0, -1.0), "-")   # 1, -1

    def __mul__(self, other):
        other = self._lift(other)
        a, b = self.data, other.data
        return Value(a * b, (self, other), (b, a), "*")               # d/da = b, d/db = a

    def __truediv__(self, other):
        other = self._lift(other)
        a, b = self.data, other.data
        if b == 0:
            raise ZeroDivisionError(f"Value division: the divisor is 0 (dividend {a:g})")
        return Value(a / b, (self, other), (1.0 / b, -(a / b) / b), "/")  # d/da = 1/b, d/db = -a/b²

    def __pow__(self, k):
        """``a ** k`` for a constant ``k`` (a plain number); d(a^k)/da = k a^(k-1)."""
        if isinstance(k, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a plain "
                            "number (for a Value exponent write (b * a.log()).exp())")
        a, k = self.data, check_number(k, "exponent")
        if a == 0 and k < 1 and k != 0:
            raise ValueError(f"Value ** {k:g}: the base is 0, where a^{k:g} or its derivative "
                             f"is infinite")
        if a < 0 and not k.is_integer():
            raise ValueError(f"Value ** {k:g}: the base {a:g} is negative and the exponent is "
                             f"not an integer (the result is not a real number)")
        local = 0.0 if k == 0 else k * _float_op(pow, a, k - 1)       # d(a^k)/da = k a^(k-1)
        return Value(_float_op(pow, a, k), (self,), (local,), f"**{k:g}")

    def __rpow__(self, c):
        """``c ** a`` for a constant base ``c > 0``; d(c^a)/da = c^a ln c."""
        c = check_number(c, "base")
        if c <= 0:
            raise ValueError(f"{c:g} ** Value: the base must be positive, got {c:g}")
        out = _float_op(pow, c, self.data)
        return Value(out, (self,), (out * math.log(c),), f"{c:g}**")   # d/da = c^a ln c

    # reflected operations: the plain number is on the left
    def __radd__(self, other):                 # other + self
        return self + other

    def __rmul__(self, other):                 # other * self
        return self * other

    def __rsub__(self, other):                 # other - self
        return self._lift(other) - self

    def __rtruediv__(self, other):             # other / self
        return self._lift(other) / self

    # ---------------------------------------------------------------------------------------
    # one-input operations

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,), "neg")             # d(-a)/da = -1

    def exp(self):
        e = _float_op(math.exp, self.data)
        return Value(e, (self,), (e,), "exp")                          # d(e^a)/da = e^a

    def log(self):
        a = self.data
        if a <= 0:
            raise ValueError(f"log needs a positive value, got {a:g}")
        return Value(math.log(a), (self,), (1.0 / a,), "log")          # d(ln a)/da = 1/a

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")               # d(tanh a)/da = 1 - tanh²

    def sigmoid(self):
        a = self.data
        e = math.exp(-abs(a))                      # e^-|a| never overflows
        s = 1.0 / (1.0 + e) if a >= 0 else e / (1.0 + e)
        return Value(s, (self,), (s * (1.0 - s),), "σ")                # dσ/da = σ (1 - σ)

    def relu(self):
        a = self.data
        return Value(max(a, 0.0), (self,), (1.0 if a > 0 else 0.0,), "relu")  # 1 if a > 0 else 0

    def maximum(self, other):
        """max(self, other): routes the gradient to the larger input (ties go to self)."""
        other = self._lift(other)
        a, b = self.data, other.data
        return Value(max(a, b), (self, other), (1.0, 0.0) if a >= b else (0.0, 1.0), "max")

    # ---------------------------------------------------------------------------------------
    # the backward pass

    def topological_order(self):
        """Every node of the graph below ``self``, each listed after all of its children.

        Leaves come first, ``self`` comes last. Iterative depth-first search (no recursion).
        """
        return topological_order(self)

    def backward(self, grad=1.0):
        """Add d(self)/d(node) * ``grad`` to ``node.grad`` for every node of the graph.

        One pass in reverse topological order: when a node is reached, every node that uses it
        has already sent its contribution, so its gradient is complete and can be passed on.
        Gradients *accumulate* (``+=``): call :meth:`zero_grad` first to start from zero.
        """
        grad = check_number(grad, "backward(grad): grad")
        order = topological_order(self)
        upstream = {node: 0.0 for node in order}       # this pass's dSelf/dnode
        upstream[self] = grad                         # dSelf/dSelf = 1
        for node in reversed(order):                  # self first, leaves last
            for child, local in zip(node.children, node.local_grads):
                upstream[child] += local * upstream[node]   # the chain rule, one edge
        for node in order:
            node.grad += upstream[node]

    def zero_grad(self):
        """Set ``.grad = 0`` on every node of this graph (before a fresh ``backward()``)."""
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root):
    """Nodes of ``root``'s graph, children before parents; ``root`` last. No recursion.

    A node reachable along several paths appears once.
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: root must be a Value, got {type(root).__name__}")
    order, done, on_stack = [], set(), set()
    stack = [(root, iter(root.children))]
    on_stack.add(root)
    while stack:
        node, kids = stack[-1]
        for child in kids:
            if child not in done and child not in on_stack:
                on_stack.add(child)
                stack.append((child, iter(child.children)))
                break
        else:                                       # every child finished: emit the node
            stack.pop()
            on_stack.discard(node)
            done.add(node)
            order.append(node)
    return order


# -------------------------------------------------------------------------------------------
# why reverse mode: both modes on the same graph, counting chain-rule multiply-adds

def _check_inputs(root, inputs):
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    if isinstance(inputs, Value):
        raise TypeError("inputs must be a list of Value objects, e.g. [a, b]; got a single "
                        "Value (wrap it: [x])")
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"inputs must be a list of Value objects, e.g. [a, b]; got "
                        f"{type(inputs).__name__}")
    inputs = list(inputs)
    if not all(isinstance(v, Value) for v in inputs):
        raise TypeError("inputs must be a sequence of Value objects")
    return inputs


def forward_mode_gradient(root, inputs):
    """d(root)/d(x) for every x in ``inputs`` by forward mode: one sweep *per input*.

    Sweep for input x: tangent(x) = 1, then in topological order
    tangent(node) = sum over children of d(node)/d(child) * tangent(child).

    Returns ``(grads, multiply_adds)``: the list of derivatives and how many chain-rule
    multiply-adds (one per edge per sweep) it took: n_inputs x n_edges.
    """
    inputs = _check_inputs(root, inputs)
    order = topological_order(root)
    grads, count = [], 0
    for x in inputs:
        tangent = {}
        for node in order:
            if node is x:
                tangent[node] = 1.0
                continue
            t = 0.0
            for child, local in zip(node.children, node.local_grads):
                t += local * tangent[child]
                count += 1
            tangent[node] = t
        grads.append(tangent[root])
    return grads, count


def reverse_mode_gradient(root, inputs):
    """d(root)/d(x) for every x in ``inputs`` by reverse mode: *one* backward sweep.

    Same chain rule as :meth:`Value.backward`, without touching ``.grad``. Returns
    ``(grads, multiply_adds)`` with multiply_adds = n_edges, whatever the number of inputs.
    """
    inputs = _check_inputs(root, inputs)
    order = topological_order(root)
    upstream = {node: 0.0 for node in order}
    upstream[root] = 1.0
    count = 0
    for node in reversed(order):
        for child, local in zip(node.children, node.local_grads):
            upstream[child] += local * upstream[node]
            count += 1
    return [upstream.get(x, 0.0) for x in inputs], count


# -------------------------------------------------------------------------------------------
# the worked example as a graph

def worked_example_graph(params=None, inputs=None, targets=None):
    """The 2-2-2 network of :mod:`mlbook.worked_example` built from Values.

    Sigmoid neurons, one shared bias per layer, E_total = sum 1/2 (target - out)^2::

        net_h1 = w1 i1 + w2 i2 + b1     net_o1 = w5 out_h1 + w6 out_h2 + b2
        net_h2 = w3 i1 + w4 i2 + b1     net_o2 = w7 out_h1 + w8 out_h2 + b2

    Returns ``(E_total, nodes)``: the root Value, and a dict of every named node (the ten
    parameters w1..w8, b1, b2, the inputs i1, i2, and net_*, out_*, E_o1, E_o2, E_total).
    ``E_total.backward()`` then fills ``nodes['w1'].grad`` ... with dE_total/dw1 ...
    """
    from mlbook import worked_example as we

    params = dict(we.INITIAL_PARAMS if params is None else params)
    i1, i2 = we.INPUTS if inputs is None else inputs
    t1, t2 = we.TARGETS if targets is None else targets
    missing = sorted(set(we.INITIAL_PARAMS) - set(params))
    if missing:
        raise ValueError(f"params is missing {missing}")
    n = {name: Value(params[name], label=name) for name in we.INITIAL_PARAMS}
    n["i1"], n["i2"] = Value(i1, label="i1"), Value(i2, label="i2")

    def neuron(wa, xa, wb, xb, b, name):
        prod_a, prod_b = wa * xa, wb * xb
        prod_a.label, prod_b.label = f"{wa.label}·{xa.label}", f"{wb.label}·{xb.label}"
        net = prod_a + prod_b + b
        net.label = f"net_{name}"
        out = net.sigmoid()
        out.label = f"out_{name}"
        n[net.label], n[out.label] = net, out
        return out

    out_h1 = neuron(n["w1"], n["i1"], n["w2"], n["i2"], n["b1"], "h1")
    out_h2 = neuron(n["w3"], n["i1"], n["w4"], n["i2"], n["b1"], "h2")
    out_o1 = neuron(n["w5"], out_h1, n["w6"], out_h2, n["b2"], "o1")
    out_o2 = neuron(n["w7"], out_h1, n["w8"], out_h2, n["b2"], "o2")
    def error(t, out, k):
        diff = t - out
        diff.label = f"t{k}−out_o{k}"
        e = 0.5 * diff ** 2
        e.label = f"E_o{k}"
        return e

    e_o1, e_o2 = error(t1, out_o1, 1), error(t2, out_o2, 2)
    e_total = e_o1 + e_o2
    e_total.label = "E_total"
    n.update(E_o1=e_o1, E_o2=e_o2, E_total=e_total)
    return e_total, n
