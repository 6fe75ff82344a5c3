"""The production path of deploy/, for real, as far as the machine allows (issue 25).

tests/hub/test_hub_class.py runs the class in test mode (no Unix accounts, no PAM). Here:

* the course environment built by deploy/user-env/build.sh (MLBOOK_USER_ENV names its prefix;
  skipped without it): exactly the locked versions, mlbook as a package, no solution notebooks,
  nbgrader's instructor tools off;
* the emoji font: fontconfig resolves "Noto Color Emoji", and headless Chromium draws ✅❌⏳💡
  in colour with the page's default font, i.e. by fallback; where fontconfig knows only the
  text font, the same page shows black-and-white boxes (the control: the check can fail);
* the production configuration refuses SystemdSpawner where systemd is not PID 1, with a message
  that says what to do;
* the hub from deploy/jupyterhub_config.py (tests/hub/jupyterhub_config_production.py changes
  only two internal ports) with PAM: an instructor made with useradd logs in with their Unix
  password, their token (the runbook's `jupyterhub token`) adds the roster through the REST API
  and the hub creates the students' Unix accounts; the students log in with their passwords
  (a wrong one is refused), and their servers and kernels run as their own Unix users in their
  homes, from the course environment, with the thread limit; a check and an explorer run there.
  SystemdSpawner where systemd is PID 1, else MLBOOK_SPAWNER=local (limits not enforced).

Needs root (useradd): skipped otherwise, also under MLBOOK_REQUIRE_HUB=1. Every account the test
makes is removed at the end, and every process it started is stopped.
"""
import os
import pathlib
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys

import pytest

import hubsim

sys.path.insert(0, str(hubsim.DEPLOY))

import roster  # noqa: E402

pytestmark = pytest.mark.slow

PROD_CONFIG = pathlib.Path(__file__).resolve().parent / "jupyterhub_config_production.py"
EMOJI = "✅❌⏳💡"
SYSTEMD_PID1 = os.path.isdir("/run/systemd/system")


def _built_env():
    """The prefix deploy/user-env/build.sh made (MLBOOK_USER_ENV), or skip."""
    prefix = os.environ.get("MLBOOK_USER_ENV")
    if not prefix:
        pytest.skip("MLBOOK_USER_ENV is not set (build the course environment with "
                    "deploy/user-env/build.sh PREFIX, then MLBOOK_USER_ENV=PREFIX)")
    prefix = pathlib.Path(prefix)
    assert (prefix / "bin" / "jupyterhub-singleuser").is_file(), \
        f"MLBOOK_USER_ENV={prefix} is not a course environment built by deploy/user-env/build.sh"
    return prefix


def _world_traversable(path):
    path = pathlib.Path(path).resolve()
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents])


# --------------------------------------------------------------------------------------------
# the course environment (build.sh) and the emoji font

