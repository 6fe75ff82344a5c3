"""Optimizers: how a gradient becomes a step.

Every optimizer is a small class with one method::

    opt = Adam(lr=0.01)
    opt.step(params, grads)     # params, grads: dicts {name: float ndarray}, same keys and shapes

``step`` updates the arrays of ``params`` **in place** (``p -= ...``), so a layer's parameters
change without being rebound. A step is all or nothing: a gradient holding inf/NaN is refused
before anything changes, and an update that would make a parameter inf/NaN is undone (every
parameter and the optimizer's state as before) — both raise :class:`DivergenceError`. State (velocities, running averages, step counts) is kept per
parameter array, under its name in ``params``: use one optimizer for one ``params`` dict.

Notation (the docstrings and the notebook use it): ``theta`` a parameter array, ``g`` its
gradient dL/dtheta at the current step, ``lr`` the learning rate (alpha in the slides), ``t``
the step number starting at 1, all operations elementwise.

Schedules change ``opt.lr`` between epochs: :class:`StepDecay`, :class:`ExponentialDecay` and
:class:`HalveOnPlateau` (the slides' recipe: start at 0.1, keep it until the validation error
stops improving, then halve it).

The pure functions :func:`momentum_update` and :func:`adam_update` return new arrays instead of
updating in place; they are the references for the notebook's exercises, and the tests check
that the classes agree with them.
"""
import math

import numpy as np

from .validation import (as_float_array, check_flag, check_int, check_number,
                         check_overflow, check_param_dicts, check_positive)

__all__ = [
    "Optimizer", "SGD", "Momentum", "Adagrad", "RMSProp", "Adadelta", "Adam", "AdamW",
    "OPTIMIZERS", "make_optimizer", "momentum_update", "adam_update",
    "StepDecay", "ExponentialDecay", "HalveOnPlateau", "DivergenceError",
]


class DivergenceError(ValueError):
    """Training diverged: a gradient, a parameter or the loss became inf or NaN (lr too large).

    The exception carries what happened as data, so no caller parses its message:
    ``name`` — what diverged (a parameter name, ``"loss"``), ``quantity`` — ``"gradient"``,
    ``"parameter"`` or ``"loss"``, ``step`` — the update (1-based) at which it happened,
    ``epoch`` — the epoch in :func:`mlbook.layers.fit` (else None).
    """

    def __init__(self, message, *, name=None, step=None, epoch=None, quantity=None):
        super().__init__(message)
        self.name, self.step, self.epoch, self.quantity = name, step, epoch, quantity


def _all_finite(a):
    """True when every entry of ``a`` is finite. The common case costs one sum: NaN or inf in
    ``a`` makes the sum NaN or inf; only a non-finite sum (which may also be an overflow of
    finite entries) is looked at entry by entry."""
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(np.sum(a)):
            return True
        return bool(np.isfinite(a).all())


def _small_update(p, d):
    """True when ``p - d`` and ``p + d`` are finite, shown by one dot product: ``p . d`` is
    finite only if every p_i and d_i is (inf * 0 is NaN) and no product p_i d_i overflows —
    and a sum p_i +- d_i of finite numbers that overflows needs max(|p_i|, |d_i|) >= 2**1023
    and the other > 2**970 (half a unit in the last place of the largest float64), whose
    product overflows. False when that is not shown (then check the result itself)."""
    if not (p.flags.c_contiguous and d.flags.c_contiguous):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return math.isfinite(np.dot(p.reshape(-1), d.reshape(-1)))


class _Scratch:
    """``buf(key)``: a float64 array of p's shape kept between steps under ``key`` (values
    left over: each staged rule writes every entry before reading it)."""

    def __init__(self, bufs, p):
        self.bufs, self.shape = bufs, p.shape

    def __call__(self, key):
        b = self.bufs.get(key)
        if b is None:
            b = self.bufs[key] = np.empty(self.shape)
        return b


# --------------------------------------------------------------------------------------------
# the optimizers

