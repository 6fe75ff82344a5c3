"""Generate student notebooks from the solution notebooks.

    python -m mlbook.student            # write notebooks/student/NN_name.ipynb for every notebook
    python -m mlbook.student --check    # exit 1 if a student notebook is not what it would write:
                                        # says which are stale (the course changed) and which
                                        # hold your answers (edited)
    python -m mlbook.student --force    # also overwrite edited copies / delete other notebooks
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

Regenerating never loses a student's work: each student copy records in its metadata
(``mlbook_student``) a digest of every cell it was written with, so a later run knows a copy whose
cells were edited (the student's answers: it is kept, and ``--check`` says "your answers are in
it") from one that is merely stale (the course changed: it is rewritten). Notebooks in
``student/`` that it did not write (JupyterLab's ``-Copy1`` files) are never deleted. ``--force``
overwrites and deletes anyway.

``--nbgrader DIR`` writes an nbgrader course source instead (see :mod:`mlbook.grading.release`:
solution cells, locked test cells, no answers in hints, ``DIR/nbgrader_config.py``; options
``--course-id``, ``--exchange``, ``--hints``). Then ``nbgrader generate_assignment 01_forward_pass``.
"""
import argparse
import copy
import hashlib
import json
import pathlib
import re
import sys

__all__ = ["MarkerError", "strip_solutions", "make_student_notebook", "make_nbgrader_notebook",
           "generate", "generate_nbgrader", "main"]

from mlbook.markers import (BEGIN, END, MARKER, NEAR_MARKER, STUB, MarkerError,  # noqa: F401
                            strip_solutions)

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
# A solution notebook's link into student/ points at the student notebook's own folder.
_TO_STUDENT = re.compile(r"(\]\(|href=\")student/")