def test_user_env_is_the_lock_without_solution_notebooks():
    prefix = _built_env()
    py = prefix / "bin" / "python"
    freeze = subprocess.run([py, "-m", "pip", "freeze", "--all"], capture_output=True,
                            text=True, check=True).stdout
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731
    have = {norm(n): v for n, v in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)$", freeze, re.M)}
    lock = {norm(n): v for n, v in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)",
                                              (hubsim.ROOT / "binder" / "requirements.txt").read_text(), re.M)}
    differ = {n: (v, have.get(n)) for n, v in lock.items()
              if have.get(n) != v and n not in ("pip", "setuptools", "wheel")}
    assert not differ, f"locked version != installed: {differ}"
    # mlbook is installed as a package (not an editable link to a checkout)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([py, "-c", "import mlbook; print(mlbook.__file__)"], capture_output=True,
                           text=True, check=True, cwd="/", env=clean).stdout.strip()
    assert pathlib.Path(where).resolve().is_relative_to(prefix.resolve()), where
    # no notebook of the course anywhere in it (neither solutions nor student copies): none by
    # name, none that uses mlbook (nbgrader's own test notebooks are in it, and may stay)
    course = {p.name for p in (hubsim.ROOT / "notebooks").rglob("*.ipynb")}
    found = [p for p in prefix.rglob("*.ipynb") if p.name in course
             or "mlbook" in p.read_text(encoding="utf-8", errors="replace")]
    assert course and not found, found
    # nbgrader's instructor tools are off for everyone; the students' Assignments tab is on
    ext = subprocess.run([prefix / "bin" / "jupyter", "server", "extension", "list"],
                         capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", ext.stdout + ext.stderr)
    for name, state in (("formgrader", "disabled"), ("course_list", "disabled"),
                        ("assignment_list", "enabled")):
        assert re.search(rf"nbgrader\.server_extensions\.{name}\s+{state}", text), (name, text)


def test_emoji_font_draws_the_check_marks_in_colour(tmp_path):
    import numpy as np
    from PIL import Image

    fc_match = shutil.which("fc-match")
    chromium = shutil.which(os.environ.get("MLBOOK_CHROMIUM", "chromium"))
    font = subprocess.run([fc_match, "-f", "%{family}|%{file}", "Noto Color Emoji"],
                          capture_output=True, text=True).stdout if fc_match else ""
    if "Noto Color Emoji" not in font:
        if os.environ.get("MLBOOK_USER_ENV"):       # build.sh installs it: a missing font fails
            pytest.fail(f"fc-match does not find Noto Color Emoji (got {font!r})")
        pytest.skip("no emoji font (fonts-noto-color-emoji, installed by deploy/user-env/build.sh)")
    if chromium is None:
        pytest.skip("chromium not installed")
    assert pathlib.Path(font.split("|", 1)[1]).is_file(), font
    page = tmp_path / "emoji.html"
    # no font-family for the emoji: they reach the emoji font by fontconfig's fallback, as in a
    # notebook's output or a figure's text
    cells = "".join(f'<td style="width:150px;text-align:center;font-size:96px">{e}</td>'
                    for e in EMOJI)
    page.write_text(f'<!DOCTYPE html><html><body style="margin:0;background:#fff">'
                    f'<table style="border-collapse:collapse"><tr>{cells}</tr></table></body></html>',
                    encoding="utf-8")

    def coloured_pixels(name, env=None):
        """Screenshot the page; coloured pixels under each emoji (channels differ by > 80: a
        missing-glyph box or a monochrome glyph is grey)."""
        png = tmp_path / f"{name}.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", f"--user-data-dir={tmp_path / name}",
                        "--window-size=600,160", f"--screenshot={png}", page.as_uri()],
                       capture_output=True, timeout=120, cwd=tmp_path, env=env)
        assert png.is_file(), "chromium made no screenshot"
        if os.environ.get("MLBOOK_EMOJI_PNG"):         # to look at: MLBOOK_EMOJI_PNG=/tmp/x
            shutil.copy(png, f"{os.environ['MLBOOK_EMOJI_PNG']}-{name}.png")
        img = np.asarray(Image.open(png).convert("RGB")).astype(int)
        return [int((cell.max(axis=2) - cell.min(axis=2) > 80).sum())
                for cell in (img[:, 150 * i:150 * (i + 1)] for i in range(len(EMOJI)))]

    found = coloured_pixels("with-emoji-font")
    assert min(found) > 1500, f"{EMOJI} not all drawn in colour: coloured pixels {found}"
    # the control: the same page where fontconfig knows only the text font - boxes, no colour
    text_font = subprocess.run([fc_match, "-f", "%{file}", "sans"], capture_output=True,
                               text=True).stdout
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<dir>{pathlib.Path(text_font).parent}</dir>'
                    f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>', encoding="utf-8")
    if pathlib.Path(text_font).parent != pathlib.Path(font.split("|", 1)[1]).parent:
        without = coloured_pixels("without-emoji-font", {**os.environ, "FONTCONFIG_FILE": str(conf)})
        assert max(without) < 100, without


# --------------------------------------------------------------------------------------------
# the hub from the production configuration

def _hub_env(port_env=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "MLBOOK_SPAWNER"))}
    env.update(MLBOOK_HUB_INTERNAL_PORT=str(hubsim.free_port()),
               MLBOOK_HUB_PROXY_API_PORT=str(hubsim.free_port()),
               MLBOOK_HUB_BIND_URL=f"http://127.0.0.1:{hubsim.free_port()}", MLBOOK_CHP="x")
    env.update(port_env or {})
    return env


def test_systemd_spawner_is_refused_where_systemd_is_not_pid1(hub_available, tmp_path):
    if SYSTEMD_PID1:
        pytest.skip("systemd is PID 1 here: the production spawner can run")
    env = _hub_env({"MLBOOK_HUB_STATE": str(tmp_path)})
    out = subprocess.run([sys.executable, "-m", "jupyterhub", "-f", str(PROD_CONFIG)], env=env,
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "MLBOOK_SPAWNER=systemd needs systemd as PID 1" in out.stdout + out.stderr, out
    if shutil.which("systemd-run"):     # what SystemdSpawner would have met at the first spawn
        run = subprocess.run(["systemd-run", "--unit", f"mlbook-probe-{secrets.token_hex(4)}",
                              "/bin/true"], capture_output=True, text=True, timeout=60)
        assert run.returncode != 0 and "not been booted with systemd" in run.stderr, run


@pytest.fixture
def unix_users():
    """Names of Unix accounts this test makes (prefix mlbt + random), all removed at the end."""
    if os.geteuid() != 0:
        pytest.skip("needs root (useradd, PAM log-in of other users)")
    for tool in ("useradd", "userdel", "chpasswd", "adduser"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    made = []
    yield made
    for name in made:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        for proc in _processes_of(name):      # normally none: the hub stopped them
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["userdel", "-r", name], capture_output=True)
    left = [n for n in made if n in {p.pw_name for p in pwd.getpwall()}]
    assert not left, f"accounts not removed: {left}"


def _set_password(name, password):
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)


