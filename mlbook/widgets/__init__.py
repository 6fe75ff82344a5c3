"""ipywidgets explorers, all built the same way (see :mod:`mlbook.widgets.explorer`).

Pattern for every explorer ``foo``:
  * ``foo_update(...) -> dict`` — pure computation, returns the data the figure shows (tests
    call it with values and check that data);
  * ``foo_draw(data, ax=None)`` — draws that data with matplotlib from scratch (notebooks call it
    for static figures);
  * the builder (``lr_explorer``, ``optimizer_race``, ``classifier_explorer``,
    ``activation_explorer``, ``backprop_stepper``, ``kernel_editor``, ``dropout_explorer``)
    returns an :class:`~mlbook.widgets.explorer.Explorer`: the controls above a fixed-size image
    of a :class:`mlbook.plots.LiveFigure` that is drawn once with ``foo_draw`` and then updated
    in place (only the changing artists are redrawn), one PNG encoder
    (:func:`mlbook.plots.figure_png`), updates in a worker thread where the last value wins, and
    a static ``image/png`` of the initial state beside the widget view for GitHub and nbviewer.

The same test handle everywhere: ``explorer.data``, ``explorer.controls``, ``explorer.png``,
``explorer.timings``.
"""
from .lr_explorer import *          # noqa: F401,F403
from .optimizer_race import *       # noqa: F401,F403
from .classifier import *           # noqa: F401,F403
from .activation_explorer import *  # noqa: F401,F403
from .backprop_stepper import *     # noqa: F401,F403
from .kernel_editor import *        # noqa: F401,F403
from .dropout_explorer import *     # noqa: F401,F403
from .init_explorer import *        # noqa: F401,F403
