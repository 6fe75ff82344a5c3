"""Weight initializers: how to draw the first weights of a layer.

Every initializer has the same signature

    f(shape, *, fan_in, fan_out, rng) -> ndarray of shape ``shape`` (float64)

``fan_in`` is the number of inputs that feed one unit, ``fan_out`` the number of units one input
feeds. For a Dense weight matrix of shape (n_in, n_out): fan_in = n_in, fan_out = n_out. For a
Conv2D filter bank of shape (c_out, c_in, k, k): fan_in = c_in k k, fan_out = c_out k k
(:func:`fans` computes both from the shape). ``rng`` is None, an int seed or a
``numpy.random.Generator``.

Why the scale matters. One unit computes z = sum_i w_i x_i over fan_in inputs. With independent,
zero-mean weights,

    Var(z) = fan_in * Var(w) * E[x^2]

so every layer multiplies the signal's second moment by fan_in Var(w) (times what the
nonlinearity keeps). Below 1 the activations shrink geometrically with depth, above 1 they
grow (and tanh/sigmoid saturate); the backward pass multiplies gradients by the same kind of
factor with fan_out in place of fan_in.

    zeros           w = 0                              every unit computes the same thing
    normal(std)     w ~ N(0, std^2)                    one fixed scale, whatever the layer size
    glorot_uniform  w ~ U[-a, a],  a = sqrt(6 / (fan_in + fan_out))   Var(w) = 2 / (fan_in + fan_out)
    glorot_normal   w ~ N(0, 2 / (fan_in + fan_out))
    he_uniform      w ~ U[-a, a],  a = sqrt(6 / fan_in)                Var(w) = 2 / fan_in
    he_normal       w ~ N(0, 2 / fan_in)

Glorot & Bengio (2010) compromise between keeping the forward variance (fan_in Var(w) = 1) and
the backward one (fan_out Var(w) = 1), for units that are linear around 0 (tanh). He et al.
(2015) keep the forward variance through ReLU, which zeroes half of its inputs and so halves
E[x^2]: hence the factor 2 over fan_in. (U[-a, a] has variance a^2 / 3.)

``INITIALIZERS`` maps names to functions; ``"normal"`` is N(0, 0.01^2), the small Gaussian of
Radford's tutorial. Layers accept ``init=`` a name or any callable with the signature above.
"""
import numbers

import numpy as np

from .validation import as_rng, check_choice, check_int, check_positive

__all__ = ["zeros", "normal", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
           "INITIALIZERS", "fans", "get_initializer", "initialize"]


def fans(shape):
    """(fan_in, fan_out) of a weight array: (n_in, n_out) for a 2-D Dense matrix, and
    (c_in k k, c_out k k) for a (c_out, c_in, k, k) convolution filter bank.

    A 2-D shape is read as mlbook's ``Dense`` stores W: (n_in, n_out), so fan_in = shape[0].
    PyTorch reads a 2-D shape the other way round, as ``nn.Linear`` stores its weight
    (out_features, in_features): ``torch.nn.init`` takes fan_in = shape[1]. For a 4-D filter
    bank both read (c_out, c_in, k, k). So pass a torch ``Linear`` weight's shape reversed.
    """
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) >= 3:
        receptive = int(np.prod(shape[2:]))
        return shape[1] * receptive, shape[0] * receptive
    raise ValueError(f"shape must be (n_in, n_out) or (c_out, c_in, k, k), got {shape}")


def _shape(shape):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of positive integers, got {shape!r}")
    return tuple(check_int(s, "shape entries", minimum=1) for s in shape)


def _fans(shape, fan_in, fan_out):
    """Check the fans; missing ones come from the shape."""
    if fan_in is None or fan_out is None:
        fi, fo = fans(shape)
        fan_in = fi if fan_in is None else fan_in
        fan_out = fo if fan_out is None else fan_out
    return check_int(fan_in, "fan_in", minimum=1), check_int(fan_out, "fan_out", minimum=1)


def zeros(shape, *, fan_in=None, fan_out=None, rng=None):
    """w = 0 everywhere. Every unit of a layer then computes the same output and receives the
    same gradient, so they stay identical forever (the symmetry is never broken)."""
    return np.zeros(_shape(shape))


