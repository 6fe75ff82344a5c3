"""Small 2-D classification problems made in code, seeded.

Every maker returns ``(X, y)``: ``X`` float (N, 2), ``y`` integer class labels (N,).
``seed`` is an int or a ``np.random.Generator``; the same seed gives the same data.

    spirals(n_per_class=100, n_classes=3)   interleaved arms (cs231n's spiral), not linearly separable
    xor(n=200)                              four blobs, opposite corners share a class
    circles(n=200)                          a disc inside a ring
    moons(n=200)                            two interleaved half-circles

``noise`` (the standard deviation of the Gaussian jitter) is a finite number in [0, 1e300]:
larger values would push the points beyond float64 (an error naming ``noise``, never inf).
"""
import numpy as np

from ..validation import as_rng, check_int, check_number

__all__ = ["spirals", "xor", "circles", "moons", "train_val_split", "TOY_DATASETS", "make_toy"]

MAX_NOISE = 1e300
"""The largest ``noise``: times a normal draw (|z| < 40) and a point it stays finite."""


def _noise(noise):
    return check_number(noise, "noise", low=0, high=MAX_NOISE)


def spirals(n_per_class=100, n_classes=3, noise=0.2, seed=0):
    """Class k: r = t, angle = 4 t + 2 pi k / K + noise * N(0, 1), t in [0, 1] (cs231n's spiral)."""
    n = check_int(n_per_class, "n_per_class", minimum=2)
    k_count = check_int(n_classes, "n_classes", minimum=2)
    noise = _noise(noise)
    rng = as_rng(seed, "seed")
    X = np.empty((n * k_count, 2))
    y = np.empty(n * k_count, dtype=int)
    r = np.linspace(0.0, 1.0, n)
    for k in range(k_count):
        angle = 4.0 * r + 2 * np.pi * k / k_count + noise * rng.standard_normal(n)
        X[k * n:(k + 1) * n] = np.c_[r * np.sin(angle), r * np.cos(angle)]
        y[k * n:(k + 1) * n] = k
    return X, y


def xor(n=200, noise=0.15, seed=0):
    """Four Gaussian blobs at (+-0.5, +-0.5); class = 1 when the signs of x1 and x2 differ."""
    n = check_int(n, "n", minimum=4)
    noise = _noise(noise)
    rng = as_rng(seed, "seed")
    centres = rng.choice(np.array([-0.5, 0.5]), size=(n, 2))
    X = centres + noise * rng.standard_normal((n, 2))
    y = (np.sign(centres[:, 0]) != np.sign(centres[:, 1])).astype(int)
    return X, y


def circles(n=200, noise=0.08, factor=0.5, seed=0):
    """Class 0 on the unit circle, class 1 on a circle of radius ``factor``, plus noise."""
    n = check_int(n, "n", minimum=2)
    noise = _noise(noise)
    factor = check_number(factor, "factor", low=0, high=1, low_open=True, high_open=True)
    rng = as_rng(seed, "seed")
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 0, 1.0, factor)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + noise * rng.standard_normal((n, 2))
    return X, y


def moons(n=200, noise=0.1, seed=0):
    """Two interleaved half circles: class 0 the upper arc, class 1 the lower arc shifted."""
    n = check_int(n, "n", minimum=2)
    noise = _noise(noise)
    rng = as_rng(seed, "seed")
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)],
                 np.c_[1.0 - np.cos(t), 0.5 - np.sin(t)])
    return X + noise * rng.standard_normal((n, 2)), y


def train_val_split(X, y, val_fraction=0.25, seed=0):
    """Shuffle (seeded) and split: returns ``X_train, y_train, X_val, y_val``."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0] if X.ndim else 'no'} examples but y has "
                         f"{y.shape[0] if y.ndim else 'none'}; they must match")
    val_fraction = check_number(val_fraction, "val_fraction", low=0, high=1, low_open=True,
                                high_open=True)
    idx = as_rng(seed, "seed").permutation(X.shape[0])
    n_val = max(1, int(round(val_fraction * X.shape[0])))
    val, train = idx[:n_val], idx[n_val:]
    return X[train], y[train], X[val], y[val]


TOY_DATASETS = {"spirals": spirals, "xor": xor, "circles": circles, "moons": moons}


def make_toy(name, n=300, noise=None, seed=0):
    """A toy dataset by name with about ``n`` points (spirals: 3 classes of n // 3)."""
    if not isinstance(name, str) or name not in TOY_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(TOY_DATASETS)} "
                         f"(the argument name)")
    n = check_int(n, "n", minimum=2)
    kw = {} if noise is None else {"noise": noise}
    if name == "spirals":
        return spirals(n_per_class=max(2, n // 3), seed=seed, **kw)
    return TOY_DATASETS[name](n=n, seed=seed, **kw)
