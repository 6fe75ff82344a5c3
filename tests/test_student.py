"""The student-notebook generator: round trip, error cases, and the committed notebooks."""
import io
import json
import pathlib
import subprocess
import sys

import pytest

from mlbook.student import (MarkerError, generate, make_nbgrader_notebook, make_student_notebook,
                            strip_solutions)

ROOT = pathlib.Path(__file__).resolve().parents[1]


def code(src, outputs=None):
    return {"cell_type": "code", "execution_count": 3, "metadata": {"execution": {"x": 1}},
            "outputs": outputs or [{"output_type": "stream", "name": "stdout", "text": ["hi\n"]}],
            "source": src}


def markdown(src):
    return {"cell_type": "markdown", "metadata": {}, "source": src}


def notebook(*cells):
    return {"cells": list(cells), "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4, "nbformat_minor": 4}


SOLUTION_CELL = (
    "def f(x):\n"
    "    \"\"\"Double x.\"\"\"\n"
    "    ### BEGIN SOLUTION\n"
    "    y = 2 * x\n"
    "    return y\n"
    "    ### END SOLUTION\n"
    "\n"
    "print(f(2))"
)


def test_strip_replaces_region_at_marker_indentation():
    out = strip_solutions(SOLUTION_CELL)
    assert out.splitlines() == [
        "def f(x):", '    """Double x."""', '    raise NotImplementedError("exercise")', "",
        "print(f(2))"]


def test_strip_leaves_cells_without_markers_unchanged():
    src = "x = 1\n# ### not a marker\nprint(x)"
    assert strip_solutions(src) == src


def test_two_regions_in_one_cell():
    src = "a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3\n  ### BEGIN SOLUTION\n  d\n  ### END SOLUTION"
    assert strip_solutions(src).splitlines() == [
        "a = 1", 'raise NotImplementedError("exercise")', "c = 3",
        '  raise NotImplementedError("exercise")']


def test_round_trip_on_synthetic_notebook():
    nb = notebook(markdown("# Title\n"), code(SOLUTION_CELL), code(["x = 1\n", "x"]))
    before = json.dumps(nb, sort_keys=True)
    st = make_student_notebook(nb, name="99_demo.ipynb")
    assert json.dumps(nb, sort_keys=True) == before, "the input notebook must not be modified"
    cells = st["cells"]
    assert "Student version" in "".join(cells[0]["source"])
    assert cells[1] == nb["cells"][0]                      # markdown kept as is
    src = "".join(cells[2]["source"])
    assert "2 * x" not in src and 'raise NotImplementedError("exercise")' in src
    assert '"""Double x."""' in src                        # signature and docstring stay
    for c in cells[2:]:
        assert c["outputs"] == [] and c["execution_count"] is None
        assert "execution" not in c["metadata"]
    assert "".join(cells[3]["source"]) == "x = 1\nx"       # other code kept


def test_student_version_raises_notimplemented_when_run():
    src = "".join(make_student_notebook(notebook(code(SOLUTION_CELL)))["cells"][1]["source"])
    ns = {}
    exec(src.replace("print(f(2))", ""), ns)
    with pytest.raises(NotImplementedError):
        ns["f"](1)


@pytest.mark.parametrize("src, needle", [
    ("### BEGIN SOLUTION\nx = 1\n", "without a matching"),
    ("x = 1\n### END SOLUTION\n", "without a '### BEGIN SOLUTION' before it"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
    ("###BEGIN  SOLUTION\nx\n", "malformed marker"),
])
def test_malformed_markers_name_notebook_and_cell(src, needle):
    nb = notebook(markdown("intro"), code(src))
    with pytest.raises(MarkerError) as info:
        make_student_notebook(nb, name="05_thing.ipynb")
    msg = str(info.value)
    assert "05_thing.ipynb, cell 2" in msg and needle in msg


def test_marker_in_markdown_cell_is_an_error():
    nb = notebook(markdown("Write it here:\n### BEGIN SOLUTION\n"))
    with pytest.raises(MarkerError, match=r"07_x.ipynb, cell 1 \(markdown cell\)"):
        make_student_notebook(nb, name="07_x.ipynb")


def test_generate_and_check(tmp_path):
    (tmp_path / "01_a.ipynb").write_text(json.dumps(notebook(code(SOLUTION_CELL))))
    assert generate(tmp_path, check=True, out=open("/dev/null", "w")) == 1   # missing
    assert generate(tmp_path) == 0
    assert (tmp_path / "student" / "01_a.ipynb").exists()
    assert generate(tmp_path, check=True) == 0
    # a change in the solution notebook makes the student version stale
    (tmp_path / "01_a.ipynb").write_text(json.dumps(notebook(code("y = 2"))))
    assert generate(tmp_path, check=True) == 1
    # a student notebook it wrote whose course notebook is gone is reported, and removed
    generate(tmp_path)
    (tmp_path / "02_gone.ipynb").write_text(json.dumps(notebook(code("z = 3"))))
    generate(tmp_path)
    (tmp_path / "02_gone.ipynb").unlink()
    assert generate(tmp_path, check=True) == 1
    generate(tmp_path)
    assert not (tmp_path / "student" / "02_gone.ipynb").exists()


def _course(tmp_path, extra_markdown="Intro"):
    nb = notebook(markdown(extra_markdown), code(SOLUTION_CELL), code("check(f)"))
    (tmp_path / "01_a.ipynb").write_text(json.dumps(nb))


def _answer(tmp_path, body="    return x + x"):
    """The student writes an answer into the exercise cell of their copy (and runs it)."""
    path = tmp_path / "student" / "01_a.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "NotImplementedError" in "".join(c["source"]))
    cell["source"] = "".join(cell["source"]).replace('    raise NotImplementedError("exercise")',
                                                     body)
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "4\n"}]
    path.write_text(json.dumps(nb, indent=1))
    return path


