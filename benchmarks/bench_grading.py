"""Autograding speed: a simulated class of notebook 04 graded with the real nbgrader.

Target (issue 23): ≤ 5 s per submission of 04 on the 2-core machine (17 s when grading executed
the whole notebook in a kernel); the time includes nbgrader's own start (a few seconds, once
per run). The class: N submissions (default 20) — reference solutions,
one wrong answer, the untouched release, in turn. Grading is the course's configuration
(sandboxed checks, no kernel). ``--kernel K`` also grades K submissions the old way (nbgrader's
Execute preprocessor running every cell) in the same run, for the ratio.

    python benchmarks/bench_grading.py [--students 20] [--kernel 2]

Prints the figures beside the target and exits 0 either way (a benchmark, not a timed test).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
NB = "04_matrix_backprop"
KERNEL_PREPROCESSORS = """
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
"""


def _env():
    env = dict(os.environ)
    env["PATH"] = str(pathlib.Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(cwd, *args):
    r = subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=_env(), capture_output=True,
                       text=True)
    if r.returncode:
        sys.exit(r.stdout[-2000:] + r.stderr[-2000:])


def _class(course, n):
    source = json.loads((course / "source" / NB / f"{NB}.ipynb").read_text())
    release = json.loads((course / "release" / NB / f"{NB}.ipynb").read_text())
    wrong = json.loads(json.dumps(source))
    for cell in wrong["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "solution-dense_backward":
            cell["source"] = "def dense_backward(dY, X, W):\n    return dY, X, W\n"
    for k in range(n):
        target = course / "submitted" / f"s{k:03d}" / NB / f"{NB}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps([source, wrong, release][k % 3]))


def grade(n, kernel=False):
    with tempfile.TemporaryDirectory() as tmp:
        course = pathlib.Path(tmp) / "course"
        _run(tmp, "mlbook.student", "--nbgrader", str(course), "--exchange", str(course / "x"))
        if kernel:
            with open(course / "nbgrader_config.py", "a") as f:
                f.write(KERNEL_PREPROCESSORS)
        _run(course, "nbgrader", "generate_assignment", NB, "--force")
        _class(course, n)
        t0 = time.perf_counter()
        _run(course, "nbgrader", "autograde", NB, "--force")
        return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--kernel", type=int, default=0,
                        help="also grade this many submissions by executing the notebook")
    args = parser.parse_args()
    total = grade(args.students)
    per = total / args.students
    flag = "ok" if per <= 5 else "OVER"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{NB}: {args.students} submissions in {total:.1f} s: {per:.2f} s per submission "
          f"(target ≤ 5 s)  {flag}  [load average {load}]", flush=True)
    if args.kernel:
        old = grade(args.kernel, kernel=True) / args.kernel
        print(f"executing every cell in a kernel instead: {old:.2f} s per submission "
              f"({old / per:.1f}× slower)")


if __name__ == "__main__":
    main()
