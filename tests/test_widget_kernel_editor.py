"""Kernel editor: the update function's data against mlbook.conv; the widget's wiring."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from mlbook.conv import PREWITT_X, SOBEL_Y, conv2d  # noqa: E402
from mlbook.plots.images import sample_photo  # noqa: E402
from mlbook.widgets.kernel_editor import (CUSTOM, KERNEL_PRESETS, kernel_editor,  # noqa: E402
                                          kernel_editor_draw, kernel_editor_refresh,
                                          kernel_editor_update)

PHOTO = sample_photo(step=8)     # (75, 64): fast


def test_photo_is_the_matplotlib_sample_in_gray():
    full = sample_photo()
    assert full.shape == (600, 512) and full.dtype == np.float64
    assert 0.0 <= full.min() and full.max() <= 1.0 and full.std() > 0.1
    assert PHOTO.shape == (75, 64)
    np.testing.assert_allclose(PHOTO[0, 0], full[:8, :8].mean())
    with pytest.raises(ValueError, match="step"):
        sample_photo(0)


@pytest.mark.parametrize("name", list(KERNEL_PRESETS))
def test_update_applies_each_preset_with_conv2d(name):
    d = kernel_editor_update(PHOTO, KERNEL_PRESETS[name])
    np.testing.assert_allclose(d["output"], conv2d(PHOTO, KERNEL_PRESETS[name], padding=1))
    assert d["output"].shape == PHOTO.shape
    assert d["preset"] == name and d["text"].startswith(name)
    if d["signed"]:     # colours span +-the 95th percentile of |output|: readable contrast
        assert d["vmin"] == -d["vmax"]
        assert np.mean(np.abs(d["output"]) >= d["vmax"]) <= 0.05 + 1e-9
        assert d["vmax"] < np.abs(d["output"]).max() or np.mean(d["output"] == 0) > 0.95
    else:
        assert d["vmin"] <= d["output"].min() and d["output"].max() <= d["vmax"]


def test_presets_do_what_they_say():
    np.testing.assert_allclose(kernel_editor_update(PHOTO, KERNEL_PRESETS["identity"])["output"], PHOTO)
    blur = kernel_editor_update(PHOTO, KERNEL_PRESETS["box blur"])["output"]
    np.testing.assert_allclose(blur[10, 10], PHOTO[9:12, 9:12].mean())
    assert not kernel_editor_update(PHOTO, KERNEL_PRESETS["box blur"])["signed"]
    sharp = kernel_editor_update(PHOTO, KERNEL_PRESETS["sharpen"])["output"]
    assert np.abs(np.diff(sharp[5:-5, 5:-5])).mean() > np.abs(np.diff(PHOTO[5:-5, 5:-5])).mean()
    edges = kernel_editor_update(PHOTO, KERNEL_PRESETS["Prewitt x (vertical edges)"])
    assert edges["signed"] and edges["vmin"] == -edges["vmax"]
    np.testing.assert_allclose(edges["output"][1:-1, 1:-1], conv2d(PHOTO, PREWITT_X))


def test_custom_kernel_and_bad_kernels():
    k = np.arange(9.0).reshape(3, 3) / 10
    d = kernel_editor_update(PHOTO, k)
    assert d["preset"] == CUSTOM and "kernel sum = +3.600" in d["text"]
    with pytest.raises(ValueError, match="3x3"):
        kernel_editor_update(PHOTO, np.ones((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        kernel_editor_update(PHOTO, np.full((3, 3), np.nan))


def test_draw_shows_the_data():
    d = kernel_editor_update(PHOTO, SOBEL_Y)
    axes = kernel_editor_draw(d)
    np.testing.assert_allclose(axes[2].images[0].get_array(), d["output"])
    assert axes[2].images[0].get_clim() == (d["vmin"], d["vmax"])
    texts = [t.get_text() for t in axes[1].texts]
    assert texts[:3] == ["+1.00", "+2.00", "+1.00"]
    plt.close("all")


def test_widget_builds_and_reacts_to_presets_and_boxes():
    box = kernel_editor(PHOTO, preset="identity")
    ctl = box.controls
    np.testing.assert_allclose(box.data["output"], PHOTO)
    axes = box.live.figure.axes
    updates = box.updates
    ctl["preset"].value = "Sobel y (horizontal edges)"
    assert box.updates == updates + 1                          # nine boxes, one update
    assert box.live.figure.axes == axes                        # redrawn in place
    np.testing.assert_allclose(axes[2].images[0].get_array(), box.data["output"])
    np.testing.assert_allclose(box.data["kernel"], SOBEL_Y)
    np.testing.assert_allclose(box.data["output"], conv2d(PHOTO, SOBEL_Y, padding=1))
    ctl["k4"].value = 3.0                           # centre entry: now a custom kernel
    assert box.data["kernel"][1, 1] == 3.0
    assert ctl["preset"].value == CUSTOM and box.data["preset"] == CUSTOM
    with pytest.raises(ValueError, match="preset"):
        kernel_editor(PHOTO, preset="emboss")
    plt.close("all")


def test_refresh_in_place_matches_a_fresh_draw():
    first = kernel_editor_update(PHOTO, KERNEL_PRESETS["box blur"])
    second = kernel_editor_update(PHOTO, KERNEL_PRESETS["Sobel x (vertical edges)"])
    axes = kernel_editor_draw(first)
    kernel_editor_refresh(second, axes)
    fresh = kernel_editor_draw(second)
    for ax_a, ax_b in zip(axes, fresh):
        assert [t.get_text() for t in ax_a.texts] == [t.get_text() for t in ax_b.texts]
        assert ax_a.get_title() == ax_b.get_title()
        for im_a, im_b in zip(ax_a.images, ax_b.images):
            np.testing.assert_allclose(im_a.get_array(), im_b.get_array())
            np.testing.assert_allclose(im_a.get_clim(), im_b.get_clim())
            assert im_a.get_cmap().name == im_b.get_cmap().name
    assert axes[0].figure._suptitle.get_text() == second["text"]
    plt.close("all")
