"""Weight penalties: L2, L1 and elastic net.

The regularized objective adds a penalty on the WEIGHTS to the data loss (biases are left
alone: they do not make the function more wiggly, only shift it):

    L(W) = (1/N) sum_i L_i(f(x_i; W), y_i) + lam * R(W)

    L2           R(W) = sum_j w_j^2                 dR/dw_j = 2 w_j
    L1           R(W) = sum_j |w_j|                 dR/dw_j = sign(w_j)   (0 at w_j = 0)
    elastic net  R(W) = sum_j (beta w_j^2 + |w_j|)  dR/dw_j = 2 beta w_j + sign(w_j)

(the slides' notation; some books put 1/2 in front of the L2 term — then its gradient is
``lam * w``). With plain gradient descent the L2 term is "weight decay":

    w <- w - lr (dL_data/dw + 2 lam w) = (1 - 2 lr lam) w - lr dL_data/dw

Only there. Under an adaptive optimizer (Adam, RMSProp, Adagrad) the penalty's gradient is
rescaled per weight together with the data gradient, so an L2 penalty is NOT weight decay;
decoupled decay (:class:`mlbook.optim.AdamW`: ``w <- w - lr * wd * w`` outside the adaptive
step) is a different method. ``Penalized`` adds the penalty's gradient, i.e. it is the L2 penalty in every case.

Usage with the params/grads dicts of ``mlbook.layers``::

    penalty = L2(1e-3)
    loss = data_loss + penalty.loss(model)      # model, layer, params dict or list of those
    penalty.add_grads(model)                    # grads['W'] += 2 lam W, in place; 'b' skipped

and with ``mlbook.layers.fit``, wrap the optimizer (as frameworks do with ``weight_decay``)::

    fit(model, X, y, optimizer=Penalized(SGD(0.1), L2(1e-3)), ...)

A key names a bias when its last part is ``b`` optionally followed by digits (``'b'``,
``'b1'``, ``'0.b'``); every other parameter counts as a weight.
"""
import re
from collections.abc import Mapping

import numpy as np

from .optim import Optimizer
from .validation import as_float_array, check_number, check_overflow, check_param_dicts

__all__ = ["Penalty", "L2", "L1", "ElasticNet", "Penalized", "is_bias", "weight_arrays"]

_BIAS = re.compile(r"(^|[._/])b\d*$")


def is_bias(key):
    """True for bias parameter names: 'b', 'b1', 'layer0.b', 'fc/b'."""
    return bool(_BIAS.search(str(key)))


def _pairs(params, grads=None):
    """Yield ``(key, param_array, grad_dict_or_None)`` for every parameter in ``params``.

    ``params`` may be a dict of arrays, a layer (``.params``/``.grads``), a model with
    ``.layers``, or a list/tuple of any of these.
    """
    if hasattr(params, "layers") and not isinstance(params, Mapping):
        for layer in params.layers:
            yield from _pairs(layer)
        return
    if hasattr(params, "params") and not isinstance(params, Mapping):
        yield from _pairs(params.params, params.grads)
        return
    if isinstance(params, (list, tuple)):
        for k, item in enumerate(params):
            g = grads[k] if isinstance(grads, (list, tuple)) else None
            yield from _pairs(item, g)
        return
    if isinstance(params, Mapping):
        for key, value in params.items():
            if isinstance(value, Mapping):
                yield from _pairs(value, grads.get(key) if isinstance(grads, Mapping) else None)
            else:
                yield key, value, grads
        return
    raise TypeError(f"params must be a dict of arrays, a layer, a model with .layers or a list "
                    f"of those, got {type(params).__name__}")


def weight_arrays(params):
    """The weight arrays (biases excluded) of ``params``, in order."""
    return [as_float_array(v, f"params[{k!r}]", allow_empty=True)
            for k, v, _ in _pairs(params) if not is_bias(k)]


