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


def _sandbox_or_skip():
    try:
        sandbox.method()
    except RuntimeError:
        pytest.skip("no sandbox: apt-get install bubblewrap")


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
        "check-tanh_method"].in_process                               # a class: through its drivers


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
    _sandbox_or_skip()
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


@pytest.mark.slow
def test_the_sandbox_holds_no_labelled_digits():
    """11's digits exercise tests on bundled MNIST digits: a submission that looks for the
    labelled files (to look each test image up) finds none — in the package copy, on the
    Python path, or through the folder the worker holds open (/proc/<pid>/fd)."""
    _sandbox_or_skip()
    import mlbook
    from mlbook.grading.sandbox import SANDBOX_PACKAGE
    real = pathlib.Path(mlbook.__file__).parent / "datasets" / "data"
    assert sorted(p.name for p in real.glob("*-ubyte.gz"))      # they are bundled outside
    src = _source("01_forward_pass")
    sub = _replace(src, "solution-net_for_output", (
        "def net_for_output(y):\n"
        "    import glob, os, sys\n"
        "    found = []\n"
        f"    for top in [{SANDBOX_PACKAGE!r}, {str(real)!r}, '/tmp', *sys.path]:\n"
        "        found += glob.glob(os.path.join(top, 'mlbook', '**', '*ubyte*'), recursive=True)\n"
        "        found += glob.glob(os.path.join(top, '*ubyte*'))\n"
        "    for fd in glob.glob('/proc/*/fd/*') + glob.glob('/proc/self/fd/*'):\n"  # the worker's
        "        try:\n"
        "            found += [fd for n in os.listdir(fd) if 'ubyte' in n]\n"
        "        except OSError:\n"
        "            pass\n"
        "    raise RuntimeError(f'labelled digits found: {found}')\n"))
    v = sandbox.run(build_programs(src, sub)["check-net_for_output"], hidden=[str(ROOT)])
    assert v["status"] == "wrong" and "labelled digits found: []" in v["message"], v


# --------------------------------------------------------------------------------------------
# the exercises whose checks use the student's objects (a class, a function given a model or a
# graph): judged in the trusted worker too, through the checkers' drivers (mlbook.checks.core
# .driver). For each: a correct answer, a wrong one, a delegating one, and the tampering a
# desperate student would try — each costs that exercise only.

STEMS = {"backward_pass": "03_computational_graphs", "tanh_method": "03_computational_graphs",
         "train_epochs": "04_matrix_backprop", "linear": "11_your_own_network",
         "grad_check": "11_your_own_network", "gradient_errors": "11_your_own_network",
         "net": "11_your_own_network", "train": "11_your_own_network",
         "digits": "11_your_own_network"}
# exercise: (its solution cell, the checks that need that cell, a check that does not)
TARGETS = {"backward_pass": ("backward_pass", ["backward_pass", "tanh_method"], "div_backward"),
           "tanh_method": ("Scalar", ["tanh_method"], "backward_pass"),
           "train_epochs": ("train_epochs", ["train_epochs"], "dense_backward"),
           "linear": ("Linear", ["linear"], "relu_forward"),
           "grad_check": ("grad_check", ["grad_check", "gradient_errors"], "relu_forward"),
           "gradient_errors": ("gradient_errors", ["gradient_errors"], "relu_forward"),
           "net": ("Net", ["net"], "linear"),
           "train": ("train", ["train"], "linear"),
           "digits": ("train", ["digits", "train"], "linear")}
TRAIN_SIG = ("def train(net, X, y, X_val, y_val, *, epochs=10, batch_size=64, lr=0.1, "
             "momentum=0.9, seed=0):\n")
