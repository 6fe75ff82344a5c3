"""Batch normalization (Ioffe & Szegedy, 2015): normalize each feature over the mini-batch.

For one feature over a mini-batch x_1 .. x_N (training mode):

    mu    = 1/N sum_i x_i                        batch mean
    var   = 1/N sum_i (x_i - mu)^2               batch variance, BIASED (divide by N)
    xhat_i = (x_i - mu) / sqrt(var + eps)        zero mean, unit variance
    y_i   = gamma xhat_i + beta                  learned scale and shift

Backward, in the compact closed form (derived below; s = 1 / sqrt(var + eps)):

    dbeta  = sum_i dy_i
    dgamma = sum_i dy_i xhat_i
    dx_i   = gamma s / N * ( N dy_i - dbeta - xhat_i dgamma )

Derivation. Write g_i = dL/dxhat_i = gamma dy_i. Each x_i reaches L three ways: directly
through xhat_i, through mu and through var (both depend on every x_j):

    dL/dvar = sum_j g_j (x_j - mu) * (-1/2) (var + eps)^(-3/2)      = -s^2/2 * sum_j g_j xhat_j
    dL/dmu  = -s sum_j g_j + dL/dvar * (-2/N) sum_j (x_j - mu)      = -s sum_j g_j   (the sum is 0)
    dL/dx_i = g_i s + dL/dvar * 2 (x_i - mu) / N + dL/dmu / N
            = s/N * ( N g_i - sum_j g_j - xhat_i sum_j g_j xhat_j )

and with g = gamma dy the last line is the formula above. The two subtracted terms are the paths
through the mean and the variance; dropping them gives the (wrong) gamma s dy, which treats the
batch statistics as constants.

Evaluation mode (``training=False``) normalizes with the running averages instead, which ARE
constants: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta, dx = gamma dy /
sqrt(running_var + eps). Each output then depends on its own input only, so a prediction does
not change with the rest of the batch.

Running averages, and how they compare with PyTorch. After every training forward pass

    running_mean = (1 - momentum) running_mean + momentum * mu
    running_var  = (1 - momentum) running_var  + momentum * var * n / (n - 1)

with n the number of values averaged per feature (N; N H W for BatchNorm2D). That is exactly
PyTorch's ``BatchNorm1d``/``BatchNorm2d`` convention: ``momentum`` (default 0.1) is the weight of
the NEW batch, and the running variance accumulates the UNBIASED batch variance (divide by n - 1),
as Ioffe & Szegedy's inference rule Var[x] = m/(m-1) E[var_B] prescribes, while the
normalization in training uses the biased one. (Keras/TensorFlow's ``momentum=0.99`` is the
weight of the OLD average, i.e. PyTorch's 0.01, and it accumulates the biased variance.)
Running mean starts at 0, running variance at 1.

Shapes: BatchNorm (N, D) with statistics per feature over N; BatchNorm2D (N, C, H, W) with
statistics per channel over N, H and W (one gamma and beta per channel).
"""
import numpy as np

from ..validation import as_float_array, check_int, check_number, check_positive
from .base import Layer

__all__ = ["BatchNorm", "BatchNorm2D", "batchnorm_forward", "batchnorm_backward"]


