"""mlbook.conv: single-image convolution, the classic kernels, pooling, output sizes."""
import numpy as np
import pytest

from mlbook.conv import (
    PREWITT_X, PREWITT_Y, SOBEL_X, SOBEL_Y, avg_pool2d, conv2d, conv2d_backward, conv2d_naive,
    convolve2d, max_pool2d, output_size,
)
from mlbook.gradcheck import numerical_gradient, rel_error


def loop_conv(image, kernel, stride, padding):
    """An independent direct-loop cross-correlation (written here, not imported)."""
    H, W = image.shape
    kh, kw = kernel.shape
    xp = np.zeros((H + 2 * padding, W + 2 * padding))
    xp[padding:padding + H, padding:padding + W] = image
    OH = (H + 2 * padding - kh) // stride + 1
    OW = (W + 2 * padding - kw) // stride + 1
    out = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            s = 0.0
            for a in range(kh):
                for b in range(kw):
                    s += xp[i * stride + a, j * stride + b] * kernel[a, b]
            out[i, j] = s
    return out


def random_cases(n=40, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        H, W = rng.integers(1, 12, size=2)
        padding = int(rng.integers(0, 3))
        kh = int(rng.integers(1, H + 2 * padding + 1))
        kw = int(rng.integers(1, W + 2 * padding + 1))
        stride = int(rng.integers(1, 4))
        yield rng.normal(size=(H, W)), rng.normal(size=(kh, kw)), stride, padding


@pytest.mark.parametrize("case", list(random_cases()), ids=lambda c: f"{c[0].shape}{c[1].shape}s{c[2]}p{c[3]}")
def test_conv2d_matches_direct_loop_and_flip_relation(case):
    image, kernel, stride, padding = case
    out = conv2d(image, kernel, stride=stride, padding=padding)
    np.testing.assert_allclose(out, loop_conv(image, kernel, stride, padding), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv2d_naive(image, kernel, stride=stride, padding=padding), out,
                               rtol=1e-12, atol=1e-12)
    # true convolution = correlation with the kernel flipped in both axes
    flipped = convolve2d(image, kernel, stride=stride, padding=padding)
    np.testing.assert_allclose(flipped, loop_conv(image, kernel[::-1, ::-1], stride, padding),
                               rtol=1e-12, atol=1e-12)
    assert out.shape == (output_size(image.shape[0], kernel.shape[0], stride, padding),
                         output_size(image.shape[1], kernel.shape[1], stride, padding))


def test_convolution_and_correlation_differ_for_prewitt_but_not_for_a_symmetric_kernel():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 7))
    np.testing.assert_allclose(convolve2d(x, PREWITT_X), -conv2d(x, PREWITT_X))
    box = np.full((3, 3), 1 / 9)
    np.testing.assert_allclose(convolve2d(x, box), conv2d(x, box))
    # true convolution is commutative with 'full' padding (k - 1 zeros): x * k == k * x;
    # cross-correlation is not
    sq, k = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    full_xk, full_kx = convolve2d(sq, k, padding=2), convolve2d(k, sq, padding=5)
    assert full_xk.shape == full_kx.shape == (8, 8)
    np.testing.assert_allclose(full_xk, full_kx, atol=1e-12)
    assert not np.allclose(conv2d(sq, k, padding=2), conv2d(k, sq, padding=5))


def test_slide_prewitt_example_40s_over_10s():
    image = np.array([[40] * 3] * 3 + [[10] * 3] * 3)
    out = conv2d(image, PREWITT_Y)
    assert out.shape == (4, 1)
    np.testing.assert_array_equal(out[:, 0], [0, 90, 90, 0])
    assert out.dtype == np.float64


def test_slide_vertical_edge_example():
    image = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)
    out = conv2d(image, PREWITT_X)
    np.testing.assert_array_equal(out, [[0, 30, 30, 0]] * 4)


def test_edge_kernel_signs_follow_the_documented_convention():
    left_bright = np.array([[1.0, 1.0, 0.0, 0.0]] * 4)
    top_bright = left_bright.T
    assert (conv2d(left_bright, PREWITT_X) >= 0).all() and conv2d(left_bright, PREWITT_X).max() > 0
    assert (conv2d(left_bright, SOBEL_X) > 0).any() and (conv2d(left_bright, SOBEL_X) >= 0).all()
    assert (conv2d(top_bright, PREWITT_Y) > 0).any() and (conv2d(top_bright, PREWITT_Y) >= 0).all()
    assert (conv2d(top_bright, SOBEL_Y) >= 0).all()
    # an x-kernel sees nothing of a horizontal edge and vice versa
    np.testing.assert_array_equal(conv2d(top_bright, PREWITT_X), 0)
    np.testing.assert_array_equal(conv2d(left_bright, SOBEL_Y), 0)
    np.testing.assert_array_equal(PREWITT_Y, PREWITT_X.T)
    np.testing.assert_array_equal(SOBEL_Y, SOBEL_X.T)
    with pytest.raises(ValueError):
        PREWITT_X[0, 0] = 5.0   # read-only: nobody can corrupt the course's kernel


