"""Generate student notebooks from the solution notebooks.

    python -m mlbook.student            # write notebooks/student/NN_name.ipynb for every notebook
    python -m mlbook.student --check    # exit 1 if a committed student notebook is stale
    python -m mlbook.student --nbgrader DIR   # an nbgrader course source for graded use

In a solution notebook the student's part of a code cell sits between two marker lines::

    def sigmoid_grad(x):
        \"\"\"...\"\"\"
        ### BEGIN SOLUTION
        s = sigmoid(x)
        return s * (1 - s)
        ### END SOLUTION

The student version replaces everything from BEGIN to END (markers included) by one line,
``raise NotImplementedError("exercise")``, at the indentation of the BEGIN marker. All outputs
and execution counts are cleared; every other cell is kept as it is (except that a markdown link
into ``student/`` becomes ``./``, which is where the student copy already is), and a short note
is put at the top saying where the notebook comes from. Malformed markers are errors that name the
notebook and the cell and line, and so are near misses that would otherwise leave a solution in
the student's copy (``# BEGIN SOLUTION``, ``### begin solution``, ``### BEGIN SOLUTIONS`` ...).

``--nbgrader DIR`` writes an nbgrader course source instead (see :mod:`mlbook.grading.release`:
solution cells, locked test cells, no answers in hints, ``DIR/nbgrader_config.py``; options
``--course-id``, ``--exchange``, ``--hints``). Then ``nbgrader generate_assignment 01_forward_pass``.
"""
import argparse
import copy
import json
import pathlib
import re
import sys

__all__ = ["MarkerError", "strip_solutions", "make_student_notebook", "make_nbgrader_notebook",
           "generate", "generate_nbgrader", "main"]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = 'raise NotImplementedError("exercise")'
_MARKER = re.compile(r"^[ \t]*###[ \t]*(BEGIN|END)[ \t]+SOLUTION\b", re.M)
# anything that looks like a marker: any number of #, any case, SOLUTION or SOLUTIONS, _ or -
_NEAR_MARKER = re.compile(r"^[ \t]*#+[ \t]*(begin|end)[ \t_-]*solutions?\b", re.M | re.I)
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
# A solution notebook's link into student/ points at the student notebook's own folder.
_TO_STUDENT = re.compile(r"(\]\(|href=\")student/")


class MarkerError(ValueError):
    """A BEGIN/END SOLUTION marker is misplaced; the message names notebook and cell."""


def _source_text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def strip_solutions(source, where="cell"):
    """Return ``source`` with each BEGIN..END SOLUTION region replaced by the stub line.

    ``where`` names the place in error messages. Raises :class:`MarkerError` for BEGIN without
    END, END without BEGIN and a BEGIN inside a region.
    """
    out, inside, begin_line = [], False, None
    for n, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN or stripped.startswith(BEGIN + " "):
            if inside:
                raise MarkerError(f"{where}, line {n}: nested '{BEGIN}' (the one on line "
                                  f"{begin_line} is not closed yet)")
            inside, begin_line = True, n
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + STUB)
        elif stripped == END or stripped.startswith(END + " "):
            if not inside:
                raise MarkerError(f"{where}, line {n}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif _MARKER.match(line) or _NEAR_MARKER.match(line):
            raise MarkerError(f"{where}, line {n}: malformed marker {stripped!r}; "
                              f"write exactly '{BEGIN}' or '{END}'")
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}, line {begin_line}: '{BEGIN}' without a matching '{END}'")
    return "\n".join(out)


