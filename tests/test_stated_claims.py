"""Issue 26's named claims in notebooks 00-03, 08 and 09: each one is stated in the prose AND
computed and asserted in a code cell whose committed output shows it (nbval keeps that output
current, so these tests read the executed notebooks)."""
import json
import pathlib
import re

import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"


def cells(name):
    path = next(NOTEBOOKS.glob(f"{name}_*.ipynb"))
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def src(cell):
    return "".join(cell["source"])


def out(cell):
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))


def markdown(name):
    return "\n".join(src(c) for c in cells(name) if c["cell_type"] == "markdown")


def code_cell(name, *needles):
    """The one code cell that contains every needle."""
    found = [c for c in cells(name) if c["cell_type"] == "code" and all(n in src(c) for n in needles)]
    assert len(found) == 1, (name, needles, len(found))
    return found[0]


def test_09_weight_scaling_is_the_geometric_mean_for_one_dropout_layer():
    md = markdown("09")
    assert "normalised geometric mean" in md and "**exactly**" in md
    assert "rule *is* exact" not in md               # the old "exact only for linear" claim
    cell = code_cell("09", 'mean="geometric"')
    assert "assert one_geo_exact and" in src(cell)
    assert "assert 1e-3 <" in src(cell)                # two dropout layers: neither is exact
    text = out(cell)
    assert "normalised geometric mean| < 1e-12: True" in text
    arithmetic = [float(v) for v in re.findall(r"arithmetic mean\| = ([0-9.]+)", text)]
    assert len(arithmetic) == 2 and min(arithmetic) > 0.01


def test_09_adamw_simulation_uses_mlbook_adamw():
    cell = code_cell("09", "scales = np.array")
    assert "optim.AdamW(" in src(cell) and "adamw.step(" in src(cell)
    assert "w_new" not in src(cell)                    # no hand-written copy of the decoupled step
    assert "mlbook has no AdamW" not in markdown("09")


def test_08_standardising_what_it_does_and_does_not():
    md = markdown("08")
    assert "What standardising does here — and what it does not" in md
    assert "It did **not** make a larger learning rate safe" in md
    assert "so a larger rate is stable" not in md      # the old, wrong claim
    cell = code_cell("08", "def curvatures")
    for line in ["assert cen[-1] < raw[-1] < std[-1]",
                 "assert 2 / std[-1] < same_lr < 2 / raw[-1]",
                 "assert std[-1] / std[0] < cen[-1] / cen[0] < raw[-1] / raw[0] / 2",
                 'assert same["raw"] < 1 < same["standardised"]']:
        assert line in src(cell)
    rows = {line.split()[0]: line.split()[1:] for line in out(cell).splitlines()[1:4]}
    # largest curvature, largest stable lr, condition number (issue 26: 2.05 -> 7.0,
    # 0.98 -> 0.285, 1,020 -> 219)
    assert rows["raw"][:3] == ["2.05", "0.975", "1,019"]
    assert rows["standardised"][:3] == ["7.02", "0.285", "219"]
    assert float(rows["centred"][0]) < 2.05


def test_01_weight_layout_and_where_it_flips():
    md = markdown("01")
    assert "Libraries (and" not in md                 # the old claim: libraries keep (n_in, n_out)
    assert "`nn.Linear`" in md and "(out_features, in_features)" in md
    assert "Notebook 04" in md
    cell = code_cell("01", "dense.params[\"W\"][...] = W1.T")
    assert "assert np.allclose(dense.forward(X), net_batch" in src(cell)
    assert out(cell).rstrip().endswith("True")
    convention = [src(c) for c in cells("04") if "**Convention (batch first" in src(c)]
    assert convention and "notebook 01" in convention[0] and "**from here on**" in convention[0]


@pytest.mark.parametrize("n", range(1, 10))
def test_next_links_follow_the_course_order(n):
    nexts = re.findall(r"Next: \[[^\]]*\]\((\d\d)_", markdown(f"{n:02d}"))
    assert nexts == [f"{n + 1:02d}"], (n, nexts)


def test_00_suggested_path_matches_what_10_uses():
    md = markdown("00")
    assert "05–10 can be taken in" not in md
    assert "notebook 10 after them, because it uses what 04–09 build" in md


def test_02_published_figures_are_an_appendix_at_the_end():
    cs = cells("02")
    headings = [(i, line) for i, c in enumerate(cs) if c["cell_type"] == "markdown"
                for line in src(c).splitlines() if line.startswith("## ")]
    summary = next(i for i, h in headings if h == "## Summary")
    appendix = [i for i, h in headings if h.startswith("## Appendix")]
    assert appendix and appendix[0] > summary and headings[-1][0] == appendix[0]
    table = next(i for i, c in enumerate(cs) if c["cell_type"] == "code" and "rows = [" in src(c))
    assert table > appendix[0]
    assert sum(src(cs[table]).count(f'"{w}", ') for w in ("blog", "slides")) == 35
