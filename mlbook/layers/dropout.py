"""Dropout: randomly silence units while training, and the ensemble that this trains.

In each training forward pass every unit is kept with probability ``1 - p`` and dropped
(set to zero) with probability ``p``. The keep-mask ``m`` (``m_i ~ Bernoulli(1 - p)``) is
drawn once per forward pass and **reused by backward**, because the dropped units did not
take part in the computation:

    inverted dropout (the default, what frameworks do)
        training:    y = x * m / (1 - p)          dx = dy * m / (1 - p)
        evaluation:  y = x                         (nothing to do at test time)

    original dropout (Srivastava et al., 2014)
        training:    y = x * m                     dx = dy * m
        evaluation:  y = x * (1 - p)               ("weight scaling" at test time)

Both keep the *expected* activation the same in training and at test time:
``E[x * m / (1 - p)] = x`` and ``E[x * m] = (1 - p) x``. They differ only by a constant
factor, so a network trained with one is the same network as one trained with the other.

Dropout as an ensemble: each binary mask over ``n`` units selects one sub-network, so there
are ``2**n`` of them (sharing weights). At test time the single unmasked network (weight
scaling) stands in for the average of all of them; :func:`exact_dropout_ensemble` computes
that average exactly for networks small enough to enumerate every mask.
"""
import itertools
import math

import numpy as np

from ..validation import (as_float_array, as_rng, check_callable, check_choice, check_int,
                          check_overflow, check_probability)

from .base import Layer

__all__ = [
    "Dropout", "dropout_forward", "dropout_backward",
    "num_masks", "log10_num_masks", "all_masks", "mask_probabilities",
    "exact_dropout_ensemble",
]

MODES = ("inverted", "original")


# --------------------------------------------------------------------------------------------
# the two functions (cs231n style): forward returns a cache, backward reads it

def dropout_forward(x, p, rng):
    """Inverted dropout in training mode.

    ``x``: array of any shape; ``p``: probability of dropping; ``rng``: a Generator.
    Draws the keep-mask ``m = rng.random(x.shape) >= p`` (True = kept, probability 1 - p) and
    returns ``(y, cache)`` with ``y = x * m / (1 - p)`` and ``cache = (m, p)``.
    """
    p = check_probability(p, "p")
    x = as_float_array(x, "x", dtype=np.float64, allow_empty=True)
    mask = as_rng(rng).random(x.shape) >= p
    with np.errstate(over="ignore", invalid="ignore"):
        y = x * mask / (1.0 - p)
    return check_overflow(y, "dropout_forward", x=x), (mask, p)


def dropout_backward(dy, cache):
    """Backward of :func:`dropout_forward`: ``dx = dy * m / (1 - p)`` with the SAME mask
    (``cache`` is the ``(mask, p)`` that dropout_forward returned)."""
    if not (isinstance(cache, tuple) and len(cache) == 2 and isinstance(cache[0], np.ndarray)
            and cache[0].dtype == bool):
        raise TypeError(f"cache must be the (mask, p) pair that dropout_forward returned, got "
                        f"{type(cache).__name__}")
    mask, p = cache
    p = check_probability(p, "cache's p")
    dy = as_float_array(dy, "dy", shape=mask.shape, dtype=np.float64, allow_empty=True)
    with np.errstate(over="ignore", invalid="ignore"):
        dx = dy * mask / (1.0 - p)
    return check_overflow(dx, "dropout_backward", dy=dy)


# --------------------------------------------------------------------------------------------
# the layer

class Dropout(Layer):
    """Dropout layer; ``p`` is the probability of DROPPING a unit.

    Parameters
    ----------
    p : float in [0, 1)
    rng : None, int seed or numpy.random.Generator — the masks come from it, so the same
        seed gives the same sequence of masks.
    mode : "inverted" (scale kept units by 1/(1-p) in training, identity at test) or
        "original" (no scaling in training, multiply by 1-p at test).

    Attributes
    ----------
    mask : the boolean keep-mask of the last training forward pass (True = kept), or None.
    fixed_mask : set it to a boolean array (broadcastable to the input, e.g. shape
        ``(n_units,)`` for one mask shared by the whole batch) to use that mask instead of
        drawing one — for gradient checks and for enumerating sub-networks. ``None`` = draw.
    """

    def __init__(self, p, *, rng=None, mode="inverted"):
        super().__init__()
        self.p = check_probability(p, "p")
        self.mode = check_choice(mode, "mode", MODES)
        self.rng = as_rng(rng)
        self.mask = None
        self.fixed_mask = None

    @property
    def train_scale(self):
        """Factor on kept units in training: 1/(1-p) (inverted) or 1 (original)."""
        return 1.0 / (1.0 - self.p) if self.mode == "inverted" else 1.0

    @property
    def test_scale(self):
        """Factor on every unit at evaluation: 1 (inverted) or 1-p (original)."""
        return 1.0 if self.mode == "inverted" else 1.0 - self.p

    def _mask_for(self, x):
        if self.fixed_mask is None:
            return self.rng.random(x.shape) >= self.p
        m = np.asarray(self.fixed_mask)
        if m.dtype != bool:
            raise TypeError(f"fixed_mask must be a boolean array (True = kept), got dtype {m.dtype}")
        try:
            return np.broadcast_to(m, x.shape)
        except ValueError:
            raise ValueError(f"fixed_mask of shape {m.shape} does not broadcast to the input "
                             f"shape {x.shape}") from None

    def forward(self, x, training=True):
        """(N, ...) -> same shape. Training: x * m * train_scale; evaluation: x * test_scale."""
        x = as_float_array(x, "x", dtype=np.float64, allow_empty=True)
        if not training:
            self.cache = self.test_scale
            return x * self.test_scale if self.test_scale != 1.0 else x.copy()
        self.mask = self._mask_for(x)
        self.cache = self.mask * self.train_scale      # the multiplier, reused by backward
        return x * self.cache

    def backward(self, dy):
        """dx = dy * (the multiplier of the last forward): m * train_scale, or test_scale."""
        if self.cache is None:
            raise RuntimeError("Dropout.backward called before forward")
        dy = as_float_array(dy, "dy", dtype=np.float64, allow_empty=True)
        if isinstance(self.cache, np.ndarray) and dy.shape != self.cache.shape:
            raise ValueError(f"dy has shape {dy.shape}, but the last forward produced "
                             f"shape {self.cache.shape}")
        return dy * self.cache

    def __repr__(self):
        extra = "" if self.mode == "inverted" else f", mode={self.mode!r}"
        return f"Dropout(p={self.p:g}{extra})"


