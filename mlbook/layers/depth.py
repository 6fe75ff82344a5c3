"""Deep MLPs: vanishing gradients at initialisation, one gradient norm per layer (the
experiment of notebook 05), and the batch-normalized MLPs of notebook 07 with the relative size
of one gradient step per layer."""
import numpy as np

from ..activations import get_activation
from ..losses import softmax_cross_entropy
from ..validation import as_rng, check_callable, check_choice, check_flag, check_int, check_positive
from .batchnorm import BatchNorm
from .dense import Dense, ReLU, Sequential

__all__ = ["deep_mlp_gradient_norms", "mlp", "relative_step_sizes"]

_INIT_SCALES = {"lecun": 1.0, "he": 2.0}


def deep_mlp_gradient_norms(activation, *, depth=10, width=64, batch=128, init="lecun",
                            rng=None):
    """Gradient norm ||dL/dW_l|| for every layer l = 1..depth of a plain MLP at initialisation.

    The network: ``h_0 = x`` (batch, width) ~ N(0, 1); for l = 1..depth
    ``a_l = h_{l-1} W_l``, ``h_l = f(a_l)`` with W_l ~ N(0, s^2), s^2 = 1/width ('lecun'),
    2/width ('he'), or ``init`` itself as the standard deviation s if it is a number; no
    biases. The loss is L = sum(h_depth * g) / batch for a fixed random upstream gradient
    g ~ N(0, 1), so dL/dh_depth = g / batch. Backward:
    ``da_l = dh_l * f'(a_l)``, ``dW_l = h_{l-1}^T da_l``, ``dh_{l-1} = da_l W_l^T``.

    The same ``rng`` seed gives the same x, W and g for every activation, so curves compare.
    Returns a float array of shape (depth,), entry l-1 for layer l (layer 1 = next to input).
    """
    if isinstance(activation, str):
        f, f_grad = get_activation(activation)
    elif isinstance(activation, tuple) and len(activation) == 2 and all(map(callable, activation)):
        f, f_grad = activation
    else:
        raise TypeError(f"deep_mlp_gradient_norms: activation must be a name such as 'tanh' or a "
                        f"pair (f, f_grad) of functions, got {activation!r:.60}")
    depth = check_int(depth, "deep_mlp_gradient_norms: depth", minimum=1)
    width = check_int(width, "deep_mlp_gradient_norms: width", minimum=1)
    batch = check_int(batch, "deep_mlp_gradient_norms: batch", minimum=1)
    if isinstance(init, str):
        if init not in _INIT_SCALES:
            raise ValueError(f"deep_mlp_gradient_norms: init must be 'lecun', 'he' or a positive "
                             f"finite standard deviation, got {init!r}")
        std = np.sqrt(_INIT_SCALES[init] / width)
    else:
        std = check_positive(init, "deep_mlp_gradient_norms: init (a standard deviation)")
    rng = as_rng(rng)
    x = rng.standard_normal((batch, width))
    Ws = [rng.normal(0.0, std, (width, width)) for _ in range(depth)]
    g = rng.standard_normal((batch, width))

    hs, As = [x], []
    for W in Ws:
        As.append(hs[-1] @ W)
        hs.append(np.asarray(f(As[-1])))
    dh = g / batch
    norms = np.zeros(depth)
    for l in range(depth - 1, -1, -1):
        da = dh * f_grad(As[l])
        norms[l] = np.linalg.norm(hs[l].T @ da)
        dh = da @ Ws[l].T
    return norms


def mlp(batchnorm=False, *, n_in=2, n_out=3, depth=6, width=32, init="he_normal", act=ReLU,
        seed=0, bn_position="before"):
    """A deep MLP of notebook 07: ``depth`` hidden layers of ``width`` units, then a Dense output.

    Each hidden layer is ``Dense(n, width, init=init) -> BatchNorm(width) -> act()`` with
    ``batchnorm=True`` and ``bn_position="before"`` (the paper's place, before the
    nonlinearity), ``Dense -> act() -> BatchNorm`` with ``bn_position="after"``, and
    ``Dense -> act()`` without BN. ``act`` is a layer class (ReLU, Tanh, Sigmoid); ``init`` a
    name of :data:`mlbook.init.INITIALIZERS` or an initializer. The output layer is a
    default-initialized ``Dense(width, n_out)``. Every weight comes from one generator seeded
    with ``seed``, so networks that differ only by their BN layers start from the same weights.
    """
    batchnorm = check_flag(batchnorm, "mlp: batchnorm")
    depth = check_int(depth, "mlp: depth", minimum=1)
    width = check_int(width, "mlp: width", minimum=1)
    act = check_callable(act, "mlp: act")
    bn_position = check_choice(bn_position, "mlp: bn_position", ("before", "after"))
    rng = as_rng(seed, "mlp: seed")
    layers, n = [], check_int(n_in, "mlp: n_in", minimum=1)
    for _ in range(depth):
        block = [Dense(n, width, rng=rng, init=init), act()]
        if batchnorm:
            block.insert(1 if bn_position == "before" else 2, BatchNorm(width))
        layers += block
        n = width
    layers.append(Dense(n, check_int(n_out, "mlp: n_out", minimum=1), rng=rng))
    return Sequential(layers)


def relative_step_sizes(net, X, y, lr):
    """||dW_l|| / ||W_l|| of one SGD step at rate ``lr`` for every hidden Dense layer of ``net``.

    One training-mode forward and backward pass of softmax cross-entropy on (X (N, n_in),
    y (N,) class indices), then for each Dense layer but the output one the size of the step
    ``dW_l = -lr * dL/dW_l`` relative to the weights: ``lr * ||dL/dW_l|| / ||W_l||``
    (Frobenius norms). Behind a BatchNorm the output does not depend on ``||W_l||`` and the
    gradient scales as ``1 / ||W_l||``, so the absolute gradient alone says little; this ratio
    says how much one step changes the layer. Leaves ``net.grads`` filled; returns an array of
    shape (number of hidden Dense layers,).
    """
    lr = check_positive(lr, "relative_step_sizes: lr")
    _, dout = softmax_cross_entropy(net.forward(X), y)
    net.backward(dout)
    dense = [layer for layer in net.layers if isinstance(layer, Dense)][:-1]
    return np.array([lr * np.linalg.norm(d.grads["W"]) / np.linalg.norm(d.params["W"])
                     for d in dense])
