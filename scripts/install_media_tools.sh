#!/usr/bin/env bash
# ffmpeg (audio for openai-whisper, test clips) and espeak-ng (spoken test clips) from the
# system's packages; installed when missing and this runs as root (CI), else named.
set -euo pipefail
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "==> Installing ${missing[*]} (apt-get)." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
else
  echo "ragbot's tests need ${missing[*]}: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
