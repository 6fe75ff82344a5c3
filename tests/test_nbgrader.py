"""The graded release, with the real nbgrader (issue 15, section 2).

`python -m mlbook.student --nbgrader DIR` writes a course source; then

* `nbgrader generate_assignment` must accept EVERY notebook of the course (one call, "*");
* `nbgrader autograde` must give full marks to a submission made of the reference solutions,
  zero to the untouched release and partial marks to a submission with one wrong answer.

Autograding executes a whole notebook per submission, so it runs on a subset: three students on
01 (the quickest notebook with two exercises: full, zero, partial) and the reference solutions
of 03 (the engine's backward pass, the course's longest exercise). Every notebook's graded cells
are checked statically below (solution cells, locked test cells with points, no solution box).
Together ~1–2 minutes on a loaded 2-core machine: marked slow, still part of `pytest`.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("nbgrader")

from mlbook.student import BEGIN, generate_nbgrader  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
SOLUTIONS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
AUTOGRADED = {"01_forward_pass": ["reference", "untouched", "one_wrong"],
              "03_computational_graphs": ["reference"]}

pytestmark = pytest.mark.slow


def _env():
    env = dict(os.environ)
    # nbgrader calls `alembic` (its database migrations) by name: put the venv's bin first
    env["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _nbgrader(course, *args):
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course,
                            env=_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _one_wrong(nb):
    """The reference solutions with the FIRST exercise broken (`return None` at its top)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and BEGIN in _src(cell):
            lines = []
            for line in _src(cell).split("\n"):
                lines.append(line)
                if line.strip() == BEGIN:
                    lines.append(line[: len(line) - len(line.lstrip())] + "return None")
            cell["source"] = "\n".join(lines)
            return nb
    raise AssertionError("no exercise to break")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    assert generate_nbgrader(course, NB_DIR, out=open(os.devnull, "w")) == 0
    log = _nbgrader(course, "generate_assignment", "*")
    for stem, students in AUTOGRADED.items():
        for student in students:
            target = course / "submitted" / student / stem / f"{stem}.ipynb"
            target.parent.mkdir(parents=True)
            if student == "untouched":
                shutil.copy(course / "release" / stem / f"{stem}.ipynb", target)
            else:
                nb = _load(course / "source" / stem / f"{stem}.ipynb")
                target.write_text(json.dumps(_one_wrong(nb) if student == "one_wrong" else nb))
    log += _nbgrader(course, "autograde", "*")
    return course, log


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_generate_assignment_accepts_every_notebook(course, path):
    course_dir, _ = course
    source = _load(course_dir / "source" / path.stem / path.name)
    release = _load(course_dir / "release" / path.stem / path.name)
    solution_cells = [c for c in _load(path)["cells"]
                      if c["cell_type"] == "code" and BEGIN in _src(c)]
    graded = [c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    tests = [c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(graded) == len(solution_cells)
    assert len(tests) >= len(solution_cells)
    for cell in tests:
        meta = cell["metadata"]["nbgrader"]
        assert meta["locked"] and meta["points"] > 0 and meta["schema_version"] == 3
        assert "assert result.passed" in _src(cell)
    text = json.dumps(release, ensure_ascii=False)
    assert "<summary>✔️ Solution" not in text and BEGIN not in text
    assert len(release["cells"]) == len(source["cells"])
    for cell in release["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            assert "raise NotImplementedError()" in _src(cell)
    if solution_cells:                       # the hints stay
        assert "💡 Hint 1" in text


def _score(course_dir, stem, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        sub = gb.find_submission(stem, student)
        return sub.score, sub.max_score


def test_reference_solutions_get_full_marks(course):
    course_dir, log = course
    for stem in AUTOGRADED:
        score, max_score = _score(course_dir, stem, "reference")
        assert max_score >= 2 and score == max_score, (stem, score, max_score, log[-3000:])


def test_untouched_release_gets_zero(course):
    course_dir, _ = course
    score, max_score = _score(course_dir, "01_forward_pass", "untouched")
    assert max_score >= 2 and score == 0


def test_one_wrong_answer_gets_partial_marks(course):
    course_dir, _ = course
    score, max_score = _score(course_dir, "01_forward_pass", "one_wrong")
    assert 0 < score < max_score and score == max_score - 1
    graded = _load(course_dir / "autograded" / "one_wrong" / "01_forward_pass" / "01_forward_pass.ipynb")
    failing = [c for c in graded["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
               and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failing) == 1 and "❌" in json.dumps(failing[0]["outputs"], ensure_ascii=False)
