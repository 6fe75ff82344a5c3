"""Hostile input across the whole public API: what a user can get wrong, and what comes back.

1. A catalogue: every public function / constructor / method with one valid call, and for each
   argument the kind of value it takes. Each kind has a list of invalid values (wrong type,
   wrong value, NaN, empty, complex, strings, ragged lists...). Every (call, argument, invalid
   value) is tried; it passes when it raises TypeError or ValueError whose message names the
   argument. The rate is printed and must be >= 98 %.
2. Properties (hypothesis): finite input never gives a silent NaN/inf, NaN in gives NaN out,
   an optimizer step is all or nothing, and nothing emits a RuntimeWarning.
3. Divergence: ``fit`` at lr 1e6 reports what diverged and where, and keeps finite weights.
"""
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlbook import activations as act
from mlbook import conv, gradcheck, losses, optim, regularization
from mlbook import worked_example as we
from mlbook.autodiff import Value, forward_mode_gradient, topological_order
from mlbook.datasets import toy
from mlbook.layers import (Conv2D, Dense, Dropout, Flatten, Maxout, MaxPool2D, ReLU, Sequential,
                           Sigmoid, Tanh, deep_mlp_gradient_norms, fit, mlp,
                           relative_step_sizes)
from mlbook.layers.dropout import (all_masks, dropout_backward, dropout_forward,
                                   mask_probabilities, num_masks)
from mlbook.optim import DivergenceError

# --------------------------------------------------------------------------------------------
# 1. the catalogue

RAGGED = [[1.0, 2.0], [3.0]]
BAD_ARRAY_TYPE = ["abc", None, RAGGED, np.array([1 + 2j]), np.array(["a", "b"]), object(),
                  {"a": 1}]
EMPTY = np.zeros((0, 3))
BOOL = np.ones((4, 3), dtype=bool)               # True/False are not numbers (an image? a mask?)

INVALID = {
    # arrays that hold the data (elementwise functions accept any shape, even empty)
    "elementwise": BAD_ARRAY_TYPE + [BOOL],
    "array": BAD_ARRAY_TYPE + [EMPTY, BOOL],
    # a batch for a layer: an empty batch (N = 0) is valid and gives an empty result
    "batch": BAD_ARRAY_TYPE + [BOOL],
    "int>=1": [2.5, "3", None, True, 0, -1, 1 + 0j],
    "int>=0": [2.5, "3", None, True, -1],
    "positive": [0, 0.0, -1.0, math.nan, math.inf, "0.1", None, True, 1j],
    "nonneg": [-1.0, math.nan, math.inf, "0.1", None, True],
    "unit": [-0.1, 1.0, 1.5, math.nan, "0.5", None, True],        # [0, 1)
    "open_unit": [0.0, 1.0, -0.5, math.nan, "0.5", None],        # (0, 1)
    "number": ["1", None, math.nan, math.inf, 1j, [1.0, 2.0]],
    "flag": ["yes", 1, None, 0.0],
    "rng": [-1, 2.5, "seed", [1, 2], True],
    "choice": ["nope", 3, None],
    "callable": [3, "f", None],
}


def _read_only():
    W = np.ones((2, 2))
    W.flags.writeable = False
    return W


