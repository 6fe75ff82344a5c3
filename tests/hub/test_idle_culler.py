"""The idle culler of deploy/jupyterhub_config.py stops a server nobody uses.

A hub of its own (the class's hub keeps the production hour): the same configuration with the
culler's timeout at 20 s and a check every 5 s. One student's server starts and is left alone;
the culler (jupyterhub-idle-culler, run by the hub as a service with its role's scopes) must
stop it, and the student's files stay (production: their home directory)."""
import re
import time

import pytest

import hubsim

pytestmark = pytest.mark.slow


def test_an_idle_server_is_stopped_and_the_files_stay(hub_available, tmp_path):
    hub = hubsim.Hub(tmp_path / "hub", cull_idle=20, cull_every=5)
    try:
        hub.start()
        hub.add_users(["idle"])
        hub.spawn(["idle"])
        student = hub.student("idle")
        student.write_notebook("work.ipynb", {"cells": [], "metadata": {}, "nbformat": 4,
                                              "nbformat_minor": 5})
        deadline = time.monotonic() + 240
        while hub.api("GET", "/users/idle")["servers"]:
            assert time.monotonic() < deadline, "the idle server was not culled within 240 s:\n" \
                + hub.log_tail()
            time.sleep(2)
        # stopped by the culler, through the REST API with its service's token
        assert re.search(r"DELETE /hub/api/users/idle/server \(idle-culler@127\.0\.0\.1\)",
                         hub.log_tail(1000)), hub.log_tail()
        assert (hub.work / "home" / "idle" / "work.ipynb").is_file()
    finally:
        hub.stop()
        assert not hub.processes()
