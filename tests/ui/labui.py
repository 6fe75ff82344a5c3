"""Drive the course in a real browser: a throwaway JupyterLab server and helpers for
Playwright pages (open a notebook, run it, check its widgets, move a slider).

Used by ``tests/ui``. Nothing here downloads a browser: Playwright drives Debian's
``/usr/bin/chromium`` through ``executable_path``.
"""
from __future__ import annotations

import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))   # tests/

import procstop  # noqa: E402  (tests/procstop.py: the stop loop shared with tests/hub/hubsim.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
DEMO = "_ui_demo_widget.ipynb"     # generated next to the copies, see copy_notebooks
CHROMIUM = pathlib.Path(os.environ.get("MLBOOK_CHROMIUM", "/usr/bin/chromium"))
# Headless Chromium as root, on a machine without internet: no sandbox (root), no GPU, and
# nothing that phones home (QUIC, background networking, component updates, sync).
# Playwright's launch() adds --headless and a fresh temporary --user-data-dir itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
NOT_RENDERED = "widgets did not render"


class WidgetsNotRendered(AssertionError):
    """The notebook ran but its widget views are not live DOM widgets."""


def ui_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the Python package 'playwright' is not installed ({exc}); pip install playwright"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM}; install it with: apt-get install chromium"
    return None


# --------------------------------------------------------------------------------------------
# Notebooks on disk
# --------------------------------------------------------------------------------------------

