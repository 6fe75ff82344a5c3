r"""Shorter, clearer notebooks (issue 26): every course notebook keeps its prose in markdown and
within a reading budget, and its code in short cells.

* at most 3,000 words of markdown per notebook (hints and solution boxes included), counted the
  stricter of two ways over the raw source of every markdown cell: whitespace-separated tokens,
  and runs of letters/digits (``\w+``, so ``don't``, ``0.05`` and ``$\partial E/\partial w$`` are
  several words each, as a reviewer's quick count has them); the student copies too;
* no code cell longer than 40 lines (a longer helper belongs in mlbook, with a docstring and a
  test);
* no prose built inside a code cell: a string in a code cell (an f-string, a ``Markdown(...)``
  argument, adjacent literals joined) of more than 40 words is a paragraph, and paragraphs go in
  markdown cells. Short printed labels and generated table rows are fine.
"""
import ast
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STUDENT = sorted((ROOT / "notebooks" / "student").glob("[0-9][0-9]_*.ipynb"))
MAX_WORDS = 3000
MAX_CODE_LINES = 40
MAX_STRING_WORDS = 40



def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def markdown_words(cells):
    r"""Words of markdown: the larger of the whitespace-separated tokens and the ``\w+`` runs
    of the raw source of every markdown cell."""
    text = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
    return max(len(text.split()), len(re.findall(r"\w+", text)))


def long_code_cells(cells):
    """[(cell number from 1, lines)] for code cells over the limit."""
    return [(i, n) for i, c in enumerate(cells, 1) if c["cell_type"] == "code"
            for n in [len(_src(c).rstrip("\n").splitlines())] if n > MAX_CODE_LINES]


def _literal_text(node):
    """The literal text of a string expression (f-string placeholders dropped)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values
                        if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def prose_strings(source):
    """The word counts of string expressions in ``source`` that read as paragraphs."""
    src = "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return []
    parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in parts:
            continue                                        # counted with its f-string
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue                                        # a docstring is documentation
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr):
                body[0].value = ast.Constant(value="")      # skip the docstring
        if isinstance(node, (ast.Constant, ast.JoinedStr)):
            words = len(re.findall(r"[A-Za-z]{2,}", _literal_text(node)))
            if words > MAX_STRING_WORDS:
                found.append(words)
    return found


def violations(path):
    cells = _cells(path)
    bad = []
    words = markdown_words(cells)
    if words > MAX_WORDS:
        bad.append(f"{words:,} words of markdown (limit {MAX_WORDS:,})")
    for i, n in long_code_cells(cells):
        bad.append(f"cell {i}: {n} lines of code (limit {MAX_CODE_LINES})")
    for i, c in enumerate(cells, 1):
        if c["cell_type"] == "code":
            for n in prose_strings(_src(c)):
                bad.append(f"cell {i}: a string of {n} words built in code (write it in markdown)")
    return bad


@pytest.mark.parametrize("path", SOLUTIONS + STUDENT,
                         ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix())
def test_notebook_is_short_and_keeps_prose_in_markdown(path):
    bad = violations(path)
    assert not bad, f"{path.name}:\n  " + "\n  ".join(bad)


# ------------------------------------------------------------------------------------------
# the detectors themselves

def _nb(tmp_path, cells):
    path = tmp_path / "99_x.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


def test_the_limits_are_detected(tmp_path):
    long_md = {"cell_type": "markdown", "metadata": {}, "source": "word " * (MAX_WORDS + 1)}
    long_code = {"cell_type": "code", "metadata": {}, "outputs": [],
                 "source": "\n".join(f"x{k} = {k}" for k in range(MAX_CODE_LINES + 1))}
    paragraph = " ".join(["the loss falls"] * 15)
    prose = {"cell_type": "code", "metadata": {}, "outputs": [],
             "source": f'n = 3\nMarkdown(rf"""\n{paragraph} {{n}} times\n""")'}
    bad = violations(_nb(tmp_path, [long_md, long_code, prose]))
    assert bad[0].startswith(f"{MAX_WORDS + 1:,} words")
    assert bad[1] == f"cell 2: {MAX_CODE_LINES + 1} lines of code (limit {MAX_CODE_LINES})"
    assert bad[2].startswith("cell 3: a string of 46 words")


def test_short_cells_labels_and_docstrings_pass(tmp_path):
    doc = " ".join(["the weights and the gradient"] * 12)
    code = {"cell_type": "code", "metadata": {}, "outputs": [],
            "source": (f'def f(x):\n    """{doc}"""\n    return x\n'
                       'print(f"loss after {3} epochs: {0.5:.3f}, accuracy {0.9:.1%}")\n'
                       '%matplotlib inline\n')}
    md = {"cell_type": "markdown", "metadata": {}, "source": "word " * MAX_WORDS}
    assert violations(_nb(tmp_path, [md, code])) == []


def test_words_are_counted_the_stricter_way():
    md = lambda text: {"cell_type": "markdown", "metadata": {}, "source": text}  # noqa: E731
    # whitespace tokens: 4; runs of letters/digits: 9
    assert markdown_words([md("don't step 0.05 ($\\partial E/\\partial w$)")]) == 9
    # a token of punctuation alone has no \w run: whitespace tokens win (4 vs 2)
    assert markdown_words([md("- a — b")]) == 4
    # every markdown cell, source as a list of lines or a string; code is not counted
    code = {"cell_type": "code", "metadata": {}, "source": "x = 1 + 2", "outputs": []}
    assert markdown_words([md(["one two\n", "three"]), code, md("four")]) == 4