def _split_lines(text):
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def make_student_notebook(nb, name="notebook"):
    """Return the student version of the notebook dict ``nb`` (the input is not modified)."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.get("cells", []), start=1):
        text = _source_text(cell)
        where = f"{name}, cell {index}"
        if cell.get("cell_type") != "code":
            if _MARKER.search(text) or _NEAR_MARKER.search(text):
                raise MarkerError(f"{where} ({cell.get('cell_type')} cell): solution markers "
                                  f"belong in code cells only")
            if cell.get("cell_type") == "markdown" and _TO_STUDENT.search(text):
                cell["source"] = _split_lines(_TO_STUDENT.sub(r"\1./", text))
            continue
        cell["source"] = _split_lines(strip_solutions(text, where))
        cell["outputs"] = []
        cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    note = {
        "cell_type": "markdown",
        "id": "student-version-note",
        "metadata": {},
        "source": _split_lines(
            f"> **Student version** of `{name}`. Each exercise raises `NotImplementedError` "
            "until you write your code in its place; run its check cell for ✅/❌ feedback. "
            "Hints and solutions are in the collapsible boxes under each exercise.\n"),
    }
    if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) < 5:
        note.pop("id")
    nb["cells"] = [note] + nb.get("cells", [])
    nb.get("metadata", {}).pop("widgets", None)
    return nb


# --------------------------------------------------------------------------------------------
# the nbgrader release: mlbook.grading.release (answers withheld, sandboxed autograding)

def make_nbgrader_notebook(nb, name="notebook", hints="explain"):
    """The nbgrader source version of ``nb``: see :func:`mlbook.grading.release.make_release_notebook`."""
    from mlbook.grading.release import make_release_notebook
    return make_release_notebook(nb, name=name, hints=hints)


def generate_nbgrader(out_dir, notebooks_dir=None, out=None, **options):
    """Write the nbgrader course source: see :func:`mlbook.grading.release.generate_course`."""
    from mlbook.grading.release import generate_course
    return generate_course(out_dir, notebooks_dir, out, **options)


def _dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _expected(notebooks_dir):
    notebooks_dir = pathlib.Path(notebooks_dir)
    result = {}
    for path in sorted(notebooks_dir.glob(NOTEBOOK_GLOB)):
        nb = json.loads(path.read_text(encoding="utf-8"))
        result[path.name] = _dumps(make_student_notebook(nb, name=path.name))
    return result


def generate(notebooks_dir="notebooks", check=False, out=None):
    """Write (or, with ``check=True``, compare) the student notebooks. Returns an exit code."""
    out = out if out is not None else sys.stdout
    notebooks_dir = pathlib.Path(notebooks_dir)
    if not notebooks_dir.is_dir():
        print(f"error: no notebooks directory at {notebooks_dir}", file=out)
        return 2
    student_dir = notebooks_dir / "student"
    try:
        expected = _expected(notebooks_dir)
    except MarkerError as exc:
        print(f"error: {exc}", file=out)
        return 2
    present = {p.name for p in student_dir.glob("*.ipynb")} if student_dir.is_dir() else set()
    if check:
        problems = []
        for name, text in expected.items():
            path = student_dir / name
            if not path.exists():
                problems.append(f"missing: {path}")
            elif path.read_text(encoding="utf-8") != text:
                problems.append(f"stale:   {path}")
        problems += [f"orphan:  {student_dir / n} (no notebooks/{n})"
                     for n in sorted(present - set(expected))]
        for p in problems:
            print(p, file=out)
        if problems:
            print("run `python -m mlbook.student` to regenerate the student notebooks", file=out)
            return 1
        print(f"{len(expected)} student notebooks up to date", file=out)
        return 0
    student_dir.mkdir(exist_ok=True)
    for name, text in expected.items():
        (student_dir / name).write_text(text, encoding="utf-8")
    for name in sorted(present - set(expected)):
        (student_dir / name).unlink()
    print(f"wrote {len(expected)} student notebooks to {student_dir}", file=out)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlbook.student",
                                     description="Generate student notebooks from solution notebooks.")
    parser.add_argument("--notebooks", default="notebooks", help="folder of solution notebooks")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if notebooks/student/ is not what would be generated")
    parser.add_argument("--nbgrader", metavar="DIR",
                        help="write an nbgrader course source to DIR/source/<stem>/ instead")
    from mlbook.grading.release import add_arguments
    add_arguments(parser.add_argument_group("with --nbgrader"))
    args = parser.parse_args(argv)
    if args.nbgrader:
        notebooks = None if args.notebooks == "notebooks" else args.notebooks
        return generate_nbgrader(args.nbgrader, notebooks, course_id=args.course_id,
                                 exchange=args.exchange, hints=args.hints)
    return generate(args.notebooks, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
