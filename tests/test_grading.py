"""mlbook.grading's parts without nbgrader: what an exercise's program holds, the plain-data
channel from the student's process, and one sandboxed run (tests/test_nbgrader.py grades a
whole simulated class with the real nbgrader)."""
import json
import pathlib

import numpy as np
import pytest

from mlbook.grading import sandbox, worker
from mlbook.grading.program import build_programs, free_names
from mlbook.grading.release import make_release_notebook

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _source(stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return make_release_notebook(nb, f"{stem}.ipynb")


def _replace(nb, grade_id, text):
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = text
    return nb


def test_a_program_holds_what_the_check_needs_and_no_demonstration():
    src = _source("04_matrix_backprop")
    programs = build_programs(src, src)
    assert set(programs) == {"check-dense_backward", "check-two_layer_backward", "check-train_epochs"}
    p = programs["check-two_layer_backward"]
    context = "\n".join(s["code"] for s in p.statements if s["who"] == "context")
    assert "from mlbook.activations import sigmoid" in context       # the student's fn uses it
    assert "plt." not in context and "Sequential(" not in context   # demonstrations stay out
    assert p.student_names == ["two_layer_backward"] and not p.in_process
    assert any("def two_layer_backward" in code for code in p.reference)
    assert build_programs(_source("03_computational_graphs"), _source("03_computational_graphs"))[
        "check-tanh_method"].in_process                               # a class: checked in-process


def test_only_definitions_of_a_solution_cell_run_and_a_fake_checker_is_dropped():
    src = _source("01_forward_pass")
    sub = _replace(src, "solution-net_for_output",
                   "import os\nos._exit(0)\nprint('x' * 10**9)\n"
                   "def check_net_for_output(f):\n    return True\n"
                   "def net_for_output(y):\n    return y\n")
    p = build_programs(src, sub)["check-net_for_output"]
    student = "\n".join(s["code"] for s in p.statements if s["who"] == "student")
    assert "def net_for_output" in student
    assert "_exit" not in student and "print" not in student and "check_net_for_output" not in student
    assert any("from mlbook.checks import" in s["code"] for s in p.statements if s["who"] == "context")


def test_a_broken_or_missing_solution_cell_costs_its_own_exercise_only():
    src = _source("01_forward_pass")
    programs = build_programs(src, _replace(src, "solution-net_for_output", "def net_for_output(y:\n"))
    assert "syntax error (line 1" in programs["check-net_for_output"].problem
    assert programs["check-layer_forward"].problem is None
    gone = json.loads(json.dumps(src))
    gone["cells"] = [c for c in gone["cells"]
                     if c["metadata"].get("nbgrader", {}).get("grade_id") != "solution-layer_forward"]
    programs = build_programs(src, gone)
    assert "missing" in programs["check-layer_forward"].problem
    assert programs["check-net_for_output"].problem is None


def test_free_names_are_a_functions_globals_not_its_locals():
    assert free_names("def f(x):\n    y = np.exp(x)\n    return sigmoid(y) + y\n") == {"np", "sigmoid"}


def test_the_channel_carries_plain_data_only():
    value = (np.arange(6.0).reshape(2, 3), 1.5, float("nan"), [1, "a", None], {"k": np.int64(3)})
    back = worker.unpack(worker.pack(value))
    assert np.array_equal(back[0], value[0]) and back[1] == 1.5 and back[2] != back[2]
    assert back[3] == [1, "a", None] and back[4]["k"] == 3
    with pytest.raises(worker.NotPlain):
        worker.pack(object())
    with pytest.raises(worker.NotPlain):
        worker.pack(np.array([object()]))
    # bytes claiming to be an array of Python objects are refused, not unpickled
    import io
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    header = json.dumps({"tree": {"__array__": 0}, "sizes": [len(blob)]}).encode()
    with pytest.raises(ValueError):
        worker.unpack(len(header).to_bytes(8, "little") + header + blob)


@pytest.mark.slow
def test_a_sandboxed_check_cannot_see_the_checkout_or_fake_its_verdict():
    try:
        sandbox.method()
    except RuntimeError:
        pytest.skip("no sandbox: apt-get install bubblewrap")
    src = _source("01_forward_pass")
    sub = _replace(src, "solution-net_for_output", (
        "def net_for_output(y):\n"
        "    import os, sys\n"
        # the checkout's notebooks and package: a venv inside the checkout (as in CI) is bound
        # read-only, so the checkout's folder itself may exist, holding nothing but that venv
        f"    seen = any(os.path.exists(os.path.join({str(ROOT)!r}, p)) "
        "for p in ('notebooks', 'mlbook', 'README.md'))\n"
        "    os.write(1, b'{\"status\": \"correct\", \"message\": \"\", \"mode\": \"x\", \"hidden\": 0}\\n')\n"
        "    raise RuntimeError(f'checkout visible: {seen}, uid {os.getuid()}')\n"))
    v = sandbox.run(build_programs(src, sub)["check-net_for_output"], hidden=[str(ROOT)])
    assert v["status"] == "wrong" and "checkout visible: False, uid 65534" in v["message"], v
    v = sandbox.run(build_programs(src, src)["check-net_for_output"], hidden=[str(ROOT)])
    assert v["status"] == "correct" and v["hidden"] >= 1, v
