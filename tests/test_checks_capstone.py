"""Checkers of notebook 11: each passes the reference, refuses at least three wrong answers and
names the usual slip, and reports ⏳ for an untouched exercise."""
import numpy as np
import pytest

from mlbook.checks import (EXERCISES, HINTS, check_conv_input_grad, check_digits,
                           check_grad_check, check_gradient_errors, check_linear,
                           check_maxpool_backward, check_net, check_relu_backward,
                           check_relu_forward, check_sgd_momentum_step,
                           check_softmax_cross_entropy, check_train)


def todo(*args, **kwargs):
    raise NotImplementedError("exercise")


def passes(result):
    assert result.correct and "✅ Correct" in str(result), str(result)


def refused(result, *words):
    assert result.status == "wrong" and "❌" in str(result), str(result)
    for w in words:
        assert w in str(result), str(result)


# --------------------------------------------------------------------------------------------
# reference answers (the notebook's solutions)

class Linear:
    def __init__(self, n_in, n_out, rng=0):
        rng = np.random.default_rng(rng)
        self.params = {"W": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)),
                       "b": np.zeros(n_out)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.X = None

    def forward(self, X):
        self.X = X
        return X @ self.params["W"] + self.params["b"]

    def backward(self, dY):
        self.grads["W"] = self.X.T @ dY
        self.grads["b"] = dY.sum(axis=0)
        return dY @ self.params["W"].T


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dout, x):
    return dout * (x > 0)


def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    d = np.exp(log_p)
    d[np.arange(N), y] -= 1.0
    return -log_p[np.arange(N), y].mean(), d / N


def grad_check(f, x, h=1e-5):
    analytic = np.array(f(x)[1], dtype=float)
    numeric = np.zeros_like(x, dtype=float)
    flat, nf = x.reshape(-1), numeric.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(x)[0]
        flat[i] = old - h
        fm = f(x)[0]
        flat[i] = old
        nf[i] = (fp - fm) / (2 * h)
    err = np.max(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric)))
    return err, numeric


def gradient_errors(layer, X, y):
    def of(name):
        def f(_):
            loss, dY = softmax_cross_entropy(layer.forward(X), y)
            dX = layer.backward(dY)
            return loss, (dX if name == "X" else layer.grads[name])
        return f
    return {"W": grad_check(of("W"), layer.params["W"])[0],
            "b": grad_check(of("b"), layer.params["b"])[0], "X": grad_check(of("X"), X)[0]}


def sgd_momentum_step(params, grads, velocity, lr, momentum):
    for k in params:
        velocity[k] *= momentum
        velocity[k] -= lr * grads[k]
        params[k] += velocity[k]


class Net:
    def __init__(self, sizes, rng=0):
        rng = np.random.default_rng(rng)
        self.layers = [Linear(m, n, rng=rng) for m, n in zip(sizes[:-1], sizes[1:])]
        self.pre = []

    def forward(self, X):
        self.pre, h = [], X
        for layer in self.layers[:-1]:
            self.pre.append(layer.forward(h))
            h = relu_forward(self.pre[-1])
        return self.layers[-1].forward(h)

    def backward(self, dlogits):
        d = self.layers[-1].backward(dlogits)
        for layer, z in zip(self.layers[-2::-1], self.pre[::-1]):
            d = layer.backward(relu_backward(d, z))
        return d

    @property
    def params(self):
        return {f"{k}{i}": la.params[k] for i, la in enumerate(self.layers, 1) for k in "Wb"}

    @property
    def grads(self):
        return {f"{k}{i}": la.grads[k] for i, la in enumerate(self.layers, 1) for k in "Wb"}


