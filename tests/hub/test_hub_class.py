"""A class on one hub, with simulated students (issue 25).

The real JupyterHub starts from deploy/jupyterhub_config.py (test mode: see
tests/hub/jupyterhub_config_testmode.py), with configurable-http-proxy, on 127.0.0.1 only. Then:

1. the roster CSV becomes hub users through the REST API (deploy/roster.py); their servers are
   spawned, each with its own home folder;
2. every student follows the nbgitpuller link (deploy/nbgitpuller_link.py) to the student
   repository (deploy/student_repo.py: student notebooks, no solutions), opens notebook 01
   through the hub's proxy and runs cells over the kernel's websocket: their own answer to an
   exercise and its check (✅, ❌ or ⏳ as their answer deserves), and an explorer update;
3. the instructor releases an assignment through nbgrader's exchange; every student fetches it
   in their Assignments tab, writes their (different) answers and submits; the instructor
   collects, autogrades and exports: every grade is right and the export lists them all;
   feedback goes back and a student fetches theirs.

Class size: MLBOOK_HUB_STUDENTS (default 4, CI; the full test runs 10 or more).
"""
import csv
import io
import json
import re
import sys
import time
import urllib.parse
import urllib.request

import pytest

import hubsim
from hubsim import class_size

sys.path.insert(0, str(hubsim.DEPLOY))

import nbgitpuller_link  # noqa: E402
import roster  # noqa: E402
import setup_course  # noqa: E402
import student_repo  # noqa: E402

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_forward_pass"
NET_RIGHT = "return np.log(y) - np.log1p(-y)"
NET_WRONG = "return np.log(y)"                           # ignores the 1 - y
LAYER_RIGHT = "return sigmoid(X @ W.T + b)"
LAYER_WRONG = "return sigmoid(X @ W.T)"                  # forgot the bias
# (answer to net_for_output, answer to layer_forward, edits the locked check cell?, points)
# None = left as released (NotImplementedError). "tampered" rewrites the locked test cell of
# the exercise it got wrong so that it cannot fail: nbgrader restores locked cells when grading.
VARIANTS = {
    "both_right": (NET_RIGHT, LAYER_RIGHT, False, 2),
    "net_wrong": (NET_WRONG, LAYER_RIGHT, False, 1),
    "layer_wrong": (NET_RIGHT, LAYER_WRONG, False, 1),
    "untouched": (None, None, False, 0),
    "tampered": (NET_WRONG, LAYER_RIGHT, True, 1),
    "both_wrong": (NET_WRONG, LAYER_WRONG, False, 0),
}
CHECK_MARK = {NET_RIGHT: "✅ Correct", NET_WRONG: "❌ Not yet", None: "⏳ Not attempted"}
EXPLORER_LR = 2.0


def _variant(i):
    return list(VARIANTS)[i % len(VARIANTS)]


@pytest.fixture(scope="module")
def roster_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "first_name", "last_name", "email"])
        for i in range(1, class_size() + 1):
            w.writerow([f"student{i:02d}", f"First{i}", f"Last{i}", f"s{i}@example.edu"])
    return path


@pytest.fixture(scope="module")
def classroom(hub, roster_csv):
    """The roster's students on the hub, their servers running. {name: Student}, timings."""
    rows = roster.read_roster(roster_csv)
    out = io.StringIO()
    added = roster.add_students(roster.HubAPI(hub.url, hub.admin_token), rows, out=out)
    names = [r["id"] for r in rows]
    assert added == names, out.getvalue()
    t0 = time.monotonic()
    hub.spawn(names)
    spawn_s = time.monotonic() - t0
    students = {n: hub.student(n) for n in names}
    return {"students": students, "variant": {n: _variant(i) for i, n in enumerate(names)},
            "spawn_s": spawn_s, "roster_out": out.getvalue()}


@pytest.fixture(scope="module")
def pulled(hub, classroom, tmp_path_factory):
    """Every student followed the nbgitpuller link; {name: folder in their home}."""
    repo = student_repo.make_student_repo(tmp_path_factory.mktemp("git") / "mlbook-student")
    link = nbgitpuller_link.nbgitpuller_link(hub.url, str(repo), "main", f"{ASSIGNMENT}.ipynb")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
    pages = {}
    for name, student in classroom["students"].items():
        # the link itself, in the student's browser: log in, and the hub sends them on to
        # nbgitpuller's page in THEIR server
        pages[name] = student.open_link(link)
        # what nbgitpuller's page then does in the browser: clone, as an event stream
        student.git_pull(query["repo"], query["branch"], query["targetpath"])
    return {"repo": repo, "link": link, "query": query, "pages": pages,
            "target": query["targetpath"]}


# --------------------------------------------------------------------------------------------
# 1. the hub, the students, their servers

