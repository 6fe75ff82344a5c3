"""Fully connected layers, elementwise activations and the Sequential container.

Batch first: an input ``x`` has shape (N, n_in), one example per row. For a Dense layer

    forward:   y  = x W + b                      x (N, n_in), W (n_in, n_out), b (n_out,)
    backward:  dW = x^T dy     (n_in, n_out)      sum over the batch of outer products
               db = sum_n dy   (n_out,)
               dx = dy W^T     (N, n_in)          what flows on to the previous layer

Activations act elementwise: y = f(x), dx = dy * f'(x).
"""
import numpy as np

from ..activations import relu as _relu
from ..activations import relu_grad as _relu_grad
from ..activations import sigmoid as _sigmoid
from ..activations import tanh as _tanh
from ..validation import as_float_array, as_rng, check_int
from ..init import initialize
from .base import Layer, matmul

__all__ = ["Dense", "Sigmoid", "Tanh", "ReLU", "Sequential"]


class Dense(Layer):
    """Fully connected layer: y = x W + b.

    Weights start uniform in [-a, a] with a = sqrt(6 / (n_in + n_out)) (Glorot & Bengio 2010,
    the initialisation in the slides), biases at 0. Pass ``rng`` (a ``np.random.Generator``
    or an int seed) for reproducible weights, and ``init`` (a name in
    ``mlbook.init.INITIALIZERS`` or a callable ``f(shape, *, fan_in, fan_out, rng)``) for
    another scheme; fan_in = n_in, fan_out = n_out.

    params: 'W' (n_in, n_out), 'b' (n_out,). PyTorch's ``nn.Linear(n_in, n_out)`` stores the
    transpose, weight (out_features, in_features), and computes x W^T + b; notebook 01 uses
    that (n_out, n_in) layout, notebook 04 onwards this one.
    """

    skips_input_grad = True          # backward(dy, input_grad=False): grads only

    def __init__(self, n_in, n_out, *, rng=None, init="glorot_uniform"):
        super().__init__()
        self.n_in = check_int(n_in, "n_in", minimum=1)
        self.n_out = check_int(n_out, "n_out", minimum=1)
        rng = as_rng(rng)
        self.params = {"W": initialize(init, (self.n_in, self.n_out), fan_in=self.n_in,
                                       fan_out=self.n_out, rng=rng),
                       "b": np.zeros(self.n_out)}
        self.zero_grad()

    def forward(self, x, training=True):
        """x (N, n_in) -> y = x W + b, (N, n_out)."""
        x = as_float_array(x, "x", shape=(None, self.n_in))
        self.cache = x
        return matmul(x, self.params["W"]) + self.params["b"]      # x @ W, the faster way round

    def backward(self, dy, input_grad=True):
        """dy (N, n_out) -> dx (N, n_in); fills grads 'W' = x^T dy and 'b' = sum_n dy.
        ``input_grad=False``: fills the grads, returns None (dx is not computed)."""
        x = self.cache
        if x is None:
            raise RuntimeError("Dense.backward called before forward")
        dy = as_float_array(dy, "dy", shape=(x.shape[0], self.n_out))
        self.grads["W"] = x.T @ dy
        self.grads["b"] = dy.sum(axis=0)
        return dy @ self.params["W"].T if input_grad else None

    def grads_bound(self, dy):
        """What no entry of the grads exceeds in magnitude (see :mod:`mlbook.layers.base`):
        each dW_ij = sum_n x_ni dy_nj and db_j = sum_n dy_nj is a sum of N terms, so
        |dW_ij| <= N max|x| max|dy| and |db_j| <= N max|dy| (rounding adds a factor of at most
        1 + N * 2**-52). inf/NaN when x or dy holds inf/NaN."""
        x, dy = self.cache, np.asarray(dy, dtype=float)
        if x is None or x.size == 0 or dy.size == 0:
            return 0.0
        top = lambda a: max(float(a.max()), -float(a.min()))      # noqa: E731  max |a|
        n, mx, mdy = x.shape[0], top(x), top(dy)
        return 2.0 * n * max(mx, 1.0) * mdy

    def __repr__(self):
        return f"Dense({self.n_in}, {self.n_out})"


class _Elementwise(Layer):
    """y = f(x); dx = dy * f'(x), with f'(x) computed from what forward cached."""

    def backward(self, dy):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        dy = as_float_array(dy, "dy", shape=self.cache.shape)
        return dy * self._local_grad()