def make_train(slip=None):
    def train(net, X, y, X_val, y_val, *, epochs=10, batch_size=64, lr=0.1, momentum=0.9, seed=0):
        rng = np.random.default_rng(seed)
        params = net.params
        velocity = {k: np.zeros_like(v) for k, v in params.items()}
        history = {"train_loss": [], "val_acc": [], "best_epoch": 0}
        best_acc, best = -1.0, None
        for epoch in range(1, epochs + 1):
            idx = rng.permutation(len(X))
            if slip == "x_only":
                y_ep = y
            losses = []
            for start in range(0, len(X), batch_size):
                b = idx[start:start + batch_size]
                yb = y_ep[start:start + batch_size] if slip == "x_only" else y[b]
                loss, d = softmax_cross_entropy(net.forward(X[b]), yb)
                net.backward(d)
                sgd_momentum_step(params, net.grads, velocity, lr, momentum)
                losses.append(loss)
            history["train_loss"].append(np.mean(losses))
            history["val_acc"].append(np.mean(np.argmax(net.forward(X_val), axis=1) == y_val))
            last_best = history["val_acc"][-1] > best_acc
            if last_best or slip == "last":
                best_acc = max(best_acc, history["val_acc"][-1])
                if last_best:
                    history["best_epoch"] = epoch
                best = {k: v.copy() for k, v in params.items()}
            if slip == "reset_velocity":
                velocity = {k: np.zeros_like(v) for k, v in params.items()}
        if slip != "no_restore":
            for k, v in params.items():
                v[...] = best[k]
        return history
    return train


train = make_train()


def maxpool_backward(dout, x, size=2, stride=2):
    dx = np.zeros(x.shape)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            w = x[i * stride:i * stride + size, j * stride:j * stride + size]
            a, b = np.unravel_index(np.argmax(w), w.shape)
            dx[i * stride + a, j * stride + b] += dout[i, j]
    return dx


def conv_input_grad(dout, kernel, image_shape, stride=1, padding=0, flip=False, crop=True):
    kh, kw = kernel.shape
    H, W = image_shape
    k = kernel[::-1, ::-1] if flip else kernel
    dxp = np.zeros((H + 2 * padding, W + 2 * padding))
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dxp[i * stride:i * stride + kh, j * stride:j * stride + kw] += dout[i, j] * k
    return dxp[padding:padding + H, padding:padding + W] if crop else dxp


# --------------------------------------------------------------------------------------------
# every exercise: reference ✅, untouched ⏳

CHECKS = [
    (check_linear, (Linear,)), (check_relu_forward, (relu_forward,)),
    (check_relu_backward, (relu_backward,)),
    (check_softmax_cross_entropy, (softmax_cross_entropy,)), (check_grad_check, (grad_check,)),
    (check_gradient_errors, (gradient_errors,)), (check_sgd_momentum_step, (sgd_momentum_step,)),
    (check_net, (Net,)), (check_train, (train,)), (check_maxpool_backward, (maxpool_backward,)),
    (check_conv_input_grad, (conv_input_grad,)),
]


@pytest.mark.parametrize("check,args", CHECKS, ids=[c.__name__ for c, _ in CHECKS])
def test_reference_passes(check, args):
    passes(check(*args))


class TodoLinear(Linear):
    forward = backward = todo


class TodoNet(Net):
    forward = backward = todo


TODO = {check_linear: TodoLinear, check_net: TodoNet}


@pytest.mark.parametrize("check,args", CHECKS, ids=[c.__name__ for c, _ in CHECKS])
def test_untouched_is_not_attempted(check, args):
    r = check(TODO.get(check, todo))
    assert r.status == "not_attempted" and "⏳" in str(r), str(r)


def test_every_exercise_is_declared_and_has_hints():
    for name in ("Linear", "relu_forward", "relu_backward", "softmax_cross_entropy", "grad_check",
                 "gradient_errors", "sgd_momentum_step", "Net", "train", "digits",
                 "maxpool_backward", "conv_input_grad"):
        assert name in EXERCISES and EXERCISES[name].off_limits
        assert name == "digits" or HINTS[name]


def test_not_a_class_or_function():
    refused(check_linear(Linear(2, 3)), "pass the class itself")
    refused(check_net(Net([2, 3])), "pass the class itself")
    refused(check_train(None), "pass the function itself")


# --------------------------------------------------------------------------------------------
# Linear

class TransposedDW(Linear):
    def backward(self, dY):
        dX = super().backward(dY)
        self.grads["W"] = dY.T @ self.X
        return dX


class DbNotSummed(Linear):
    def backward(self, dY):
        dX = super().backward(dY)
        self.grads["b"] = dY
        return dX


class DbMean(Linear):
    def backward(self, dY):
        dX = super().backward(dY)
        self.grads["b"] = dY.mean(axis=0)
        return dX


class Accumulates(Linear):
    def backward(self, dY):
        self.grads["W"] = self.grads["W"] + self.X.T @ dY
        self.grads["b"] = self.grads["b"] + dY.sum(axis=0)
        return dY @ self.params["W"].T


