"""Checkers of notebook 03: the reference passes, plausible mistakes fail with a message that
names them, hostile functions and classes never crash the checker."""
import math

import pytest

from mlbook.checks import HINTS, hint
from mlbook.autodiff import Value
from mlbook.checks.autodiff import (check_backward_pass, check_div_backward, check_mul_backward,
                                    check_tanh_method)


# ------------------------------------------------------------------------------------------
# multiply gate

def mul_ok(a, b, dout):
    return dout * b, dout * a


def test_mul_reference_passes():
    r = check_mul_backward(mul_ok)
    assert r and "swaps" in str(r)


@pytest.mark.parametrize("wrong, words", [
    (lambda a, b, dout: (dout * a, dout * b), "OTHER input"),
    (lambda a, b, dout: (b, a), "dout is missing"),
    (lambda a, b, dout: (dout, dout), "add gate"),
    (lambda a, b, dout: (-dout * b, -dout * a), "signs are flipped"),
    (lambda a, b, dout: (dout * b, dout * b), "db = dout * a"),
])
def test_mul_plausible_mistakes_are_named(wrong, words):
    r = check_mul_backward(wrong)
    assert not r and r.status == "wrong"
    assert words in str(r), str(r)
    assert "expected" in str(r)


def test_mul_hostile():
    def raises(a, b, dout):
        raise ZeroDivisionError("boom")

    def stub(a, b, dout):
        raise NotImplementedError("exercise")

    assert "raised ZeroDivisionError" in str(check_mul_backward(raises))
    assert check_mul_backward(stub).status == "not_attempted"
    none = str(check_mul_backward(lambda a, b, d: None))
    assert "got None" in none and "return da, db" in none
    assert "tuple of 2" in str(check_mul_backward(lambda a, b, d: dout_only(d)))
    assert "nan" in str(check_mul_backward(lambda a, b, d: (float("nan"), 1.0))).lower()
    assert "expected a number" in str(check_mul_backward(lambda a, b, d: ("x", "y")))
    assert "expected a function" in str(check_mul_backward(mul_ok(1.0, 2.0, 3.0)))


def dout_only(d):
    return (d,)


# ------------------------------------------------------------------------------------------
# tanh method of a Value-like class

def make_scalar(tanh_body):
    """A Scalar class like the notebook's, with the given tanh implementation."""

    class Scalar:
        def __init__(self, data, children=(), local_grads=()):
            self.data, self.grad = float(data), 0.0
            self.children, self.local_grads = children, local_grads

        def __mul__(self, other):
            return Scalar(self.data * other.data, (self, other), (other.data, self.data))

        def backward(self):
            order, seen = [], set()

            def visit(n):
                if id(n) not in seen:
                    seen.add(id(n))
                    for c in n.children:
                        visit(c)
                    order.append(n)
            visit(self)
            self.grad = 1.0
            for n in reversed(order):
                for c, g in zip(n.children, n.local_grads):
                    c.grad += g * n.grad

        tanh = tanh_body

    return Scalar


def tanh_ok(self):
    t = math.tanh(self.data)
    return type(self)(t, (self,), (1 - t ** 2,))


def test_tanh_reference_passes():
    r = check_tanh_method(make_scalar(tanh_ok))
    assert r and r.status == "correct"


def _wrong(local):
    def tanh(self):
        t = math.tanh(self.data)
        return type(self)(t, (self,), (local(t, self.data),))
    return tanh


@pytest.mark.parametrize("body, words", [
    (_wrong(lambda t, x: t), "tanh(a) itself"),
    (_wrong(lambda t, x: 1 - t), "not squared"),
    (_wrong(lambda t, x: 1 - x * x), "instead of the output"),
    (_wrong(lambda t, x: t * t - 1), "sign is flipped"),
    (_wrong(lambda t, x: t * (1 - t)), "sigmoid"),
    (lambda self: type(self)(math.tanh(self.data)), "gradient can never reach the input"),
])
def test_tanh_plausible_mistakes_are_named(body, words):
    r = check_tanh_method(make_scalar(body))
    assert not r and r.status == "wrong"
    assert words in str(r), str(r)


