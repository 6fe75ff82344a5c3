"""Checkers for the convolution exercises of notebook 08.

    check_conv2d_no_padding(conv2d_no_padding)   # student's (image, kernel) -> (H-kh+1, W-kw+1)
    check_conv_output_size(conv_output_size)     # student's (n, kernel, stride, padding) -> int
    check_conv2d_kernel_grad(conv2d_kernel_grad) # student's (image, kernel, dout) -> dL/dkernel

The first two compare with :mod:`mlbook.conv`; the kernel gradient is compared with central
finite differences of L(K) = sum(dout * conv2d(image, K)). All name the usual slips: a flipped kernel (true
convolution instead of the cross-correlation deep learning uses), an output one pixel too
small or too large, a transposed result, a missing floor, padding counted on one side only.
"""
import numpy as np

from mlbook.conv import PREWITT_X, PREWITT_Y, conv2d, output_size

from mlbook.gradcheck import numerical_gradient

from .core import Case, check_function, close_to, register_hints

__all__ = ["check_conv2d_no_padding", "check_conv_output_size", "check_conv2d_kernel_grad"]


# --------------------------------------------------------------------------------------------
# conv2d for one channel, stride 1, no padding

def _reference_conv(image, kernel):
    return conv2d(image, kernel)


_rng = np.random.default_rng(6)
_CONV_CASES = [
    Case(np.arange(9.0).reshape(3, 3), np.ones((3, 3)),
         label="image 3x3 = [[0,1,2],[3,4,5],[6,7,8]], kernel = ones (3x3): one output pixel"),
    Case(np.array([[40.0] * 3] * 3 + [[10.0] * 3] * 3), np.array(PREWITT_Y),
         label="the slide's 6x3 image (40s over 10s), kernel PREWITT_Y [[1,1,1],[0,0,0],[-1,-1,-1]]"),
    Case(np.array([[10.0, 10, 10, 0, 0, 0]] * 6), np.array(PREWITT_X),
         label="the slide's 6x6 image (rows 10 10 10 0 0 0), kernel PREWITT_X [[1,0,-1]]*3"),
    Case(np.arange(20.0).reshape(4, 5), np.array([[1.0, 2.0], [3.0, 4.0]]),
         label="image 4x5 = arange(20), kernel [[1,2],[3,4]] (not symmetric)"),
    Case(_rng.normal(size=(5, 7)), _rng.normal(size=(2, 3)),
         label="random image (5, 7), random kernel (2, 3) (not square)"),
    Case(_rng.normal(size=(8, 6)), _rng.normal(size=(3, 3)),
         label="random image (8, 6), random kernel (3, 3)"),
]


_close = close_to


def _diagnose_conv(got, case):
    image, kernel = (np.asarray(a, dtype=float) for a in case.args)
    H, W = image.shape
    kh, kw = kernel.shape
    if _close(got, conv2d(image, kernel[::-1, ::-1])):
        return ("you flipped the kernel: that is the mathematicians' convolution. Deep learning's "
                "conv2d is cross-correlation: out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel), "
                "kernel used as it is.")
    if _close(got, conv2d(image, kernel.T)) and kh != kw:
        return "kernel.T was used; slide the kernel as it is."
    try:
        shape = np.shape(got)
    except Exception:  # noqa: BLE001
        return None
    if shape in ((H - kh, W - kw), (H - kh, W - kw + 1), (H - kh + 1, W - kw)):
        return (f"the output is one pixel too small: a {kh}x{kw} kernel fits at "
                f"H - kh + 1 = {H - kh + 1} rows and W - kw + 1 = {W - kw + 1} columns "
                f"(range(H - kh + 1), not range(H - kh)).")
    if shape in ((H - kh + 2, W - kw + 2), (H, W)):
        return (f"the output is too large: the kernel must stay inside the image, so there are "
                f"H - kh + 1 = {H - kh + 1} by W - kw + 1 = {W - kw + 1} positions "
                f"(no padding in this exercise).")
    if len(shape) == 2 and shape == (W - kw + 1, H - kh + 1) and shape != (H - kh + 1, W - kw + 1):
        return "rows and columns are swapped: out has H - kh + 1 rows and W - kw + 1 columns."
    ref = conv2d(image, kernel)
    if _close(got, ref.T):
        return "the result is transposed: out[i, j] is row i, column j of the output."
    if _close(got, -ref):
        return "every value has the wrong sign."
    if _close(got, ref / kernel.size) or _close(got, ref / (kh * kw)):
        return "you took the mean of the products; a convolution takes their sum."
    return None


