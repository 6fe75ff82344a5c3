"""Outputs that must not change with a numpy, sympy or matplotlib release.

CI runs these (with the whole suite) on the declared floors (constraints/floor.txt, oldest
Python) and on the newest releases, so a text that differs between the two fails here first.
"""
import pytest

sp = pytest.importorskip("sympy")
from mlbook import symbolic  # noqa: E402


def test_latex_has_no_cdot_before_a_parenthesis_on_any_sympy():
    x = sp.Symbol("out_{o1}")
    # sympy 1.12 printed "out_{o1} \cdot \left(1 - out_{o1}\right)" here, 1.13+ a plain space
    assert symbolic._latex(x * (1 - x)) == r"out_{o1} \left(1 - out_{o1}\right)"
    # a real product of two numbers keeps its \cdot on every release
    assert symbolic._latex(sp.Mul(2, sp.Pow(3, x, evaluate=False), evaluate=False)) \
        == r"2 \cdot 3^{out_{o1}}"


def test_worked_example_latex_is_the_same_text_on_every_sympy():
    assert symbolic.worked_example_latex("w5") == (
        r"\frac{\partial E_{total}}{\partial w_{5}} = - out_{h1} out_{o1} "
        r"\left(1 - out_{o1}\right) \left(- out_{o1} + target_{o1}\right)")
