"""Data augmentation for digit images: shifts and small rotations, in numpy.

A classifier should not care whether a digit sits one pixel to the left or leans a little;
showing it shifted and rotated copies of the training digits teaches exactly that, for free.

Images are batches ``(N, H, W)`` (a single ``(H, W)`` image also works), any real dtype;
background is 0, so pixels that enter the frame are filled with 0.

    shift(images, dx, dy)          every image moved dx columns right, dy rows down (integers)
    rotate(images, degrees)        every image turned counter-clockwise about its centre
    random_shift_rotate(images, max_shift=2, max_degrees=10, rng=0)
                                   each image its own random shift and angle (seeded)

Rotation (and the combined random transform) maps each OUTPUT pixel back to where it comes
from in the input and interpolates bilinearly there: with centre c = ((H-1)/2, (W-1)/2),
output pixel p = (row, col) reads the input at

    q = R(-theta) (p - c - t) + c          t = (dy, dx) the shift, R the 2-D rotation
                                           (written in (row, col): rows grow downward)

so every output pixel gets exactly one value (no holes), vectorized over all images.
"""
import numpy as np

from ..validation import as_float_array, as_rng, check_int, check_number

__all__ = ["shift", "rotate", "random_shift_rotate", "warp"]


def _batch(images, name="images"):
    """(N, H, W) or (H, W) -> float (N, H, W) and whether a single image came in."""
    x = as_float_array(images, name)
    if x.ndim == 2:
        return x[None], True
    if x.ndim != 3:
        raise ValueError(f"{name} must have shape (N, H, W) or (H, W), got shape {x.shape}")
    return x, False


def shift(images, dx, dy):
    """Move every image ``dx`` pixels right and ``dy`` pixels down (negative: left/up).

    images (N, H, W) or (H, W) -> the same shape, floating point (integers become float64). Pixels that leave the frame are
    lost; the ones that enter it are 0 (background). Exact: no interpolation.
    """
    x, single = _batch(images)
    dx, dy = check_int(dx, "dx"), check_int(dy, "dy")
    _, H, W = x.shape
    out = np.zeros_like(x)
    if abs(dx) < W and abs(dy) < H:
        out[:, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            x[:, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out[0] if single else out


def warp(images, degrees, dx, dy):
    """Rotate each image by ``degrees[n]`` (counter-clockwise) about its centre, then shift it
    by (``dx[n]``, ``dy[n]``) pixels (right, down), with bilinear interpolation and 0 outside.

    images (N, H, W); degrees, dx, dy: (N,) or scalars (broadcast) -> (N, H, W) floating point.
    """
    x, single = _batch(images)
    N, H, W = x.shape
    theta = np.deg2rad(np.broadcast_to(as_float_array(degrees, "degrees", finite=True), (N,)))
    tx = np.broadcast_to(as_float_array(dx, "dx", finite=True), (N,))
    ty = np.broadcast_to(as_float_array(dy, "dy", finite=True), (N,))
    cr, cc = (H - 1) / 2.0, (W - 1) / 2.0
    rows, cols = np.mgrid[0:H, 0:W].astype(float)
    # output pixel -> centred, shift undone: (N, H, W)
    r = rows[None] - cr - ty[:, None, None]
    c = cols[None] - cc - tx[:, None, None]
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    # where each output pixel comes from: the inverse rotation, in (row, col) coordinates
    src_r = cos * r + sin * c + cr
    src_c = -sin * r + cos * c + cc
    return _bilinear(x, src_r, src_c)[0] if single else _bilinear(x, src_r, src_c)


def _bilinear(x, src_r, src_c):
    """Sample x (N, H, W) at real coordinates (N, H, W) each; 0 outside the image.

    Value at (r, c) = the four neighbouring pixels weighted by (1 - fr)(1 - fc), (1 - fr) fc,
    fr (1 - fc), fr fc, with fr, fc the fractional parts; a neighbour outside the frame is 0.
    """
    N, H, W = x.shape
    inside = (src_r > -1) & (src_r < H) & (src_c > -1) & (src_c < W)
    src_r, src_c = np.where(inside, src_r, 0.0), np.where(inside, src_c, 0.0)
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0
    Wp = W + 2
    padded = np.zeros((N, H + 2, Wp), dtype=x.dtype)     # a 0 border all round
    padded[:, 1:-1, 1:-1] = x
    flat = padded.ravel()
    # index of the top-left neighbour in the flattened padded batch (+1: the border)
    i = (np.arange(N)[:, None, None] * (H + 2) + r0.astype(np.int64) + 1) * Wp \
        + c0.astype(np.int64) + 1
    top = flat[i] * (1 - fc) + flat[i + 1] * fc
    bottom = flat[i + Wp] * (1 - fc) + flat[i + Wp + 1] * fc
    return np.where(inside, top * (1 - fr) + bottom * fr, 0.0).astype(x.dtype, copy=False)


def rotate(images, degrees):
    """Turn every image ``degrees`` counter-clockwise about its centre (bilinear, 0 outside).

    images (N, H, W) or (H, W) -> the same shape, floating point.
    """
    degrees = check_number(degrees, "degrees")
    return warp(images, degrees, 0.0, 0.0)


def random_shift_rotate(images, *, max_shift=2, max_degrees=10.0, rng=None):
    """A randomly moved copy of every image: its own integer shift in
    ``-max_shift..max_shift`` pixels along each axis and its own angle uniform in
    ``[-max_degrees, max_degrees]``, drawn from ``rng`` (seed or Generator).

    images (N, H, W) -> (N, H, W) floating point. The labels do not change, so ``(X_aug, y)`` is a
    new training set of the same size; draw a fresh one every epoch.
    """
    x, single = _batch(images)
    max_shift = check_int(max_shift, "max_shift", minimum=0)
    max_degrees = check_number(max_degrees, "max_degrees", low=0.0)
    rng = as_rng(rng)
    N = x.shape[0]
    dx = rng.integers(-max_shift, max_shift + 1, size=N)
    dy = rng.integers(-max_shift, max_shift + 1, size=N)
    degrees = rng.uniform(-max_degrees, max_degrees, size=N)
    out = warp(x, degrees, dx, dy)
    return out[0] if single else out
