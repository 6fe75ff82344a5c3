"""Kernel editor: type the nine numbers of a 3x3 kernel, watch it filter a photograph.

* :func:`kernel_editor_update` — applies the kernel with :func:`mlbook.conv.conv2d`
  (padding 1, so the output has the photo's size) and returns what the figure shows;
* :func:`kernel_editor_draw` — photo, kernel (numbers) and filtered photo side by side;
* :func:`kernel_editor` — the widget: a preset menu and a 3x3 grid of FloatText boxes.

Presets: identity, box blur, sharpen, Prewitt x/y, Sobel x/y (:data:`KERNEL_PRESETS`).
"""
import numpy as np

from mlbook.conv import PREWITT_X, PREWITT_Y, SOBEL_X, SOBEL_Y, conv2d
from mlbook.validation import as_float_array

__all__ = ["KERNEL_PRESETS", "kernel_editor_update", "kernel_editor_draw", "kernel_editor_refresh",
           "kernel_editor"]

KERNEL_PRESETS = {
    "identity": np.array([[0.0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Prewitt x (vertical edges)": np.array(PREWITT_X),
    "Prewitt y (horizontal edges)": np.array(PREWITT_Y),
    "Sobel x (vertical edges)": np.array(SOBEL_X),
    "Sobel y (horizontal edges)": np.array(SOBEL_Y),
}
"""name -> 3x3 kernel. identity keeps the image; box blur averages the 3x3 neighbourhood;
sharpen = identity + (identity - neighbours); the edge kernels follow mlbook.conv's signs."""

CUSTOM = "(custom)"
CLIP_PERCENTILE = 95     # a signed output's colours span +-this percentile of |output|


def kernel_editor_update(image, kernel):
    """Filter ``image`` (H, W) with the 3x3 ``kernel`` and describe the result.

    Returns a dict: ``image``; ``kernel`` (3, 3) float array; ``output`` =
    ``conv2d(image, kernel, padding=1)`` (H, W); ``signed`` (True when the output has
    negative values: drawn on diverging colours centred on 0); ``vmin``/``vmax`` (the colour
    range used: for a signed output +-the 95th percentile of |output| — an edge filter's
    output is near 0 almost everywhere, and scaled to its few largest values the picture
    would be almost white; the strongest 5 % saturate — else the output's own range); ``preset`` (the matching preset's name, or '(custom)'); ``text`` (a summary
    line: kernel sum and output range).
    """
    kernel = as_float_array(kernel, "kernel", dtype=np.float64)
    if kernel.shape != (3, 3):
        raise ValueError(f"kernel must be 3x3, got shape {kernel.shape}")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("kernel must contain finite numbers")
    image = as_float_array(image, "image", finite=True)
    output = conv2d(image, kernel, padding=1)
    lo, hi = float(output.min()), float(output.max())
    signed = lo < -1e-12
    if signed:
        lim = float(np.percentile(np.abs(output), CLIP_PERCENTILE)) or max(abs(lo), abs(hi))
        vmin, vmax = -lim, lim
    else:
        vmin, vmax = lo, (hi if hi > lo else lo + 1.0)
    preset = next((name for name, k in KERNEL_PRESETS.items() if np.allclose(k, kernel)), CUSTOM)
    text = (f"{preset}: kernel sum = {kernel.sum():+.3f}, output range "
            f"[{lo:+.3f}, {hi:+.3f}]")
    return {"image": image, "kernel": kernel, "output": output, "signed": signed,
            "vmin": vmin, "vmax": vmax, "preset": preset, "text": text}


def kernel_editor_draw(data, axes=None):
    """Draw photo | kernel | filtered photo. ``axes``: optional three axes. Returns them."""
    import matplotlib.pyplot as plt

    from mlbook.plots.images import show_kernel

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(10.5, 3.6),
                               gridspec_kw={"width_ratios": [1, 0.75, 1]})
    ax_in, ax_k, ax_out = axes
    ax_in.imshow(data["image"], cmap="gray", vmin=0, vmax=1)
    ax_in.set_title("photo (input)")
    show_kernel(data["kernel"], ax=ax_k, title="kernel")
    cmap = "RdBu_r" if data["signed"] else "gray"
    ax_out.imshow(data["output"], cmap=cmap, vmin=data["vmin"], vmax=data["vmax"])
    ax_out.set_title("conv2d(photo, kernel, padding=1)"
                     + (f"\nred > 0, blue < 0 (top {100 - CLIP_PERCENTILE} % saturated)"
                        if data["signed"] else ""), fontsize=9)
    for ax in (ax_in, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    ax_in.figure.suptitle(data["text"], fontsize=9, y=0.99)
    ax_in.figure.subplots_adjust(top=0.78, wspace=0.3)   # room for the summary line
    return axes


def kernel_editor_refresh(data, axes):
    """Update axes drawn by :func:`kernel_editor_draw` to show ``data``, in place.

    Only the kernel's colours and numbers, the output image, its colours and the titles change,
    so a redraw costs one PNG encoding instead of building a new figure.
    """
    _, ax_k, ax_out = axes
    kernel = data["kernel"]
    lim = 2.2 * (float(np.abs(kernel).max()) or 1.0)      # the colour scale of show_kernel
    ax_k.images[0].set_data(kernel)
    ax_k.images[0].set_clim(-lim, lim)
    for text, v in zip(ax_k.texts, kernel.ravel()):
        text.set_text(f"{v + 0.0:+.2f}")
    img = ax_out.images[0]
    img.set_data(data["output"])
    img.set_cmap("RdBu_r" if data["signed"] else "gray")
    img.set_clim(data["vmin"], data["vmax"])
    ax_out.title.set_text("conv2d(photo, kernel, padding=1)"
                          + (f"\nred > 0, blue < 0 (top {100 - CLIP_PERCENTILE} % saturated)"
                             if data["signed"] else ""))
    ax_out.figure._suptitle.set_text(data["text"])     # set_text: suptitle() re-lays the figure
    return axes


def kernel_editor(image=None, preset="Prewitt x (vertical edges)"):
    """The widget: a preset menu, nine number boxes and the filtered photo (an
    :class:`~mlbook.widgets.explorer.Explorer`).

    ``image`` defaults to ``mlbook.plots.sample_photo(step=2)`` (300 x 256).
    """
    import ipywidgets as w

    from mlbook.plots.live import LiveFigure

    from .explorer import Explorer

    if image is None:
        from mlbook.plots.images import sample_photo
        image = sample_photo(step=2)
    if preset not in KERNEL_PRESETS:
        raise ValueError(f"preset must be one of {list(KERNEL_PRESETS)}, got {preset!r}")
    menu = w.Dropdown(options=list(KERNEL_PRESETS) + [CUSTOM], value=preset,
                      description="preset", layout=w.Layout(width="340px"))
    boxes = [w.FloatText(value=float(KERNEL_PRESETS[preset][i // 3, i % 3]), step=0.1,
                         layout=w.Layout(width="80px")) for i in range(9)]
    grid = w.GridBox(boxes, layout=w.Layout(grid_template_columns="repeat(3, 84px)"))

    def kernel_now():
        return np.array([b.value for b in boxes], dtype=float).reshape(3, 3)

    live = LiveFigure((9.6, 3.3))
    axes = live.figure.subplots(1, 3, gridspec_kw={"width_ratios": [1, 0.75, 1]})
    kernel_editor_draw(kernel_editor_update(image, kernel_now()), axes)
    # the photo, the axes and the layout stay; the kernel, the output and the texts change
    LiveFigure.animate(axes[1].images[0], *axes[1].texts, axes[2].images[0], axes[2].title,
                       live.figure._suptitle)

    def compute(frame):
        return kernel_editor_update(image, kernel_now())

    def show(data):
        kernel_editor_refresh(data, axes)
        if menu.value != data["preset"]:
            menu.value = data["preset"]           # its observer ignores a matching kernel

    explorer = Explorer([w.HBox([menu, grid])], {f"k{i}": b for i, b in enumerate(boxes)},
                        compute, show, live, text=lambda data: f"kernel editor: {data['text']}")
    explorer.controls["preset"] = menu

    def on_preset(change):
        if change["new"] == CUSTOM or np.allclose(KERNEL_PRESETS[change["new"]], kernel_now()):
            return
        with explorer.hold():                 # set nine boxes, one update
            for b, v in zip(boxes, KERNEL_PRESETS[change["new"]].ravel()):
                b.value = float(v)

    menu.observe(on_preset, names="value")
    return explorer
