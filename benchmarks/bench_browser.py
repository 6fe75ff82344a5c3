"""Explorer latency where the student feels it: JupyterLab in headless Chromium.

    python benchmarks/bench_browser.py            # every explorer, 7 moves each
    python benchmarks/bench_browser.py --repeat 15 --only lr_explorer

For every explorer cell of every course notebook: open the notebook in a fresh JupyterLab
(a temporary copy of notebooks/), run all cells, then press a key on the explorer's main
control (a slider; the kernel editor: a number box) and time from that input event to the
changed plot image decoded and painted. The control is focused first and the page left to
settle (``--focus-settle``, labui.FOCUS_SETTLE_MS): focusing a control makes JupyterLab
activate its cell, work that a student's click does before any key press. Prints the first press after the explorer appeared
(the one that forms a student's impression) and the median of all presses beside the target
(learning-rate explorer 100 ms, every other explorer 150 ms; both must meet it). Explorers that animate training show several
images per move: "first" is the first changed image, "settled" the last one. Then a fast drag
(12 key presses 20 ms apart): how many images were drawn and how long after the last press
the last one appeared (no backlog: the last value wins).

Before the browser, the same moves in this Python process (no browser, no messages; one notch
of the main control forward and back) split each update into compute, draw (matplotlib, in
place) and encode (PNG), with the PNG's size: the browser figure minus their sum is the
messaging and rendering. (For explorers that show training, the split covers the whole
training, not only the first changed picture.)

Needs Playwright and /usr/bin/chromium (apt-get install chromium). A benchmark, not a test:
it exits 0 either way. Figures on a loaded machine are inflated; compare on an idle one.
"""
import argparse
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ui"))

import labui  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7, help="moves per explorer (default 7)")
    ap.add_argument("--only", nargs="*", default=None, help="explorer function names")
    ap.add_argument("--no-drag", action="store_true", help="skip the fast-drag check")
    ap.add_argument("--no-profile", action="store_true", help="skip the in-process split")
    ap.add_argument("--focus-settle", type=int, default=None,
                    help="ms to wait after focusing the control before the first press "
                         f"(default {labui.FOCUS_SETTLE_MS}; 0: press at once, as before)")
    args = ap.parse_args(argv)
    profile = {} if args.no_profile else in_process_profile(args.repeat, args.only)
    reason = labui.ui_unavailable_reason()
    if reason:
        print(f"browser benchmark skipped: {reason}")
        return 0
    from playwright.sync_api import sync_playwright

    notebooks = [p.name for p in sorted(labui.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
                 if labui.displays_widget(p)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlbook-bench-") as home:
        home = pathlib.Path(home)
        server = labui.LabServer(labui.copy_notebooks(home / "notebooks"), home)
        with server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(labui.CHROMIUM),
                                         args=labui.CHROMIUM_ARGS, headless=True)
            for name in notebooks:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(60_000)
                page = context.new_page()
                labui.open_notebook(page, server, name)
                labui.run_all_cells(page, server, timeout=300_000)
                for cell in labui.assert_widgets_rendered(page):
                    explorer = labui.explorer_name(cell)
                    if explorer is None or (args.only and explorer not in args.only):
                        continue
                    page.wait_for_timeout(500)
                    res = labui.measure_latency(page, cell, explorer, repeat=args.repeat,
                                               focus_settle_ms=args.focus_settle)
                    drag = None if args.no_drag else labui.rapid_moves(page, cell, explorer)
                    touch = res[0][0]       # the first press after the explorer appeared
                    first = statistics.median(r[0] for r in res)
                    last = statistics.median(r[1] for r in res)
                    rows.append((explorer, touch, first, last, labui.TARGET_MS[explorer], drag,
                                 profile.get(explorer)))
                    _print_row(rows[-1])
                for kernel in server.notebook_kernels(name):
                    server.api("DELETE", f"/api/kernels/{kernel['id']}")
                context.close()
            browser.close()
    print("\nexplorer           1st press    median   settled   target   (ms; median of "
          f"{args.repeat} moves each, the 1st press included)")
    for row in rows:
        _print_row(row)
    return 0


def in_process_profile(repeat, only=None):
    """Median ms of compute / draw / encode per move of each explorer's main control, run
    synchronously in this process (the kernel's share of the browser latency)."""
    import matplotlib
    matplotlib.use("Agg")
    from mlbook.plots import course_style
    from mlbook import widgets
    course_style()
    # builder, main control (the one the browser presses): each move steps it one notch
    # forward and back, as a key press on the slider does
    moves = {"lr_explorer": (widgets.lr_explorer, "lr"),
             "optimizer_race": (widgets.optimizer_race, "lr"),
             "classifier_explorer": (widgets.classifier_explorer, "lr"),
             "activation_explorer": (widgets.activation_explorer, "x"),
             "backprop_stepper": (widgets.backprop_stepper, "step"),
             "kernel_editor": (widgets.kernel_editor, "k4"),
             "dropout_explorer": (widgets.dropout_explorer, "p"),
             "init_explorer": (widgets.init_explorer, "depth")}
    out = {}
    for name, (make, control) in moves.items():
        if only and name not in only:
            continue
        ex = make()
        ex.timings.clear()
        values = _one_notch(ex.controls[control])
        sizes = []
        for k in range(repeat):
            ex.controls[control].value = values[k % 2]
            sizes.append(len(ex.png))
        med = {key: statistics.median(t[key] for t in ex.timings)
               for key in ("compute", "draw", "encode", "total", "frames")}
        out[name] = med
        print(f"in process  {name:20s} compute {med['compute']:6.1f}  draw {med['draw']:6.1f}  "
              f"encode {med['encode']:5.1f}  total {med['total']:6.1f} ms  "
              f"({med['frames']:.0f} frame(s)); PNG {statistics.median(sizes) / 1024:.0f} KiB",
              flush=True)
    return out


def _one_notch(control):
    """[one step forward, back] of a control's value, as the browser's key presses make."""
    if hasattr(control, "options") and control.options:
        values = [v[1] if isinstance(v, tuple) else v for v in control.options]
        i = values.index(control.value)
        return [values[i + 1 if i + 1 < len(values) else i - 1], control.value]
    if hasattr(control, "base"):                       # FloatLogSlider
        return [control.value * control.base ** control.step, control.value]
    step = getattr(control, "step", None) or 0.1
    return [control.value + step, control.value]


def _print_row(row):
    explorer, touch, first, last, target, drag, prof = row
    verdict = "ok" if max(touch, first) <= target else "OVER"
    line = f"{explorer:20s} {touch:7.0f} {first:9.0f} {last:9.0f} {target:8d}   {verdict}"
    if prof:
        line += f"   kernel {prof['total']:.0f} ms"
    if drag:
        line += (f"   fast drag: {drag['presses']} presses -> {drag['frames']} images, "
                 f"{labui.drag_text(drag)}")
    print(line, flush=True)


if __name__ == "__main__":
    t0 = time.monotonic()
    code = main()
    print(f"({time.monotonic() - t0:.0f} s)")
    sys.exit(code)