def _read_nb(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


IGNORE_TAG = "nbval-ignore-output"     # nbval's cell tag for outputs that vary (widgets, timings)


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def displays_widget(path) -> bool:
    """True if a committed notebook shows a widget: a code cell tagged ``nbval-ignore-output``
    whose saved outputs hold a widget view."""
    for cell in _read_nb(path).get("cells", []):
        if (cell.get("cell_type") != "code"
                or IGNORE_TAG not in cell.get("metadata", {}).get("tags", [])):
            continue
        if any(WIDGET_MIME in out.get("data", {}) for out in cell.get("outputs", [])):
            return True
    return False


def saved_images(path) -> list[tuple[int, int]]:
    """[(cell index, PNG width in px)] of the plot images a committed notebook's saved outputs
    show as images (a widget's output shows the widget, not its PNG fallback)."""
    import base64
    import struct
    found = []
    for i, cell in enumerate(_read_nb(path).get("cells", [])):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data and WIDGET_MIME not in data:
                png = base64.b64decode("".join(data["image/png"]))
                found.append((i, struct.unpack(">I", png[16:20])[0]))
    return found


_MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def notebook_links(path) -> list[str]:
    """Targets of the markdown links in a notebook that point to another notebook
    (``[text](03_x.ipynb)`` or ``(03_x.ipynb#section)``), without the ``#anchor``."""
    links = []
    for cell in _read_nb(path).get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        text = _src(cell)
        targets = _MD_LINK.findall(text) + re.findall(r"href=[\"']([^\"']+)[\"']", text)
        for target in targets:
            target = target.split("#", 1)[0].split("?", 1)[0]
            if target.endswith(".ipynb") and "://" not in target:
                links.append(urllib.request.url2pathname(target))
    return links


def make_demo_notebook(path, title="demo") -> pathlib.Path:
    """Write a tiny widget notebook (a FloatSlider redrawing a matplotlib line in a fixed-height
    Output, the mlbook.widgets pattern) so the machinery can be checked on its own."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    code = '''import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np

x = np.linspace(0.0, 2 * np.pi, 200)
out = W.Output(layout=W.Layout(height="320px"))
freq = W.FloatSlider(value=1.0, min=0.5, max=4.0, step=0.25, description="frequency")
phase = W.FloatSlider(value=0.0, min=0.0, max=3.0, step=0.5, description="phase")

def draw(*_):
    with out:
        out.clear_output(wait=True)
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.plot(x, np.sin(freq.value * x + phase.value))
        ax.set_title(f"sin({freq.value:.2f} x + {phase.value:.2f})")
        ax.set_xlabel("x"); ax.set_ylabel("y")
        plt.show()

freq.observe(draw, names="value")
phase.observe(draw, names="value")
draw()
W.VBox([W.HBox([freq, phase]), out])'''
    unwired = '''# a slider that is not wired to its plot: moving it must NOT count as redrawing
still = W.Output(layout=W.Layout(height="200px"))
with still:
    fig, ax = plt.subplots(figsize=(3, 2)); ax.plot([0, 1], [0, 1]); ax.set_title("static"); plt.show()
W.VBox([W.IntSlider(value=1, min=0, max=5, description="unwired"), still])'''
    nb = new_notebook(cells=[new_markdown_cell(f"# {title}"),
                             new_code_cell("print('ready')"),
                             new_code_cell(code, metadata={"tags": [IGNORE_TAG]}),
                             new_code_cell(unwired, metadata={"tags": [IGNORE_TAG]}),
                             new_code_cell("")])   # empty: never runs, must not be waited for
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = pathlib.Path(path)
    nbformat.write(nb, path)
    return path


def copy_notebooks(dest):
    """Copy the course notebooks (and any data beside them, not the student versions) to
    ``dest`` and add a small widget demo notebook, DEMO."""
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(NOTEBOOKS.iterdir()):
        if path.name.startswith(".") or path.name == "student":
            continue
        if path.is_dir():
            shutil.copytree(path, dest / path.name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(path, dest / path.name)
    make_demo_notebook(dest / DEMO, title="UI test: a slider redrawing a plot")
    return dest


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


class LabServer:
    """``jupyter lab`` from this Python, on a free loopback port with a random token, serving
    ``root``; its own Jupyter config/data/runtime dirs under ``home`` (extensions installed in
    ``sys.prefix`` are still found). ``disabled_extensions`` go into the isolated
    ``labconfig/page_config.json``, which is what ``jupyter labextension disable`` writes.

    Use as a context manager, or call ``start()`` and ``stop()``; ``stop()`` always leaves no
    process behind (server process group, then any kernel using this server's runtime dir).
    """

    def __init__(self, root, home, disabled_extensions=()):
        self.root = pathlib.Path(root)
        self.home = pathlib.Path(home)
        self.disabled_extensions = list(disabled_extensions)
        self.port = None
        self.token = secrets.token_hex(16)
        self.proc = None
        self._stopped = False
        self.log_path = self.home / "jupyter-lab.log"
        self.config_dir = self.home / "config"
        self.data_dir = self.home / "data"
        self.runtime_dir = self.home / "runtime"

    # -- set-up --------------------------------------------------------------------------
    def _write_config(self):
        for d in (self.config_dir, self.data_dir, self.runtime_dir):
            d.mkdir(parents=True, exist_ok=True)
        settings = self.config_dir / "lab" / "user-settings" / "@jupyterlab"
        # Render every cell (no virtual scrolling) so the DOM holds all cells and outputs.
        _write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings",
                    {"windowingMode": "none"})
        # No news / update checks (offline machine, and no toast over the notebook).
        _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        if self.disabled_extensions:
            _write_json(self.config_dir / "labconfig" / "page_config.json",
                        {"disabledExtensions": {n: True for n in self.disabled_extensions}})

    def _env(self):
        env = dict(os.environ)
        env.update(JUPYTER_CONFIG_DIR=str(self.config_dir), JUPYTER_DATA_DIR=str(self.data_dir),
                   JUPYTER_RUNTIME_DIR=str(self.runtime_dir), JUPYTER_PLATFORM_DIRS="1",
                   IPYTHONDIR=str(self.home / "ipython"), MPLBACKEND="module://matplotlib_inline.backend_inline",
                   PYTHONUNBUFFERED="1")
        # Keep the copy's kernels importing the same mlbook as this Python; drop config that
        # would point Jupyter elsewhere.
        for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH"):
            env.pop(var, None)
        return env

    def start(self, timeout=90):
        self._write_config()
        self.port = free_port()
        cmd = [sys.executable, "-m", "jupyterlab",
               "--no-browser", f"--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=",
               "--ServerApp.shutdown_no_activity_timeout=1800",
               "--MappingKernelManager.cull_idle_timeout=0",
               "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=self._env(), stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode} before "
                                   f"answering; log:\n{self.log_tail()}")
            try:
                if self.api("GET", "/api/status", timeout=2) is not None:
                    # the lab page itself (its handler loads the extension list) must answer too
                    with urllib.request.urlopen(self.url("/lab"), timeout=10) as r:
                        if r.status == 200:
                            return self
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"jupyter lab did not answer on port {self.port} within "
                                   f"{timeout} s; log:\n{self.log_tail()}")
            time.sleep(0.25)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- use -----------------------------------------------------------------------------
    def url(self, path="/lab"):
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}"

    def api(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode() or "null"
            return json.loads(text)

    def kernels(self):
        return self.api("GET", "/api/kernels")

    def notebook_kernels(self, name):
        """The kernels of the sessions open on notebook ``name`` (path relative to the root)."""
        return [s["kernel"] for s in self.api("GET", "/api/sessions")
                if s.get("path") == name and s.get("kernel")]

    def log_tail(self, n=40):
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    # -- tear-down -----------------------------------------------------------------------
    def _own_pids(self):
        """Processes started for this server: the server's group, and kernels (own
        sessions) whose command line names a connection file in this server's runtime dir."""
        pids = []
        marker = str(self.runtime_dir).encode()
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                pgid = os.getpgid(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
            if (self.proc is not None and pgid == self.proc.pid) or marker in cmdline:
                pids.append(int(entry.name))
        return pids

    def stop(self):
        if self.proc is None or self._stopped:
            return
        self._stopped = True
        try:
            if self.proc.poll() is None:
                try:   # clean shutdown: the server stops its kernels itself
                    self.api("POST", "/api/shutdown", timeout=5)
                except (OSError, urllib.error.URLError, ValueError):
                    pass
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    pass
            procstop.terminate_then_kill(self.proc, self._own_pids, grace=5, poll=0.1)
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._log.close()


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"   # the notebook in the current tab
WIDGET_SELECTOR = ".jp-OutputArea-output .jupyter-widgets"
SLIDER_SELECTOR = ".widget-slider, .widget-hslider"
NUMBER_SELECTOR = ".widget-text input[type=number], .widget-inline-hbox input[type=number]"
CONTROL_SELECTOR = f"{SLIDER_SELECTOR}, .widget-dropdown select, {NUMBER_SELECTOR}"
BUSY_PROMPT = re.compile(r"\[\*\]")


_OPEN = {}    # id(page) -> the notebook it has open


def open_notebook(page, server, name, timeout=60_000):
    """Open ``name`` (relative to the server root) in JupyterLab, in a reset workspace (no tabs
    restored from earlier pages), and wait for its kernel."""
    _OPEN[id(page)] = name          # wait_kernel_idle watches this notebook's own kernel
    page.goto(server.url(f"/lab/tree/{urllib.request.pathname2url(name)}?reset"),
              wait_until="load")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook .jp-Cell", timeout=timeout)
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError(f"JupyterLab shows a dialog on opening {name}: "
                             f"{dialog.first.inner_text()[:500]!r}")
    # kernel started and connected: the toolbar's kernel status says idle
    wait_kernel_idle(page, server, timeout=timeout)


def _click_menu(page, menu, item, timeout=10_000):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{menu}$")).click(timeout=timeout)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{item}$")).first.click(timeout=timeout)


