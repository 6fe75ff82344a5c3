"""Outputs that must not change with a numpy, sympy or matplotlib release.

CI runs these (with the whole suite) on the declared floors (constraints/floor.txt, oldest
Python) and on the newest releases, so a text that differs between the two fails here first.
"""
import json
import pathlib
import re

import pytest

sp = pytest.importorskip("sympy")
from mlbook import symbolic  # noqa: E402

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"


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


# Committed text outputs of the solution notebooks must not contain text whose form belongs to a
# library release: numpy reprs (numpy 2 prints np.float64(0.5) where numpy 1 printed 0.5), object
# addresses, warnings (their wording and whether they fire change between releases).
RELEASE_DEPENDENT = {
    "numpy scalar repr": re.compile(r"\bnp\.(float|int|uint|bool|complex|str)\w*\("),
    "numpy array repr": re.compile(r"\barray\(\["),
    "dtype in a repr": re.compile(r"\bdtype="),
    "object address": re.compile(r"\bat 0x[0-9a-fA-F]+"),
    "warning": re.compile(r"\b\w*Warning\b"),
}


def _text_outputs(nb):
    for index, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                             if k in ("text/plain", "text/latex", "text/markdown")]
            for text in texts:
                yield index, out.get("name", out["output_type"]), \
                    "".join(text) if isinstance(text, list) else text


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_committed_outputs_hold_no_release_dependent_text(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = [f"cell {i} ({kind}): {what}: {m.group(0)!r}"
                for i, kind, text in _text_outputs(nb)
                for what, pattern in RELEASE_DEPENDENT.items()
                for m in [pattern.search(text)] if m]
    problems += [f"cell {i}: output on stderr" for i, kind, text in _text_outputs(nb)
                 if kind == "stderr" and text.strip()]
    assert not problems, "\n".join(problems)
