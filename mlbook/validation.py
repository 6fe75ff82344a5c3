"""Argument checks shared by every mlbook module — the one place they live.

Each function checks one kind of argument and returns it in the form the caller computes with,
so a public function reads like its formula::

    lr = check_positive(lr, "lr")
    x = as_float_array(x, "x", ndim=2)

Conventions (the same everywhere in mlbook):

* ``TypeError`` for a wrong *type* (a string where a number belongs, a float where an integer
  belongs, a complex array), ``ValueError`` for a wrong *value* (negative, non-finite, wrong
  shape, empty). The message names the argument and says what was expected and what came.
* Booleans are not numbers here: ``lr=True`` is a TypeError, and so is a boolean array where
  numbers belong (an image, an input, a gradient): ``x.astype(float)`` says 0/1 on purpose.
* NaN policy: arrays may hold NaN/inf unless the caller asks for ``finite=True``; functions
  that accept them propagate them (NaN in, NaN out — never silently 0).
* Overflow policy: a result that overflows float64 although every input was finite is a
  :class:`FloatOverflowError` (a ValueError and an OverflowError) naming the input that is too
  large — never a silent inf with numpy's RuntimeWarning (:func:`check_overflow`).
* Randomness: every function that draws takes ``rng`` — ``None`` (fresh, unseeded), an
  ``int`` seed, or a ``numpy.random.Generator`` — and turns it into a Generator with
  :func:`as_rng`.
"""
import numbers

import numpy as np

__all__ = ["as_rng", "check_int", "check_number", "check_positive", "check_probability",
           "check_flag", "check_choice", "check_callable", "as_float_array", "check_same_shape",
           "check_param_dicts", "FloatOverflowError", "check_overflow"]


class FloatOverflowError(OverflowError, ValueError):
    """Finite inputs whose result is beyond float64 (|x| > 1.8e308). It is an OverflowError
    (what happened) and a ValueError (an input value too large); the message names the input."""


def _describe(value):
    return f"{value!r} ({type(value).__name__})"


def as_rng(rng, name="rng"):
    """``None`` → a fresh unseeded Generator; an int seed ≥ 0 → ``default_rng(seed)``;
    a ``numpy.random.Generator`` → itself (so draws continue its stream)."""
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be None, an integer seed or a numpy.random.Generator, "
                    f"got {_describe(rng)}")


def check_int(value, name, *, minimum=None, maximum=None):
    """An integer (Python or numpy; not bool, not float) within [minimum, maximum] → int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def check_number(value, name, *, finite=True, low=None, high=None, low_open=False,
                 high_open=False):
    """A real number (not bool, not complex) → float, optionally finite and within bounds.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
            value = value.item()
        else:
            raise TypeError(f"{name} must be a real number "
                            f"({_requirement(finite, low, high, low_open, high_open)}), "
                            f"got {_describe(value)}")
    value = float(value)
    ok = (not finite or np.isfinite(value)) and not np.isnan(value)
    if low is not None:
        ok = ok and (value > low if low_open else value >= low)
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:
        raise ValueError(f"{name} must be {_requirement(finite, low, high, low_open, high_open)}"
                         f", got {value}")
    return value


def _requirement(finite, low, high, low_open, high_open):
    """'a finite number >= 0', 'a finite number in (0, 1)', ... — the whole rule, in words."""
    text = "a finite number" if finite else "a number (not NaN)"
    if low is not None and high is not None:
        return f"{text} in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{text} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{text} {'<' if high_open else '<='} {high:g}"
    return text


