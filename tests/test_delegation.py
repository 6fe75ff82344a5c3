"""The delegation rule: an exercise passes only when the student wrote it.

For EVERY exercise of the solution notebooks (found by scanning them for ``### BEGIN SOLUTION``
regions), the notebook's own reference solution gets ✅ and each answer in ``DELEGATING`` — built
from mlbook's implementation of the same thing — gets ❌ naming that mlbook function. An exercise
with no row here fails ``test_every_exercise_has_a_row``.

Adding an exercise: add a key ``"check_<name>"`` (the function its check cell calls) to
``DELEGATING`` with at least one ``(answer_source, name_in_message)`` pair. ``answer_source``
redefines the student's symbol (the ``def``/``class`` of the solution cell) using mlbook; it is
executed in the notebook's namespace (its imports plus the reference solutions), then the check
cell runs and must say ❌ with ``name_in_message`` in the message.
"""
import ast
import json
import re
from pathlib import Path

import pytest

from mlbook.checks.core import EXERCISES

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# check function -> [(delegating answer, what the ❌ message must name)]
DELEGATING = {
    # 01
    "check_net_for_output": [
        ("def net_for_output(y):\n"
         "    from mlbook.checks.worked_example import _net_for_output\n"
         "    return _net_for_output(y)", "_net_for_output"),
    ],
    "check_layer_forward": [
        ("def layer_forward(W, X, b):\n"
         "    from mlbook.layers import Dense, Sigmoid, Sequential\n"
         "    layer = Dense(W.shape[1], W.shape[0])\n"
         "    layer.params['W'][...] = W.T\n"
         "    layer.params['b'][...] = b\n"
         "    return Sequential([layer, Sigmoid()]).forward(X)", "mlbook.layers.dense.Sequential.forward"),
    ],
    # 02
    "check_total_error": [
        ("def total_error(params):\n"
         "    return forward(params)['E_total']", "mlbook.worked_example.forward"),
        ("import mlbook.worked_example as we_alias\n"       # import-as + getattr
         "def total_error(params):\n"
         "    return getattr(we_alias, 'forward')(params)['E_total']",
         "mlbook.worked_example.forward"),
    ],
    "check_dE_dw7": [
        ("def dE_dw7(params):\n"
         "    return gradients(params)['w7']", "mlbook.worked_example.gradients"),
        ("from mlbook.autodiff import worked_example_graph\n"
         "def dE_dw7(params):\n"
         "    root, leaves = worked_example_graph(params)\n"
         "    root.backward()\n"
         "    return leaves['w7'].grad", "mlbook.autodiff"),
    ],
    "check_dE_dw4": [
        ("from mlbook.gradcheck import numerical_gradient\n"
         "def dE_dw4(params):\n"
         "    return chain_rule_factors(params)['w4']['value']", "mlbook.worked_example"),
        ("def _helper(p):\n"                               # the student's own helper delegates
         "    return gradients(p)\n"
         "def dE_dw4(params):\n"
         "    return _helper(params)['w4']", "mlbook.worked_example.gradients"),
    ],
    # 03
    "check_div_backward": [
        ("def div_backward(a, b, dout):\n"
         "    va, vb = Value(a), Value(b)\n"
         "    f = va / vb\n"
         "    f.backward(dout)\n"
         "    return va.grad, vb.grad", "mlbook.autodiff.Value"),
    ],
    "check_backward_pass": [
        ("from mlbook.autodiff import topological_order as topo\n"
         "def backward_pass(root):\n"
         "    root.grad = 1.0\n"
         "    for node in reversed(topo(root)):\n"
         "        for child, local in zip(node.children, node.local_grads):\n"
         "            child.grad += local * node.grad", "mlbook.autodiff.topological_order"),
    ],
    "check_tanh_method": [
        ("class Scalar(Value):\n"                           # inherits Value.tanh
         "    pass", "mlbook.autodiff.Value.tanh"),
        ("from mlbook.activations import tanh_grad as tg\n"
         "class Scalar:\n"
         "    def __init__(self, data, children=(), local_grads=()):\n"
         "        self.data, self.grad = float(data), 0.0\n"
         "        self.children, self.local_grads = tuple(children), tuple(local_grads)\n"
         "    def tanh(self):\n"
         "        return Scalar(math.tanh(self.data), (self,), (float(tg(self.data)),))",
         "mlbook.activations.tanh_grad"),
    ],
    # 04
    "check_dense_backward": [
        ("def dense_backward(dY, X, W):\n"
         "    from mlbook.layers import Dense\n"
         "    layer = Dense(*W.shape)\n"
         "    layer.params['W'][...] = W\n"
         "    layer.forward(X)\n"
         "    dX = layer.backward(dY)\n"                     # a layer's backward
         "    return dX, layer.grads['W'], layer.grads['b']", "mlbook.layers.dense.Dense"),
    ],
    "check_two_layer_backward": [
        ("def two_layer_backward(X, T, W1, b1, W2, b2):\n"
         "    from mlbook.layers import Dense, Sequential, Sigmoid\n"
         "    from mlbook.losses import mse\n"
         "    net = Sequential([Dense(*W1.shape), Sigmoid(), Dense(*W2.shape), Sigmoid()])\n"
         "    for k, (W, b) in enumerate([(W1, b1), (W2, b2)]):\n"
         "        net.layers[2 * k].params['W'][...] = W\n"
         "        net.layers[2 * k].params['b'][...] = b\n"
         "    _, dout = mse(net.forward(X), T)\n"
         "    net.backward(dout)\n"
         "    g = [net.layers[0].grads, net.layers[2].grads]\n"
         "    return g[0]['W'], g[0]['b'], g[1]['W'], g[1]['b']", "mlbook.layers.dense"),
    ],
    "check_train_epochs": [
        ("def train_epochs(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):\n"
         "    from mlbook.layers import fit\n"
         "    return fit(model, X, y, loss=loss_fn, optimizer='sgd', lr=lr, epochs=epochs,\n"
         "               batch_size=batch_size, seed=seed)['train_loss']",
         "mlbook.layers.training.fit"),
        ("def train_epochs(model, X, y, loss_fn, *, lr, epochs, batch_size, seed):\n"
         "    from mlbook.optim import SGD\n"
         "    opt = SGD(lr)\n"
         "    step = opt.step\n"                             # a bound method, called later
         "    rng = np.random.default_rng(seed)\n"
         "    losses = []\n"
         "    for _ in range(epochs):\n"
         "        idx = rng.permutation(len(X))\n"
         "        for s in range(0, len(X), batch_size):\n"
         "            b = idx[s:s + batch_size]\n"
         "            model.backward(loss_fn(model.forward(X[b]), y[b])[1])\n"
         "            step(model.params, model.grads)\n"
         "        losses.append(loss_fn(model.forward(X), y)[0])\n"
         "    return losses", "mlbook.optim"),
    ],
    # 05
    "check_sigmoid_grad": [
        ("import mlbook.activations as act\n"
         "def sigmoid_grad(x):\n"
         "    return act.sigmoid_grad(x)", "mlbook.activations.sigmoid_grad"),
        ("from mlbook.activations import sigmoid_grad as sg\n"
         "sigmoid_grad = sg", "mlbook.activations.sigmoid_grad"),
        ("def sigmoid_grad(x):\n"
         "    from mlbook.layers import Sigmoid\n"
         "    layer = Sigmoid()\n"
         "    layer.forward(x)\n"
         "    return layer.backward(np.ones_like(x))", "mlbook.layers.dense"),
    ],
    "check_tanh_grad": [
        ("def tanh_grad(x):\n"
         "    return getattr(act, 'tanh_grad')(x)", "mlbook.activations.tanh_grad"),
    ],
    "check_softmax": [
        ("def softmax(z):\n"
         "    return act.softmax(z)", "mlbook.activations.softmax"),
    ],
    # 06
    "check_momentum_update": [
        ("from mlbook import optim as o\n"
         "def momentum_update(w, dw, v, lr, momentum):\n"
         "    return o.momentum_update(w, dw, v, lr, momentum)", "mlbook.optim.momentum_update"),
    ],
    "check_adam_update": [
        ("def adam_update(w, dw, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):\n"
         "    from mlbook.optim import adam_update as ref\n"
         "    return ref(w, dw, m, v, t, lr, beta1, beta2, eps)", "mlbook.optim.adam_update"),
    ],
    # 07
    "check_he_normal": [
        ("from mlbook.init import he_normal as he_init\n"
         "def he_normal(shape, *, fan_in, fan_out, rng):\n"
         "    return he_init(shape, fan_in=fan_in, fan_out=fan_out, rng=rng)",
         "mlbook.init.he_normal"),
        ("def he_normal(shape, *, fan_in, fan_out, rng):\n"        # through a constructor
         "    from mlbook.layers import Conv2D, Dense\n"
         "    if len(shape) == 2:\n"
         "        return Dense(*shape, rng=rng, init='he_normal').params['W']\n"
         "    return Conv2D(shape[1], shape[0], shape[2], rng=rng, init='he_normal').params['W']",
         "mlbook.init"),
    ],
    "check_batchnorm_backward": [
        ("def batchnorm_backward(dy, x, gamma, eps):\n"
         "    from mlbook.layers import BatchNorm\n"
         "    bn = BatchNorm(x.shape[1], eps=eps)\n"
         "    bn.params['gamma'][...] = gamma\n"
         "    bn.forward(x, training=True)\n"
         "    return bn.backward(dy), bn.grads['gamma'], bn.grads['beta']",
         "mlbook.layers.batchnorm"),
    ],
    # 08
    "check_conv_output_size": [
        ("def conv_output_size(n, kernel, stride, padding):\n"
         "    from mlbook.conv import output_size\n"
         "    return output_size(n, kernel, stride, padding)", "mlbook.conv.output_size"),
    ],
    "check_conv2d_kernel_grad": [
        ("def conv2d_kernel_grad(image, kernel, dout):\n"
         "    return conv2d_backward(image, kernel, dout)[1]", "mlbook.conv.conv2d_backward"),
    ],
    "check_conv2d_no_padding": [
        ("def conv2d_no_padding(image, kernel):\n"
         "    return conv2d(image, kernel)", "mlbook.conv.conv2d"),
    ],
    # 09
    "check_dropout_forward": [
        ("from mlbook.layers import dropout as d\n"
         "def dropout_forward(x, p, rng):\n"
         "    return d.dropout_forward(x, p, rng)", "mlbook.layers.dropout.dropout_forward"),
    ],
    "check_dropout_backward": [
        ("def dropout_backward(dy, cache):\n"
         "    from mlbook.layers.dropout import dropout_backward as ref\n"
         "    return ref(dy, cache)", "mlbook.layers.dropout.dropout_backward"),
    ],
    "check_l2_penalty": [
        ("def l2_penalty(W, lam):\n"
         "    from mlbook.regularization import L2\n"
         "    pen = L2(lam)\n"
         "    return pen.value(W), pen.grad(W)", "mlbook.regularization.L2"),
    ],
    # 10
    "check_confusion_matrix": [
        ("def confusion_matrix(labels, predictions):\n"
         "    return ladder.confusion_matrix(labels, predictions)",
         "mlbook.ladder.confusion_matrix"),
    ],
    "check_shift_images": [
        ("from mlbook.datasets.augment import shift as moved\n"
         "def shift_images(images, dx, dy):\n"
         "    return moved(images, dx, dy)", "mlbook.datasets.augment.shift"),
    ],
    # 11
    "check_linear": [
        ("class Linear(Linear):\n"                         # the notebook's __init__, mlbook's Dense
         "    def forward(self, X):\n"
         "        self.dense = Dense(*self.params['W'].shape)\n"
         "        self.dense.params = self.params\n"
         "        return self.dense.forward(X)\n"
         "    def backward(self, dY):\n"
         "        dX = self.dense.backward(dY)\n"
         "        self.grads = self.dense.grads\n"
         "        return dX", "mlbook.layers.dense.Dense"),
    ],
    "check_relu_forward": [
        ("from mlbook.activations import relu as r\n"
         "relu_forward = r", "mlbook.activations.relu"),
    ],
    "check_relu_backward": [
        ("def relu_backward(dout, x):\n"
         "    layer = ReLU()\n"
         "    layer.forward(x)\n"
         "    return layer.backward(dout)", "mlbook.layers.dense"),
    ],
    "check_softmax_cross_entropy": [
        ("import mlbook.losses as L\n"
         "def softmax_cross_entropy(logits, y):\n"
         "    return getattr(L, 'softmax_cross_entropy')(logits, y)",
         "mlbook.losses.softmax_cross_entropy"),
    ],
    "check_grad_check": [
        ("from mlbook.gradcheck import numerical_gradient, rel_error\n"
         "def grad_check(f, x, h=1e-5):\n"
         "    analytic = np.array(f(x)[1], dtype=float)\n"
         "    numeric = numerical_gradient(lambda v: f(v)[0], x, eps=h)\n"
         "    return rel_error(analytic, numeric), numeric", "mlbook.gradcheck"),
    ],
    "check_gradient_errors": [
        ("from mlbook.gradcheck import numerical_gradient as ng, rel_error as re_\n"
         "def gradient_errors(layer, X, y):\n"
         "    out = {}\n"
         "    for name in ('W', 'b', 'X'):\n"
         "        x = X if name == 'X' else layer.params[name]\n"
         "        loss, dY = softmax_cross_entropy(layer.forward(X), y)\n"
         "        dX = layer.backward(dY)\n"
         "        a = np.array(dX if name == 'X' else layer.grads[name])\n"
         "        n = ng(lambda _: softmax_cross_entropy(layer.forward(X), y)[0], x)\n"
         "        out[name] = re_(a, n)\n"
         "    return out", "mlbook.gradcheck"),
    ],
    "check_sgd_momentum_step": [
        ("def sgd_momentum_step(params, grads, velocity, lr, momentum):\n"
         "    opt = Momentum(lr=lr, momentum=momentum)\n"
         "    opt.step(params, grads)", "mlbook.optim"),
        ("from mlbook.optim import momentum_update\n"
         "def sgd_momentum_step(params, grads, velocity, lr, momentum):\n"
         "    for k in params:\n"
         "        params[k][...], velocity[k][...] = momentum_update(params[k], grads[k],\n"
         "                                                           velocity[k], lr, momentum)",
         "mlbook.optim.momentum_update"),
    ],
    "check_net": [
        ("class Net(Net):\n"                               # the layers' arrays through Sequential
         "    def forward(self, X):\n"
         "        mods = []\n"
         "        for i, la in enumerate(self.layers):\n"
         "            d = Dense(*la.params['W'].shape)\n"
         "            d.params = la.params\n"
         "            mods += [d] + ([ReLU()] if i < len(self.layers) - 1 else [])\n"
         "        self.seq = Sequential(mods)\n"
         "        return self.seq.forward(X)\n"
         "    def backward(self, dlogits):\n"
         "        dX = self.seq.backward(dlogits)\n"
         "        for la, d in zip(self.layers, self.seq.layers[::2]):\n"
         "            la.grads = d.grads\n"
         "        return dX", "mlbook.layers.dense"),
    ],
    "check_train": [
        ("def train(net, X, y, X_val, y_val, *, epochs=10, batch_size=64, lr=0.1, momentum=0.9,\n"
         "          seed=0):\n"
         "    h = fit(net, X, y, loss='softmax_cross_entropy', epochs=epochs, seed=seed,\n"
         "            optimizer=Momentum(lr=lr, momentum=momentum), batch_size=batch_size,\n"
         "            validation=(X_val, y_val))\n"
         "    return {'train_loss': h['train_loss'], 'val_acc': [0.0] * epochs, 'best_epoch': 1}",
         "mlbook.layers.training.fit"),
    ],
    "check_maxpool_backward": [
        ("from mlbook.layers import MaxPool2D\n"
         "def maxpool_backward(dout, x, size=2, stride=2):\n"
         "    pool = MaxPool2D(size, stride)\n"
         "    pool.forward(x[None, None])\n"
         "    return pool.backward(dout[None, None])[0, 0]", "MaxPool2D"),
    ],
    "check_conv_input_grad": [
        ("from mlbook.conv import conv2d_backward\n"
         "def conv_input_grad(dout, kernel, image_shape, stride=1, padding=0):\n"
         "    return conv2d_backward(np.zeros(image_shape), kernel, dout, stride=stride,\n"
         "                           padding=padding)[0]", "mlbook.conv.conv2d_backward"),
    ],
}