def _source_text(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


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
            if MARKER.search(text) or NEAR_MARKER.search(text):
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
        result[path.name] = _dumps(_stamped(make_student_notebook(nb, name=path.name), path.name))
    return result


# --------------------------------------------------------------------------------------------
# regeneration that never loses a student's work

STAMP = "mlbook_student"     # notebook metadata key: what the generator wrote


def _digest(text, n=12):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def _stamped(nb, name):
    """``nb`` with metadata recording what was generated: the solution notebook's name, a
    digest of the whole generated notebook and one digest per cell source. A later run tells
    from it whether a student copy was edited (its cell sources differ from what was written)
    and whether the course changed since (the digest of what it would write now differs)."""
    meta = nb.setdefault("metadata", {})
    meta.pop(STAMP, None)
    cells = [_digest(_source_text(c)) for c in nb.get("cells", [])]
    meta[STAMP] = {"from": name, "cells": cells, "notebook": _digest(_dumps(nb), 16)}
    return nb


def _state(path, expected_text):
    """What is at ``path`` compared with ``expected_text`` (what would be written now):
    ('current' | 'missing' | 'course changed' | 'edited', [edited cell numbers], course changed?).

    The student's work is a cell whose text the generator does not know: neither what it wrote
    into this copy (the stamp's digests) nor what it would write now. So a copy is not "edited"
    because the course reworded a cell since, or because a git merge brought the course's new
    cells into a committed copy — only because someone wrote in it.
    """
    if not path.exists():
        return "missing", [], True
    text = path.read_text(encoding="utf-8")
    if text == expected_text:
        return "current", [], False
    expected = json.loads(expected_text)
    try:
        nb = json.loads(text)
    except ValueError:
        return "edited", [], True                   # not even JSON: nobody's generated copy
    sources = [_source_text(c) for c in nb.get("cells", [])]
    now = {_digest(_source_text(c)) for c in expected["cells"]}
    stamp = nb.get("metadata", {}).get(STAMP)
    if isinstance(stamp, dict) and isinstance(stamp.get("cells"), list):
        known = now | set(stamp["cells"])
        edited = [k for k, src in enumerate(sources, start=1)
                  if src.strip() and _digest(src) not in known]
        changed = stamp.get("notebook") != expected["metadata"][STAMP]["notebook"]
    else:   # a copy from before the stamp: an exercise cell whose stub line was replaced
        edited = [k for k, (src, cell) in enumerate(zip(sources, expected["cells"]), start=1)
                  if STUB in _source_text(cell) and src != _source_text(cell) and STUB not in src]
        changed = True
    if edited:
        return "edited", edited, changed
    return ("course changed" if changed else "current"), [], changed


def _ours(path):
    """True if ``path`` is a student notebook this generator wrote and nobody edited since
    (its stamp names this very file and its cells are as written)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        stamp = nb["metadata"][STAMP]
        sources = [_source_text(c) for c in nb["cells"]]
        return (stamp["from"] == path.name
                and [_digest(src) for src in sources] == list(stamp["cells"]))
    except (ValueError, KeyError, TypeError):
        return False


def _cells_text(cells):
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(str(k) for k in cells[:8]) + (
        ", ..." if len(cells) > 8 else "")


def generate(notebooks_dir="notebooks", check=False, out=None, force=False):
    """Write (or, with ``check=True``, compare) the student notebooks. Returns an exit code.

    A student copy whose cells were edited since it was generated (the student's answers) is
    never overwritten, and a notebook in ``student/`` that this generator did not write (a
    JupyterLab ``-Copy1``, the student's own) is never deleted — unless ``force=True``. Copies
    that were only run (outputs) and whose course notebook did not change are left alone.
    Exit code 0 when every student notebook is what the course has now, 1 otherwise.
    """
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
    others = sorted(present - set(expected))
    states = {name: _state(student_dir / name, text) for name, text in expected.items()}
    if check:
        return _report(student_dir, states, others, out)
    student_dir.mkdir(exist_ok=True)
    written, kept, status = 0, [], 0
    for name, text in expected.items():
        state, edited, changed = states[name]
        path = student_dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        if not force and state == "edited":
            if changed:
                kept.append((path, edited))
                status = 1
            continue
        if not force and state == "current":        # only run (outputs); course unchanged
            continue
        path.write_text(text, encoding="utf-8")
        written += 1
    for name in others:
        path = student_dir / name
        if force or _ours(path):
            path.unlink()
            print(f"removed {path} (no notebooks/{name})", file=out)
        else:
            print(f"left {path} alone: not written by this generator (yours? a JupyterLab copy?)",
                  file=out)
    for path, edited in kept:
        print(f"kept {path}: your answers are in it ({_cells_text(edited)} differ from the copy "
              f"that was generated), and the course version changed. To get the new version, "
              f"copy your file elsewhere first, then run `python -m mlbook.student --force`.",
              file=out)
    print(f"wrote {written} student notebooks to {student_dir}"
          + (f"; kept {len(kept)} with your answers" if kept else ""), file=out)
    return status


def _report(student_dir, states, others, out):
    """``--check``: say for each student notebook what is there, and how to go on."""
    problems = 0
    for name, (state, edited, changed) in states.items():
        path = student_dir / name
        if state == "current":
            continue
        problems += 1
        if state == "missing":
            print(f"missing: {path} — run `python -m mlbook.student`", file=out)
        elif state == "course changed":
            print(f"stale:   {path} — the course changed since it was generated; run "
                  f"`python -m mlbook.student` (it has no answers of yours)", file=out)
        elif changed:
            print(f"edited:  {path} — your answers are in it ({_cells_text(edited)}), and the "
                  f"course changed since it was generated; `python -m mlbook.student` keeps "
                  f"your copy (`--force` replaces it: save it elsewhere first)", file=out)
        else:
            print(f"edited:  {path} — your answers are in it ({_cells_text(edited)}); the "
                  f"course has not changed, nothing to regenerate", file=out)
    for name in others:
        problems += 1
        print(f"other:   {student_dir / name} (no notebooks/{name}; "
              f"`python -m mlbook.student` leaves it alone unless it wrote it)", file=out)
    if problems:
        return 1
    print(f"{len(states)} student notebooks up to date", file=out)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlbook.student",
                                     description="Generate student notebooks from solution notebooks.")
    parser.add_argument("--notebooks", default="notebooks", help="folder of solution notebooks")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if notebooks/student/ is not what would be generated")
    parser.add_argument("--force", action="store_true",
                        help="also overwrite student notebooks with edits (your answers) and "
                             "delete notebooks in student/ that this command did not write")
    parser.add_argument("--nbgrader", metavar="DIR",
                        help="write an nbgrader course source to DIR/source/<stem>/ instead")
    from mlbook.grading.release import add_arguments
    add_arguments(parser.add_argument_group("with --nbgrader"))
    args = parser.parse_args(argv)
    if args.nbgrader:
        notebooks = None if args.notebooks == "notebooks" else args.notebooks
        return generate_nbgrader(args.nbgrader, notebooks, course_id=args.course_id,
                                 exchange=args.exchange, hints=args.hints)
    return generate(args.notebooks, check=args.check, force=args.force)


if __name__ == "__main__":
    sys.exit(main())