class KeepsFirstInput(Linear):
    def forward(self, X):
        if self.X is None:
            self.X = X
        return X @ self.params["W"] + self.params["b"]


class NoBias(Linear):
    def forward(self, X):
        self.X = X
        return X @ self.params["W"]


@pytest.mark.parametrize("cls,words", [
    (TransposedDW, ["dW is transposed"]),
    (DbNotSummed, ["db is not summed"]),
    (DbMean, ["db is averaged"]),
    (Accumulates, ["add up across backward calls"]),
    (KeepsFirstInput, ["EARLIER forward"]),
    (NoBias, ["bias is missing"]),
])
def test_linear_slips_are_named(cls, words):
    refused(check_linear(cls), *words)


# --------------------------------------------------------------------------------------------
# ReLU

@pytest.mark.parametrize("fn,words", [
    (lambda x: np.minimum(x, 0.0), "min(0, x)"),
    (np.abs, "|x|"),
    (lambda x: (x > 0) * 1.0, "the mask"),
    (lambda x: np.maximum(x, 0.0, out=x), "changed its input array in place"),
])
def test_relu_forward_slips(fn, words):
    refused(check_relu_forward(fn), words)


@pytest.mark.parametrize("fn,words", [
    (lambda d, x: d * (x >= 0), "convention at 0"),
    (lambda d, x: (x > 0) * 1.0, "multiply it by the upstream dout"),
    (lambda d, x: d * (d > 0), "not from dout"),
    (lambda d, x: -d * (x > 0), "wrong sign"),
])
def test_relu_backward_slips(fn, words):
    refused(check_relu_backward(fn), words)


# --------------------------------------------------------------------------------------------
# softmax cross-entropy

def sce_variant(shift=True, loss_sum=False, grad_sum=False, onehot=True):
    def f(logits, y):
        N = logits.shape[0]
        z = logits - logits.max(axis=1, keepdims=True) if shift else logits
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(N), y]).sum()
        d = p.copy()
        if onehot:
            d[np.arange(N), y] -= 1.0
        return (loss if loss_sum else loss / N), (d if grad_sum else d / N)
    return f


@pytest.mark.parametrize("fn,words", [
    (sce_variant(shift=False), "max shift is missing"),
    (sce_variant(loss_sum=True, grad_sum=True), "summed over the batch, not averaged"),
    (sce_variant(grad_sum=True), "does not match the loss's scale"),
    (sce_variant(loss_sum=True), "does not match the loss's scale"),
    (sce_variant(onehot=False), "one-hot is not subtracted"),
])
def test_softmax_cross_entropy_slips(fn, words):
    refused(check_softmax_cross_entropy(fn), words)


def test_softmax_cross_entropy_gradient_must_match_its_own_loss():
    """Right numbers on the fixed cases but a loss whose gradient is not the returned one."""
    def inconsistent(logits, y):
        loss, d = softmax_cross_entropy(logits, y)
        return loss + 0.01 * float(np.sum(logits ** 2)) * (logits.shape == (4, 3)), d
    refused(check_softmax_cross_entropy(inconsistent), "finite differences of your loss")


# --------------------------------------------------------------------------------------------
# grad_check

def gc_variant(slip):
    def g(f, x, h=1e-5):
        analytic = np.array(f(x)[1], dtype=float)
        xs = x.copy() if slip == "copy" else x
        numeric = np.zeros_like(x)
        flat, nf = xs.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            fp = f(xs)[0]
            flat[i] = old if slip == "forward" else old - h
            fm = f(xs)[0]
            if slip != "no_restore":
                flat[i] = old
            nf[i] = (fp - fm) / (h if slip in ("forward", "one_h") else 2 * h)
        diff = np.abs(analytic - numeric)
        if slip == "absolute":
            return float(np.max(diff)), numeric
        if slip == "notes":
            return float(np.max(diff / np.maximum(np.abs(analytic), np.abs(numeric)))), numeric
        err = diff / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))
        return float(np.mean(err) if slip == "mean" else np.max(err)), numeric
    return g


@pytest.mark.parametrize("slip,words", [
    ("forward", "one-sided differences"),
    ("one_h", "divide by 2h"),
    ("absolute", "absolute error"),
    ("notes", "cs231n's assignment version"),
    ("mean", "MAX over the entries"),
    ("copy", "perturbed a COPY of x"),
    ("no_restore", "put each entry back"),
])
def test_grad_check_slips(slip, words):
    refused(check_grad_check(gc_variant(slip)), words)


