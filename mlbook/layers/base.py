"""The contract every layer follows (cs231n style: explicit caches, shapes in docstrings).

    y  = layer.forward(x, training=True)     # caches what backward needs
    dx = layer.backward(dy)                   # fills layer.grads, returns dL/dx
    layer.params  -> {'W': array, 'b': array}  (empty for layers without parameters)
    layer.grads   -> same keys and shapes as params, filled by backward

Optimizers update ``params`` arrays in place, so a layer must never rebind them.

Overflow is checked here, once for every layer, so each ``forward``/``backward`` reads like its
formulas: a subclass's two methods run under ``np.errstate`` (no RuntimeWarning escapes), and
when finite input gives an inf/NaN result (the output, or for backward also a gradient) they
raise :class:`~mlbook.validation.FloatOverflowError` naming the input that is too large
(``x``/``dy``, a parameter, or the x cached by forward). NaN/inf in an input still propagates.

A layer whose ``backward`` takes ``input_grad=False`` (Dense, Conv2D) then fills its grads but
returns None instead of dx: a training loop does not need the gradient with respect to the
network's input (see :meth:`mlbook.layers.Sequential.backward`); the grads are still checked.

Checking a large gradient costs a pass over it (a 784 x 625 dW: as long as an optimizer's
step). A layer whose grads have a cheap bound from backward's inputs may give it,
``grads_bound(dy)``: a number (inf/NaN if unknown) that no entry of its grads exceeds in
magnitude; when it is below :data:`SAFE_BOUND` the grads are finite without looking at them.
"""
import functools
import math

import numpy as np

from ..validation import check_overflow

__all__ = ["Layer", "matmul", "SAFE_BOUND"]

SAFE_BOUND = 1e300        # far below float64's largest, 1.8e308: room for rounding


def _overflow_guarded(method, arg):
    """``method`` under np.errstate, its results checked by :func:`check_overflow`.

    The common case costs one ``sum`` per result array: only when that sum is not finite are
    the inputs gathered and :func:`check_overflow` asked which one is too large (small layers
    run thousands of times in a notebook's training loop, so the check must stay cheap).
    """
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = method(self, *args, **kwargs)
            results = [out] if _is_float_array(out) else []
            if not results and not (out is None and arg == "dy"):
                return out                         # not an array result: nothing to check
            grads = [g for g in self.grads.values() if _is_float_array(g)] \
                if arg == "dy" and getattr(self, "grads", None) else []
            if grads and hasattr(self, "grads_bound") \
                    and self.grads_bound(args[0] if args else kwargs.get(arg)) < SAFE_BOUND:
                grads = []                         # bounded, so finite: no pass over them
            results += grads                       # backward(dy, input_grad=False): grads only
            total = sum(r.sum() for r in results)
            if math.isfinite(total):               # inf - inf is NaN: never a false pass
                return out
            value = np.asarray(args[0] if args else kwargs.get(arg))
            inputs = {arg: value} if _is_float_array(value) else {}
            inputs.update((f"params[{k!r}]", v) for k, v in getattr(self, "params", {}).items()
                          if _is_float_array(v))
            cache = getattr(self, "cache", None)
            if arg == "dy" and _is_float_array(cache):
                inputs["the x of the forward pass"] = cache
            check_overflow(tuple(results), f"{type(self).__name__}.{method.__name__}", **inputs)
        return out
    guarded.overflow_guarded = True
    return guarded


def matmul(a, b):
    """``a @ b`` for 2-D arrays, computed as ``(b.T @ a.T).T`` when the product is wider than
    tall and large (at least 2**20 multiply-adds): a mini-batch times a wide weight matrix, as
    in :meth:`Dense.forward`. The same product in the other orientation, which numpy's OpenBLAS
    runs faster there (a batch of 16 times 784 x 625: 1.7x; of 64: 1.2x; see
    ``benchmarks/bench_dense.py``). The result is then a transposed (Fortran-ordered) view,
    and its last bit may differ from ``a @ b``'s, as with any other order of the same sums.
    """
    if a.ndim == 2 and b.ndim == 2 and b.shape[1] > a.shape[0] \
            and a.shape[0] * a.shape[1] * b.shape[1] >= 1 << 20:
        return (b.T @ a.T).T
    return a @ b


def _is_float_array(a):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


class Layer:
    """Base class: no parameters, identity forward. Subclasses override forward/backward
    (wrapped by the overflow guard described in the module docstring; a container such as
    Sequential sets ``overflow_guard = False``: its layers check themselves)."""

    overflow_guard = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("overflow_guard", True):
            return
        for name, arg in (("forward", "x"), ("backward", "dy")):
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "overflow_guarded", False):
                setattr(cls, name, _overflow_guarded(method, arg))

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, x, training=True):
        self.cache = None
        return x

    def backward(self, dy):
        return dy

    def zero_grad(self):
        for k, v in self.params.items():
            self.grads[k] = np.zeros_like(v)

    def __call__(self, x, training=True):
        return self.forward(x, training=training)

    def __repr__(self):
        return f"{type(self).__name__}()"
