"""A real JupyterHub from the course's configuration, and simulated students that use it.

:class:`Hub` starts ``jupyterhub -f tests/hub/jupyterhub_config_testmode.py`` (which loads
deploy/jupyterhub_config.py) on free 127.0.0.1 ports in a temporary folder, and
:meth:`Hub.stop` leaves no process behind: every process of the run (hub, proxy, idle culler,
student servers, kernels) carries ``MLBOOK_HUB_RUN=<id>`` in its environment, and whatever
still carries it after the hub's own shutdown is terminated, then killed.

:class:`Student` is one student's browser, reduced to what it sends: REST calls to their server
through the hub's proxy with their own API token, nbgitpuller's pull, nbgrader's Assignments
tab (fetch, submit, fetch feedback), and cells run over a kernel's websocket
(:class:`KernelSession`, the Jupyter messaging protocol that JupyterLab speaks).

Used by tests/hub/ and benchmarks/bench_hub.py.
"""
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))   # tests/

import procstop  # noqa: E402  (tests/procstop.py: the stop loop shared with tests/ui/labui.py)


CI_CLASS_SIZE = 4       # students in the CI run; MLBOOK_HUB_STUDENTS sets another size


def class_size():
    """The class size for the hub tests: MLBOOK_HUB_STUDENTS, default :data:`CI_CLASS_SIZE`."""
    raw = os.environ.get("MLBOOK_HUB_STUDENTS", str(CI_CLASS_SIZE))
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"MLBOOK_HUB_STUDENTS must be a positive integer, got {raw!r}")
    return n


ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
TEST_CONFIG = pathlib.Path(__file__).resolve().parent / "jupyterhub_config_testmode.py"
COURSE_ID = "mlbook"

__all__ = ["hub_unavailable_reason", "find_chp", "Hub", "Student", "KernelSession", "HubError"]


class HubError(RuntimeError):
    pass


def find_chp():
    """configurable-http-proxy: $MLBOOK_CHP, deploy/node_modules (npm ci --prefix deploy), PATH."""
    for cand in (os.environ.get("MLBOOK_CHP"),
                 DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy",
                 shutil.which("configurable-http-proxy")):
        if cand and pathlib.Path(cand).is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def hub_unavailable_reason():
    """None when the hub tests can run, else why not (the hub extra or the proxy is missing)."""
    missing = []
    for module, package in (("jupyterhub", "jupyterhub"), ("nbgitpuller", "nbgitpuller"),
                            ("nbgrader", "nbgrader"), ("jupyterhub_idle_culler",
                                                       "jupyterhub-idle-culler"),
                            ("websocket", "websocket-client")):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    if missing:
        return (f"the hub extra is not installed (missing {', '.join(missing)}): "
                f"pip install -e '.[hub]'")
    if find_chp() is None:
        return ("configurable-http-proxy not found (npm ci --prefix deploy, or set MLBOOK_CHP)")
    if shutil.which("git") is None:
        return "git not found (nbgitpuller needs it)"
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, method="GET", body=None, token=None, timeout=60, form=None):
    headers = {}
    data = None
    if token:
        headers["Authorization"] = f"token {token}"
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
    except urllib.error.HTTPError as exc:
        raise HubError(f"{method} {url} -> HTTP {exc.code}: "
                       f"{exc.read().decode(errors='replace')[:800]}") from None
    return json.loads(text) if text.strip() else None


