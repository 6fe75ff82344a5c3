"""Argument checks shared by every mlbook module — the one place they live.

Each function checks one kind of argument and returns it in the form the caller computes with,
so a public function reads like its formula::

    lr = check_positive(lr, "lr")
    x = as_float_array(x, "x", ndim=2)

Conventions (the same everywhere in mlbook):

* ``TypeError`` for a wrong *type* (a string where a number belongs, a float where an integer
  belongs, a complex array), ``ValueError`` for a wrong *value* (negative, non-finite, wrong
  shape, empty). The message names the argument and says what was expected and what came.
* Booleans are not numbers here: ``lr=True`` is a TypeError.
* NaN policy: arrays may hold NaN/inf unless the caller asks for ``finite=True``; functions
  that accept them propagate them (NaN in, NaN out — never silently 0).
* Randomness: every function that draws takes ``rng`` — ``None`` (fresh, unseeded), an
  ``int`` seed, or a ``numpy.random.Generator`` — and turns it into a Generator with
  :func:`as_rng`.
"""
import numbers

import numpy as np

__all__ = ["as_rng", "check_int", "check_number", "check_positive", "check_probability",
           "check_flag", "check_choice", "as_float_array", "check_same_shape"]


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
            raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if finite and not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_positive(value, name):
    """A positive finite number → float (learning rates, eps, strengths)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive finite number, got {_describe(value)}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return float(value)


def check_probability(value, name="p", *, allow_one=False):
    """A probability in [0, 1) (or [0, 1] with ``allow_one``) → float."""
    value = check_number(value, name)
    if not (0.0 <= value < 1.0 or (allow_one and value == 1.0)):
        interval = "[0, 1]" if allow_one else "[0, 1)"
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


def as_float_array(x, name, *, ndim=None, shape=None, allow_empty=False, finite=False,
                   dtype=None):
    """Array-like of real numbers → ndarray of a floating dtype.

    Integers and bools become float64; float32/float64 stay as they are unless ``dtype`` is
    given. Strings, objects and complex numbers are a TypeError. ``ndim`` (an int or a tuple of
    allowed ints) and ``shape`` (a tuple, ``None`` entries match anything) are checked; an empty
    array is a ValueError unless ``allow_empty``; with ``finite=True`` NaN/inf are a ValueError.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got a string")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
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
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers only (it has NaN or inf)")
    return arr


def check_same_shape(a, b, name_a, name_b):
    """Raise ValueError unless arrays ``a`` and ``b`` have the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name_a} and {name_b} must have the same shape, "
                         f"got {np.shape(a)} and {np.shape(b)}")