WRONG = {
    "backward_pass": "def backward_pass(root):\n    root.grad = 1.0\n",
    "tanh_method": "{source}\nclass Scalar(Scalar):\n    def tanh(self):\n"
                   "        t = math.tanh(self.data)\n        return Scalar(t, (self,), (t,))\n",
    "train_epochs": "def train_epochs(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):\n"
                    "    return [0.0] * epochs\n",
    "linear": "{source}\nclass Linear(Linear):\n    def backward(self, dY):\n"
              "        dX = super().backward(dY)\n        self.grads['W'] = 2 * self.grads['W']\n"
              "        return dX\n",
    "grad_check": "def grad_check(f, x, h=1e-5):\n    return 0.0, np.zeros_like(x)\n",
    "gradient_errors": "def gradient_errors(layer, X, y):\n    return {'W': 0.0, 'b': 0.0, 'X': 0.0}\n",
    "net": "{source}\nclass Net(Net):\n    def forward(self, X):\n        return 2 * super().forward(X)\n",
    "train": TRAIN_SIG + "    return {'train_loss': [0.0] * epochs, 'val_acc': [0.0] * epochs, "
                        "'best_epoch': 1}\n",
}
WRONG["digits"] = WRONG["train"]
DELEGATING = {
    "backward_pass": "from mlbook.autodiff import topological_order as topo\n"
                     "def backward_pass(root):\n    root.grad = 1.0\n"
                     "    for node in reversed(topo(root)):\n"
                     "        for child, local in zip(node.children, node.local_grads):\n"
                     "            child.grad += local * node.grad\n",
    "tanh_method": "from mlbook.autodiff import Value\nclass Scalar(Value):\n    pass\n",
    "train_epochs": "from mlbook.layers import fit\n"
                    "def train_epochs(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):\n"
                    "    return fit(model, X, y, loss=loss_fn, optimizer='sgd', lr=lr, "
                    "epochs=epochs, batch_size=batch_size, seed=seed)['train_loss']\n",
    "linear": "from mlbook.layers import Dense\nclass Linear(Dense):\n"
              "    def __init__(self, n_in, n_out, rng=0):\n"
              "        super().__init__(n_in, n_out, rng=rng)\n",
    "grad_check": "from mlbook.gradcheck import numerical_gradient, rel_error\n"
                  "def grad_check(f, x, h=1e-5):\n    analytic = np.array(f(x)[1], dtype=float)\n"
                  "    numeric = numerical_gradient(lambda v: f(v)[0], x, eps=h)\n"
                  "    return rel_error(analytic, numeric), numeric\n",
    "gradient_errors": "from mlbook.checks.capstone import _ge_reference\n"
                       "def gradient_errors(layer, X, y):\n"
                       "    return _ge_reference(layer.slip)\n",
    "net": "from mlbook.checks.capstone import _Net as Net\n",
    "train": "from mlbook.layers import fit\nfrom mlbook.optim import Momentum\n" + TRAIN_SIG +
             "    h = fit(net, X, y, loss='softmax_cross_entropy', epochs=epochs, seed=seed,\n"
             "            optimizer=Momentum(lr=lr, momentum=momentum), batch_size=batch_size,\n"
             "            validation=(X_val, y_val))\n"
             "    return {'train_loss': h['train_loss'], 'val_acc': h['val_acc'], "
             "'best_epoch': 1}\n",
}
DELEGATING["digits"] = DELEGATING["train"]
TAMPER = {
    # the delegation rule switched off at def time, then delegate
    "clears_EXERCISES": ("def _off(_=__import__('mlbook.checks.core', fromlist=['core'])"
                         ".EXERCISES.clear()):\n    pass\n", DELEGATING),
    # the checker's result class patched at class-definition time, then a wrong answer
    "patches_result_class": ("class _Patch:\n    import mlbook.checks.core as _core\n"
                             "    _init = _core.CheckResult.__init__\n"
                             "    def __init__(self, status, exercise, message='', _i=_init):\n"
                             "        _i(self, 'correct', exercise, message)\n"
                             "    _core.CheckResult.__init__ = __init__\n"
                             "    _core.CheckResult.passed = property(lambda self: True)\n"
                             "    _core.CheckResult.__bool__ = lambda self: True\n", WRONG),
    # numpy's and mlbook's comparisons patched at import time, then a wrong answer
    "patches_numpy_and_mlbook": (
        "import numpy\nimport mlbook.checks.core\n"
        "def _p(_=[setattr(numpy, n, lambda *a, **k: True) for n in "
        "('isclose', 'allclose', 'array_equal')],\n"
        "       __=setattr(mlbook.checks.core, 'compare_output', lambda *a, **k: None)):\n"
        "    pass\n", WRONG),
    # a fake verdict on the worker's channel, then the process ends
    "fake_verdict_then_exit": (
        "class _Exit:\n    import os as _os\n"
        "    _os.write(1, b'[{\"status\": \"correct\", \"message\": \"ok\", \"mode\": \"x\", "
        "\"hidden\": 1}]\\n')\n    _os._exit(0)\n", WRONG),
}
VARIANTS = ["correct", "wrong", "delegating"] + list(TAMPER)