class Penalty:
    """Base class: ``lam * R(W)`` summed over the weight arrays.

    Subclasses define ``value(W) -> float`` (R for one array) and ``grad(W) -> array``
    (dR/dW). ``lam`` must be a finite number >= 0 (0 switches the penalty off).
    """

    name = "penalty"

    def __init__(self, lam):
        self.lam = check_number(lam, "lam", low=0)

    # R and dR/dW for one array (without lam)
    def value(self, W):
        raise NotImplementedError

    def grad(self, W):
        raise NotImplementedError

    def loss(self, params):
        """``lam * sum over weight arrays of R(W)`` (a Python float). Weights so large that
        this overflows float64 are a ValueError naming params."""
        weights = weight_arrays(params)
        with np.errstate(over="ignore", invalid="ignore"):
            total = self.lam * float(sum(self.value(W) for W in weights))
        flat = np.concatenate([W.ravel() for W in weights]) if weights else np.zeros(0)
        return check_overflow(total, f"{type(self).__name__}.loss", params=flat)

    __call__ = loss

    def grads(self, params):
        """``{key: lam * dR/dW}`` for every weight key of a dict (biases omitted)."""
        if not isinstance(params, Mapping):
            raise TypeError("grads(params) needs a dict of arrays; use add_grads for layers/models")
        return {k: self._term(as_float_array(v, f"params[{k!r}]", allow_empty=True), k, "grads")
                for k, v in params.items() if not is_bias(k)}

    def _term(self, W, key, who):
        """``lam * dR/dW`` for the weight ``params[key]``; overflow is an error naming it."""
        with np.errstate(over="ignore", invalid="ignore"):
            term = self.lam * self.grad(W)
        return check_overflow(term, f"{type(self).__name__}.{who}", **{f"params[{key!r}]": W})

    def add_grads(self, params, grads=None):
        """Add ``lam * dR/dW`` to the gradient of every weight, in place; biases untouched.

        ``add_grads(model)`` / ``add_grads(layer)`` use each layer's own ``.grads``;
        ``add_grads(params, grads)`` takes two dicts with the same keys.
        Returns ``grads`` (or the model) for chaining.
        """
        if isinstance(params, Mapping) and grads is None:
            raise TypeError("add_grads(params_dict, grads_dict): the grads dict is missing")
        if self.lam == 0.0:
            return grads if grads is not None else params
        for key, W, g in _pairs(params, grads):
            if is_bias(key):
                continue
            if g is None or key not in g:
                raise KeyError(f"no gradient for weight {key!r}: run backward first")
            if np.shape(g[key]) != np.shape(W):
                raise ValueError(f"gradient {key!r} has shape {np.shape(g[key])}, weight has "
                                 f"shape {np.shape(W)}")
            term = self._term(as_float_array(W, f"params[{key!r}]", allow_empty=True), key,
                              "add_grads")
            with np.errstate(over="ignore", invalid="ignore"):
                new = check_overflow(g[key] + term, f"{type(self).__name__}.add_grads",
                                     **{f"grads[{key!r}]": g[key], f"params[{key!r}]": W})
            if isinstance(g[key], np.ndarray) and g[key].flags.writeable \
                    and np.issubdtype(g[key].dtype, np.floating):
                g[key][...] = new         # in place: also reaches a layer through model.grads
            else:
                g[key] = new
        return grads if grads is not None else params

    def penalized_grads(self, params, grads):
        """A NEW dict: ``grads[k] + lam * dR/dW`` for weights, ``grads[k]`` for biases."""
        out = {}
        for k, g in grads.items():
            if is_bias(k) or self.lam == 0.0:
                out[k] = g
            else:      # inf here (absurd weights) is refused by the optimizer as divergence
                with np.errstate(over="ignore", invalid="ignore"):
                    out[k] = g + self.lam * self.grad(params[k])
        return out

    def __repr__(self):
        return f"{type(self).__name__}({self.lam:g})"


class L2(Penalty):
    """L2 penalty ``lam * sum w^2``, gradient ``2 lam w`` (weight decay only under plain SGD)."""

    name = "L2"

    def value(self, W):
        return float(np.sum(W * W))

    def grad(self, W):
        return 2.0 * W


class L1(Penalty):
    """L1 penalty: ``lam * sum |w|``, (sub)gradient ``lam * sign(w)`` (0 at w = 0)."""

    name = "L1"

    def value(self, W):
        return float(np.sum(np.abs(W)))

    def grad(self, W):
        return np.sign(W)


class ElasticNet(Penalty):
    """Elastic net as on the slides: ``lam * sum (beta w^2 + |w|)``; gradient ``lam (2 beta w + sign w)``."""

    name = "elastic net"

    def __init__(self, lam, beta=1.0):
        super().__init__(lam)
        self.beta = check_number(beta, "beta", low=0)

    def value(self, W):
        return float(np.sum(self.beta * W * W + np.abs(W)))

    def grad(self, W):
        return 2.0 * self.beta * W + np.sign(W)

    def __repr__(self):
        return f"ElasticNet({self.lam:g}, beta={self.beta:g})"


class Penalized(Optimizer):
    """An optimizer that adds a penalty's gradient to the weights' gradients before each step.

        Penalized(SGD(0.1), L2(1e-3)).step(params, grads)
          ==  SGD(0.1).step(params, {k: grads[k] + 2e-3 * params[k] for weights, grads[k] for biases})

    It is an :class:`mlbook.optim.Optimizer`, so ``fit(..., optimizer=Penalized(...))`` trains
    with the penalty; the loss ``fit`` records stays the data loss (add ``penalty.loss(model)``
    for the full objective). ``lr`` and ``state`` are the wrapped optimizer's.
    """

    def __init__(self, optimizer, penalty):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be an mlbook.optim.Optimizer (e.g. SGD(0.1)), "
                            f"got {type(optimizer).__name__}")
        if not isinstance(penalty, Penalty):
            raise TypeError(f"penalty must be an L2, L1 or ElasticNet, got {type(penalty).__name__}")
        self.optimizer, self.penalty = optimizer, penalty

    @property
    def lr(self):
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = value

    @property
    def state(self):
        return self.optimizer.state

    def step(self, params, grads):
        check_param_dicts(params, grads)
        self.optimizer.step(params, self.penalty.penalized_grads(params, grads))

    def reset(self):
        self.optimizer.reset()

    def __repr__(self):
        return f"Penalized({self.optimizer!r}, {self.penalty!r})"
