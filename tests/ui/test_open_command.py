"""README's "open the course" command, run literally (as root when the tests run as root, as in
a container) in a fresh clone-like copy of the repository with a fresh home: it installs, starts
JupyterLab at the repository root, opens the start notebook, and no news pop-up covers it.

Slow (it builds a virtual environment and installs JupyterLab): marked ``ui`` and ``slow``.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

import labui

pytestmark = [pytest.mark.ui, pytest.mark.slow]

ROOT = labui.ROOT


def readme_open_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- run-command -->\s*```bash\n(.+?)\n```", readme, re.S)
    assert m, "README.md has no run-command block"
    return m.group(1).strip()


def clone_like_copy(dest):
    """The files git would check out (tracked and new, not ignored), nothing else."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def test_readme_open_command_serves_the_start_notebook(ui_available, tmp_path, browser,
                                                        screenshot):
    repo = clone_like_copy(tmp_path / "mlbook")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "MPL"))}
    opened = tmp_path / "opened.txt"                     # what JupyterLab asks a browser to open
    browser_cmd = tmp_path / "browser.sh"
    browser_cmd.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser_cmd.chmod(0o755)
    env.update(HOME=str(home), BROWSER=str(browser_cmd))
    command = readme_open_command()
    log_path = tmp_path / "open-command.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["bash", "-c", command], cwd=repo, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        url = _wait_for_url(proc, log_path, timeout=900)
        # the URL it prints (no local browser: the one a student copies) opens the start notebook
        assert "/lab/tree/notebooks/00_start_here.ipynb?token=" in url, url
        base, token = url.split("/lab", 1)[0], re.search(r"token=(\w+)", url).group(1)

        def api(path):
            with urllib.request.urlopen(f"{base}{path}?token={token}", timeout=20) as r:
                import json
                return json.loads(r.read())

        # served from the repository root: mlbook/ and README.md can be browsed
        names = {item["name"] for item in api("/api/contents/")["content"]}
        assert {"README.md", "mlbook", "notebooks"} <= names, names
        assert api("/api/contents/notebooks/00_start_here.ipynb")["type"] == "notebook"
        # the start notebook is what it opens in the browser
        url = _opened_url(opened, token)
        assert "/lab/tree/notebooks/00_start_here.ipynb" in url, url
        # the news pop-up is switched off by the settings the command points at
        notif = api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
        fetch_news = (notif["settings"].get("fetchNews")
                      or notif["schema"]["properties"]["fetchNews"]["default"])
        assert fetch_news == "false", notif["schema"]["properties"]["fetchNews"]

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(url, wait_until="load")
            page.wait_for_selector(f"{labui.NOTEBOOK} .jp-Notebook .jp-Cell", timeout=120_000)
            tab = page.locator(".lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel",
                               has_text="00_start_here.ipynb")
            assert tab.count() >= 1, "the start notebook is not the open tab"
            page.wait_for_timeout(4000)               # the news question would come by now
            toasts = page.locator(".Toastify__toast").all_inner_texts()
            assert not [t for t in toasts if "news" in t.lower()], toasts
            screenshot(page, "_open_command")
        finally:
            context.close()
    finally:
        _stop(proc)
    print(f"README open command ran as uid {os.geteuid()}: {url.split('?')[0]}")


def _opened_url(opened, token, timeout=60):
    """The URL JupyterLab gave the browser (it may be a local redirect page: read its target)."""
    deadline = time.monotonic() + timeout
    while not (opened.exists() and opened.read_text().strip()):
        assert time.monotonic() < deadline, "JupyterLab never asked a browser to open anything"
        time.sleep(0.5)
    target = opened.read_text().split()[0]
    if target.startswith("file://"):
        page = pathlib.Path(urllib.request.url2pathname(target[len("file://"):])).read_text()
        target = re.search(r'href="([^"]+)"', page).group(1)
    if "token=" not in target:
        target += ("&" if "?" in target else "?") + f"token={token}"
    return target


def _wait_for_url(proc, log_path, timeout):
    deadline = time.monotonic() + timeout
    pattern = re.compile(r"(http://127\.0\.0\.1:\d+/lab\S*\?token=\w+)")
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        m = pattern.search(text)
        if m:
            return m.group(1)
        if proc.poll() is not None:
            raise AssertionError(f"the README open command exited with {proc.returncode}:\n"
                                 + "\n".join(text.splitlines()[-30:]))
        time.sleep(1)
    raise AssertionError("JupyterLab did not start within the time limit:\n"
                         + "\n".join(log_path.read_text().splitlines()[-30:]))


def _stop(proc):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass

