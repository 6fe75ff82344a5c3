"""The MNIST ladder: the four models, frozen biases, training, the table, the command line."""
import io

import numpy as np
import pytest

from mlbook import ladder
from mlbook.datasets import mnist
from mlbook.layers import Conv2D, Dense, Dropout, MaxPool2D
from mlbook.layers.training import DivergenceWarning
from mlbook.optim import SGD, DivergenceError


def tiny_data(n=300, seed=0):
    (X, y), (Xt, yt) = mnist.course_split()
    return (X[:n], y[:n]), (Xt[:n], yt[:n])


def test_models_follow_the_recipes():
    shapes = {}
    for rung in ladder.RUNGS:
        model = ladder.build_model(rung, rng=0)
        x = ladder.model_input(rung, np.zeros((2, 28, 28)))
        assert model.forward(x, training=False).shape == (2, 10)
        weights = [l.params["W"] for l in model.layers if "W" in l.params]
        assert all(abs(W.std() - 0.01) < 0.002 and abs(W.mean()) < 0.002 for W in weights)
        assert all(not l.params["b"].any() for l in model.layers if "b" in l.params)
        shapes[rung] = [W.shape for W in weights]
    assert shapes["logistic"] == [(784, 10)]
    assert shapes["sigmoid_625"] == [(784, 625), (625, 10)]
    assert shapes["modern"] == [(784, 625), (625, 625), (625, 10)]
    assert shapes["convnet"] == [(32, 1, 3, 3), (64, 32, 3, 3), (128, 64, 3, 3), (1152, 625),
                                 (625, 10)]
    modern = ladder.build_model("modern")
    assert [l.p for l in modern.layers if isinstance(l, Dropout)] == [0.2, 0.5, 0.5]
    conv = ladder.build_model("convnet")
    assert sum(isinstance(l, MaxPool2D) for l in conv.layers) == 3
    assert [l.p for l in conv.layers if isinstance(l, Dropout)] == [0.2, 0.2, 0.2, 0.5]
    small = ladder.build_model("convnet", small=True, init="default")
    assert [l.params["W"].shape for l in small.layers if isinstance(l, Conv2D)] == \
        [(8, 1, 3, 3), (16, 8, 3, 3)]
    assert ladder.model_input("convnet", np.zeros((3, 28, 28))).shape == (3, 1, 28, 28)
    assert ladder.model_input("logistic", np.zeros((3, 28, 28))).shape == (3, 784)


def test_frozen_biases_stay_zero_and_weights_move():
    model = ladder.build_model("sigmoid_625", rng=1, hidden=20)
    opt = ladder.make_optimizer_for("sigmoid_625")
    assert isinstance(opt, ladder.FrozenBiases) and isinstance(opt.inner, SGD)
    assert opt.lr == 0.05
    before = {k: v.copy() for k, v in model.params.items()}
    (X, y), _ = tiny_data(64)
    ladder.train_epoch(model, opt, ladder.model_input("sigmoid_625", X), y,
                       rng=np.random.default_rng(0))
    for k, v in model.params.items():
        if k.endswith(".b"):
            assert not v.any(), k
        else:
            assert not np.allclose(v, before[k]), k
    rms = ladder.make_optimizer_for("modern", lr=0.002, eps=1e-8)
    assert rms.inner.lr == 0.002 and rms.inner.rho == 0.9 and rms.inner.eps == 1e-8
    assert ladder.make_optimizer_for("convnet").inner.eps == 1e-3
    with pytest.raises(TypeError, match="inner"):
        ladder.FrozenBiases("sgd")


def test_train_rung_learns_and_is_reproducible():
    train, test = tiny_data(400)
    a = ladder.train_rung("logistic", train, test, epochs=3, rng=0, lr=0.5)
    b = ladder.train_rung("logistic", train, test, epochs=3, rng=0, lr=0.5)
    assert len(a["train_loss"]) == len(a["test_accuracy"]) == 3
    assert a["train_loss"] == b["train_loss"] and a["accuracy"] == b["accuracy"]
    assert a["train_loss"][-1] < a["train_loss"][0] < np.log(10) + 0.01
    assert a["accuracy"] > 0.6                          # 10 classes: chance is 0.1
    assert a["accuracy"] == ladder.accuracy(a["model"], ladder.model_input("logistic", test[0]),
                                            test[1])
    p = ladder.predict_proba(a["model"], ladder.model_input("logistic", test[0]))
    assert p.shape == (400, 10) and np.allclose(p.sum(axis=1), 1)
    seen = []
    ladder.train_rung("logistic", train, test, epochs=2, augment=lambda X, rng: seen.append(1) or X,
                      progress=type("P", (), {"update": lambda self, e, t: seen.append(t)})())
    assert seen[0] == seen[2] == 1 and "test accuracy" in seen[1] and len(seen) == 4


def test_confusion_matrix_and_table():
    C = ladder.confusion_matrix([0, 1, 1, 9], [0, 1, 2, 9])
    assert C.shape == (10, 10) and C[1, 2] == 1 and np.trace(C) == 3
    table = ladder.comparison_table({"logistic": 0.9, "convnet": 0.97}, n_train=8000)
    assert "| logistic regression | 90.00 % | 92.5 % | -2.50 points |" in table
    assert "| convnet | 97.00 % | 99.5 % | -2.50 points |" in table
    assert "99.77 %" in table and "8,000 training digits" in table and "625 sigmoid" not in table


