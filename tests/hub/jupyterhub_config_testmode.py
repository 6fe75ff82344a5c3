"""Test mode of the course hub: deploy/jupyterhub_config.py, then what a CI machine cannot do.

Started by tests/hub/hubsim.py (never by hand); everything comes from environment variables
that hubsim sets. Each override below says what differs from production and why; everything
else (proxy, idle culler service and its role, per-kernel thread limit, memory/CPU limit values,
kernel culling, default URL) is the production configuration, loaded unchanged.
"""
import os
import pathlib
import sys

c = get_config()  # noqa: F821
HERE = pathlib.Path(__file__).resolve().parent
load_subconfig(str(HERE.parents[1] / "deploy" / "jupyterhub_config.py"))  # noqa: F821

WORK = pathlib.Path(os.environ["MLBOOK_HUB_TEST_DIR"])
RUN = os.environ["MLBOOK_HUB_RUN"]          # marks every process of this run (hubsim stops them)

# Loopback only, on free ports (production: every interface, port 8000).
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['MLBOOK_HUB_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["MLBOOK_HUB_INTERNAL_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['MLBOOK_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.command = [os.environ["MLBOOK_CHP"]]
# State in the test's temporary folder (production: /srv/mlbook-hub).
c.JupyterHub.db_url = f"sqlite:///{WORK / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(WORK / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(WORK / "jupyterhub.pid")

# Users: production makes one Unix account per student (PAM + create_system_users) and runs each
# server under systemd as that user. A test must not add accounts to the machine it runs on, and
# CI containers have no systemd: students are hub users only (DummyAuthenticator; the tests use
# API tokens, never passwords) and every server runs as the test's own Unix user, with its own
# home folder under the temporary folder (SimpleLocalProcessSpawner). So memory/CPU limits are
# configured (the servers see MEM_LIMIT/CPU_LIMIT) but not enforced here; systemd enforces them.
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(WORK / "home" / "{username}")
c.Spawner.notebook_dir = ""          # = the home folder above
# The servers run this Python (the environment under test) instead of /opt/mlbook-env.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
if os.geteuid() == 0:                # CI runs as root; Jupyter refuses root without this
    c.Spawner.args = list(c.Spawner.args) + ["--allow-root"]
c.Spawner.args = list(c.Spawner.args) + ["--ServerApp.ip=127.0.0.1", "--LabApp.news_url="]
c.Spawner.env_keep.append("MLBOOK_HUB_RUN")   # extends the default list
c.Spawner.environment = {
    **c.Spawner.environment,
    # nbgrader's exchange of this run (production: /etc/jupyter/nbgrader_config.py)
    "JUPYTER_CONFIG_PATH": str(WORK / "etc-jupyter"),
    "JUPYTER_PLATFORM_DIRS": "1",
}
c.Spawner.start_timeout = 180        # many servers starting at once on a loaded 2-core machine
c.Spawner.http_timeout = 180

# The idle culler runs as configured; its process is marked as part of this run.
for service in c.JupyterHub.services:
    service["environment"] = {"MLBOOK_HUB_RUN": RUN}

# An admin service whose token the tests use (production: an instructor's own token).
c.JupyterHub.services = list(c.JupyterHub.services) + [
    {"name": "test-admin", "api_token": os.environ["MLBOOK_HUB_ADMIN_TOKEN"]}]
c.JupyterHub.load_roles = list(c.JupyterHub.load_roles) + [
    {"name": "admin", "services": ["test-admin"]}]
