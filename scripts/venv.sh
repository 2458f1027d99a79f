#!/usr/bin/env bash
# Create .venv with the system Python (>= 3.11) and install MotCua with the given extras,
# only when pyproject.toml changed since the last install.
set -euo pipefail
extras=${1:-}
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "Python >= 3.11 needed" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv; then
    # Debian's python3 ships without ensurepip: as root, add python3-venv and try again.
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing the Debian package python3-venv"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv .venv || { echo "python3 -m venv failed" >&2; exit 1; }
    else
      echo "python3 -m venv failed: install the python3-venv package" >&2; exit 1
    fi
  fi
fi
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "installing Python packages into .venv${extras:+ (with $extras)}"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec" 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import motcua, django" || { echo "installation failed" >&2; exit 1; }
  touch "$stamp"
fi
