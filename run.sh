#!/usr/bin/env bash
# One entry point for people and CI. Bootstraps .venv from the pinned requirements on first use.
#   bash run.sh demo    - start the local stack (moto server on 127.0.0.1) and run the main job end to end
#   bash run.sh test    - lint, type-check and run the test suite
#   bash run.sh bench   - print the benchmarks (BENCH_FULL=1 for the long forms)
#   bash run.sh guiji … - any guiji CLI command inside the virtualenv
set -euo pipefail
cd "$(dirname "$0")"
VENV=${GUIJI_VENV:-.venv}
PY=${PYTHON:-python3}

bootstrap() {
  local stamp="$VENV/.guiji-deps"
  local want
  want=$(cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -x "$VENV/bin/python" ]; then
    # Debian ships venv separately (python3-venv); fall back to virtualenv from PyPI, or apt as root.
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "[guiji] installing python3-venv …" >&2
        (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null
        "$PY" -m venv "$VENV"
      else
        "$PY" -m pip install --user --quiet virtualenv && "$PY" -m virtualenv --quiet "$VENV"
      fi
    fi
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "[guiji] installing pinned dependencies into $VENV …" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    echo "$want" > "$stamp"
  fi
}

# The browser tests drive Debian's Chromium (never a downloaded browser). Installed when missing and we are root;
# otherwise only those tests skip, saying why.
ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "[guiji] installing chromium for the browser tests …" >&2
    (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei) >/dev/null \
      || echo "[guiji] could not install chromium: the browser tests will be skipped" >&2
  else
    echo "[guiji] no /usr/bin/chromium and not root: the browser tests will be skipped (apt-get install chromium)" >&2
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  demo)
    bootstrap
    exec "$VENV/bin/guiji" demo "$@"
    ;;
  test)
    bootstrap
    ensure_chromium
    echo "[guiji] ruff check" >&2
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    echo "[guiji] mypy shared functions" >&2
    "$VENV/bin/mypy" shared functions
    echo "[guiji] pytest" >&2
    exec "$VENV/bin/pytest" -n 2 --dist loadfile "$@"
    ;;
  bench)
    bootstrap
    exec "$VENV/bin/python" -m bench "$@"
    ;;
  guiji)
    bootstrap
    exec "$VENV/bin/guiji" "$@"
    ;;
  *)
    sed -n '2,7p' "$0"
    exit 2
    ;;
esac
