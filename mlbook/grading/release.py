"""The nbgrader course source: ``python -m mlbook.student --nbgrader DIR`` (nbgrader 0.9, schema 3).

For every solution notebook that has exercises (00 has none: it is not an assignment) this writes
``DIR/source/<stem>/<stem>.ipynb``:

* every code cell with a ``### BEGIN/END SOLUTION`` region becomes an nbgrader solution cell;
* every check cell a locked test cell worth :data:`POINTS` point(s) — in the student's kernel it
  shows the check's ✅/❌; at grading time its verdict comes from the sandboxed check instead
  (:mod:`mlbook.grading.nbgrader_plugins`), never from the kernel;
* the ``✔️ Solution`` boxes go, and so does every hint box whose text contains the answer's code
  (a line of the exercise's solution, spaces ignored), and any code quoted in the prose that
  contains it (a summary's ``child.grad += ...``); a locked first cell tells ``hint()`` which
  registered hints to withhold for the same reason (``hints="explain"``, the default;
  ``"all"`` keeps every hint, ``"none"`` removes all of them);
* outputs are cleared.

``DIR/nbgrader_config.py`` (unless one exists) sets the course root, ``course_id``, the exchange
folder, the sandboxed autograding and the per-exercise export.
"""
import argparse
import copy
import json
import pathlib
import re
import sys

POINTS = 1
CHECK_CELL = re.compile(r"^\s*(check_\w+)\((.*)\)\s*;?\s*$", re.S)
from mlbook.markers import BEGIN, END, MARKER, NEAR_MARKER, MarkerError, strip_solutions
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
HINT_POLICIES = ("explain", "all", "none")
_SOLUTION_BOX = re.compile(r"\n*<details>\s*<summary>\s*✔️ Solution\s*</summary>.*?</details>[ \t]*\n?",
                           re.S)
_HINT_BOX = re.compile(r"\n*<details>\s*<summary>\s*💡 Hint (\d+)\s*</summary>(.*?)</details>[ \t]*\n?",
                       re.S)
# a link to another notebook of the course: each one sits in its own assignment folder
_NOTEBOOK_LINK = re.compile(r"(\]\(|href=\")(?:\./)?(?:student/)?(\d\d_[\w-]+)\.ipynb")
SETUP_ID = "graded-release-setup"
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]+`", re.S)
WITHHELD = "*(the exercise's code: not shown in the graded release)*"
MIN_FRAGMENT = 6            # characters (spaces removed) a solution line needs to count as code

NBGRADER_CONFIG = """\
# nbgrader configuration written by `python -m mlbook.student --nbgrader`.
# nbgrader finds the course from here, whatever the current folder, e.g.
#     nbgrader generate_assignment 03_computational_graphs --config {config}
import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
# where release_assignment puts the releases and collect finds the submissions (students'
# nbgrader_config.py need the same course_id and Exchange.root)
c.Exchange.root = {exchange!r}
# Autograding does not execute the notebook: each test cell's verdict comes from the exercise's
# check run in a sandbox (bubblewrap) on the submitted solution cells (mlbook.grading).
def _has(step):    # IgnorePattern is in newer nbgrader releases only: keep what this one has
    import importlib
    module, _, name = step.rpartition(".")
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


c.Autograde.autograde_preprocessors = [step for step in [
    "mlbook.grading.nbgrader_plugins.IsolatedGrade",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
] if _has(step)]
c.IsolatedGrade.timeout = 150         # seconds per exercise (the whole sandbox is then killed)
c.IsolatedGrade.memory_mb = 2048      # address space of the process running a student's code
# `nbgrader export`: one row per student and assignment, one column per exercise, and a
# "problems" column naming submissions that could not be graded and why
c.ExportApp.plugin_class = "mlbook.grading.nbgrader_plugins.ExerciseCsvExport"
"""


def _text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _split_lines(text):
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _code_lines(text):
    return [ln for ln in text.split("\n") if ln.strip() and not ln.strip().startswith("#")]


def _is_check_cell(text):
    lines = _code_lines(text)
    return len(lines) == 1 and CHECK_CELL.match(lines[0]) is not None


def _grade_id(kind, text, used):
    """A unique, readable grade_id: 'solution-neuron_output', 'check-neuron_output', ..."""
    if kind == "solution":
        m = re.search(r"^\s*(?:def|class)\s+(\w+)", text, re.M)
        base = m.group(1) if m else "cell"
    else:
        base = CHECK_CELL.match(_code_lines(text)[0]).group(1)[len("check_"):]
    gid, k = f"{kind}-{base}", 2
    while gid in used:
        gid, k = f"{kind}-{base}-{k}", k + 1
    used.add(gid)
    return gid


# --------------------------------------------------------------------------------------------
# answers in hints

def _squash(text):
    return re.sub(r"[\s`]+", "", text)


