"""Activation functions and their derivatives (elementwise).

``NAME(x)`` is the activation, ``NAME_grad(x)`` is d NAME / dx evaluated at the same ``x``.
Every function accepts a Python number, a list or a numpy array of any shape; integers are
promoted to float. A 0-d input gives a Python ``float``, an array input an array of the same
shape. No formula here overflows or divides 0 by 0, for any finite input (try ``x = ±1000``).

Derivative convention at kinks
------------------------------
ReLU, leaky ReLU and ELU (with alpha != 1) have a kink at ``x = 0`` where the derivative is
not defined. mlbook uses the **left derivative** there, i.e. the ``x <= 0`` branch::

    relu_grad(0) = 0      leaky_relu_grad(0) = alpha      elu_grad(0) = alpha

This matches PyTorch's backward passes for ReLU, LeakyReLU and ELU, and the lecture slide's
``g'(a) = 1_{a > 0}`` for ReLU. Any value in [left, right] is a valid *subgradient*; the choice
almost never matters because a float pre-activation is exactly 0 with probability ~0. Finite
differences straddling the kink give the average of the two sides, so gradient checks are done
away from kinks.

Also here:

* ``softmax(x, axis=-1)`` and ``log_softmax(x, axis=-1)``, stable for any finite input;
* ``ACTIVATIONS`` — ``{'sigmoid': (sigmoid, sigmoid_grad), ...}`` and ``get_activation(name)``;
* ``maxout`` / ``maxout_backward``: the gradient of a max goes to the piece that won (the
  ``Maxout`` layer built on them lives in :mod:`mlbook.layers.maxout`, the vanishing-gradient
  experiment ``deep_mlp_gradient_norms`` in :mod:`mlbook.layers.depth`; import both from
  :mod:`mlbook.layers` — this module imports nothing from the layers, which build on it).
"""
import functools

import numpy as np

from .validation import as_float_array, check_int, check_number, check_positive

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "elu", "elu_grad", "softplus", "softplus_grad",
    "swish", "swish_grad", "softmax", "log_softmax",
    "ACTIVATIONS", "ALPHA_DEFAULTS", "get_activation",
    "maxout", "maxout_backward",
]


# --------------------------------------------------------------------------------------------
# input handling

_REAL = {"allow_empty": True, "dtype": np.float64}   # how as_float_array reads every x here


def _out(arr):
    """0-d results become Python floats, arrays stay arrays."""
    return arr if arr.ndim else float(arr)


def _nan_passes(f):
    """NaN in -> NaN out, without a RuntimeWarning: numpy < 2 warns "invalid value" when a NaN
    goes through expm1/exp/log1p (numpy 2 does not); the NaN itself is the documented result."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        with np.errstate(invalid="ignore"):
            return f(*args, **kwargs)
    return wrapper


def _keep_nan(x, y):
    """``y`` with NaN wherever ``x`` is NaN (a comparison such as ``x > 0`` would turn it into a
    plain branch value: NaN in must give NaN out)."""
    return np.where(np.isnan(x), np.nan, y)


# --------------------------------------------------------------------------------------------
# sigmoid

@_nan_passes
def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), in (0, 1); computed without overflow for any x."""
    x = as_float_array(x, "sigmoid: x", **_REAL)
    e = np.exp(-np.abs(x))          # in (0, 1]: never overflows
    out = np.where(x >= 0, 1.0, e)  # the numerator: 1 where x >= 0, else e^-|x| = e^x
    out /= 1.0 + e
    return _out(out)


@_nan_passes
def sigmoid_grad(x):
    """sigma'(x) = sigma(x) (1 - sigma(x)); at most 1/4 (at x = 0).

    Computed as e^-|x| / (1 + e^-|x|)^2 — the same number, but it keeps full relative
    precision for large |x| where 1 - sigma(x) would round to 0.
    """
    x = as_float_array(x, "sigmoid_grad: x", **_REAL)
    e = np.exp(-np.abs(x))
    return _out(e / (1.0 + e) ** 2)


# --------------------------------------------------------------------------------------------
# tanh

