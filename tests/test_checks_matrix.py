"""Checkers of notebook 04: pass the reference, name the usual slips, survive hostile functions."""
import numpy as np
import pytest

from mlbook.activations import sigmoid
from mlbook.checks import (HINTS, check_dense_backward, check_train_epochs,
                           check_two_layer_backward, hint)
from mlbook.checks.matrix import (_TRAIN, _train_data, _train_model, _train_variant,
                                  _two_layer_reference)
from mlbook.layers import Dense
from mlbook.losses import softmax_cross_entropy
from mlbook.worked_example import INPUTS, TARGETS, as_matrices, gradients


def not_attempted(*args, **kwargs):
    raise NotImplementedError("exercise")


# --------------------------------------------------------------------------------------------
# dense_backward

def dense_ok(dY, X, W):
    return dY @ W.T, X.T @ dY, dY.sum(axis=0)


def dense_via_mlbook(dY, X, W):
    layer = Dense(*W.shape)
    layer.params["W"][...] = W
    layer.forward(X)
    return layer.backward(dY), layer.grads["W"], layer.grads["b"]


@pytest.mark.parametrize("fn", [dense_ok, dense_via_mlbook])
@pytest.mark.usefixtures("no_delegation_rule")
def test_dense_reference_passes(fn):
    r = check_dense_backward(fn)
    assert r.correct and "✅ Correct" in str(r), str(r)


@pytest.mark.parametrize("fn,words", [
    (lambda dY, X, W: (dY @ W.T, dY.T @ X, dY.sum(0)), "dW (item 1): transposed"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY, dY.mean(0)), "mean vs sum mix-up"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY / len(X), dY.sum(0) / len(X)), "mean vs sum mix-up"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY, dY), "not summed over the batch"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY, dY.sum(1)), "wrong axis"),
    (lambda dY, X, W: (dY @ W if W.shape[0] == W.shape[1] else dY @ W.T, X.T @ dY, dY.sum(0)),
     "W is not transposed"),
    (lambda dY, X, W: (W @ dY.T, X.T @ dY, dY.sum(0)), "dX has the shape of X"),
    (lambda dY, X, W: (dY @ W.T, X[:1].T @ dY[:1], dY.sum(0)), "only the first example"),
])
def test_dense_slips_are_named(fn, words):
    r = check_dense_backward(fn)
    assert r.status == "wrong" and "❌" in str(r)
    assert words in str(r), str(r)


def test_dense_square_transpose_is_caught_by_value():
    """With square shapes a transposed dW has the right shape; the value check names it."""
    def transposed_when_square(dY, X, W):
        dW = X.T @ dY
        return dY @ W.T, dW.T if dW.shape[0] == dW.shape[1] else dW, dY.sum(0)
    r = check_dense_backward(transposed_when_square)
    assert "square shapes" in str(r) and "dW (item 1): transposed" in str(r), str(r)


def test_dense_finite_difference_case_runs_after_mlbook_cases():
    calls = []

    def counting(dY, X, W):
        calls.append(dY.shape)
        return dense_ok(dY, X, W)
    assert check_dense_backward(counting)
    assert calls[-1] == (5, 3)          # the finite-difference case, last