def solution_lines(text):
    """The code lines between BEGIN and END SOLUTION in ``text`` (comments dropped)."""
    out, inside = [], False
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith(BEGIN):
            inside = True
        elif s.startswith(END):
            inside = False
        elif inside:
            code = re.sub(r"\s+#.*$", "", s) if not s.startswith("#") else ""
            if code:
                out.append(code)
    return out


_TRIVIAL = re.compile(r"^(return\s+[\w.]+|[\w.]+\s*=\s*(\[\]|\{\}|\(\)|0|0\.0|None|\w+))$")


def is_trivial(line):
    """``return out``, ``self.pre = []``, ``n = len``-like lines: in any program, no answer."""
    return _TRIVIAL.match(line.strip()) is not None


def answer_fragments(lines):
    """What counts as the answer's code: each solution line and each ``;``/top-level piece of a
    ``return``, spaces removed, at least :data:`MIN_FRAGMENT` characters."""
    frags = set()
    for line in (ln for ln in lines if not is_trivial(ln)):
        for piece in [line] + line.split(";"):
            piece = piece.strip()
            if piece.startswith("return "):
                piece = piece[len("return "):]
                frags.update(p.strip() for p in _top_level_split(piece))
            frags.add(piece)
    return {f for f in map(_squash, frags) if len(f) >= MIN_FRAGMENT}