def check_conv2d_no_padding(conv2d_no_padding):
    """Check ``conv2d_no_padding(image, kernel) -> out`` of shape (H - kh + 1, W - kw + 1)."""
    return check_function(
        conv2d_no_padding, _reference_conv, _CONV_CASES, exercise="conv2d_no_padding",
        diagnose=_diagnose_conv,
        why="Every output pixel is the same small dot product at a new position: one kernel, "
            "shared across the whole image.")


# --------------------------------------------------------------------------------------------
# output size

_SIZE_CASES = [
    Case(5, 3, 1, 0, label="n=5, kernel=3, stride=1, padding=0"),
    Case(6, 3, 1, 0, label="n=6, kernel=3, stride=1, padding=0 (the slide's 6x6 image)"),
    Case(27, 5, 1, 2, label="n=27, kernel=5, stride=1, padding=2 (AlexNet's second layer)"),
    Case(227, 11, 4, 0, label="n=227, kernel=11, stride=4, padding=0 (AlexNet's first layer)"),
    Case(28, 3, 1, 1, label="n=28, kernel=3, stride=1, padding=1 ('same' padding)"),
    Case(7, 3, 2, 1, label="n=7, kernel=3, stride=2, padding=1"),
    Case(6, 3, 2, 0, label="n=6, kernel=3, stride=2, padding=0 (the stride does not divide evenly)"),
    Case(4, 2, 2, 0, label="n=4, kernel=2, stride=2, padding=0 (2x2 max pooling)"),
]


