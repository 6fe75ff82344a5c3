"""nbgrader plugins: sandboxed autograding, a per-exercise export, the report of what failed.

``IsolatedGrade`` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors`` (the
generated ``nbgrader_config.py`` sets it). It does not run the submitted notebook in a kernel:
for each test cell of the instructor's ``source/`` notebook it builds the exercise's program
(:mod:`mlbook.grading.program`), runs it in the sandbox (:mod:`mlbook.grading.sandbox`) and puts
the verdict in the test cell's outputs — the ✅/❌ text, plus an error output when it is not ✅,
which is what nbgrader scores and what the feedback shows, so the two always agree. A test cell
the student deleted is put back first; a locked cell the student edited has already been restored
by nbgrader's ``OverwriteCells``. One exercise's crash, endless loop or ``os._exit`` costs that
exercise only.

``ExerciseCsvExport`` (``nbgrader export``): one row per student and assignment with the total,
one column per exercise (``<notebook>:<grade_id>``), and ``problems`` — why a submission has no
grade (missing, not valid JSON, failed in nbgrader) or which of its exercises failed in the
grading machinery itself. ``python -m mlbook.grading.nbgrader_plugins report [ASSIGNMENT]``
prints the same problems for the submissions on disk.
"""
import copy
import glob
import html
import json
import os
import pathlib
import sys

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import ExportPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from nbformat import from_dict
from traitlets import Float, Integer

from mlbook.grading import sandbox
from mlbook.grading.program import build_programs


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def hidden_paths(coursedir):
    """What the sandbox must never show: the course, and the checkout the package came from."""
    import mlbook
    paths = [os.path.abspath(coursedir.root)]
    checkout = pathlib.Path(mlbook.__file__).resolve().parents[1]
    if (checkout / "notebooks").is_dir() or (checkout / "pyproject.toml").is_file():
        paths.append(str(checkout))
    return paths


class IsolatedGrade(NbGraderPreprocessor):
    """Autograde each test cell by running its check in the sandbox (see the module's doc)."""

    timeout = Float(sandbox.TIMEOUT, help="seconds per exercise before its sandbox is killed "
                                          "(each check's own budget is shorter)").tag(config=True)
    memory_mb = Integer(2048, help="address space of the student's process, MiB").tag(config=True)
    time_budget = Float(10.0, help="seconds the student's function may run per check "
                                   "(all its calls together)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        source_file = os.path.join(coursedir.format_path(coursedir.source_directory, ".",
                                                         info["assignment"]),
                                   info["notebook"] + ".ipynb")
        with open(source_file, encoding="utf-8") as f:
            source = json.load(f)
        self._restore_deleted_tests(nb, source)
        programs = build_programs(source, nb)
        hidden = hidden_paths(coursedir)

        static = {gid: {"status": "wrong", "message": f"❌ Not yet — {p.exercise}\n   {p.problem}",
                        "mode": "static", "hidden": 0, "error": None}
                  for gid, p in programs.items() if p.problem}
        to_run = [gid for gid, p in programs.items() if not p.problem]
        verdicts = dict(zip(to_run, sandbox.run_many(
            [programs[g] for g in to_run], hidden=hidden, timeout=self.timeout,
            memory_bytes=self.memory_mb * 2 ** 20, time_budget=self.time_budget)))
        verdicts.update(static)
        for cell in nb.cells:
            gid = _meta(cell).get("grade_id")
            if cell.cell_type == "code" and _meta(cell).get("grade") and gid in verdicts:
                v = verdicts[gid]
                cell.outputs = _outputs(v)
                cell.execution_count = None
                where = f"{info['student']} / {info['assignment']} / {gid}"
                if v.get("error"):
                    self.log.error("%s: GRADING FAILED, scored 0: %s", where, v["error"])
                elif v["status"] != "correct":
                    self.log.warning("%s: 0 — %s", where, " ".join(v["message"].split())[:300])
                else:
                    self.log.info("%s: correct (%s hidden cases)", where, v.get("hidden", 0))
            elif cell.cell_type == "code" and not _meta(cell).get("grade"):
                cell.outputs, cell.execution_count = [], None   # nothing of the kernel's is kept
        return nb, resources

    def _restore_deleted_tests(self, nb, source):
        present = {_meta(c).get("grade_id") for c in nb.cells}
        previous = None
        for cell in source["cells"]:
            gid = _meta(cell).get("grade_id")
            if _meta(cell).get("grade") and gid not in present:
                restored = from_dict(copy.deepcopy(cell))
                index = next((i + 1 for i, c in enumerate(nb.cells)
                              if previous and _meta(c).get("grade_id") == previous), len(nb.cells))
                nb.cells.insert(index, restored)
                self.log.warning("test cell %s was deleted: restored from the source", gid)
            if gid:
                previous = gid