def test_max_and_avg_pooling_slide_example():
    x = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    np.testing.assert_array_equal(max_pool2d(x), [[9, 2], [6, 3]])
    np.testing.assert_allclose(avg_pool2d(x), [[15 / 4, 5 / 4], [15 / 4, 2]])
    # overlapping windows and the floor of the output size
    y = max_pool2d(np.arange(25.0).reshape(5, 5), size=3, stride=1)
    np.testing.assert_array_equal(y, [[12, 13, 14], [17, 18, 19], [22, 23, 24]])
    assert max_pool2d(np.zeros((5, 7)), 2, 2).shape == (2, 3)


@pytest.mark.parametrize("n,k,s,p,expected", [
    (6, 3, 1, 0, 4), (227, 11, 4, 0, 55), (55, 3, 2, 0, 27), (27, 5, 1, 2, 27),
    (13, 3, 2, 0, 6), (28, 3, 1, 1, 28), (6, 3, 2, 0, 2), (5, 5, 1, 0, 1), (1, 3, 1, 1, 1),
])
def test_output_size(n, k, s, p, expected):
    assert output_size(n, k, s, p) == expected
    assert isinstance(output_size(n, k, s, p), int)


@pytest.mark.parametrize("args,exc,words", [
    ((3, 5), ValueError, "larger than the padded input"),
    ((3, 6, 1, 1), ValueError, "3 + 2*1 = 5"),
    ((5, 3, 0), ValueError, "stride"),
    ((5, 3, 1, -1), ValueError, "padding"),
    ((5, 3, 1.5), TypeError, "stride"),
    ((5.0, 3), TypeError, "n must be an integer"),
    ((0, 3), ValueError, "n must be"),
])
def test_output_size_rejects_impossible_combinations(args, exc, words):
    with pytest.raises(exc, match=words.replace("*", r"\*").replace("+", r"\+")):
        output_size(*args)


def test_conv2d_bad_inputs_name_the_problem_and_the_shapes():
    with pytest.raises(ValueError, match=r"kernel of shape \(5, 5\) is larger than the padded image.*\(3, 4\)"):
        conv2d(np.zeros((3, 4)), np.zeros((5, 5)))
    conv2d(np.zeros((3, 4)), np.zeros((5, 5)), padding=1)   # fits once padded: 5 x 6
    with pytest.raises(ValueError, match=r"stride must be an integer >= 1, got 0"):
        conv2d(np.zeros((4, 4)), np.zeros((2, 2)), stride=0)
    with pytest.raises(ValueError, match=r"image must be 2-D .* got shape \(2, 4, 4\)"):
        conv2d(np.zeros((2, 4, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"kernel must be 2-D .* got shape \(3,\)"):
        conv2d(np.zeros((4, 4)), np.zeros(3))
    with pytest.raises(TypeError, match="image must be a real number or an array of real numbers"):
        conv2d(np.array([["a", "b"], ["c", "d"]]), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="padding"):
        conv2d(np.zeros((4, 4)), np.zeros((2, 2)), padding=-1)
    with pytest.raises(ValueError, match="larger than the input"):
        max_pool2d(np.zeros((1, 4)))


def test_conv2d_keeps_float32_and_accepts_lists():
    x = np.ones((4, 4), dtype=np.float32)
    assert conv2d(x, np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    np.testing.assert_array_equal(conv2d([[1, 2], [3, 4]], [[1]]), [[1, 2], [3, 4]])


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 0), (2, 1), (3, 2)])
def test_conv2d_backward_matches_numerical_gradient(stride, padding):
    rng = np.random.default_rng(stride * 10 + padding)
    x, k = rng.normal(size=(7, 8)), rng.normal(size=(3, 2))
    g = rng.normal(size=conv2d(x, k, stride=stride, padding=padding).shape)
    dx, dk = conv2d_backward(x, k, g, stride=stride, padding=padding)
    # L = sum(g * out) is linear, so a large eps is exact up to rounding
    num_dx = numerical_gradient(lambda X: np.sum(g * conv2d(X, k, stride=stride, padding=padding)), x, eps=1e-2)
    num_dk = numerical_gradient(lambda K: np.sum(g * conv2d(x, K, stride=stride, padding=padding)), k, eps=1e-2)
    assert rel_error(dx, num_dx) < 1e-7
    assert rel_error(dk, num_dk) < 1e-7
    if stride == 1 and padding == 0:   # the kernel gradient IS a correlation of input with g
        np.testing.assert_allclose(dk, conv2d(x, g))
