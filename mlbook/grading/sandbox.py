"""Run one exercise's check in a sandbox and return its verdict.

The sandbox is `bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian/Ubuntu:
``apt-get install bubblewrap``): new user, PID, network, IPC and mount namespaces, the user
``nobody`` (65534), an empty private ``/tmp`` as the working folder, and read-only only what
Python needs — the system's ``/usr`` and ``/lib``, the Python installation, the folders numpy and
the other dependencies come from — plus a fresh copy of the ``mlbook`` *package* (no notebooks, no bundled MNIST digits: see
:data:`DATA_LEFT_OUT`; an installed mlbook inside those folders is masked).
The course folder (``source/``, ``gradebook.db``, ``submitted/``), the repository checkout with
its solution notebooks and the instructor's home are not in it at all. Works as root in a
container too (it needs user namespaces).

Without bubblewrap grading refuses to start unless the instructor opts in to a weaker sandbox
(:data:`NOBODY_EXPOSES` says what it exposes): ``MLBOOK_SANDBOX=nobody`` (as root) runs the
student's code as ``nobody`` via ``setpriv`` in a private temporary folder — it can then read every
world-readable file on the machine, including a course folder that is not ``chmod 700`` (the
solution notebooks in ``source/``), a world-readable checkout and the installed mlbook's
source — and ``MLBOOK_SANDBOX=none`` runs without any sandbox (for a trusted submission only).

Limits: :data:`TIMEOUT` seconds of wall clock per check (the sandbox is killed after that times
the number of exercises),
the student's process at :data:`MEMORY_BYTES` of address space, files it writes at 16 MiB.
"""
import atexit
import json
import os
import pathlib
import resource
import secrets
import shutil
import struct
import subprocess
import sys
import tempfile
import threading

TIMEOUT = 150.0        # seconds per exercise (notebook 11's digits check may take 120 s)
MEMORY_BYTES = 2 * 2 ** 30
SANDBOX_PACKAGE = "/opt/mlbook-sandbox"
_BOOT = ("import sys; sys.path.insert(0, {pkg!r}); import runpy; "
         "runpy.run_module('mlbook.grading.worker', run_name='__main__')")
_package_copy = None
_copy_lock = threading.Lock()
# The bundled MNIST digits (images and labels) stay out of the student's process: the held-out
# digits of 11's digits exercise are among them, and a "network" that looked each test image up
# in the labelled files would score 100 %. The checkers' drivers get every digit they need as
# plain data from the trusted worker, which reads them.
DATA_LEFT_OUT = ("*-ubyte.gz",)
DIGITS_FD_VARIABLE = "MLBOOK_GRADING_DIGITS_FD"


def package_copy():
    """A private, world-readable copy of the importable ``mlbook`` package (made once)."""
    with _copy_lock:
        return _package_copy or _make_copy()


def _make_copy():
    global _package_copy
    if _package_copy is None:
        import mlbook
        top = tempfile.mkdtemp(prefix="mlbook-sandbox-")
        atexit.register(shutil.rmtree, top, True)
        shutil.copytree(pathlib.Path(mlbook.__file__).parent, os.path.join(top, "mlbook"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *DATA_LEFT_OUT))
        for folder, dirs, files in os.walk(top):
            os.chmod(folder, 0o755)
            for f in files:
                os.chmod(os.path.join(folder, f), 0o644)
        _package_copy = top
    return _package_copy


NOBODY_EXPOSES = (
    "without bubblewrap the student's code would run as the user nobody, which can read every "
    "world-readable file on this machine: the course folder's source/ (the solution notebooks) "
    "and gradebook unless the course folder is chmod 700, a world-readable checkout of the "
    "repository, other users' world-readable files")


def method():
    """'bwrap', 'nobody' or 'none' (see the module's doc); raises when no sandbox is possible.
    The weaker ones only when asked for by name (``MLBOOK_SANDBOX=nobody`` or ``none``)."""
    wanted = os.environ.get("MLBOOK_SANDBOX", "auto")
    if wanted == "none":
        return "none"
    if wanted in ("auto", "bwrap") and shutil.which("bwrap"):
        return "bwrap"
    if wanted == "nobody":
        if os.geteuid() == 0 and shutil.which("setpriv"):
            return "nobody"
        raise RuntimeError("MLBOOK_SANDBOX=nobody needs root and setpriv (util-linux)")
    raise RuntimeError("no sandbox to grade in: install bubblewrap (apt-get install bubblewrap). "
                       "To grade anyway with a weaker sandbox, set MLBOOK_SANDBOX=nobody (as "
                       "root) and know what it exposes: " + NOBODY_EXPOSES)


def _python_dirs(hidden):
    """Folders Python and the dependencies need, minus any that would show a ``hidden`` path."""
    import numpy
    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix,
              os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    for mod in ("numpy", "matplotlib", "ipywidgets", "sympy", "traitlets", "IPython"):
        m = sys.modules.get(mod)
        if m is None and mod == "numpy":
            m = numpy
        if m is not None and getattr(m, "__file__", None):
            wanted.add(os.path.dirname(os.path.dirname(os.path.realpath(m.__file__))))
    dirs = []
    for d in sorted(wanted):
        d = os.path.realpath(d)
        if not os.path.isdir(d) or d == "/":
            continue
        if any(h == d or h.startswith(d.rstrip("/") + "/") for h in hidden):
            continue                    # binding d would expose the course or the checkout
        dirs.append(d)
    return dirs


