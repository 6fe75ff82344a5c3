"""Fixtures for the hub tests: one real JupyterHub (tests/hub/hubsim.py) per module, stopped
at the end whatever happens.

Without the hub extra (pip install -e '.[hub]') or configurable-http-proxy (npm ci --prefix
deploy) the hub tests are skipped, unless MLBOOK_REQUIRE_HUB=1 (set by .ci/run), where they fail.
The class size: MLBOOK_HUB_STUDENTS (default 4, what CI runs; the full test: 10 or more).
"""
import atexit
import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import hubsim  # noqa: E402

from hubsim import CI_CLASS_SIZE, class_size  # noqa: E402,F401  (one definition, in hubsim)


@pytest.fixture(scope="session")
def hub_available():
    reason = hubsim.hub_unavailable_reason()
    if reason is None:
        return True
    if os.environ.get("MLBOOK_REQUIRE_HUB") == "1":
        pytest.fail(f"hub tests are required (MLBOOK_REQUIRE_HUB=1) but cannot run: {reason}",
                    pytrace=False)
    pytest.skip(f"hub tests skipped: {reason} (set MLBOOK_REQUIRE_HUB=1 to make this an error)")


@pytest.fixture(scope="module")
def hub(hub_available, tmp_path_factory):
    """The course hub in test mode; stopped (with every process it started) at the end."""
    h = hubsim.Hub(tmp_path_factory.mktemp("hub"))
    atexit.register(h.stop)          # safety net if pytest dies before the finalizer
    try:
        h.start()
        yield h
    finally:
        h.stop()
        left = h.processes()
        assert not left, f"processes of the hub run still alive after stop: {left}"