@_nan_passes
def tanh(x):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2 sigma(2x) - 1, in (-1, 1); zero-centred."""
    return _out(np.tanh(as_float_array(x, "tanh: x", **_REAL)))


@_nan_passes
def tanh_grad(x):
    """tanh'(x) = 1 - tanh(x)^2; at most 1 (at x = 0).

    Computed as 4 e^-2|x| / (1 + e^-2|x|)^2 (= sech^2 x), exact in relative terms for large |x|.
    """
    x = as_float_array(x, "tanh_grad: x", **_REAL)
    e = np.exp(-np.abs(x)) ** 2          # e^-2|x| (written so that 2|x| cannot overflow)
    return _out(4.0 * e / (1.0 + e) ** 2)


# --------------------------------------------------------------------------------------------
# ReLU family

def relu(x):
    """relu(x) = max(0, x)."""
    x = as_float_array(x, "relu: x", **_REAL)
    return _out(np.where(x <= 0, 0.0, x))                  # NaN stays NaN


def relu_grad(x):
    """relu'(x) = 1 if x > 0 else 0 (so relu_grad(0) = 0, the convention at the kink)."""
    x = as_float_array(x, "relu_grad: x", **_REAL)
    return _out(_keep_nan(x, np.where(x > 0, 1.0, 0.0)))


def leaky_relu(x, alpha=0.01):
    """leaky_relu(x) = x if x > 0 else alpha x, with a small slope alpha >= 0 (0 gives ReLU)."""
    alpha = check_number(alpha, "leaky_relu: alpha", low=0)
    x = as_float_array(x, "leaky_relu: x", **_REAL)
    return _out(np.where(x > 0, x, alpha * x))


def leaky_relu_grad(x, alpha=0.01):
    """leaky_relu'(x) = 1 if x > 0 else alpha (alpha at the kink x = 0)."""
    alpha = check_number(alpha, "leaky_relu_grad: alpha", low=0)
    x = as_float_array(x, "leaky_relu_grad: x", **_REAL)
    return _out(_keep_nan(x, np.where(x > 0, 1.0, alpha)))


@_nan_passes
def elu(x, alpha=1.0):
    """elu(x) = x if x > 0 else alpha (e^x - 1); alpha > 0, saturates at -alpha for x -> -inf."""
    alpha = check_positive(alpha, "elu: alpha")
    x = as_float_array(x, "elu: x", **_REAL)
    return _out(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))))


@_nan_passes
def elu_grad(x, alpha=1.0):
    """elu'(x) = 1 if x > 0 else alpha e^x  (= elu(x) + alpha); alpha at the kink x = 0."""
    alpha = check_positive(alpha, "elu_grad: alpha")
    x = as_float_array(x, "elu_grad: x", **_REAL)
    return _out(np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0))))


# --------------------------------------------------------------------------------------------
# smooth ReLU-likes

@_nan_passes
def softplus(x):
    """softplus(x) = log(1 + e^x), a smooth ReLU; computed as max(x, 0) + log1p(e^-|x|)."""
    x = as_float_array(x, "softplus: x", **_REAL)
    return _out(np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))))


@_nan_passes
def softplus_grad(x):
    """softplus'(x) = e^x / (1 + e^x) = sigma(x)."""
    as_float_array(x, "softplus_grad: x", **_REAL)
    return sigmoid(x)


@_nan_passes
def swish(x):
    """swish(x) = x sigma(x) (also called SiLU); smooth, non-monotonic, unbounded above."""
    x = as_float_array(x, "swish: x", **_REAL)
    return _out(x * sigmoid(x))


@_nan_passes
def swish_grad(x):
    """swish'(x) = sigma(x) + x sigma(x)(1 - sigma(x)) = sigma(x) (1 + x sigma(-x))."""
    x = as_float_array(x, "swish_grad: x", **_REAL)
    return _out(sigmoid(x) * (1.0 + x * sigmoid(-x)))


# --------------------------------------------------------------------------------------------
# softmax