class Hub:
    """The course hub in test mode (see tests/hub/jupyterhub_config_testmode.py)."""

    def __init__(self, workdir, kernel_threads=1, cull_idle=3600, cull_every=300,
                 config=TEST_CONFIG, extra_env=None):
        self.work = pathlib.Path(workdir)
        self.config = pathlib.Path(config)      # tests/hub/test_production_path.py passes its own
        self.extra_env = dict(extra_env or {})
        self.internal_port = None
        self.kernel_threads, self.cull_idle, self.cull_every = kernel_threads, cull_idle, cull_every
        self.run_id = uuid.uuid4().hex
        self.admin_token = secrets.token_hex(24)
        self.port = None
        self.proc = None
        self.log_path = self.work / "jupyterhub.log"
        self.exchange = self.work / "exchange"
        self.etc_jupyter = self.work / "etc-jupyter"
        self.started_in = None
        self.timings = []          # (what, seconds) of the instructor's commands

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _write_nbgrader_config(self):
        """The exchange of this run: deploy/nbgrader_config.py, then two test-mode overrides."""
        self.etc_jupyter.mkdir(parents=True, exist_ok=True)
        (self.etc_jupyter / "nbgrader_config.py").write_text(
            "import os\n"
            "c = get_config()  # noqa: F821\n"
            f"load_subconfig({str(DEPLOY / 'nbgrader_config.py')!r})  # noqa: F821\n"
            "# test mode: the exchange of this run (production: /srv/nbgrader/exchange)\n"
            f"c.Exchange.root = {str(self.exchange)!r}\n"
            "# test mode: every student server runs as the same Unix user, so nbgrader cannot\n"
            "# name a submission after its Unix owner (production): use the hub user instead\n"
            "if os.environ.get('JUPYTERHUB_USER'):\n"
            "    c.CourseDirectory.student_id = os.environ['JUPYTERHUB_USER']\n",
            encoding="utf-8")

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTERHUB_", "JPY_", "JUPYTER_"))}
        env.update(
            MLBOOK_HUB_TEST_DIR=str(self.work), MLBOOK_HUB_RUN=self.run_id,
            MLBOOK_HUB_PORT=str(self.port), MLBOOK_HUB_INTERNAL_PORT=str(self.internal_port),
            MLBOOK_HUB_PROXY_API_PORT=str(free_port()), MLBOOK_CHP=find_chp(),
            # what deploy/jupyterhub_config.py itself reads (test mode overrides both)
            MLBOOK_HUB_BIND_URL=f"http://127.0.0.1:{self.port}", MLBOOK_HUB_STATE=str(self.work),
            MLBOOK_HUB_ADMIN_TOKEN=self.admin_token, MLBOOK_KERNEL_THREADS=str(self.kernel_threads),
            MLBOOK_CULL_IDLE=str(self.cull_idle), MLBOOK_CULL_EVERY=str(self.cull_every),
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            # the hub's managed services and nbgrader call their commands by name
            PATH=str(pathlib.Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
            PYTHONUNBUFFERED="1",
            # the production config refuses systemd where it is not PID 1; test mode replaces
            # the spawner anyway
            MLBOOK_SPAWNER="local")
        env.update(self.extra_env)
        return {k: v for k, v in env.items() if v is not None}    # None: unset

    def start(self, timeout=120):
        self.work.mkdir(parents=True, exist_ok=True)
        self._write_nbgrader_config()
        self.port, self.internal_port = free_port(), free_port()
        t0 = time.monotonic()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(self.config)], cwd=self.work,
            env=self.env(), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        while True:
            if self.proc.poll() is not None:
                raise HubError(f"jupyterhub exited with code {self.proc.returncode}; log:\n"
                               f"{self.log_tail()}")
            try:
                info = _request(f"{self.url}/hub/api/", timeout=3)
                if info and "version" in info:
                    self.version = info["version"]
                    break
            except (OSError, HubError, ValueError):
                pass
            if time.monotonic() - t0 > timeout:
                raise HubError(f"the hub did not answer within {timeout} s; log:\n{self.log_tail()}")
            time.sleep(0.2)
        self.started_in = time.monotonic() - t0
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log_tail(self, n=60):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    # -- the REST API, as the admin ------------------------------------------------------------
    def api(self, method, path, body=None, timeout=60):
        return _request(f"{self.url}/hub/api{path}", method, body, self.admin_token, timeout)

    def add_users(self, names):
        return self.api("POST", "/users", {"usernames": list(names)})

    def token_for(self, name):
        return self.api("POST", f"/users/{name}/tokens", {"note": "simulated student"})["token"]

    def request_spawn(self, name):
        self.api("POST", f"/users/{name}/server", {})

    def wait_ready(self, names, timeout=300, since=None):
        """Wait until every named user's default server is ready; {name: seconds since
        ``since`` (a time.monotonic(); default: now)}."""
        t0 = time.monotonic() if since is None else since
        left, ready = set(names), {}
        while left:
            for name in sorted(left):
                server = self.api("GET", f"/users/{name}")["servers"].get("", {})
                if server.get("ready"):
                    ready[name] = time.monotonic() - t0
                    left.discard(name)
            if left and time.monotonic() - t0 > timeout:
                raise HubError(f"servers not ready after {timeout} s: {sorted(left)}; log:\n"
                               f"{self.log_tail()}")
            if left:
                time.sleep(0.3)
        return ready

    def spawn(self, names, timeout=300):
        """Request every named user's server at once, wait until all are ready; {name: seconds
        from the first request until that server was seen ready}."""
        import concurrent.futures

        t0 = time.monotonic()
        # at once, as students clicking at the same time: the hub's API answers a spawn request
        # only when the server is up or after its slow_spawn_timeout (10 s), so one request
        # after another would serialize the spawns
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(32, len(names) or 1)) as pool:
            list(pool.map(self.request_spawn, names))
        return self.wait_ready(names, timeout, since=t0)

    def student(self, name):
        return Student(self, name, self.token_for(name))

    # -- processes -----------------------------------------------------------------------------
    def processes(self):
        """{pid: command} of every live process started for this run: its environment holds
        this run's marker, or this hub's internal API URL (what the hub gives every server and
        service it starts, whatever their Unix user and whichever variables their spawner keeps)."""
        markers = {f"MLBOOK_HUB_RUN={self.run_id}".encode(),
                   f"JUPYTERHUB_API_URL=http://127.0.0.1:{self.internal_port}/hub/api".encode()}
        found = {}
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if markers.intersection((entry / "environ").read_bytes().split(b"\0")):
                    stat = (entry / "stat").read_text()
                    if stat.rsplit(")", 1)[1].split()[0] == "Z":
                        continue          # a zombie is dead already (its parent reaps it)
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError):
                continue
        return found

    def stop(self):
        """Stop the hub (which stops the servers and the proxy), then anything left of the run."""
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                try:
                    self.api("POST", "/shutdown", {"servers": True, "proxy": True}, timeout=10)
                except (OSError, HubError, ValueError):
                    pass
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            procstop.terminate_then_kill(self.proc, lambda: list(self.processes()),
                                         grace=10, poll=0.2)
        finally:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._log.close()
            self.proc = None

    # -- the instructor, in a terminal on the hub ----------------------------------------------
    def nbgrader(self, course_dir, *args, timeout=900):
        """``nbgrader ARGS`` run in the course folder with the hub's exchange configuration."""
        env = self.env()
        env["JUPYTER_CONFIG_PATH"] = str(self.etc_jupyter)
        t0 = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir,
                                env=env, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise HubError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
        self.timings.append((f"nbgrader {args[0]}", time.monotonic() - t0))
        return result.stdout + result.stderr