class Optimizer:
    """Base class: validates ``lr``, keeps ``state[name]`` per parameter array, checks inputs."""

    def __init__(self, lr):
        self.lr = lr
        self.state = {}

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = check_positive(value, "lr")

    def step(self, params, grads):
        """Update every ``params[name]`` in place from ``grads[name]``.

        All or nothing: raises ValueError/TypeError naming the argument when keys or shapes do
        not match, and :class:`DivergenceError` when a gradient is inf or NaN — both before any
        parameter changes — or when the update would make a parameter inf or NaN, in which case
        every parameter and the optimizer's state are put back as they were.

        How (the cost matters: a training loop steps thousands of times): with float64
        parameters and gradients an optimizer that has a staged rule (``_stage``) computes the
        update and the new state arrays into scratch arrays kept between steps, checks them
        (see ``_staged_step``), and only then applies them (state arrays are swapped with their
        scratch, not copied); the other rules update in place after copying every parameter
        and state array, and put the copies back if the update failed. Both give the same
        numbers, bit for bit, as the formulas in the docstrings.
        """
        check_param_dicts(params, grads)
        if self._can_stage() and all(p.dtype == np.float64 and grads[k].dtype == np.float64
                                     for k, p in params.items()):
            self._staged_step(params, grads)
            return
        self._check_grads(grads)
        saved = ({k: p.copy() for k, p in params.items()},
                 {k: {n: (v.copy() if isinstance(v, np.ndarray) else v) for n, v in st.items()}
                  for k, st in self.state.items()})
        with np.errstate(over="ignore", invalid="ignore"):
            for name, p in params.items():
                self._state_for(name, p)
                self._update(p, grads[name], self.state[name])
        bad = [name for name, p in params.items() if not np.isfinite(p).all()]
        if bad:
            for k, p in params.items():
                p[...] = saved[0][k]
            self.state = saved[1]
            self._refuse(bad[0])

    def _state_for(self, name, p):
        """Create the state of ``params[name]`` (``_init_state``) on first use or when the
        array's shape changed."""
        st = self.state.get(name)
        if st is None or st.get("shape") != p.shape:
            st = self.state[name] = {"shape": p.shape}
            self._init_state(st, p)

    def _refuse(self, name):
        raise DivergenceError(
            f"{type(self).__name__}.step would make params[{name!r}] inf or NaN: the "
            f"updates diverged (lr={self.lr:g} is too large for this problem); no parameter "
            f"was changed", name=name, quantity="parameter")

    def _can_stage(self):
        return type(self)._stage is not Optimizer._stage

    def _check_grads(self, grads):
        for name, g in grads.items():
            if not _all_finite(g):
                raise DivergenceError(
                    f"{type(self).__name__}.step: grads[{name!r}] holds inf or NaN (the loss "
                    f"diverged); refused before any parameter changed", name=name,
                    quantity="gradient")

    def _staged_step(self, params, grads):
        """Stage every update (``_stage``), check, then commit. In the common case one dot
        product proves the update ``p - d`` (or ``p + d``) finite (:func:`_small_update`) and
        it is done in place. Otherwise the new values are computed aside and checked entry by
        entry; a gradient with inf/NaN (whose update is never finite) or an update that is
        not finite raises before anything changed."""
        before = dict(self.state)              # the state dicts of this step's names, if any
        scratch = self.__dict__.setdefault("_scratch", {})
        staged = []
        with np.errstate(over="ignore", invalid="ignore"):
            for name, p in params.items():
                self._state_for(name, p)
                st = self.state[name]
                bufs = scratch.get(name)
                if bufs is None or bufs.get("shape") != p.shape:
                    bufs = scratch[name] = {"shape": p.shape}
                op, d, keys, scalars = self._stage(p, grads[name], st, _Scratch(bufs, p))
                new = d                            # op None: d is the new parameter
                safe = op is not None and _small_update(p, d)
                if not safe:                       # the new values aside, checked in full
                    if op is not None:
                        new = op(p, d, out=_Scratch(bufs, p)("aside"))
                    if not np.isfinite(new).all():
                        staged.append((name, None))
                        continue
                staged.append((name, (p, op, d if safe else new, safe, st, bufs, keys,
                                      scalars)))
        bad = next((name for name, plan in staged if plan is None), None)
        if bad is not None:
            for k in params:                         # forget state created by this step only
                if k in before:
                    self.state[k] = before[k]
                else:
                    self.state.pop(k, None)
            self._check_grads(grads)                 # an inf/NaN gradient is reported as such
            self._refuse(bad)
        for _, (p, op, d, safe, st, bufs, keys, scalars) in staged:
            if safe:
                with np.errstate(over="ignore", invalid="ignore"):
                    op(p, d, out=p)
            else:
                np.copyto(p, d)
            for k in keys:                           # swap: the old array becomes scratch
                st[k], bufs[k] = bufs[k], st[k]
            st.update(scalars)

    def _stage(self, p, g, st, buf):  # pragma: no cover - only staged rules override it
        """The staged rule: compute the update and the new state arrays WITHOUT changing
        ``p`` or ``st``, into ``buf(key)`` (a scratch array of p's shape kept between steps).
        Returns ``(op, d, keys, scalars)``: the new parameter is ``op(p, d)`` (np.subtract or
        np.add, the formula's last operation; op None: d is the new parameter), ``keys`` the state arrays whose new value is in
        ``buf(key)`` (under the same key), ``scalars`` new scalar state values."""
        raise NotImplementedError

    def _init_state(self, st, p):
        pass

    def _update(self, p, g, st):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def reset(self):
        """Forget all state (velocities, averages, step counts)."""
        self.state = {}
        self.__dict__.pop("_scratch", None)

    def _hyper(self):
        return f"lr={self.lr:g}"

    def __repr__(self):
        return f"{type(self).__name__}({self._hyper()})"