class Sigmoid(_Elementwise):
    """y = sigma(x) = 1 / (1 + e^-x);  dy/dx = y (1 - y) (cached y)."""

    def forward(self, x, training=True):
        y = np.asarray(_sigmoid(as_float_array(x, "x", allow_empty=True)), dtype=float)
        self.cache = y
        return y

    def _local_grad(self):
        y = self.cache
        return y * (1.0 - y)


class Tanh(_Elementwise):
    """y = tanh(x);  dy/dx = 1 - y^2 (cached y)."""

    def forward(self, x, training=True):
        y = np.asarray(_tanh(as_float_array(x, "x", allow_empty=True)), dtype=float)
        self.cache = y
        return y

    def _local_grad(self):
        return 1.0 - self.cache * self.cache


class ReLU(_Elementwise):
    """y = max(0, x);  dy/dx = 1 where x > 0, else 0 (we take 0 at x = 0).

    The same numbers as :func:`mlbook.activations.relu` and ``dy * relu_grad(x)``, in fewer
    passes over the arrays: forward keeps the mask x > 0, backward is ``dy * mask`` (a
    multiply by 1.0 or 0.0, as before); when x holds NaN both take the functions' path (NaN
    in, NaN out)."""

    def forward(self, x, training=True):
        x = as_float_array(x, "x", allow_empty=True)
        self.cache = x
        self._mask = np.greater(x, 0)
        self._nan = bool(np.isnan(np.sum(x)))       # NaN in x (or +inf and -inf): as before
        if self._nan:
            return np.asarray(_relu(x), dtype=float)
        return np.where(self._mask, x, 0.0).astype(float, copy=False)   # = relu(x) here

    def backward(self, dy):
        if self.cache is None:
            raise RuntimeError("ReLU.backward called before forward")
        dy = as_float_array(dy, "dy", shape=self.cache.shape)
        if self._nan:
            return dy * self._local_grad()
        return np.multiply(dy, self._mask, dtype=np.result_type(dy, np.float64))

    def _local_grad(self):
        return np.asarray(_relu_grad(self.cache), dtype=float)


class Sequential(Layer):
    """Layers applied in order: forward left to right, backward right to left.

    ``params`` and ``grads`` collect every layer's arrays under the key ``"<index>.<name>"``
    (e.g. ``"0.W"``, ``"2.b"``); they are the layers' own arrays, so an optimizer that updates
    ``model.params`` in place trains the layers. (Both are rebuilt on each access: call
    ``model.grads`` after ``backward``.)
    """

    overflow_guard = False          # each layer checks its own forward/backward (see base)

    def __init__(self, layers):
        super().__init__()
        if hasattr(layers, "forward"):
            raise TypeError(f"layers must be a list of layers, e.g. Sequential([{layers!r}]), got "
                            f"a single {type(layers).__name__}")
        if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
            raise TypeError(f"layers must be a list of layers, e.g. Sequential([Dense(2, 3), "
                            f"ReLU()]), got {type(layers).__name__}")
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")
                    and hasattr(layer, "params")):
                raise TypeError(f"layers[{i}] must be a layer with forward/backward/params, "
                                f"got {type(layer).__name__}")
        self.layers = layers

    @property
    def params(self):
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    @params.setter
    def params(self, value):  # Layer.__init__ assigns {}; parameters live in the layers
        pass

    @property
    def grads(self):
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    @grads.setter
    def grads(self, value):
        pass

    def forward(self, x, training=True):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy, input_grad=True):
        """Backward through every layer, last to first; returns dL/dx of the input.

        ``input_grad=False`` (for a training loop, which needs only the grads): returns None
        and skips what only dL/dx needs — the layers before the first layer with parameters
        are not called, and that layer is asked not to compute its dx (if its ``backward``
        takes ``input_grad``, as Dense and Conv2D do). Every grad is the same."""
        if input_grad:
            for layer in reversed(self.layers):
                dy = layer.backward(dy)
            return dy
        first = next((i for i, layer in enumerate(self.layers) if layer.params), None)
        if first is None:
            return None
        for layer in reversed(self.layers[first + 1:]):
            dy = layer.backward(dy)
        layer = self.layers[first]
        if getattr(layer, "skips_input_grad", False):
            layer.backward(dy, input_grad=False)
        else:
            layer.backward(dy)
        return None

    def predict(self, x):
        """Forward pass in evaluation mode (``training=False``: e.g. no dropout)."""
        return self.forward(x, training=False)

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    def __repr__(self):
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}])"
