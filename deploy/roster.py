"""Add the students of a roster CSV to the hub (through its REST API) and to nbgrader.

    export JUPYTERHUB_API_TOKEN=...      # an admin's token: hub → Token page, or `jupyterhub token`
    python deploy/roster.py roster.csv --hub http://127.0.0.1:8000

The CSV is nbgrader's roster format (``nbgrader db student import roster.csv`` reads the same
file): a header line with at least ``id`` (the login name), optionally ``first_name``,
``last_name``, ``email``. Students already on the hub are left alone; the others are created
(with the production configuration, the hub creates their Unix accounts too). Prints one line
per student and exits non-zero on a bad roster or a refused request.
"""
import argparse
import csv
import json
import os
import re
import sys
import urllib.error
import urllib.request

__all__ = ["read_roster", "HubAPI", "add_students", "main"]

# a Unix login name: the production hub creates one account per student
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def read_roster(path):
    """[{'id', 'first_name', 'last_name', 'email'}] from a roster CSV; ValueError naming the
    line on a missing header, an empty or invalid id, or a duplicate."""
    rows, seen = [], set()
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "id" not in [n.strip() for n in reader.fieldnames]:
            raise ValueError(f"{path}: the header must name an 'id' column (nbgrader's roster "
                             f"format: id,first_name,last_name,email), got {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            sid = row.get("id", "")
            if not USERNAME.match(sid):
                raise ValueError(f"{path}, line {line}: id must be a login name (lower-case "
                                 f"letters, digits, _ or -, at most 32), got {sid!r}")
            if sid in seen:
                raise ValueError(f"{path}, line {line}: id {sid!r} appears twice")
            seen.add(sid)
            rows.append({k: row.get(k, "") for k in ("id", "first_name", "last_name", "email")})
    if not rows:
        raise ValueError(f"{path}: no students in the roster")
    return rows


class HubAPI:
    """The hub's REST API (``<hub>/hub/api``) with a token."""

    def __init__(self, hub, token):
        if not token:
            raise ValueError("token must be an admin's API token (set JUPYTERHUB_API_TOKEN)")
        self.base, self.token = hub.rstrip("/") + "/hub/api", token

    def __call__(self, method, path, body=None, timeout=30):
        req = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode() or "null")


def add_students(api, students, out=sys.stdout):
    """Create the hub users of ``students`` (roster rows) not there yet. Returns the new names."""
    existing = {u["name"] for u in api("GET", "/users?limit=10000")}
    new = [s["id"] for s in students if s["id"] not in existing]
    if new:
        api("POST", "/users", {"usernames": new, "admin": False})
    for s in students:
        print(f"{s['id']}: {'added' if s['id'] in new else 'already on the hub'}", file=out)
    return new


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roster", help="CSV with an id column (nbgrader's roster format)")
    ap.add_argument("--hub", default="http://127.0.0.1:8000", help="the hub's URL")
    args = ap.parse_args(argv)
    try:
        students = read_roster(args.roster)
        add_students(HubAPI(args.hub, os.environ.get("JUPYTERHUB_API_TOKEN", "")), students)
    except (ValueError, OSError) as exc:
        detail = exc.read().decode(errors="replace") if isinstance(exc, urllib.error.HTTPError) else ""
        print(f"error: {exc} {detail}".strip(), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