def test_gradient_errors_must_really_check():
    refused(check_gradient_errors(lambda layer, X, y: {"W": 0.0, "b": 0.0, "X": 0.0}),
            "must report a large error")
    refused(check_gradient_errors(lambda layer, X, y: {"W": 1.0, "b": 1.0, "X": 1.0}),
            "must be tiny")
    refused(check_gradient_errors(lambda layer, X, y: [0.0, 0.0, 0.0]), "keys 'W', 'b', 'X'")

    def one_sided(layer, X, y):          # a one-sided grad_check inside: errors ~1e-6, too big
        def of(name):
            def f(_):
                loss, dY = softmax_cross_entropy(layer.forward(X), y)
                dX = layer.backward(dY)
                return loss, (dX if name == "X" else layer.grads[name])
            return f
        g = gc_variant("forward")
        return {"W": g(of("W"), layer.params["W"])[0], "b": g(of("b"), layer.params["b"])[0],
                "X": g(of("X"), X)[0]}
    refused(check_gradient_errors(one_sided))


# --------------------------------------------------------------------------------------------
# momentum

def mom_variant(slip):
    def step(params, grads, velocity, lr, momentum):
        for k in params:
            if slip == "order":
                params[k] += velocity[k]
            if slip == "torch":
                velocity[k] = momentum * velocity[k] + grads[k]
                params[k] -= lr * velocity[k]
                continue
            sign = -1.0 if slip == "sign" else 1.0
            velocity[k] = momentum * velocity[k] - sign * lr * grads[k]
            if slip == "rebind":
                params[k] = params[k] + velocity[k]
            elif slip != "order":
                params[k] += velocity[k]
    return step


@pytest.mark.parametrize("slip,words", [
    ("sign", "wrong sign"), ("order", "wrong order"), ("torch", "PyTorch's form"),
    ("rebind", "in place"),
])
def test_momentum_slips(slip, words):
    refused(check_sgd_momentum_step(mom_variant(slip)), words)


def test_momentum_without_decay():
    def no_decay(params, grads, velocity, lr, momentum):
        for k in params:
            velocity[k] -= lr * grads[k]
            params[k] += velocity[k]
    refused(check_sgd_momentum_step(no_decay), "never decayed")


# --------------------------------------------------------------------------------------------
# Net

class TwoLayersOnly(Net):
    def forward(self, X):
        self.pre = [self.layers[0].forward(X)]
        return self.layers[1].forward(relu_forward(self.pre[0]))

    def backward(self, d):
        d = self.layers[1].backward(d)
        return self.layers[0].backward(relu_backward(d, self.pre[0]))


class ReluOnLogits(Net):
    def forward(self, X):
        return relu_forward(super().forward(X))


class ZeroBasedKeys(Net):
    @property
    def params(self):
        return {f"{k}{i}": la.params[k] for i, la in enumerate(self.layers) for k in "Wb"}


class StaleGrads(Net):
    """Layers whose grads add up across backward calls."""

    def __init__(self, sizes, rng=0):
        super().__init__(sizes, rng)
        self.layers = [Accumulates(la.params["W"].shape[0], la.params["W"].shape[1], rng=0)
                       for la in self.layers]


class CopiedParams(Net):
    @property
    def params(self):
        return {k: v.copy() for k, v in super().params.items()}


@pytest.mark.parametrize("cls,words", [
    (TwoLayersOnly, ["any number of layers"]),
    (ReluOnLogits, ["last layer's output"]),
    (ZeroBasedKeys, ["'W1'"]),
    (StaleGrads, ["latest batch"]),
    (CopiedParams, ["not copies"]),
])
def test_net_slips(cls, words):
    refused(check_net(cls), *words)


# --------------------------------------------------------------------------------------------
# train

@pytest.mark.parametrize("slip,words", [
    ("x_only", "X was shuffled but y was not"),
    ("no_restore", "LAST epoch's weights"),
    ("reset_velocity", "velocity was reset every epoch"),
])
def test_train_slips(slip, words):
    refused(check_train(make_train(slip)), words)


def test_train_reference_setting_has_a_best_epoch_before_the_last():
    """Otherwise 'kept the last epoch' could not be told from 'kept the best'."""
    from mlbook.checks.capstone import _TRAIN_SETTINGS, _train_reference
    history, _ = _train_reference()
    assert history["best_epoch"] < _TRAIN_SETTINGS["epochs"]


