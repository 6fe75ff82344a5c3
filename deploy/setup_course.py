"""Make the instructor's nbgrader course folder from the solution notebooks.

    python deploy/setup_course.py ~/mlbook-course      # as the instructor, on the hub

Writes the nbgrader course source and the folder's ``nbgrader_config.py`` with the hub's course
id and exchange (``python -m mlbook.student --nbgrader``, see mlbook.grading: one assignment per
notebook with exercises, graded check cells, no answers), so ``nbgrader generate_assignment``,
``release_assignment``, ``collect``, ``autograde``, ``generate_feedback``, ``release_feedback``
and ``export`` work from that folder. This is the one place deploy/ calls mlbook's nbgrader
release; the course id and exchange default to deploy/nbgrader_config.py's.
"""
import argparse
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
HERE = pathlib.Path(__file__).resolve().parent

__all__ = ["hub_exchange", "setup_course", "main"]


def hub_exchange():
    """(course_id, Exchange.root) as deploy/nbgrader_config.py sets them for the whole hub."""
    text = (HERE / "nbgrader_config.py").read_text(encoding="utf-8")
    course_id = re.search(r'^COURSE_ID = "([^"]+)"', text, re.M).group(1)
    root = re.search(r'^c\.Exchange\.root = "([^"]+)"', text, re.M).group(1)
    return course_id, root


def setup_course(course_dir, course_id=None, exchange=None, notebooks_dir=ROOT / "notebooks",
                 out=None):
    """Write the course source and its nbgrader_config.py into ``course_dir``. Exit code."""
    from mlbook.student import generate_nbgrader

    default_id, default_root = hub_exchange()
    return generate_nbgrader(pathlib.Path(course_dir).resolve(), notebooks_dir,
                             out=out if out is not None else sys.stdout,
                             course_id=course_id or default_id,
                             exchange=str(exchange or default_root))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("course_dir")
    ap.add_argument("--course-id", default=None, help="default: deploy/nbgrader_config.py's")
    ap.add_argument("--exchange", default=None, help="default: deploy/nbgrader_config.py's")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.fspath(ROOT))
    return setup_course(args.course_dir, args.course_id, args.exchange)


if __name__ == "__main__":
    sys.exit(main())
