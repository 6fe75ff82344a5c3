"""Course-wide notebook rules. (nbval separately re-executes every solution notebook and
compares its outputs with the committed ones.)

* solution notebooks: executed top to bottom, no errors, every check cell shows ✅,
  every exercise has a check cell and a hint/solution box, nbval's ``nbval-ignore-output`` cell
  tag (not a ``# NBVAL_IGNORE_OUTPUT`` line a student would see) only on widget displays and
  timings, small files, no machine paths;
* student notebooks: Run All goes to the end — they execute in a fresh kernel without a single
  error (a cell that needs an unwritten exercise shows ⏳ via ``mlbook.checks.needs``), and every
  check cell reports ⏳ Not attempted.
"""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
SOLUTIONS = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
STUDENTS = sorted((NB_DIR / "student").glob("[0-9][0-9]_*.ipynb"))
CHECK_CALL = re.compile(r"^check_\w+\(", re.M)
BEGIN = "### BEGIN SOLUTION"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IGNORE_TAG = "nbval-ignore-output"          # nbval >= 0.10 honours it like the comment marker


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def output_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        data = out.get("data", {})
        for key in ("text/plain", "text/markdown"):
            if key in data:
                v = data[key]
                parts.append("".join(v) if isinstance(v, list) else v)
        if out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "\n".join(parts)


def ids(paths):
    return [p.name for p in paths]


def test_the_course_has_its_notebooks():
    names = {p.name for p in SOLUTIONS}
    assert "00_start_here.ipynb" in names, names
    assert len(STUDENTS) == len(SOLUTIONS)


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_solution_notebook_hygiene(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    assert counts == list(range(1, len(code) + 1)), "execute top to bottom in a fresh kernel"
    machine_path = re.compile(r"(?<![\w.])/(?:root|home|tmp|work|Users)/")
    for i, cell in enumerate(nb["cells"], 1):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"cell {i} ends in an error"
            assert not machine_path.search(json.dumps(out)), f"cell {i} shows a machine path"
        assert "NBVAL_IGNORE_OUTPUT" not in src(cell), (
            f"cell {i}: mark the cell with the cell tag 'nbval-ignore-output' (metadata.tags) "
            f"instead of a '# NBVAL_IGNORE_OUTPUT' line, which student copies would show")
        if IGNORE_TAG in cell.get("metadata", {}).get("tags", []):
            shows_widget = any(WIDGET_MIME in o.get("data", {}) for o in cell.get("outputs", []))
            timing = re.search(r"perf_counter|timeit|time\.time|elapsed", src(cell))
            # a chaotic run (a rate past the stable range) ends where the last bit of the
            # CPU's tanh/exp sends it: the cell says so, and its asserts hold everywhere
            chaotic = src(cell).startswith("# varies by machine:") and "assert" in src(cell)
            assert shows_widget or timing or chaotic, (
                f"cell {i}: the nbval-ignore-output tag is only for widget displays, timings "
                f"and chaotic runs (a first line '# varies by machine:' and asserted claims)")
    assert path.stat().st_size < 1_500_000, "keep notebooks small (figures at 80 dpi)"


@pytest.mark.parametrize("path", SOLUTIONS, ids=ids(SOLUTIONS))
def test_every_check_is_green_and_every_exercise_has_check_and_hints(path):
    cells = load(path)["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code" and CHECK_CALL.search(src(cell)):
            assert "✅ Correct" in output_text(cell), (
                f"{path.name} cell {i + 1}: check does not pass:\n{output_text(cell)}")
        if cell["cell_type"] == "code" and BEGIN in src(cell):
            later = cells[i + 1:]
            assert any(c["cell_type"] == "code" and CHECK_CALL.search(src(c)) for c in later), (
                f"{path.name} cell {i + 1}: exercise without a check cell after it")
            assert any(c["cell_type"] == "markdown" and "<details>" in src(c) for c in later), (
                f"{path.name} cell {i + 1}: exercise without a hint/solution box after it")


def _broken(solution_source):
    """The solution with ``return None`` put right after its BEGIN marker: a plausible slip."""
    out = []
    for line in solution_source.split("\n"):
        out.append(line)
        if line.strip() == BEGIN:
            out.append(line[: len(line) - len(line.lstrip())] + "return None")
    return "\n".join(out)


@pytest.mark.parametrize("path", STUDENTS, ids=ids(STUDENTS))
def test_student_notebook_runs_and_reports_not_attempted(path):
    """Run the student notebook top to bottom in a fresh kernel, as Run All does: no cell may
    fail (nbclient without allow_errors raises at the first error) and every check says ⏳. Then, in the same kernel, do what a student does:
    paste each solution and re-run its check (✅), then break it (❌ with a message)."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    solution_cells = load(NB_DIR / path.name)["cells"]
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)          # CellExecutionError on any error
        n_checks = 0
        for i, cell in enumerate(nb.cells, 1):
            if cell.cell_type != "code":
                continue
            assert not [o for o in cell.outputs if o.output_type == "error"], (
                f"{path.name} cell {i} ends in an error: Run All would stop there")
            if CHECK_CALL.search(cell.source):
                n_checks += 1
                text = output_text(cell)
                assert "⏳ Not attempted" in text, f"{path.name} cell {i}: {text!r}"
        # the student version has one extra cell at the top (the note), hence index - 1
        exercises = [j + 1 for j, c in enumerate(solution_cells)
                     if c["cell_type"] == "code" and BEGIN in src(c)]
        assert n_checks >= len(exercises)
        for k in exercises:
            solution = src(solution_cells[k - 1])
            assert 'raise NotImplementedError("exercise")' in nb.cells[k].source, (
                f"{path.name}: cell {k + 1} does not line up with its solution")
            check_index = next(j for j in range(k + 1, len(nb.cells))
                               if nb.cells[j].cell_type == "code"
                               and CHECK_CALL.search(nb.cells[j].source))
            for source, expected in ((solution, "✅ Correct"), (_broken(solution), "❌ Not yet")):
                pasted = nbformat.v4.new_code_cell(source)
                client.execute_cell(pasted, k)
                check = nbformat.v4.new_code_cell(nb.cells[check_index].source)
                client.execute_cell(check, check_index)
                text = output_text(check)
                assert expected in text, (
                    f"{path.name}: after pasting {'the solution' if expected[0] == '✅' else 'a broken solution'} "
                    f"into cell {k + 1}, its check said:\n{text}")
            # restore the working solution so later exercises that build on it still run
            client.execute_cell(nbformat.v4.new_code_cell(solution), k)
