"""Convolutional layers on batches of multi-channel images, shape (N, C, H, W).

Conv2D turns convolution into ONE matrix multiply (im2col):

    cols  (C_in*k*k, N*OH*OW)    every k x k window of every channel, one column per output pixel
    Wm    (C_out, C_in*k*k)      the filters, one row each (W reshaped, no copy)
    out   = Wm @ cols + b        (C_out, N*OH*OW) -> (N, C_out, OH, OW)

and backpropagates with two more:

    dW    = dY @ cols.T          dL/dW: the correlation of the inputs with the upstream gradient
    dcols = Wm.T @ dY            then col2im: add each column back onto the pixels it came from
    db    = dY summed over every pixel of every image

im2col is a strided window view of the input copied once; col2im is a loop over the k*k
kernel offsets (9 for a 3x3 kernel), each step vectorized over channels, images and pixels.
There is no Python loop over pixels or batch items.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..validation import as_float_array, as_rng, check_int
from ..init import initialize
from .base import Layer

__all__ = ["Conv2D", "MaxPool2D", "Flatten"]


def _check_images(x, who, channels=None):
    """x as a float array of shape (N, C, H, W) (with ``channels`` channels if given); N may be
    0 (an empty batch), the other axes may not."""
    x = as_float_array(x, f"{who}: x", allow_empty=True)
    if x.ndim != 4:
        raise ValueError(f"{who}: x must have shape (N, C, H, W), got shape {x.shape}"
                         + (" — add the channel axis with x[:, None]" if x.ndim == 3 else ""))
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{who}: expected {channels} input channel(s), i.e. x of shape "
                         f"(N, {channels}, H, W), got x of shape {x.shape}")
    if 0 in x.shape[1:]:
        raise ValueError(f"{who}: x must not be empty, got shape {x.shape}")
    return x


class Conv2D(Layer):
    """2-D convolution (cross-correlation) layer: ``c_in`` channels in, ``c_out`` out.

    ``y[n, f, i, j] = b[f] + sum_{c,a,b'} W[f, c, a, b'] * xp[n, c, i*s + a, j*s + b']``

    Parameters: ``W`` (c_out, c_in, k, k), He-initialised N(0, 2 / (c_in k k)); ``b`` (c_out,),
    zeros. ``init`` (a name in ``mlbook.init.INITIALIZERS`` or a callable
    ``f(shape, *, fan_in, fan_out, rng)``) picks another scheme; fan_in = c_in k k,
    fan_out = c_out k k.
    Shapes: x (N, c_in, H, W) -> y (N, c_out, OH, OW), ``OH = (H + 2p - k) // s + 1``.
    The computation runs in the input's float dtype (float32 in -> float32 out; integer input
    is computed in float64); parameters and their gradients stay float64.
    """

    skips_input_grad = True          # backward(dy, input_grad=False): grads only

    def __init__(self, c_in, c_out, kernel, *, stride=1, padding=0, rng=None,
                 init="he_normal"):
        super().__init__()
        self.c_in = check_int(c_in, "c_in", minimum=1)
        self.c_out = check_int(c_out, "c_out", minimum=1)
        self.kernel = check_int(kernel, "kernel", minimum=1)
        self.stride = check_int(stride, "stride", minimum=1)
        self.padding = check_int(padding, "padding", minimum=0)
        rng = as_rng(rng)
        fan_in = self.c_in * self.kernel * self.kernel
        self._buffers = {}
        self.params = {
            "W": initialize(init, (self.c_out, self.c_in, self.kernel, self.kernel),
                            fan_in=fan_in, fan_out=self.c_out * self.kernel * self.kernel,
                            rng=rng),
            "b": np.zeros(self.c_out),
        }
        self.zero_grad()

    def __repr__(self):
        return (f"Conv2D({self.c_in}, {self.c_out}, {self.kernel}, stride={self.stride}, "
                f"padding={self.padding})")

    def output_shape(self, input_shape):
        """(N, c_in, H, W) -> (N, c_out, OH, OW); raises if the kernel does not fit."""
        N, C, H, W = input_shape
        k, s, p = self.kernel, self.stride, self.padding
        if k > H + 2 * p or k > W + 2 * p:
            raise ValueError(f"Conv2D: kernel {k}x{k} is larger than the padded input: x of shape "
                             f"{tuple(input_shape)} with padding {p} is {H + 2 * p}x{W + 2 * p}")
        return N, self.c_out, (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1

    # -- im2col / col2im -------------------------------------------------------------------
    # Memory layout: the batch axis is moved LAST, (C, H, W, N). Then each kernel offset
    # (a, b) of each channel and output row is one contiguous block of OW*N numbers, so both
    # im2col and col2im are a few long vectorized copies/adds instead of many short ones.
    # Columns are ordered (OH, OW, N); scratch buffers are reused between calls of the same
    # shape (allocating tens of MB per call costs as much as the arithmetic).

    def _buffer(self, name, shape, dtype, zero=False):
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = np.zeros(shape, dtype=dtype)
            self._buffers[name] = buf
        elif zero:
            buf.fill(0)
        return buf

    def _im2col(self, x, OH, OW):
        """x (N, C, H, W) -> cols (C*k*k, OH*OW*N): row (c, a, b), column (i, j, n) holds
        xp[n, c, i*s + a, j*s + b]."""
        N, C, H, W = x.shape
        k, s, p = self.kernel, self.stride, self.padding
        xt = x.transpose(1, 2, 3, 0)                                   # (C, H, W, N) view
        if p:
            xp = self._buffer("xp", (C, H + 2 * p, W + 2 * p, N), x.dtype, zero=False)
            xp[:, :p], xp[:, H + p:], xp[:, :, :p], xp[:, :, W + p:] = 0, 0, 0, 0
            xp[:, p:p + H, p:p + W] = xt
        else:
            xp = xt
        cols = self._buffer("cols", (C, k, k, OH, OW, N), x.dtype)
        for a in range(k):            # k*k offsets, each one copy vectorized over C, OH, OW, N
            for b in range(k):
                cols[:, a, b] = xp[:, a:a + s * (OH - 1) + 1:s, b:b + s * (OW - 1) + 1:s]
        return cols.reshape(C * k * k, OH * OW * N)

    def _col2im(self, dcols, x_shape, OH, OW):
        """Adjoint of _im2col: dcols (C*k*k, OH*OW*N) -> dx (N, C, H, W), each column added
        back onto the pixels it was copied from."""
        N, C, H, W = x_shape
        k, s, p = self.kernel, self.stride, self.padding
        d = dcols.reshape(C, k, k, OH, OW, N)
        Hp, Wp = H + 2 * p, W + 2 * p
        dxp = np.empty((C, Hp, Wp, N), dtype=dcols.dtype)   # fresh: dx is a view of it
        if s == 1:        # offset (0, 0) covers [0:OH, 0:OW]: assign it, zero only the rest
            dxp[:, :OH, :OW] = d[:, 0, 0]
            dxp[:, OH:] = 0
            dxp[:, :OH, OW:] = 0
        else:
            dxp.fill(0)
        for a in range(k):           # k*k offsets, each vectorized over C, OH, OW, N
            for b in range(k):
                if s == 1 and a == 0 and b == 0:
                    continue
                dxp[:, a:a + s * (OH - 1) + 1:s, b:b + s * (OW - 1) + 1:s] += d[:, a, b]
        dx = dxp[:, p:p + H, p:p + W] if p else dxp
        return dx.transpose(3, 0, 1, 2)          # (N, C, H, W): a view of channels-last memory


    # -- forward / backward ----------------------------------------------------------------
    def forward(self, x, training=True):
        """x (N, c_in, H, W) -> y (N, c_out, OH, OW).

        y is a transposed view of channels-last memory (numpy handles any strides)."""
        x = _check_images(x, "Conv2D.forward", channels=self.c_in)
        N, _, OH, OW = self.output_shape(x.shape)
        W, b = self.params["W"], self.params["b"]
        Wm = W.reshape(self.c_out, -1).astype(x.dtype, copy=False)   # compute in x's dtype
        cols = self._im2col(x, OH, OW)
        out = Wm @ cols                                      # (c_out, OH*OW*N)
        out += b.astype(x.dtype, copy=False)[:, None]
        self.cache = (x.shape, cols, OH, OW)
        return out.reshape(self.c_out, OH, OW, N).transpose(3, 0, 1, 2)

    def backward(self, dy, input_grad=True):
        """dy (N, c_out, OH, OW) -> dx (N, c_in, H, W); fills grads['W'], grads['b'].

        dx is a fresh array (a transposed view of channels-last memory, like y).
        ``input_grad=False``: fills the grads, returns None (dx is not computed)."""
        if self.cache is None:
            raise RuntimeError("Conv2D.backward called before forward")
        x_shape, cols, OH, OW = self.cache
        N = x_shape[0]
        dy = as_float_array(dy, "Conv2D.backward: dy", allow_empty=True)
        if dy.shape != (N, self.c_out, OH, OW):
            raise ValueError(f"Conv2D.backward: dy must have the output's shape "
                             f"{(N, self.c_out, OH, OW)}, got {dy.shape}")
        W = self.params["W"]
        dyt = dy.transpose(1, 2, 3, 0)
        if dyt.flags.c_contiguous and dyt.dtype == cols.dtype:
            dY = dyt.reshape(self.c_out, -1)       # already channels-last (what y was): a view
        else:
            dY4 = self._buffer("dY", (self.c_out, OH, OW, N), cols.dtype)
            dY4[...] = dyt                                   # channels-last copy, reused buffer
            dY = dY4.reshape(self.c_out, -1)                 # (c_out, OH*OW*N)
        self.grads["W"] = (dY @ cols.T).reshape(W.shape).astype(W.dtype, copy=False)
        self.grads["b"] = dY.sum(axis=1).astype(self.params["b"].dtype, copy=False)
        if not input_grad:
            return None
        Wm = W.reshape(self.c_out, -1).astype(cols.dtype, copy=False)  # (c_out, c_in*k*k)
        dcols = self._buffer("dcols", (Wm.shape[1], dY.shape[1]), np.result_type(Wm, dY))
        np.matmul(Wm.T, dY, out=dcols)                       # (c_in*k*k, OH*OW*N)
        return self._col2im(dcols, x_shape, OH, OW)


class MaxPool2D(Layer):
    """Max pooling over ``size x size`` windows stepping by ``stride``, per channel.

    x (N, C, H, W) -> y (N, C, OH, OW), ``OH = (H - size) // stride + 1``.

    Backward routes each upstream gradient to the position of its window's maximum; every
    other position of the window gets 0 (max is locally the identity on the winner).
    Ties: when several entries of a window share the maximum, the gradient goes to the FIRST
    of them in row-major order (``np.argmax``) — one valid subgradient; the other tied entries
    get 0. With overlapping windows (stride < size) an entry that wins several windows
    receives the sum of their gradients.
    """

    def __init__(self, size=2, stride=2):
        super().__init__()
        self.size = check_int(size, "size", minimum=1)
        self.stride = check_int(stride, "stride", minimum=1)

    def __repr__(self):
        return f"MaxPool2D(size={self.size}, stride={self.stride})"

    def _windows(self, shape):
        """The k*k window offsets (a, b) in row-major order, each as the index of the strided
        view x[:, :, a::s, b::s] (OH x OW entries) that holds offset (a, b) of every window."""
        k, s = self.size, self.stride
        OH, OW = (shape[2] - k) // s + 1, (shape[3] - k) // s + 1
        return OH, OW, [(slice(None), slice(None), slice(a, a + s * (OH - 1) + 1, s),
                         slice(b, b + s * (OW - 1) + 1, s)) for a in range(k) for b in range(k)]

    def forward(self, x, training=True):
        """x (N, C, H, W) -> y (N, C, OH, OW): the largest of the k*k strided views of x, one
        per window offset (elementwise maxima: no copy of the windows, any memory layout);
        the winning offset of each window (the first, row-major, on ties) is kept for
        backward."""
        x = _check_images(x, "MaxPool2D.forward")
        k = self.size
        if k > x.shape[2] or k > x.shape[3]:
            raise ValueError(f"MaxPool2D: window {k}x{k} is larger than the input of shape {x.shape}")
        OH, OW, views = self._windows(x.shape)
        if k == 2:
            fast = self._forward_2x2(x, views)
            if fast is not None:
                out, arg = fast
                self.cache = (x.shape, x.strides, arg)
                return out
        out = x[views[0]].copy(order="K")         # in x's memory order (channels-last after
        for v in views[1:]:                        # a Conv2D): every pass below is a stream
            np.maximum(out, x[v], out=out)
        # the first offset (row-major) holding the maximum: assigned from the last to the first
        # (a NaN propagates through np.maximum; its window's gradient goes to the first NaN,
        # as np.argmax would pick it)
        nan = bool(np.isnan(out).any())
        arg = np.zeros_like(out, dtype=np.uint8 if k * k < 256 else np.intp)
        for idx in range(len(views) - 1, -1, -1):
            hit = x[views[idx]] == out
            if nan:
                hit |= np.isnan(x[views[idx]])
            np.copyto(arg, idx, where=hit)
        self.cache = (x.shape, x.strides, arg)
        return out

    @staticmethod
    def _forward_2x2(x, views):
        """2 x 2 windows as a tournament: the maxima of the pairs (offsets 0, 1) and (2, 3),
        then of the two winners; a later entry wins only when strictly larger, so the winner
        is the first maximum in row-major order, as np.argmax picks it. Returns (out, arg),
        or None when a window holds NaN (the general loop then decides, as before)."""
        v0, v1, v2, v3 = (x[v] for v in views)
        top, bottom = np.maximum(v0, v1), np.maximum(v2, v3)
        out = np.maximum(top, bottom)
        if math.isnan(np.sum(out)):        # NaN in a window (or +inf and -inf: rare, exact)
            return None
        lower = np.greater(bottom, top)    # the winner is in the second pair
        arg = np.where(lower, np.greater(v3, v2), np.greater(v1, v0)).view(np.uint8)
        arg += lower
        arg += lower                       # 2 * lower + (second of its pair)
        return out, arg

    def backward(self, dy):
        if self.cache is None:
            raise RuntimeError("MaxPool2D.backward called before forward")
        x_shape, x_strides, arg = self.cache
        dy = as_float_array(dy, "MaxPool2D.backward: dy", allow_empty=True)
        if dy.shape != arg.shape:
            raise ValueError(f"MaxPool2D.backward: dy must have the output's shape {arg.shape}, "
                             f"got {dy.shape}")
        k, s = self.size, self.stride
        OH, OW, views = self._windows(x_shape)
        dtype = np.result_type(dy, np.float32)
        # dx in x's memory order (channels-last after a Conv2D): the Conv2D.backward below
        # then reads it without a transposing copy
        order = _order(x_strides)
        covered = k == s and OH * k == x_shape[2] and OW * k == x_shape[3]
        alloc = np.empty if covered else np.zeros      # every position written below: no fill
        dx = alloc(tuple(x_shape[i] for i in order), dtype=dtype).transpose(np.argsort(order))
        if k == s:                     # windows do not overlap: each position written once
            for idx, v in enumerate(views):
                dx[v] = np.where(arg == idx, dy, 0.0)
        else:
            for idx, v in enumerate(views):
                dx[v] += np.where(arg == idx, dy, 0.0)
        return dx


def _order(strides):
    """The axes from the largest stride to the smallest (an array's memory order)."""
    return tuple(int(i) for i in np.argsort([-abs(st) for st in strides], kind="stable"))


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W) (any (N, ...) -> (N, prod)); backward reshapes back."""

    def forward(self, x, training=True):
        x = as_float_array(x, "Flatten: x", allow_empty=True)
        if x.ndim < 2:
            raise ValueError(f"Flatten: x must have a batch axis, shape (N, ...), got {x.shape}")
        self.cache = x.shape
        return x.reshape(x.shape[0], int(np.prod(x.shape[1:])))     # N = 0 works too

    def backward(self, dy):
        """dy (N, C*H*W) -> (N, C, H, W), the shape forward saw."""
        if self.cache is None:
            raise RuntimeError("Flatten.backward called before forward")
        dy = as_float_array(dy, "Flatten.backward: dy", allow_empty=True)
        want = (self.cache[0], int(np.prod(self.cache[1:])))
        if dy.shape != want:
            raise ValueError(f"Flatten.backward: dy must have the output's shape {want}, got "
                             f"{dy.shape}")
        return dy.reshape(self.cache)
