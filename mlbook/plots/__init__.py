"""Figures for the course (matplotlib only; no graphviz binary).

Each topic's figures live in a submodule; all are importable from ``mlbook.plots``.
``course_style()`` sets the figure defaults every notebook uses.
"""

from .style import course_style   # noqa: F401
from .network import *     # noqa: F401,F403  network diagrams of the 2-2-2 net
from .graph import *       # noqa: F401,F403  computational graphs of autodiff.Value
from .activations import *  # noqa: F401,F403  activation/derivative plots
from .curves import *      # noqa: F401,F403  loss curves, decision boundaries, contours
from .images import *      # noqa: F401,F403  images, kernels, feature maps
from .live import *        # noqa: F401,F403  figures redrawn in place; the one PNG encoder