def run_all_cells(page, server, timeout=120_000):
    """Run → Run All Cells in the menu bar, then wait until every code cell has run and the
    kernel is idle. Raises AssertionError naming the first cell that raised."""
    # focus the notebook: click its tab in the main area (the menu acts on the current one)
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").first.click()
    _click_menu(page, "Run", "Run All Cells")
    wait_kernel_idle(page, server, timeout=timeout, after_run=True)
    errors = page.locator(f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type="
                          "'application/vnd.jupyter.stderr'], "
                          f"{NOTEBOOK} .jp-RenderedText[data-mime-type="
                          "'application/vnd.jupyter.error']")
    tracebacks = [t for t in errors.all_inner_texts() if "Error" in t or "Traceback" in t]
    if tracebacks:
        raise AssertionError(f"a cell raised while running in JupyterLab:\n{tracebacks[0][:2000]}")


def _prompts(page):
    """Execution prompts ("[3]:", "[*]:", "[ ]:") of the non-empty code cells in the current
    notebook (JupyterLab never sends an empty cell to the kernel, so it keeps "[ ]:")."""
    return page.locator(f"{NOTEBOOK} .jp-CodeCell").evaluate_all("""cells => cells
        .filter(c => (c.querySelector('.jp-InputArea-editor') || c).textContent.trim() !== '')
        .map(c => (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '')""")