# --------------------------------------------------------------------------------------------
# the two functions (cs231n style), for (N, D): the layers below call them

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization of x (N, D) with gamma, beta (D,).

    Returns ``(y, cache)``: y = gamma xhat + beta with xhat = (x - mu) / sqrt(var + eps),
    mu and var the batch mean and BIASED variance per column; cache = (xhat, gamma, s, mu, var)
    with s = 1 / sqrt(var + eps).
    """
    mu = x.mean(axis=0)
    var = x.var(axis=0)                      # biased: divides by N
    s = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * s
    return gamma * xhat + beta, (xhat, gamma, s, mu, var)


def batchnorm_backward(dy, cache):
    """dy (N, D) -> (dx, dgamma, dbeta) for :func:`batchnorm_forward` (training mode).

    dbeta = sum dy;  dgamma = sum dy xhat;  dx = gamma s / N (N dy - dbeta - xhat dgamma).
    """
    xhat, gamma, s = cache[:3]
    n = dy.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dx = (gamma * s / n) * (n * dy - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------------------------
# the layers

def _check_momentum(momentum):
    momentum = check_number(momentum, "momentum")
    if not 0.0 < momentum <= 1.0:
        raise ValueError(f"momentum must be in (0, 1] (the weight of the new batch in the "
                         f"running averages, PyTorch's convention), got {momentum}")
    return momentum


class BatchNorm(Layer):
    """Batch normalization of (N, D) inputs, one (gamma, beta) per feature.

    params: 'gamma' (D,) ones, 'beta' (D,) zeros; buffers ``running_mean`` (D,) zeros,
    ``running_var`` (D,) ones (updated in training mode, used in evaluation mode).
    ``momentum`` in (0, 1] is the weight of the new batch in the running averages; ``eps`` > 0
    is added to the variance. See the module docstring for the formulas and PyTorch's
    conventions (the same as here).
    """

    _who = "BatchNorm"

    def __init__(self, n_features, *, momentum=0.1, eps=1e-5):
        super().__init__()
        self.n_features = check_int(n_features, "n_features", minimum=1)
        self.momentum = _check_momentum(momentum)
        self.eps = check_positive(eps, "eps")
        self.params = {"gamma": np.ones(self.n_features), "beta": np.zeros(self.n_features)}
        self.running_mean = np.zeros(self.n_features)
        self.running_var = np.ones(self.n_features)
        self.zero_grad()

    def __repr__(self):
        return f"{self._who}({self.n_features}, momentum={self.momentum:g}, eps={self.eps:g})"

    # (N, D) <-> the layer's own layout: the identity here, channels-last for BatchNorm2D
    def _rows(self, x):
        return x

    def _to_rows(self, x):
        x = as_float_array(x, "x", finite=True, allow_empty=True)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"{self._who}({self.n_features}): x must have shape "
                             f"(N, {self.n_features}), got shape {x.shape}")
        return x

    def _from_rows(self, rows, shape):
        return rows

    def forward(self, x, training=True):
        """x -> y of the same shape; training: batch statistics (and update the running
        averages), evaluation: the running averages. An empty batch gives an empty y and
        leaves the running averages alone; x so large that its statistics overflow float64
        is a ValueError naming x."""
        shape = np.shape(x)
        rows = self._to_rows(x)
        gamma, beta = self.params["gamma"], self.params["beta"]
        training = training and rows.shape[0] > 0      # an empty batch has no statistics
        y, cache = self._normalize(rows, gamma, beta, training, shape)
        self.cache = (cache, training, shape)
        return self._from_rows(y, shape)

    def _normalize(self, rows, gamma, beta, training, shape):
        if training:
            n = rows.shape[0]
            if n < 2:
                raise ValueError(
                    f"{self._who}: training mode needs at least 2 values per feature to "
                    f"estimate a variance, got x of shape {shape}; use training=False to "
                    f"normalize with the running averages")
            y, cache = batchnorm_forward(rows, gamma, beta, self.eps)
            mu, var = cache[3], cache[4]
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mu
            self.running_var *= 1.0 - m
            self.running_var += m * var * n / (n - 1)          # unbiased, as PyTorch
        else:
            s = 1.0 / np.sqrt(self.running_var + self.eps)
            xhat = (rows - self.running_mean) * s
            y = gamma * xhat + beta
            cache = (xhat, gamma, s)
        return y, cache

    def backward(self, dy):
        """dy -> dx; fills grads 'gamma' = sum dy xhat and 'beta' = sum dy."""
        if self.cache is None:
            raise RuntimeError(f"{self._who}.backward called before forward")
        cache, training, shape = self.cache
        dy = as_float_array(dy, "dy", allow_empty=True)
        if dy.shape != shape:
            raise ValueError(f"{self._who}.backward: dy must have the output's shape {shape}, "
                             f"got {dy.shape}")
        rows = self._rows(dy)
        if training:
            dx, dgamma, dbeta = batchnorm_backward(rows, cache)
        else:                        # running statistics are constants: a per-feature scale
            xhat, gamma, s = cache
            dx, dgamma, dbeta = rows * gamma * s, (rows * xhat).sum(axis=0), rows.sum(axis=0)
        self.grads["gamma"], self.grads["beta"] = dgamma, dbeta
        return self._from_rows(dx, shape)


class BatchNorm2D(BatchNorm):
    """Batch normalization of images (N, C, H, W): statistics per channel over N, H and W.

    params 'gamma', 'beta' (C,); buffers ``running_mean``, ``running_var`` (C,). Each channel
    is treated as one feature whose N H W values form the batch: the layer moves channels last,
    reshapes to (N H W, C) and applies the (N, D) formulas. Training mode needs N H W >= 2.
    """

    _who = "BatchNorm2D"

    def __init__(self, channels, *, momentum=0.1, eps=1e-5):
        super().__init__(check_int(channels, "channels", minimum=1), momentum=momentum, eps=eps)

    def _rows(self, x):
        return x.transpose(0, 2, 3, 1).reshape(-1, self.n_features)

    def _to_rows(self, x):
        x = as_float_array(x, "x", finite=True, allow_empty=True)
        if x.ndim != 4 or x.shape[1] != self.n_features:
            raise ValueError(f"{self._who}({self.n_features}): x must have shape "
                             f"(N, {self.n_features}, H, W), got shape {x.shape}")
        return self._rows(x)

    def _from_rows(self, rows, shape):
        N, C, H, W = shape
        return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