def test_roster_students_are_hub_users_with_running_servers(hub, classroom):
    names = list(classroom["students"])
    assert len(names) == class_size()
    users = {u["name"]: u for u in hub.api("GET", "/users?limit=1000")}
    for name in names:
        assert users[name]["servers"][""]["ready"], name
        assert not users[name]["admin"]
        assert (hub.work / "home" / name).is_dir()
    # the roster again: nobody is added twice
    again = roster.add_students(roster.HubAPI(hub.url, hub.admin_token),
                                [{"id": n} for n in names], out=io.StringIO())
    assert again == []
    # the production idle culler runs as a hub service
    culler = hub.api("GET", "/services")["idle-culler"]
    assert culler["pid"] in hub.processes(), culler


def test_roster_rejects_bad_rows(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,first_name\nstudent01,A\nStudent 2,B\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3: id must be a login name.*'Student 2'"):
        roster.read_roster(bad)
    bad.write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'id' column"):
        roster.read_roster(bad)
    bad.write_text("id\nab\nab\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: id 'ab' appears twice"):
        roster.read_roster(bad)


def test_a_student_token_reaches_only_their_own_server(classroom):
    names = list(classroom["students"])
    if len(names) < 2:
        pytest.skip("needs two students")
    a, b = classroom["students"][names[0]], classroom["students"][names[1]]
    intruder = hubsim.Student(a.hub, b.name, a.token)      # a's token, b's server
    with pytest.raises(hubsim.HubError, match="HTTP 403"):
        intruder.api("GET", "/api/contents/")


# --------------------------------------------------------------------------------------------
# 2. nbgitpuller, a notebook, cells over the kernel's websocket

def test_nbgitpuller_link_brings_the_student_notebooks(classroom, pulled):
    link = pulled["link"]
    hub_url = next(iter(classroom["students"].values())).hub.url
    assert link.startswith(f"{hub_url}/hub/user-redirect/git-pull?")
    assert pulled["query"]["urlpath"] == f"lab/tree/mlbook-student/{ASSIGNMENT}.ipynb"
    expected = sorted(p.name for p in (hubsim.ROOT / "notebooks" / "student").glob("[0-9][0-9]_*.ipynb"))
    for name, student in classroom["students"].items():
        url, status, page = pulled["pages"][name]
        assert status == 200 and url.startswith(f"{student.base}/git-pull?"), url
        assert "nbgitpuller" in page.lower() or "git-pull" in page, page[:500]
        files = student.listdir(pulled["target"])
        assert sorted(f for f in files if f.endswith(".ipynb")) == expected
        nb = student.read_notebook(f"{pulled['target']}/{ASSIGNMENT}.ipynb")
        text = json.dumps(nb)
        assert "### BEGIN SOLUTION" not in text and 'NotImplementedError(\\"exercise\\")' in text


def _cell(nb, predicate):
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and predicate(src):
            return src
    raise AssertionError("no such cell")


def _answer(src, body):
    """The exercise cell with the student's body instead of ``raise NotImplementedError(...)``."""
    if body is None:
        return src
    new, n = re.subn(r"^(\s*)raise NotImplementedError\(.*\)\s*$",
                     lambda m: m.group(1) + body, src, count=1, flags=re.M)
    assert n == 1, src
    return new


def test_every_student_runs_a_check_and_an_explorer_through_the_proxy(hub, classroom, pulled):
    from mlbook.widgets.lr_explorer import lr_explorer_update

    want_error = f"{lr_explorer_update(EXPLORER_LR)['final_error']:.9f}"
    for name, student in classroom["students"].items():
        net_answer = VARIANTS[classroom["variant"][name]][0]
        nb = student.read_notebook(f"{pulled['target']}/{ASSIGNMENT}.ipynb")
        kernel = student.open_notebook(f"{pulled['target']}/{ASSIGNMENT}.ipynb")
        try:
            cells = [_cell(nb, lambda s: "from mlbook.checks import" in s),
                     _answer(_cell(nb, lambda s: s.startswith("def net_for_output")), net_answer),
                     _cell(nb, lambda s: s.strip() == "check_net_for_output(net_for_output)")]
            results = [kernel.execute(c) for c in cells]
            assert [r["error"] for r in results] == [None] * 3, (name, results)
            assert CHECK_MARK[net_answer] in results[2]["text"], (name, results[2])
            env = kernel.execute("import os\n"
                                 "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'],"
                                 " os.environ['JUPYTERHUB_USER'], os.environ['MEM_LIMIT'],"
                                 " os.environ['CPU_LIMIT'], os.getcwd())")
            threads, omp, user, mem, cpu, cwd = env["text"].split()
            assert (threads, omp, user) == ("1", "1", name)         # the per-kernel limit
            # the per-user limits as configured (2G, 1 core); enforced by systemd in production
            assert (int(mem), float(cpu)) == (2 * 1024 ** 3, 1.0)
            assert cwd == str(hub.work / "home" / name / pulled["target"])
            explorer = kernel.execute(
                "from mlbook.widgets import lr_explorer\n"
                "ex = lr_explorer()\n"
                f"ex.controls['lr'].value = {EXPLORER_LR!r}\n"
                "ex.wait()\n"
                "print(f\"{ex.data['lr']} {ex.data['final_error']:.9f} {len(ex.png) > 1000} "
                "{ex.timings[-1]['total'] > 0}\")")
            assert explorer["error"] is None, explorer
            assert explorer["text"].split() == [str(EXPLORER_LR), want_error, "True", "True"]
        finally:
            kernel.close()


# --------------------------------------------------------------------------------------------
# 3. nbgrader's exchange: release, fetch, submit, collect, autograde, export, feedback

def _answer_assignment(nb, variant):
    net, layer, tamper, _ = VARIANTS[variant]
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if meta.get("solution"):
            body = net if meta["grade_id"] == "solution-net_for_output" else layer
            if body is not None:
                src, n = re.subn(r"^(\s*)raise NotImplementedError\(\)\s*$",
                                 lambda m: m.group(1) + body, src, count=1, flags=re.M)
                assert n == 1, src
        elif tamper and meta.get("grade_id") == "check-net_for_output":
            src = "result = None  # the check cannot fail now"
        cell["source"] = src
    return nb


@pytest.fixture(scope="module")
def graded(hub, classroom, roster_csv, tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    log = io.StringIO()
    assert setup_course.setup_course(course, exchange=hub.exchange, out=log) == 0, log.getvalue()
    hub.nbgrader(course, "db", "student", "import", str(roster_csv))
    hub.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    hub.nbgrader(course, "release_assignment", ASSIGNMENT, "--force")
    listed = {}
    for name, student in classroom["students"].items():
        listed[name] = [(a["assignment_id"], a["status"]) for a in student.assignments()]
        student.assignment_action("fetch", ASSIGNMENT)
        path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        student.write_notebook(path, _answer_assignment(student.read_notebook(path),
                                                        classroom["variant"][name]))
        student.assignment_action("submit", ASSIGNMENT)
    submitted = {n: [(a["assignment_id"], a["status"]) for a in s.assignments()]
                 for n, s in classroom["students"].items()}
    hub.nbgrader(course, "collect", ASSIGNMENT)
    t0 = time.monotonic()
    hub.nbgrader(course, "autograde", ASSIGNMENT, "--force")
    autograde_s = time.monotonic() - t0
    hub.nbgrader(course, "export")
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        grades = list(csv.DictReader(f))
    hub.nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    hub.nbgrader(course, "release_feedback", ASSIGNMENT)
    print("instructor's commands:", ", ".join(f"{w} {t:.1f} s" for w, t in hub.timings))
    return {"course": course, "listed": listed, "submitted": submitted, "grades": grades,
            "autograde_s": autograde_s}


def test_students_see_fetch_and_submit_the_released_assignment(classroom, graded):
    for name in classroom["students"]:
        assert (ASSIGNMENT, "released") in graded["listed"][name], graded["listed"][name]
        assert (ASSIGNMENT, "submitted") in graded["submitted"][name], graded["submitted"][name]
        assert (graded["course"] / "submitted" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


def test_every_grade_is_right_and_the_export_lists_every_student(classroom, graded):
    rows = {r["student_id"]: r for r in graded["grades"] if r["assignment"] == ASSIGNMENT}
    assert sorted(rows) == sorted(classroom["students"]), graded["grades"]
    got = {n: (float(rows[n]["score"]), float(rows[n]["max_score"])) for n in rows}
    want = {n: (float(VARIANTS[v][3]), 2.0) for n, v in classroom["variant"].items()}
    assert got == want
    assert all(rows[n]["problems"] == "" for n in rows), graded["grades"]
    from nbgrader.api import Gradebook       # the roster's names reached the gradebook
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        for n in rows:
            assert gb.find_student(n).first_name == f"First{int(n[-2:])}"


def test_a_student_fetches_their_feedback(classroom, graded):
    name, student = next(iter(classroom["students"].items()))
    student.assignment_action("fetch_feedback", ASSIGNMENT)
    folder = f"{ASSIGNMENT}/feedback"
    (stamp,) = student.listdir(folder)
    path = urllib.parse.quote(f"{folder}/{stamp}/{ASSIGNMENT}.html")
    html = student.api("GET", f"/api/contents/{path}?content=1")["content"]
    points = VARIANTS[classroom["variant"][name]][3]
    assert re.search(rf"Score:\s*{points}(\.0)?\s*/\s*2(\.0)?", html), html[:2000]
