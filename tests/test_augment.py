"""Augmentation: exact shifts, rotations about the centre, seeded random copies."""
import numpy as np
import pytest

from mlbook.datasets.augment import random_shift_rotate, rotate, shift, warp


def dot_image(row, col, size=9):
    img = np.zeros((1, size, size))
    img[0, row, col] = 1.0
    return img


def test_shift_moves_right_and_down_and_fills_with_zero():
    x = dot_image(4, 6)
    out = shift(x, 2, 1)
    assert out.shape == (1, 9, 9)
    assert [tuple(p) for p in np.argwhere(out[0])] == [(5, 8)]
    assert not shift(x, 3, 0).any()                    # left the frame: gone, not wrapped
    assert [tuple(p) for p in np.argwhere(shift(x, -6, -4)[0])] == [(0, 0)]


def test_shift_is_exact_on_a_batch_and_a_single_image():
    rng = np.random.default_rng(0)
    x = rng.random((4, 7, 8))
    out = shift(x, -2, 3)
    assert np.array_equal(out[:, 3:, :6], x[:, :4, 2:])
    assert not out[:, :3].any() and not out[:, :, 6:].any()
    assert np.array_equal(shift(x[1], -2, 3), out[1])  # (H, W) works too
    assert np.array_equal(shift(x, 0, 0), x)
    assert not shift(x, 8, 0).any() and not shift(x, 0, -7).any()


def test_warp_without_rotation_equals_shift():
    x = np.random.default_rng(1).random((3, 10, 10))
    for dx in range(-11, 12, 3):
        for dy in (-4, 0, 5, 10):
            assert np.allclose(warp(x, 0.0, dx, dy), shift(x, dx, dy))


def test_rotate_turns_counter_clockwise_about_the_centre():
    x = dot_image(4, 8)                                 # right of the centre (4, 4)
    assert [tuple(p) for p in np.argwhere(rotate(x, 90)[0] > 0.5)] == [(0, 4)]   # now above
    assert [tuple(p) for p in np.argwhere(rotate(x, -90)[0] > 0.5)] == [(8, 4)]  # below
    assert [tuple(p) for p in np.argwhere(rotate(x, 180)[0] > 0.5)] == [(4, 0)]
    z = np.random.default_rng(2).random((2, 9, 9))
    assert np.allclose(rotate(z, 0), z) and np.allclose(rotate(z, 360), z)
    assert np.allclose(rotate(rotate(z, 90), -90), z)   # quarter turns of a square: exact


def test_small_rotation_keeps_the_ink_and_interpolates():
    x = np.zeros((1, 28, 28))
    x[0, 8:20, 12:16] = 1.0                             # a thick vertical bar, like a 1
    y = rotate(x, 10)
    assert y.min() >= 0 and y.max() <= 1 + 1e-12
    assert abs(y.sum() - x.sum()) < 0.02 * x.sum()      # bilinear: ink is (nearly) kept
    assert 0 < np.mean((y > 0) & (y < 1))               # in-between values at the edges


def test_random_shift_rotate_is_seeded_and_varies_per_image():
    x = np.repeat(dot_image(14, 14, size=28), 50, axis=0)
    a = random_shift_rotate(x, max_shift=2, max_degrees=10, rng=0)
    b = random_shift_rotate(x, max_shift=2, max_degrees=10, rng=0)
    c = random_shift_rotate(x, max_shift=2, max_degrees=10, rng=1)
    assert a.shape == x.shape and np.array_equal(a, b) and not np.array_equal(a, c)
    centres = np.array([np.unravel_index(np.argmax(img), img.shape) for img in a])
    assert np.all(np.abs(centres - 14) <= 2)            # the dot moved at most 2 pixels
    assert len({tuple(p) for p in centres}) > 5         # ... differently for different images
    same = random_shift_rotate(x, max_shift=0, max_degrees=0.0, rng=3)
    assert np.allclose(same, x)


def test_bad_arguments():
    with pytest.raises(ValueError, match="images"):
        shift(np.zeros(5), 1, 1)
    with pytest.raises(TypeError, match="dx"):
        shift(np.zeros((2, 3, 3)), 1.5, 0)
    with pytest.raises(TypeError, match="images"):
        rotate("abc", 10)
    with pytest.raises(ValueError, match="max_shift"):
        random_shift_rotate(np.zeros((2, 5, 5)), max_shift=-1)
    with pytest.raises(ValueError, match="max_degrees"):
        random_shift_rotate(np.zeros((2, 5, 5)), max_degrees=-3)
    with pytest.raises(TypeError, match="rng"):
        random_shift_rotate(np.zeros((2, 5, 5)), rng="seed")