def test_progress_in_a_terminal():
    out = io.StringIO()
    with ladder.Progress(4, "rung", stream=out) as bar:
        bar.update(1, "loss 1.0")
        bar.update(4, "loss 0.5")
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "epoch 1/4" in text and "[" + "#" * 30 + "]" in text and "loss 0.5" in text


def test_bad_arguments():
    with pytest.raises(ValueError, match="rung"):
        ladder.build_model("resnet")
    with pytest.raises(ValueError, match="epochs"):
        ladder.train_rung("logistic", *tiny_data(50), epochs=0)
    with pytest.raises(ValueError, match="init"):
        ladder.build_model("logistic", init="glorot")


def test_command_line_end_to_end_on_bundled_digits(capsys):
    code = ladder.main(["--data", "bundled", "--limit", "60", "--epochs", "1"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Estimated run time" in out and "60 training digits" in out
    for rung in ladder.RUNGS:
        assert f"| {ladder.TITLES[rung]} |" in out
    assert "99.77 %" in out and "epoch 1/1" in err


def test_command_line_offline_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLBOOK_DATA", str(tmp_path))

    def offline(url, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", offline)
    code = ladder.main(["--epochs", "1"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert "connect to the internet" in err and "--data bundled" in err
    assert str(tmp_path / "mnist") in err


def test_command_line_bad_options(capsys):
    assert ladder.main(["--data", "bundled", "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err


def test_models_are_reproducible_from_their_seed():
    for init in ("normal", "default"):
        for small in (False, True):
            a = ladder.build_model("convnet", rng=5, small=small, init=init)
            b = ladder.build_model("convnet", rng=5, small=small, init=init)
            assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    c = ladder.build_model("modern", rng=6, init="default")
    assert not np.array_equal(c.params["1.W"], ladder.build_model("modern", rng=7, init="default").params["1.W"])


def test_lr_1e6_diverges_in_epoch_1_and_the_opt_out_warns():
    train, test = tiny_data(200)
    with pytest.raises(DivergenceError) as err:
        ladder.train_rung("logistic", train, test, epochs=2, lr=1e6)
    with pytest.warns(DivergenceWarning) as record:
        res = ladder.train_rung("logistic", train, test, epochs=2, lr=1e6, on_divergence="warn")
    assert [str(w.message) for w in record] == [str(err.value)]
    assert res["diverged_at"] == 1 and res["train_loss"] == [] and res["accuracy"] == 0.1
    assert all(np.all(np.isfinite(v)) for v in res["model"].params.values())


def test_an_overflowing_epoch_stops_training_cleanly(monkeypatch):
    train, test = tiny_data(200)                         # 2 mini-batches of 128 per epoch
    real, calls = ladder.train_epoch, []

    def blow_up_in_epoch_2(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            for W in args[0].params.values():
                W *= 1e8                       # as if one step had been far too large
        return real(*args, **kwargs)

    monkeypatch.setattr(ladder, "train_epoch", blow_up_in_epoch_2)
    with pytest.raises(DivergenceError) as err:          # the loss explodes, finite
        ladder.train_rung("logistic", train, test, epochs=4)
    assert (err.value.epoch, err.value.step, err.value.quantity) == (2, 3, "loss")
    assert str(err.value).startswith("training diverged in epoch 2 (update 3, mini-batch 1 of "
                                     "the epoch): the loss exploded to ")
    res = err.value.result                    # what was measured before it diverged
    assert res["diverged_at"] == 2 and len(res["train_loss"]) == 1 and len(calls) == 2
    assert res["accuracy"] == res["test_accuracy"][0]


def test_a_short_run_of_the_original_recipes_says_it_is_near_chance(capsys, monkeypatch):
    # a run too short to leave N(0, 0.01^2)'s plateau: the command says why and what to run
    monkeypatch.setattr(ladder, "train_rung", lambda rung, train, test, **kw: {
        "accuracy": 0.11 if rung == "sigmoid_625" else 0.8, "test_accuracy": [0.8],
        "seconds": 0.0})
    monkeypatch.setattr(ladder, "estimate_seconds", lambda *a, **kw: 1.0)
    assert ladder.main(["--data", "bundled", "--limit", "1000", "--epochs", "2",
                        "--rungs", "logistic", "sigmoid_625"]) == 0
    out = capsys.readouterr().out
    assert out.count("near chance (10 %)") == 1 and "--course" in out
    assert "A short run: 16 gradient steps per rung" in out
    assert "16 gradient steps of the original recipe" in out and "46,800" in out


def test_course_option_uses_the_notebook_settings(monkeypatch, capsys):
    seen = {}

    def fake(rung, train, test, **kw):
        seen[rung] = kw
        return {"accuracy": 0.9, "test_accuracy": [0.9], "seconds": 0.0}

    monkeypatch.setattr(ladder, "train_rung", fake)
    monkeypatch.setattr(ladder, "estimate_seconds", lambda *a, **kw: 1.0)
    assert ladder.main(["--data", "bundled", "--course", "--limit", "100"]) == 0
    for rung in ladder.RUNGS:
        kw = {k: v for k, v in seen[rung].items() if k not in ("rng", "progress")}
        assert kw == ladder.COURSE[rung]
    assert "notebook 10's settings" in capsys.readouterr().out
    assert ladder.main(["--data", "bundled", "--course", "--limit", "100", "--epochs", "1"]) == 0
    assert all(kw["epochs"] == 1 for kw in seen.values()) and seen["convnet"]["small"]