def test_regeneration_never_overwrites_a_copy_with_answers(tmp_path):
    _course(tmp_path)
    assert generate(tmp_path) == 0
    path = _answer(tmp_path)
    mine = path.read_text()
    # the course did not change: nothing to do, the copy stays
    out = io.StringIO()
    assert generate(tmp_path, out=out) == 0 and path.read_text() == mine
    check = io.StringIO()
    assert generate(tmp_path, check=True, out=check) == 1
    assert "your answers are in it (cell 3)" in check.getvalue()
    assert "course has not changed" in check.getvalue() and "stale" not in check.getvalue()
    # the course changed: the copy is still kept, and both facts are said
    _course(tmp_path, "Intro, revised")
    out = io.StringIO()
    assert generate(tmp_path, out=out) == 1 and path.read_text() == mine
    assert "kept" in out.getvalue() and "your answers are in it" in out.getvalue()
    assert "--force" in out.getvalue()
    check = io.StringIO()
    generate(tmp_path, check=True, out=check)
    assert "your answers are in it" in check.getvalue() and "course changed" in check.getvalue()
    # only the explicit flag replaces it
    assert generate(tmp_path, force=True) == 0
    assert "return x + x" not in path.read_text()
    assert generate(tmp_path, check=True) == 0


def test_an_unedited_stale_copy_is_called_stale_and_replaced(tmp_path):
    _course(tmp_path)
    generate(tmp_path)
    path = tmp_path / "student" / "01_a.ipynb"
    _course(tmp_path, "Intro, revised")
    check = io.StringIO()
    assert generate(tmp_path, check=True, out=check) == 1
    assert "stale" in check.getvalue() and "course changed" in check.getvalue()
    assert "your answers" not in check.getvalue().replace("no answers of yours", "")
    assert generate(tmp_path) == 0 and "Intro, revised" in path.read_text()


def test_a_copy_that_was_only_run_is_left_alone(tmp_path):
    _course(tmp_path)
    generate(tmp_path)
    path = tmp_path / "student" / "01_a.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    path.write_text(json.dumps(nb))
    ran = path.read_text()
    assert generate(tmp_path) == 0 and path.read_text() == ran


def test_regeneration_never_deletes_notebooks_it_did_not_write(tmp_path):
    _course(tmp_path)
    generate(tmp_path)
    student = tmp_path / "student"
    copy = student / "01_a-Copy1.ipynb"                       # JupyterLab's File > Duplicate
    copy.write_text((student / "01_a.ipynb").read_text())
    own = student / "my_notes.ipynb"
    own.write_text(json.dumps(notebook(code("print('mine')"))))
    out = io.StringIO()
    assert generate(tmp_path, out=out) == 0
    assert copy.exists() and own.exists()
    assert "left" in out.getvalue() and "01_a-Copy1.ipynb" in out.getvalue()
    assert generate(tmp_path, force=True) == 0
    assert not copy.exists() and not own.exists()