class Student:
    """One student: their hub user, their API token, their server behind the hub's proxy."""

    def __init__(self, hub, name, token):
        self.hub, self.name, self.token = hub, name, token
        self.base = f"{hub.url}/user/{name}"

    def api(self, method, path, body=None, timeout=60, form=None):
        return _request(self.base + path, method, body, self.token, timeout, form)

    # -- the browser: log in on the hub's page, then follow links with its cookies -------------
    def browser(self, password="any"):
        """A cookie-keeping opener logged in through the hub's login form (test mode: any
        password; production: the student's own)."""
        import http.cookiejar
        import re

        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(f"{self.hub.url}/hub/login", timeout=60) as r:
            page = r.read().decode()
        xsrf = re.search(r'name="_xsrf"\s+value="([^"]+)"', page)
        form = {"username": self.name, "password": password}
        if xsrf:
            form["_xsrf"] = xsrf.group(1)
        try:
            with opener.open(f"{self.hub.url}/hub/login?next=/hub/home",
                             data=urllib.parse.urlencode(form).encode(), timeout=60) as r:
                if not r.geturl().endswith("/hub/home"):
                    raise HubError(f"log-in of {self.name} failed: ended at {r.geturl()}")
        except urllib.error.HTTPError as exc:       # a refused password: 403 and the form again
            raise HubError(f"log-in of {self.name} failed: HTTP {exc.code}") from None
        return opener

    def open_link(self, url, timeout=120):
        """Follow ``url`` as the logged-in student's browser: (final URL, status, body)."""
        opener = getattr(self, "_browser", None) or self.browser()
        self._browser = opener
        with opener.open(url, timeout=timeout) as r:
            return r.geturl(), r.status, r.read().decode(errors="replace")

    # -- nbgitpuller ---------------------------------------------------------------------------
    def git_pull(self, repo, branch="main", target=None, timeout=120):
        """What the nbgitpuller link's page does: ``git-pull/api`` (an event stream) until it
        says finished. Returns the events."""
        query = {"repo": repo, "branch": branch}
        if target:
            query["targetpath"] = target
        req = urllib.request.Request(f"{self.base}/git-pull/api?{urllib.parse.urlencode(query)}",
                                     headers={"Authorization": f"token {self.token}"})
        events = []
        with urllib.request.urlopen(req, timeout=timeout) as r:
            for raw in r:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    events.append(event)
                    if event.get("phase") == "error":
                        raise HubError(f"nbgitpuller failed for {self.name}: {event}")
                    if event.get("phase") == "finished":
                        return events
        raise HubError(f"nbgitpuller's stream ended without 'finished' for {self.name}: {events}")

    # -- contents ------------------------------------------------------------------------------
    def read_notebook(self, path):
        return self.api("GET", f"/api/contents/{urllib.parse.quote(path)}?content=1")["content"]

    def write_notebook(self, path, nb):
        self.api("PUT", f"/api/contents/{urllib.parse.quote(path)}",
                 {"type": "notebook", "format": "json", "content": nb})

    def listdir(self, path=""):
        return [e["name"] for e in self.api("GET", f"/api/contents/{urllib.parse.quote(path)}")["content"]]

    # -- nbgrader's Assignments tab ------------------------------------------------------------
    def assignments(self):
        out = self.api("GET", f"/assignments?course_id={COURSE_ID}")
        if not out.get("success"):
            raise HubError(f"assignment list failed for {self.name}: {out}")
        return out["value"]

    def assignment_action(self, action, assignment):
        out = self.api("POST", f"/assignments/{action}",
                       form={"course_id": COURSE_ID, "assignment_id": assignment}, timeout=120)
        if isinstance(out, dict) and out.get("success") is False:
            raise HubError(f"{action} failed for {self.name}: {out}")
        return out

    # -- a notebook open in JupyterLab ---------------------------------------------------------
    def open_notebook(self, path):
        """Start a kernel for ``path`` as JupyterLab does (a session) and connect its websocket."""
        session = self.api("POST", "/api/sessions", {"path": path, "name": path.split("/")[-1],
                                                     "type": "notebook",
                                                     "kernel": {"name": "python3"}})
        return KernelSession(self, session)


