"""The one shape of every explorer: controls, a compute step, a figure redrawn in place.

Each explorer module ``foo`` has the same three public functions:

* ``foo_update(...) -> dict`` — pure computation: the data the figure shows (tests call it);
* ``foo_draw(data, ax=None)`` — draws that data with matplotlib from scratch (notebooks call it
  for static figures); returns the axes;
* the builder (``lr_explorer``, ``optimizer_race``, …) -> :class:`Explorer`: makes the
  controls and a :class:`mlbook.plots.live.LiveFigure`, draws the first state with ``foo_draw``
  and updates its artists in place afterwards.

An :class:`Explorer` is an ``ipywidgets.VBox``: the rows of controls above an
``ipywidgets.Image`` of fixed size holding the figure as PNG (:func:`mlbook.plots.figure_png`).
The same test handle everywhere: ``explorer.data`` (the data now shown), ``explorer.controls``
(name -> widget), ``explorer.png`` (the PNG bytes now shown), ``explorer.timings`` (ms spent
in compute / draw / encode per update).

Fast and without backlog. In a Jupyter kernel a control change only records that an update is
wanted and returns; a worker thread computes and draws with the controls' values *at that
moment*. Moves made meanwhile collapse into one update (the last value wins), and a long
computation (training) that reports progress through ``frame(data)`` shows intermediate
pictures and is abandoned as soon as a newer value arrives. Outside a kernel (tests, scripts)
updates run synchronously.

A picture wherever the notebook is read: :meth:`Explorer._repr_mimebundle_` adds the figure's
``image/png`` beside the widget view, so the committed notebook shows the initial state on
GitHub and nbviewer, while JupyterLab (which prefers the widget view) shows the live explorer.
"""
import base64
import contextlib
import gc
import html
import threading
import time
import traceback

import ipywidgets as W

from mlbook.plots.live import figure_png
from mlbook.threads import blas_threads

__all__ = ["Explorer", "Superseded", "in_kernel"]


class Superseded(Exception):
    """Raised by ``frame()`` inside a computation when a newer control value is waiting."""