def _x(n=4, d=3, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def _dense_after_forward():
    layer = Dense(3, 2, rng=0)
    layer.forward(_x())
    return layer


def _conv_after_forward():
    layer = Conv2D(1, 2, 3, rng=0)
    layer.forward(np.ones((2, 1, 5, 5)))
    return layer


def _value_graph():
    a, b = Value(2.0), Value(3.0)
    return a * b + a, [a, b]


CATALOGUE = [
    # (label, function, valid keyword arguments, {argument: kind})
    *[(name, getattr(act, name), {"x": _x()}, {"x": "elementwise"})
      for name in ("sigmoid", "tanh", "relu", "softplus", "swish", "sigmoid_grad", "tanh_grad",
                   "relu_grad", "softplus_grad", "swish_grad")],
    ("leaky_relu", act.leaky_relu, {"x": _x(), "alpha": 0.1},
     {"x": "elementwise", "alpha": "nonneg"}),
    ("leaky_relu_grad", act.leaky_relu_grad, {"x": _x(), "alpha": 0.1}, {"alpha": "nonneg"}),
    ("elu", act.elu, {"x": _x(), "alpha": 1.0}, {"x": "elementwise", "alpha": "positive"}),
    ("elu_grad", act.elu_grad, {"x": _x(), "alpha": 1.0}, {"alpha": "positive"}),
    ("softmax", act.softmax, {"x": _x(), "axis": -1},
     {"x": BAD_ARRAY_TYPE + [np.float64(2.0), np.zeros((3, 0))],
      "axis": [2.5, "1", None, True, 2, -3]}),
    ("log_softmax", act.log_softmax, {"x": _x(), "axis": 1},
     {"x": BAD_ARRAY_TYPE + [np.zeros((3, 0)), np.array([[np.nan, 1.0]])]}),
    ("maxout", act.maxout, {"z": _x()}, {"z": BAD_ARRAY_TYPE + [np.float64(1.0), np.zeros((2, 0))]}),
    ("get_activation", act.get_activation, {"name": "relu"}, {"name": "choice"}),
    ("numerical_gradient", gradcheck.numerical_gradient,
     {"f": lambda v: float(np.sum(v ** 2)), "x": np.ones(3), "eps": 1e-6},
     {"f": "callable", "eps": "positive",
      "x": [np.ones(3, dtype=np.float32), np.ones(3, dtype=np.float16), [1.0, 2.0], 3.0,
            np.ones(3, dtype=bool), np.ones(3, dtype=int)]}),
    ("rel_error", gradcheck.rel_error, {"a": np.ones(3), "b": np.ones(3)},
     {"a": "array", "b": "array"}),
    ("Value", Value, {"data": 1.5}, {"data": "number"}),
    ("Value.backward", lambda grad: _value_graph()[0].backward(grad), {"grad": 1.0},
     {"grad": "number"}),
    ("Value ** exponent", lambda exponent: Value(2.0) ** exponent, {"exponent": 2},
     {"exponent": ["2", None, math.nan, math.inf, 1j]}),
    ("base ** Value", lambda base: Value(2.0).__rpow__(base), {"base": 2.0},
     {"base": ["2", None, math.nan, 0.0, -2.0]}),
    ("topological_order", topological_order, {"root": Value(1.0)}, {"root": [3.0, "v", None]}),
    ("forward_mode_gradient", lambda root, inputs: forward_mode_gradient(root, inputs),
     {"root": _value_graph()[0], "inputs": []},
     {"root": [3.0, None], "inputs": [[1.0], [None], None, 3, Value(1.0)]}),
    ("conv2d", conv.conv2d, {"image": np.ones((5, 5)), "kernel": np.ones((3, 3)), "stride": 1,
                             "padding": 0},
     {"image": "array", "kernel": "array", "stride": "int>=1", "padding": "int>=0"}),
    ("convolve2d", conv.convolve2d, {"image": np.ones((5, 5)), "kernel": np.ones((3, 3))},
     {"image": "array", "kernel": "array"}),
    ("conv2d_backward", conv.conv2d_backward,
     {"image": np.ones((5, 5)), "kernel": np.ones((3, 3)), "dout": np.ones((3, 3))},
     {"image": "array", "kernel": "array", "dout": "array"}),
    ("output_size", conv.output_size, {"n": 5, "kernel": 3, "stride": 1, "padding": 0},
     {"n": "int>=1", "kernel": "int>=1", "stride": "int>=1", "padding": "int>=0"}),
    ("max_pool2d", conv.max_pool2d, {"x": np.ones((4, 4)), "size": 2, "stride": 2},
     {"x": "array", "size": "int>=1", "stride": "int>=1"}),
    ("avg_pool2d", conv.avg_pool2d, {"x": np.ones((4, 4)), "size": 2, "stride": 2},
     {"x": "array", "size": "int>=1", "stride": "int>=1"}),
    ("Dense", Dense, {"n_in": 3, "n_out": 2, "rng": 0},
     {"n_in": "int>=1", "n_out": "int>=1", "rng": "rng"}),
    ("Dense.forward", lambda x: Dense(3, 2, rng=0).forward(x), {"x": _x()},
     {"x": "batch"}),
    ("Dense.backward", lambda dy: _dense_after_forward().backward(dy), {"dy": np.ones((4, 2))},
     {"dy": "array"}),
    *[(f"{cls.__name__}.forward", (lambda c: lambda x: c().forward(x))(cls), {"x": _x()},
       {"x": "batch"}) for cls in (Sigmoid, Tanh, ReLU)],
    ("Conv2D", Conv2D, {"c_in": 1, "c_out": 2, "kernel": 3, "stride": 1, "padding": 0, "rng": 0},
     {"c_in": "int>=1", "c_out": "int>=1", "kernel": "int>=1", "stride": "int>=1",
      "padding": "int>=0", "rng": "rng"}),
    ("Conv2D.forward", lambda x: Conv2D(1, 2, 3, rng=0).forward(x), {"x": np.ones((2, 1, 5, 5))},
     {"x": BAD_ARRAY_TYPE + [np.zeros((2, 1, 0, 5)), np.ones((2, 1, 5, 5), dtype=bool)]}),
    ("Conv2D.backward", lambda dy: _conv_after_forward().backward(dy),
     {"dy": np.ones((2, 2, 3, 3))}, {"dy": "array"}),
    ("MaxPool2D", MaxPool2D, {"size": 2, "stride": 2}, {"size": "int>=1", "stride": "int>=1"}),
    ("MaxPool2D.forward", lambda x: MaxPool2D().forward(x), {"x": np.ones((1, 1, 4, 4))},
     {"x": BAD_ARRAY_TYPE + [np.zeros((1, 1, 4, 0)), np.ones((1, 1, 4, 4), dtype=bool)]}),
    ("Flatten.forward", lambda x: Flatten().forward(x), {"x": np.ones((2, 1, 4, 4))},
     {"x": BAD_ARRAY_TYPE + [np.ones((2, 1, 4, 4), dtype=bool)]}),
    ("Flatten.backward", lambda dy: _after_forward(Flatten(), np.ones((2, 1, 4, 4))).backward(dy),
     {"dy": np.ones((2, 16))},
     {"dy": BAD_ARRAY_TYPE + [np.ones((2, 15)), np.ones((16, 2)), np.ones((2, 1, 4, 4)),
                              np.ones((2, 16), dtype=bool)]}),
    ("dropout_backward", dropout_backward,
     {"dy": np.ones((4, 3)), "cache": dropout_forward(_x(), 0.5, 0)[1]},
     {"dy": "array", "cache": [None, (1, 2), (np.ones((4, 3)), 0.5), "mask", 3]}),
    ("Dropout", Dropout, {"p": 0.5, "rng": 0, "mode": "inverted"},
     {"p": "unit", "rng": "rng", "mode": "choice"}),
    ("Dropout.forward", lambda x: Dropout(0.5, rng=0).forward(x), {"x": _x()}, {"x": "batch"}),
    ("dropout_forward", dropout_forward, {"x": _x(), "p": 0.5, "rng": 0},
     {"x": "batch", "p": "unit", "rng": "rng"}),
    ("num_masks", num_masks, {"n_units": 3}, {"n_units": "int>=0"}),
    ("all_masks", all_masks, {"n_units": 3}, {"n_units": "int>=0"}),
    ("mask_probabilities", mask_probabilities, {"masks": all_masks(2), "p": 0.5}, {"p": "unit"}),
    ("Maxout", Maxout, {"n_in": 3, "n_out": 2, "pieces": 2, "rng": 0},
     {"n_in": "int>=1", "n_out": "int>=1", "pieces": "int>=1", "rng": "rng"}),
    ("Maxout.forward", lambda x: Maxout(3, 2, rng=0).forward(x), {"x": _x()}, {"x": "batch"}),
    ("Sequential", Sequential, {"layers": [Dense(3, 2, rng=0)]},
     {"layers": [[3], ["dense"], [None], None, 3, "dense", Dense(2, 3, rng=0)]}),
    ("deep_mlp_gradient_norms", deep_mlp_gradient_norms,
     {"activation": "tanh", "depth": 3, "width": 4, "batch": 5, "init": "he", "rng": 0},
     {"activation": "choice", "depth": "int>=1", "width": "int>=1", "batch": "int>=1",
      "init": ["glorot", -1.0, 0.0, math.nan, None], "rng": "rng"}),
    ("mlp", mlp, {"batchnorm": True, "n_in": 3, "n_out": 2, "depth": 2, "width": 4, "act": Tanh,
                  "seed": 0, "bn_position": "after"},
     {"batchnorm": "flag", "n_in": "int>=1", "n_out": "int>=1", "depth": "int>=1",
      "width": "int>=1", "act": "callable", "seed": "rng", "bn_position": "choice"}),
    ("relative_step_sizes", relative_step_sizes,
     {"net": mlp(True, n_in=3, depth=2, width=4), "X": _x(), "y": np.array([0, 1, 2, 0]),
      "lr": 0.1}, {"lr": "positive"}),
    ("mse", losses.mse, {"pred": _x(), "target": _x(seed=1)}, {"pred": "array", "target": "array"}),
    ("l1", losses.l1, {"pred": _x(), "target": _x(seed=1)}, {"pred": "array", "target": "array"}),
    ("softmax_cross_entropy", losses.softmax_cross_entropy,
     {"logits": _x(), "labels": np.array([0, 1, 2, 0])},
     {"logits": "array", "labels": BAD_ARRAY_TYPE + [np.array([0, 1, 3, 0]),
                                                     np.array([0.5, 1, 2, 0]), np.array([0, 1])]}),
    ("binary_cross_entropy", losses.binary_cross_entropy,
     {"prob": np.full((4, 1), 0.5), "target": np.ones((4, 1))},
     {"prob": "array", "target": "array"}),
    ("binary_cross_entropy_with_logits", losses.binary_cross_entropy_with_logits,
     {"logits": _x(), "target": np.ones((4, 3))}, {"logits": "array", "target": "array"}),
    ("kl_divergence", losses.kl_divergence,
     {"pred": np.full((2, 2), 0.5), "target": np.full((2, 2), 0.5)},
     {"pred": "array", "target": "array"}),
    ("SGD", optim.SGD, {"lr": 0.1}, {"lr": "positive"}),
    ("Momentum", optim.Momentum, {"lr": 0.1, "momentum": 0.9, "nesterov": False},
     {"lr": "positive", "momentum": "unit", "nesterov": "flag"}),
    ("Adagrad", optim.Adagrad, {"lr": 0.1, "eps": 1e-8}, {"lr": "positive", "eps": "positive"}),
    ("RMSProp", optim.RMSProp, {"lr": 0.1, "rho": 0.9, "eps": 1e-8},
     {"lr": "positive", "rho": "unit", "eps": "positive"}),
    ("Adam", optim.Adam, {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
     {"lr": "positive", "beta1": "unit", "beta2": "unit", "eps": "positive"}),
    ("Adadelta", optim.Adadelta, {"rho": 0.95, "eps": 1e-6}, {"rho": "unit", "eps": "positive"}),
    ("Optimizer.step", lambda params, grads: optim.SGD(0.1).step(params, grads),
     {"params": {"W": np.ones((2, 2))}, "grads": {"W": np.ones((2, 2))}},
     {"params": [None, {"W": [1.0]}, {"W": np.ones(2, dtype=int)}, 3, {"W": _read_only()}],
      "grads": [None, {}, {"W": np.ones(3)}, {"W": np.full((2, 2), np.nan)},
                {"W": np.ones((2, 2), dtype=bool)},
                {"W": "abc"}, {"W": np.ones((2, 2)), "V": np.ones(1)}]}),
    ("make_optimizer", optim.make_optimizer, {"name": "adam", "lr": 0.1},
     {"name": "choice", "lr": "positive"}),
    ("momentum_update", optim.momentum_update,
     {"w": np.ones(2), "dw": np.ones(2), "v": np.zeros(2), "lr": 0.1, "momentum": 0.9},
     {"w": BAD_ARRAY_TYPE, "dw": BAD_ARRAY_TYPE + [np.ones(3), np.array([np.nan, 1.0])],
      "v": BAD_ARRAY_TYPE + [np.ones(3)], "lr": "positive", "momentum": "unit"}),
    ("adam_update", optim.adam_update,
     {"w": np.ones(2), "dw": np.ones(2), "m": np.zeros(2), "v": np.zeros(2), "t": 1, "lr": 0.1,
      "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
     {"w": BAD_ARRAY_TYPE, "dw": BAD_ARRAY_TYPE + [np.ones(3), np.array([np.inf, 1.0])],
      "m": BAD_ARRAY_TYPE + [np.ones(3)], "v": BAD_ARRAY_TYPE + [np.ones(3)],
      "t": "int>=1", "lr": "positive", "beta1": "unit", "beta2": "unit", "eps": "positive"}),
    ("StepDecay", optim.StepDecay, {"lr0": 0.1, "factor": 0.5, "every": 2},
     {"lr0": "positive", "factor": "open_unit", "every": "int>=1"}),
    ("ExponentialDecay", optim.ExponentialDecay, {"lr0": 0.1, "k": 0.1},
     {"lr0": "positive", "k": "positive"}),
    ("HalveOnPlateau", optim.HalveOnPlateau, {"lr0": 0.1, "factor": 0.5, "patience": 1,
                                              "min_delta": 0.0},
     {"lr0": "positive", "factor": "open_unit", "patience": "int>=1", "min_delta": "nonneg"}),
    ("HalveOnPlateau()", lambda val_loss: optim.HalveOnPlateau()(0, val_loss), {"val_loss": 1.0},
     {"val_loss": ["1", None, 1j]}),
    ("L2", regularization.L2, {"lam": 0.1}, {"lam": "nonneg"}),
    ("L1", regularization.L1, {"lam": 0.1}, {"lam": "nonneg"}),
    ("ElasticNet", regularization.ElasticNet, {"lam": 0.1, "beta": 1.0},
     {"lam": "nonneg", "beta": "nonneg"}),
    ("Penalized", regularization.Penalized,
     {"optimizer": optim.SGD(0.1), "penalty": regularization.L2(0.1)},
     {"optimizer": ["sgd", None, 0.1], "penalty": [0.1, None, "l2"]}),
    ("Penalty.loss", lambda params: regularization.L2(0.1).loss(params),
     {"params": {"W": np.ones(2)}}, {"params": [3.0, None, "W", {"W": "abc"}, {"W": [1j]}]}),
    ("we.forward", we.forward, {"params": None, "inputs": (0.05, 0.1), "targets": (0.01, 0.99)},
     {"params": [3, [0.1] * 10, {"w1": 0.1}, dict(we.INITIAL_PARAMS, w1="x"),
                 dict(we.INITIAL_PARAMS, w1=math.nan)],
      "inputs": BAD_ARRAY_TYPE + [(1.0,), (1.0, 2.0, 3.0), (math.nan, 1.0)],
      "targets": BAD_ARRAY_TYPE + [(1.0,), (math.inf, 1.0)]}),
    ("we.update", we.update, {"lr": 0.5, "biases": False, "sequential": False},
     {"lr": "positive", "biases": "flag", "sequential": "flag"}),
    ("we.train", we.train, {"steps": 3, "lr": 0.5, "biases": False},
     {"steps": "int>=0", "lr": "positive", "biases": "flag"}),
    ("spirals", toy.spirals, {"n_per_class": 5, "n_classes": 3, "noise": 0.1, "seed": 0},
     {"n_per_class": "int>=1", "n_classes": "int>=1", "noise": "nonneg", "seed": "rng"}),
    ("xor", toy.xor, {"n": 8, "noise": 0.1, "seed": 0},
     {"n": "int>=1", "noise": "nonneg", "seed": "rng"}),
    ("circles", toy.circles, {"n": 8, "noise": 0.1, "factor": 0.5, "seed": 0},
     {"n": "int>=1", "noise": "nonneg", "factor": "open_unit", "seed": "rng"}),
    ("moons", toy.moons, {"n": 8, "noise": 0.1, "seed": 0},
     {"n": "int>=1", "noise": "nonneg", "seed": "rng"}),
    ("train_val_split", toy.train_val_split,
     {"X": _x(8), "y": np.arange(8), "val_fraction": 0.25, "seed": 0},
     {"y": [np.arange(7), None], "val_fraction": "open_unit", "seed": "rng"}),
    ("make_toy", toy.make_toy, {"name": "moons", "n": 12, "seed": 0},
     {"name": "choice", "n": "int>=1", "seed": "rng"}),
]

_FIT_X, _FIT_Y = _x(12, 2), np.arange(12) % 2


def _fit(**kw):
    model = Sequential([Dense(2, 3, rng=0), Tanh(), Dense(3, 2, rng=1)])
    args = dict(X=_FIT_X, y=_FIT_Y, loss="softmax_cross_entropy", epochs=1, batch_size=4)
    args.update(kw)
    return fit(model, **args)


CATALOGUE.append((
    "fit", _fit, {"lr": 0.1, "epochs": 1, "batch_size": 4},
    {"X": BAD_ARRAY_TYPE + [EMPTY, np.full((12, 2), np.nan), _x(11, 2)],
     "y": BAD_ARRAY_TYPE + [np.arange(11), np.array([0.0, np.nan] * 6)],
     "loss": ["hinge", 3, None], "optimizer": ["adamw", 3, None],
     "lr": [0, -1.0, math.nan, math.inf, "0.1", True, 1j], "epochs": "int>=1", "batch_size": [2.5, "4", None, True, 0, 13],
     "validation": [3, (1, 2, 3), (_x(3, 2), np.arange(2)), ("abc", np.arange(3))],
     "shuffle": "flag", "seed": "rng", "patience": [0, 2.5, "2", -1],
     "restore_best": "flag", "schedule": [3, "step"], "callback": [3, "print"],
     "on_divergence": ["ignore", "quiet", None, 3, True]},
))
CATALOGUE.append((
    "fit(optimizer instance, lr)", lambda lr: _fit(optimizer=optim.Adam(0.01), lr=lr),
    {"lr": None}, {"lr": [0.1, 0.01]},          # two learning rates: a conflict, refused
))


def _cases():
    for label, fn, base, kinds in CATALOGUE:
        for arg, kind in kinds.items():
            values = INVALID[kind] if isinstance(kind, str) else kind
            for k, bad in enumerate(values):
                yield label, fn, base, arg, k, bad


def _try(fn, kwargs):
    """The exception a call raises (None if it returns), with RuntimeWarnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            fn(**kwargs)
        except Exception as exc:  # noqa: BLE001 — we classify every outcome
            return exc
    return None


def _names_argument(exc, arg):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", str(exc)) is not None


@pytest.mark.parametrize("label, fn, base", [(c[0], c[1], c[2]) for c in CATALOGUE],
                         ids=[c[0] for c in CATALOGUE])
def test_every_catalogued_valid_call_succeeds(label, fn, base):
    """The baseline: without a hostile argument the call works (so errors below are earned)."""
    assert _try(fn, dict(base)) is None


def test_invalid_inputs_get_a_clear_error_naming_the_argument():
    results = []
    for label, fn, base, arg, k, bad in _cases():
        exc = _try(fn, dict(base, **{arg: bad}))
        clear = isinstance(exc, (TypeError, ValueError)) and _names_argument(exc, arg)
        results.append((clear, label, arg, bad, exc))
    n_clear = sum(r[0] for r in results)
    rate = n_clear / len(results)
    print(f"\nhostile inputs: {n_clear} of {len(results)} invalid calls ({rate:.1%}) get a "
          f"TypeError/ValueError naming the argument")
    unclear = [f"  {label}({arg}={bad!r:.40}): {type(exc).__name__}: {str(exc)[:120]}"
               for clear, label, arg, bad, exc in results if not clear]
    print("\n".join(unclear))
    assert len(results) >= 500
    assert rate >= 0.98, "\n".join(unclear)


def test_type_errors_for_types_value_errors_for_values():
    """Dense(2.5, 3) and Conv2D(2.5, 3, 3) agree now: a float where an int belongs is a type."""
    for make in (lambda: Dense(2.5, 3), lambda: Conv2D(2.5, 3, 3), lambda: Maxout(2.5, 3),
                 lambda: MaxPool2D(2.5)):
        with pytest.raises(TypeError, match="must be an integer"):
            make()
    for make in (lambda: Dense(0, 3), lambda: Conv2D(0, 3, 3), lambda: Maxout(0, 3),
                 lambda: MaxPool2D(0)):
        with pytest.raises(ValueError, match=">= 1"):
            make()


# --------------------------------------------------------------------------------------------
# 2. properties

FAST = settings(max_examples=40, deadline=None, derandomize=True,   # the same examples every run
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
any_finite = st.floats(allow_nan=False, allow_infinity=False)
batches = hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
                     elements=finite)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # any warning at all fails the property
        return fn(*args, **kwargs)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=6), elements=any_finite))
def test_activations_of_finite_input_are_finite(x):
    for name, (f, f_grad) in act.ACTIVATIONS.items():
        for fn in (f, f_grad):
            assert np.all(np.isfinite(_quiet(fn, x))), (name, fn.__name__)
    if x.ndim and x.size:
        p = _quiet(act.softmax, x)
        assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=-1), 1.0)


@FAST
@given(hnp.arrays(np.float64, st.integers(1, 8), elements=finite), st.data())
def test_nan_in_nan_out_never_zero(x, data):
    i = data.draw(st.integers(0, x.size - 1))
    x = x.copy()
    x[i] = np.nan
    for name, (f, f_grad) in act.ACTIVATIONS.items():
        for fn in (f, f_grad):
            y = np.asarray(_quiet(fn, x))
            assert np.isnan(y[i]), f"{fn.__name__}(nan) = {y[i]}"
            assert np.all(np.isfinite(np.delete(y, i)))
    for layer in (ReLU(), Sigmoid(), Tanh()):
        y = _quiet(layer.forward, x[None, :])
        assert np.isnan(y[0, i])
        dx = _quiet(layer.backward, np.ones_like(y))
        assert np.isnan(dx[0, i])


@FAST
@given(batches)
def test_layers_and_losses_of_finite_input_are_finite(x):
    n, d = x.shape
    model = Sequential([Dense(d, 4, rng=0), ReLU(), Dense(4, 3, rng=1), Sigmoid(), Dense(3, 2,
                                                                                     rng=2)])
    y = _quiet(model.forward, x)
    assert y.shape == (n, 2) and np.all(np.isfinite(y))
    labels = np.arange(n) % 2
    for loss, target in ((losses.mse, np.zeros((n, 2))), (losses.l1, np.zeros((n, 2))),
                         (losses.softmax_cross_entropy, labels),
                         (losses.binary_cross_entropy_with_logits, np.ones((n, 2)))):
        value, grad = _quiet(loss, y, target)
        assert math.isfinite(value) and np.all(np.isfinite(grad)), loss.__name__
        dx = _quiet(model.backward, grad)
        assert np.all(np.isfinite(dx))


@FAST
@given(batches, st.data())
def test_nan_in_a_layer_input_gives_nan_out(x, data):
    n, d = x.shape
    x = x.copy()
    x[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, d - 1))] = np.nan
    y = _quiet(Dense(d, 2, rng=0).forward, x)
    assert np.isnan(y).any()


@FAST
@given(hnp.arrays(np.float64, (3, 2), elements=finite), st.sampled_from(sorted(optim.OPTIMIZERS)),
       st.integers(0, 5))
def test_optimizer_step_is_all_or_nothing(g, name, bad):
    opt = optim.make_optimizer(name, 0.1)
    params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    _quiet(opt.step, params, {"W": g, "b": np.ones(2)})          # builds some state
    before = {k: v.copy() for k, v in params.items()}
    state = repr(opt.state)
    g_bad = g.copy()
    g_bad.flat[bad] = np.nan
    with pytest.raises(DivergenceError, match=r"grads\['W'\] holds inf or NaN") as err:
        _quiet(opt.step, params, {"b": np.ones(2), "W": g_bad})
    assert err.value.name == "W" and err.value.quantity == "gradient"
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert repr(opt.state) == state


def test_an_update_that_would_overflow_changes_nothing():
    opt = optim.SGD(1e300)
    params = {"a": np.ones(2), "W": np.ones(2)}
    with pytest.raises(DivergenceError, match=r"params\['W'\] inf or NaN.*no parameter was changed"):
        _quiet(opt.step, params, {"a": np.ones(2), "W": np.full(2, 1e300)})
    np.testing.assert_array_equal(params["a"], 1.0)           # 'a' came first and was put back
    np.testing.assert_array_equal(params["W"], 1.0)


def test_adam_update_validates_t_and_eps():
    args = (np.ones(2), np.ones(2), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"t \(the step number, counted from 1\) must be an integer >= 1, got 0"):
        _quiet(optim.adam_update, *args, 0)
    with pytest.raises(ValueError, match="eps"):
        optim.adam_update(*args, 1, eps=0.0)
    w, m, v = _quiet(optim.adam_update, *args, 1)
    assert np.all(np.isfinite(w))


def test_numerical_gradient_refuses_float32_and_says_why():
    x = np.array([0.3, -0.2], dtype=np.float32)
    with pytest.raises(TypeError, match=r"x must be float64, got float32: its rounding error"):
        _quiet(gradcheck.numerical_gradient, lambda v: float(np.sum(v.astype(np.float64) ** 2)),
               x, eps=1e-3)


def test_complex_strings_and_empty_losses_are_refused_clearly():
    calls = [
        (lambda: Dense(3, 2).forward(np.ones((2, 3)) + 1j), TypeError, "complex"),
        (lambda: Dense(3, 2).forward([["1", "2", "3"]]), TypeError, "x must be"),
        (lambda: losses.mse(np.zeros((0, 2)), np.zeros((0, 2))), ValueError, "pred must not be empty"),
        (lambda: losses.softmax_cross_entropy(np.zeros((0, 2)), np.zeros(0, int)), ValueError,
         "logits must have shape"),
        (lambda: act.relu("abc"), TypeError, "relu: x must be"),
        (lambda: act.sigmoid(np.array([1 + 1j])), TypeError, "complex"),
    ]
    for call, exc, words in calls:
        with pytest.raises(exc, match=re.escape(words)):
            _quiet(call)


# --------------------------------------------------------------------------------------------
# 3. divergence in fit

def _toy_problem():
    X, y = toy.moons(n=64, noise=0.1, seed=0)
    return X, y, Sequential([Dense(2, 16, rng=0), Tanh(), Dense(16, 2, rng=1)])


def test_fit_at_lr_1e6_reports_the_divergence_and_keeps_finite_weights():
    X, y, model = _toy_problem()
    with pytest.raises(DivergenceError) as raised:
        _quiet(fit, model, X * 100, np.eye(2)[y], loss="mse", optimizer="sgd", lr=1e6,
               epochs=30, batch_size=8, restore_best=False)
    err, h = raised.value, raised.value.history
    assert h["divergence"] is err
    assert isinstance(err, DivergenceError) and h["diverged_at"] == err.epoch is not None
    assert err.step >= 1 and err.name and err.quantity in ("loss", "gradient", "parameter")
    assert re.search(rf"training diverged in epoch {err.epoch} \(update {err.step}, mini-batch "
                     rf"\d+ of the epoch\): .*lr=1e\+06 is too large", str(err)), str(err)
    assert h["epochs_run"] < 30
    for k, v in model.params.items():
        assert np.all(np.isfinite(v)), k


def test_fit_with_lr_1e6_on_cross_entropy_and_every_optimizer_keeps_finite_weights():
    for name in sorted(optim.OPTIMIZERS):
        X, y, model = _toy_problem()
        try:
            h = _quiet(fit, model, X * 1e3, y, loss="softmax_cross_entropy", optimizer=name,
                       lr=1e6, epochs=5, batch_size=16, restore_best=False)
        except DivergenceError as err:
            h = err.history
            assert h["diverged_at"] == err.epoch and h["divergence"] is err
        else:
            assert h["divergence"] is None, name          # never stored without being raised
        assert all(np.all(np.isfinite(v)) for v in model.params.values()), name


def test_fit_reports_nan_in_the_data_before_training():
    X, y, model = _toy_problem()
    W_before = model.layers[0].params["W"].copy()
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match=r"X must hold finite numbers only; it has 1 NaN or inf "
                                         r"entry \(bad data\)"):
        fit(model, X, y, loss="softmax_cross_entropy")
    np.testing.assert_array_equal(model.layers[0].params["W"], W_before)
    with pytest.raises(ValueError, match=r"validation y must hold finite numbers"):
        fit(model, X[6:], y[6:], loss="mse", validation=(X[6:], np.full(len(y) - 6, np.inf)))


def test_fit_refuses_two_learning_rates():
    X, y, model = _toy_problem()
    with pytest.raises(ValueError, match=r"optimizer is an instance .* do not also pass lr=0.1"):
        fit(model, X, y, loss="softmax_cross_entropy", optimizer=optim.Adam(0.01), lr=0.1)
    h = fit(model, X, y, loss="softmax_cross_entropy", optimizer=optim.Adam(0.01), epochs=1)
    assert h["lr"] == [0.01]                                   # the instance's own lr


def test_worked_example_divergence_is_data():
    start = dict(we.INITIAL_PARAMS, w1=0.0, w2=0.0, b1=0.0)
    with pytest.raises(DivergenceError) as err:
        _quiet(we.train, 10, lr=1e20, params=start, inputs=(1e300, 0.1))
    assert (err.value.step, err.value.name, err.value.quantity) == (1, "w1", "parameter")


# --------------------------------------------------------------------------------------------
# 4. a sweep of hostile VALUES over the public API (ARCHITECTURE.md's list): finite numbers
#    near the float64 limit, boolean arrays, empty batches. Every call either works without a
#    warning and (for finite input) gives a finite result, or raises a TypeError/ValueError that
#    names the argument. Layers take an empty batch (N = 0) and give an empty result, like
#    numpy and PyTorch.

BIG = 1e308                                     # finite; twice it is not


def _huge(shape, seed=0):
    """Finite entries of magnitude 1e307..1e308 with random signs."""
    rng = np.random.default_rng(seed)
    return BIG * rng.uniform(0.1, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _after_forward(layer, x):
    layer.forward(x)
    return layer


def _bn2d():
    from mlbook.layers import BatchNorm2D
    return BatchNorm2D(2)


def _bn():
    from mlbook.layers import BatchNorm
    return BatchNorm(3)


_IMG = np.random.default_rng(1).normal(size=(2, 1, 6, 6))
_X = _x()

# (label, call taking the hostile value, argument name, a valid value of the right shape,
#  whether the argument is a batch — then an empty batch must give an empty result)
SWEEP = [
    *[(name, getattr(act, name), "x", _X, False)
      for name in ("sigmoid", "tanh", "relu", "softplus", "swish", "elu", "leaky_relu",
                   "sigmoid_grad", "tanh_grad", "relu_grad", "softplus_grad", "swish_grad",
                   "elu_grad", "leaky_relu_grad", "softmax", "log_softmax")],
    ("rel_error(a)", lambda a: gradcheck.rel_error(a, -np.ones(3)), "a", np.ones(3), False),
    ("rel_error(b)", lambda b: gradcheck.rel_error(np.ones(3), b), "b", np.ones(3), False),
    ("conv2d(image)", lambda image: conv.conv2d(image, np.ones((3, 3))), "image",
     np.ones((5, 5)), False),
    ("conv2d(kernel)", lambda kernel: conv.conv2d(np.ones((5, 5)), kernel), "kernel",
     np.ones((3, 3)), False),
    ("convolve2d(image)", lambda image: conv.convolve2d(image, np.ones((3, 3))), "image",
     np.ones((5, 5)), False),
    ("conv2d_backward(dout)", lambda dout: conv.conv2d_backward(np.ones((5, 5)),
                                                                np.ones((3, 3)), dout),
     "dout", np.ones((3, 3)), False),
    ("conv2d_backward(image)", lambda image: conv.conv2d_backward(image, np.ones((3, 3)),
                                                                  np.ones((3, 3))),
     "image", np.ones((5, 5)), False),
    ("max_pool2d", conv.max_pool2d, "x", np.ones((4, 4)), False),
    ("avg_pool2d", conv.avg_pool2d, "x", np.ones((4, 4)), False),
    ("Dense.forward", lambda x: Dense(3, 2, rng=0).forward(x), "x", _X, True),
    ("Dense.backward", lambda dy: _after_forward(Dense(3, 2, rng=0), _X).backward(dy), "dy",
     np.ones((4, 2)), False),
    ("Conv2D.forward", lambda x: Conv2D(1, 2, 3, rng=0).forward(x), "x", _IMG, True),
    ("Conv2D.backward", lambda dy: _after_forward(Conv2D(1, 2, 3, rng=0), _IMG).backward(dy),
     "dy", np.ones((2, 2, 4, 4)), False),
    ("MaxPool2D.forward", lambda x: MaxPool2D().forward(x), "x", _IMG, True),
    ("MaxPool2D.backward", lambda dy: _after_forward(MaxPool2D(), _IMG).backward(dy), "dy",
     np.ones((2, 1, 3, 3)), False),
    ("Flatten.forward", lambda x: Flatten().forward(x), "x", _IMG, True),
    ("Flatten.backward", lambda dy: _after_forward(Flatten(), _IMG).backward(dy), "dy",
     np.ones((2, 36)), False),
    ("Dropout.forward", lambda x: Dropout(0.5, rng=0).forward(x), "x", _X, True),
    ("Dropout.backward", lambda dy: _after_forward(Dropout(0.5, rng=0), _X).backward(dy),
     "dy", np.ones((4, 3)), False),
    ("dropout_forward", lambda x: dropout_forward(x, 0.5, 0), "x", _X, True),
    *[(f"{cls.__name__}.forward", (lambda c: lambda x: c().forward(x))(cls), "x", _X, True)
      for cls in (Sigmoid, Tanh, ReLU)],
    *[(f"{cls.__name__}.backward",
       (lambda c: lambda dy: _after_forward(c(), _X).backward(dy))(cls), "dy", np.ones((4, 3)),
       False) for cls in (Sigmoid, Tanh, ReLU)],
    ("BatchNorm.forward", lambda x: _bn().forward(x), "x", _X, True),
    ("BatchNorm.forward(training=False)", lambda x: _bn().forward(x, training=False), "x", _X,
     True),
    ("BatchNorm.backward", lambda dy: _after_forward(_bn(), _X).backward(dy), "dy",
     np.ones((4, 3)), False),
    ("BatchNorm2D.forward", lambda x: _bn2d().forward(x), "x",
     np.random.default_rng(2).normal(size=(2, 2, 3, 3)), True),
    ("Maxout.forward", lambda x: Maxout(3, 2, rng=0).forward(x), "x", _X, True),
    ("Maxout.backward", lambda dy: _after_forward(Maxout(3, 2, rng=0), _X).backward(dy), "dy",
     np.ones((4, 2)), False),
    ("Sequential.forward", lambda x: Sequential([Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1)]
                                                ).forward(x), "x", _X, True),
    ("Sequential.backward", lambda dy: _after_forward(
        Sequential([Dense(3, 4, rng=0), Tanh(), Dense(4, 2, rng=1)]), _X).backward(dy), "dy",
     np.ones((4, 2)), False),
    ("mse(pred)", lambda pred: losses.mse(pred, np.zeros((4, 3))), "pred", _X, False),
    ("mse(target)", lambda target: losses.mse(_X, target), "target", _X, False),
    ("softmax_cross_entropy", lambda logits: losses.softmax_cross_entropy(
        logits, np.array([0, 1, 2, 0])), "logits", _X, False),
    ("SGD.step(grads)", lambda g: optim.SGD(0.1).step({"W": np.ones((4, 3))}, {"W": g}),
     "grads['W']", _X, False),
    ("Adam.step(grads)", lambda g: optim.Adam(0.1).step({"W": np.ones((4, 3))}, {"W": g}),
     "grads['W']", _X, False),
    ("momentum_update(dw)", lambda dw: optim.momentum_update(np.ones((4, 3)), dw,
                                                             np.zeros((4, 3)), 10.0),
     "dw", _X, False),
    ("adam_update(dw)", lambda dw: optim.adam_update(np.ones((4, 3)), dw, np.zeros((4, 3)),
                                                     np.zeros((4, 3)), 1), "dw", _X, False),
    *[(f"{P.__name__}.loss", (lambda P: lambda params: P(1.0).loss(params))(P), "params",
       {"W": _X}, False) for P in (regularization.L2, regularization.L1,
                                   regularization.ElasticNet)],
    ("L2.grads", lambda params: regularization.L2(1.0).grads(params), "params", {"W": _X},
     False),
    ("L2.add_grads", lambda params: regularization.L2(1.0).add_grads(
        params, {"W": np.ones((4, 3))}), "params", {"W": _X}, False),
    *[(f"{name}(noise)", (lambda f: lambda noise: f(noise=noise, seed=0))(getattr(toy, name)),
       "noise", 0.1, False) for name in ("spirals", "xor", "circles", "moons")],
    ("we.forward(inputs)", lambda inputs: we.forward(inputs=inputs), "inputs",
     np.array([0.05, 0.1]), False),
    ("random_shift_rotate", lambda images: _augment(images), "images",
     np.random.default_rng(3).random((2, 8, 8)), False),
    ("kernel_editor_update(image)", lambda image: _kernel_editor(image, np.ones((3, 3))),
     "image", np.ones((5, 5)), False),
    ("kernel_editor_update(kernel)", lambda kernel: _kernel_editor(np.ones((5, 5)), kernel),
     "kernel", np.ones((3, 3)), False),
]


def _augment(images):
    from mlbook.datasets.augment import random_shift_rotate
    return random_shift_rotate(images, rng=0)


def _kernel_editor(image, kernel):
    from mlbook.widgets.kernel_editor import kernel_editor_update
    return kernel_editor_update(image, kernel)


def _hostile_values(valid, batch):
    """(kind, value) pairs built from a valid value: huge, bool, and an empty batch."""
    if isinstance(valid, dict):
        for kind, v in _hostile_values(valid["W"], False):
            yield kind, {"W": v}
        return
    if np.ndim(valid) == 0:
        yield "huge", BIG
        yield "huge", -BIG
        return
    shape = np.shape(valid)
    yield "huge", _huge(shape)
    yield "huge", np.full(shape, BIG)
    yield "bool", np.ones(shape, dtype=bool)
    if batch:
        yield "empty", np.zeros((0,) + shape[1:])


def _finite(result):
    if isinstance(result, dict):
        return all(_finite(v) for v in result.values() if isinstance(v, (np.ndarray, float)))
    if isinstance(result, (tuple, list)):
        return all(_finite(v) for v in result)
    if isinstance(result, (np.ndarray, float, np.floating)):
        return bool(np.all(np.isfinite(result)))
    return True


def _sweep_outcome(fn, arg, kind, value):
    """None when handled well, else a description of what went wrong."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(value)
            exc = None
        except Exception as e:  # noqa: BLE001 — every outcome is classified
            exc, result = e, None
    leaked = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if leaked:
        return f"{len(leaked)} RuntimeWarning(s): {leaked[0].message}"
    if exc is not None:
        if isinstance(exc, (TypeError, ValueError)) and _names_argument(exc, arg.split("[")[0]):
            return None if kind != "empty" else f"empty batch refused: {exc}"
        return f"{type(exc).__name__}: {str(exc)[:100]}"
    if kind == "bool":
        return "a boolean array was accepted"
    if kind == "empty":
        out = result[0] if isinstance(result, tuple) else result
        return None if np.shape(out)[:1] == (0,) else f"empty batch gave shape {np.shape(out)}"
    return None if _finite(result) else "finite input, inf/NaN result"


def _sweep():
    for label, fn, arg, valid, batch in SWEEP:
        for kind, value in _hostile_values(valid, batch):
            yield label, fn, arg, kind, value


def test_hostile_values_sweep():
    cases = list(_sweep())
    bad = []
    for label, fn, arg, kind, value in cases:
        problem = _sweep_outcome(fn, arg, kind, value)
        if problem:
            bad.append(f"  {label} [{kind}]: {problem}")
    leaked = sum(1 for line in bad if "RuntimeWarning" in line)
    print(f"\nhostile values: {len(cases) - len(bad)} of {len(cases)} calls handled "
          f"({len(bad)} mishandled, {leaked} of them letting a RuntimeWarning escape)\n"
          + "\n".join(bad))
    assert len(cases) >= 200
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------------------------
# 5. each kind of the sweep, spelled out

def test_empty_batches_flow_through_every_layer():
    from mlbook.layers import BatchNorm, BatchNorm2D
    net = Sequential([Conv2D(1, 2, 3, padding=1, rng=0), BatchNorm2D(2), ReLU(), MaxPool2D(),
                      Flatten(), Dense(18, 5, rng=1), BatchNorm(5), Tanh(), Dropout(0.5, rng=2),
                      Maxout(5, 4, rng=3), Sigmoid(), Dense(4, 3, rng=4)])
    for training in (True, False):
        y = _quiet(net.forward, np.zeros((0, 1, 6, 6)), training=training)
        assert y.shape == (0, 3)
        dx = _quiet(net.backward, np.zeros((0, 3)))
        assert dx.shape == (0, 1, 6, 6)
        for key, g in net.grads.items():
            assert np.array_equal(g, np.zeros_like(net.params[key])), key   # sums over nothing
    bn = net.layers[1]
    np.testing.assert_array_equal(bn.running_mean, 0.0)       # no statistics from no examples
    np.testing.assert_array_equal(bn.running_var, 1.0)
    assert _quiet(dropout_forward, np.zeros((0, 4)), 0.5, 0)[0].shape == (0, 4)


def _ones_dense(n_in=3, n_out=2):
    layer = Dense(n_in, n_out)
    layer.params["W"][...] = 1.0                    # 1e308 + 1e308: beyond float64
    return layer


def test_finite_input_that_overflows_is_an_error_naming_the_argument():
    from mlbook.validation import FloatOverflowError
    big = np.full((4, 3), 1e308)
    calls = [
        (lambda: _ones_dense().forward(big), "Dense.forward", "x"),
        (lambda: _after_forward(Dense(3, 2, rng=0), _X).backward(np.full((4, 2), 1e308)),
         "Dense.backward", "dy"),
        (lambda: Conv2D(1, 2, 3, rng=0).forward(np.full((1, 1, 5, 5), 1e308)),
         "Conv2D.forward", "x"),
        (lambda: _after_forward(Conv2D(1, 2, 3, rng=0), _IMG).backward(
            np.full((2, 2, 4, 4), 1e308)), "Conv2D.backward", "dy"),
        (lambda: Dropout(0.5, rng=0).forward(big), "Dropout.forward", "x"),
        (lambda: conv.conv2d(np.full((5, 5), 1e308), np.ones((3, 3))), "conv2d", "image"),
        (lambda: conv.conv2d(np.ones((5, 5)), np.full((3, 3), 1e308)), "conv2d", "kernel"),
        (lambda: regularization.L2(1.0).loss({"W": np.full(3, 1e200)}), "L2.loss", "params"),
        (lambda: losses.mse(big, np.zeros((4, 3))), "mse", "pred"),
    ]
    for call, who, arg in calls:
        with pytest.raises(FloatOverflowError) as err:
            _quiet(call)
            print(who, arg)                         # shown only when it did not raise
        assert isinstance(err.value, ValueError) and isinstance(err.value, OverflowError)
        assert str(err.value).startswith(f"{who}: the result overflows float64"), str(err.value)
        assert _names_argument(err.value, arg), str(err.value)
    with pytest.raises(ValueError, match=r"noise must be a finite number in \[0, 1e\+300\]"):
        _quiet(toy.moons, noise=1e308)
    # NaN in still gives NaN out (not an overflow error), and a mean cannot overflow:
    assert np.isnan(_quiet(Dense(3, 2, rng=0).forward, np.full((1, 3), np.nan))).all()
    np.testing.assert_array_equal(_quiet(conv.avg_pool2d, np.full((4, 4), 1e308)), 1e308)


def test_an_overflow_inside_fit_is_divergence_after_the_first_update():
    X, y, model = _toy_problem()
    model.layers[0] = _ones_dense(2, 16)
    with pytest.raises(ValueError, match=r"Dense.forward: .* x holds values up to 1e\+308"):
        _quiet(fit, model, np.full((64, 2), 1e308), y, loss="softmax_cross_entropy")   # data
    X, y, model = _toy_problem()
    model.layers[0].params["W"][...] = 1e300                   # weights that blow up later
    with pytest.raises(DivergenceError):
        _quiet(fit, Sequential([Dense(2, 2, rng=0), *model.layers]), X, y,
               loss="softmax_cross_entropy", lr=1e6, epochs=3)


def test_boolean_arrays_are_refused_naming_the_argument():
    mask = np.ones((4, 3), dtype=bool)
    calls = [(lambda: Dense(3, 2).forward(mask), "x"),
             (lambda: _after_forward(Dense(3, 2, rng=0), _X).backward(mask[:, :2]), "dy"),
             (lambda: conv.conv2d(mask, np.ones((3, 3))), "image"),
             (lambda: act.relu(mask), "relu: x"),
             (lambda: losses.mse(mask, np.zeros((4, 3))), "pred"),
             (lambda: optim.SGD(0.1).step({"W": np.ones((4, 3))}, {"W": mask}), "grads['W']")]
    for call, name in calls:
        with pytest.raises(TypeError, match=re.escape(name) + r" must be .*bool"):
            _quiet(call)


def test_unclear_errors_made_clear():
    a = Value(2.0)
    calls = [
        (lambda: Sequential(None), TypeError, "layers must be a list of layers, e.g. "
                                              "Sequential([Dense(2, 3), ReLU()]), got NoneType"),
        (lambda: Sequential(Dense(2, 3)), TypeError,
         "layers must be a list of layers, e.g. Sequential([Dense(2, 3)]), got a single Dense"),
        (lambda: _after_forward(Flatten(), _IMG).backward(np.ones((2, 35))), ValueError,
         "Flatten.backward: dy must have the output's shape (2, 36), got (2, 35)"),
        (lambda: dropout_backward(np.ones(3), None), TypeError,
         "cache must be the (mask, p) pair that dropout_forward returned, got NoneType"),
        (lambda: forward_mode_gradient(a * a, None), TypeError,
         "inputs must be a list of Value objects, e.g. [a, b]; got NoneType"),
        (lambda: optim.Adam(0.1).step({"W": _read_only()}, {"W": np.ones((2, 2))}), ValueError,
         "params['W'] is read-only, but an optimizer updates it in place"),
    ]
    for call, exc, words in calls:
        with pytest.raises(exc, match=re.escape(words)):
            _quiet(call)