def test_train_that_does_not_return_history():
    refused(check_train(lambda net, *a, **k: None), "history dict")


# --------------------------------------------------------------------------------------------
# stretch

def test_maxpool_slips():
    def avg(dout, x, size=2, stride=2):
        return np.kron(dout, np.ones((2, 2))) / 4 if x.shape == (4, 4) else maxpool_backward(dout, x)

    def assign(dout, x, size=2, stride=2):
        dx = np.zeros(x.shape)
        for i in range(dout.shape[0]):
            for j in range(dout.shape[1]):
                w = x[i * stride:i * stride + size, j * stride:j * stride + size]
                a, b = np.unravel_index(np.argmax(w), w.shape)
                dx[i * stride + a, j * stride + b] = dout[i, j]
        return dx

    def ties(dout, x, size=2, stride=2):
        dx = np.zeros(x.shape)
        for i in range(dout.shape[0]):
            for j in range(dout.shape[1]):
                w = x[i * stride:i * stride + size, j * stride:j * stride + size]
                dx[i * stride:i * stride + size, j * stride:j * stride + size] += \
                    (w == w.max()) * dout[i, j]
        return dx
    refused(check_maxpool_backward(avg), "average pooling")
    refused(check_maxpool_backward(ties), "first maximum")
    refused(check_maxpool_backward(assign), "ADD up")


def test_conv_input_grad_slips():
    refused(check_conv_input_grad(lambda *a: conv_input_grad(*a, flip=True)), "flipped")
    refused(check_conv_input_grad(lambda *a: conv_input_grad(*a, crop=False)), "crop")
    refused(check_conv_input_grad(lambda d, k, s, st=1, p=0: conv_input_grad(d, k, s, 1, p)))


# --------------------------------------------------------------------------------------------
# the payoff

@pytest.mark.slow
def test_digits_reference_reaches_the_target():
    r = check_digits(Net, train)
    passes(r)
    assert "held-out digits right" in str(r)


def test_digits_refuses_an_untrained_net_and_waits_for_train():
    refused(check_digits(Net, lambda net, *a, **k: {"val_acc": [], "best_epoch": 0}), "below 95 %")
    assert check_digits(Net, todo).status == "not_attempted"
    refused(check_digits(Net([2, 3]), train), "pass the class itself")



# --------------------------------------------------------------------------------------------
# the delegation rule: an answer that calls mlbook's own implementation is ❌, naming it

class DenseLinear(Linear):
    """Linear through mlbook's Dense."""

    def forward(self, X):
        from mlbook.layers import Dense
        self.dense = Dense(*self.params["W"].shape)
        self.dense.params["W"][...] = self.params["W"]
        self.dense.params["b"][...] = self.params["b"]
        return self.dense.forward(X)

    def backward(self, dY):
        dX = self.dense.backward(dY)
        self.grads = dict(self.dense.grads)
        return dX


class SequentialNet(Net):
    """Net through mlbook's Sequential (its layers' arrays under Net's names)."""

    def forward(self, X):
        from mlbook.layers import Dense, ReLU, Sequential
        mods = []
        for i, la in enumerate(self.layers):
            d = Dense(*la.params["W"].shape)
            d.params = la.params
            mods += [d] + ([ReLU()] if i < len(self.layers) - 1 else [])
        self.seq = Sequential(mods)
        return self.seq.forward(X)

    def backward(self, dlogits):
        dX = self.seq.backward(dlogits)
        for la, d in zip(self.layers, self.seq.layers[::2]):
            la.grads = d.grads
        return dX


def _sce_mlbook(logits, y):
    from mlbook.losses import softmax_cross_entropy as sce
    return sce(logits, y)


def _grad_check_mlbook(f, x, h=1e-5):
    from mlbook.gradcheck import numerical_gradient, rel_error
    analytic = np.array(f(x)[1], dtype=float)
    numeric = numerical_gradient(lambda v: f(v)[0], x, eps=h)
    return rel_error(analytic, numeric), numeric


def _gradient_errors_mlbook(layer, X, y):
    from mlbook.gradcheck import numerical_gradient, rel_error
    out = {}
    for name in ("W", "b", "X"):
        x = X if name == "X" else layer.params[name]

        def value(_):
            return softmax_cross_entropy(layer.forward(X), y)[0]
        loss, dY = softmax_cross_entropy(layer.forward(X), y)
        dX = layer.backward(dY)
        a = np.array(dX if name == "X" else layer.grads[name])
        out[name] = rel_error(a, numerical_gradient(value, x))
    return out


