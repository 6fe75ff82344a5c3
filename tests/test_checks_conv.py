"""Checkers for the convolution exercises: pass the reference, name plausible mistakes,
survive hostile functions."""
import numpy as np
import pytest

from mlbook.checks import HINTS, check_conv2d_no_padding, check_conv_output_size, hint
from mlbook.conv import conv2d, output_size


# ------------------------------------------------------------------ conv2d_no_padding
def conv_loops(image, kernel):
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def conv_flipped(image, kernel):
    return conv_loops(image, kernel[::-1, ::-1])


def conv_off_by_one(image, kernel):
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh, W - kw))
    for i in range(H - kh):
        for j in range(W - kw):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def conv_same_size(image, kernel):
    return conv2d(image, kernel, padding=kernel.shape[0] // 2)


def conv_mean(image, kernel):
    return conv_loops(image, kernel) / kernel.size


def conv_transposed(image, kernel):
    return conv_loops(image, kernel).T


def conv_in_place(image, kernel):
    image *= 1.0
    image[0, 0] = 123.0
    return conv_loops(image, kernel)


@pytest.mark.usefixtures("no_delegation_rule")
def test_conv_reference_and_loops_pass():
    assert check_conv2d_no_padding(lambda x, k: conv2d(x, k)).correct
    r = check_conv2d_no_padding(conv_loops)
    assert r.correct, str(r)
    assert "✅ Correct" in str(r)


@pytest.mark.parametrize("fn,words", [
    (conv_flipped, "you flipped the kernel"),
    (conv_off_by_one, "one pixel too small"),
    (conv_same_size, "the output is too large"),
    (conv_mean, "mean of the products"),
    (conv_in_place, "changed its input array in place"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_conv_plausible_mistakes_are_named(fn, words):
    r = check_conv2d_no_padding(fn)
    assert r.status == "wrong"
    assert words in str(r), str(r)
    assert "❌" in str(r)


def test_conv_transposed_result_is_named():
    r = check_conv2d_no_padding(conv_transposed)
    assert r.status == "wrong"
    assert "transposed" in str(r), str(r)


@pytest.mark.parametrize("fn,words", [
    (lambda x, k: None, "returned None"),
    (lambda x, k: [[0.0]], "Python list"),
    (lambda x, k: 1 / 0, "ZeroDivisionError"),
    (lambda x, k: np.full((1, 1), np.nan), "nan"),
    (lambda x, k: np.zeros((2, 2, 2)), "wrong shape"),
    (lambda x, k: "conv", "expected a numpy array"),
    (lambda x, k: np.array([["a"]]), "dtype"),
    (lambda *a: (_ for _ in ()).throw(KeyboardInterrupt) if False else object(), "expected a numpy array"),
])
def test_conv_checker_survives_hostile_functions(fn, words):
    r = check_conv2d_no_padding(fn)
    assert r.status == "wrong"
    assert words in str(r), str(r)


def test_conv_not_attempted_and_not_a_function():
    def stub(image, kernel):
        raise NotImplementedError("exercise")

    assert check_conv2d_no_padding(stub).status == "not_attempted"
    assert "⏳ Not attempted" in str(check_conv2d_no_padding(stub))
    r = check_conv2d_no_padding(np.zeros((2, 2)))
    assert r.status == "wrong" and "expected a function" in str(r)


# ------------------------------------------------------------------ conv_output_size
def size_ok(n, kernel, stride, padding):
    return (n + 2 * padding - kernel) // stride + 1


@pytest.mark.parametrize("fn,words", [
    (lambda n, k, s, p: (n + 2 * p - k) // s, "off by one"),
    (lambda n, k, s, p: (n + 2 * p - k) // s + 2, "one too many"),
    (lambda n, k, s, p: (n + 2 * p - k) / s + 1, "floor is missing"),
    (lambda n, k, s, p: (n + p - k) // s + 1, "BOTH sides"),
    (lambda n, k, s, p: n + 2 * p - k + 1, "stride is missing"),
    (lambda n, k, s, p: (n - k) // s + 1, "padding is missing"),
])
def test_size_plausible_mistakes_are_named(fn, words):
    r = check_conv_output_size(fn)
    assert r.status == "wrong"
    assert words in str(r), str(r)


@pytest.mark.usefixtures("no_delegation_rule")
def test_size_reference_passes_also_returning_float_or_numpy_int():
    assert check_conv_output_size(output_size).correct
    assert check_conv_output_size(size_ok).correct
    assert check_conv_output_size(lambda n, k, s, p: float(size_ok(n, k, s, p))).correct
    assert check_conv_output_size(lambda n, k, s, p: np.int64(size_ok(n, k, s, p))).correct


@pytest.mark.parametrize("fn,words", [
    (lambda n, k, s, p: None, "returned None"),
    (lambda n, k, s, p: "55", "expected a number"),
    (lambda n, k, s, p: [size_ok(n, k, s, p)], "list"),
    (lambda n, k, s, p: float("nan"), "nan"),
    (lambda n, k, s, p: n // 0, "ZeroDivisionError"),
    (lambda n, k, s, p: True, "expected a number"),
])
def test_size_checker_survives_hostile_functions(fn, words):
    r = check_conv_output_size(fn)
    assert r.status == "wrong"
    assert words in str(r), str(r)


def test_size_not_attempted():
    def stub(n, kernel, stride, padding):
        raise NotImplementedError

    assert check_conv_output_size(stub).status == "not_attempted"


def test_hints_are_registered():
    assert len(HINTS["conv2d_no_padding"]) == 3
    assert len(HINTS["conv_output_size"]) == 3
    assert "// stride + 1" in str(hint("conv_output_size", 3))
    assert "hint 1 of 3" in str(hint("conv2d_no_padding", 1))


# ------------------------------------------------------------------ conv2d_kernel_grad
from mlbook.checks import check_conv2d_kernel_grad  # noqa: E402
from mlbook.conv import conv2d_backward  # noqa: E402


def kgrad_loops(image, kernel, dout):
    kh, kw = kernel.shape
    OH, OW = dout.shape
    return np.array([[np.sum(dout * image[a:a + OH, b:b + OW]) for b in range(kw)]
                     for a in range(kh)])


@pytest.mark.usefixtures("no_delegation_rule")
def test_kernel_grad_reference_and_loops_pass():
    assert check_conv2d_kernel_grad(lambda X, K, G: conv2d_backward(X, K, G)[1])
    assert check_conv2d_kernel_grad(kgrad_loops)


@pytest.mark.parametrize("fn,words", [
    (lambda X, K, G: kgrad_loops(X, K, G)[::-1, ::-1], "flipped"),
    (lambda X, K, G: kgrad_loops(X, K, G).T, "transposed"),
    (lambda X, K, G: -kgrad_loops(X, K, G), "wrong sign"),
    (lambda X, K, G: kgrad_loops(X, K, G) / G.size, "SUMS"),
    (lambda X, K, G: kgrad_loops(X, K, np.ones_like(G)), "dout is missing"),
    (lambda X, K, G: conv2d_backward(X, K, G)[0], "gradient with respect to the IMAGE"),
])
@pytest.mark.usefixtures("no_delegation_rule")
def test_kernel_grad_mistakes_named(fn, words):
    r = check_conv2d_kernel_grad(fn)
    assert r.status == "wrong" and words in str(r), str(r)
    assert "expected" in str(r) and "On input" in str(r)


@pytest.mark.parametrize("fn,words", [
    (lambda X, K, G: None, "returned None"),
    (lambda X, K, G: [[0.0]], "Python list"),
    (lambda X, K, G: 1 / 0, "ZeroDivisionError"),
    (lambda X, K, G: np.full(K.shape, np.nan), "nan"),
])
def test_kernel_grad_survives_hostile(fn, words):
    r = check_conv2d_kernel_grad(fn)
    assert r.status == "wrong" and words in str(r), str(r)


def test_kernel_grad_not_attempted_and_hints():
    def todo(X, K, G):
        raise NotImplementedError("exercise")
    assert check_conv2d_kernel_grad(todo).status == "not_attempted"
    assert len(HINTS["conv2d_kernel_grad"]) == 3 and "hint 1 of 3" in str(hint("conv2d_kernel_grad", 1))