def _solution_source(nb, cell):
    for c in nb["cells"]:
        if c["metadata"].get("nbgrader", {}).get("grade_id") == f"solution-{cell}":
            return "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
    raise KeyError(cell)


def _submission(exercise, variant):
    src = _source(STEMS[exercise])
    cell = TARGETS[exercise][0]
    original = _solution_source(src, cell)
    if variant == "correct":
        return src
    if variant == "wrong":
        text = WRONG[exercise]
    elif variant == "delegating":
        text = DELEGATING[exercise]
    else:
        prefix, answers = TAMPER[variant]
        text = prefix + answers[exercise]
    return _replace(src, f"solution-{cell}", text.replace("{source}", original))


def _grade_some(exercise, submission):
    _sandbox_or_skip()
    _, needing, other = TARGETS[exercise]
    programs = build_programs(_source(STEMS[exercise]), submission)
    chosen = {g: p for g, p in programs.items() if g[len("check-"):] in needing + [other]}
    verdicts = sandbox.run_many(list(chosen.values()), hidden=[str(ROOT)])
    return {g[len("check-"):]: v for g, v in zip(chosen, verdicts)}


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("exercise", list(TARGETS))
def test_an_exercise_with_objects_is_graded_where_the_student_cannot_reach(exercise, variant):
    got = _grade_some(exercise, _submission(exercise, variant))
    _, needing, other = TARGETS[exercise]
    assert got[other]["status"] == "correct", got[other]            # the others keep their points
    for name in needing:
        v = got[name]
        assert v["error"] is None, v                                   # never a grader fault
        if variant == "correct":
            assert v["status"] == "correct" and v["hidden"] >= 1, v
    if variant != "correct":
        assert got[exercise]["status"] != "correct", got[exercise]
    if variant == "delegating":
        v = got[exercise]
        assert "not available while grading" in v["message"] or "calls mlbook." in v["message"] \
            or "imports mlbook" in v["message"], v


# --------------------------------------------------------------------------------------------
# hidden cases for every graded check

GRADED_STEMS = sorted(p.stem for p in (ROOT / "notebooks").glob("[01][0-9]_*.ipynb")
                      if build_programs(_source(p.stem), _source(p.stem)))


@pytest.mark.slow
@pytest.mark.parametrize("stem", GRADED_STEMS)
def test_every_graded_exercise_runs_a_case_not_in_the_release(stem):
    """The reference solutions pass, and each exercise's verdict counts at least one hidden
    case: perturbed inputs, draws from generators seeded at grading time, or (digits) the
    held-out digits in an order drawn at grading time."""
    _sandbox_or_skip()
    src = _source(stem)
    programs = build_programs(src, src)
    verdicts = sandbox.run_many(list(programs.values()), hidden=[str(ROOT)])
    got = {g: (v["status"], v["hidden"]) for g, v in zip(programs, verdicts)}
    assert all(status == "correct" and hidden >= 1 for status, hidden in got.values()), got