def _momentum_mlbook(params, grads, velocity, lr, momentum):
    from mlbook.optim import momentum_update
    for k in params:
        w, v = momentum_update(params[k], grads[k], velocity[k], lr, momentum)
        params[k][...], velocity[k][...] = w, v


def _train_fit(net, X, y, X_val, y_val, *, epochs=10, batch_size=64, lr=0.1, momentum=0.9, seed=0):
    from mlbook.layers import fit
    fit(net, X, y, loss="softmax_cross_entropy", epochs=epochs, batch_size=batch_size, lr=lr,
        seed=seed)
    return {"train_loss": [0.0] * epochs, "val_acc": [0.0] * epochs, "best_epoch": 1}


def _maxpool_mlbook(dout, x, size=2, stride=2):
    from mlbook.layers import MaxPool2D
    pool = MaxPool2D(size, stride)
    pool.forward(x[None, None])
    return pool.backward(dout[None, None])[0, 0]


def _conv_input_grad_mlbook(dout, kernel, image_shape, stride=1, padding=0):
    from mlbook.conv import conv2d_backward
    return conv2d_backward(np.zeros(image_shape), kernel, dout, stride=stride, padding=padding)[0]


DELEGATING = [
    (check_linear, (DenseLinear,), "Dense"),
    (check_relu_forward, (lambda x: __import__("mlbook.activations").activations.relu(x),), "relu"),
    (check_relu_backward, (lambda d, x: d * __import__("mlbook.activations").activations.relu_grad(x),),
     "relu_grad"),
    (check_softmax_cross_entropy, (_sce_mlbook,), "softmax_cross_entropy"),
    (check_grad_check, (_grad_check_mlbook,), "numerical_gradient"),
    (check_gradient_errors, (_gradient_errors_mlbook,), "mlbook.gradcheck"),
    (check_sgd_momentum_step, (_momentum_mlbook,), "momentum_update"),
    (check_net, (SequentialNet,), "mlbook.layers.dense"),
    (check_train, (_train_fit,), "fit"),
    (check_digits, (Net, _train_fit), "fit"),
    (check_maxpool_backward, (_maxpool_mlbook,), "MaxPool2D"),
    (check_conv_input_grad, (_conv_input_grad_mlbook,), "conv2d_backward"),
]


@pytest.mark.parametrize("check,args,name", DELEGATING, ids=[c.__name__ for c, _, _ in DELEGATING])
def test_delegating_answer_is_refused_naming_the_function(check, args, name):
    refused(check(*args), name, "write it yourself")


def test_a_train_that_fetches_the_held_out_digits_is_refused():
    def peeking_train(net, X, y, X_val, y_val, **settings):
        from mlbook.checks.capstone import digits_data
        *_, X_test, y_test = digits_data()      # then it would train on them too
        return None
    refused(check_digits(Net, peeking_train), "digits_data", "write it yourself")


def test_digits_out_of_time_says_what_a_correct_run_takes(monkeypatch):
    import mlbook.checks.capstone as capstone
    monkeypatch.setattr(capstone, "DIGITS_BUDGET", 1.0)

    def endless(net, *args, **kwargs):
        while True:
            net.forward(args[0][:10])
    refused(check_digits(Net, endless), "was stopped", "about 10 s")


def test_train_loss_recorded_another_way_is_named():
    """Right weights, but the loss of each epoch recorded as notebook 04 did (the whole set after
    the epoch) or weighted by batch size; and a history that is not numbers."""
    from mlbook.checks import capstone
    h, _ = capstone._train_reference("loss_full")

    def replay(net, X, y, X_val, y_val, **settings):
        history = train(net, X, y, X_val, y_val, **settings)
        history["train_loss"] = list(h["train_loss"])
        return history
    refused(check_train(replay), "not the loss on the whole training set")
    h2, _ = capstone._train_reference("loss_weighted")

    def weighted(net, X, y, X_val, y_val, **settings):
        history = train(net, X, y, X_val, y_val, **settings)
        history["train_loss"] = list(h2["train_loss"])
        return history
    refused(check_train(weighted), "not weighted by batch size")
    refused(check_train(lambda *a, **k: {"train_loss": ["x"], "val_acc": [], "best_epoch": 0}))
