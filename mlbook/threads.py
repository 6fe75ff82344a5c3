"""How many threads numpy's BLAS (OpenBLAS) uses, set from Python while the program runs.

Why it matters. numpy's OpenBLAS starts one thread per core and, after every matrix product,
keeps them **spinning** (busy-waiting for the next product) for a while. On an idle machine
that saves a little latency; on a shared one (a JupyterHub with more kernels than cores) the
spinning threads compete with every other kernel's work, and a product of small matrices
(an explorer's 128 x 128 layers, a batch of 64 digits) can take 10-40 times its idle time:
measured here, ``init_explorer_update`` with 2 BLAS threads on a machine with load 8 on 2
cores: 1.39 s wall (0.30 s of CPU), with 1 thread 0.13 s (0.04 s). See
``benchmarks/bench_kernels.py``.

What mlbook does:

* the explorers compute with one BLAS thread (:func:`blas_threads`; their matrices are small,
  a second thread only adds waiting);
* :func:`set_blas_threads` (and ``python -m mlbook.ladder --threads N``) sets the count for a
  whole training run.

What a hub should do: start every kernel with one BLAS thread, before numpy is imported —
``OPENBLAS_NUM_THREADS=1`` (and ``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1`` for other
builds), e.g. ``c.Spawner.environment = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}``
in ``jupyterhub_config.py``. With one thread OpenBLAS has no pool to spin. Nothing in mlbook
busy-waits: its explorer worker sleeps on a condition variable between requests.

Works with the OpenBLAS that numpy wheels bundle (found among the loaded libraries on Linux);
elsewhere (macOS Accelerate, MKL) the functions do nothing and return None.
"""
import contextlib
import ctypes
import os

__all__ = ["blas_threads", "get_blas_threads", "set_blas_threads"]

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")
_LIBS = None


def _openblas_libs():
    """(set, get) ctypes functions of every OpenBLAS loaded in this process (numpy's)."""
    global _LIBS
    if _LIBS is not None:
        return _LIBS
    import numpy  # noqa: F401 - loads its BLAS
    paths = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split()[-1] if "/" in line else ""
                if "openblas" in os.path.basename(path).lower() and ".so" in path:
                    paths.add(path)
    except OSError:                           # not Linux: nothing found, nothing done
        pass
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
        if setter is not None and getter is not None:
            setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
            found.append((setter, getter))
    _LIBS = found
    return found


def get_blas_threads():
    """The number of threads numpy's OpenBLAS uses now (None if it was not found)."""
    libs = _openblas_libs()
    return int(libs[0][1]()) if libs else None


def set_blas_threads(n):
    """Make numpy's OpenBLAS use ``n`` threads (an int >= 1) from now on; returns the count it
    used before (None if no OpenBLAS was found: then nothing changes)."""
    from mlbook.validation import check_int
    n = check_int(n, "n", minimum=1)
    libs = _openblas_libs()
    if not libs:
        return None
    before = int(libs[0][1]())
    for setter, _ in libs:
        setter(n)
    return before


@contextlib.contextmanager
def blas_threads(n):
    """``with blas_threads(1): ...`` — numpy's OpenBLAS uses ``n`` threads inside the block
    (the setting is process-wide while the block runs), the previous count afterwards."""
    before = set_blas_threads(n)
    try:
        yield before
    finally:
        if before is not None and before != n:
            set_blas_threads(before)
