"""mlbook.symbolic, worked-example section: sympy's chain rule agrees with mlbook's gradients."""
import re

import pytest
import sympy as sp

from mlbook import symbolic as sym
from mlbook.worked_example import (INITIAL_PARAMS, PARAM_NAMES, chain_rule_factors, forward,
                                   gradients, update)


def test_sigma_derivative_and_value():
    x = sp.Symbol("x")
    assert sp.simplify(sp.diff(sym.sigma(x), x) - sym.sigma(x) * (1 - sym.sigma(x))) == 0
    assert float(sym.sigma(sp.Rational(3775, 10000)).evalf(30)) == pytest.approx(0.593269992, abs=5e-10)
    assert sym.sigma(x).rewrite(sp.exp) == 1 / (1 + sp.exp(-x))
    assert sp.latex(sym.sigma(x)) == r"\sigma\left(x\right)"


def test_error_expression_value():
    s = sym.worked_example_symbols()
    e = sym.worked_example_error()
    subs = {s[k]: sp.Rational(repr(v)) for k, v in INITIAL_PARAMS.items()}
    subs.update({s["i1"]: sp.Rational("0.05"), s["i2"]: sp.Rational("0.1"),
                 s["t1"]: sp.Rational("0.01"), s["t2"]: sp.Rational("0.99")})
    assert float(e.subs(subs).evalf(30)) == pytest.approx(forward()["E_total"], abs=1e-15)


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_symbolic_gradient_equals_numeric(name):
    assert abs(sym.worked_example_gradient_value(name) - gradients()[name]) < 1e-12


def test_symbolic_gradient_at_other_point():
    p = update(update(sequential=True, biases=True), lr=2.0, biases=True)
    g = gradients(p, inputs=(0.3, -0.2), targets=(0.6, 0.1))
    for name in ("w1", "w4", "w6", "b1"):
        v = sym.worked_example_gradient_value(name, p, inputs=(0.3, -0.2), targets=(0.6, 0.1))
        assert abs(v - g[name]) < 1e-12


def test_compact_forms_are_the_chain_rule():
    s = sym.worked_example_symbols()
    f, c = forward(), chain_rule_factors()
    vals = {s[k]: f[k] for k in ("out_h1", "out_h2", "out_o1", "out_o2")}
    vals.update({s[k]: v for k, v in INITIAL_PARAMS.items()})
    vals.update({s["i1"]: 0.05, s["i2"]: 0.1, s["t1"]: 0.01, s["t2"]: 0.99})
    for name in ("w5", "w1", "b2"):
        expr = sym.worked_example_gradient_compact(name)
        assert not expr.has(sym.sigma)          # every sigma(...) was renamed
        assert float(expr.subs(vals)) == pytest.approx(c["dE_d" + name], rel=1e-12)
    w5 = sym.worked_example_gradient_compact("w5")
    target = -s["out_h1"] * s["out_o1"] * (1 - s["out_o1"]) * (s["t1"] - s["out_o1"])
    assert sp.simplify(w5 - target) == 0
    assert sym.worked_example_gradient_compact("w5").free_symbols == {s["out_h1"], s["out_o1"], s["t1"]}


def test_latex():
    tex = sym.worked_example_latex("w5")
    assert tex.startswith(r"\frac{\partial E_{total}}{\partial w_{5}} = ")
    assert "out_{h1}" in tex and "target_{o1}" in tex
    full = sym.worked_example_latex("w1", compact=False)
    assert r"\sigma\left(" in full


def test_bad_name():
    with pytest.raises(ValueError, match="name must be one of 'w1'"):
        sym.worked_example_gradient("w9")
    with pytest.raises(ValueError, match="unknown parameter"):
        sym.worked_example_gradient_value("w1", dict(INITIAL_PARAMS, x=1.0))


def test_long_formula_is_set_one_term_per_line():
    """dE/dw1 (two long terms) is an aligned block, each line short enough for the page."""
    tex = sym.worked_example_latex("w1")
    assert tex.startswith(r"\begin{aligned}\frac{\partial E_{total}}{\partial w_{1}} &= ")
    lines = tex.split(r" \\ ")
    assert len(lines) == 2 and lines[1].startswith(r"&\quad - i_{1} out_{h1} out_{o2} w_{7}")
    shown = [re.sub(r"\\(frac|partial|left|right|quad|begin\{aligned\}|end\{aligned\})|[{}_&]",
                    "", line)
             for line in lines]                          # roughly what MathJax prints
    assert all(len(line) < 90 for line in shown), shown
    assert r"\begin" not in sym.worked_example_latex("w5")      # short: one line
