# Sourced by bin/*: make sure the checkout's .venv exists and holds this package.
# First use creates it and installs the package (editable) with the extras named
# in VENV_EXTRAS; later uses reinstall only when setup.cfg has changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
extras="${VENV_EXTRAS:-}"
stamp="$VENV/.installed${extras:+-$extras}"
if [ ! -x "$VENV/bin/python" ]; then
    echo "setting up $VENV (first run) ..." >&2
    "$PY" -m venv "$VENV" || { echo "error: '$PY -m venv' failed; install python3-venv" >&2; exit 1; }
fi
if [ ! -f "$stamp" ] || [ "$ROOT/setup.cfg" -nt "$stamp" ]; then
    target="$ROOT"
    [ -n "$extras" ] && target="$ROOT[$extras]"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target" >&2 \
        || { echo "error: installing geventchat into $VENV failed" >&2; exit 1; }
    touch "$stamp"
fi
