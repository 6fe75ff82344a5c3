"""Loss functions: each returns ``(loss, grad)`` with ``grad = d loss / d prediction``.

All losses are a **mean over the batch** (axis 0) of a per-example loss that is a **sum**
over the outputs, so for a single example ``mse`` is exactly the worked example's
E_total = sum 1/2 (target - out)^2. The gradient therefore carries a factor 1/N.

    mse(pred, target)                        1/N sum_n sum_k 1/2 (t - p)^2
    l1(pred, target)                         1/N sum_n sum_k |t - p|
    softmax_cross_entropy(logits, labels)    1/N sum_n -log softmax(z_n)[y_n]
    binary_cross_entropy(prob, target)       1/N sum_n sum_k -[t log p + (1 - t) log(1 - p)]
    binary_cross_entropy_with_logits(z, t)   the same with p = sigma(z), stable for any z
    kl_divergence(pred, target)              1/N sum_n sum_k t log(t / p)   (KL(target || pred))

Against PyTorch (whose losses default to ``reduction="mean"``, a mean over ALL N*K entries):
with K outputs per example, ``mse`` = K/2 x ``torch.nn.MSELoss()``; ``l1``,
``binary_cross_entropy``, ``binary_cross_entropy_with_logits`` = K x ``L1Loss()``,
``BCELoss()``, ``BCEWithLogitsLoss()``; ``kl_divergence`` = ``KLDivLoss(reduction="batchmean")``
(which takes log-probabilities); ``softmax_cross_entropy`` = ``CrossEntropyLoss()`` exactly.
The README's table "Where mlbook differs from PyTorch" lists these.

Numerical stability: softmax and sigmoid are computed through log-sum-exp / |z| tricks, so
logits of 1e4 give finite values and no RuntimeWarning; probabilities are clipped to
[eps, 1 - eps] only where a log of them is taken.
"""
import functools
import inspect
import math

import numpy as np

from .validation import as_float_array, check_overflow

__all__ = [
    "mse", "l1", "softmax_cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_divergence", "LOSSES",
]


def _pair(pred, target, pname="pred", tname="target"):
    """(prediction, target) as float64 arrays of one shape (N, ...); an empty batch is refused."""
    pred = as_float_array(pred, pname, dtype=np.float64)
    target = as_float_array(target, tname, dtype=np.float64, allow_empty=True)
    if pred.ndim == 0:
        raise ValueError(f"{pname} must be an array with a batch axis (N, ...), got a scalar")
    if pred.shape != target.shape:
        raise ValueError(f"{tname} has shape {target.shape} but {pname} has shape {pred.shape}; "
                         f"they must match")
    return pred, target


def _quiet(loss_fn):
    """Compute without RuntimeWarnings; NaN/inf inputs give a NaN/inf loss (NaN in, NaN out),
    but a loss that overflows float64 from finite inputs is a
    :class:`~mlbook.validation.FloatOverflowError` (an OverflowError and a ValueError) naming
    the input that is too large, never silent."""
    signature = inspect.signature(loss_fn)

    @functools.wraps(loss_fn)
    def wrapped(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            loss, grad = loss_fn(*args, **kwargs)
            if math.isfinite(loss) and math.isfinite(np.sum(grad)):
                return loss, grad            # the common case: nothing to look into
        bound = signature.bind(*args, **kwargs).arguments
        (pname, pred), (tname, target) = list(bound.items())[:2]
        return check_overflow((loss, grad), loss_fn.__name__,
                              **{pname: np.asarray(pred, dtype=float),
                                 tname: np.asarray(target, dtype=float)})
    return wrapped


@_quiet
def mse(pred, target):
    """Mean over the batch of sum_k 1/2 (target - pred)^2.

    pred, target: (N, K) (or (N,)). Returns (loss, dloss/dpred) with grad = (pred - target) / N.
    This is K/2 times ``torch.nn.MSELoss()`` (a mean of (t - p)^2 over all N*K entries): the 1/2
    is the worked example's, and the sum over K its E_total.
    """
    pred, target = _pair(pred, target)
    n = pred.shape[0]
    diff = pred - target
    return 0.5 * float(np.sum(diff * diff)) / n, diff / n


@_quiet
def l1(pred, target):
    """Mean over the batch of sum_k |target - pred|; grad = sign(pred - target) / N (0 at a tie).

    K times ``torch.nn.L1Loss()``, which averages over all N*K entries."""
    pred, target = _pair(pred, target)
    n = pred.shape[0]
    diff = pred - target
    return float(np.sum(np.abs(diff))) / n, np.sign(diff) / n


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))