def test_tanh_wrong_value_and_structure():
    def forgot_return(self):
        type(self)(math.tanh(self.data), (self,), (1.0,))

    def returns_float(self):
        return math.tanh(self.data)

    def in_place(self):
        t = math.tanh(self.data)
        self.data = t
        return self

    def sigmoid_value(self):
        s = 1 / (1 + math.exp(-self.data))
        return type(self)(s, (self,), (s * (1 - s),))

    def bad_locals(self):
        t = math.tanh(self.data)
        return type(self)(t, (self,), (1 - t * t, 0.0))    # two local derivatives, one child

    def stub(self):
        raise NotImplementedError("exercise")

    def raises(self):
        return self.data.tanh()

    assert "return` statement missing" in str(check_tanh_method(make_scalar(forgot_return)))
    assert "a float" in str(check_tanh_method(make_scalar(returns_float)))
    assert "node itself" in str(check_tanh_method(make_scalar(in_place)))
    assert "value (.data) is wrong" in str(check_tanh_method(make_scalar(sigmoid_value)))
    assert "one number per child" in str(check_tanh_method(make_scalar(bad_locals)))
    assert check_tanh_method(make_scalar(stub)).status == "not_attempted"
    assert "raised AttributeError" in str(check_tanh_method(make_scalar(raises)))


def test_tanh_hostile_arguments():
    Scalar = make_scalar(tanh_ok)
    assert "expected the class itself" in str(check_tanh_method(Scalar(1.0)))
    assert "no tanh method" in str(check_tanh_method(int))

    class Broken:
        def __init__(self, data):
            raise ValueError("nope")

        def tanh(self):
            return self
    assert "could not build" in str(check_tanh_method(Broken))

    def nan_local(self):
        return type(self)(math.tanh(self.data), (self,), (float("nan"),))
    assert "returned nan" in str(check_tanh_method(make_scalar(nan_local)))

    def other_child(self):
        t = math.tanh(self.data)
        return type(self)(t, (type(self)(self.data),), (1 - t * t,))
    assert "children should be exactly (self,)" in str(check_tanh_method(make_scalar(other_child)))


def test_hints_registered():
    assert len(HINTS["mul_backward"]) == 3 and len(HINTS["tanh_method"]) == 3
    assert len(HINTS["div_backward"]) == 3 and len(HINTS["backward_pass"]) == 3
    assert "+=" in str(hint("backward_pass", 3)) and "REVERSE" in str(hint("backward_pass", 2))
    assert "other" in str(hint("mul_backward", 1))
    assert "1 − t²" in str(hint("tanh_method", 3)) and "1 − t²" not in str(hint("tanh_method", 1))



# ------------------------------------------------------------------------------------------
# divide gate

def div_ok(a, b, dout):
    return dout / b, -dout * a / b ** 2


def test_div_reference_passes():
    assert check_div_backward(div_ok).correct


@pytest.mark.parametrize("fn, words", [
    (lambda a, b, d: (d / b, d * a / b ** 2), "minus sign"),
    (lambda a, b, d: (1 / b, -a / b ** 2), "dout is missing"),
    (lambda a, b, d: (d * b, d * a), "multiply gate"),
    (lambda a, b, d: (d / b, -d / b ** 2), "factor a is missing"),
    (lambda a, b, d: (d / b, -d * a / b), "b is squared"),
    (lambda a, b, d: (-d * a / b ** 2, d / b), "swapped"),
])
def test_div_plausible_mistakes_are_named(fn, words):
    r = check_div_backward(fn)
    assert r.status == "wrong" and words in str(r), str(r)


@pytest.mark.parametrize("fn, words", [
    (lambda a, b, d: None, "got None"),
    (lambda a, b, d: d / b, "tuple of 2"),
    (lambda a, b, d: (float("nan"), 0.0), "nan"),
    (lambda a, b, d: 1 / 0, "raised ZeroDivisionError"),
])
def test_div_hostile(fn, words):
    assert words in str(check_div_backward(fn)).lower() or words in str(check_div_backward(fn))