# --------------------------------------------------------------------------------------------
# the exercises, as the notebooks have them

def _code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _imports(source):
    """The top-level import statements of a cell (cells that are not plain Python: none)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    return "\n".join(ast.get_source_segment(source, node) for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def exercises():
    """[(notebook, check function name, check cell source, solution cell source)] in order."""
    found = []
    for path in NOTEBOOKS:
        cells = _code_cells(path)
        for k, source in enumerate(cells):
            if "### BEGIN SOLUTION" not in source:
                continue
            check = next(c for c in cells[k + 1:] if re.search(r"^check_\w+\(", c, re.M))
            name = re.search(r"^(check_\w+)\(", check, re.M).group(1)
            found.append((path.name, name, check.strip(), source))
    return found


EXERCISE_LIST = exercises()


def _namespace(notebook):
    """The notebook's imports and every reference solution of it, executed."""
    ns = {}
    cells = _code_cells(next(p for p in NOTEBOOKS if p.name == notebook))
    exec("\n".join(_imports(c) for c in cells), ns)                 # noqa: S102
    for c in cells:
        if "### BEGIN SOLUTION" in c:
            exec(c, ns)                                            # noqa: S102
    return ns


def test_the_scan_finds_the_26_exercises_of_01_to_10():
    assert len(EXERCISE_LIST) >= 26
    assert {nb for nb, *_ in EXERCISE_LIST} >= {p.name for p in NOTEBOOKS if p.name[:2] != "00"}