@_quiet
def softmax_cross_entropy(logits, labels):
    """Softmax then cross-entropy with integer labels, fused for stability.

    logits: (N, C) real; labels: (N,) integers in [0, C).
    loss = -1/N sum_n log softmax(z_n)[y_n], with log softmax(z) = z - max z - log sum exp(z - max z)
    grad = (softmax(z) - onehot(y)) / N, shape (N, C).
    """
    z = as_float_array(logits, "logits", dtype=np.float64, allow_empty=True)
    if z.ndim != 2 or z.size == 0:
        raise ValueError(f"logits must have shape (N, C) with N, C >= 1, got shape {z.shape}")
    as_float_array(labels, "labels", allow_empty=True)   # TypeError for text, complex, ragged
    y = np.asarray(labels)
    if y.dtype.kind not in "iuf":
        raise TypeError(f"labels must be integer class indices, got dtype {y.dtype}")
    if y.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape ({z.shape[0]},) to match logits {z.shape}, "
                         f"got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y))
                and np.all(y == np.round(y))):
            raise TypeError(f"labels must be integer class indices, got dtype {y.dtype}")
        y = y.astype(int)
    n, c = z.shape
    if y.size and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"labels must be class indices in [0, {c}), got values from {y.min()} to {y.max()}")
    logp = _log_softmax(z)
    rows = np.arange(n)
    loss = -float(np.sum(logp[rows, y])) / n
    grad = np.exp(logp)
    grad[rows, y] -= 1.0
    return loss, grad / n


@_quiet
def binary_cross_entropy(prob, target, eps=1e-12):
    """Cross-entropy of probabilities ``prob`` (e.g. sigmoid outputs) against targets in [0, 1].

    loss = 1/N sum -[t log p + (1 - t) log(1 - p)],  grad = (p - t) / (p (1 - p)) / N,
    with p clipped to [eps, 1 - eps] so that log(0) never happens. Prefer
    :func:`binary_cross_entropy_with_logits` when you have the logits.

    Against ``torch.nn.BCELoss()``: K times it (torch averages over all N*K entries), and a
    different guard: torch clamps each log at -100 (a term costs at most 100), mlbook clips p,
    so a term costs at most -log(eps) = 27.63 for eps = 1e-12. They agree wherever
    eps <= p <= 1 - eps, i.e. unless a probability is within 1e-12 of the wrong end.
    """
    p, t = _pair(prob, target, "prob")
    if np.any((p < 0) | (p > 1)) or np.any((t < 0) | (t > 1)):
        raise ValueError("prob and target must lie in [0, 1] (for logits use "
                         "binary_cross_entropy_with_logits)")
    n = p.shape[0]
    pc = np.clip(p, eps, 1.0 - eps)
    loss = -float(np.sum(t * np.log(pc) + (1.0 - t) * np.log1p(-pc))) / n
    return loss, (pc - t) / (pc * (1.0 - pc)) / n


@_quiet
def binary_cross_entropy_with_logits(logits, target):
    """Binary cross-entropy with p = sigma(z), stable for any z:

    -[t log sigma(z) + (1 - t) log(1 - sigma(z))] = max(z, 0) - t z + log(1 + e^-|z|)
    grad = (sigma(z) - t) / N

    K times ``torch.nn.BCEWithLogitsLoss()`` (a mean over all N*K entries).
    """
    z, t = _pair(logits, target, "logits")
    n = z.shape[0]
    loss = float(np.sum(np.maximum(z, 0.0) - t * z + np.log1p(np.exp(-np.abs(z))))) / n
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return loss, (sig - t) / n


@_quiet
def kl_divergence(pred, target, eps=1e-12):
    """KL(target || pred) = 1/N sum_n sum_k t log(t / p), for distributions over the last axis.

    pred, target: (N, K) probabilities (rows summing to 1). Terms with t = 0 count 0
    (lim t log t = 0); p is clipped below at eps. grad = -t / p / N.
    Equals ``torch.nn.KLDivLoss(reduction="batchmean")(log(pred), target)``; torch's default
    ``reduction="mean"`` is K times smaller.
    """
    p, t = _pair(pred, target)
    if np.any(p < 0) or np.any(t < 0):
        raise ValueError("pred and target must be probabilities (no negative entries)")
    n = p.shape[0]
    pc = np.maximum(p, eps)
    pos = t > 0
    ts = np.where(pos, t, 1.0)
    loss = float(np.sum(np.where(pos, t * (np.log(ts) - np.log(pc)), 0.0))) / n
    return loss, -t / pc / n


LOSSES = {
    "mse": mse,
    "l1": l1,
    "softmax_cross_entropy": softmax_cross_entropy,
    "cross_entropy": softmax_cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "kl_divergence": kl_divergence,
}
