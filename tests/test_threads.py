"""mlbook.threads: numpy's OpenBLAS thread count set at run time, restored after a block."""
import numpy as np
import pytest

from mlbook.threads import blas_threads, get_blas_threads, set_blas_threads


def test_set_and_restore():
    before = get_blas_threads()
    if before is None:
        pytest.skip("numpy's BLAS here is not an OpenBLAS mlbook can find")
    with blas_threads(1) as previous:
        assert previous == before and get_blas_threads() == 1
        a = np.random.default_rng(0).normal(size=(200, 200))
        np.testing.assert_allclose(a @ np.eye(200), a)           # BLAS still works
    assert get_blas_threads() == before
    assert set_blas_threads(max(before, 1)) == before


def test_bad_thread_counts():
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        set_blas_threads(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        set_blas_threads(1.5)


def test_explorers_compute_with_one_blas_thread():
    """The explorer's compute step runs inside blas_threads(1); afterwards the count is back."""
    if get_blas_threads() is None:
        pytest.skip("no OpenBLAS found")
    import ipywidgets as W
    import matplotlib
    matplotlib.use("Agg")
    from mlbook.plots.live import LiveFigure
    from mlbook.widgets.explorer import Explorer
    seen = []
    live = LiveFigure((2, 1))
    live.figure.subplots()
    slider = W.IntSlider(value=1)
    ex = Explorer([slider], {"v": slider}, lambda frame: seen.append(get_blas_threads()) or 1,
                  lambda data: None, live)
    before = get_blas_threads()
    slider.value = 2
    assert seen == [1, 1] and get_blas_threads() == before and ex.updates == 2