def test_pam_users_log_in_and_work_as_themselves(hub_available, unix_users, tmp_path):
    try:
        import pamela  # noqa: F401
    except ImportError:
        pytest.skip("pamela (PAM for JupyterHub) not installed")
    # the course environment: the one build.sh made, else this test's own Python when every
    # Unix user can run it (its interpreter too: a venv's python links to it) and read mlbook
    if os.environ.get("MLBOOK_USER_ENV"):
        prefix = _built_env()
    else:
        prefix = pathlib.Path(sys.prefix)
        unreadable = [p for p in (prefix, pathlib.Path(sys.executable).resolve(),
                                  pathlib.Path(sys.base_prefix), hubsim.ROOT)
                      if not _world_traversable(p)]
        if unreadable:
            pytest.skip(f"students' accounts could not run this Python or read mlbook "
                        f"({', '.join(map(str, unreadable))} not readable by all): build the "
                        "course environment (deploy/user-env/build.sh PREFIX), MLBOOK_USER_ENV=PREFIX")
    tag = secrets.token_hex(3)
    instructor, names = f"mlbt{tag}i", [f"mlbt{tag}s{i}" for i in (1, 2)]
    unix_users.extend([instructor, *names])
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", instructor], check=True)
    passwords = {n: secrets.token_urlsafe(12) for n in [instructor, *names]}
    _set_password(instructor, passwords[instructor])

    hub = hubsim.Hub(tmp_path / "hub", config=PROD_CONFIG, extra_env={
        "MLBOOK_USER_ENV": str(prefix), "MLBOOK_INSTRUCTORS": instructor,
        "MLBOOK_SPAWNER": "systemd" if SYSTEMD_PID1 else "local",
        # with a built environment, mlbook must come from it, not from this checkout
        **({"PYTHONPATH": None} if os.environ.get("MLBOOK_USER_ENV") else {})})
    try:
        hub.start()
        # the instructor: logs in with their Unix password; their token, as the runbook makes it
        hubsim.Student(hub, instructor, None).browser(passwords[instructor])
        out = subprocess.run([sys.executable, "-m", "jupyterhub", "token", instructor, "-f",
                              str(PROD_CONFIG)], env=hub.env(), cwd=hub.work, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out
        hub.admin_token = out.stdout.strip().splitlines()[-1]
        # the roster through the REST API: the hub creates the Unix accounts (adduser)
        added = roster.add_students(roster.HubAPI(hub.url, hub.admin_token),
                                    [{"id": n} for n in names], out=open(os.devnull, "w"))
        assert added == names
        accounts = {n: pwd.getpwnam(n) for n in names}
        for n in names:
            _set_password(n, passwords[n])
        with pytest.raises(hubsim.HubError, match="log-in of .* failed"):
            hubsim.Student(hub, names[0], None).browser("not-" + passwords[names[0]])
        for n in names:
            hubsim.Student(hub, n, None).browser(passwords[n])
        hub.spawn(names)
        servers = {pid: cmd for pid, cmd in hub.processes().items() if "jupyterhub-singleuser" in cmd}
        owners = sorted(pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name for pid in servers)
        assert owners == sorted(names), (owners, servers)
        a, b = (hub.student(n) for n in names)
        a.write_notebook("work.ipynb", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        kernel = a.open_notebook("work.ipynb")
        try:
            probe = kernel.execute(
                "import getpass, os, sys, mlbook\n"
                f"print(getpass.getuser(), os.getcwd(), sys.prefix, mlbook.__file__,"
                f" os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'],"
                f" os.access({accounts[b.name].pw_dir!r}, os.R_OK))")
            assert probe["error"] is None, probe
            user, cwd, kprefix, mlbook_file, blas, omp, reads_other = probe["text"].split()
            assert (user, cwd) == (a.name, accounts[a.name].pw_dir)
            assert pathlib.Path(kprefix).resolve() == prefix.resolve()
            assert (blas, omp) == ("1", "1")
            assert reads_other == "False", "a student can read another student's home"
            if os.environ.get("MLBOOK_USER_ENV"):
                assert pathlib.Path(mlbook_file).resolve().is_relative_to(prefix.resolve())
            check = kernel.execute(
                "import numpy as np\nfrom mlbook.checks import check_net_for_output\n"
                "def net_for_output(y):\n    return np.log(y) - np.log1p(-y)\n"
                "check_net_for_output(net_for_output)")
            assert check["error"] is None and "✅ Correct" in check["text"], check
            explorer = kernel.execute(
                "from mlbook.widgets import lr_explorer\nex = lr_explorer()\n"
                "ex.controls['lr'].value = 2.0\nex.wait()\n"
                "print(ex.data['lr'], len(ex.png) > 1000, ex.data['final_error'] >= 0)")
            assert explorer["error"] is None and explorer["text"].split() == ["2.0", "True", "True"], explorer
            assert (pathlib.Path(accounts[a.name].pw_dir) / "work.ipynb").stat().st_uid \
                == accounts[a.name].pw_uid
        finally:
            kernel.close()
    finally:
        hub.stop()
        assert not hub.processes(), hub.processes()
        left = [p.name for n in unix_users for p in _processes_of(n)]
        assert not left, f"processes of the test accounts still alive: {left}"


def _processes_of(name):
    """/proc entries of the live processes owned by Unix user ``name``."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return []
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid \
                    and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(entry)
        except (OSError, IndexError):
            continue
    return found