# ------------------------------------------------------------------------------------------
# the engine's backward pass

def _topo(root):
    order, seen = [], set()

    def visit(n):
        if id(n) not in seen:
            seen.add(id(n))
            for c in n.children:
                visit(c)
            order.append(n)
    visit(root)
    return order


def backward_ok(root):
    root.grad = 1.0
    for node in reversed(_topo(root)):
        for child, local in zip(node.children, node.local_grads):
            child.grad += local * node.grad


def test_backward_reference_passes():
    r = check_backward_pass(backward_ok)
    assert r.correct, str(r)


def test_backward_checker_agrees_with_value_and_finite_differences():
    # the graphs the checker uses: its expected gradients are Value.backward's; check one
    # against finite differences so the reference itself is tested
    from mlbook.checks.autodiff import _graphs
    from mlbook.gradcheck import numerical_gradient
    import numpy as np
    desc, f = _graphs()[3]                       # the diamond f = (x y) (x y + x)
    f.zero_grad()
    f.backward()
    x, y = f.children[0].children                # a = x * y
    num = numerical_gradient(lambda v: (v[0] * v[1]) * (v[0] * v[1] + v[0]), np.array([2.0, -3.0]))
    assert np.allclose([x.grad, y.grad], num) and x.grad == 24.0


def _assign(root):
    root.grad = 1.0
    for node in reversed(_topo(root)):
        for child, local in zip(node.children, node.local_grads):
            child.grad = local * node.grad


def _leaves_first(root):
    root.grad = 1.0
    for node in _topo(root):
        for child, local in zip(node.children, node.local_grads):
            child.grad += local * node.grad


def _recursive_push(root):
    def push(node):
        for child, local in zip(node.children, node.local_grads):
            child.grad += local * node.grad
            push(child)
    root.grad = 1.0
    push(root)


def _no_seed(root):
    for node in reversed(_topo(root)):
        for child, local in zip(node.children, node.local_grads):
            child.grad += local * node.grad


def _bfs(root):
    root.grad, queue, seen = 1.0, [root], set()
    while queue:
        node = queue.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child, local in zip(node.children, node.local_grads):
            child.grad += local * node.grad
            queue.append(child)


def _returns_none_does_nothing(root):
    return None


@pytest.mark.parametrize("fn, words", [
    (_assign, "accumulate with `child.grad += ...`"),
    (_leaves_first, "reverse topological order"),
    (_recursive_push, "COMPLETE gradient exactly once"),
    (_no_seed, "never set"),
    (_bfs, "breadth-first"),
    (_returns_none_does_nothing, "expected d root/d x = 1, got 0"),
])
def test_backward_plausible_mistakes_are_named(fn, words):
    r = check_backward_pass(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_backward_shared_node_is_in_the_graphs():
    r = check_backward_pass(_assign)
    assert "x is BOTH children" in str(r) or "used twice" in str(r)


def test_backward_cannot_borrow_value_backward():
    def borrow(root):
        root.backward()
    assert "raised AttributeError" in str(check_backward_pass(borrow))
    borrowed = str(check_backward_pass(lambda root: Value.backward(root)))
    assert "calls mlbook.autodiff.Value.backward" in borrowed, borrowed


def test_backward_hostile():
    def stub(root):
        raise NotImplementedError("exercise")
    assert check_backward_pass(stub).status == "not_attempted"

    def changes_data(root):
        backward_ok(root)
        root.data = 0.0
    assert "changed the value (.data)" in str(check_backward_pass(changes_data))

    def string_grads(root):
        root.grad = "one"
    assert "got 'one'" in str(check_backward_pass(string_grads))
    assert "expected a function" in str(check_backward_pass(backward_ok(Value(1.0))))

    def deep_recursion(root):
        def visit(n):
            visit(n)
        visit(root)
    assert "raised RecursionError" in str(check_backward_pass(deep_recursion))
