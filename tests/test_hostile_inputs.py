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
from mlbook.layers.dropout import all_masks, dropout_forward, mask_probabilities, num_masks
from mlbook.optim import DivergenceError

# --------------------------------------------------------------------------------------------
# 1. the catalogue

RAGGED = [[1.0, 2.0], [3.0]]
BAD_ARRAY_TYPE = ["abc", None, RAGGED, np.array([1 + 2j]), np.array(["a", "b"]), object(),
                  {"a": 1}]
EMPTY = np.zeros((0, 3))

INVALID = {
    # arrays that hold the data (elementwise functions accept any shape, even empty)
    "elementwise": BAD_ARRAY_TYPE,
    "array": BAD_ARRAY_TYPE + [EMPTY],
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
     {"f": "callable", "eps": "positive"}),
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
     {"root": _value_graph()[0], "inputs": []}, {"root": [3.0, None], "inputs": [[1.0], [None]]}),
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
     {"x": "array"}),
    ("Dense.backward", lambda dy: _dense_after_forward().backward(dy), {"dy": np.ones((4, 2))},
     {"dy": "array"}),
    *[(f"{cls.__name__}.forward", (lambda c: lambda x: c().forward(x))(cls), {"x": _x()},
       {"x": "array"}) for cls in (Sigmoid, Tanh, ReLU)],
    ("Conv2D", Conv2D, {"c_in": 1, "c_out": 2, "kernel": 3, "stride": 1, "padding": 0, "rng": 0},
     {"c_in": "int>=1", "c_out": "int>=1", "kernel": "int>=1", "stride": "int>=1",
      "padding": "int>=0", "rng": "rng"}),
    ("Conv2D.forward", lambda x: Conv2D(1, 2, 3, rng=0).forward(x), {"x": np.ones((2, 1, 5, 5))},
     {"x": BAD_ARRAY_TYPE + [np.zeros((0, 1, 5, 5))]}),
    ("Conv2D.backward", lambda dy: _conv_after_forward().backward(dy),
     {"dy": np.ones((2, 2, 3, 3))}, {"dy": "array"}),
    ("MaxPool2D", MaxPool2D, {"size": 2, "stride": 2}, {"size": "int>=1", "stride": "int>=1"}),
    ("MaxPool2D.forward", lambda x: MaxPool2D().forward(x), {"x": np.ones((1, 1, 4, 4))},
     {"x": BAD_ARRAY_TYPE + [np.zeros((0, 1, 4, 4))]}),
    ("Flatten.forward", lambda x: Flatten().forward(x), {"x": np.ones((2, 1, 4, 4))},
     {"x": BAD_ARRAY_TYPE}),
    ("Dropout", Dropout, {"p": 0.5, "rng": 0, "mode": "inverted"},
     {"p": "unit", "rng": "rng", "mode": "choice"}),
    ("Dropout.forward", lambda x: Dropout(0.5, rng=0).forward(x), {"x": _x()}, {"x": "array"}),
    ("dropout_forward", dropout_forward, {"x": _x(), "p": 0.5, "rng": 0},
     {"x": "array", "p": "unit", "rng": "rng"}),
    ("num_masks", num_masks, {"n_units": 3}, {"n_units": "int>=0"}),
    ("all_masks", all_masks, {"n_units": 3}, {"n_units": "int>=0"}),
    ("mask_probabilities", mask_probabilities, {"masks": all_masks(2), "p": 0.5}, {"p": "unit"}),
    ("Maxout", Maxout, {"n_in": 3, "n_out": 2, "pieces": 2, "rng": 0},
     {"n_in": "int>=1", "n_out": "int>=1", "pieces": "int>=1", "rng": "rng"}),
    ("Maxout.forward", lambda x: Maxout(3, 2, rng=0).forward(x), {"x": _x()}, {"x": "array"}),
    ("Sequential", Sequential, {"layers": [Dense(3, 2, rng=0)]},
     {"layers": [[3], ["dense"], [None]]}),
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
     {"params": [None, {"W": [1.0]}, {"W": np.ones(2, dtype=int)}, 3],
      "grads": [None, {}, {"W": np.ones(3)}, {"W": np.full((2, 2), np.nan)},
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
     "restore_best": "flag", "schedule": [3, "step"], "callback": [3, "print"]},
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


def test_numerical_gradient_on_float32_says_why_it_is_inaccurate():
    x = np.array([0.3, -0.2], dtype=np.float32)
    with pytest.warns(UserWarning, match=r"float32: .*rounding error.*accurate in float64"):
        gradcheck.numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x,
                                     eps=1e-3)


def test_empty_batches_complex_and_strings_are_refused_clearly():
    calls = [
        (lambda: Dense(3, 2).forward(np.zeros((0, 3))), ValueError, "x must not be empty"),
        (lambda: Dense(3, 2).forward(np.ones((2, 3)) + 1j), TypeError, "complex"),
        (lambda: Dense(3, 2).forward([["1", "2", "3"]]), TypeError, "x must be"),
        (lambda: losses.mse(np.zeros((0, 2)), np.zeros((0, 2))), ValueError, "pred must not be empty"),
        (lambda: losses.softmax_cross_entropy(np.zeros((0, 2)), np.zeros(0, int)), ValueError,
         "logits must have shape"),
        (lambda: Dropout(0.5).forward(np.zeros((0, 4))), ValueError, "x must not be empty"),
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
    h = _quiet(fit, model, X * 100, np.eye(2)[y], loss="mse", optimizer="sgd", lr=1e6,
               epochs=30, batch_size=8, restore_best=False)
    err = h["divergence"]
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
        h = _quiet(fit, model, X * 1e3, y, loss="softmax_cross_entropy", optimizer=name,
                   lr=1e6, epochs=5, batch_size=16, restore_best=False)
        assert all(np.all(np.isfinite(v)) for v in model.params.values()), name
        if h["divergence"] is not None:
            assert h["diverged_at"] == h["divergence"].epoch


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