@pytest.mark.parametrize("notebook, check, cell", [(n, c, cell) for n, c, cell, _ in EXERCISE_LIST])
def test_every_exercise_has_a_row(notebook, check, cell):
    assert DELEGATING.get(check), (f"{notebook}: the exercise checked by {check} has no "
                                   f"delegating answer in tests/test_delegation.py DELEGATING")


@pytest.mark.parametrize("notebook, check, cell", [(n, c, cell) for n, c, cell, _ in EXERCISE_LIST])
def test_reference_solution_passes_and_its_exercise_is_declared(notebook, check, cell):
    """The notebook's own solution gets ✅, and every call of it the checker makes is watched
    under a declared rule (otherwise nothing would be refused)."""
    import mlbook.checks as checks
    ns = _namespace(notebook)
    called = []
    original = checks.core.guarded_call

    def spy(*args, exercise=None, **kwargs):
        called.append(exercise)
        return original(*args, exercise=exercise, **kwargs)
    with pytest.MonkeyPatch.context() as mp:
        for module in [checks.core] + [getattr(checks, m) for m in dir(checks)]:
            if getattr(module, "guarded_call", None) is original:
                mp.setattr(module, "guarded_call", spy)
        result = eval(cell, ns)                                    # noqa: S307
    assert result.status == "correct", str(result)
    assert called and all(name in EXERCISES for name in called), (check, called)


