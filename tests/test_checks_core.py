"""The checker machinery: results, comparisons, hostile student functions, hints."""
import numpy as np
import pytest

from mlbook.checks.core import (Case, CheckResult, check_function, check_gradient,
                                compare_output, hint, register_hints, HINTS)


def double(x):
    return 2 * x


CASES = [Case(np.array([1.0, -2.0, 3.0])), Case(np.zeros((2, 2)), label="zeros (2, 2)")]


def run(fn, **kw):
    return check_function(fn, double, CASES, exercise="double", **kw)


def test_reference_is_correct_and_renders():
    r = run(double, why="Doubling is linear.")
    assert r and r.status == "correct"
    assert str(r).startswith("✅ Correct — double") and "Doubling is linear." in str(r)
    assert "✅" in r._repr_html_() and "#e6f4ea" in r._repr_html_()


def test_wrong_value_names_input_expected_and_got():
    r = run(lambda x: 3 * x)
    assert not r and r.status == "wrong"
    text = str(r)
    assert "❌" in text and "expected 2, got 3" in text and "index 0" in text


def test_not_attempted():
    def stub(x):
        raise NotImplementedError("exercise")
    r = run(stub)
    assert r.status == "not_attempted" and str(r).startswith("⏳ Not attempted — double")


@pytest.mark.parametrize("fn, needle", [
    (lambda x: None, "returned None"),
    (lambda x: list(3 * x), "expected 2, got 3"),
    (lambda x: ["a", "b", "c"], "not an array of numbers"),
    (lambda x: (2 * x)[:1], "wrong shape: expected (3,), got (1,)"),
    (lambda x: (2 * x).reshape(-1, 1), "same number of entries"),
    (lambda x: 2 * x * np.nan, "contains nan"),
    (lambda x: 2 * x / 0.0, "contains inf"),
    (lambda x: (2 * x).astype(str), "wrong dtype"),
    (lambda x: "two x", "expected a numpy array"),
])
def test_hostile_returns_are_reported(fn, needle):
    r = run(fn)
    assert r.status == "wrong" and needle in str(r), str(r)


def test_exceptions_are_reported_with_type_and_message():
    def boom(x):
        raise ValueError("bad axis")
    r = run(boom)
    assert r.status == "wrong" and "raised ValueError: bad axis" in str(r)


def test_in_place_modification_is_reported():
    def sneaky(x):
        x *= 2
        return x
    r = run(sneaky)
    assert r.status == "wrong" and "in place" in str(r)


def test_passing_a_value_instead_of_a_function():
    r = run(np.array([2.0]))
    assert r.status == "wrong" and "without calling it" in str(r)


def test_diagnose_adds_a_named_hint():
    r = run(lambda x: -2 * x, diagnose=lambda got, case: "wrong sign" if np.allclose(got, -2 * case.args[0]) else None)
    assert "Hint: wrong sign" in str(r)


def test_scalar_outputs():
    assert compare_output(1.0, 1.0) is None
    assert compare_output(np.float64(1.0), 1.0) is None
    assert compare_output(np.array([1.0]), 1.0) is None
    assert "expected 1, got 1.5" in compare_output(1.5, 1.0)
    assert "expected a number" in compare_output("1", 1.0)
    assert "expected a number" in compare_output(True, 1.0)
    assert "returned nan" in compare_output(float("nan"), 1.0)
    assert "expected a single number" in compare_output(np.array([1.0, 2.0]), 1.0)
    assert "expected a single number" in compare_output([1.0], 1.0)
    assert "expected a number" in compare_output(1 + 2j, 1.0)


def test_tuple_outputs():
    assert compare_output((1.0, np.ones(2)), (1.0, np.ones(2))) is None
    assert "item 1" in compare_output((1.0, np.zeros(2)), (1.0, np.ones(2)))
    assert "tuple of 2" in compare_output(1.0, (1.0, 2.0))


def test_tolerance_is_relative_not_exact():
    assert compare_output(np.array([1.0 + 1e-12]), np.array([1.0])) is None


def test_check_gradient_against_finite_differences():
    f = lambda x: float(np.sum(x ** 3))  # noqa: E731
    pts = [np.array([0.5, -1.0, 2.0])]
    assert check_gradient(lambda x: 3 * x ** 2, f, pts, exercise="cube").correct
    wrong = check_gradient(lambda x: x ** 2, f, pts, exercise="cube")
    assert wrong.status == "wrong" and "differ" in str(wrong)


def test_hints_registry():
    register_hints({"demo-exercise": ["first", "second"]})
    try:
        h1 = str(hint("demo-exercise", 1))
        assert "first" in h1 and "hint 1 of 2" in h1 and "hint('demo-exercise', 2)" in h1
        assert "last one" in str(hint("demo-exercise", 2))
        assert "hints 1 to 2" in str(hint("demo-exercise", 3))
        assert "No hints for 'nope'" in str(hint("nope"))
    finally:
        HINTS.pop("demo-exercise")
    with pytest.raises(ValueError):
        register_hints({"x": []})


def test_checkresult_rejects_unknown_status():
    with pytest.raises(ValueError):
        CheckResult("maybe", "x")


# --------------------------------------------------------------------------------------------
# hostile student code (issue 15, section 3)

import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from mlbook.checks import core  # noqa: E402