def _top_level_split(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def contains_answer(text, fragments):
    squashed = _squash(text)
    return any(f in squashed for f in fragments)


def withheld_hints(fragments, policy="explain"):
    """``{exercise: [hint numbers]}`` of the registered hints that ``hint()`` must not show."""
    import mlbook.checks  # noqa: F401 — registers the hints
    from mlbook.checks.core import HINTS
    if policy == "all":
        return {}
    out = {}
    for name, texts in sorted(HINTS.items()):
        nums = [n for n, t in enumerate(texts, start=1)
                if policy == "none" or contains_answer(t, fragments)]
        if nums:
            out[name] = nums
    return out


def _setup_cell(withheld, policy):
    if policy == "none":
        call = "withhold_hints(everything=True)"
    else:
        call = f"withhold_hints({json.dumps(withheld)})"
    text = ("# Graded release: hints that contain an answer's code are not shown here.\n"
            "from mlbook.checks.core import withhold_hints\n" + call)
    return {"cell_type": "code", "execution_count": None, "id": SETUP_ID, "outputs": [],
            "source": _split_lines(text),
            "metadata": {"nbgrader": {"grade": False, "grade_id": SETUP_ID, "locked": True,
                                      "schema_version": 3, "solution": False, "task": False},
                         "tags": []}}


# --------------------------------------------------------------------------------------------
# the release notebook

def make_release_notebook(nb, name="notebook", hints="explain"):
    """Return the nbgrader source version of the solution notebook dict ``nb`` (not modified).

    Raises :class:`mlbook.markers.MarkerError` for malformed markers, as the student version.
    """
    if hints not in HINT_POLICIES:
        raise ValueError(f"hints must be one of {HINT_POLICIES}, got {hints!r}")
    nb = copy.deepcopy(nb)
    used, fragments = set(), set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            fragments |= answer_fragments(solution_lines(_text(cell)))
    for index, cell in enumerate(nb.get("cells", []), start=1):
        text = _text(cell)
        where = f"{name}, cell {index}"
        meta = cell.setdefault("metadata", {})
        meta.pop("nbgrader", None)
        if cell.get("cell_type") != "code":
            if MARKER.search(text) or NEAR_MARKER.search(text):
                raise MarkerError(f"{where} ({cell.get('cell_type')} cell): solution markers "
                                  f"belong in code cells only")
            if cell.get("cell_type") == "markdown":
                new = _SOLUTION_BOX.sub("\n", text)
                if hints != "all":
                    new = _HINT_BOX.sub(lambda m: "\n" if hints == "none" or contains_answer(
                        m.group(2), fragments) else m.group(0), new)
                    # prose that quotes the answer's code (a summary, say): the quote goes
                    new = _CODE_SPAN.sub(lambda m: WITHHELD if contains_answer(
                        m.group(0), fragments) else m.group(0), new)
                new = _NOTEBOOK_LINK.sub(r"\1../\2/\2.ipynb", new)
                new = re.sub(r"\n{3,}", "\n\n", new).strip("\n") + ("\n" if text.endswith("\n") else "")
                cell["source"] = _split_lines(new)
            continue
        cell["outputs"], cell["execution_count"] = [], None
        meta.pop("execution", None)
        if strip_solutions(text, where) != text:        # validates the markers too
            meta["nbgrader"] = {"grade": False, "grade_id": _grade_id("solution", text, used),
                                "locked": False, "schema_version": 3, "solution": True,
                                "task": False}
        elif _is_check_cell(text):
            call = _code_lines(text)[0].strip().rstrip(";")
            cell["source"] = _split_lines(
                f"# Autograded: {POINTS} point(s) when the check says ✅. The grade comes from this\n"
                f"# check run on your solution cells in a separate process, not from this kernel.\n"
                f"result = {call}\n"
                f"display(result)\n"
                f"assert result.passed, str(result)")
            meta["nbgrader"] = {"grade": True, "grade_id": _grade_id("check", text, used),
                                "locked": True, "points": POINTS, "schema_version": 3,
                                "solution": False, "task": False}
    nb.get("metadata", {}).pop("widgets", None)
    if hints != "all" and any(c.get("metadata", {}).get("nbgrader", {}).get("solution")
                              for c in nb.get("cells", [])):
        nb["cells"].insert(0, _setup_cell(withheld_hints(fragments, hints), hints))
    return nb


def has_exercises(nb):
    return any(c.get("cell_type") == "code" and BEGIN in _text(c) for c in nb.get("cells", []))


def find_notebooks(notebooks_dir=None):
    """The solution notebooks' folder: ``notebooks_dir``, else ./notebooks, else the checkout's
    notebooks next to the imported mlbook package (so ``--nbgrader`` works from any folder)."""
    if notebooks_dir is not None and pathlib.Path(notebooks_dir).is_dir():
        return pathlib.Path(notebooks_dir)
    import mlbook
    for candidate in (pathlib.Path("notebooks"),
                      pathlib.Path(mlbook.__file__).resolve().parents[1] / "notebooks"):
        if notebooks_dir is None and candidate.is_dir():
            return candidate
    return None


def _dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def generate_course(out_dir, notebooks_dir=None, out=None, *, course_id="mlbook",
                    exchange="/srv/nbgrader/exchange", hints="explain"):
    """Write ``out_dir/source/<stem>/<stem>.ipynb`` per notebook with exercises. Exit code."""
    out = out if out is not None else sys.stdout
    found = find_notebooks(notebooks_dir)
    if found is None:
        print(f"error: no notebooks directory at {notebooks_dir or 'notebooks'} (and no checkout "
              f"next to the mlbook package); pass --notebooks DIR", file=out)
        return 2
    out_dir = pathlib.Path(out_dir).resolve()
    try:
        made = {}
        for path in sorted(found.glob(NOTEBOOK_GLOB)):
            nb = json.loads(path.read_text(encoding="utf-8"))
            release = make_release_notebook(nb, name=path.name, hints=hints)   # validates
            if has_exercises(nb):                   # 00 has none: it is not an assignment
                made[path] = _dumps(release)
    except MarkerError as exc:
        print(f"error: {exc}", file=out)
        return 2
    for path, text in made.items():
        target = out_dir / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    config = out_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG.format(course_id=course_id, exchange=str(exchange),
                                                 config=config), encoding="utf-8")
    print(f"wrote {len(made)} assignments to {out_dir / 'source'}; next: cd {out_dir} && "
          f"nbgrader generate_assignment <name>", file=out)
    return 0


def add_arguments(parser):
    parser.add_argument("--course-id", default="mlbook", help="nbgrader course_id (default mlbook)")
    parser.add_argument("--exchange", default="/srv/nbgrader/exchange",
                        help="nbgrader's exchange folder (default /srv/nbgrader/exchange)")
    parser.add_argument("--hints", choices=HINT_POLICIES, default="explain",
                        help="explain (default): drop the hints that contain an answer's code; "
                             "all: keep every hint; none: no hints")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlbook.grading.release",
                                     description="Write an nbgrader course source.")
    parser.add_argument("dir")
    parser.add_argument("--notebooks", default=None, help="folder of solution notebooks")
    add_arguments(parser)
    a = parser.parse_args(argv)
    return generate_course(a.dir, a.notebooks, course_id=a.course_id, exchange=a.exchange,
                           hints=a.hints)


if __name__ == "__main__":
    sys.exit(main())
