#!/usr/bin/env bash
# Checks what `make` needs from the operating system before anything is installed, and
# names every missing piece in one message.
set -u
missing=()
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  missing+=("python3.11 (package python3)")
elif ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
  echo "ragbot needs Python 3.11; $python is $("$python" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 1
elif ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
command -v cc >/dev/null 2>&1 || missing+=("a C compiler (build-essential)")
command -v c++ >/dev/null 2>&1 || missing+=("a C++ compiler (build-essential)")
command -v make >/dev/null 2>&1 || missing+=("make")
if [ ${#missing[@]} -gt 0 ]; then
  echo "ragbot needs these system packages: ${missing[*]}." >&2
  echo "On Debian/Ubuntu: sudo apt-get install -y python3 python3-venv python3-dev build-essential" >&2
  exit 1
fi
