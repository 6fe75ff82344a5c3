"""Figures that are redrawn many times a second (the explorers), and the package's one PNG encoder.

:class:`LiveFigure` keeps one matplotlib Figure (its own Agg canvas, outside pyplot) between
updates and redraws only what changed, the classic blitting technique:

* artists that change on every update are marked ``set_animated(True)``. Matplotlib leaves
  them out of a normal draw, and changing them does not mark the figure stale;
* :meth:`LiveFigure.render` draws the figure in full only when it is stale (a limit, a tick,
  a static text changed: anything not animated). It keeps that picture as the background.
  Otherwise it restores the background and draws just the animated artists on it.

A full draw of a plot with axes, ticks and a legend costs tens of milliseconds (text layout and
glyph rendering dominate); redrawing a few lines and texts on the cached background costs a few.

:func:`figure_png` turns a figure into PNG bytes (RGB, fast zlib level): every explorer and
every static picture of an explorer goes through it.
"""

import numpy as np

__all__ = ["LiveFigure", "figure_png", "new_figure", "png_bytes"]

PNG_COMPRESS_LEVEL = 1        # zlib level: 1 encodes a plot in ~3 ms; 6 (the default) is slower


def new_figure(figsize, dpi=80):
    """A matplotlib Figure outside pyplot (never shown twice by the inline backend), with an
    Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(rgba):
    """PNG bytes of an image array (H, W, 4) or (H, W, 3), uint8; the alpha channel is dropped.

    Written directly (zlib level :data:`PNG_COMPRESS_LEVEL`, every row unfiltered): half the
    time of PIL's encoder, which tries five filters on every row, for a file a few per cent
    larger (a plot is mostly flat colour).
    """
    import struct
    import zlib
    rgb = np.asarray(rgba)[..., :3]
    if rgb.dtype != np.uint8 or rgb.ndim != 3:
        raise ValueError(f"rgba must be a uint8 array (H, W, 3 or 4), got {rgb.dtype} "
                         f"{np.asarray(rgba).shape}")
    h, w, _ = rgb.shape
    rows = np.zeros((h, 1 + 3 * w), dtype=np.uint8)        # byte 0 of a row: filter "none"
    rows[:, 1:] = rgb.reshape(h, 3 * w)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))   # 8-bit RGB
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_COMPRESS_LEVEL))
            + chunk(b"IEND", b""))


def figure_png(fig, *, redraw=True):
    """PNG bytes of ``fig`` as drawn by its Agg canvas (``redraw=False``: the canvas as it is,
    e.g. after :meth:`LiveFigure.render`). A pyplot figure is given an Agg canvas first."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    if redraw:
        fig.canvas.draw()
    return png_bytes(fig.canvas.buffer_rgba())


class LiveFigure:
    """One figure redrawn in place; see the module docstring.

    ``live = LiveFigure((7.5, 3.4))``; build axes and artists on ``live.figure``, mark the
    ones that change per update with ``set_animated(True)``; after every update call
    ``live.png()`` (or ``live.render()``). ``live.full_draws`` counts full draws (tests).
    """

    def __init__(self, figsize, dpi=80):
        self.figure = new_figure(figsize, dpi)
        self._background = None
        self.full_draws = 0

    def animated_artists(self):
        """The artists drawn on top of the background, in drawing order (zorder)."""
        found = self.figure.findobj(lambda a: a.get_animated())
        inner = {id(c) for a in found for c in a.findobj(include_self=False)}
        # children of an animated artist (a legend's texts) are drawn by their parent
        return sorted((a for a in found if id(a) not in inner), key=lambda a: a.get_zorder())

    def render(self):
        """Bring the canvas up to date: a full draw when the figure is stale (anything not
        animated changed, or an artist was added or removed), else the animated artists on
        the saved background."""
        fig = self.figure
        canvas = fig.canvas
        if fig.stale or self._background is None:
            canvas.draw()                     # animated artists are left out
            self._background = canvas.copy_from_bbox(fig.bbox)
            self._animated = self.animated_artists()
            for artist in self._animated:      # a legend's texts, a text's box: drawn with
                for child in artist.findobj(include_self=False):     # their animated parent,
                    child.stale_callback = None      # so their changes need no full draw
            self.full_draws += 1
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                fig.draw_artist(artist)
        fig.stale = False        # drawing (a legend sizing its frame) marks it stale: not a change
        return fig

    def png(self):
        """PNG bytes of the up-to-date figure."""
        self.render()
        return figure_png(self.figure, redraw=False)

    def freeze_layout(self):
        """Draw once and pin every axes' title and axis labels where matplotlib put them.

        Matplotlib places a title above and an axis label beside the tick labels by measuring
        every tick label's box on each full draw (a third of a full draw's cost). For a figure
        whose tick labels keep their size (layer numbers, fixed formats) the positions do not
        move, so measuring them once is enough: full draws (a new limit) get cheaper.
        """
        fig = self.figure
        fig.canvas.draw()
        for ax in fig.axes:
            if ax.title.get_text():
                ax.set_title(ax.title.get_text(), y=ax.title.get_position()[1],
                             fontsize=ax.title.get_fontsize(),
                             fontweight=ax.title.get_fontweight())
            to_axes = ax.transAxes.inverted()
            for axis, label in ((ax.xaxis, ax.xaxis.label), (ax.yaxis, ax.yaxis.label)):
                if not label.get_text():
                    continue
                x, y = label.get_transform().transform(label.get_position())
                axis.set_label_coords(*to_axes.transform((x, y)))
        self._background = None
        return fig

    @staticmethod
    def set_limits(ax, xlim=None, ylim=None):
        """Set axis limits only when they differ (setting equal limits still forces a full draw)."""
        if xlim is not None and tuple(map(float, ax.get_xlim())) != tuple(map(float, xlim)):
            ax.set_xlim(*xlim)
        if ylim is not None and tuple(map(float, ax.get_ylim())) != tuple(map(float, ylim)):
            ax.set_ylim(*ylim)

    @staticmethod
    def animate(*artists):
        """Mark artists as animated (redrawn on every update on top of the background)."""
        for artist in artists:
            artist.set_animated(True)
        return artists
