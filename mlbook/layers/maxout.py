"""The maxout layer: each unit is the max of ``pieces`` affine functions of the input.

    forward:   z = einsum('nd,dok->nok', x, W) + b      x (N, n_in), W (n_in, n_out, k),
                                                         b (n_out, k)
               y = max_k z                               (N, n_out)
    backward:  dz = dy routed to the winning piece       (maxout_backward)
               dW = einsum('nd,nok->dok', x, dz),  db = sum_n dz,  dx = einsum('nok,dok->nd', dz, W)
"""
import numpy as np

from ..activations import maxout_backward
from ..validation import as_float_array, as_rng, check_int
from .base import Layer

__all__ = ["Maxout"]


class Maxout(Layer):
    """A maxout layer: ``n_out`` units, each the max of ``pieces`` affine functions of x.

    ``z = einsum('nd,dok->nok', x, W) + b``, ``y = max_k z`` — shapes x (N, n_in),
    W (n_in, n_out, pieces) ~ N(0, 1/n_in), b (n_out, pieces) zeros, y (N, n_out).
    """

    def __init__(self, n_in, n_out, pieces=2, *, rng=None):
        super().__init__()
        n_in = check_int(n_in, "Maxout: n_in", minimum=1)
        n_out = check_int(n_out, "Maxout: n_out", minimum=1)
        pieces = check_int(pieces, "Maxout: pieces", minimum=1)
        rng = as_rng(rng)
        self.params = {"W": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_out, pieces)),
                       "b": np.zeros((n_out, pieces))}
        self.zero_grad()
        self._x = self._z = None

    def forward(self, x, training=True):
        """x (N, n_in) -> y (N, n_out), the max over each unit's pieces."""
        n_in = self.params["W"].shape[0]
        x = as_float_array(x, "Maxout.forward: x", shape=(None, n_in), allow_empty=True)
        self._x = x
        self._z = np.einsum("nd,dok->nok", x, self.params["W"]) + self.params["b"]
        return np.max(self._z, axis=-1)

    def backward(self, dy):
        """dy (N, n_out) -> dx (N, n_in); fills grads 'W' and 'b' (only winners get gradient)."""
        if self._z is None:
            raise RuntimeError("Maxout.backward called before forward")
        dy = as_float_array(dy, "Maxout.backward: dy", shape=self._z.shape[:2], allow_empty=True)
        dz = maxout_backward(dy, self._z)                      # (N, n_out, k), routed to winners
        self.grads["W"] = np.einsum("nd,nok->dok", self._x, dz)
        self.grads["b"] = dz.sum(axis=0)
        return np.einsum("nok,dok->nd", dz, self.params["W"])
