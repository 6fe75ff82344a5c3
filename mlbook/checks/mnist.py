"""Checkers for the exercises of notebook 10 (real digits, the MNIST ladder).

    check_shift_images(shift_images)          # student's (images, dx, dy) -> shifted images
    check_confusion_matrix(confusion_matrix)  # student's (labels, predictions) -> (10, 10) counts

Both compare with mlbook's references (:func:`mlbook.datasets.augment.shift` and
:func:`mlbook.ladder.confusion_matrix`) and name the usual slips: ``np.roll`` (digits wrap around the
edge instead of leaving the frame), the two axes swapped, a shift in the wrong direction; a
transposed matrix (rows must be the true classes), rates instead of counts, a matrix sized
by the classes that happen to occur.
"""
import numpy as np

from mlbook.datasets.augment import shift
from mlbook.ladder import confusion_matrix

from .core import Case, check_function, close_to, register_hints

__all__ = ["check_shift_images", "check_confusion_matrix"]


_close = close_to


# --------------------------------------------------------------------------------------------
# shifting a batch of images (the augmentation of the notebook)

def _reference_shift(images, dx, dy):
    return shift(images, dx, dy)


def _digit_batch(seed, n=3, size=8):
    """Images with ink away from nothing in particular: random values, so every pixel counts."""
    return np.random.default_rng(seed).uniform(0.1, 1.0, size=(n, size, size))


_one = np.zeros((1, 5, 5))
_one[0, 1, 3] = 1.0
_SHIFT_CASES = [
    Case(_one, 1, 0, label="one 5x5 image with a single ink pixel at row 1, column 3; dx=1, dy=0"),
    Case(_one, 0, 2, label="the same image; dx=0, dy=2 (down)"),
    Case(_one, -3, 0, label="the same image; dx=-3 (left)"),
    Case(_digit_batch(0), 2, -1, label="3 random 8x8 images; dx=2, dy=-1"),
    Case(_digit_batch(1, n=2, size=6), 0, 0, label="2 random 6x6 images; dx=0, dy=0 (no shift)"),
    Case(_digit_batch(2, n=4, size=7), -2, 3, label="4 random 7x7 images; dx=-2, dy=3"),
]


def _diagnose_shift(got, case):
    images, dx, dy = case.args
    if _close(got, np.roll(np.roll(images, dy, axis=1), dx, axis=2)):
        return ("the pixels that leave on one side come back on the other (np.roll wraps around). "
                "A shifted digit loses what leaves the frame, and what enters is background (0).")
    if dx != dy and _close(got, shift(images, dy, dx)):
        return ("dx and dy are swapped: dx moves along the columns (axis 2, to the right), dy "
                "along the rows (axis 1, down).")
    if _close(got, shift(images, -dx, -dy)):
        return ("every image moved the opposite way: dx > 0 moves the digit RIGHT (the pixel at "
                "column j ends up at column j + dx), dy > 0 moves it DOWN.")
    if np.shape(got) != np.shape(images):
        return "the output must have the input's shape (N, H, W): crop what leaves, pad with 0."
    return None


def check_shift_images(shift_images):
    """Check ``shift_images(images, dx, dy)``: images (N, H, W) moved dx right, dy down."""
    return check_function(
        shift_images, _reference_shift, _SHIFT_CASES, exercise="shift_images",
        why="a digit moved by a pixel or two is still the same digit: that is the new training "
            "data augmentation gives you for free.",
        diagnose=_diagnose_shift)


# --------------------------------------------------------------------------------------------
# the confusion matrix

def _reference_confusion(labels, predictions):
    return confusion_matrix(labels, predictions)


_r = np.random.default_rng(10)
_CONFUSION_CASES = [
    Case(np.array([3]), np.array([5]), label="labels=[3], predictions=[5] (one 3 taken for a 5)"),
    Case(np.array([0, 1, 2, 3]), np.array([0, 1, 2, 3]), label="labels=predictions=[0, 1, 2, 3]"),
    Case(np.array([7, 7, 7, 1]), np.array([1, 1, 7, 1]),
         label="labels=[7, 7, 7, 1], predictions=[1, 1, 7, 1] (the same mistake twice)"),
    Case(_r.integers(0, 10, 200), _r.integers(0, 10, 200),
         label="200 random labels and predictions in 0..9"),
]


def _diagnose_confusion(got, case):
    labels, predictions = case.args
    ref = confusion_matrix(labels, predictions)
    if _close(got, ref.T):
        return ("the matrix is transposed: row i is the TRUE class, column j the PREDICTED one "
                "(C[labels[n], predictions[n]] += 1).")
    if _close(got, ref / len(labels)) or _close(got, ref / np.maximum(ref.sum(1, keepdims=True), 1)):
        return "return counts (integers), not fractions: do not divide."
    if np.ndim(got) == 2 and np.shape(got) != (10, 10):
        return ("the matrix must be 10 x 10 whatever classes occur in this batch (a digit that "
                "never appears still has its row and column of zeros).")
    if _close(got, (ref > 0).astype(float)):
        return ("each entry must COUNT the examples, not just mark that one occurred: a mistake "
                "made twice adds 2 (plain fancy-index assignment C[l, p] += 1 counts a repeated "
                "pair only once; loop over the examples or use np.add.at).")
    return None


def check_confusion_matrix(confusion_matrix):
    """Check ``confusion_matrix(labels, predictions)`` -> (10, 10) counts, rows = true class."""
    return check_function(
        confusion_matrix, _reference_confusion, _CONFUSION_CASES, exercise="confusion_matrix",
        why="the diagonal is what the network gets right; every other entry names a mistake "
            "(true digit, what it was taken for).",
        diagnose=_diagnose_confusion)


register_hints({
    "shift_images": [
        "Start from an array of zeros with the input's shape (`np.zeros_like(images)`): every "
        "pixel that nothing moves into stays background.",
        "Moving right by dx means the output's columns dx..W-1 come from the input's columns "
        "0..W-1-dx. Copy that block with one slice assignment, over all images at once "
        "(`out[:, :, dx:] = images[:, :, :W - dx]` for dx > 0).",
        "Handle both signs and both axes: for dx < 0 the output's columns 0..W-1+dx come from "
        "the input's columns -dx..W-1. `max(dx, 0)` and `W + min(dx, 0)` give the ends of "
        "either slice; do the same with dy on axis 1.",
    ],
    "confusion_matrix": [
        "Make a 10 x 10 array of zeros; row i will collect the examples whose TRUE class is i.",
        "For each example n, add 1 at row labels[n], column predictions[n]. A Python loop over "
        "`zip(labels, predictions)` is fine.",
        "Vectorized: `np.add.at(C, (labels, predictions), 1)`. (Plain `C[labels, predictions] "
        "+= 1` counts a repeated pair only once.)",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.datasets.augment as augment
    import mlbook.ladder as ladder
    from .core import declare_exercise
    this = sys.modules[__name__]
    declare_exercise("shift_images", off_limits=[this, augment])
    declare_exercise("confusion_matrix", off_limits=[this, ladder])


_declare()
