"""Checkers of notebook 10: pass the references, name plausible mistakes, report ⏳."""
import numpy as np
import pytest

from mlbook.checks import HINTS, check_confusion_matrix, check_shift_images, hint
from mlbook.ladder import confusion_matrix
from mlbook.datasets.augment import shift


# ------------------------------------------------------------------ shift_images
def shift_loops(images, dx, dy):
    N, H, W = images.shape
    out = np.zeros_like(images)
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[:, r, c] = images[:, r - dy, c - dx]
    return out


def shift_roll(images, dx, dy):
    return np.roll(np.roll(images, dy, axis=1), dx, axis=2)


def shift_swapped(images, dx, dy):
    return shift(images, dy, dx)


def shift_backwards(images, dx, dy):
    return shift(images, -dx, -dy)


def shift_in_place(images, dx, dy):
    images[:] = shift(images, dx, dy)
    return images


@pytest.mark.usefixtures("no_delegation_rule")
def test_shift_reference_and_loops_pass():
    assert check_shift_images(shift).correct
    r = check_shift_images(shift_loops)
    assert r.correct and "✅ Correct" in str(r), str(r)


@pytest.mark.parametrize("fn,words", [
    (shift_roll, "np.roll wraps around"),
    (shift_swapped, "dx and dy are swapped"),
    (shift_backwards, "opposite way"),
    (shift_in_place, "in place"),
    (lambda images, dx, dy: images[:, 1:, 1:], "wrong shape"),
    (lambda images, dx, dy: None, "returned None"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_shift_wrong_answers_are_named(fn, words):
    r = check_shift_images(fn)
    assert r.status == "wrong" and words in str(r), str(r)
    assert "On input" in str(r)


def test_shift_not_attempted():
    def todo(images, dx, dy):
        raise NotImplementedError("exercise")
    r = check_shift_images(todo)
    assert r.status == "not_attempted" and "⏳" in str(r)


# ------------------------------------------------------------------ confusion_matrix
def confusion_loops(labels, predictions):
    C = np.zeros((10, 10), dtype=int)
    for t, p in zip(labels, predictions):
        C[t, p] += 1
    return C


def test_confusion_reference_values():
    C = confusion_matrix([7, 7, 7, 1], [1, 1, 7, 1])
    assert C.shape == (10, 10) and C[7, 1] == 2 and C[7, 7] == 1 and C[1, 1] == 1
    assert C.sum() == 4 and np.trace(C) == 2


@pytest.mark.usefixtures("no_delegation_rule")
def test_confusion_reference_and_loops_pass():
    assert check_confusion_matrix(confusion_matrix).correct
    r = check_confusion_matrix(confusion_loops)
    assert r.correct, str(r)


def confusion_fancy_index(labels, predictions):
    C = np.zeros((10, 10))
    C[labels, predictions] += 1          # repeated pairs counted once
    return C


@pytest.mark.parametrize("fn,words", [
    (lambda l, p: confusion_loops(l, p).T, "transposed"),
    (lambda l, p: confusion_loops(l, p) / len(l), "not fractions"),
    (confusion_fancy_index, "np.add.at"),
    (lambda l, p: confusion_loops(l, p)[:max(l) + 1, :max(l) + 1], "10 x 10"),
])
def test_confusion_wrong_answers_are_named(fn, words):
    r = check_confusion_matrix(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_confusion_not_attempted_and_hints():
    def todo(labels, predictions):
        raise NotImplementedError("exercise")
    assert check_confusion_matrix(todo).status == "not_attempted"
    for name in ("shift_images", "confusion_matrix"):
        assert len(HINTS[name]) >= 2
        assert "1/" in str(hint(name, 1)) or HINTS[name][0] in str(hint(name, 1))
