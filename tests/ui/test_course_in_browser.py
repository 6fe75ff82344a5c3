"""The course notebooks in JupyterLab in headless Chromium: every notebook that displays a
widget runs, its widgets render as DOM elements, and moving its main slider redraws the plot;
every link in the start-here notebook leads to a notebook that exists and opens."""
import pathlib
import posixpath
import re
import statistics
import time
import urllib.parse

import pytest

import labui
from labui import NOTEBOOKS
from mlbook.plots.style import DPI, MIN_TEXT_PX, PAGE_PX, SMALL

SMALL_PX = SMALL * DPI / 72     # the smallest text of a course figure, in its own pixels

pytestmark = pytest.mark.ui

COURSE = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WIDGET_NOTEBOOKS = [p.name for p in COURSE if labui.displays_widget(p)]
# notebooks without an explorer: their saved figures are measured without running them
STATIC_NOTEBOOKS = [p.name for p in COURSE
                    if p.name not in WIDGET_NOTEBOOKS and labui.saved_images(p)]


def check_text_as_displayed(name, page):
    """Every figure's smallest text (the course's SMALL font at its DPI), shrunk or not by the
    page, is at least MIN_TEXT_PX at this window width (1400 px); and the page offers at least
    the PAGE_PX that tests/test_figure_text.py assumes when it checks the saved figures."""
    shown = labui.smallest_text_as_displayed(page, SMALL_PX)
    assert shown, f"{name}: no plot image in the outputs"
    print(f"{name}: {len(shown)} images; smallest text as displayed "
          f"{min(px for px, _ in shown):.1f} px (course minimum {MIN_TEXT_PX} px); output "
          f"width {min(img['page'] for _, img in shown):.0f} px")
    small = [(round(px, 1), img) for px, img in shown if px < MIN_TEXT_PX]
    assert not small, (
        f"{name}: figures whose smallest text is displayed under {MIN_TEXT_PX} px at a 1400 px "
        f"window (px, image; cell = the cell's index in the notebook; a static figure's fix "
        f"is its figsize or font size, an explorer's is in mlbook.widgets): {small}")
    narrow = [img for _, img in shown if not img["widget"] and img["page"] < PAGE_PX]
    assert not narrow, (f"{name}: the output area is narrower than PAGE_PX = {PAGE_PX} px "
                        f"(mlbook.plots.style), which the offline check assumes: {narrow}")
START_HERE = NOTEBOOKS / "00_start_here.ipynb"
# the main slider: the learning rate in the learning-rate notebook, else the first slider
MAIN_SLIDER = {"06_learning_rate_optimizers.ipynb": r"learning|\blr\b|η|eta"}
# per explorer: latency of its main control (written by the widget test, read by people)
LATENCY_LOG = pathlib.Path(__file__).resolve().parent / "screenshots" / "latency.txt"