def _softmax_input(x, axis, fname):
    x = as_float_array(x, f"{fname}: x", **_REAL)
    if x.ndim == 0:
        raise ValueError(f"{fname}: x must have at least one dimension (a vector of scores), "
                         f"got a scalar")
    axis = check_int(axis, f"{fname}: axis")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{fname}: axis {axis} is out of range for x with {x.ndim} dimension(s)")
    if x.shape[axis] == 0:
        raise ValueError(f"{fname}: x has no entries along axis {axis} (shape {x.shape})")
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError(f"{fname}: x must not contain NaN or +inf (-inf is allowed: a masked "
                         f"score that gets probability 0)")
    return x, axis


def _shifted(x, axis):
    """x - max(x) along axis (every shifted score <= 0, so exp never overflows)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)      # a row of only -inf stays -inf (and fails below)
    with np.errstate(over="ignore"):          # a gap wider than float64 gives -inf: e^-inf = 0,
        return x - m                          # the right limit (probability 0), not an error


def softmax(x, axis=-1):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``axis``; entries in [0, 1] summing to 1.

    Stable: computed as e^{x_i - m} / sum_j e^{x_j - m} with m = max_j x_j, the same number
    because the factor e^-m cancels. Shape: same as ``x``.
    """
    x, axis = _softmax_input(x, axis, "softmax")
    e = np.exp(_shifted(x, axis))
    s = np.sum(e, axis=axis, keepdims=True)
    if not (s > 0).all():
        raise ValueError("softmax: a slice of x along axis is all -inf; its softmax is undefined")
    return e / s


def log_softmax(x, axis=-1):
    """log softmax(x)_i = x_i - logsumexp(x) = (x_i - m) - log sum_j e^{x_j - m}.

    Exact for large scores where log(softmax(x)) would give log(0) = -inf. Shape: same as ``x``.
    """
    x, axis = _softmax_input(x, axis, "log_softmax")
    z = _shifted(x, axis)
    s = np.sum(np.exp(z), axis=axis, keepdims=True)
    if not (s > 0).all():
        raise ValueError("log_softmax: a slice of x along axis is all -inf; its softmax is "
                         "undefined")
    return z - np.log(s)


# --------------------------------------------------------------------------------------------
# registry

ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "softplus": (softplus, softplus_grad),
    "swish": (swish, swish_grad),
}
"""Every elementwise activation by name: ``(function, derivative)``."""

ALPHA_DEFAULTS = {"leaky_relu": 0.01, "elu": 1.0}
"""Activations that take a parameter ``alpha``, with its default."""


def get_activation(name):
    """``(f, f_grad)`` for an activation name; ValueError listing the valid names otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"get_activation: name must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r} (the argument name); valid names: "
                         f"{', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]


# --------------------------------------------------------------------------------------------
# maxout: a max over k linear pieces

def maxout(z):
    """Maxout over the last axis: z (..., k) holds k linear pieces per unit -> (...,) their max.

    ``maxout(z) = max_j z[..., j]``. ReLU is the special case k = 2 with one piece fixed at 0.
    """
    z = as_float_array(z, "maxout: z", **_REAL)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"maxout: z must have shape (..., k) with k >= 1 pieces, got {z.shape}")
    return _out(np.max(z, axis=-1))


def maxout_backward(dout, z):
    """Gradient of maxout: dL/dz[..., j] = dout if piece j is the (first) argmax, else 0.

    A max passes its gradient to the winner only, like a switch. Shapes: dout (...,), z (..., k)
    -> dz (..., k).
    """
    z = as_float_array(z, "maxout_backward: z", **_REAL)
    dout = as_float_array(dout, "maxout_backward: dout", **_REAL)
    if z.ndim == 0 or dout.shape != z.shape[:-1]:
        raise ValueError(f"maxout_backward: dout must have shape z.shape[:-1]; got dout "
                         f"{dout.shape} and z {z.shape}")
    winner = np.argmax(z, axis=-1)[..., None]
    dz = np.zeros_like(z)
    np.put_along_axis(dz, winner, dout[..., None], axis=-1)
    return dz
