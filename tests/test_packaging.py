"""Packaging: README's two commands, .ci/run, the package lists, the floor constraints and the
Binder lock (they agree with pyproject.toml), README's tested versions, a light import."""
import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_command(marker):
    m = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", README, re.S)
    assert m, f"README.md has no ```bash block after <!-- {marker} -->"
    return m.group(1).strip()


def test_readme_gives_exactly_two_commands():
    blocks = re.findall(r"```bash\n(.+?)\n```", README, re.S)
    assert len(blocks) == 2, blocks
    assert all("\n" not in b.strip() for b in blocks), "each command is one line"
    run, test = readme_command("run-command"), readme_command("test-command")
    assert "pip install" in run and "jupyter lab" in run and "00_start_here.ipynb" in run
    # the URL the server prints (not only the browser it may start) opens the start notebook
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in run
    assert "pip install" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line for line in ci.splitlines() if "pytest" in line and not line.startswith("#")]
    assert any(line.startswith(readme_command("test-command")) for line in lines), lines


def test_readme_links_every_notebook():
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"(notebooks/{nb.name})" in README, f"README's notebook map misses {nb.name}"


# PyPI name -> conda-forge name, where the two differ
CONDA_NAME = {"playwright": "playwright-python"}


def _pyproject():
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _split(req):
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).split(";")[0].replace(" ", "")


def _conda_packages(path):
    pkgs = {}
    in_pip = False
    text = path.read_text(encoding="utf-8")
    for line in text[text.index("dependencies:"):].splitlines():
        if re.match(r"\s*-\s*pip:\s*$", line):
            in_pip = True
            continue
        m = re.match(r"(\s*)-\s*([^#\s][^#]*?)\s*(#.*)?$", line)
        if not m or (in_pip and len(m.group(1)) > 2):
            continue
        in_pip = False
        name, spec = _split(m.group(2))
        if name not in ("python", "pip"):
            pkgs[name] = spec
    return pkgs


def _declared():
    """{name: specifier} of pyproject.toml's run-time dependencies and extras lab and test."""
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    groups = {"run": project["dependencies"], "lab": extras["lab"],
              "test": [r for r in extras["test"] if "python_version" not in r]}
    return {g: dict(_split(r) for r in reqs) for g, reqs in groups.items()}


def test_environment_files_agree_with_pyproject():
    d = _declared()
    expected = {CONDA_NAME.get(k, k): v for k, v in {**d["run"], **d["lab"], **d["test"]}.items()}
    assert _conda_packages(ROOT / "environment.yml") == expected
    env_text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    pip_lines = [line.split("#")[0].strip()[2:].strip()
                 for line in env_text[env_text.index("- pip:"):].splitlines()[1:]
                 if line.strip().startswith("- ")]
    # conda writes these lines into a pip requirements file, where only some options are
    # allowed (e.g. --no-deps is not): keep to a plain editable install of the repository
    assert pip_lines == ["--editable ."], pip_lines


# --- tested versions: the floor (constraints/floor.txt) and the lock (binder/requirements.txt)

def _pins(path):
    """{name: version} of the 'name==version' lines of a requirements/constraints file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"{path.name}: {line!r} is not an exact pin"
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _requires_python_floor():
    m = re.fullmatch(r">=\s*(\d+\.\d+)", _pyproject()["project"]["requires-python"].strip())
    assert m, "requires-python should be a plain '>=X.Y'"
    return m.group(1)


def test_floor_constraints_pin_every_declared_lower_bound():
    d = _declared()
    declared = {**d["run"], **d["test"]}     # the floor run installs ".[test]"
    floors = {}
    for name, spec in declared.items():
        m = re.fullmatch(r">=([0-9.]+)", spec)
        assert m, f"{name}{spec}: declare a lower bound '>=X.Y' (it is what CI tests)"
        floors[name] = m.group(1)
    pins = _pins(ROOT / "constraints" / "floor.txt")
    assert set(pins) == set(floors), "constraints/floor.txt must pin exactly the declared floors"
    for name, floor in floors.items():
        assert pins[name].split(".")[:len(floor.split("."))] == floor.split(".") \
            and set(pins[name].split(".")[len(floor.split(".")):]) <= {"0"}, \
            f"{name}: pyproject says >={floor}, constraints/floor.txt pins {pins[name]}"


def test_ci_tests_the_oldest_python_claimed():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    m = re.search(r"^FLOOR_PYTHON=(\S+)", ci, re.M)
    assert m, ".ci/run sets FLOOR_PYTHON"
    assert m.group(1) == _requires_python_floor()
    assert "-c constraints/floor.txt" in ci
    assert "-r binder/requirements.txt" in ci


def test_lock_agrees_with_pyproject_and_environment_yml():
    from packaging.specifiers import SpecifierSet
    lock = _pins(ROOT / "binder" / "requirements.txt")
    d = _declared()
    declared = {**d["run"], **d["lab"], **d["test"]}
    pypi_name = {v: k for k, v in CONDA_NAME.items()}
    conda = {pypi_name.get(k, k): v for k, v in _conda_packages(ROOT / "environment.yml").items()}
    for source, specs in (("pyproject.toml", declared), ("environment.yml", conda)):
        for name, spec in specs.items():
            assert name in lock, f"{name} ({source}) is missing from binder/requirements.txt"
            assert lock[name] in SpecifierSet(spec), \
                f"binder/requirements.txt pins {name}=={lock[name]}, {source} says {name}{spec}"


def test_binder_builds_the_lock_on_a_claimed_python():
    binder = ROOT / "binder"
    assert not (binder / "environment.yml").exists(), "repo2docker would ignore the lock"
    runtime = (binder / "runtime.txt").read_text(encoding="utf-8").strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert m, runtime
    floor = tuple(int(x) for x in _requires_python_floor().split("."))
    assert (int(m.group(1)), int(m.group(2))) >= floor
    lock_text = (binder / "requirements.txt").read_text(encoding="utf-8")
    assert "python tools/lock.py" in lock_text.splitlines()[1], "generated by tools/lock.py"
    post = (binder / "postBuild").read_text(encoding="utf-8")
    assert "pip install" in post and "--no-deps --editable ." in post


def test_readme_says_which_versions_are_tested():
    assert "## Tested versions" in README
    section = README.split("## Tested versions", 1)[1].split("\n## ", 1)[0]
    spec = importlib.util.spec_from_file_location("lock", ROOT / "tools" / "lock.py")
    lock = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lock)
    assert lock.versions_table() in section, \
        "README's table of tested versions is stale: python tools/lock.py --readme-only"
    for name in _declared()["run"]:
        assert name in lock.SHOWN
    for text in ("constraints/floor.txt", "binder/requirements.txt", "python tools/lock.py",
                 f"python{lock.binder_python()} -m venv"):
        assert text in section, text


def test_import_mlbook_is_light():
    code = ("import sys, mlbook; "
            "import mlbook.worked_example, mlbook.activations, mlbook.gradcheck, mlbook.layers, "
            "mlbook.losses, mlbook.optim, mlbook.conv, mlbook.autodiff, mlbook.datasets; "
            "heavy = [m for m in ('sympy', 'matplotlib', 'ipywidgets') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"numeric modules import {out.stdout.strip()}"


def test_lazy_submodule_access():
    import mlbook
    assert mlbook.gradcheck.rel_error(1.0, 1.0) == 0.0
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mlbook.nope