def wait_kernel_idle(page, server, timeout=120_000, after_run=False):
    """Wait until the kernel of the page's notebook is idle (every kernel on the server when
    no notebook was opened through :func:`open_notebook`; a stray kernel of an earlier page
    still starting or shutting down must not block this one) and (after a run) no cell shows
    ``[*]`` and every code cell has an execution count; the state must hold for half a
    second."""
    name = _OPEN.get(id(page))
    deadline = time.monotonic() + timeout / 1000
    stable_since = None
    while True:
        ok = False
        try:
            kernels = server.notebook_kernels(name) if name else server.kernels()
            ok = bool(kernels) and all(k.get("execution_state") == "idle" for k in kernels)
        except (OSError, urllib.error.URLError, ValueError):
            ok = False
        if ok:
            # JupyterLab's own kernel status (toolbar/status bar indicator) agrees
            states = page.locator(".jp-Notebook-ExecutionIndicator:visible").evaluate_all(
                "els => els.map(e => e.getAttribute('data-status'))")
            ok = all(s in ("idle", None) for s in states)
        if ok and after_run:
            prompts = _prompts(page)
            ok = bool(prompts) and all(re.search(r"\[\d+\]", p) for p in prompts)
        if ok:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 0.5:
                return
        else:
            stable_since = None
        if time.monotonic() > deadline:
            what = "all cells to run" if after_run else "the kernel to be idle"
            raise AssertionError(f"timed out after {timeout / 1000:.0f} s waiting for {what}; "
                                 f"prompts: {_prompts(page)}; notebook {name!r}; "
                                 f"kernels: {_safe(server.kernels)}; "
                                 f"sessions: {_safe(lambda: server.api('GET', '/api/sessions'))}")
        time.sleep(0.2)


