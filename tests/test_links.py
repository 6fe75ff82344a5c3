"""Every relative link in every notebook (solution and student) and every Markdown file of the
repository resolves to a file that exists, and every notebook named in a course map exists.

Catches links left dangling by a renumbering of the course (issue: the course in its final order).
"""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
MD_LINK = re.compile(r"\]\(([^)\s]+)\)|href=\"([^\"]+)\"")
COURSE_NOTEBOOK = re.compile(r"\b(\d\d_[a-z0-9_]+\.ipynb)\b")
SKIP = {".git", ".venv", "node_modules", ".ipynb_checkpoints"}


def _files():
    out = []
    for p in sorted(ROOT.rglob("*")):
        if any(part in SKIP or part.startswith(".venv") for part in p.relative_to(ROOT).parts):
            continue
        if p.suffix in (".md", ".ipynb") and p.is_file():
            out.append(p)
    return out


def _markdown_text(path):
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    doc = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in doc["cells"] if c["cell_type"] == "markdown")


def _relative_targets(text):
    for m in MD_LINK.finditer(text):
        target = m.group(1) or m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue                                   # http:, mailto:, in-page anchors
        yield target.split("#", 1)[0].split("?", 1)[0]


FILES = _files()


def test_there_are_links_to_check():
    assert any(p.name == "README.md" for p in FILES)
    assert sum(p.suffix == ".ipynb" for p in FILES) >= 16


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_relative_link_resolves(path):
    text = _markdown_text(path)
    missing = [t for t in _relative_targets(text) if t and not (path.parent / t).exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to files that do not exist: {missing}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_named_notebook_exists(path):
    """A notebook file name in prose (`06_learning_rate_optimizers.ipynb`) names a real one."""
    names = set(COURSE_NOTEBOOK.findall(_markdown_text(path)))
    existing = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    ok = {n for n in names if n in existing or "_x" in n or "thing" in n}
    assert names <= ok, f"{path.relative_to(ROOT)} names notebooks that do not exist: {sorted(names - ok)}"
