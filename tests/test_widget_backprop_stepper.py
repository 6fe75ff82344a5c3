"""The backprop stepper: its logic driven step by step, the panel, the PNG, the widget."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mlbook import worked_example as we  # noqa: E402
from mlbook.autodiff import Value, topological_order, worked_example_graph  # noqa: E402
from mlbook.widgets.backprop_stepper import (BackpropStepper, backprop_stepper,  # noqa: E402
                                             backprop_stepper_draw, backprop_stepper_html,
                                             backprop_stepper_png, backprop_stepper_update)


def slides():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f, x, y, z, q


def test_slides_example_step_by_step():
    f, x, y, z, q = slides()
    st = BackpropStepper(f)
    assert [s.node for s in st.steps] == [f, z, q, y, x]     # reverse topological order
    s0, s1, s2, s3, s4 = st.steps
    # step 0: f, seeded with 1, sends z to q (multiply swaps) and q to z
    assert s0.upstream == 1.0 and s0.local_grads == (-4.0, 3.0)
    assert [(c, g) for c, g in s0.sent] == [(q, -4.0), (z, 3.0)]
    assert s0.grads == {f: 1.0, q: -4.0, z: 3.0, x: None, y: None}
    # step 1: z is a leaf: its gradient is final, nothing is sent
    assert s1.upstream == 3.0 and s1.sent == []
    # step 2: q (add) distributes its gradient unchanged
    assert s2.upstream == -4.0 and [g for _, g in s2.sent] == [-4.0, -4.0]
    assert s2.grads[x] == s2.grads[y] == -4.0
    assert (s3.upstream, s4.upstream) == (-4.0, -4.0)
    assert st.final_grads == {f: 1.0, q: -4.0, z: 3.0, x: -4.0, y: -4.0}
    # the Values themselves are untouched
    assert all(n.grad == 0.0 for n in (f, x, y, z, q))


def test_shared_node_accumulates_across_steps():
    a = Value(3.0, label="a")
    b = a * a                     # a used twice by the same node
    b.label = "b"
    c = b + a                     # and once more by c
    c.label = "c"
    st = BackpropStepper(c)
    assert [s.node.label for s in st.steps] == ["c", "b", "a"]
    assert st.steps[0].grads[a] == 1.0                    # from c only
    assert st.steps[1].grads[a] == 1.0 + 3.0 + 3.0        # + both uses inside b = a*a
    assert st.steps[2].upstream == 7.0
    c.backward()
    assert a.grad == 7.0


def test_worked_example_steps_match_the_reference():
    e_total, nodes = worked_example_graph()
    st = BackpropStepper(e_total)
    assert len(st) == 43 and st.order[0] is e_total
    # every node is visited after all of its consumers
    seen = set()
    for s in st.steps:
        for child in s.node.children:
            assert child not in seen
        seen.add(s.node)
    # complete gradient on arrival equals the reference for the ten parameters ...
    ref = we.gradients()
    for s in st.steps:
        if s.node.label in ref:
            assert abs(s.upstream - ref[s.node.label]) < 1e-15, s.node.label
    # ... and for the intermediate quantities of the blog: dE/dout_o1 = out_o1 - target_o1
    fwd = we.forward()
    k = st.order.index(nodes["out_o1"])
    assert st.steps[k].upstream == pytest.approx(fwd["out_o1"] - we.TARGETS[0], abs=1e-15)
    # out_h1 receives two contributions (through w5 and w7): partial after the first one
    first = min(k for k, p in enumerate(st.order) if nodes["out_h1"] in p.children)
    partial = st.steps[first].grads[nodes["out_h1"]]
    complete = st.steps[st.order.index(nodes["out_h1"])].upstream
    assert partial != pytest.approx(complete) and partial != 0
    e_total.backward()
    for node in topological_order(e_total):
        assert st.final_grads[node] == pytest.approx(node.grad, abs=1e-15)


def test_update_reports_states_and_the_local_rule():
    f, x, y, z, q = slides()
    st = BackpropStepper(f)
    d = backprop_stepper_update(st, 0)
    assert d["title"] == "f" and d["upstream"] == 1.0 and d["n_steps"] == 5
    assert d["rule"].startswith("d(a * b)/da = b")
    assert [i["node"] for i in d["inputs"]] == [q, z]
    assert [(i["title"], i["local"], i["sent"]) for i in d["inputs"]] == [("q", -4.0, -4.0),
                                                                          ("z", 3.0, 3.0)]
    assert d["states"] == {f: "current", z: "partial", q: "partial", y: "waiting", x: "waiting"}
    d = backprop_stepper_update(st, 3)
    assert d["states"] == {f: "done", z: "done", q: "done", y: "current", x: "partial"}
    assert d["inputs"] == [] and d["next_title"] == "x"
    html = backprop_stepper_html(backprop_stepper_update(st, 2), "f")
    assert "∂f/∂q = <code>-4</code>" in html and "sends to <code>x</code>" in html
    for bad in (-1, 5, 1.0, True, "0"):
        with pytest.raises(ValueError, match="step must be an integer"):
            backprop_stepper_update(st, bad)
    with pytest.raises(TypeError):
        backprop_stepper_update(f, 0)
    with pytest.raises(TypeError):
        BackpropStepper(2.0)


def test_html_shows_accumulation_on_a_shared_node():
    a = Value(3.0, label="a")
    c = a * a + a                   # a receives 1 from the add, then 3 + 3 from the multiply
    c.label = "c"
    st = BackpropStepper(c)
    k = [s.node.op for s in st.steps].index("*")
    html = backprop_stepper_html(backprop_stepper_update(st, k), "c")
    assert html.count("sends to <code>a</code>") == 2
    assert "its gradient so far: <code>4</code>" in html     # 1 (from +) + 3 (first use)
    assert "its gradient so far: <code>7</code>" in html     # + 3 (second use)


def test_pow_rule_text():
    a = Value(2.0)
    st = BackpropStepper(a ** 3)
    assert backprop_stepper_update(st, 0)["rule"] == "d(a^3)/da = 3 a^(3-1)"
    st = BackpropStepper(1.5 ** a)
    assert backprop_stepper_update(st, 0)["rule"] == "d(1.5^a)/da = 1.5^a ln 1.5"
    st = BackpropStepper(a.tanh())
    assert backprop_stepper_update(st, 0)["rule"] == "d(tanh a)/da = 1 - tanh(a)^2"


def test_draw_highlights_the_current_node():
    f, *_ = slides()
    st = BackpropStepper(f)
    ax = backprop_stepper_draw(backprop_stepper_update(st, 2), st)
    assert "step 3 of 5" in ax.get_title() and "∂f/∂q = -4" in ax.get_title()
    assert any(t.get_text() == "q (+)\ndata 3\ngrad -4" for t in ax.texts)
    assert any(t.get_text() == "x\ndata -2\ngrad -4" for t in ax.texts)    # q sent it
    ax = backprop_stepper_draw(backprop_stepper_update(st, 1), st)
    assert any(t.get_text() == "x\ndata -2\ngrad —" for t in ax.texts)     # not yet
    plt.close("all")


def test_png_and_widget():
    f, *_ = slides()
    st = BackpropStepper(f)
    png = backprop_stepper_png(st, 1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w = backprop_stepper(f)
    controls, panel = w.children[:2]
    play, prev_b, next_b, slider = controls.children
    # the slider counts from 1, like the text
    assert (slider.min, slider.max, slider.value) == (1, 5, 1) and w.image.value[:4] == b"\x89PNG"
    assert "Step 1 of 5" in panel.value
    next_b.click()
    next_b.click()
    assert slider.value == 3 and "Step 3 of 5" in panel.value and "node <code>q</code>" in panel.value
    prev_b.click()
    assert slider.value == 2 and "Step 2 of 5" in panel.value and "node <code>z</code>" in panel.value
    for _ in range(3):
        prev_b.click()
    assert slider.value == 1
    for _ in range(6):
        next_b.click()
    assert slider.value == 5 and "Step 5 of 5" in panel.value
    assert w.stepper.order[0] is f


def test_widget_defaults_to_the_worked_example():
    w = backprop_stepper()
    assert len(w.stepper) == 43 and w.stepper.root.label == "E_total"
