"""What a check leaves behind in the process: the delegation watch (profilers restored, threads
watched, a removed watch refused) and the output capture (per thread, ended with the check)."""
import io
import sys
import threading
import time

import numpy as np
import pytest

import mlbook.activations as act
from mlbook.checks import check_sigmoid_grad
from mlbook.checks.core import Budget, Case, declare_exercise, guarded_call


def own_sigmoid_grad(x):
    s = act.sigmoid(x)                  # may_use
    return s * (1 - s)


def test_previous_profilers_are_restored():
    def mine(frame, event, arg):
        pass
    threading.setprofile(mine)
    sys.setprofile(mine)
    try:
        assert check_sigmoid_grad(own_sigmoid_grad)
        assert sys.getprofile() is mine and threading.getprofile() is mine
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    assert check_sigmoid_grad(own_sigmoid_grad)
    assert sys.getprofile() is None and threading.getprofile() is None


def test_a_thread_the_student_starts_is_watched():
    def threaded(x):
        box = {}
        t = threading.Thread(target=lambda: box.update(r=act.sigmoid_grad(x)))
        t.start()
        t.join()
        return box["r"]
    text = str(check_sigmoid_grad(threaded))
    assert "calls mlbook.activations.sigmoid_grad" in text, text


def test_removing_the_watch_is_refused():
    def unwatch(x):
        sys.setprofile(None)
        return act.sigmoid_grad(x)
    text = str(check_sigmoid_grad(unwatch))
    assert "❌" in text and "sys.setprofile" in text, text
    assert sys.getprofile() is None


def test_a_delegating_method_defined_in_the_notebook_on_an_mlbook_object_is_caught():
    class Sneaky:
        grad = staticmethod(act.sigmoid_grad)
    text = str(check_sigmoid_grad(lambda x: Sneaky().grad(x)))
    assert "calls mlbook.activations.sigmoid_grad" in text, text


def test_rule_names_must_be_mlbook_objects():
    with pytest.raises(ValueError, match="off_limits must name"):
        declare_exercise("nothing", off_limits=[])
    with pytest.raises(TypeError, match="off_limits and may_use take"):
        declare_exercise("bad", off_limits=[42])


# --------------------------------------------------------------------------------------------
# output capture

def test_capture_is_per_thread_and_restores_the_streams(capsys):
    real = sys.stdout
    started, release = threading.Event(), threading.Event()

    def slow_printer(x):
        print("from the student")
        started.set()
        release.wait(5)
        return x

    printed = []
    worker = threading.Thread(target=lambda: guarded_call(slow_printer, Case(1.0),
                                                          printed=printed))
    worker.start()
    try:
        assert started.wait(5)
        assert sys.stdout is not real                   # a check is capturing, in the worker...
        print("from the main thread")                  # ...but not this thread's output
    finally:
        release.set()
        worker.join(5)
    assert capsys.readouterr().out == "from the main thread\n"
    assert printed == ["from the student\n"]
    assert sys.stdout is real


def test_a_runaway_function_in_a_thread_does_not_keep_stdout():
    real_out, real_err = sys.stdout, sys.stderr
    stop = threading.Event()

    def runaway(x):
        while not stop.is_set():
            print("still running")
            time.sleep(0.01)

    box = {}
    checker = threading.Thread(target=lambda: box.update(
        r=guarded_call(runaway, Case(np.zeros(1)), budget=Budget(0.3))))
    try:
        checker.start()
        checker.join(10)
        assert box["r"][1] is not None and "took longer than" in box["r"][1]
        assert sys.stdout is real_out and sys.stderr is real_err   # the check is over
    finally:
        stop.set()
        time.sleep(0.05)
    assert sys.stdout is real_out and sys.stderr is real_err


# --------------------------------------------------------------------------------------------
# what the student sees when an exercise is not written (or its cell not run)

def test_not_attempted_says_what_is_known():
    def stub(x):
        raise NotImplementedError("exercise")
    text = str(check_sigmoid_grad(stub))
    assert text.startswith("⏳ Not attempted — sigmoid_grad")
    assert "this kernel knows still raises NotImplementedError" in text
    assert "RUN THAT CELL" in text and "SyntaxError" in text


def test_needs_skips_the_rest_of_the_cell_with_a_waiting_box(capsys):
    from mlbook.checks import needs

    def train_epochs(*args, **kwargs):
        raise NotImplementedError("exercise")
    reached = []
    with needs("train_epochs"):
        train_epochs()
        reached.append(True)
    out = capsys.readouterr().out
    assert not reached
    assert out.startswith("⏳ Not attempted — train_epochs")
    assert "still raises NotImplementedError" in out and "run that cell" in out
    # a working function: nothing shown, the whole block runs
    with needs("train_epochs"):
        reached.append(True)
    assert reached == [True] and capsys.readouterr().out == ""
    # any other error is the cell's own: it propagates
    with pytest.raises(ZeroDivisionError):
        with needs("train_epochs"):
            1 / 0
    with pytest.raises(ValueError, match="names of the exercises"):
        needs()


def test_keeping_the_watch_from_new_threads_is_refused():
    def sneaky(x):
        hook = threading.getprofile()
        threading.setprofile(None)
        box = {}
        t = threading.Thread(target=lambda: box.update(r=act.sigmoid_grad(x)))
        t.start()
        t.join()
        threading.setprofile(hook)
        return box["r"]
    text = str(check_sigmoid_grad(sneaky))
    assert "❌" in text and "threading.setprofile" in text, text
    assert threading.getprofile() is None
