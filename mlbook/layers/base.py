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
"""
import functools
import math

import numpy as np

from ..validation import check_overflow

__all__ = ["Layer"]


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
