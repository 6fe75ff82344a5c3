"""Finite-difference gradients: the referee for every hand-written backward pass.

The central difference

    df/dx_i  ~  ( f(x + eps e_i) - f(x - eps e_i) ) / (2 eps)

has error O(eps^2) from truncation and O(1e-16 / eps) from rounding; eps = 1e-6 balances the two
for float64 functions of moderate size, leaving about 1e-9 to 1e-10 absolute error.

How to read ``rel_error(analytic, numeric)`` (float64, smooth functions):

    < 1e-7   the analytic gradient is right
    1e-7 .. 1e-4   suspicious: fine near a kink (ReLU at 0, max), otherwise look again
    > 1e-4   almost certainly a bug (a missing factor, a transposed matrix, a wrong sign)
"""
import numpy as np

from .validation import as_float_array, check_callable, check_positive

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function ``f`` at the float array ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It is called with ``x`` itself, perturbed in place one entry at a
        time, so ``f`` may close over ``x`` (as layer parameters do); every entry is restored.
    x : np.ndarray of dtype float64, any shape. Lower precisions are refused (TypeError):
        in float32 (7 significant digits) the rounding error of f is ~1e-7 |f|, so the
        difference quotient is off by ~1e-7 |f| / eps — about 0.1 |f| at eps = 1e-6 — and a
        step below float32's resolution (x + eps rounding back to x, or to x + 2 eps) would
        make it silently wrong. x is perturbed in place (f may read it), so it cannot be
        computed in float64 behind f's back: pass a float64 copy and an f that reads it.
    eps : float > 0

    Returns
    -------
    np.ndarray, same shape as ``x``: ``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.
    """
    check_callable(f, "numerical_gradient: f")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"numerical_gradient: x must be a float numpy array (it is perturbed in place), "
            f"got {type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}")
    eps = check_positive(eps, "numerical_gradient: eps")
    if x.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient: x must be float64, got {x.dtype}: its rounding error "
            f"(~{np.finfo(x.dtype).eps:.0e} relative) divided by eps={eps:g} would limit the "
            f"gradient to a relative accuracy of about {np.finfo(x.dtype).eps / eps:.0e}; pass "
            f"x.astype(np.float64) (and an f that reads that copy)")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + eps
            if x[i] == old:
                raise ValueError(
                    f"numerical_gradient: eps={eps!r} is too small to change x{list(i)} = {old!r} "
                    f"in {x.dtype}; use a larger eps (or float64)")
            f_plus = _scalar(f(x))
            x[i] = old - eps
            f_minus = _scalar(f(x))
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(value):
    """f's result as a float; TypeError naming the problem if it is not one number."""
    def bad():
        shape = f" of shape {np.shape(value)}" if isinstance(value, (np.ndarray, list, tuple)) else ""
        return TypeError(f"numerical_gradient: f must return a scalar (the loss), got "
                         f"{type(value).__name__}{shape}")
    if isinstance(value, (str, bytes)):
        raise bad()
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value, dtype=object)
        if arr.size != 1:
            raise bad()
        value_ = arr.reshape(())[()]
    else:
        value_ = value
    try:
        return float(value_)
    except (TypeError, ValueError):
        raise bad() from None


def rel_error(a, b):
    """Largest relative error between two arrays: ``max |a - b| / max(1e-8, |a| + |b|)``.

    Scalars and array-likes are accepted; shapes must broadcast. Returns a Python float.
    """
    a = as_float_array(a, "rel_error: a", dtype=np.float64)
    b = as_float_array(b, "rel_error: b", dtype=np.float64)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"rel_error: shapes {a.shape} and {b.shape} do not match") from None
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
