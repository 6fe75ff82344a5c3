"""mlbook.gradcheck: central differences on any shape, input restored, rel_error, bad input."""
import numpy as np
import pytest

from mlbook.gradcheck import numerical_gradient, rel_error


@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
def test_quadratic_form_gradient_any_shape_and_input_restored(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    c = rng.normal(size=shape)
    before = x.copy()
    # f(x) = sum(c x^2) + sum(sin x): df/dx = 2 c x + cos x
    grad = numerical_gradient(lambda v: np.sum(c * v ** 2) + np.sum(np.sin(v)), x)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    np.testing.assert_array_equal(x, before)
    assert rel_error(grad, 2 * c * x + np.cos(x)) < 1e-8


def test_matrix_product_gradient_and_closure_over_x():
    # f closes over W (like a layer's parameters): dL/dW of L = sum((x W) * g) is x^T g
    rng = np.random.default_rng(1)
    x, W, g = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    W_before = W.copy()
    grad = numerical_gradient(lambda _: np.sum((x @ W) * g), W)
    assert rel_error(grad, x.T @ g) < 1e-8
    np.testing.assert_array_equal(W, W_before)


def test_float32_is_refused_and_non_contiguous_views_work():
    x = np.linspace(-1, 1, 12).reshape(3, 4).T          # a transposed view (not C-contiguous)
    grad = numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert rel_error(grad, 3 * x ** 2) < 1e-8
    x32 = np.array([0.3, -1.0], dtype=np.float32)
    # the silent error it used to make: 0.3 + 1e-6 is not representable in float32, so the
    # step actually taken is not eps, and f's rounding is ~1e-7 |f| / eps = 0.1 |f|
    assert np.float32(0.3) + np.float32(1e-6) - np.float32(0.3) != np.float32(1e-6)
    for x_low in (x32, x32.astype(np.float16)):
        with pytest.raises(TypeError, match=r"numerical_gradient: x must be float64, got "
                                            r"float(32|16): .* relative accuracy of about "
                                            r".*pass x.astype\(np.float64\)"):
            numerical_gradient(lambda v: float(np.sum(v.astype(float) ** 2)), x_low)
    np.testing.assert_array_equal(x32, np.array([0.3, -1.0], dtype=np.float32))   # untouched
    g = numerical_gradient(lambda v: float(np.sum(v ** 2)), x32.astype(np.float64))
    np.testing.assert_allclose(g, [0.6, -2.0], rtol=1e-6)


def test_input_restored_even_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 3:
            raise ArithmeticError("boom")
        return float(np.sum(v))

    with pytest.raises(ArithmeticError):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert calls[2][1] == 2.0 + 1e-6                    # it was perturbed when f raised


def test_central_difference_error_is_second_order():
    # f = x^3 at 1: central difference error is eps^2 (exactly, for a cubic)
    x = np.array([1.0])
    for eps in (1e-2, 1e-3):
        g = numerical_gradient(lambda v: float(v[0] ** 3), x, eps=eps)[0]
        assert abs(g - 3.0) == pytest.approx(eps ** 2, rel=1e-6)


@pytest.mark.parametrize("bad", [[1.0, 2.0], np.array([1, 2]), 3.0, np.array([True])])
def test_x_must_be_a_float_array(bad):
    with pytest.raises(TypeError, match="x must be a float numpy array"):
        numerical_gradient(lambda v: 0.0, bad)


@pytest.mark.parametrize("eps", [0, -1e-6, np.nan, np.inf])
def test_eps_must_be_positive_finite(eps):
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_gradient(lambda v: 0.0, np.zeros(2), eps=eps)


def test_rel_error_values():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(np.array([1.0, -1.0]), np.array([-1.0, 1.0])) == 1.0    # wrong sign
    assert rel_error(0.0, 1e-12) == pytest.approx(1e-4)                        # floor 1e-8
    assert rel_error([1, 2], np.array([[1.0, 2.0], [1.0, 2.0]])) == 0.0       # broadcasting
    assert isinstance(rel_error(np.float32(1), 2), float)
    assert rel_error(np.array([1.0, 1.0]), 2 * np.array([1.0, 1.0])) == pytest.approx(1 / 3)


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\) do not match"):
        rel_error(np.zeros(2), np.zeros(3))


def test_thresholds_are_documented():
    import mlbook.gradcheck as gc
    assert "1e-7" in gc.__doc__ and "1e-4" in gc.__doc__


def test_f_must_return_a_scalar():
    with pytest.raises(TypeError, match=r"f must return a scalar \(the loss\), got ndarray of shape \(3,\)"):
        numerical_gradient(lambda v: v * 2, np.zeros(3))
    with pytest.raises(TypeError, match="f must return a scalar"):
        numerical_gradient(lambda v: "loss", np.zeros(3))
    # one-element arrays and numpy scalars are fine
    g = numerical_gradient(lambda v: np.array([[np.sum(v ** 2)]]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-8)


def test_eps_below_the_dtype_resolution_is_an_error_not_a_zero_gradient():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"eps=1e-17 is too small to change x\[0\]"):
        numerical_gradient(lambda v: float(np.sum(v)), x, eps=1e-17)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    with pytest.raises(ValueError, match="too small"):
        numerical_gradient(lambda v: float(np.sum(v)), np.array([1e20]))