@pytest.fixture
def short_budget(monkeypatch):
    monkeypatch.setattr(core, "TIME_BUDGET", 0.5)
    return 0.5


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_lists_and_ndarray_subclasses_are_compared_as_plain_arrays():
    assert run(lambda x: list(2 * x) if x.ndim == 1 else (2 * x).tolist()).correct
    assert run(lambda x: np.ma.masked_array(2 * x)).correct
    assert compare_output(np.matrix([[2.0, 4.0]]), np.array([[2.0, 4.0]])) is None
    assert "wrong shape" in compare_output(np.matrix([2.0, 4.0]), np.array([2.0, 4.0]))


def test_a_mask_never_hides_a_wrong_answer():
    def masked_wrong(x):
        y = 3 * x                                   # wrong everywhere ...
        return np.ma.masked_array(y, mask=np.ones_like(y, dtype=bool))   # ... and all masked
    r = run(masked_wrong)
    assert r.status == "wrong" and "expected 2, got 3" in str(r), str(r)
    assert "expected 2, got 3" in compare_output(np.ma.masked_array([3.0], mask=[True]), np.array([2.0]))
    assert "expected 2, got 3" in compare_output(np.ma.masked_array(3.0, mask=True), 2.0)


def test_endless_loop_is_stopped_within_the_budget(short_budget):
    calls = []

    def forever(x):
        calls.append(1)
        while True:
            pass
    start = time.monotonic()
    r = run(forever)
    elapsed = time.monotonic() - start
    assert r.status == "wrong" and "took longer than 0.5 s" in str(r), str(r)
    assert elapsed < 0.5 + 1.0 and len(calls) == 1          # one call, never a second one
    r2 = run(forever)                                       # re-running the check: not called again
    assert "not called again" in str(r2) and len(calls) == 1


def test_sleep_is_stopped_and_a_bare_except_does_not_help(short_budget):
    def sleeper(x):
        time.sleep(60)
    start = time.monotonic()
    assert "took longer than" in str(run(sleeper))

    def swallows(x):
        try:
            time.sleep(60)
        except:  # noqa: E722 — swallows the interruption, then returns a right answer
            pass
        return 2 * x
    assert "took longer than" in str(run(swallows))      # late is late, even if right

    def loop_catching_exception(x):
        while True:
            try:
                time.sleep(60)
            except Exception:  # noqa: BLE001 — the interruption is not an Exception
                pass
    assert "took longer than" in str(run(loop_catching_exception))
    assert time.monotonic() - start < 3 * 0.5 + 2.0
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_budget_is_shared_by_all_calls_of_one_check(short_budget):
    def slowish(x):
        time.sleep(0.3)
        return 2 * x
    r = run(slowish)                  # two cases x 0.3 s > 0.5 s budget
    assert "took longer than 0.5 s" in str(r)


def test_timeout_outside_the_main_thread(short_budget):
    box = {}

    def forever(x):
        while True:
            time.sleep(0.01)
    t = threading.Thread(target=lambda: box.setdefault("r", run(forever)))
    t.start()
    t.join(5)
    assert "took longer than 0.5 s" in str(box["r"])


@pytest.mark.parametrize("exc, needle", [
    (SystemExit(3), "raised SystemExit(3)"),
    (SystemExit("bye"), "raised SystemExit('bye')"),
    (KeyboardInterrupt(), "raised KeyboardInterrupt"),
])
def test_systemexit_and_keyboardinterrupt_are_reported(exc, needle):
    def quitter(x):
        raise exc
    r = run(quitter)                   # must not propagate: the test (and the kernel) go on
    assert r.status == "wrong" and needle in str(r), str(r)


def test_printed_output_is_captured_and_capped(capsys):
    def chatty(x):
        print("debug: x =", x.shape)
        print("y" * 10_000)
        return 3 * x
    r = run(chatty)
    out = capsys.readouterr().out
    assert out == ""                                   # nothing reached the real stdout
    text = str(r)
    assert "Your function printed:" in text and "debug: x = (3,)" in text
    assert "more characters not shown" in text and len(text) < core.PRINT_LIMIT + 600

    def quiet_right(x):
        print("hello")
        return 2 * x
    ok = run(quiet_right)
    assert ok.correct and "hello" in str(ok)


def test_endless_printing_is_stopped_and_capped(short_budget):
    def spam(x):
        while True:
            print("spam")
    r = run(spam)
    assert "took longer than" in str(r) and len(str(r)) < core.PRINT_LIMIT + 600


def test_passed_is_what_a_graded_cell_asserts():
    assert run(double).passed is True and run(lambda x: 3 * x).passed is False


@pytest.mark.slow
def test_in_a_real_kernel_the_budget_holds_and_the_kernel_survives():
    """What a notebook does: the check runs in the kernel's main thread (SIGALRM path)."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    cells = [
        "import time\nfrom mlbook.checks import core\nfrom mlbook.checks.core import Case, check_function\n"
        "core.TIME_BUDGET = 1.0",
        "def forever(x):\n    while True:\n        pass\n"
        "start = time.monotonic()\n"
        "r = check_function(forever, lambda x: x, [Case(1.0)], exercise='loop')\n"
        "print(r.status, 'took longer than 1 s' in str(r), time.monotonic() - start < 3)",
        "import sys\ndef quits(x):\n    sys.exit('done')\n"
        "print(check_function(quits, lambda x: x, [Case(1.0)], exercise='quit').status)",
        "def interrupts(x):\n    raise KeyboardInterrupt\n"
        "print(check_function(interrupts, lambda x: x, [Case(1.0)], exercise='ki').status)",
        "print('kernel alive')",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells]
    assert outputs[1].strip() == "wrong True True", outputs
    assert outputs[2].strip() == "wrong" and outputs[3].strip() == "wrong", outputs
    assert outputs[4].strip() == "kernel alive"
