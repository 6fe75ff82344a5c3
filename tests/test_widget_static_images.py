"""A picture wherever the notebook is read: every explorer cell of every committed notebook
holds, beside the widget view, a PNG of the explorer's initial state (GitHub, nbviewer and any
static render show it; JupyterLab shows the live widget)."""
import base64
import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks")
                   .glob("[0-9][0-9]_*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def explorer_cells(path):
    """(index, outputs) of the code cells whose committed output is a widget view."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for k, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and any(WIDGET_MIME in o.get("data", {})
                                               for o in cell.get("outputs", [])):
            yield k, cell


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if any(explorer_cells(p))],
                         ids=lambda p: p.name)
def test_every_explorer_cell_shows_a_picture(path):
    for k, cell in explorer_cells(path):
        source = "".join(cell["source"])
        assert "nbval-ignore-output" in cell["metadata"].get("tags", []), f"{path.name} cell {k}"
        pngs = [o["data"]["image/png"] for o in cell["outputs"]
                if WIDGET_MIME in o.get("data", {}) and "image/png" in o["data"]]
        assert pngs, (f"{path.name} cell {k} ({source.splitlines()[-1]!r}) has no image/png "
                      f"beside its widget view: re-execute the notebook with "
                      f"tools/execute_notebooks.py")
        assert base64.b64decode(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"
        text = next(o["data"].get("text/plain", "") for o in cell["outputs"]
                    if WIDGET_MIME in o.get("data", {}))
        text = "".join(text) if isinstance(text, list) else text
        assert not text.startswith(("VBox(", "HBox(")), f"{path.name} cell {k}: {text[:80]!r}"
