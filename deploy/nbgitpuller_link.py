"""Print the nbgitpuller link that hands a notebook of a git repository to every student.

    python deploy/nbgitpuller_link.py --hub https://hub.example.edu \\
        --repo https://github.com/OWNER/mlbook-student --branch main --notebook 01_forward_pass.ipynb

A student who opens the link logs in to the hub, gets their server started, and finds the
repository cloned into their home (``~/<target>``, by default the repository's name) with the
notebook open in JupyterLab. Opening it again pulls new commits and merges them without
overwriting what the student changed (nbgitpuller's rule: their edits win).
"""
import argparse
import sys
from urllib.parse import quote, urlencode

__all__ = ["nbgitpuller_link", "main"]


def nbgitpuller_link(hub, repo, branch="main", notebook=None, target=None, app="lab"):
    """The link: ``<hub>/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=...``.

    hub: the hub's public URL (http(s)://host[:port][/prefix]); repo: a git URL that the hub
    machine can clone; notebook: a path inside the repository to open (None: the folder);
    target: the folder in each home (default: the repository's name); app: "lab" or "tree".
    """
    for name, value in (("hub", hub), ("repo", repo), ("branch", branch)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if not hub.startswith(("http://", "https://")):
        raise ValueError(f"hub must start with http:// or https://, got {hub!r}")
    if app not in ("lab", "tree"):
        raise ValueError(f"app must be 'lab' or 'tree', got {app!r}")
    target = target or repo.rstrip("/").split("/")[-1].removesuffix(".git")
    path = f"{target}/{notebook.lstrip('/')}" if notebook else target
    query = {"repo": repo, "branch": branch, "targetpath": target,
             "urlpath": f"{app}/tree/{path}"}
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{urlencode(query, quote_via=quote)}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hub", required=True, help="the hub's URL, e.g. https://hub.example.edu")
    ap.add_argument("--repo", required=True, help="git URL of the course material")
    ap.add_argument("--branch", default="main")
    ap.add_argument("--notebook", default=None, help="notebook to open, path in the repository")
    ap.add_argument("--target", default=None, help="folder in each home (default: repo name)")
    ap.add_argument("--app", default="lab", choices=["lab", "tree"])
    args = ap.parse_args(argv)
    try:
        print(nbgitpuller_link(args.hub, args.repo, args.branch, args.notebook, args.target,
                               args.app))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
