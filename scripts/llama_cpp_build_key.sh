#!/usr/bin/env bash
# Prints the key of a llama-cpp-python build: a hash of everything that shapes the binary
# (version, build flags, architecture, compiler, Python, and the CPU it is built on), so a
# wheel is reused only where it was built the same way on the same kind of CPU.
#   scripts/llama_cpp_build_key.sh PYTHON VERSION "CMAKE ARGS"
set -euo pipefail
python="${1:?python}"
version="${2:?version}"
cmake_args="${3:?cmake args}"
cpu=$(grep -m1 -E '^(model name|Model|CPU part)' /proc/cpuinfo 2>/dev/null || uname -p)
cpu_flags=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true)
{
  echo "llama-cpp-python $version"
  echo "$cmake_args"
  uname -m
  "$python" -c 'import sys; print(sys.version)'
  cc --version 2>/dev/null | head -n 1
  c++ --version 2>/dev/null | head -n 1
  echo "$cpu"
  echo "$cpu_flags"
} | sha256sum | cut -c1-16