def check_positive(value, name):
    """A positive finite number → float (learning rates, eps, strengths)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive finite number, got {_describe(value)}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return float(value)


def check_probability(value, name="p", *, allow_one=False):
    """A probability in [0, 1) (or [0, 1] with ``allow_one``) → float."""
    interval = "[0, 1]" if allow_one else "[0, 1)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a probability in {interval} (a real number), "
                        f"got {_describe(value)}")
    value = float(value)
    if not (0.0 <= value < 1.0 or (allow_one and value == 1.0)):
        raise ValueError(f"{name} must be a probability in {interval}, got {value}")
    return value


def check_flag(value, name):
    """A bool (or numpy bool) → bool. Strings such as ``"yes"`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_describe(value)}")
    return bool(value)


def check_choice(value, name, choices):
    """One of ``choices`` (strings) → value; the message lists the valid ones."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                         f"got {value!r}")
    return value


def check_callable(value, name):
    """A callable (function, layer method, ...) → itself."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {_describe(value)}")
    return value


def as_float_array(x, name, *, ndim=None, shape=None, allow_empty=False, finite=False,
                   dtype=None):
    """Array-like of real numbers → ndarray of a floating dtype.

    Integers become float64; float32/float64 stay as they are unless ``dtype`` is
    given. Booleans, strings, objects and complex numbers are a TypeError. ``ndim`` (an int or a tuple of
    allowed ints) and ``shape`` (a tuple, ``None`` entries match anything: shown as N for the
    first axis, the batch, and "any" elsewhere) are checked; an empty
    array is a ValueError unless ``allow_empty`` — or unless ``shape`` is given and only the
    batch (first) axis is 0: an empty batch, which layers pass through like numpy and PyTorch;
    with ``finite=True`` NaN/inf are a ValueError.
    """
    want = "a real number or an array of real numbers"
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be {want}, got a string {x!r:.40}")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError):
        raise TypeError(f"{name} must be {want}, got a ragged or non-numeric "
                        f"{type(x).__name__}") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be {want}, got complex dtype {arr.dtype}")
    if arr.dtype.kind == "b":
        raise TypeError(f"{name} must be {want}, got a boolean "
                        f"{'array' if arr.ndim else 'value'} (True/False are not numbers here; "
                        f"use .astype(float) to mean 1/0)")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {want}, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must be a {want}-D array, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            dims = [("N" if i == 0 else "any") if s is None else str(s) for i, s in enumerate(shape)]
            want = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    empty_batch = shape is not None and arr.ndim > 0 and arr.shape[0] == 0 and all(arr.shape[1:])
    if not allow_empty and arr.size == 0 and not empty_batch:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must hold finite numbers only; it has {bad} NaN or inf "
                         f"entr{'y' if bad == 1 else 'ies'} (bad data)")
    return arr


def check_same_shape(a, b, name_a, name_b):
    """Raise ValueError unless arrays ``a`` and ``b`` have the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, "
                         f"got {np.shape(a)} and {np.shape(b)}")


def check_param_dicts(params, grads):
    """``params`` and ``grads``: dicts with the same keys; ``params`` float arrays (updated in
    place), ``grads`` arrays of the same shapes. Returns nothing; raises naming the entry."""
    for name, d in (("params", params), ("grads", grads)):
        if not hasattr(d, "keys"):
            raise TypeError(f"{name} must be a dict {{name: array}}, got {type(d).__name__}")
    if params.keys() != grads.keys():
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        parts = [f"missing {missing}"] * bool(missing) + [f"unexpected {extra}"] * bool(extra)
        raise ValueError(f"grads must have the same keys as params: {'; '.join(parts)}")
    for k, p in params.items():
        g = grads[k]
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(f"params[{k!r}] must be a float numpy array (it is updated in place), "
                            f"got {type(p).__name__}"
                            + (f" of dtype {p.dtype}" if isinstance(p, np.ndarray) else ""))
        if not p.flags.writeable:
            raise ValueError(f"params[{k!r}] is read-only, but an optimizer updates it in place; "
                             f"pass a writeable array (e.g. its .copy())")
        if not isinstance(g, np.ndarray) or g.dtype.kind not in "iuf":
            raise TypeError(f"grads[{k!r}] must be a numpy array of real numbers, got "
                            f"{type(g).__name__}"
                            + (f" of dtype {g.dtype}" if isinstance(g, np.ndarray) else ""))
        if g.shape != p.shape:
            raise ValueError(f"grads[{k!r}] has shape {g.shape} but params[{k!r}] has shape "
                             f"{p.shape}; they must match")


def check_overflow(result, who, **inputs):
    """``result`` (an array, a number or a tuple of them), unless finite ``inputs`` overflowed.

    When ``result`` holds inf/NaN although every array in ``inputs`` (name=value) is finite,
    float64 overflowed: :class:`FloatOverflowError` naming the input with the largest
    magnitude. NaN/inf already in an input may propagate (NaN in, NaN out). The common case,
    a finite result, costs one sum per array (compute it under ``np.errstate(over="ignore",
    invalid="ignore")``, so no RuntimeWarning escapes either way).
    """
    parts = result if isinstance(result, tuple) else (result,)
    with np.errstate(over="ignore", invalid="ignore"):
        # fast path: one sum each, over the array in its own memory order (no copy of a
        # transposed or strided view: a layer's outputs often are)
        if all(np.isfinite(np.sum(np.ravel(r, order="K"))) for r in parts):
            return result
        if all(np.isfinite(r).all() for r in parts):            # the sum itself overflowed
            return result
        arrays = {k: np.asarray(v) for k, v in inputs.items()}
        if not all(np.isfinite(a).all() for a in arrays.values()):
            return result
    sizes = {k: float(np.max(np.abs(a))) if a.size else 0.0 for k, a in arrays.items()}
    name = max(sizes, key=sizes.get)
    raise FloatOverflowError(f"{who}: the result overflows float64 (beyond "
                             f"{np.finfo(np.float64).max:.3g}) for these finite inputs; {name} "
                             f"holds values up to {sizes[name]:.3g} in magnitude — scale {name} "
                             f"down")
