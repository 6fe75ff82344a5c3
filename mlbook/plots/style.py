"""One look for every figure in the course."""
import matplotlib as mpl

DPI = 80
"""Pixels per inch of every course figure (rcParams figure.dpi and savefig.dpi)."""
MIN_TEXT_PX = 9
"""No text in a figure is smaller than this many pixels at 100 % zoom."""
SMALL = 8.5
"""Font size (points) of the smallest text in a figure: 8.5 pt = 9.4 px at 80 dpi."""
PAGE_PX = 960
"""Width (CSS px) a notebook's output gets in JupyterLab in a 1400 px wide window with the file
browser open (the browser test measures it and fails if the page is narrower). A wider image is
shrunk to fit, and its text with it."""
MAX_FIGURE_PX = int(PAGE_PX * SMALL * DPI / 72 / MIN_TEXT_PX)
"""Widest figure (PNG px) whose SMALL text is still MIN_TEXT_PX once JupyterLab shrinks it to
PAGE_PX: 1007 px, about 12.5 in at 80 dpi. Course figures stay at most this wide."""


def text_px_as_displayed(natural_px, shown_px=None):
    """Pixels of a course figure's smallest text (SMALL points at DPI) as displayed: its own
    pixels times the displayed / natural width of the image. ``shown_px`` (the width on the
    page) defaults to JupyterLab's: the natural width, shrunk to PAGE_PX if wider."""
    if shown_px is None:
        shown_px = min(natural_px, PAGE_PX)
    return SMALL * DPI / 72 * shown_px / natural_px


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