@pytest.mark.slow
def test_a_draw_that_ignores_the_generator_it_is_given_fails_on_hidden_draws():
    _sandbox_or_skip()
    src = _source("07_init_batchnorm")
    fixed = _replace(src, "solution-he_normal", (
        "def he_normal(shape, *, fan_in, fan_out, rng):\n"
        "    return np.random.default_rng(0).normal(0.0, np.sqrt(2.0 / fan_in), size=shape)\n"))
    from mlbook.checks import check_he_normal
    ns = {"np": np}
    exec("import numpy as np\n" + _solution_source(fixed, "he_normal"), ns)
    assert check_he_normal(ns["he_normal"]).correct          # the release's own check passes it
    v = sandbox.run(build_programs(src, fixed)["check-he_normal"], hidden=[str(ROOT)])
    assert v["status"] == "wrong" and "seeded at grading time" in v["message"], v


def test_without_bubblewrap_grading_refuses_unless_the_instructor_opts_in(monkeypatch):
    import shutil
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "bwrap" else real(name))
    monkeypatch.delenv("MLBOOK_SANDBOX", raising=False)
    with pytest.raises(RuntimeError, match="world-readable") as err:
        sandbox.method()
    assert "MLBOOK_SANDBOX=nobody" in str(err.value)
    monkeypatch.setenv("MLBOOK_SANDBOX", "nobody")
    import os
    if os.geteuid() == 0 and real("setpriv"):
        assert sandbox.method() == "nobody"
    else:
        with pytest.raises(RuntimeError, match="root"):
            sandbox.method()


@pytest.mark.slow
@pytest.mark.parametrize("stem, cell, answer", [
    ("04_matrix_backprop", "dense_backward",
     "def dense_backward(dY, X, W):\n    from mlbook.layers import Dense\n"
     "    layer = Dense(W.shape[0], W.shape[1])\n    layer.params['W'][...] = W\n"
     "    layer.forward(X)\n    dX = layer.backward(dY)\n"
     "    return dX, layer.grads['W'], layer.grads['b']\n"),
    ("05_activations", "sigmoid_grad", "from mlbook.activations import sigmoid_grad\n"),
    ("02_worked_example", "dE_dw7",
     "import mlbook.checks.worked_example as _w\n"
     "def dE_dw7(params):\n    return _w._dE_dw7(params)\n"),
], ids=["dense_backward", "sigmoid_grad", "dE_dw7"])
def test_switching_off_the_watch_leaves_nothing_to_delegate_to(stem, cell, answer):
    """The delegation watch runs in the student's process, where a def-time default argument
    can clear the rules; the off-limits functions are already replaced there by refusing code."""
    _sandbox_or_skip()
    src = _source(stem)
    clear = ("def _off(_=__import__('mlbook.checks.core', fromlist=['core']).EXERCISES.clear(),"
             " __=__import__('sys').setprofile(None)):\n    pass\n")
    sub = _replace(src, f"solution-{cell}", clear + answer)
    v = sandbox.run(build_programs(src, sub)[f"check-{cell}"], hidden=[str(ROOT)])
    assert v["status"] == "wrong" and "calls mlbook." in v["message"], v
    assert v["error"] is None, v


@pytest.mark.slow
def test_the_students_process_cannot_reach_into_the_workers_memory():
    """Same user, parent process: /proc/<worker>/mem and ptrace are closed (not dumpable)."""
    _sandbox_or_skip()
    src = _source("01_forward_pass")
    sub = _replace(src, "solution-net_for_output", (
        "def net_for_output(y):\n"
        "    import os\n"
        "    seen = []\n"
        "    for what in ('mem', 'environ', 'maps'):\n"
        "        try:\n"
        "            with open(f'/proc/{os.getppid()}/{what}', 'rb') as f:\n"
        "                f.read(1)\n"
        "            seen.append(what)\n"
        "        except OSError:\n"
        "            pass\n"
        "    raise RuntimeError(f'readable: {seen}')\n"))
    v = sandbox.run(build_programs(src, sub)["check-net_for_output"], hidden=[str(ROOT)])
    assert "readable: []" in v["message"], v
