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
PYTHON=$(command -v "python$PY" || command -v python3)
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
"$PREFIX/bin/python" -c "import mlbook, nbgitpuller, nbgrader; print('course environment ready:', '$PREFIX')"
