"""ipywidgets explorers. Each keeps its update logic in a plain function that tests call.

Pattern for every explorer ``foo``:
  * ``foo_update(**values) -> dict`` — pure computation, returns the data the figure shows;
  * ``foo_draw(data, ax=None)`` — draws that data with matplotlib;
  * ``foo_explorer(...) -> ipywidgets.Widget`` — builds the controls, wires them to the two
    functions above, and shows the figure in an area of fixed height so the page does not jump.

Drawing: the explorers keep one matplotlib figure, update it in place, and put its PNG into the
output area in one step (``Output.outputs = (png,)`` or an ``ipywidgets.Image``) instead of
``clear_output`` + ``plt.show()``: no flicker, faster, and it behaves the same in JupyterLab,
under nbclient and under nbval.
"""
from .lr_explorer import *          # noqa: F401,F403
from .optimizer_race import *       # noqa: F401,F403
from .classifier import *           # noqa: F401,F403
from .activation_explorer import *  # noqa: F401,F403
from .backprop_stepper import *     # noqa: F401,F403
from .kernel_editor import *        # noqa: F401,F403
from .dropout_explorer import *     # noqa: F401,F403
from .init_explorer import *        # noqa: F401,F403
