"""Toy datasets: shapes, labels, seeding, the geometry each one promises."""
import numpy as np
import pytest

from mlbook.datasets import circles, make_toy, moons, spirals, train_val_split, xor


@pytest.mark.parametrize("maker,n,classes", [(lambda **k: spirals(50, 3, **k), 150, 3),
                                             (xor, 200, 2), (circles, 200, 2), (moons, 200, 2)])
def test_shapes_labels_and_seeds(maker, n, classes):
    X, y = maker(seed=1)
    assert X.shape == (n, 2) and X.dtype == float and y.shape == (n,)
    assert np.issubdtype(y.dtype, np.integer) and set(y.tolist()) == set(range(classes))
    X2, y2 = maker(seed=1)
    X3, _ = maker(seed=2)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)


def test_geometry():
    X, y = circles(noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    X, y = xor(noise=0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    X, y = spirals(20, 2, noise=0.0)
    np.testing.assert_allclose(np.hypot(X[:20, 0], X[:20, 1]), np.linspace(0, 1, 20))
    X, y = moons(noise=0.0)
    assert np.all(X[y == 0, 1] >= 0) and np.all(X[y == 1, 1] <= 0.5)


def test_split():
    X, y = make_toy("moons", 100)
    Xt, yt, Xv, yv = train_val_split(X, y, 0.2, seed=3)
    assert Xt.shape == (80, 2) and Xv.shape == (20, 2)
    both = np.vstack([Xt, Xv])
    assert sorted(map(tuple, both)) == sorted(map(tuple, X))


def test_bad_input():
    with pytest.raises(ValueError, match="unknown dataset 'blobs'; choose one of spirals"):
        make_toy("blobs")
    with pytest.raises(ValueError, match=r"noise must be a finite number in \[0, 1e\+300\], "
                                         r"got -1.0"):
        xor(noise=-1)
    with pytest.raises(ValueError, match="n must be an integer"):
        moons(n=1)
    with pytest.raises(TypeError, match="seed"):
        circles(seed="a")
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(*xor(), val_fraction=1.0)
