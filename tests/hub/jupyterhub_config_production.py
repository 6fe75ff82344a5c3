"""The production configuration, run for real on a test machine (tests/hub/test_production_path.py).

deploy/jupyterhub_config.py unchanged - PAM log-in, Unix accounts created by the hub, each server
run as its student's Unix user, the course environment of deploy/user-env/build.sh, the idle
culler, the per-kernel thread limit - with its own environment variables set by the test
(MLBOOK_HUB_BIND_URL on 127.0.0.1, MLBOOK_HUB_STATE in a temporary folder, MLBOOK_USER_ENV,
MLBOOK_INSTRUCTORS, MLBOOK_SPAWNER=local where systemd is not PID 1). Only what has no variable
changes here: the hub's internal port and the proxy's API port (free ports instead of 8081 and
8001, so that a test never collides with a hub already running on the machine), and the proxy's
command is the one hubsim found (the config's own search plus $MLBOOK_CHP).
"""
import os
import pathlib

c = get_config()  # noqa: F821
load_subconfig(str(pathlib.Path(__file__).resolve().parents[2] / "deploy" / "jupyterhub_config.py"))  # noqa: F821
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["MLBOOK_HUB_INTERNAL_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['MLBOOK_HUB_PROXY_API_PORT']}"
# the proxy hubsim found (deploy/node_modules, PATH or $MLBOOK_CHP): the same search as the config's
c.ConfigurableHTTPProxy.command = [os.environ["MLBOOK_CHP"]]