class SGD(Optimizer):
    """Plain (stochastic) gradient descent — the rule of the worked example and the slides:

        theta <- theta - lr * g
    """

    def _update(self, p, g, st):
        p -= self.lr * g

    def _stage(self, p, g, st, buf):
        new = np.multiply(g, self.lr, out=buf("new"))
        return np.subtract, new, (), {}


class Momentum(Optimizer):
    """Gradient descent with momentum (Polyak 1964; form of Sutskever et al. 2013, eq. 1-2):

        v     <- momentum * v - lr * g          (v starts at 0: a velocity)
        theta <- theta + v

    With ``nesterov=True``, Nesterov's accelerated gradient (Sutskever et al. 2013, eq. 3-4)
    takes the gradient at the look-ahead point theta + momentum * v. Since ``step`` receives
    the gradient at the stored parameters, we store the look-ahead point instead
    (Bengio, Boulanger-Lewandowski & Pascanu 2013), which gives the equivalent update

        v_prev = v
        v     <- momentum * v - lr * g
        theta <- theta - momentum * v_prev + (1 + momentum) * v

    The slides write the same thing with an accumulated gradient
    bar_g <- g + momentum * bar_g, theta <- theta - lr * bar_g, i.e. v = -lr * bar_g.
    """

    def __init__(self, lr, momentum=0.9, nesterov=False):
        super().__init__(lr)
        self.momentum = check_number(momentum, "momentum", low=0, high=1, high_open=True)
        self.nesterov = check_flag(nesterov, "nesterov")

    def _init_state(self, st, p):
        st["v"] = np.zeros_like(p)

    def _update(self, p, g, st):
        v = st["v"]
        if self.nesterov:
            v_prev = v.copy()
            v *= self.momentum
            v -= self.lr * g
            p += -self.momentum * v_prev + (1.0 + self.momentum) * v
        else:
            v *= self.momentum
            v -= self.lr * g
            p += v

    def _can_stage(self):
        return not self.nesterov

    def _stage(self, p, g, st, buf):
        v = np.multiply(st["v"], self.momentum, out=buf("v"))
        new = np.multiply(g, self.lr, out=buf("new"))
        v -= new
        return np.add, v, ("v",), {}

    def _hyper(self):
        return f"lr={self.lr:g}, momentum={self.momentum:g}" + (", nesterov=True" if self.nesterov else "")


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011, diagonal version):

        G     <- G + g**2                      (sum of all squared gradients so far)
        theta <- theta - lr * g / (sqrt(G) + eps)

    Each coordinate gets its own step size, which only ever shrinks. (The slides put eps
    inside the square root, sqrt(G + eps); the paper adds delta outside. Both only guard 0/0.)
    """

    def __init__(self, lr, eps=1e-8):
        super().__init__(lr)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, st, p):
        st["G"] = np.zeros_like(p)

    def _update(self, p, g, st):
        G = st["G"]
        G += g * g
        p -= self.lr * g / (np.sqrt(G) + self.eps)

    def _stage(self, p, g, st, buf):
        G = np.multiply(g, g, out=buf("G"))
        G += st["G"]
        new = np.multiply(g, self.lr, out=buf("new"))
        root = np.sqrt(G, out=buf("root"))
        root += self.eps
        new /= root
        return np.subtract, new, ("G",), {}

    def _hyper(self):
        return f"lr={self.lr:g}, eps={self.eps:g}"


class RMSProp(Optimizer):
    """RMSProp (Hinton, Coursera lecture 6e, 2012):

        s     <- rho * s + (1 - rho) * g**2    (running average of squared gradients)
        theta <- theta - lr * g / (sqrt(s) + eps)

    Like Adagrad, but old gradients are forgotten, so the step size can grow again.
    """

    def __init__(self, lr, rho=0.9, eps=1e-8):
        super().__init__(lr)
        self.rho = check_number(rho, "rho", low=0, high=1, high_open=True)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, st, p):
        st["s"] = np.zeros_like(p)

    def _update(self, p, g, st):
        s = st["s"]
        s *= self.rho
        s += (1.0 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(s) + self.eps)

    def _stage(self, p, g, st, buf):      # the same operations, in the same order
        s = np.multiply(st["s"], self.rho, out=buf("s"))
        new = np.multiply(g, 1.0 - self.rho, out=buf("new"))
        new *= g
        s += new
        np.multiply(g, self.lr, out=new)
        root = np.sqrt(s, out=buf("root"))
        root += self.eps
        new /= root
        return np.subtract, new, ("s",), {}

    def _hyper(self):
        return f"lr={self.lr:g}, rho={self.rho:g}, eps={self.eps:g}"


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012, Algorithm 1) — no learning rate in the paper:

        Eg2   <- rho * Eg2 + (1 - rho) * g**2
        dx     = - sqrt(Edx2 + eps) / sqrt(Eg2 + eps) * g
        Edx2  <- rho * Edx2 + (1 - rho) * dx**2
        theta <- theta + lr * dx                (lr = 1, the paper's rule, by default)

    The ratio of RMS values gives the step the units of theta.
    """

    def __init__(self, rho=0.95, eps=1e-6, lr=1.0):
        super().__init__(lr)
        self.rho = check_number(rho, "rho", low=0, high=1, high_open=True)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, st, p):
        st["Eg2"] = np.zeros_like(p)
        st["Edx2"] = np.zeros_like(p)

    def _update(self, p, g, st):
        Eg2, Edx2 = st["Eg2"], st["Edx2"]
        Eg2 *= self.rho
        Eg2 += (1.0 - self.rho) * g * g
        dx = -np.sqrt(Edx2 + self.eps) / np.sqrt(Eg2 + self.eps) * g
        Edx2 *= self.rho
        Edx2 += (1.0 - self.rho) * dx * dx
        p += self.lr * dx

    def _hyper(self):
        return f"rho={self.rho:g}, eps={self.eps:g}" + (f", lr={self.lr:g}" if self.lr != 1 else "")


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1):

        t     <- t + 1
        m     <- beta1 * m + (1 - beta1) * g        (first moment: momentum)
        v     <- beta2 * v + (1 - beta2) * g**2     (second moment: as in RMSProp)
        m_hat  = m / (1 - beta1**t)                  (bias correction: m, v start at 0)
        v_hat  = v / (1 - beta2**t)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    Without the bias correction the first steps would be far too small (m = 0.1 g at t = 1).
    """

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
        self.beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, st, p):
        st["t"] = 0
        st["m"] = np.zeros_like(p)
        st["v"] = np.zeros_like(p)

    def _update(self, p, g, st):
        st["t"] += 1
        t, m, v = st["t"], st["m"], st["v"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1 ** t)
        v_hat = v / (1.0 - self.beta2 ** t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _stage(self, p, g, st, buf):      # the same operations, in the same order
        t = st["t"] + 1
        m = np.multiply(st["m"], self.beta1, out=buf("m"))
        new = np.multiply(g, 1.0 - self.beta1, out=buf("new"))
        m += new
        v = np.multiply(st["v"], self.beta2, out=buf("v"))
        np.multiply(g, 1.0 - self.beta2, out=new)
        new *= g
        v += new
        np.divide(m, 1.0 - self.beta1 ** t, out=new)           # m_hat
        new *= self.lr
        root = np.divide(v, 1.0 - self.beta2 ** t, out=buf("root"))   # v_hat
        np.sqrt(root, out=root)
        root += self.eps
        new /= root
        return np.subtract, new, ("m", "v"), {"t": t}

    def _hyper(self):
        return f"lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, eps={self.eps:g}"


class AdamW(Adam):
    """AdamW: Adam with *decoupled* weight decay (Loshchilov & Hutter 2019, Algorithm 2).

        t     <- t + 1
        m, v, m_hat, v_hat                          (exactly as in Adam, from g alone)
        theta <- theta - lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * theta)

    The decay term is applied to the weights directly and is NOT divided by sqrt(v_hat): every
    weight shrinks by the same factor (1 - lr * weight_decay) per step, whatever its gradients.
    An L2 penalty added to the gradient (``Penalized(Adam(lr), L2(lam))``) goes through the
    adaptive division instead, and is a different regularizer under Adam.

    The paper writes theta <- theta - eta_t * (alpha * m_hat / (sqrt(v_hat) + eps) + lambda *
    theta) with a schedule multiplier eta_t; this is that rule with alpha = 1, eta_t = lr and
    lambda = weight_decay, the convention of PyTorch's ``torch.optim.AdamW(lr, weight_decay=)``
    (decay lr * weight_decay per step; its default weight_decay is 0.01, as here). The decay
    applies to every array the optimizer is given, biases included; pass only the weights if
    the biases should not decay. ``weight_decay=0`` is Adam exactly.
    """

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)

    def _update(self, p, g, st):
        decay = self.lr * self.weight_decay * p       # from theta_{t-1}, before the Adam step
        super()._update(p, g, st)
        p -= decay

    def _stage(self, p, g, st, buf):
        op, new, keys, scalars = super()._stage(p, g, st, buf)
        op(p, new, out=new)                           # the Adam step, then the decay
        new -= np.multiply(self.lr * self.weight_decay, p, out=buf("decay"))
        return None, new, keys, scalars

    def _hyper(self):
        return super()._hyper() + f", weight_decay={self.weight_decay:g}"


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": lambda lr, **kw: Momentum(lr, nesterov=True, **kw),
    "adagrad": Adagrad,
    "rmsprop": RMSProp,
    "adadelta": lambda lr=1.0, **kw: Adadelta(lr=lr, **kw),
    "adam": Adam,
    "adamw": AdamW,
}


def make_optimizer(name, lr, **kwargs):
    """An optimizer by name: ``make_optimizer("adam", 0.01)``. Names: see ``OPTIMIZERS``.

    An :class:`Optimizer` instance passes through unchanged (give it no ``lr`` then: its own
    ``lr`` is the one used, and a second one is refused as a conflict).
    """
    if isinstance(name, Optimizer):
        if lr is not None or kwargs:
            raise ValueError(f"optimizer is an instance ({name!r}) with its own lr; do not also "
                             f"pass lr={lr!r}" + (f" or {sorted(kwargs)}" if kwargs else ""))
        return name
    if not isinstance(name, str) or name.lower() not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r} (the argument name); choose one of "
                         f"{', '.join(OPTIMIZERS)} "
                         f"or pass an Optimizer instance")
    return OPTIMIZERS[name.lower()](lr, **kwargs)


# --------------------------------------------------------------------------------------------
# the update rules as pure functions (references for the exercises)

def _same_shape_arrays(**arrays):
    """The arrays (finite, real) of one update rule, all of the first one's shape."""
    (first, a0), *rest = arrays.items()
    a0 = as_float_array(a0, first, finite=True, allow_empty=True)
    out = [a0]
    for name, a in rest:
        out.append(as_float_array(a, name, shape=a0.shape, finite=True, allow_empty=True))
    return out