@pytest.mark.parametrize("name", WIDGET_NOTEBOOKS)
def test_widgets_render_and_slider_redraws_the_plot(name, lab_page, lab_server, screenshot):
    t0 = time.monotonic()
    labui.open_notebook(lab_page, lab_server, name)
    t_open = time.monotonic()
    labui.run_all_cells(lab_page, lab_server)
    t_run = time.monotonic()
    cells = labui.assert_widgets_rendered(lab_page)
    # text as displayed at this window width (1400 px): every figure's smallest text, the
    # course's SMALL font at its 80 dpi, shrunk or not by the page
    lab_page.wait_for_timeout(500)
    check_text_as_displayed(name, lab_page)
    # every explorer, before anything else moved it: the first press after it appeared (the
    # one that forms a student's impression), then more presses; input event -> changed plot
    # on screen; and a fast drag leaves no backlog
    for cell in cells:
        explorer = labui.explorer_name(cell)
        if explorer is None:
            continue
        moves = labui.measure_latency(lab_page, cell, explorer, repeat=3)
        touch = moves[0][0]
        first = statistics.median(m[0] for m in moves)
        settled = statistics.median(m[1] for m in moves)
        drag = labui.rapid_moves(lab_page, cell, explorer, presses=10)
        line = (f"{explorer}: first press {touch:.0f} ms to the changed plot; median "
                f"{first:.0f} ms to the first changed plot, {settled:.0f} ms to the "
                f"last (target {labui.TARGET_MS[explorer]} ms for both; 3 moves); fast drag "
                f"of {drag['presses']} presses: {drag['frames']} images, "
                f"{labui.drag_text(drag)}")
        print(line)
        LATENCY_LOG.parent.mkdir(exist_ok=True)
        with open(LATENCY_LOG, "a", encoding="utf-8") as log:
            log.write(line + "\n")
        # the last value wins: after a fast drag the plot settles about as fast as after one
        # move, not after one redraw per press (a backlog of 10 would take 10 x as long)
        assert drag["after_last_ms"] < 2 * settled + 3000, (explorer, drag, settled)
    main = labui.main_widget_cell(cells)
    what, before, after = labui.move_main_control_and_check_plot(lab_page, main,
                                                                 prefer=MAIN_SLIDER.get(name))
    if name in MAIN_SLIDER:
        assert re.search(MAIN_SLIDER[name], what, re.I), f"moved {what}, not the main slider"
    labui.wait_kernel_idle(lab_page, lab_server)
    lab_page.wait_for_timeout(300)
    screenshot(main.locator(".jp-Cell-outputWrapper"), pathlib.Path(name).stem)
    print(f"{name}: {len(cells)} widget cell(s); {what} {before} -> {after} redrew "
          f"the plot; open {t_open - t0:.1f} s, run all {t_run - t_open:.1f} s, "
          f"total {time.monotonic() - t0:.1f} s")


@pytest.mark.parametrize("name", STATIC_NOTEBOOKS)
def test_saved_figures_text_as_displayed(name, lab_page, lab_server):
    """A notebook without an explorer, opened as a student first sees it: its saved figures."""
    labui.open_notebook(lab_page, lab_server, name)
    labui.wait_outputs_rendered(lab_page, len(labui.saved_images(NOTEBOOKS / name)))
    check_text_as_displayed(name, lab_page)


def _resolve(target):
    path = posixpath.normpath(posixpath.join(".", target.replace("\\", "/")))
    assert not path.startswith(".."), f"link {target!r} leaves the notebooks folder"
    return path


def _href_target(href):
    """Notebook path of a rendered link: JupyterLab turns ``03_x.ipynb`` into
    ``http://host/files/03_x.ipynb?_xsrf=...``; relative hrefs stay relative."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(href).path)
    for prefix in ("/files/", "/lab/tree/", "/tree/"):
        if prefix in path:
            path = path.split(prefix, 1)[1]
            break
    return _resolve(path)


@pytest.mark.skipif(not START_HERE.exists(), reason="notebooks/00_start_here.ipynb not written yet")
def test_start_here_links_lead_to_notebooks(lab_page, lab_server):
    links = labui.notebook_links(START_HERE)
    assert links, "00_start_here.ipynb links to no notebook"
    targets = sorted({_resolve(t) for t in links})
    missing = [t for t in targets if not (lab_server.root / t).is_file()]
    assert not missing, f"00_start_here.ipynb links to notebooks that do not exist: {missing}"
    for t in targets:   # the server serves each of them
        model = lab_server.api("GET", "/api/contents/" + urllib.parse.quote(t) + "?content=0")
        assert model["type"] == "notebook", (t, model["type"])

    # in the browser: the rendered links point at those notebooks, and clicking one opens it
    labui.open_notebook(lab_page, lab_server, START_HERE.name)
    anchors = lab_page.locator(f"{labui.NOTEBOOK} .jp-RenderedMarkdown a[href*='.ipynb']")
    hrefs = anchors.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    rendered = sorted({_href_target(h) for h in hrefs})
    assert rendered == targets, "the rendered links differ from the notebook's markdown links"
    # click the first link to another notebook: JupyterLab opens it in a new tab
    i = next(i for i, h in enumerate(hrefs) if _href_target(h) != START_HERE.name)
    name = _href_target(hrefs[i])
    anchors.nth(i).scroll_into_view_if_needed()
    anchors.nth(i).click()
    tab = lab_page.locator(".lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel",
                           has_text=posixpath.basename(name))
    tab.first.wait_for(timeout=30_000)
    lab_page.locator(f"{labui.NOTEBOOK} .jp-Cell").first.wait_for(timeout=30_000)
