"""Make the git repository that students pull with nbgitpuller: the student notebooks only.

    python deploy/student_repo.py DEST            # DEST: a new folder, or an earlier one to update

DEST gets ``notebooks/student/*.ipynb`` of this checkout at its top level and a README, and one
commit; push it wherever the hub can clone it (e.g. a public ``OWNER/mlbook-student`` repository)
and hand out ``deploy/nbgitpuller_link.py``'s link. The solution notebooks never go in: the
course environment has mlbook installed as a package, the notebooks import it from there.
"""
import argparse
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = """# mlbook — student notebooks

Open a notebook, write your code where it says `raise NotImplementedError("exercise")`, run the
check cell under it: ✅ correct, ❌ what went wrong, ⏳ not written yet.

Made by `python deploy/student_repo.py` from the mlbook repository; do not edit here.
"""

__all__ = ["make_student_repo", "main"]


def _git(dest, *args):
    return subprocess.run(["git", "-C", str(dest), *args], check=True, capture_output=True,
                          text=True).stdout


def make_student_repo(dest, notebooks_dir=ROOT / "notebooks" / "student", branch="main"):
    """Write the student notebooks into the git repository ``dest`` and commit. Returns dest."""
    dest, notebooks_dir = pathlib.Path(dest), pathlib.Path(notebooks_dir)
    notebooks = sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise ValueError(f"notebooks_dir has no student notebooks: {notebooks_dir}")
    if not (dest / ".git").exists():
        dest.mkdir(parents=True, exist_ok=True)
        _git(dest, "init", "-q", "-b", branch)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    for nb in notebooks:
        shutil.copy(nb, dest / nb.name)
    (dest / "README.md").write_text(README, encoding="utf-8")
    _git(dest, "add", "-A")
    if _git(dest, "status", "--porcelain").strip():
        _git(dest, "-c", "user.name=mlbook", "-c", "user.email=mlbook@localhost",
             "commit", "-q", "-m", "student notebooks")
    return dest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dest")
    ap.add_argument("--branch", default="main")
    args = ap.parse_args(argv)
    dest = make_student_repo(args.dest, branch=args.branch)
    print(f"{dest}: {len(list(dest.glob('*.ipynb')))} student notebooks committed on "
          f"{_git(dest, 'rev-parse', '--abbrev-ref', 'HEAD').strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
