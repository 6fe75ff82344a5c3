"""JupyterHub configuration for a class on ONE machine (see deploy/README.md).

    sudo /opt/mlbook-hub/bin/jupyterhub -f deploy/jupyterhub_config.py

Students are real Unix users (PAM log-in; the hub creates the account when a user is added
through its REST API or admin page, so `deploy/roster.py` turns a roster CSV into accounts);
their servers run under systemd (jupyterhub-systemdspawner), which enforces the per-user memory
and CPU limits; their files live in their own home directories and persist between sessions.
The course environment (`deploy/user-env/build.sh`: binder/requirements.txt + mlbook, no solution
notebooks, an emoji font) is what every student server and kernel runs in.

Settings an instructor changes are environment variables (defaults in brackets):

    MLBOOK_HUB_BIND_URL   [http://:8000]   where the hub listens (put TLS in front, or use
                                           c.JupyterHub.ssl_cert/ssl_key below)
    MLBOOK_INSTRUCTORS    [instructor]     comma-separated hub admins (they run nbgrader)
    MLBOOK_USER_ENV       [/opt/mlbook-env] the course environment's prefix
    MLBOOK_MEM_LIMIT      [2G]             per student server (systemd MemoryMax)
    MLBOOK_CPU_LIMIT      [1]              per student server, in cores (systemd CPUQuota)
    MLBOOK_KERNEL_THREADS [1]              BLAS/OpenMP threads per kernel; 0 = library default
    MLBOOK_CULL_IDLE      [3600]           stop a server idle this many seconds; 0 = never
    MLBOOK_CULL_EVERY     [300]            how often the idle culler checks, seconds
    MLBOOK_HUB_STATE      [/srv/mlbook-hub] hub database, cookie secret
    MLBOOK_SPAWNER        [systemd]        systemd: each server a systemd unit, limits enforced;
                                           local: plain processes of the student's Unix user,
                                           for a machine without systemd as PID 1 (a container):
                                           the memory/CPU limits are then NOT enforced

The test suite (tests/hub/) loads THIS file and then overrides what a test on a CI machine
cannot do (tests/hub/jupyterhub_config_testmode.py lists each override and why).
"""
import os
import pathlib
import shutil
import sys

c = get_config()  # noqa: F821

HERE = pathlib.Path(__file__).resolve().parent
env = os.environ.get

# -- the hub and its proxy (configurable-http-proxy, from npm: `npm ci --prefix deploy`) ------
c.JupyterHub.bind_url = env("MLBOOK_HUB_BIND_URL", "http://:8000")
_chp = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(_chp) if _chp.exists()
                                   else shutil.which("configurable-http-proxy")
                                   or "configurable-http-proxy"]
STATE = pathlib.Path(env("MLBOOK_HUB_STATE", "/srv/mlbook-hub"))
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
# c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/HOST/fullchain.pem"
# c.JupyterHub.ssl_key = "/etc/letsencrypt/live/HOST/privkey.pem"

# -- who may log in -----------------------------------------------------------------------------
INSTRUCTORS = [n.strip() for n in env("MLBOOK_INSTRUCTORS", "instructor").split(",") if n.strip()]
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.create_system_users = True   # adding a hub user creates the Unix account
c.Authenticator.admin_users = set(INSTRUCTORS)
c.Authenticator.allow_existing_users = True       # the users added from the roster may log in

# -- each student's server ------------------------------------------------------------------------
USER_ENV = pathlib.Path(env("MLBOOK_USER_ENV", "/opt/mlbook-env"))
SPAWNER = env("MLBOOK_SPAWNER", "systemd")
if SPAWNER not in ("systemd", "local"):
    raise ValueError(f"MLBOOK_SPAWNER must be 'systemd' or 'local', got {SPAWNER!r}")
# SystemdSpawner starts each server with systemd-run, which needs systemd as PID 1 (sd_booted():
# /run/systemd/system exists). Without it every spawn fails with systemd-run's "System has not
# been booted with systemd as init system (PID 1). Can't operate." - say so at start instead.
if SPAWNER == "systemd" and not os.path.isdir("/run/systemd/system"):
    raise SystemExit("deploy/jupyterhub_config.py: MLBOOK_SPAWNER=systemd needs systemd as PID 1 "
                     "(/run/systemd/system is missing: a container?). Run the hub where systemd "
                     "runs, or set MLBOOK_SPAWNER=local (servers run as the students' Unix users, "
                     "but the memory/CPU limits are NOT enforced).")
c.JupyterHub.spawner_class = "systemdspawner" if SPAWNER == "systemd" else "localprocess"
c.Spawner.cmd = [str(USER_ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.mem_limit = env("MLBOOK_MEM_LIMIT", "2G")     # enforced by SystemdSpawner
c.Spawner.cpu_limit = float(env("MLBOOK_CPU_LIMIT", "1"))
c.SystemdSpawner.isolate_tmp = True
c.SystemdSpawner.isolate_devices = True
c.SystemdSpawner.disable_user_sudo = True
c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 120

# Many kernels share the cores on a hub: numpy's BLAS (OpenBLAS) and OpenMP start one thread
# per core in EVERY kernel, so 20 kernels on 2 cores run 40 busy threads that preempt each other
# (benchmarks/bench_hub.py measures it). One thread per kernel; kernels inherit the server's env.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def kernel_thread_env(threads):
    """{var: str(threads)} for every BLAS/OpenMP thread-count variable; {} when threads == 0."""
    threads = int(threads)
    if threads < 0:
        raise ValueError(f"MLBOOK_KERNEL_THREADS must be >= 0 (0 = no limit), got {threads}")
    return {v: str(threads) for v in THREAD_VARS} if threads else {}


c.Spawner.environment = {
    **kernel_thread_env(env("MLBOOK_KERNEL_THREADS", "1")),
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}

# -- idle culler (a hub-managed service, jupyterhub-idle-culler from PyPI) ---------------------
CULL_IDLE = int(env("MLBOOK_CULL_IDLE", "3600"))
CULL_EVERY = int(env("MLBOOK_CULL_EVERY", "300"))    # how often the culler looks
if CULL_IDLE > 0:
    c.JupyterHub.services = [{
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={CULL_IDLE}", f"--cull-every={CULL_EVERY}", "--concurrency=5"],
    }]
    c.JupyterHub.load_roles = [{
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }]
# the kernels inside a server are culled by the server itself (a kernel left running after a
# student closes the tab holds its memory until then)
c.Spawner.args = [f"--MappingKernelManager.cull_idle_timeout={max(CULL_IDLE, 600)}",
                  "--MappingKernelManager.cull_interval=120"]