ROWS = [(n, c, cell, source, needle) for n, c, cell, _ in EXERCISE_LIST
        for source, needle in DELEGATING.get(c, [])]


@pytest.mark.parametrize("notebook, check, cell, answer, needle", ROWS,
                         ids=[f"{c}-{k}" for k, (_, c, *_rest) in enumerate(ROWS)])
def test_delegating_answer_is_refused_naming_the_function(notebook, check, cell, answer, needle):
    ns = _namespace(notebook)
    exec(answer, ns)                                               # noqa: S102
    result = eval(cell, ns)                                        # noqa: S307
    text = str(result)
    assert result.status == "wrong", text
    assert needle in text and "the exercise is to write it yourself" in text, text


# --------------------------------------------------------------------------------------------
# the answer stands only in its solution region

def _normalized(lines):
    """Code lines without comments, blanks, whitespace and a leading ``return``."""
    out = []
    for line in lines:
        code = re.sub(r"\s+", "", line.split("#", 1)[0])
        code = code[len("return"):] if code.startswith("return") else code
        if len(code) >= 10:
            out.append(code)
    return out


def _solution_lines(source):
    inside, lines = False, []
    for line in source.split("\n"):
        if line.strip().startswith("### BEGIN SOLUTION"):
            inside = True
        elif line.strip().startswith("### END SOLUTION"):
            inside = False
        elif inside:
            lines.append(line)
    return _normalized(lines)