@pytest.mark.parametrize("fn,words", [
    (lambda dY, X, W: None, "got None"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY), "tuple of 3 values"),
    (lambda dY, X, W: [dY @ W.T, X.T @ dY, dY.sum(0)].__iter__(), "tuple of 3 values"),
    (lambda dY, X, W: (dY @ W.T, (2 * X.T @ dY).tolist(), dY.sum(0)), "Python list"),
    (lambda dY, X, W: (dY @ W.T * np.nan, X.T @ dY, dY.sum(0)), "contains nan"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY, dY.sum(0)[:1]), "wrong shape"),
    (lambda dY, X, W: (dY @ W.T, X.T @ dY, float(dY.sum())), "expected a numpy array"),
    (lambda dY, X, W: dY @ X, "raised ValueError"),
])
def test_dense_hostile_functions_get_clear_messages(fn, words):
    r = check_dense_backward(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_dense_a_right_answer_as_lists_passes():
    """checks.core compares a list of numbers as an array: right values in a list are right."""
    r = check_dense_backward(lambda dY, X, W: tuple(a.tolist() for a in dense_ok(dY, X, W)))
    assert r.passed, str(r)


def test_dense_in_place_not_attempted_and_not_callable():
    def in_place(dY, X, W):
        dY *= 1.0 / len(X)
        return dense_ok(dY, X, W)
    assert "in place" in str(check_dense_backward(in_place))
    assert check_dense_backward(not_attempted).status == "not_attempted"
    assert "⏳" in str(check_dense_backward(not_attempted))
    assert "expected a function" in str(check_dense_backward(None))


# --------------------------------------------------------------------------------------------
# two_layer_backward

def two_layer_ok(X, T, W1, b1, W2, b2):
    out_h = sigmoid(X @ W1 + b1)
    out_o = sigmoid(out_h @ W2 + b2)
    d_o = (out_o - T) / len(X) * out_o * (1 - out_o)
    d_h = d_o @ W2.T * out_h * (1 - out_h)
    return X.T @ d_h, d_h.sum(0), out_h.T @ d_o, d_o.sum(0)


def two_layer_with(**slip):
    def fn(X, T, W1, b1, W2, b2):
        out_h = sigmoid(X @ W1 + b1)
        out_o = sigmoid(out_h @ W2 + b2)
        n = 1 if slip.get("sum") else len(X)
        p_o = 1.0 if slip.get("no_out_prime") else out_o * (1 - out_o)
        d_o = (out_o - T) / n * p_o
        p_h = 1.0 if slip.get("no_hidden_prime") else out_h * (1 - out_h)
        d_h = d_o @ W2.T * p_h
        dW1, dW2 = X.T @ d_h, out_h.T @ d_o
        if slip.get("transpose"):
            dW1, dW2 = dW1.T, dW2.T
        if slip.get("db_mean"):
            return dW1, d_h.mean(0), dW2, d_o.mean(0)
        if slip.get("db_unsummed"):
            return dW1, d_h, dW2, d_o
        return dW1, d_h.sum(0), dW2, d_o.sum(0)
    return fn


def test_reference_equals_notebook_02_for_the_worked_example():
    dW1, db1, dW2, db2 = _two_layer_reference(np.array([INPUTS]), np.array([TARGETS]),
                                              *as_matrices())
    g = gradients()
    assert np.allclose(dW1, [[g["w1"], g["w3"]], [g["w2"], g["w4"]]], rtol=0, atol=1e-15)
    assert np.allclose(dW2, [[g["w5"], g["w7"]], [g["w6"], g["w8"]]], rtol=0, atol=1e-15)
    assert abs(db1.sum() - g["b1"]) < 1e-15 and abs(db2.sum() - g["b2"]) < 1e-15


@pytest.mark.usefixtures("no_delegation_rule")
def test_two_layer_reference_passes():
    r = check_two_layer_backward(two_layer_ok)
    assert r.correct and "✅" in str(r), str(r)
    assert check_two_layer_backward(_two_layer_reference)


@pytest.mark.parametrize("slip,words", [
    (dict(no_out_prime=True), "σ' forgotten at the output"),
    (dict(no_hidden_prime=True), "σ' forgotten in the hidden layer"),
    (dict(no_out_prime=True, no_hidden_prime=True), "σ' forgotten"),
    (dict(sum=True), "N times too large"),
    (dict(db_mean=True), "divided by N twice"),
    (dict(db_unsummed=True), "not summed over the batch"),
    (dict(transpose=True), "transposed"),
])
def test_two_layer_slips_are_named(slip, words):
    r = check_two_layer_backward(two_layer_with(**slip))
    assert r.status == "wrong" and words in str(r), str(r)


def test_two_layer_sigma_prime_of_output_is_named():
    def prime_of_out(X, T, W1, b1, W2, b2):
        out_h = sigmoid(X @ W1 + b1)
        out_o = sigmoid(out_h @ W2 + b2)
        s = sigmoid(out_o)
        d_o = (out_o - T) / len(X) * s * (1 - s)
        sh = sigmoid(out_h)
        d_h = d_o @ W2.T * sh * (1 - sh)
        return X.T @ d_h, d_h.sum(0), out_h.T @ d_o, d_o.sum(0)
    r = check_two_layer_backward(prime_of_out)
    assert "σ' evaluated at the output" in str(r), str(r)


@pytest.mark.parametrize("fn,words", [
    (lambda *a: None, "got None"),
    (lambda *a: two_layer_ok(*a)[:3], "tuple of 4 values"),
    (lambda *a: tuple(g * np.nan for g in two_layer_ok(*a)), "contains nan"),
    (lambda *a: (a[2][:, :1], a[3], a[4], a[5]), "wrong shape"),
    (lambda *a: {"dW1": 0}, "tuple of 4 values"),
    (lambda X, *a: X[10], "raised IndexError"),
])
def test_two_layer_hostile_functions_get_clear_messages(fn, words):
    r = check_two_layer_backward(fn)
    assert r.status == "wrong" and words in str(r), str(r)
    assert check_two_layer_backward(not_attempted).status == "not_attempted"


# --------------------------------------------------------------------------------------------
# train_epochs

def train_ok(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        idx = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            b = idx[start:start + batch_size]
            _, dout = loss_fn(model.forward(X[b]), y[b])
            model.backward(dout)
            grads = model.grads
            for name, p in model.params.items():
                p -= lr * grads[name]
        losses.append(loss_fn(model.forward(X), y)[0])
    return losses


def train_with(**slip):
    def fn(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        losses = []
        for _ in range(epochs):
            if not (slip.get("once") and _):
                idx = rng.permutation(len(X))
            batch_losses = []
            for start in range(0, len(X), batch_size):
                b = idx[start:start + batch_size]
                yb = y[start:start + batch_size] if slip.get("x_only") else y[b]
                value, dout = loss_fn(model.forward(X[b]), yb)
                batch_losses.append(value)
                model.backward(dout)
                grads = model.grads
                for name, p in model.params.items():
                    if slip.get("rebind"):
                        model.params[name] = p - lr * grads[name]
                    elif slip.get("divide"):
                        p -= lr * grads[name] / len(b)
                    elif slip.get("divide_bs"):
                        p -= lr * grads[name] / batch_size
                    elif slip.get("multiply"):
                        p -= lr * grads[name] * batch_size
                    elif slip.get("ascent"):
                        p += lr * grads[name]
                    else:
                        p -= lr * grads[name]
            losses.append(np.mean(batch_losses) if slip.get("batch_mean")
                          else loss_fn(model.forward(X), y)[0])
        return losses
    return fn


def train_rng_in_loop(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):
    losses = []
    for _ in range(epochs):
        idx = np.random.default_rng(seed).permutation(len(X))
        for start in range(0, len(X), batch_size):
            b = idx[start:start + batch_size]
            _, dout = loss_fn(model.forward(X[b]), y[b])
            model.backward(dout)
            for name, p in model.params.items():
                p -= lr * model.grads[name]
        losses.append(loss_fn(model.forward(X), y)[0])
    return losses


def train_no_shuffle(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):
    return _plain(model, X, y, loss_fn, lr, epochs, batch_size)


def _plain(model, X, y, loss_fn, lr, epochs, batch_size):
    losses = []
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            rows = slice(start, start + batch_size)
            _, dout = loss_fn(model.forward(X[rows]), y[rows])
            model.backward(dout)
            for name, p in model.params.items():
                p -= lr * model.grads[name]
        losses.append(loss_fn(model.forward(X), y)[0])
    return losses


def train_shuffles_x_in_place(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    X[:] = X[rng.permutation(len(X))]
    return _plain(model, X, y, loss_fn, lr, epochs, batch_size)


def test_train_reference_passes():
    r = check_train_epochs(train_ok)
    assert r.correct and "✅" in str(r), str(r)


def test_train_variant_without_slips_is_fit():
    X, y = _train_data()
    losses, _ = _train_variant(X, y, **_TRAIN)
    model_losses = train_ok(_train_model(), X, y, softmax_cross_entropy, **_TRAIN)
    assert np.allclose(losses, model_losses, rtol=0, atol=1e-12)


@pytest.mark.parametrize("fn,words", [
    (train_with(x_only=True), "shuffled X but not y"),
    (train_no_shuffle, "not shuffled"),
    (train_rng_in_loop, "create the generator ONCE"),
    (train_with(divide=True), "dividing by the batch size again"),
    (train_with(divide_bs=True), "dividing by the batch size again"),
    (train_with(multiply=True), "multiplying by the batch size"),
    (train_with(once=True), "every epoch used the same order"),
    (train_with(ascent=True), "wrong sign"),
    (train_with(batch_mean=True), "mean of the mini-batch losses"),
    (train_with(rebind=True), "did not change"),
    (train_shuffles_x_in_place, "changed its input array in place"),
])
def test_train_slips_are_named(fn, words):
    r = check_train_epochs(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_train_drop_last_is_named():
    def drop_last(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):
        rng = np.random.default_rng(seed)
        losses = []
        for _ in range(epochs):
            idx = rng.permutation(len(X))
            for start in range(0, len(X) - batch_size + 1, batch_size):
                b = idx[start:start + batch_size]
                _, dout = loss_fn(model.forward(X[b]), y[b])
                model.backward(dout)
                for name, p in model.params.items():
                    p -= lr * model.grads[name]
            losses.append(loss_fn(model.forward(X), y)[0])
        return losses
    r = check_train_epochs(drop_last)
    assert "last, smaller mini-batch was skipped" in str(r), str(r)


@pytest.mark.parametrize("fn,words", [
    (lambda *a, **k: None, "returned None"),
    (lambda *a, **k: [1.0], "wrong shape"),
    (lambda *a, **k: [float("nan")] * 3, "nan"),
    (lambda *a, **k: "loss", "expected a numpy array"),
    (lambda *a, **k: [None, None, None], "expected a list of 3 numbers"),
    (lambda *a, **k: np.zeros((3, 1)), "wrong shape"),
    (lambda model, X, y, loss_fn: [], "raised TypeError"),
    (lambda *a, **k: 1 / 0, "raised ZeroDivisionError"),
])
def test_train_hostile_functions_get_clear_messages(fn, words):
    r = check_train_epochs(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_train_not_attempted_and_not_callable():
    assert check_train_epochs(not_attempted).status == "not_attempted"
    assert "expected a function" in str(check_train_epochs([1, 2]))


# --------------------------------------------------------------------------------------------
# hints

def test_hints_registered_one_step_at_a_time():
    for name in ("dense_backward", "two_layer_backward", "train_epochs"):
        assert len(HINTS[name]) >= 3
        assert "💡" in str(hint(name, 1)) and "hint 1 of" in str(hint(name, 1))
    assert "X.T @ dY" in str(hint("dense_backward", 4))
    assert "y[b]" in str(hint("train_epochs", 2))
