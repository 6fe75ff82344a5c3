"""Single-image convolution, the classic edge kernels, pooling and output-size arithmetic.

Deep-learning "convolution" is *cross-correlation*: the kernel slides over the image without
being flipped,

    out[i, j] = sum_{a, b} image[i*s + a, j*s + b] * kernel[a, b]          (conv2d)

The convolution of mathematics flips the kernel first (``convolve2d``):

    (image * kernel)[i, j] = sum_{a, b} image[i + a, j + b] * kernel[kh-1-a, kw-1-b]

so ``convolve2d(x, k) == conv2d(x, k[::-1, ::-1])``. A learned kernel does not care which one
is used (it just learns the flipped weights); a hand-made kernel such as Prewitt does.

Sizes, for an n-pixel side, kernel k, stride s and zero padding p on each side:

    output_size = floor((n + 2p - k) / s) + 1

Everything here is one channel and 2-D ``(H, W)``; batches of multi-channel images are the job
of :class:`mlbook.layers.Conv2D`.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .validation import as_float_array, check_int, check_overflow

__all__ = [
    "conv2d", "convolve2d", "conv2d_naive", "conv2d_backward", "output_size",
    "max_pool2d", "avg_pool2d",
    "PREWITT_X", "PREWITT_Y", "SOBEL_X", "SOBEL_Y", "KERNEL_DOCS",
]

# ------------------------------------------------------------------------------------------
# the classic kernels
#
# Sign convention (for conv2d = cross-correlation, rows growing downwards, columns to the
# right): the response is POSITIVE where the image is brighter on the LEFT (for *_X) or on
# the TOP (for *_Y) than on the opposite side, negative for the opposite edge, zero on flat
# regions. Take the absolute value or the gradient magnitude sqrt(gx^2 + gy^2) to find edges
# of either polarity.

PREWITT_X = np.array([[1.0, 0.0, -1.0],
                      [1.0, 0.0, -1.0],
                      [1.0, 0.0, -1.0]])
PREWITT_X.flags.writeable = False
"""Prewitt, x direction: finds VERTICAL edges (brightness changing from left to right).
Positive where the left side is brighter than the right, negative for the opposite edge, 0 on
flat regions. Read-only."""

PREWITT_Y = np.array([[1.0, 1.0, 1.0],
                      [0.0, 0.0, 0.0],
                      [-1.0, -1.0, -1.0]])
PREWITT_Y.flags.writeable = False
"""Prewitt, y direction (the slide's kernel): finds HORIZONTAL edges (brightness changing from
top to bottom). Positive where the top is brighter than the bottom. Read-only."""

SOBEL_X = np.array([[1.0, 0.0, -1.0],
                    [2.0, 0.0, -2.0],
                    [1.0, 0.0, -1.0]])
SOBEL_X.flags.writeable = False
"""Sobel, x direction: VERTICAL edges like PREWITT_X, the centre row weighted twice (a little
smoothing along the edge). Positive where the left side is brighter. Read-only."""

SOBEL_Y = np.array([[1.0, 2.0, 1.0],
                    [0.0, 0.0, 0.0],
                    [-1.0, -2.0, -1.0]])
SOBEL_Y.flags.writeable = False
"""Sobel, y direction: HORIZONTAL edges like PREWITT_Y, the centre column weighted twice.
Positive where the top is brighter. Read-only."""

KERNEL_DOCS = {
    "PREWITT_X": "Prewitt, x direction [[1,0,-1]]*3: finds VERTICAL edges (intensity changing "
                 "along x); positive where the left side is brighter than the right.",
    "PREWITT_Y": "Prewitt, y direction [[1,1,1],[0,0,0],[-1,-1,-1]] (the slide's kernel): finds "
                 "HORIZONTAL edges (intensity changing along y); positive where the top is "
                 "brighter than the bottom.",
    "SOBEL_X": "Sobel, x direction [[1,0,-1],[2,0,-2],[1,0,-1]]: vertical edges like PREWITT_X, "
               "the centre row weighted twice (a little smoothing); positive where the left is "
               "brighter.",
    "SOBEL_Y": "Sobel, y direction [[1,2,1],[0,0,0],[-1,-2,-1]]: horizontal edges like "
               "PREWITT_Y with the centre column weighted twice; positive where the top is "
               "brighter.",
}
"""What each classic kernel finds and its sign, as text at run time (the attribute docstrings
above are for readers of the source and for documentation tools; a numpy array cannot carry
its own ``__doc__``)."""


# ------------------------------------------------------------------------------------------
# argument checking

def _plane(array, name):
    """One channel of one image (H, W) as a float array; a batch or channels points to Conv2D."""
    arr = as_float_array(array, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W) — one channel, one image — got shape "
                         f"{arr.shape}; for batches or channels use mlbook.layers.Conv2D")
    return arr


def _float(arr, *others):
    dtype = np.result_type(arr, *others)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    return np.asarray(arr, dtype=dtype)


def output_size(n, kernel, stride=1, padding=0):
    """Output length along one axis: ``floor((n + 2*padding - kernel) / stride) + 1``.

    ``n`` is the input length (pixels), ``kernel`` the window length, ``stride`` >= 1 the step,
    ``padding`` >= 0 the zeros added on *each* side. Raises ValueError when the window does not
    fit (``kernel > n + 2*padding``). When the stride does not divide ``n + 2p - kernel`` the
    last pixels that no full window reaches are dropped (the floor).

    >>> output_size(227, 11, stride=4)     # AlexNet's first layer
    55
    """
    n = check_int(n, "n", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    if kernel > n + 2 * padding:
        raise ValueError(f"kernel {kernel} is larger than the padded input "
                         f"n + 2*padding = {n} + 2*{padding} = {n + 2 * padding}")
    return (n + 2 * padding - kernel) // stride + 1


def _windows(image, kh, kw, stride, padding, name="image"):
    """Padded image and its (OH, OW, kh, kw) window view (no copy when padding == 0)."""
    H, W = image.shape
    if kh > H + 2 * padding or kw > W + 2 * padding:
        raise ValueError(f"kernel of shape ({kh}, {kw}) is larger than the padded {name}: "
                         f"{name} shape ({H}, {W}) + 2*padding {padding} = "
                         f"({H + 2 * padding}, {W + 2 * padding})")
    if padding:
        image = np.pad(image, padding)
    win = sliding_window_view(image, (kh, kw))
    return image, win[::stride, ::stride]


# ------------------------------------------------------------------------------------------
# convolution

def conv2d(image, kernel, *, stride=1, padding=0):
    """Cross-correlation of one 2-D image with one 2-D kernel (what deep learning calls conv).

    ``out[i, j] = sum_{a,b} xp[i*stride + a, j*stride + b] * kernel[a, b]`` where ``xp`` is the
    image with ``padding`` zeros on every side.

    Shapes: image (H, W), kernel (kh, kw) -> out (OH, OW) with
    ``OH = output_size(H, kh, stride, padding)``, ``OW = output_size(W, kw, stride, padding)``.
    The result is floating point (the input's float dtype, float64 for integer input).
    Vectorized: a strided window view and one tensordot, no Python loop. Finite inputs whose
    result overflows float64 are a ValueError naming the larger of image and kernel.
    """
    image = _plane(image, "image")
    kernel = _plane(kernel, "kernel")
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    image, kernel = _float(image, kernel), _float(kernel, image)
    with np.errstate(over="ignore", invalid="ignore"):
        out = _correlate(image, kernel, stride, padding)
    return check_overflow(out, "conv2d", image=image, kernel=kernel)


def _correlate(image, kernel, stride, padding):
    """conv2d's arithmetic on checked float arrays (no argument checks, no overflow check)."""
    kh, kw = kernel.shape
    _, win = _windows(image, kh, kw, stride, padding)
    return np.tensordot(win, kernel, axes=([2, 3], [0, 1]))


def convolve2d(image, kernel, *, stride=1, padding=0):
    """True (flipped) convolution: ``conv2d(image, kernel[::-1, ::-1], ...)``.

    ``out[i, j] = sum_{a,b} xp[i*s + a, j*s + b] * kernel[kh-1-a, kw-1-b]``. Same shapes as
    :func:`conv2d`. For a symmetric kernel (box blur) the two agree; for Prewitt they differ
    by a sign.
    """
    kernel = _plane(kernel, "kernel")
    return conv2d(image, kernel[::-1, ::-1], stride=stride, padding=padding)


def conv2d_naive(image, kernel, *, stride=1, padding=0):
    """The definition of :func:`conv2d`, written with two loops over the output pixels.

    Slow (one small multiply-and-sum per output pixel) but obviously right: the reference
    the vectorized version is tested against.
    """
    image = _float(_plane(image, "image"))
    kernel = _float(_plane(kernel, "kernel"))
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    kh, kw = kernel.shape
    xp, _ = _windows(image, kh, kw, stride, padding)
    OH = output_size(image.shape[0], kh, stride, padding)
    OW = output_size(image.shape[1], kw, stride, padding)
    out = np.zeros((OH, OW), dtype=np.result_type(image, kernel))
    for i in range(OH):
        for j in range(OW):
            patch = xp[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.sum(patch * kernel)
    return out


def _dilate(g, stride):
    """Insert stride-1 zeros between the entries of g (OH, OW): shape ((OH-1)s+1, (OW-1)s+1)."""
    if stride == 1:
        return g
    OH, OW = g.shape
    d = np.zeros(((OH - 1) * stride + 1, (OW - 1) * stride + 1), dtype=g.dtype)
    d[::stride, ::stride] = g
    return d


def conv2d_backward(image, kernel, dout, *, stride=1, padding=0):
    """Gradients of ``L`` through ``out = conv2d(image, kernel, stride, padding)``.

    Given ``dout = dL/dout`` (OH, OW), returns ``(dimage, dkernel)``:

    * ``dL/dkernel[a, b] = sum_{i,j} dout[i, j] * xp[i*s + a, j*s + b]`` — a *correlation of
      the (padded) input with the upstream gradient*: for stride 1 and no padding simply
      ``conv2d(image, dout)``; with a stride, ``dout`` is first dilated with s-1 zeros.
    * ``dL/dimage`` — a *full convolution* of the upstream gradient with the kernel:
      ``conv2d(pad(dout, k-1), kernel[::-1, ::-1])`` (dilated likewise), padding cropped.
    """
    image = _float(_plane(image, "image"))
    kernel = _float(_plane(kernel, "kernel"))
    dout = _float(_plane(dout, "dout"))
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    kh, kw = kernel.shape
    H, W = image.shape
    OH, OW = output_size(H, kh, stride, padding), output_size(W, kw, stride, padding)
    if dout.shape != (OH, OW):
        raise ValueError(f"dout must have the output's shape ({OH}, {OW}), got {dout.shape}")
    xp = np.pad(image, padding) if padding else image
    g = _dilate(dout, stride)
    with np.errstate(over="ignore", invalid="ignore"):
        dkernel = _correlate(_float(xp, g), _float(g, xp), 1, 0)[:kh, :kw]
        full = _correlate(_float(np.pad(g, ((kh - 1, kh - 1), (kw - 1, kw - 1))), kernel),
                          _float(kernel[::-1, ::-1], g), 1, 0)
    check_overflow((dkernel, full), "conv2d_backward", image=image, kernel=kernel, dout=dout)
    dxp = np.zeros(xp.shape, dtype=full.dtype)
    dxp[:full.shape[0], :full.shape[1]] = full
    dimage = dxp[padding:padding + H, padding:padding + W] if padding else dxp
    return dimage, dkernel


# ------------------------------------------------------------------------------------------
# pooling

def _pool_windows(x, size, stride):
    x = _float(_plane(x, "x"))
    size = check_int(size, "size", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    if size > min(x.shape):
        raise ValueError(f"pooling window {size}x{size} is larger than the input of shape {x.shape}")
    return sliding_window_view(x, (size, size))[::stride, ::stride]


def max_pool2d(x, size=2, stride=2):
    """Max pooling of one 2-D map: ``out[i, j] = max of x[i*s : i*s+size, j*s : j*s+size]``.

    Shape (H, W) -> (output_size(H, size, stride), output_size(W, size, stride)).
    """
    return _pool_windows(x, size, stride).max(axis=(2, 3))


def avg_pool2d(x, size=2, stride=2):
    """Average pooling of one 2-D map: the mean of each size x size window, stepping by stride.

    Never overflows for finite x (a mean lies between the window's extremes): when the plain
    sum would pass float64's limit, each value is divided by size**2 before adding."""
    win = _pool_windows(x, size, stride)
    with np.errstate(over="ignore", invalid="ignore"):
        out = win.mean(axis=(2, 3))
        if not np.isfinite(out).all() and np.isfinite(win).all():
            out = (win / (size * size)).sum(axis=(2, 3))
    return out