# --------------------------------------------------------------------------------------------
# dropout as an ensemble

def num_masks(n_units):
    """Number of binary masks (= sub-networks) over ``n_units`` units: ``2**n_units`` (exact int)."""
    return 2 ** check_int(n_units, "n_units", minimum=0)


def log10_num_masks(n_units):
    """``log10(2**n) = n * log10(2)``, computed without ever forming 2**n as a float."""
    return check_int(n_units, "n_units", minimum=0) * math.log10(2.0)


def all_masks(n_units):
    """All ``2**n`` keep-masks over ``n`` units, shape (2**n, n), bool, in binary counting order."""
    n = check_int(n_units, "n_units", minimum=0)
    if n > 20:
        raise ValueError(f"n_units = {n} gives 2**{n} masks: too many to enumerate (at most 20)")
    return np.array(list(itertools.product([False, True], repeat=n)), dtype=bool).reshape(2 ** n, n)


def mask_probabilities(masks, p):
    """Probability of each mask: ``(1-p)**kept * p**dropped``; shape (n_masks,), sums to 1."""
    p = check_probability(p, "p")
    masks = np.asarray(masks, dtype=bool)
    kept = masks.sum(axis=-1)
    dropped = masks.shape[-1] - kept
    return (1.0 - p) ** kept * p ** dropped


def _layers_of(model):
    layers = getattr(model, "layers", model)
    if isinstance(layers, Layer):
        return [layers]
    layers = list(layers)
    if not all(hasattr(layer, "forward") for layer in layers):
        raise TypeError("model must be a Sequential (with .layers), a list of layers or a layer")
    return layers


def _run(layers, x, training):
    for layer in layers:
        x = layer.forward(x, training=training)
    return x


MEANS = ("arithmetic", "geometric")


def exact_dropout_ensemble(model, x, *, output=None, mean="arithmetic"):
    """Average the predictions of ALL ``2**n`` dropout sub-networks, weighted by their probability.

    ``model`` is a Sequential (anything with ``.layers``) or a list of layers, whose Dropout
    layers see ``n`` units in total (the last axis of each one's input; one mask per
    sub-network, shared by every example in ``x``). A sub-network is the training-mode
    forward pass with a fixed mask ``m``; ``output`` (e.g. ``softmax`` or ``sigmoid``) is
    applied to each sub-network's output before averaging.

    Returns ``(ensemble, weight_scaled)``:

        ensemble      = sum_m P(m) output(f(x; m)),   P(m) = prod (1-p)^kept p^dropped
        weight_scaled = output(f(x))                  (evaluation mode: the test-time rule)

    With ``mean="geometric"`` the ensemble is the *normalised geometric mean* of the
    sub-networks' distributions instead (``output`` must return probabilities over the last
    axis, e.g. ``softmax``):

        ensemble = G / sum_k G_k,   G = prod_m output(f(x; m)) ** P(m) = exp(sum_m P(m) log output)

    For a softmax output layer over ONE dropout layer this equals ``weight_scaled`` exactly
    (Hinton et al. 2012, "Improving neural networks by preventing co-adaptation"): the logits
    z(m) = W (m * h / (1 - p)) + b are linear in the mask, so sum_m P(m) log softmax(z(m)) =
    E[z(m)] - const = z(evaluation) - const, and normalising removes the constant.
    """
    mean = check_choice(mean, "mean", MEANS)
    layers = _layers_of(model)
    drops = [layer for layer in layers if isinstance(layer, Dropout)]
    if not drops:
        raise ValueError("exact_dropout_ensemble: the model has no Dropout layer")
    output = (lambda z: z) if output is None else check_callable(output, "output")
    x = as_float_array(x, "x")
    # one evaluation pass: the weight-scaled prediction, and the width of each dropout layer
    widths, z = [], x
    for layer in layers:
        if isinstance(layer, Dropout):
            widths.append(z.shape[-1])
        z = layer.forward(z, training=False)
    weight_scaled = output(z)
    masks = all_masks(sum(widths))
    saved = [d.fixed_mask for d in drops]
    total = 0.0
    try:
        for mask in masks:
            prob, start = 1.0, 0
            for d, w in zip(drops, widths):
                d.fixed_mask = mask[start:start + w]
                prob *= float(mask_probabilities(d.fixed_mask, d.p))
                start += w
            out = output(_run(layers, x, True))
            if mean == "geometric":
                with np.errstate(divide="ignore"):
                    out = np.log(out)
            total = total + prob * out
    finally:
        for d, fixed in zip(drops, saved):
            d.fixed_mask = fixed
    if mean == "geometric":
        total = np.exp(total - np.max(total, axis=-1, keepdims=True))
        total = total / np.sum(total, axis=-1, keepdims=True)
    return total, weight_scaled
