"""Batch layers with forward/backward pairs. Batch first; images are (N, C, H, W).

Every layer: ``forward(x, training=True) -> y``; ``backward(dy) -> dx``; ``.params`` and
``.grads`` with the same keys. The layers live in topical submodules and are all
importable from here.
"""
from .base import Layer
from .dense import *          # noqa: F401,F403  Dense, Sigmoid, Tanh, ReLU, Sequential, fit
from .convolutional import *  # noqa: F401,F403  Conv2D, MaxPool2D, Flatten
from .dropout import *        # noqa: F401,F403  Dropout
from .batchnorm import *      # noqa: F401,F403  BatchNorm, BatchNorm2D
from .training import *       # noqa: F401,F403  fit (mini-batch training loop)
from .maxout import Maxout    # noqa: F401
from .depth import deep_mlp_gradient_norms, mlp, relative_step_sizes  # noqa: F401
