"""deploy/ without a running hub: the nbgitpuller link, the student repository, and the
one-machine and Kubernetes files agreeing with each other (these run everywhere, even where
the hub tests skip)."""
import json
import pathlib
import re
import subprocess
import sys
import urllib.parse

import pytest

import hubsim

sys.path.insert(0, str(hubsim.DEPLOY))

import nbgitpuller_link  # noqa: E402
import student_repo  # noqa: E402

DEPLOY = hubsim.DEPLOY


def _hub_config(**env):
    """deploy/jupyterhub_config.py's module-level names, with a stub get_config(); ``env``:
    environment variables set while it runs (default MLBOOK_SPAWNER=local, which loads on any
    machine: the default, systemd, needs systemd as PID 1)."""
    import os
    from types import SimpleNamespace
    from unittest import mock

    class Section(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Section())

        def __setattr__(self, name, value):
            self[name] = value

    ns = {"get_config": lambda: Section(), "__file__": str(DEPLOY / "jupyterhub_config.py")}
    with mock.patch.dict(os.environ, {"MLBOOK_SPAWNER": "local", **env}):
        exec(compile((DEPLOY / "jupyterhub_config.py").read_text(), "jupyterhub_config.py", "exec"), ns)
    return SimpleNamespace(**ns)


def test_spawner_choice():
    import os

    assert _hub_config().c.JupyterHub.spawner_class == "localprocess"
    with pytest.raises(ValueError, match="MLBOOK_SPAWNER must be 'systemd' or 'local', got 'docker'"):
        _hub_config(MLBOOK_SPAWNER="docker")
    if os.path.isdir("/run/systemd/system"):
        assert _hub_config(MLBOOK_SPAWNER="systemd").c.JupyterHub.spawner_class == "systemdspawner"
    else:       # no systemd as PID 1: said at start, not at every student's first spawn
        with pytest.raises(SystemExit, match="needs systemd as PID 1.*MLBOOK_SPAWNER=local"):
            _hub_config(MLBOOK_SPAWNER="systemd")


def test_nbgitpuller_link():
    link = nbgitpuller_link.nbgitpuller_link(
        "https://hub.example.edu/", "https://github.com/o/mlbook-student.git", "main",
        "01_forward_pass.ipynb")
    base, query = link.split("?", 1)
    assert base == "https://hub.example.edu/hub/user-redirect/git-pull"
    q = dict(urllib.parse.parse_qsl(query))
    assert q == {"repo": "https://github.com/o/mlbook-student.git", "branch": "main",
                 "targetpath": "mlbook-student",
                 "urlpath": "lab/tree/mlbook-student/01_forward_pass.ipynb"}
    with pytest.raises(ValueError, match="hub must start with http"):
        nbgitpuller_link.nbgitpuller_link("hub.example.edu", "r")
    with pytest.raises(ValueError, match="repo must be a non-empty string"):
        nbgitpuller_link.nbgitpuller_link("https://h", "")
    out = subprocess.run([sys.executable, str(DEPLOY / "nbgitpuller_link.py"), "--hub",
                          "http://127.0.0.1:8000", "--repo", "/srv/git/course", "--app", "tree"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "urlpath=tree%2Ftree%2Fcourse" in out.stdout, out


def test_student_repo_holds_the_student_notebooks_only(tmp_path):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git not installed")
    repo = student_repo.make_student_repo(tmp_path / "course")
    tracked = subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True,
                             text=True, check=True).stdout.split()
    expected = sorted(p.name for p in (hubsim.ROOT / "notebooks" / "student").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(t for t in tracked if t.endswith(".ipynb")) == expected
    for name in expected:
        assert "### BEGIN SOLUTION" not in (repo / name).read_text(encoding="utf-8")
    # a second run with nothing new makes no commit
    student_repo.make_student_repo(repo)
    log = subprocess.run(["git", "-C", str(repo), "log", "--oneline"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert len(log) == 1


def test_thread_limit_and_its_argument():
    cfg = _hub_config()
    assert cfg.kernel_thread_env(1) == {v: "1" for v in cfg.THREAD_VARS}
    assert cfg.kernel_thread_env(0) == {}
    with pytest.raises(ValueError, match="MLBOOK_KERNEL_THREADS must be >= 0"):
        cfg.kernel_thread_env(-1)
    assert {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} <= set(cfg.THREAD_VARS)


def test_kubernetes_files_agree_with_the_one_machine_setup():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load((DEPLOY / "z2jh" / "values.yaml").read_text(encoding="utf-8"))
    cfg = _hub_config()
    single = values["singleuser"]
    assert single["extraEnv"] == {v: "1" for v in cfg.THREAD_VARS}
    assert single["memory"]["limit"] == "2G" and single["cpu"]["limit"] == 1
    assert values["cull"]["enabled"] and values["cull"]["timeout"] == cfg.CULL_IDLE
    exchange = re.search(r'c\.Exchange\.root = "([^"]+)"',
                         (DEPLOY / "nbgrader_config.py").read_text()).group(1)
    assert single["storage"]["extraVolumeMounts"][0]["mountPath"] == exchange
    docker = (DEPLOY / "z2jh" / "Dockerfile").read_text(encoding="utf-8")
    assert "fonts-noto-color-emoji" in docker and "binder/requirements.txt" in docker
    copies = re.findall(r"^COPY (.+) \S+$", docker, re.M)
    assert not any("notebooks" in c for c in copies), copies     # never the solution notebooks
    for var in cfg.THREAD_VARS:
        assert f"{var}=1" in docker
    build = (DEPLOY / "user-env" / "build.sh").read_text(encoding="utf-8")
    assert "fonts-noto-color-emoji" in build and "-r binder/requirements.txt" in build
    assert "notebooks" not in re.sub(r"#.*", "", build)


def test_proxy_is_pinned_for_npm_ci():
    pkg = json.loads((DEPLOY / "package.json").read_text())
    lock = json.loads((DEPLOY / "package-lock.json").read_text())
    assert "configurable-http-proxy" in pkg["dependencies"]
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"].startswith("5.")
