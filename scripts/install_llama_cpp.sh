#!/usr/bin/env bash
# Builds llama-cpp-python portably and installs it into a virtual environment.
#
#   LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF ..." scripts/install_llama_cpp.sh .venv/bin/python
#
# Why not a plain `pip install`: pip builds llama.cpp for the build machine's CPU
# (GGML_NATIVE), which pulls in ggml's AMX path; GCC 12 miscompiles it and every prompt
# longer than a few tokens dies with SIGILL on CPUs that advertise AMX. And pip's wheel
# cache ignores CMAKE_ARGS, so a wheel built one way is reused for another. So the wheel is
# built here with the flags named explicitly, without pip's cache, and kept in a cache of
# our own keyed by everything that shapes the binary: the version, the flags, the
# architecture, the compiler and the CPU it was built on.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:?usage: install_llama_cpp.sh PATH/TO/VENV/bin/python}"
cmake_args="${LLAMA_CMAKE_ARGS:?LLAMA_CMAKE_ARGS must name the build flags}"
version=$(sed -n 's/^llama[-_]cpp[-_]python==//p' requirements.lock)
[ -n "$version" ] || { echo "requirements.lock pins no llama-cpp-python version" >&2; exit 1; }

key=$(scripts/llama_cpp_build_key.sh "$python" "$version" "$cmake_args")
cache="${RAGBOT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ragbot/llama-cpp}/$key"
wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  echo "==> Compiling llama-cpp-python $version from source (about 7 minutes on 2 cores)."
  echo "    CMAKE_ARGS=$cmake_args"
  rm -rf "$cache.partial"
  mkdir -p "$cache.partial"
  CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" \
    "$python" -m pip wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python \
    --wheel-dir "$cache.partial" "llama-cpp-python==$version"
  rm -rf "$cache"
  mv "$cache.partial" "$cache"
  wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl | head -n 1)
else
  echo "==> llama-cpp-python $version: reusing the wheel built with these flags on this CPU."
fi
"$python" -m pip install --quiet --no-deps --force-reinstall --no-cache-dir "$wheel"
