#!/usr/bin/env bash
# Build the course environment every student server runs in, on ONE machine (as root):
#     sudo deploy/user-env/build.sh [PREFIX]          # default /opt/mlbook-env
# - Python packages: exactly binder/requirements.txt (the lock CI tests, the one Binder builds),
#   plus jupyterhub (for jupyterhub-singleuser), nbgitpuller and mlbook itself, installed as a
#   package: the environment holds mlbook's code, never the solution notebooks (students get the
#   student notebooks through nbgitpuller and graded work through nbgrader's exchange);
# - nbgrader's instructor tools (formgrader, create assignment) switched off for everyone; the
#   instructor switches them on for their own account (deploy/README.md);
# - an emoji font (fonts-noto-color-emoji): the checks print ✅ ❌ ⏳ 💡, and figures drawn in
#   the kernel with them show boxes without one;
# - the course's JupyterLab settings (no news pop-up), as Binder's postBuild does.
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX=${1:-/opt/mlbook-env}
PY=$(sed -n 's/^python-//p' binder/runtime.txt)
# The environment's python is a link to the interpreter it was made from, and every student's
# server runs it: take the system's Python (readable by all), not one under root's home (pyenv
# in /root: a student's server then fails with "Permission denied").
PYTHON=$(command -v "/usr/bin/python$PY" || command -v "python$PY" || command -v python3)
"$PYTHON" -m venv "$PREFIX"
"$PREFIX/bin/pip" install -q --no-deps -r binder/requirements.txt
"$PREFIX/bin/pip" install -q -r deploy/user-env/hub-requirements.txt
"$PREFIX/bin/pip" install -q --no-deps .          # mlbook as a package (no notebooks inside)
"$PREFIX/bin/jupyter" server extension disable --sys-prefix nbgrader.server_extensions.formgrader
"$PREFIX/bin/jupyter" labextension disable --level=sys_prefix @jupyter/nbgrader:formgrader
"$PREFIX/bin/jupyter" labextension disable --level=sys_prefix @jupyter/nbgrader:create-assignment
"$PREFIX/bin/jupyter" server extension disable --sys-prefix nbgrader.server_extensions.course_list
"$PREFIX/bin/jupyter" labextension disable --level=sys_prefix @jupyter/nbgrader:course-list
mkdir -p "$PREFIX/share/jupyter/lab/settings" && cp jupyter-config/lab/overrides.json "$_/"
if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji git >/dev/null
fi
# The students run it, not root: check it as an unprivileged user (nobody).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u nobody -- "$PREFIX/bin/python" -c "import mlbook, nbgitpuller, nbgrader") || {
        echo "error: $PREFIX does not run as an ordinary user (its python: $(readlink -f "$PREFIX/bin/python"));" \
             "every folder on the way to it must be readable by all" >&2; exit 1; }
fi
"$PREFIX/bin/python" -c "import mlbook, nbgitpuller, nbgrader; print('course environment ready:', '$PREFIX')"