def in_kernel():
    """True inside a running Jupyter kernel (where updates go to the worker thread)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Explorer(W.VBox):
    """An explorer widget (see the module docstring).

    rows : widgets shown above the figure (controls, text)
    controls : dict name -> widget; a change of any ``value`` requests an update
    compute : ``compute(frame) -> data``; reads the controls; may call ``frame(partial)`` to
        show intermediate data (it raises :class:`Superseded` when a newer request waits)
    show : ``show(data)`` updates the artists of ``live`` (a LiveFigure) to show ``data``
    text : optional ``text(data) -> str``, a one-line summary: the ``text/plain`` beside the
        static picture
    background : run updates in a worker thread (default: only inside a kernel)
    key : optional ``key(data)``: pictures are cached by this key (a revisited state is shown
        without drawing)
    prefetch : optional ``prefetch()`` -> iterable of data; in the background, while no request
        waits, the worker draws them into the cache (the states a student will ask for next)
    scroll : show the figure at its own size in a horizontally scrolling box (a wide figure
        whose text must stay legible) instead of shrinking it to the page width
    """

    def __init__(self, rows, controls, compute, show, live, *, text=None, background=None,
                 key=None, prefetch=None, scroll=False, first_frame_after=0.03,
                 frame_interval=0.15, **kwargs):
        self.controls = dict(controls)
        self.live = live
        self._compute, self._show, self._text = compute, show, text
        self.background = in_kernel() if background is None else bool(background)
        self.first_frame_after, self.frame_interval = first_frame_after, frame_interval
        self.data, self.png, self.timings, self.updates = None, b"", [], 0
        self._wanted = 0          # requests made
        self._done = 0            # requests served
        self._held = 0
        self._cond = threading.Condition()
        self._thread = None
        self._warmed = threading.Event()
        self._key, self._prefetch, self.cache = key, prefetch, {}
        self.image = W.Image(format="png", layout=W.Layout(
            object_fit="contain", max_width="none" if scroll else "100%",
            flex="0 0 auto"))
        self._fit_image()
        view = (W.Box([self.image], layout=W.Layout(overflow="auto hidden", width="100%"))
                if scroll else self.image)
        self.error = W.HTML()
        for control in self.controls.values():
            control.observe(self.request, names="value")
        super().__init__(list(rows) + [self.error, view], **kwargs)
        self._first_error = None
        if self.background:
            # the worker computes, draws and encodes every later picture: it makes the first
            # one too, while the explorer is built, so that whatever a thread does only the
            # first time (fonts loaded per thread, glyphs rendered, memory for the arrays,
            # code paths run once) is paid by the cell, not by the first key press; then it
            # draws what comes next, if there is a prefetch
            self._start_worker()
            if not self._warmed.wait(timeout=120.0):
                raise TimeoutError("explorer: the first picture took over 120 s")
            if self._first_error is not None:
                raise self._first_error
        else:
            self._run(self._wanted, raise_errors=True)  # the first picture, synchronously

    # -- requests ------------------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self):
        """Change several controls at once: one update at the end instead of one each."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        self.request()

    def request(self, *_):
        """An update is wanted (a control changed)."""
        if self._held:
            return
        with self._cond:
            self._wanted += 1
            ticket = self._wanted
            if self.background:
                self._start_worker()
                self._cond.notify_all()
                return
        self._run(ticket, raise_errors=True)

    def _start_worker(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._worker, daemon=True,
                                            name="mlbook-explorer")
            self._thread.start()

    def wait(self, timeout=30.0):
        """Block until every request made so far has been served (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._done < self._wanted:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("explorer update still running")
                self._cond.wait(left)

    def _warm_up(self):
        """In the worker thread, before any request: compute, draw and encode the first
        picture (the state the controls show; nothing is cached by state), exactly as a
        later update does.

        Matplotlib keeps its fonts per thread (FreeType objects are not thread-safe), so the
        worker's first draw would load every font and render every glyph afresh, and its
        first computation would fetch fresh memory for its arrays: 50-300 ms that the
        student's first key press would wait for. Making the first picture here moves that
        cost into the building of the explorer (the cell's run), as does a garbage collection.
        An error is raised by the constructor (``_first_error``).
        """
        try:
            self._run(self._wanted, raise_errors=True)
            # a notebook that ran many cells holds many objects; collect the cyclic garbage
            # now, not in a full collection triggered by the first redraw's allocations
            gc.collect()
        except Exception as exc:  # noqa: BLE001 - re-raised in the constructor's thread
            self._first_error = exc
        finally:
            self._warmed.set()

    def _worker(self):
        self._warm_up()
        while True:
            with self._cond:
                if self._done >= self._wanted and self._prefetch is not None:
                    self._cond.release()
                    try:
                        self._fill_cache()
                    finally:
                        self._cond.acquire()
                while self._done >= self._wanted:
                    self._cond.wait()
                ticket = self._wanted               # the newest request: older ones collapse
            self._run(ticket)

    def _fill_cache(self):
        """Draw the prefetch states not cached yet, stopping as soon as a request waits."""
        for data in self._prefetch():
            if self._done < self._wanted:
                return
            k = self._key(data)
            if k not in self.cache:
                self._show(data)
                self.cache[k] = figure_png(self.live.render(), redraw=False)

    # -- one update ----------------------------------------------------------------------
    def _run(self, ticket, raise_errors=False):
        t0 = time.perf_counter()
        timing = {"compute": 0.0, "draw": 0.0, "encode": 0.0, "frames": 0,
                  "started": time.time()}    # wall clock: compare with the browser's events
        last, cost = [None], [0.0]

        def frame(partial):
            """Show intermediate data now and then (first after ``first_frame_after`` s, then
            every ``frame_interval`` s); ``partial`` may be a function making the data, called
            only when a frame is due. Raises Superseded when a newer request waits."""
            if self._wanted != ticket:
                raise Superseded
            now = time.perf_counter()
            # frames take at most a third of the time: wait twice the last frame's cost
            due = (now - t0 >= self.first_frame_after if last[0] is None
                   else now - last[0] >= max(self.frame_interval, 2 * cost[0]))
            if due:
                self._display(partial() if callable(partial) else partial, timing)
                last[0] = time.perf_counter()
                cost[0] = last[0] - now

        try:
            with blas_threads(1):       # small matrices: a second BLAS thread only waits (and
                data = self._compute(frame)    # spins against other kernels: mlbook.threads)
            timing["compute"] = 1000 * (time.perf_counter() - t0) - timing["draw"] - timing["encode"]
            self._display(data, timing)
            self.error.value = ""
        except Superseded:
            pass
        except Exception as exc:  # noqa: BLE001 - shown to the student, not swallowed
            self.error.value = ("<pre style='color:#b91c1c;white-space:pre-wrap'>"
                                + html.escape("".join(traceback.format_exception_only(
                                    type(exc), exc)))
                                + "</pre>")
            if raise_errors:
                raise
        finally:
            with self._cond:
                self._done = max(self._done, ticket)
                self._cond.notify_all()
        timing["total"] = 1000 * (time.perf_counter() - t0)
        self.timings.append(timing)
        del self.timings[:-50]

    def _display(self, data, timing):
        t0 = time.perf_counter()
        k = None if self._key is None else self._key(data)
        png = self.cache.get(k) if k is not None else None
        if png is None:
            self._show(data)
            self.live.render()
        t1 = time.perf_counter()
        if png is None:
            png = figure_png(self.live.figure, redraw=False)
            if k is not None:
                self.cache[k] = png
        t2 = time.perf_counter()
        timing["draw"] += 1000 * (t1 - t0)
        timing["encode"] += 1000 * (t2 - t1)
        timing["frames"] += 1
        self.data, self.png = data, png
        self._fit_image()
        self.image.value = png
        timing.setdefault("first_sent", time.time())
        self.updates += 1

    def _fit_image(self):
        """The image box has the figure's size in pixels: the page does not jump."""
        width, height = (int(round(v * self.live.figure.dpi))
                         for v in self.live.figure.get_size_inches())
        if self.image.layout.width != f"{width}px" or self.image.layout.height != f"{height}px":
            self.image.layout.width, self.image.layout.height = f"{width}px", f"{height}px"

    # -- a picture wherever the notebook is read ------------------------------------------
    def summary(self):
        """One line of text describing the state shown."""
        if self._text is not None and self.data is not None:
            return self._text(self.data)
        return type(self).__name__

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.png:
            bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
            bundle["text/plain"] = self.summary()
        return bundle