def _number(got):
    if isinstance(got, (bool, np.bool_)):
        return None
    try:
        value = float(np.asarray(got, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _diagnose_size(got, case):
    n, k, s, p = case.args
    g = _number(got)
    if g is None:
        return None
    right = output_size(n, k, s, p)
    candidates = [
        ((n + 2 * p - k) / s + 1, "the floor is missing: when the stride does not divide "
                                  "n + 2p - k, the last partial step does not count: "
                                  "(n + 2p - k) // s + 1"),
        ((n + 2 * p - k) // s, "off by one: add 1 for the first position of the window, "
                               "(n + 2p - k) // s + 1"),
        ((n + 2 * p - k) // s + 2, "off by one (one too many): (n + 2p - k) // s + 1"),
        ((n + p - k) // s + 1, "padding is added on BOTH sides: n + 2*padding"),
        (n + 2 * p - k + 1, "the stride is missing: divide (n + 2p - k) by the stride"),
        ((n - k) // s + 1, "the padding is missing: the padded input has n + 2*padding pixels"),
        (-(-(n + 2 * p - k) // s) + 1, "rounded up instead of down: use // (floor)"),
    ]
    for value, message in candidates:
        if value != right and np.isclose(g, value):
            return message
    return None


def check_conv_output_size(conv_output_size):
    """Check ``conv_output_size(n, kernel, stride, padding) -> int``."""
    return check_function(
        conv_output_size, output_size, _SIZE_CASES, exercise="conv_output_size",
        diagnose=_diagnose_size, rtol=0, atol=1e-9,
        why="With floor((n + 2p - k) / s) + 1 you can follow the shape of any convnet, layer "
            "by layer, before running it.")


# --------------------------------------------------------------------------------------------
# the kernel's gradient (backward pass of conv2d, stride 1, no padding)

def _numeric_kernel_grad(image, kernel, dout):
    """dL/dkernel by central differences of L(K) = sum(dout * conv2d(image, K))."""
    image, dout = np.asarray(image, dtype=float), np.asarray(dout, dtype=float)
    # L is linear in K, so a large step is exact up to rounding
    return numerical_gradient(lambda K: float(np.sum(dout * conv2d(image, K))),
                              np.array(kernel, dtype=float), eps=1e-3)


def _grad_cases():
    rng = np.random.default_rng(8)
    cases = [Case(np.arange(9.0).reshape(3, 3), np.zeros((2, 2)), np.ones((2, 2)),
                  label="image 3x3 = arange(9), kernel 2x2, dout = ones (2x2)")]
    for (H, W), (kh, kw) in [((4, 5), (2, 3)), ((6, 6), (3, 3)), ((5, 7), (3, 2))]:
        image, kernel = rng.normal(size=(H, W)), rng.normal(size=(kh, kw))
        dout = rng.normal(size=(H - kh + 1, W - kw + 1))
        cases.append(Case(image, kernel, dout,
                          label=f"random image ({H}, {W}), kernel ({kh}, {kw}), dout "
                                f"({H - kh + 1}, {W - kw + 1})"))
    return cases


_GRAD_CASES = _grad_cases()


def _diagnose_kernel_grad(got, case):
    image, kernel, dout = (np.asarray(a, dtype=float) for a in case.args)
    H, W = image.shape
    kh, kw = kernel.shape
    ref = conv2d(image, dout)
    if _close(got, ref[::-1, ::-1]):
        return ("the result is flipped: dL/dK[a, b] collects image[i + a, j + b] * dout[i, j] — "
                "slide dout over the image as it is, without flipping anything.")
    if not _close(ref, ref.T) and _close(got, ref.T):
        return ("the result is transposed: dL/dK[a, b] goes with row offset a and column "
                "offset b, in the kernel's shape (kh, kw).")
    if _close(got, -ref):
        return "every value has the wrong sign."
    if _close(got, ref / dout.size):
        return "you averaged over the output pixels; the chain rule SUMS over them."
    if _close(got, conv2d(image, np.ones_like(dout))):
        return ("dout is missing: each output pixel's contribution is weighted by the gradient "
                "arriving there, dout[i, j].")
    try:
        shape = np.shape(got)
    except Exception:  # noqa: BLE001
        return None
    if shape == (H, W):
        return ("that has the image's shape — the gradient with respect to the IMAGE. This "
                "exercise asks for the gradient with respect to the kernel, shape (kh, kw).")
    if shape == dout.shape and dout.shape != kernel.shape:
        return "that has dout's shape; the kernel's gradient has the kernel's shape (kh, kw)."
    return None


def check_conv2d_kernel_grad(conv2d_kernel_grad):
    """Check ``conv2d_kernel_grad(image, kernel, dout) -> dL/dkernel`` (kernel's shape) against
    finite differences of ``L(K) = sum(dout * conv2d(image, K))``."""
    return check_function(
        conv2d_kernel_grad, _numeric_kernel_grad, _GRAD_CASES, exercise="conv2d_kernel_grad",
        diagnose=_diagnose_kernel_grad, rtol=1e-6, atol=1e-7,
        why="The kernel's gradient is itself a correlation: of the input with the upstream "
            "gradient. Every position the kernel visited contributes.")


register_hints({
    "conv2d_no_padding": [
        "The output has H - kh + 1 rows and W - kw + 1 columns: that is how many positions the "
        "kernel has while staying inside the image.",
        "For each output pixel (i, j), take the patch image[i:i+kh, j:j+kw] — the same shape as "
        "the kernel — and sum the elementwise product patch * kernel.",
        "Two loops are fine: out = np.zeros((H - kh + 1, W - kw + 1)); for i in range(...): "
        "for j in range(...): out[i, j] = np.sum(image[i:i+kh, j:j+kw] * kernel). "
        "Do not flip the kernel.",
    ],
    "conv_output_size": [
        "Padding adds `padding` zeros on each side, so the padded input has n + 2*padding pixels.",
        "A window of length `kernel` has n + 2p - kernel + 1 positions at stride 1; with stride s "
        "you keep every s-th of them, starting with the first.",
        "return (n + 2 * padding - kernel) // stride + 1",
    ],
    "conv2d_kernel_grad": [
        "Write out[i, j] as a sum over a, b. Which terms contain kernel[a, b]? Its derivative "
        "with respect to kernel[a, b] is the image value it multiplies there.",
        "By the chain rule, dL/dkernel[a, b] = sum over every output pixel (i, j) of "
        "dout[i, j] * image[i + a, j + b].",
        "For fixed (a, b) that sum is np.sum(dout * image[a:a+OH, b:b+OW]) with (OH, OW) = "
        "dout.shape: two loops over a and b. (It is a correlation of the image with dout.)",
    ],
})


# --------------------------------------------------------------------------------------------
# what each exercise may call (the delegation rule, enforced by mlbook.checks.core)

def _declare():
    import sys
    import mlbook.conv as conv
    import mlbook.gradcheck as gradcheck
    import mlbook.layers.convolutional as convolutional
    from .core import declare_exercise
    this = sys.modules[__name__]
    convolution = [this, conv, convolutional, "mlbook.widgets.kernel_editor"]
    declare_exercise("conv_output_size", off_limits=convolution)
    declare_exercise("conv2d_no_padding", off_limits=convolution)
    declare_exercise("conv2d_kernel_grad", off_limits=convolution + [gradcheck])


_declare()
