"""worked_example.as_matrices: the ten named parameters as W1, b1, W2, b2 (batch first)."""
import numpy as np
import pytest

from mlbook.activations import sigmoid
from mlbook.worked_example import (INITIAL_PARAMS, INPUTS, WEIGHT_POSITIONS, as_matrices,
                                   forward)


def test_initial_matrices_hold_the_blog_weights_in_place():
    W1, b1, W2, b2 = as_matrices()
    assert W1.tolist() == [[0.15, 0.25], [0.20, 0.30]]
    assert W2.tolist() == [[0.40, 0.50], [0.45, 0.55]]
    assert b1.tolist() == [0.35, 0.35] and b2.tolist() == [0.60, 0.60]


def test_matrix_forward_equals_named_forward_for_other_params():
    params = {k: v * (1.5 if k[0] == "w" else -0.7) + 0.01 * i
              for i, (k, v) in enumerate(INITIAL_PARAMS.items())}
    W1, b1, W2, b2 = as_matrices(params)
    out_h = sigmoid(np.array([INPUTS]) @ W1 + b1)
    out_o = sigmoid(out_h @ W2 + b2)
    f = forward(params)
    assert np.allclose(out_h[0], [f["out_h1"], f["out_h2"]], rtol=0, atol=1e-15)
    assert np.allclose(out_o[0], [f["out_o1"], f["out_o2"]], rtol=0, atol=1e-15)


def test_positions_cover_every_weight_once():
    assert sorted(WEIGHT_POSITIONS) == [f"w{k}" for k in range(1, 9)]
    assert len(set(WEIGHT_POSITIONS.values())) == 8
    W1, _, W2, _ = as_matrices()
    mats = {"W1": W1, "W2": W2}
    for name, (m, i, j) in WEIGHT_POSITIONS.items():
        assert mats[m][i, j] == INITIAL_PARAMS[name]


def test_returns_new_arrays_and_validates():
    a = as_matrices()
    a[0][0, 0] = 99.0
    assert as_matrices()[0][0, 0] == 0.15
    with pytest.raises(ValueError, match="w3"):
        as_matrices({k: v for k, v in INITIAL_PARAMS.items() if k != "w3"})
    with pytest.raises(TypeError, match="params"):
        as_matrices([0.1] * 10)