def repeated_answers(cells):
    """[(exercise cell index, other cell index, shared lines)] where a code cell outside an
    exercise's solution region holds at least half of that solution's distinctive lines (all
    of them for a one- or two-line answer)."""
    found = []
    for k, source in enumerate(cells):
        if "### BEGIN SOLUTION" not in source:
            continue
        answer = set(_solution_lines(source))
        if not answer:
            continue
        need = len(answer) if len(answer) <= 2 else (len(answer) + 1) // 2
        for j, other in enumerate(cells):
            if j == k:
                continue
            shared = answer & set(_normalized(other.split("\n")))
            if len(shared) >= need:
                found.append((k, j, sorted(shared)))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_code_cell_outside_the_solution_region_repeats_the_answer(path):
    assert repeated_answers(_code_cells(path)) == []


def test_the_repetition_test_finds_the_old_04_case():
    """The 2-2-2 backward pass that stood, line for line, eight cells below exercise 2."""
    cells = _code_cells(next(p for p in NOTEBOOKS if p.name.startswith("04")))
    k = next(i for i, c in enumerate(cells) if "def two_layer_backward" in c)
    copied = "\n".join(_solution_body(cells[k]).replace("/ n ", "").split("\n")[3:])
    found = repeated_answers(cells[:k + 1] + [copied])
    assert found and found[0][:2] == (k, k + 1), found


def _solution_body(source):
    return source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
