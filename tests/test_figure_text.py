"""Text in the course's figures is at least MIN_TEXT_PX as displayed in JupyterLab at a 1400 px
window (issue 26), checked without a browser, from what is committed:

* every saved figure in a course notebook is at most MAX_FIGURE_PX wide, so JupyterLab, which
  shrinks an image to its output width (PAGE_PX), leaves the course's smallest text (SMALL
  points at DPI) at MIN_TEXT_PX or more;
* no code in the notebooks or in mlbook's plots and explorers asks for a font smaller than
  SMALL (a number, or a relative size such as 'x-small').

Together: smallest text as displayed >= SMALL px x PAGE_PX / width >= MIN_TEXT_PX. The browser
test (tests/ui/test_course_in_browser.py) measures the same on the page, and checks that the
page really offers PAGE_PX.
"""
import ast
import json
import pathlib

import pytest

from mlbook.plots.style import DPI, MAX_FIGURE_PX, MIN_TEXT_PX, PAGE_PX, SMALL, text_px_as_displayed

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LIBRARY = sorted((ROOT / "mlbook" / "plots").glob("*.py")) + sorted(
    (ROOT / "mlbook" / "widgets").glob("*.py"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# matplotlib's relative sizes at the course's font.size of 10 pt: below SMALL
TOO_SMALL_NAMES = {"xx-small", "x-small", "small", "smaller"}
FONT_KEYWORDS = {"fontsize", "labelsize", "titlesize", "size"}
FONT_CALLS = {"set_fontsize", "set_size"}


def saved_figures(path):
    """[(cell number from 1, PNG width in px)] of a notebook's saved images (a widget output's
    PNG fallback is not shown in JupyterLab, the widget is)."""
    import base64
    import struct
    found = []
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for i, cell in enumerate(cells, 1):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data and WIDGET_MIME not in data:
                png = base64.b64decode("".join(data["image/png"]))
                assert png[:8] == b"\x89PNG\r\n\x1a\n", (path.name, i)
                found.append((i, struct.unpack(">I", png[16:20])[0]))
    return found


def _too_small(node):
    """The font size ``node`` asks for, if it is a literal smaller than SMALL, else None."""
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < SMALL:
            return v
        if isinstance(v, str) and v in TOO_SMALL_NAMES:
            return v
    return None


def small_fonts(source):
    """[(line, size)] of literal font sizes below SMALL in Python ``source``: ``fontsize=7``,
    ``labelsize='small'``, ``prop={'size': 8}``, ``text.set_fontsize(6)``. A bare ``size=``
    counts only in a call that draws text (``text``, ``annotate``, ``legend``, ...)."""
    src = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                    for line in source.splitlines())
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        texty = name in {"text", "annotate", "legend", "set_title", "suptitle", "title",
                         "set_xlabel", "set_ylabel", "xlabel", "ylabel", "tick_params",
                         "figtext", "table", "clabel", "colorbar", "set_label"}
        for kw in node.keywords:
            if kw.arg in FONT_KEYWORDS and (kw.arg != "size" or texty):
                v = _too_small(kw.value)
                if v is not None:
                    found.append((node.lineno, v))
            if kw.arg == "prop" and isinstance(kw.value, ast.Dict):
                for k, v in zip(kw.value.keys, kw.value.values):
                    if isinstance(k, ast.Constant) and k.value == "size" and _too_small(v):
                        found.append((node.lineno, _too_small(v)))
        if name in FONT_CALLS and node.args and _too_small(node.args[0]) is not None:
            found.append((node.lineno, _too_small(node.args[0])))
    return found


def _code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for i, c in enumerate(cells, 1) if c["cell_type"] == "code"]


def test_the_bound_is_what_the_style_says():
    assert SMALL * DPI / 72 >= MIN_TEXT_PX                    # at full size
    assert text_px_as_displayed(MAX_FIGURE_PX) >= MIN_TEXT_PX
    assert text_px_as_displayed(MAX_FIGURE_PX + 1) < MIN_TEXT_PX
    assert text_px_as_displayed(PAGE_PX) == SMALL * DPI / 72  # not shrunk


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_saved_figures_keep_their_text_legible_on_the_page(path):
    shrunk = [(i, w, round(text_px_as_displayed(w), 1)) for i, w in saved_figures(path)
              if text_px_as_displayed(w) < MIN_TEXT_PX]
    assert not shrunk, (
        f"{path.name}: figures JupyterLab shrinks to {PAGE_PX} px, their {SMALL} pt text to "
        f"under {MIN_TEXT_PX} px (cell, PNG width, text px as displayed); keep figures at "
        f"most {MAX_FIGURE_PX} px ({MAX_FIGURE_PX / DPI:.1f} in at {DPI} dpi) wide: {shrunk}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_notebook_code_asks_for_no_font_below_small(path):
    bad = [(i, line, size) for i, src in _code_cells(path) for line, size in small_fonts(src)]
    assert not bad, (f"{path.name}: font sizes below SMALL = {SMALL} pt (cell, line, size); "
                     f"use mlbook.plots.style.SMALL or larger: {bad}")


def test_plots_and_explorers_ask_for_no_font_below_small():
    bad = [(p.relative_to(ROOT).as_posix(), line, size) for p in LIBRARY
           for line, size in small_fonts(p.read_text(encoding="utf-8"))]
    assert not bad, f"font sizes below SMALL = {SMALL} pt (file, line, size): {bad}"


def test_the_detectors_find_what_they_should():
    src = ("ax.legend(fontsize=7)\nax.text(0, 0, 's', size='x-small')\n"
           "t.set_fontsize(6)\nax.legend(prop={'size': 8})\nax.tick_params(labelsize='small')\n"
           "rng.normal(size=3)\nax.legend(fontsize=9)\nax.set_title('t', fontsize=SMALL)\n"
           "%matplotlib inline\n")
    assert small_fonts(src) == [(1, 7), (2, "x-small"), (3, 6), (4, 8), (5, "small")]
    wide = int(MAX_FIGURE_PX * 1.2)
    assert text_px_as_displayed(wide) < MIN_TEXT_PX <= text_px_as_displayed(MAX_FIGURE_PX)