def _decode_ws(raw):
    """A kernel websocket message: JSON text, or (a message with buffers, e.g. a widget's image)
    jupyter_server's binary frame: uint32 count n, n uint32 offsets, the JSON, the buffers."""
    if isinstance(raw, str):
        return json.loads(raw)
    n = int.from_bytes(raw[:4], "big")
    offsets = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(n)]
    return json.loads(raw[offsets[0]:offsets[1] if n > 1 else None].decode())


class KernelSession:
    """A kernel's websocket (``/api/kernels/<id>/channels``) through the hub's proxy."""

    def __init__(self, student, session):
        self.student, self.session = student, session
        self.kernel_id = session["kernel"]["id"]
        self.session_id = uuid.uuid4().hex
        self.url = (f"ws://127.0.0.1:{student.hub.port}/user/{student.name}/api/kernels/"
                    f"{self.kernel_id}/channels?session_id={self.session_id}")
        self.ws = None
        self._connect()

    def _connect(self):
        import websocket

        self.ws = websocket.create_connection(self.url, timeout=120, header=[
            f"Authorization: token {self.student.token}"])

    def execute(self, code, timeout=120):
        """Run ``code``; return {'text': all text output, 'error': (ename, evalue) or None,
        'status': 'ok'|'error'}.

        The websocket is opened anew when the server has closed it: the server pings every
        30 s and drops a connection whose pongs stop, and an idle simulated student does not
        read (a browser answers pings in the background)."""
        if self.ws is not None and self.ws.connected:
            self.ws.close()                      # its unanswered pings may have expired it
        self._connect()
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": self.student.name,
                       "session": self.session_id, "msg_type": "execute_request",
                       "version": "5.3", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        text, error, status, idle = [], None, None, False
        deadline = time.monotonic() + timeout
        while not (idle and status):
            self.ws.settimeout(max(1.0, deadline - time.monotonic()))
            raw = self.ws.recv()
            if not raw:
                raise HubError(f"the kernel's websocket closed while a cell ran for "
                               f"{self.student.name} (kernel {self.kernel_id})")
            msg = _decode_ws(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                text.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                error = (content["ename"], content["evalue"])
            elif kind == "execute_reply":
                status = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            if time.monotonic() > deadline:
                raise HubError(f"cell still running after {timeout} s for {self.student.name}")
        return {"text": "".join(text), "error": error, "status": status}

    def close(self):
        try:
            self.ws.close()
        finally:
            self.student.api("DELETE", f"/api/sessions/{self.session['id']}")
