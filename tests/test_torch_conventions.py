"""The README's table "Where mlbook differs from PyTorch", row by row, against mlbook's code.

torch is not a dependency, so its side is written out here from its documentation (each
formula cites the page it comes from); the tests check mlbook's side against it.
"""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from mlbook import losses
from mlbook.init import fans
from mlbook.layers import Dense
from mlbook.optim import HalveOnPlateau

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
RNG = np.random.default_rng(26)
N, K = 5, 3
P = RNG.uniform(0.05, 0.95, size=(N, K))
T = RNG.uniform(0, 1, size=(N, K))


def torch_mean(elementwise):
    """reduction="mean" of torch's MSELoss/L1Loss/BCELoss/BCEWithLogitsLoss/KLDivLoss: a mean
    over every entry (docs: "the sum of the output will be divided by the number of elements")."""
    return float(np.mean(elementwise))


def test_the_table_is_in_the_readme():
    section = README.split("## Where mlbook differs from PyTorch", 1)[1].split("\n## ", 1)[0]
    for cell in ["(n_in, n_out)", "(out_features, in_features)", "K/2 × `nn.MSELoss()`",
                 "K × `nn.L1Loss()`", "−100", "1e-12", "patience=k − 1", "torch.optim.AdamW"]:
        assert cell in section, cell


def test_dense_weight_layout_and_fans():
    layer = Dense(4, 7, rng=0)
    assert layer.params["W"].shape == (4, 7)                 # torch's nn.Linear(4, 7): (7, 4)
    assert fans((4, 7)) == (4, 7)                            # torch: fan_in = shape[1] = 7
    assert fans((7, 4)[::-1]) == (4, 7)                      # a torch weight's shape, reversed
    assert fans((8, 3, 5, 5)) == (75, 200)                   # 4-D: read alike by both


def test_loss_factors_against_torchs_mean():
    assert losses.mse(P, T)[0] == pytest.approx(K / 2 * torch_mean((P - T) ** 2), rel=1e-14)
    assert losses.l1(P, T)[0] == pytest.approx(K * torch_mean(np.abs(P - T)), rel=1e-14)
    bce = -(T * np.log(P) + (1 - T) * np.log(1 - P))
    assert losses.binary_cross_entropy(P, T)[0] == pytest.approx(K * torch_mean(bce), rel=1e-12)
    z = np.log(P / (1 - P))
    assert losses.binary_cross_entropy_with_logits(z, T)[0] == pytest.approx(
        K * torch_mean(bce), rel=1e-12)
    q = P / P.sum(axis=1, keepdims=True)
    t = T / T.sum(axis=1, keepdims=True)
    kl = t * (np.log(t) - np.log(q))                           # KLDivLoss(log q, t) entries
    assert losses.kl_divergence(q, t)[0] == pytest.approx(np.sum(kl) / N, rel=1e-12)  # batchmean
    assert losses.kl_divergence(q, t)[0] == pytest.approx(K * torch_mean(kl), rel=1e-12)
    labels = np.array([0, 2, 1, 1, 0])
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    assert losses.softmax_cross_entropy(z, labels)[0] == pytest.approx(
        -np.mean(logp[np.arange(N), labels]), rel=1e-12)     # CrossEntropyLoss: the same


def test_bce_guard_clip_against_torchs_log_clamp():
    # the worst case: a probability of exactly 0 for a target of 1
    loss, _ = losses.binary_cross_entropy(np.array([[0.0]]), np.array([[1.0]]))
    assert loss == pytest.approx(-math.log(1e-12)) and round(loss, 2) == 27.63
    torch_loss = -max(-math.inf, -100.0)            # BCELoss: log(0) = -inf, clamped at -100
    assert torch_loss == 100.0 and loss < torch_loss
    # away from the ends they agree (K = 1 here)
    p, t = np.array([[1e-6]]), np.array([[1.0]])
    assert losses.binary_cross_entropy(p, t)[0] == pytest.approx(-max(math.log(1e-6), -100))


def torch_reduce_on_plateau(val_losses, lr, factor, patience, threshold):
    """torch.optim.lr_scheduler.ReduceLROnPlateau, mode="min", threshold_mode="abs", no
    cooldown (its step(): a bad epoch unless a < best - threshold; "if num_bad_epochs >
    patience: reduce lr, num_bad_epochs = 0")."""
    best, bad, out = math.inf, 0, []
    for v in val_losses:
        if v < best - threshold:
            best, bad = v, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * factor, 0
        out.append(lr)
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_halve_on_plateau_is_reduce_on_plateau_with_patience_minus_one(k):
    rng = np.random.default_rng(k)
    vals = list(np.round(np.cumsum(rng.normal(-0.02, 0.1, size=80)), 1))   # with plateaus
    mine = HalveOnPlateau(0.1, patience=k)
    got = [mine(e, v) for e, v in enumerate(vals)]
    assert got == torch_reduce_on_plateau(vals, 0.1, 0.5, k - 1, 0.0)
    assert got != torch_reduce_on_plateau(vals, 0.1, 0.5, k, 0.0)   # same patience: differs


def test_adamw_is_torchs_adamw():
    """torch.optim.AdamW's documented algorithm: theta <- theta - lr * wd * theta, then the Adam
    step from m_hat, v_hat (bias-corrected), all with torch's defaults but lr."""
    from mlbook.optim import AdamW
    lr, wd, b1, b2, eps = 0.05, 0.01, 0.9, 0.999, 1e-8
    rng = np.random.default_rng(7)
    theta0 = rng.normal(size=4)
    grads = [rng.normal(size=4) for _ in range(5)]
    theta, m, v = theta0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        theta = theta - lr * wd * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    p, opt = {"w": theta0.copy()}, AdamW(lr)                 # default weight_decay = 0.01
    for g in grads:
        opt.step(p, {"w": g})
    np.testing.assert_allclose(p["w"], theta, rtol=1e-13, atol=1e-15)
