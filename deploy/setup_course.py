"""Make the instructor's nbgrader course folder from the solution notebooks.

    python deploy/setup_course.py ~/mlbook-course      # as the instructor, on the hub

Writes the nbgrader course source (``python -m mlbook.student --nbgrader``: one assignment per
notebook, graded check cells, no solution boxes) and the folder's ``nbgrader_config.py`` with the
hub's course id, so ``nbgrader generate_assignment``, ``release_assignment``, ``collect``,
``autograde``, ``generate_feedback``, ``release_feedback`` and ``export`` work from that folder.
This is the one place deploy/ calls mlbook's nbgrader release.
"""
import argparse
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
COURSE_CONFIG = """
# --- added by deploy/setup_course.py: the hub's course (deploy/nbgrader_config.py) ---
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
"""

__all__ = ["setup_course", "main"]


def setup_course(course_dir, course_id="mlbook", notebooks_dir=ROOT / "notebooks", out=None):
    """Write the course source into ``course_dir`` and pin course_id there. Exit code."""
    from mlbook.student import generate_nbgrader

    course_dir = pathlib.Path(course_dir).resolve()
    out = out if out is not None else sys.stdout
    code = generate_nbgrader(course_dir, notebooks_dir, out=out)
    if code:
        return code
    config = course_dir / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    if "deploy/setup_course.py" not in text:
        config.write_text(text + COURSE_CONFIG.format(course_id=course_id, root=str(course_dir)),
                          encoding="utf-8")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("course_dir")
    ap.add_argument("--course-id", default="mlbook")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.fspath(ROOT))
    return setup_course(args.course_dir, args.course_id)


if __name__ == "__main__":
    sys.exit(main())