def test_the_command_line_flag(tmp_path):
    _course(tmp_path)
    generate(tmp_path)
    path = _answer(tmp_path)
    _course(tmp_path, "Intro, revised")
    run = [sys.executable, "-m", "mlbook.student", "--notebooks", str(tmp_path)]
    kept = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert kept.returncode == 1 and "return x + x" in path.read_text(), kept.stdout
    forced = subprocess.run(run + ["--force"], cwd=ROOT, capture_output=True, text=True)
    assert forced.returncode == 0 and "return x + x" not in path.read_text(), forced.stdout


def test_generate_reports_marker_errors(tmp_path, capsys):
    (tmp_path / "03_bad.ipynb").write_text(json.dumps(notebook(code("### BEGIN SOLUTION\n"))))
    assert generate(tmp_path) == 2
    assert "03_bad.ipynb, cell 1" in capsys.readouterr().out


def test_committed_student_notebooks_are_up_to_date():
    result = subprocess.run([sys.executable, "-m", "mlbook.student", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_links_into_student_folder_point_at_the_student_folder_itself():
    nb = notebook({"cell_type": "markdown", "metadata": {},
                   "source": "open [`student/`](student/) or [01](student/01_a.ipynb)"})
    text = "".join(make_student_notebook(nb, name="00_x.ipynb")["cells"][1]["source"])
    assert text == "open [`student/`](./) or [01](./01_a.ipynb)"


@pytest.mark.parametrize("line", [
    "# BEGIN SOLUTION", "## BEGIN SOLUTION", "#### BEGIN SOLUTION", "### begin solution",
    "### BEGIN SOLUTIONS", "### Begin Solution", "# END SOLUTION", "### END SOLUTIONS",
    "### BEGIN_SOLUTION", "###BEGIN SOLUTION",
])
def test_near_miss_markers_are_refused_with_cell_and_line(line):
    src = f"def f(x):\n    {line}\n    return 2 * x\n"
    nb = notebook(markdown("intro"), code(src))
    with pytest.raises(MarkerError) as info:
        make_student_notebook(nb, name="05_thing.ipynb")
    assert "05_thing.ipynb, cell 2, line 2" in str(info.value) and line.strip() in str(info.value)
    with pytest.raises(MarkerError) as info:
        make_nbgrader_notebook(nb, name="05_thing.ipynb")
    assert "05_thing.ipynb, cell 2, line 2" in str(info.value)


def test_near_miss_inside_a_region_and_in_markdown_are_refused():
    nb = notebook(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTIONS\n### END SOLUTION\n"))
    with pytest.raises(MarkerError, match="cell 1, line 3"):
        make_student_notebook(nb, name="05_x.ipynb")
    nb = notebook(markdown("text\n# begin solution\n"))
    with pytest.raises(MarkerError, match="markdown cell"):
        make_nbgrader_notebook(nb, name="05_x.ipynb")
    # a comment that merely mentions solutions is fine
    assert strip_solutions("# the solution begins below\nx = 1") == "# the solution begins below\nx = 1"


def test_nbgrader_release_cells():
    nb = notebook(
        markdown("See [02](02_b.ipynb) and [the student copy](student/03_c.ipynb)."),
        code(SOLUTION_CELL),
        code("check_double(f)"),
        markdown("<details><summary>💡 Hint 1</summary>\n\nMultiply.\n</details>\n\n"
                 "<details><summary>✔️ Solution</summary>\n\n    return 2 * x\n</details>\n\n"
                 "`hint(\"double\", 1)` works too.\n"),
        code("x = 1"))
    before = json.dumps(nb, sort_keys=True)
    out = make_nbgrader_notebook(nb, name="01_a.ipynb")
    assert json.dumps(nb, sort_keys=True) == before
    setup, links, sol, check, hints, plain = out["cells"]
    assert setup["metadata"]["nbgrader"]["locked"] and "withhold_hints" in "".join(setup["source"])
    assert "".join(links["source"]) == ("See [02](../02_b/02_b.ipynb) and "
                                        "[the student copy](../03_c/03_c.ipynb).")
    assert "".join(sol["source"]) == SOLUTION_CELL            # nbgrader's own markers stay
    assert sol["metadata"]["nbgrader"] == {"grade": False, "grade_id": "solution-f",
                                           "locked": False, "schema_version": 3,
                                           "solution": True, "task": False}
    assert sol["outputs"] == [] and sol["execution_count"] is None
    meta = check["metadata"]["nbgrader"]
    assert meta["grade"] and meta["locked"] and meta["points"] == 1 and not meta["solution"]
    assert meta["grade_id"] == "check-double"
    assert "result = check_double(f)" in "".join(check["source"])
    assert "assert result.passed" in "".join(check["source"])
    text = "".join(hints["source"])
    assert "💡 Hint 1" in text and "Multiply." in text and "hint(" in text
    assert "✔️ Solution" not in text and "return 2 * x" not in text
    assert "nbgrader" not in plain["metadata"]


def test_nbgrader_grade_ids_are_unique():
    nb = notebook(code(SOLUTION_CELL), code("check_double(f)"), code(SOLUTION_CELL),
                  code("check_double(f)"))
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in make_nbgrader_notebook(nb)["cells"]]
    assert ids == ["graded-release-setup", "solution-f", "check-double", "solution-f-2", "check-double-2"]


def test_nbgrader_command_line(tmp_path):
    (tmp_path / "nbs").mkdir()
    (tmp_path / "nbs" / "01_a.ipynb").write_text(json.dumps(notebook(code(SOLUTION_CELL))))
    result = subprocess.run([sys.executable, "-m", "mlbook.student", "--notebooks",
                             str(tmp_path / "nbs"), "--nbgrader", str(tmp_path / "course")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "course" / "source" / "01_a" / "01_a.ipynb").exists()
    assert "get_config()" in (tmp_path / "course" / "nbgrader_config.py").read_text()
    (tmp_path / "nbs" / "02_b.ipynb").write_text(json.dumps(notebook(code("# BEGIN SOLUTION\n"))))
    result = subprocess.run([sys.executable, "-m", "mlbook.student", "--notebooks",
                             str(tmp_path / "nbs"), "--nbgrader", str(tmp_path / "course2")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "02_b.ipynb, cell 1, line 1" in result.stdout
    assert not (tmp_path / "course2" / "source").exists()     # nothing half-written


def test_a_copy_from_before_the_stamp_is_judged_by_its_exercise_cells(tmp_path):
    """Copies written by the generator before it stamped them: an exercise cell whose stub was
    replaced holds the student's answer; a changed docstring around the stub is the course's."""
    _course(tmp_path)
    generate(tmp_path)
    path = tmp_path / "student" / "01_a.ipynb"
    nb = json.loads(path.read_text())
    del nb["metadata"]["mlbook_student"]
    cell = nb["cells"][2]
    cell["source"] = "".join(cell["source"]).replace("Double x.", "Double x (old wording).")
    path.write_text(json.dumps(nb))                          # an old, unedited copy
    assert generate(tmp_path) == 0 and "old wording" not in path.read_text()
    nb = json.loads(path.read_text())
    del nb["metadata"]["mlbook_student"]
    cell = nb["cells"][2]
    cell["source"] = "".join(cell["source"]).replace('raise NotImplementedError("exercise")',
                                                     "return x + x")
    path.write_text(json.dumps(nb))                          # an old copy with an answer
    _course(tmp_path, "Intro, revised")
    assert generate(tmp_path) == 1 and "return x + x" in path.read_text()


def test_a_merge_that_brings_the_course_s_new_cells_is_not_mistaken_for_answers(tmp_path):
    """git merges the course's new cells into a committed copy but keeps its old stamp: every
    cell is one the generator wrote then or would write now, so it is just stale."""
    _course(tmp_path)
    generate(tmp_path)
    path = tmp_path / "student" / "01_a.ipynb"
    old = json.loads(path.read_text())
    _course(tmp_path, "Intro, revised")
    generate(tmp_path, force=True)
    merged = json.loads(path.read_text())
    merged["metadata"]["mlbook_student"] = old["metadata"]["mlbook_student"]
    path.write_text(json.dumps(merged))
    check = io.StringIO()
    generate(tmp_path, check=True, out=check)
    assert "stale" in check.getvalue() and "your answers are in it" not in check.getvalue()
    assert generate(tmp_path) == 0 and generate(tmp_path, check=True) == 0
