"""One look for every figure in the course."""
import matplotlib as mpl

DPI = 80
"""Pixels per inch of every course figure (rcParams figure.dpi and savefig.dpi)."""
MIN_TEXT_PX = 9
"""No text in a figure is smaller than this many pixels at 100 % zoom."""
SMALL = 8.5
"""Font size (points) of the smallest text in a figure: 8.5 pt = 9.4 px at 80 dpi."""


def course_style():
    """Set matplotlib defaults for the course: small PNGs, readable fonts, no top/right spines."""
    mpl.rcParams.update({
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.figsize": (6.4, 4.0),
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "image.cmap": "gray",
    })