def _safe(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - only used in an error message
        return repr(exc)


# a widget cell displays an explorer (tagged nbval-ignore-output, which the page does not show;
# a timing cell is tagged too, but shows text)
_EXPLORER_CALL = re.compile(r"\b(?:\w+_)?(?:explorer|stepper|editor|race)\(|\b[VH]Box\(")


def widget_cells(page):
    """Locators of the output areas of the widget cells: the cells calling an explorer
    (``lr_explorer(...)``, ``backprop_stepper(...)``, ...) or building a widget box."""
    cells = page.locator(f"{NOTEBOOK} .jp-CodeCell")
    found = []
    for i in range(cells.count()):
        cell = cells.nth(i)
        source = cell.locator(".jp-InputArea-editor").inner_text()
        if _EXPLORER_CALL.search(source):
            found.append(cell)
    return found


_TEXT_REPR = re.compile(r"\b(?:[A-Z]\w*(?:Slider|Box|Output|Button|Dropdown|Text|Widget|"
                       r"Tab|Accordion|Play|ToggleButtons|RadioButtons|Checkbox))\(\w+=")


def assert_widgets_rendered(page, timeout=20_000):
    """Every widget cell's output must be a live widget view (DOM elements, with at least one
    slider, dropdown or number box in the notebook), not "Loading widget...", an error, or a text repr such as
    ``FloatSlider(value=...)``. Raises WidgetsNotRendered ("widgets did not render: ...")
    otherwise; returns the widget cells."""
    cells = widget_cells(page)
    if not cells:
        raise WidgetsNotRendered(f"{NOT_RENDERED}: no cell calling an explorer in the page")
    deadline = time.monotonic() + timeout / 1000
    while True:
        problems = []
        for i, cell in enumerate(cells):
            text = " | ".join(t.strip() for t in
                              cell.locator(".jp-OutputArea-output").all_inner_texts())
            short = text[:240] + ("..." if len(text) > 240 else "")
            if cell.locator(WIDGET_SELECTOR).count() == 0:
                problems.append(f"widget cell {i + 1} shows no widget view, its output is "
                                f"{short!r}")
            elif re.search(r"Loading widget|Error displaying widget|model not found", text):
                problems.append(f"widget cell {i + 1} says {short!r}")
            elif _TEXT_REPR.search(text):
                problems.append(f"widget cell {i + 1} shows a text repr: {short!r}")
        if not problems and not any(c.locator(CONTROL_SELECTOR).count() for c in cells):
            problems.append("no slider, dropdown or number box element in any widget view")
        if not problems:
            return cells
        if time.monotonic() > deadline:
            raise WidgetsNotRendered(f"{NOT_RENDERED}: " + "; ".join(problems))
        time.sleep(0.25)


def main_widget_cell(cells):
    """The first widget cell with a slider, else the first with any control."""
    for selector in (SLIDER_SELECTOR, CONTROL_SELECTOR):
        for cell in cells:
            if cell.locator(selector).count():
                return cell
    raise AssertionError("no widget cell has a slider, dropdown or number box")


def main_slider(cell, prefer=None):
    """The slider to move: the one whose label matches ``prefer`` (a regex), else the first."""
    sliders = cell.locator(SLIDER_SELECTOR)
    if prefer:
        for i in range(sliders.count()):
            label = sliders.nth(i).locator(".widget-label").first
            if label.count() and re.search(prefer, label.inner_text(), re.I):
                return sliders.nth(i)
    return sliders.first


def image_sources(cell):
    """src of every plot image inside the widget view (the Output's matplotlib figures)."""
    return cell.locator(".jupyter-widgets img").evaluate_all("els => els.map(e => e.src)")


def slider_readout(slider):
    r = slider.locator(".widget-readout")
    return r.first.inner_text().strip() if r.count() else ""


def _move_slider(page, slider, presses):
    """Keyboard on the noUiSlider handle: ArrowRight, or ArrowLeft if it is at its maximum."""
    before = slider_readout(slider)
    handle = slider.locator(".noUi-handle").first
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        for _ in range(presses):
            page.keyboard.press(key)
            page.wait_for_timeout(100)
        if slider_readout(slider) != before:
            break
    return before, slider_readout(slider)


def _move_dropdown(page, select):
    """Pick the next option of a Dropdown (the first one if the last is selected)."""
    options = select.locator("option").evaluate_all("els => els.map(e => e.textContent)")
    before = select.evaluate("e => e.options[e.selectedIndex].textContent")
    after = options[(options.index(before) + 1) % len(options)]
    select.select_option(label=after)
    return before, select.evaluate("e => e.options[e.selectedIndex].textContent")


def _move_number(page, box):
    """Step a numeric text box up with the keyboard, then Tab away (commits the value)."""
    before = box.input_value()
    box.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    return before, box.input_value()


def move_main_control_and_check_plot(page, cell, prefer=None, presses=1, timeout=20_000):
    """Move the widget's main control like a student would, and wait until the plot image
    inside the widget changed. The main control is the slider whose label matches ``prefer``,
    else the first slider; a widget without sliders uses its first dropdown, else its first
    number box. Returns (description, value before, value after)."""
    before_imgs = image_sources(cell)
    assert before_imgs, "the widget shows no plot image before its control moves"
    if cell.locator(SLIDER_SELECTOR).count():
        control = main_slider(cell, prefer)
        label = control.locator(".widget-label").first.inner_text().strip()
        control.scroll_into_view_if_needed()
        before, after = _move_slider(page, control, presses)
        what = f"slider {label!r}"
    elif cell.locator(".widget-dropdown select").count():
        control = cell.locator(".widget-dropdown").first
        label = control.locator(".widget-label").first.inner_text().strip()
        before, after = _move_dropdown(page, control.locator("select"))
        what = f"dropdown {label!r}" if label else "dropdown"
    elif cell.locator(NUMBER_SELECTOR).count():
        before, after = _move_number(page, cell.locator(NUMBER_SELECTOR).first)
        what = "number box"
    else:
        raise AssertionError("the widget has no slider, dropdown or number box to move")
    assert after != before, f"{what} did not move with the keyboard (value {before!r})"
    deadline = time.monotonic() + timeout / 1000
    while True:
        now = image_sources(cell)
        if now and now != before_imgs:
            return what, before, after
        if time.monotonic() > deadline:
            raise AssertionError(f"moving {what} from {before} to {after} did not change the "
                                 f"plot within {timeout / 1000:.0f} s")
        page.wait_for_timeout(200)


# --------------------------------------------------------------------------------------------
# Latency: input event on an explorer's main control -> changed plot image on screen
# --------------------------------------------------------------------------------------------

# explorer (the function its cell calls) -> (kind of main control, label regex); a number box
# has no label: the centre box of the kernel editor's 3x3 grid is used (index 4)
MAIN_CONTROLS = {
    "lr_explorer": ("slider", r"learning rate"),
    "optimizer_race": ("slider", r"learning rate"),
    "classifier_explorer": ("slider", r"learning rate"),
    "activation_explorer": ("slider", r"^x$"),
    "backprop_stepper": ("slider", r"step"),
    "kernel_editor": ("number", 4),
    "dropout_explorer": ("slider", r"dropout"),
    "init_explorer": ("slider", r"^depth$"),
}
# targets of the browser benchmark (medians, ms)
TARGET_MS = {name: (100 if name == "lr_explorer" else 150) for name in MAIN_CONTROLS}

_ARM_JS = """(cell) => {
  if (cell.__lat && cell.__lat.obs) cell.__lat.obs.disconnect();
  const srcs = () => Array.from(cell.querySelectorAll('.jupyter-widgets img'))
                          .map(e => e.src).join('|');
  const lat = {inputs: [], frames: [], last: srcs()};
  const onInput = (e) => { if (cell.contains(e.target)) lat.inputs.push(e.timeStamp); };
  document.addEventListener('keydown', onInput, true);
  document.addEventListener('change', onInput, true);
  lat.obs = new MutationObserver(() => {
    const now = srcs();
    if (now === lat.last) return;
    lat.last = now;
    const t = performance.now();
    const imgs = Array.from(cell.querySelectorAll('.jupyter-widgets img'));
    // on screen = decoded, then the next frame painted
    Promise.all(imgs.map(i => i.decode().catch(() => null))).then(() =>
      requestAnimationFrame(() => lat.frames.push({changed: t, shown: performance.now()})));
  });
  lat.obs.observe(cell, {subtree: true, childList: true, attributes: true,
                         attributeFilter: ['src']});
  lat.remove = () => { lat.obs.disconnect();
    document.removeEventListener('keydown', onInput, true);
    document.removeEventListener('change', onInput, true); };
  cell.__lat = lat;
}"""


def explorer_name(cell):
    """The explorer function a widget cell calls (a key of MAIN_CONTROLS), or None."""
    source = cell.locator(".jp-InputArea-editor").inner_text()
    for name in MAIN_CONTROLS:
        if re.search(rf"\b{name}\(", source):
            return name
    return None


def main_control(cell, explorer):
    """(kind, locator) of the explorer's main control in ``cell``."""
    kind, which = MAIN_CONTROLS[explorer]
    if kind == "number":
        return kind, cell.locator(NUMBER_SELECTOR).nth(which)
    sliders = cell.locator(SLIDER_SELECTOR)
    for i in range(sliders.count()):
        label = sliders.nth(i).locator(".widget-label").first
        if label.count() and re.search(which, label.inner_text().strip(), re.I):
            return kind, sliders.nth(i)
    raise AssertionError(f"{explorer}: no slider labelled {which!r}")


FOCUS_SETTLE_MS = 200
"""After focusing a control that did not have the focus: wait two animation frames and this
long before the key press. Focusing a control in a cell that is not the active one makes
JupyterLab activate the cell, and the work that triggers (rendering the notebook's active
state, toolbars, panels) runs in the next frames; pressed at once, the first key press waited
for it (measured in a loaded run: key press -> message sent 58 ms instead of 2, changed
image -> painted 119 ms instead of 14-25). A student clicks the control, then presses."""


def _focus(page, element, settle_ms):
    """Focus ``element``; if it did not have the focus, let the page settle (FOCUS_SETTLE_MS)."""
    if element.evaluate("e => e === document.activeElement"):
        return
    element.focus()
    if settle_ms:
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                      "requestAnimationFrame(r)))")
        page.wait_for_timeout(settle_ms)