def _outputs(verdict):
    text = verdict["message"]
    if verdict.get("error"):
        text = ("❌ GRADING FAILED (a fault of the grading machinery, scored 0 until regraded): "
                + verdict["error"])
    if verdict.get("hidden"):
        text += f"\n   ({verdict['hidden']} hidden case(s) checked as well)"
    shown = {"output_type": "display_data", "metadata": {},
             "data": {"text/plain": text,
                      "text/html": f'<pre style="white-space:pre-wrap">{html.escape(text)}</pre>'}}
    outputs = [shown]
    if verdict["status"] != "correct":
        headline = text.splitlines()[0] if text else "not correct"
        outputs.append({"output_type": "error", "ename": "AssertionError", "evalue": headline,
                        "traceback": [f"AssertionError: {headline}"]})
    return [from_dict(o) for o in outputs]


# --------------------------------------------------------------------------------------------
# what failed, and the export

def submission_problems(coursedir, assignment, student):
    """Sentences naming why ``student``'s ``assignment`` is (partly) not graded; [] if fine."""
    problems = []
    submitted = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    autograded = coursedir.format_path(coursedir.autograded_directory, student, assignment)
    if not os.path.isdir(submitted):
        return ["no submission"]
    for path in sorted(glob.glob(os.path.join(submitted, "*.ipynb"))):
        name = os.path.basename(path)
        try:
            with open(path, encoding="utf-8") as f:
                json.load(f)
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{name}: not a valid notebook ({type(exc).__name__}: {exc}) — scored 0")
            continue
        graded = os.path.join(autograded, name)
        if not os.path.exists(graded):
            problems.append(f"{name}: not autograded (see nbgrader's log) — scored 0")
            continue
        with open(graded, encoding="utf-8") as f:
            nb = json.load(f)
        for cell in nb.get("cells", []):
            if _meta(cell).get("grade") and any("GRADING FAILED" in json.dumps(o)
                                                for o in cell.get("outputs", [])):
                problems.append(f"{name}: {_meta(cell)['grade_id']}: the grading failed")
    return problems


class ExerciseCsvExport(ExportPlugin):
    """CSV: assignment, student_id, score, max_score, one column per exercise, problems."""

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        coursedir = CourseDirectory(config=self.config)
        rows, columns = [], []
        for assignment in gradebook.assignments:
            if self.assignment and assignment.name not in self.assignment:
                continue
            cells = [(nb.name, gc.name) for nb in assignment.notebooks for gc in nb.grade_cells]
            columns += [f"{a}:{b}" for a, b in cells if f"{a}:{b}" not in columns]
            for student in gradebook.students:
                if self.student and student.id not in self.student:
                    continue
                row = {"assignment": assignment.name, "student_id": student.id,
                       "max_score": assignment.max_score}
                try:
                    sub = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    sub = None
                row["score"] = sub.score if sub is not None else 0.0
                for nb_name, cell_name in cells:
                    score = ""
                    if sub is not None:
                        try:
                            grade = gradebook.find_grade(cell_name, nb_name, assignment.name,
                                                         student.id)
                            score = grade.score
                        except MissingEntry:
                            score = 0.0
                    row[f"{nb_name}:{cell_name}"] = score if score != "" else 0.0
                row["problems"] = "; ".join(submission_problems(coursedir, assignment.name,
                                                                student.id))
                rows.append(row)
        import csv
        header = ["assignment", "student_id", "score", "max_score"] + columns + ["problems"]
        with open(dest, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=header, restval="")
            writer.writeheader()
            writer.writerows(rows)
        self.log.info("Exported %d rows (one column per exercise) to %s", len(rows), dest)


def report(assignment=None, root="."):
    """Print, per submission on disk, why it is not (fully) graded. Returns how many have problems."""
    coursedir = CourseDirectory(root=os.path.abspath(root))
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment or "*")
    bad = 0
    for folder in sorted(glob.glob(pattern)):
        student = pathlib.Path(folder).parent.name
        problems = submission_problems(coursedir, pathlib.Path(folder).name, student)
        for p in problems:
            print(f"{student} / {pathlib.Path(folder).name}: {p}")
        bad += bool(problems)
    if not bad:
        print("every submission was graded")
    return bad


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "report":
        report(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        print("usage: python -m mlbook.grading.nbgrader_plugins report [ASSIGNMENT]")
        sys.exit(2)
