"""Stop a started server and every process it left: one loop for tests/hub/hubsim.py and
tests/ui/labui.py (each imports this file by path: tests/ is not a package)."""
import os
import signal
import time


def terminate_then_kill(proc, find_pids, grace=10.0, poll=0.2):
    """SIGTERM, then SIGKILL if anything is left: ``proc``'s process group (it was started with
    ``start_new_session=True``) and every pid ``find_pids()`` returns (the processes that left
    the group, e.g. kernels). After each signal, wait up to ``grace`` s (checking every ``poll``
    s) for ``proc`` to exit and ``find_pids()`` to come back empty; stop as soon as both hold.
    Returns whatever ``find_pids()`` still finds (empty when everything stopped)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = find_pids()
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and (find_pids() or proc.poll() is None):
            time.sleep(poll)
        if not find_pids() and proc.poll() is not None:
            break
    return find_pids()
