"""mlbook.plots.graph: layout of any Value graph, the drawable data, the drawing itself."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mlbook.autodiff import Value, topological_order, worked_example_graph  # noqa: E402
from mlbook.plots.graph import (STATE_COLOURS, draw_graph, graph_data, graph_layout,  # noqa: E402
                                node_title)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def slides_graph():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f, dict(x=x, y=y, z=z, q=q, f=f)


def test_layout_columns_left_to_right_by_depth():
    f, n = slides_graph()
    pos = graph_layout(f)
    assert set(pos) == set(topological_order(f))
    assert pos[n["x"]][0] == pos[n["y"]][0] == 0.0
    assert pos[n["q"]][0] == 1.0 and pos[n["f"]][0] == 2.0
    assert pos[n["z"]][0] == 1.0           # a leaf sits just left of its consumer
    # distinct positions, at least 1 apart within a column
    for a in pos:
        for b in pos:
            if a is not b and pos[a][0] == pos[b][0]:
                assert abs(pos[a][1] - pos[b][1]) >= 1.0 - 1e-12


def test_every_edge_goes_left_to_right_on_the_worked_example():
    e_total, nodes = worked_example_graph()
    pos = graph_layout(e_total)
    assert len(pos) == 43
    for node in pos:
        for child in node.children:
            assert pos[child][0] < pos[node][0]
    assert pos[e_total][0] == max(x for x, _ in pos.values())
    assert pos[nodes["w5"]][0] == pos[nodes["out_h1"]][0]    # w5 next to w5*out_h1


def test_graph_data_reports_values_grads_and_local_derivatives():
    f, n = slides_graph()
    data = graph_data(f)
    by_title = {d["title"]: d for d in data["nodes"]}
    assert {k: (v["data"], v["grad"]) for k, v in by_title.items()} == {
        "x": (-2.0, -4.0), "y": (5.0, -4.0), "z": (-4.0, 3.0), "q": (3.0, -4.0), "f": (-12.0, 1.0)}
    titles = [d["title"] for d in data["nodes"]]
    edges = {(titles[c], titles[p]): local for c, p, local in data["edges"]}
    assert edges == {("x", "q"): 1.0, ("y", "q"): 1.0, ("q", "f"): -4.0, ("z", "f"): 3.0}
    override = graph_data(f, grads={n["f"]: 1.0})
    assert [d["grad"] for d in override["nodes"] if d["title"] == "x"] == [None]


def test_node_title():
    a = Value(2.0)
    assert node_title(a) == "leaf" and node_title(a * 3) == "*"
    assert node_title(Value(1.0, label="w1")) == "w1"


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_draw_graph_shows_op_value_and_grad_of_every_node():
    f, n = slides_graph()
    ax = draw_graph(f, title="f = (x + y) z")
    texts = _texts(ax)
    assert len(texts) == 5
    assert "q (+)\ndata 3\ngrad -4" in texts and "f (×)\ndata -12\ngrad 1" in texts
    assert "x\ndata -2\ngrad -4" in texts and "z\ndata -4\ngrad 3" in texts
    assert ax.get_title() == "f = (x + y) z"
    assert len(ax.patches) == 5


def test_draw_graph_highlight_and_states():
    e_total, nodes = worked_example_graph()
    states = {node: "waiting" for node in topological_order(e_total)}
    ax = draw_graph(e_total, highlight=nodes["out_h1"], states=states,
                    grads={nodes["E_total"]: 1.0})
    fills = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert fills.count(STATE_COLOURS["current"]) == 1
    assert fills.count(STATE_COLOURS["waiting"]) == 42
    # the highlighted node's incoming edge is drawn in red, thick
    red = [c for c in ax.collections if hasattr(c, "get_segments")
           and len(c.get_segments()) and c.get_linewidths()[0] > 2]
    assert len(red) == 1 and len(red[0].get_segments()) == 1     # sigmoid: one input
    assert "grad —" in _texts(ax)[0] or any("grad —" in t for t in _texts(ax))
    assert ax.get_legend() is not None


def test_draw_graph_without_grads_and_on_a_lone_leaf():
    a = Value(1.5, label="a")
    ax = draw_graph(a, show_grad=False)
    assert _texts(ax) == ["a\ndata 1.5"]


def test_draw_graph_rejects_non_values():
    with pytest.raises(TypeError, match="must be a Value"):
        draw_graph(3.0)
    with pytest.raises(TypeError, match="must be a Value"):
        graph_layout("x")


def test_draw_graph_on_random_expressions_and_refuses_huge_graphs():
    import numpy as np
    rng = np.random.default_rng(5)
    for _ in range(5):
        leaves = [Value(v, label=f"x{i}") for i, v in enumerate(rng.uniform(0.5, 2, size=4))]
        nodes = list(leaves)
        for _ in range(20):
            a, b = (nodes[int(rng.integers(len(nodes)))] for _ in range(2))
            op = int(rng.integers(5))
            nodes.append([a + b, a * b, a.tanh(), a.sigmoid() * b, a - b][op])
        root = nodes[-1] + nodes[-2] + nodes[-7]
        root.backward()
        pos = graph_layout(root)
        for node in pos:
            for child in node.children:
                assert pos[child][0] < pos[node][0]
        assert len({(round(x, 9), round(y, 9)) for x, y in pos.values()}) == len(pos)
        ax = draw_graph(root)
        assert len(ax.texts) == len(pos)
        plt.close("all")
    deep = Value(1.0)
    for _ in range(200):
        deep = deep * 1.0
    with pytest.raises(ValueError, match="401 nodes, more than max_nodes=250"):
        draw_graph(deep)


def test_a_graph_too_deep_for_the_page_is_drawn_top_to_bottom_and_fits_it():
    """Drawn across, the worked example's 13 depth columns would be 15.8 in wide, and
    JupyterLab would shrink its text to 7 px; drawn down, it fits the page at full size."""
    from mlbook.plots.style import DPI, PAGE_PX
    from mlbook.plots.graph import graph_direction
    f, n = slides_graph()
    assert graph_direction(graph_layout(f)) == "across"
    ax = draw_graph(f)
    assert ax.figure.get_figwidth() * DPI <= PAGE_PX
    e_total, nodes = worked_example_graph()
    pos = graph_layout(e_total)
    assert (1.2 * 13 + 0.2) * DPI > PAGE_PX and graph_direction(pos) == "down"
    for legend in (False, True):
        ax = draw_graph(e_total, legend=legend)
        assert ax.figure.get_figwidth() * DPI <= PAGE_PX
        # inputs at the top, the output at the bottom: every edge points down
        centre = {t.get_text().split("\n")[0]: t.get_position() for t in ax.texts}
        assert centre["E_total (+)"][1] == min(y for _, y in centre.values())
        assert centre["w1"][1] == max(y for _, y in centre.values())
        for seg in ax.collections[0].get_segments():
            assert seg[0][1] > seg[1][1]
        ax.figure.canvas.draw()
        box = ax.figure.get_tightbbox(ax.figure.canvas.get_renderer())
        assert box.width * DPI <= PAGE_PX, box.width * DPI
        plt.close("all")
