#!/usr/bin/env bash
# Idempotent set-up: a virtual environment in .venv with the pinned requirements.
# `--tests` also installs Debian's chromium for the real-browser test (when apt is available).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi
if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null; then
  if command -v apt-get >/dev/null; then
    (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }) \
      || echo "setup: could not install chromium; the browser test will be skipped" >&2
  else
    echo "setup: no apt-get; the browser test will be skipped" >&2
  fi
fi
