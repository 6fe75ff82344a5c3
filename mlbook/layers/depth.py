"""Vanishing gradients through depth: a plain deep MLP at initialisation, one gradient norm
per layer (the experiment of notebook 05)."""
import numpy as np

from ..activations import get_activation
from ..validation import as_rng, check_int, check_positive

__all__ = ["deep_mlp_gradient_norms"]

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