def _press(page, kind, control, forward, settle_ms=None):
    settle_ms = FOCUS_SETTLE_MS if settle_ms is None else settle_ms
    if kind == "number":
        _focus(page, control, settle_ms)
        page.keyboard.press("ArrowUp" if forward else "ArrowDown")
        page.keyboard.press("Tab")                      # commits the value
    else:
        _focus(page, control.locator(".noUi-handle").first, settle_ms)
        page.keyboard.press("ArrowRight" if forward else "ArrowLeft")


def _frames(cell):
    return cell.evaluate("c => ({inputs: c.__lat.inputs.slice(), frames: c.__lat.frames.slice()})")


def measure_latency(page, cell, explorer, repeat=7, settle_ms=600, timeout=20_000,
                    focus_settle_ms=None):
    """Move the explorer's main control ``repeat`` times (one key press each, alternately
    forward and back) and return, per move, ``(first, last)`` in ms: from the input event to
    the first changed plot image on screen, and to the last one (explorers that animate
    training show several frames; the move is over when no new image came for
    ``settle_ms``). The control is focused before the first press (``focus_settle_ms``,
    default FOCUS_SETTLE_MS: see there; 0 presses at once)."""
    kind, control = main_control(cell, explorer)
    control.scroll_into_view_if_needed()
    results = []
    for k in range(repeat):
        cell.evaluate(_ARM_JS)
        _press(page, kind, control, forward=(k % 2 == 0), settle_ms=focus_settle_ms)
        deadline = time.monotonic() + timeout / 1000
        quiet_since = None
        seen = 0
        while True:
            page.wait_for_timeout(50)
            got = _frames(cell)
            if len(got["frames"]) != seen:
                seen, quiet_since = len(got["frames"]), time.monotonic()
            if seen and time.monotonic() - quiet_since >= settle_ms / 1000:
                break
            if time.monotonic() > deadline:
                if seen:                  # still animating a long training: enough
                    break
                raise AssertionError(f"{explorer}: moving its {kind} did not change the plot "
                                     f"within {timeout / 1000:.0f} s")
        t_in = [t for t in got["inputs"] if t <= got["frames"][0]["changed"]]
        t0 = t_in[-1] if t_in else got["inputs"][0]
        results.append((got["frames"][0]["shown"] - t0, got["frames"][-1]["shown"] - t0))
    cell.evaluate("c => c.__lat.remove()")
    return results


