"""The browser-test machinery itself: notebook scanning, and on a small demo widget notebook,
that a working install passes and a broken widget install fails with "widgets did not render"."""
import pathlib
import urllib.request

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import labui
from labui import DEMO, copy_notebooks

VIEW = {labui.WIDGET_MIME: {"model_id": "abc", "version_major": 2, "version_minor": 0},
        "text/plain": "FloatSlider(value=1.0)"}


def _nb(tmp_path, cells):
    path = tmp_path / "x.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def _cell(source, data, tags=()):
    return new_code_cell(source, outputs=[new_output("display_data", data=data)],
                         metadata={"tags": list(tags)})


def test_widget_notebooks_are_detected_from_saved_outputs(tmp_path):
    assert labui.displays_widget(_nb(tmp_path, [_cell("w", VIEW, [labui.IGNORE_TAG])]))
    # not marked, or marked but without a widget view: not a widget notebook
    assert not labui.displays_widget(_nb(tmp_path, [_cell("w", VIEW)]))
    assert not labui.displays_widget(
        _nb(tmp_path, [_cell("t", {"text/plain": "1.2 s"}, [labui.IGNORE_TAG])]))


def test_notebook_links_are_found(tmp_path):
    md = ("See [the example](02_worked_example.ipynb), [graphs](./03_computational_graphs.ipynb"
          "#the-chain-rule), <a href=\"05_activations.ipynb\">activations</a>, "
          "[the blog](https://example.org/post.ipynb) and [the README](../README.md).")
    path = _nb(tmp_path, [new_markdown_cell(md), new_code_cell("[x](01_forward_pass.ipynb)")])
    assert labui.notebook_links(path) == ["02_worked_example.ipynb",
                                          "./03_computational_graphs.ipynb",
                                          "05_activations.ipynb"]


@pytest.mark.ui
def test_demo_widget_renders_and_slider_redraws(lab_page, lab_server, screenshot):
    labui.open_notebook(lab_page, lab_server, DEMO)
    labui.run_all_cells(lab_page, lab_server)
    cells = labui.assert_widgets_rendered(lab_page)
    assert len(cells) == 2
    moved = labui.move_main_control_and_check_plot(lab_page, cells[0], prefer="freq", presses=3)
    assert moved == ("slider 'frequency'", "1.00", "1.75")
    # the check can fail: a slider that does not redraw its plot is caught
    with pytest.raises(AssertionError, match="did not change the plot"):
        labui.move_main_control_and_check_plot(lab_page, cells[1], timeout=2_000)
    labui.wait_kernel_idle(lab_page, lab_server)
    screenshot(cells[0].locator(".jp-Cell-outputWrapper"), "_demo_widget")


@pytest.mark.ui
def test_broken_widget_install_fails_with_a_clear_message(new_page, tmp_path_factory,
                                                          screenshot):
    """The widget front-end extension disabled (as `jupyter labextension disable
    @jupyter-widgets/jupyterlab-manager` does): the notebook runs, the check must fail."""
    home = tmp_path_factory.mktemp("lab-broken")
    server = labui.LabServer(copy_notebooks(home / "notebooks"), home,
                             disabled_extensions=[labui.WIDGET_EXTENSION])
    with server:
        page = new_page()
        labui.open_notebook(page, server, DEMO)
        labui.run_all_cells(page, server)
        with pytest.raises(labui.WidgetsNotRendered, match="widgets did not render") as err:
            labui.assert_widgets_rendered(page, timeout=3_000)
        assert "FloatSlider(value=1.0" in str(err.value)   # the text repr is what students see
        screenshot(labui.widget_cells(page)[0].locator(".jp-Cell-outputWrapper"),
                   "_broken_widget_install")
        pid = server.proc.pid
    # shut down: nothing of it is left running, its port is closed
    assert server.proc.poll() is not None and server._own_pids() == []
    assert not pathlib.Path(f"/proc/{pid}").exists() or _is_zombie(pid)
    with pytest.raises(OSError):
        urllib.request.urlopen(server.url("/api/status"), timeout=2)


def _is_zombie(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    except OSError:
        return True