def normal(std=0.01):
    """A fixed-scale Gaussian initializer: ``normal(std)`` returns ``f(shape, *, fan_in,
    fan_out, rng)`` drawing w ~ N(0, std^2), whatever fan_in and fan_out are.

    Var(w) = std^2 does not shrink with the layer's size, so fan_in * Var(w) — the factor by
    which each layer scales the signal — depends on the width: with std = 0.01 and 256 inputs
    it is 0.0256, and activations collapse layer after layer.
    """
    std = check_positive(std, "std")

    def init(shape, *, fan_in=None, fan_out=None, rng=None):
        return as_rng(rng).normal(0.0, std, size=_shape(shape))

    init.__name__ = init.__qualname__ = f"normal({std:g})"
    init.__doc__ = f"w ~ N(0, {std:g}^2), independent of fan_in and fan_out."
    init.std = std
    return init


def glorot_uniform(shape, *, fan_in=None, fan_out=None, rng=None):
    """Glorot & Bengio (2010): w ~ U[-a, a], a = sqrt(6 / (fan_in + fan_out)).

    Var(w) = a^2 / 3 = 2 / (fan_in + fan_out): the harmonic mean of the forward condition
    fan_in Var(w) = 1 and the backward condition fan_out Var(w) = 1.
    """
    shape = _shape(shape)
    fan_in, fan_out = _fans(shape, fan_in, fan_out)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return as_rng(rng).uniform(-a, a, size=shape)


def glorot_normal(shape, *, fan_in=None, fan_out=None, rng=None):
    """Glorot & Bengio (2010), Gaussian form: w ~ N(0, 2 / (fan_in + fan_out))."""
    shape = _shape(shape)
    fan_in, fan_out = _fans(shape, fan_in, fan_out)
    return as_rng(rng).normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape, *, fan_in=None, fan_out=None, rng=None):
    """He et al. (2015), uniform form: w ~ U[-a, a], a = sqrt(6 / fan_in); Var(w) = 2 / fan_in."""
    shape = _shape(shape)
    fan_in, _ = _fans(shape, fan_in, fan_out)
    a = np.sqrt(6.0 / fan_in)
    return as_rng(rng).uniform(-a, a, size=shape)


def he_normal(shape, *, fan_in=None, fan_out=None, rng=None):
    """He et al. (2015): w ~ N(0, 2 / fan_in).

    ReLU zeroes the negative half of a symmetric z, so E[relu(z)^2] = Var(z) / 2; choosing
    fan_in Var(w) = 2 keeps E[x^2] the same in every layer.
    """
    shape = _shape(shape)
    fan_in, _ = _fans(shape, fan_in, fan_out)
    return as_rng(rng).normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


INITIALIZERS = {
    "zeros": zeros,
    "normal": normal(0.01),
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def get_initializer(init):
    """A name in ``INITIALIZERS`` or a callable -> the initializer function."""
    if isinstance(init, str):
        return INITIALIZERS[check_choice(init, "init", tuple(INITIALIZERS))]
    if callable(init):
        return init
    raise TypeError(f"init must be a name ({', '.join(map(repr, INITIALIZERS))}) or a callable "
                    f"f(shape, *, fan_in, fan_out, rng), got {type(init).__name__}")


def initialize(init, shape, *, fan_in, fan_out, rng):
    """Draw an array with ``init`` (a name or a callable) and check what came back: a finite
    float array of exactly ``shape`` (a callable's mistakes are reported, not propagated)."""
    fn = get_initializer(init)
    w = fn(shape, fan_in=fan_in, fan_out=fan_out, rng=rng)
    name = getattr(fn, "__name__", repr(fn))
    if not isinstance(w, np.ndarray) or w.shape != tuple(shape):
        got = f"shape {w.shape}" if isinstance(w, np.ndarray) else type(w).__name__
        raise ValueError(f"init {name} must return an array of shape {tuple(shape)}, got {got}")
    if w.dtype.kind not in "iuf" or not np.all(np.isfinite(w)):
        raise ValueError(f"init {name} must return finite real numbers")
    return w.astype(np.float64, copy=False)