def drag_text(drag):
    """How long after the last press of :func:`rapid_moves` the last image came, in words: a
    negative time means the last presses changed no picture (e.g. the control was at its end)."""
    after = drag["after_last_ms"]
    if after < 0:
        return (f"the last {-after:.0f} ms before the last press (the presses after it changed "
                f"no picture, e.g. the control was at its end)")
    return f"the last {after:.0f} ms after the last press"


def rapid_moves(page, cell, explorer, presses=12, gap_ms=20, settle_ms=3000, timeout=40_000):
    """Press the main control's key ``presses`` times, ``gap_ms`` apart (a student dragging
    fast). Returns dict: presses, frames (images shown), after_last_ms (last input event ->
    last image on screen)."""
    kind, control = main_control(cell, explorer)
    control.scroll_into_view_if_needed()
    cell.evaluate(_ARM_JS)
    for _ in range(presses):
        _press(page, kind, control, forward=True, settle_ms=0)     # a drag: no pause
        page.wait_for_timeout(gap_ms)
    deadline = time.monotonic() + timeout / 1000
    quiet_since, seen = time.monotonic(), -1
    while True:
        page.wait_for_timeout(50)
        got = _frames(cell)
        if len(got["frames"]) != seen:
            seen, quiet_since = len(got["frames"]), time.monotonic()
        if seen and time.monotonic() - quiet_since >= settle_ms / 1000:
            break
        if time.monotonic() > deadline:
            break
    cell.evaluate("c => c.__lat.remove()")
    return {"presses": presses, "frames": len(got["frames"]),
            "after_last_ms": got["frames"][-1]["shown"] - got["inputs"][-1]
            if got["frames"] else float("inf")}


