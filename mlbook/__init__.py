"""mlbook — numpy reference implementations behind an interactive backpropagation course.

Importing ``mlbook`` is light: it loads no submodule. Each topic lives in its own
module and is imported on first use, so ``import mlbook; mlbook.worked_example.forward()``
works, and so does ``from mlbook.worked_example import forward``.
"""
import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "worked_example", "activations", "gradcheck", "autodiff", "symbolic", "layers",
    "losses", "optim", "conv", "datasets", "plots", "widgets", "checks", "regularization",
    "student", "init",
)

__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'mlbook' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
