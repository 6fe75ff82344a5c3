"""Exercise checkers with rich feedback: ✅ Correct, ❌ what is wrong, ⏳ Not attempted.

The machinery is in ``mlbook.checks.core``; each topic's checkers are in a submodule and all
are importable from here, e.g. ``from mlbook.checks import check_sigmoid_grad, hint``.
"""
from .core import *             # noqa: F401,F403
from .worked_example import *   # noqa: F401,F403
from .activations import *      # noqa: F401,F403
from .autodiff import *         # noqa: F401,F403
from .optim import *            # noqa: F401,F403
from .conv import *             # noqa: F401,F403
from .dropout import *          # noqa: F401,F403
from .matrix import *          # noqa: F401,F403
from .init import *             # noqa: F401,F403
from .mnist import *            # noqa: F401,F403
from .capstone import *         # noqa: F401,F403