# --------------------------------------------------------------------------------------------
# Text size as displayed: a figure's pixels shrunk to the page
# --------------------------------------------------------------------------------------------

_IMAGE_SCALES_JS = """(root) => Array.from(root.querySelectorAll(
    '.jp-OutputArea-output img')).filter(i => i.naturalWidth > 0 && i.offsetParent !== null)
  .map(i => {
    const out = i.closest('.jp-OutputArea-output'), cs = getComputedStyle(out);
    const cell = i.closest('.jp-Cell'), cells = Array.from(root.querySelectorAll('.jp-Cell'));
    return {natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
            page: out.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
            cell: cells.indexOf(cell),
            widget: !!i.closest('.jupyter-widgets'), alt: (i.alt || '').slice(0, 40)};
  })"""


def image_scales(page):
    """Every plot image in the notebook's outputs: natural width, displayed width (CSS px at
    the page's zoom), the width its output area offers (``page``), its cell's index in the
    notebook, whether it is inside a widget (an explorer)."""
    return page.locator(NOTEBOOK).first.evaluate(_IMAGE_SCALES_JS)


def wait_outputs_rendered(page, n_images, timeout=30_000):
    """Wait until the current notebook shows ``n_images`` loaded output images (a notebook's
    saved outputs render without running it; JupyterLab may render cells lazily, so every
    cell is scrolled into view once)."""
    cells = page.locator(f"{NOTEBOOK} .jp-Cell")
    deadline = time.monotonic() + timeout / 1000
    for k in range(cells.count()):
        cells.nth(k).scroll_into_view_if_needed()
    while len(image_scales(page)) < n_images:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(image_scales(page))} of {n_images} output images "
                                 f"rendered after {timeout / 1000:.0f} s")
        page.wait_for_timeout(200)


def smallest_text_as_displayed(page, smallest_text_px):
    """[(displayed px of the figure's smallest text, image record)] for every plot image:
    ``smallest_text_px`` (the figure's smallest text in its own pixels, e.g. the course's
    SMALL font at 80 dpi) times the image's displayed / natural width."""
    return [(smallest_text_px * img["shown"] / img["natural"], img) for img in image_scales(page)]