def momentum_update(w, dw, v, lr, momentum=0.9):
    """One momentum step without touching the inputs.

        v_new = momentum * v - lr * dw
        w_new = w + v_new

    Returns ``(w_new, v_new)``, arrays of the shape of ``w``.
    """
    w, dw, v = _same_shape_arrays(w=w, dw=dw, v=v)
    lr = check_positive(lr, "lr")
    momentum = check_number(momentum, "momentum", low=0, high=1, high_open=True)
    with np.errstate(over="ignore", invalid="ignore"):
        v_new = momentum * v - lr * dw
        w_new = w + v_new
    return check_overflow((w_new, v_new), "momentum_update", w=w, dw=dw, v=v)


def adam_update(w, dw, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step without touching the inputs. ``t`` is the number of this step (1, 2, ...).

        m_new = beta1 m + (1 - beta1) dw          v_new = beta2 v + (1 - beta2) dw**2
        m_hat = m_new / (1 - beta1**t)            v_hat = v_new / (1 - beta2**t)
        w_new = w - lr m_hat / (sqrt(v_hat) + eps)

    Returns ``(w_new, m_new, v_new)``.
    """
    w, dw, m, v = _same_shape_arrays(w=w, dw=dw, m=m, v=v)
    t = check_int(t, "t (the step number, counted from 1)", minimum=1)
    lr = check_positive(lr, "lr")
    beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
    beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
    eps = check_positive(eps, "eps")
    with np.errstate(over="ignore", invalid="ignore"):
        m_new = beta1 * m + (1 - beta1) * dw
        v_new = beta2 * v + (1 - beta2) * dw * dw
        m_hat = m_new / (1 - beta1 ** t)
        v_hat = v_new / (1 - beta2 ** t)
        w_new = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return check_overflow((w_new, m_new, v_new), "adam_update", w=w, dw=dw, m=m, v=v)


# --------------------------------------------------------------------------------------------
# learning-rate schedules: schedule(epoch, val_loss=None) -> the lr for the next epoch

class StepDecay:
    """lr(epoch) = lr0 * factor ** floor(epoch / every)   (epoch counts from 0)."""

    def __init__(self, lr0, factor=0.5, every=10):
        self.lr0 = check_positive(lr0, "lr0")
        self.factor = check_number(factor, "factor", low=0, high=1, low_open=True,
                                   high_open=True)
        self.every = check_int(every, "every", minimum=1)

    def __call__(self, epoch, val_loss=None):
        return self.lr0 * self.factor ** (check_int(epoch, "epoch", minimum=0) // self.every)


class ExponentialDecay:
    """lr(epoch) = lr0 * exp(-k * epoch)."""

    def __init__(self, lr0, k=0.05):
        self.lr0 = check_positive(lr0, "lr0")
        self.k = check_positive(k, "k")

    def __call__(self, epoch, val_loss=None):
        return self.lr0 * math.exp(-self.k * check_int(epoch, "epoch", minimum=0))


class HalveOnPlateau:
    """The slides' recipe (Larochelle, "decaying learning rate"):

    (i) start with a large learning rate (e.g. 0.1); (ii) keep it until the validation error
    stops improving; (iii) divide it by 2 and go back to (ii).

    Call once per epoch with that epoch's validation loss; it returns the lr for the next
    epoch. "Stops improving" = ``patience`` epochs in a row without a new best
    (by more than ``min_delta``): the lr is halved at the ``patience``-th such epoch.

    PyTorch counts the other way: ``ReduceLROnPlateau(patience=p)`` reduces after p + 1 bad
    epochs in a row (the docs: "if patience = 2, ... will only decrease the LR after the 3rd
    epoch"), so ``HalveOnPlateau(patience=k)`` is ``ReduceLROnPlateau(opt, factor=0.5,
    patience=k - 1, threshold=min_delta, threshold_mode="abs")`` (torch's defaults are
    factor 0.1, patience 10 and a relative threshold 1e-4).
    """

    def __init__(self, lr0=0.1, factor=0.5, patience=1, min_delta=0.0):
        self.lr0 = check_positive(lr0, "lr0")
        self.factor = check_number(factor, "factor", low=0, high=1, low_open=True,
                                   high_open=True)
        self.patience = check_int(patience, "patience", minimum=1)
        self.min_delta = check_number(min_delta, "min_delta", low=0)
        self.lr = self.lr0
        self.best = math.inf
        self.bad_epochs = 0

    def __call__(self, epoch, val_loss=None):
        if val_loss is None:
            raise ValueError("HalveOnPlateau needs val_loss (the validation error of the epoch)")
        val_loss = check_number(val_loss, "val_loss", finite=False)
        if val_loss < self.best - self.min_delta:
            self.best, self.bad_epochs = val_loss, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs >= self.patience:
                self.lr *= self.factor
                self.bad_epochs = 0
        return self.lr