def _installed_package(hidden):
    """The folder of the ``mlbook`` package the worker imported, if one of the folders bound
    for Python (:func:`_python_dirs`) shows it (e.g. a wheel in site-packages), else None."""
    import mlbook
    pkg = os.path.realpath(os.path.dirname(mlbook.__file__))
    shown = any(pkg.startswith(d.rstrip("/") + "/") for d in _python_dirs(hidden))
    return pkg if shown else None


def _bwrap_command(hidden):
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all", "--unshare-user",
           "--uid", "65534", "--gid", "65534", "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/tmp", "--chdir", "/tmp", "--clearenv"]
    for d in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(d):
            cmd += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            cmd += ["--ro-bind", d, d]
    for f in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(f):
            cmd += ["--ro-bind", f, f]
    for d in _python_dirs(hidden):
        if not d.startswith(("/usr/", "/lib")):
            cmd += ["--ro-bind", d, d]
    installed = _installed_package(hidden)
    if installed:                       # an installed (wheel) mlbook, with its bundled digits,
        cmd += ["--tmpfs", installed]   # inside a bound folder: masked by an empty one
    cmd += ["--ro-bind", package_copy(), SANDBOX_PACKAGE]
    for k, v in _ENV.items():
        cmd += ["--setenv", k, v]
    return cmd + [sys.executable, "-I", "-c", _BOOT.format(pkg=SANDBOX_PACKAGE)]


_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0", "LANG": "C.UTF-8"}


def _limits(cpu_seconds):
    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 2 ** 20, 16 * 2 ** 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _frame(obj):
    data = json.dumps(obj).encode()
    return struct.pack("<Q", len(data)) + data


def run(program, **options):
    """Run one ``program``: ``run_many([program], **options)[0]``."""
    return run_many([program], **options)[0]


def run_many(programs, *, hidden=(), seed=None, timeout=TIMEOUT, memory_bytes=MEMORY_BYTES,
             time_budget=None):
    """Run ``programs`` (:class:`mlbook.grading.program.Program`, the exercises of one
    submitted notebook) in one sandbox, each in its own student process.

    ``hidden``: paths that must not be visible (the course folder, the checkout);
    ``timeout``: seconds per exercise (the sandbox is killed after ``timeout`` × their number);
    ``time_budget``: seconds the student's function may take per check (default: the checks'
    own :data:`mlbook.checks.core.TIME_BUDGET`). Returns one verdict dict per program,
    ``{"status", "message", "mode", "hidden", "error", "seed"}``; ``error`` is set when the
    grading itself failed (it is listed in the run's report, the exercise scores 0).
    """
    if not programs:
        return []
    how = method()
    hidden = [os.path.realpath(h) for h in hidden]
    boot = _BOOT.format(pkg=package_copy())
    if how == "bwrap":
        cmd, cwd, env = _bwrap_command(hidden), "/", None
    elif how == "nobody":
        cwd = tempfile.mkdtemp(prefix="mlbook-grade-")
        os.chmod(cwd, 0o777)
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
               "--inh-caps=-all", sys.executable, "-I", "-c", boot]
        env = dict(_ENV, HOME=cwd, MPLCONFIGDIR=cwd)
    else:
        cwd = tempfile.mkdtemp(prefix="mlbook-grade-")
        cmd, env = [sys.executable, "-I", "-c", boot], dict(_ENV, HOME=cwd, MPLCONFIGDIR=cwd)
    # the bundled digits reach the worker only as an open folder (see DATA_LEFT_OUT): inherited
    # by it, closed in each student process it forks, unreachable through /proc (not dumpable)
    from mlbook.datasets.mnist import BUNDLED_DIR
    digits = os.open(BUNDLED_DIR, os.O_RDONLY | os.O_DIRECTORY)
    if how == "bwrap":
        at = cmd.index("--clearenv") + 1
        cmd[at:at] = ["--setenv", DIGITS_FD_VARIABLE, str(digits)]
    else:
        env[DIGITS_FD_VARIABLE] = str(digits)
    seed = secrets.randbits(32) if seed is None else seed
    stdin = _frame({"programs": [p.message(memory_bytes, time_budget, timeout) for p in programs],
                    "memory_bytes": memory_bytes, "time_budget": time_budget}) + _frame(
        {"references": [p.reference for p in programs], "seed": seed})
    wall = timeout * len(programs)
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, pass_fds=(digits,),
                            preexec_fn=_limits(int(wall) + 5))
    os.close(digits)
    try:
        out, err = proc.communicate(stdin, timeout=wall)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        return [_failed(f"the grading of this notebook did not finish within {wall:g} s and "
                        f"was stopped", student=False)] * len(programs)
    finally:
        if how != "bwrap":
            shutil.rmtree(cwd, ignore_errors=True)
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        verdicts = json.loads(lines[-1])
        assert isinstance(verdicts, list) and len(verdicts) == len(programs)
        for v in verdicts:
            assert v["status"] in ("correct", "wrong", "not_attempted")
            v.setdefault("error", None)
            v["seed"] = seed
        return verdicts
    except (IndexError, ValueError, KeyError, TypeError, AssertionError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        return [_failed(f"the grading worker failed (exit code {proc.returncode}): "
                        + " / ".join(tail), student=False)] * len(programs)


def _kill(proc):
    try:
        os.killpg(proc.pid, 9)
    except OSError:
        proc.kill()


def _failed(message, *, student):
    return {"status": "wrong", "message": message, "mode": "sandbox", "hidden": 0,
            "error": None if student else message}
