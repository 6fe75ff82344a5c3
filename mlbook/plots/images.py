"""Images, kernels and feature maps: the figures of the convolution notebook.

``sample_photo()`` is the photograph that ships with matplotlib (Grace Hopper, 600 x 512),
as a grayscale float array in [0, 1] — no download. The other functions draw small arrays
as grids of numbers (to sit beside a slide's figure), kernels, and feature maps.
"""
import matplotlib.cbook as cbook
import matplotlib.image as mimage
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from mlbook.conv import avg_pool2d

__all__ = ["sample_photo", "show_image", "show_numbers", "show_kernel"]

_PHOTO_CACHE = {}


def sample_photo(step=1):
    """Grayscale Grace Hopper photo from matplotlib's sample data, float64 in [0, 1].

    ``step`` > 1 shrinks it by averaging ``step x step`` blocks (avg_pool2d), e.g. step=4 gives
    (150, 128). Gray = 0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma). A fresh copy each call.
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be an integer >= 1, got {step!r}")
    if "gray" not in _PHOTO_CACHE:
        with cbook.get_sample_data("grace_hopper.jpg") as f:
            rgb = mimage.imread(f, format="jpg")
        rgb = np.asarray(rgb, dtype=np.float64) / 255.0
        _PHOTO_CACHE["gray"] = rgb[..., :3] @ np.array([0.299, 0.587, 0.114])
    gray = _PHOTO_CACHE["gray"]
    if step == 1:
        return gray.copy()
    return avg_pool2d(gray, size=int(step), stride=int(step))


def _ax(ax, figsize=(4, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def show_image(img, ax=None, title="", *, symmetric=False, colorbar=False, cmap=None,
               percentile=100):
    """Draw a 2-D array as an image (gray; ``symmetric=True``: diverging colours centred on 0,
    for signed edge maps, saturating at the ``percentile`` of |img| so a few extreme pixels do
    not wash out the rest). Returns the AxesImage."""
    ax = _ax(ax)
    img = np.asarray(img, dtype=float)
    if symmetric:
        lim = float(np.percentile(np.abs(img), percentile)) or 1.0
        im = ax.imshow(img, cmap=cmap or "RdBu_r", vmin=-lim, vmax=lim)
    else:
        im = ax.imshow(img, cmap=cmap or "gray")
    ax.set_title(title)
    ax.set_xlabel(f"column (W = {img.shape[1]})")
    ax.set_ylabel(f"row (H = {img.shape[0]})")
    ax.grid(False)
    if colorbar:
        plt.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return im


def show_numbers(array, ax=None, title="", *, fmt="{:g}", highlight=None, cmap="Blues",
                 symmetric=False):
    """Draw a small 2-D array as a grid of numbers, each cell shaded by its value.

    ``highlight=(row, col, height, width)`` outlines a window (the kernel's position).
    """
    array = np.asarray(array, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    ax = _ax(ax, figsize=(0.6 * array.shape[1] + 1, 0.6 * array.shape[0] + 1))
    # colour limits stretched beyond the data so every cell stays pale and its number readable
    if symmetric:
        lim = 2.2 * (float(np.abs(array).max()) or 1.0)
        ax.imshow(array, cmap=cmap if cmap != "Blues" else "RdBu_r", vmin=-lim, vmax=lim)
    else:
        ax.imshow(array, cmap=cmap, vmin=min(0.0, array.min()), vmax=max(array.max(), 1e-12) * 2.2)
    for (i, j), v in np.ndenumerate(array):
        ax.text(j, i, fmt.format(v + 0.0), ha="center", va="center", fontsize=10)
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="crimson", lw=2.5))
    ax.set_xticks(range(array.shape[1]))
    ax.set_yticks(range(array.shape[0]))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(title)
    ax.grid(False)
    return ax


def show_kernel(kernel, ax=None, title="kernel", *, fmt="{:+.2f}"):
    """A kernel as a grid of signed numbers on diverging colours (red > 0, blue < 0)."""
    return show_numbers(kernel, ax=ax, title=title, fmt=fmt, cmap="RdBu_r", symmetric=True)
