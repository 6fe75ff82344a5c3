"""Regenerate binder/requirements.txt, the lock: an exact version of every package the course
and its tests use (direct and transitive), for the Python that binder/runtime.txt names, on
Linux. Binder builds from it, and .ci/run's "lock" part runs the suite on exactly it.

    pip install uv && python tools/lock.py
    python tools/lock.py --readme-only      # only rewrite README's table of tested versions

It resolves pyproject.toml's run-time dependencies with the extras "lab" and "test", taking
the newest releases that satisfy them on the day. Then run the suite on the new lock
(`bash .ci/run`, or its "lock" part) before committing it. It also rewrites the table of tested
versions in README.md (floor and lock). tests/test_packaging.py checks that every package
pyproject.toml and environment.yml declare is in the lock, inside its range.
"""
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCK = ROOT / "binder" / "requirements.txt"
RUNTIME = ROOT / "binder" / "runtime.txt"
FLOOR = ROOT / "constraints" / "floor.txt"
README = ROOT / "README.md"
SHOWN = ("numpy", "matplotlib", "ipywidgets", "sympy", "jupyterlab", "pytest", "nbval")


def binder_python():
    """The 'X.Y' of binder/runtime.txt ('python-3.11' -> '3.11')."""
    text = RUNTIME.read_text(encoding="utf-8").strip()
    if not text.startswith("python-"):
        raise ValueError(f"{RUNTIME} must read 'python-X.Y', got {text!r}")
    return text[len("python-"):]


def uv_command():
    """How to call uv: the `uv` program on PATH, else the uv package of this Python."""
    if shutil.which("uv"):
        return ["uv"]
    try:
        import uv  # noqa: F401  (the PyPI package ships the binary)
    except ImportError:
        sys.exit("tools/lock.py needs uv: pip install uv")
    return [sys.executable, "-m", "uv"]


def pins(path):
    """{name: version} of the 'name==version' lines of a requirements or constraints file."""
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", path.read_text(encoding="utf-8"), re.M)
    return {name.lower().replace("_", "-"): version for name, version in found}


def requires_python_floor():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return re.search(r'^requires-python\s*=\s*">=\s*([0-9.]+)"', text, re.M).group(1)


def versions_table():
    """README's table of the tested environments, from constraints/floor.txt and the lock."""
    floor, lock = pins(FLOOR), pins(LOCK)
    rows = [("environment", "Python") + SHOWN + ("runs",),
            ("---",) * (len(SHOWN) + 3),
            ("floor (`constraints/floor.txt`)", requires_python_floor())
            + tuple(floor.get(n, "newest") for n in SHOWN)
            + ("unit tests + nbval (lax: asserts, not digits)",),
            ("lock (`binder/requirements.txt`, Binder)", binder_python())
            + tuple(lock[n] for n in SHOWN) + ("unit tests + nbval",),
            ("newest (the test command above)", "`python3` (3.11 in CI)")
            + ("newest",) * len(SHOWN) + ("everything, browser tests too",)]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def write_readme_table():
    text = README.read_text(encoding="utf-8")
    start = "<!-- versions-table (written by python tools/lock.py) -->\n"
    end = "<!-- /versions-table -->"
    i, j = text.index(start) + len(start), text.index(end)
    README.write_text(text[:i] + versions_table() + "\n" + text[j:], encoding="utf-8")


def main():
    if "--readme-only" not in sys.argv[1:]:
        subprocess.run(uv_command() + [
            "pip", "compile", "pyproject.toml", "--extra", "lab", "--extra", "test",
            "--python-version", binder_python(), "--python-platform", "linux",
            "--custom-compile-command", "python tools/lock.py",
            "--output-file", str(LOCK.relative_to(ROOT)), "--quiet",
        ], cwd=ROOT, check=True)
        print(f"wrote {LOCK.relative_to(ROOT)}: {len(pins(LOCK))} exact pins")
    write_readme_table()
    print(f"wrote the table of tested versions in {README.name}")


if __name__ == "__main__":
    main()
