"""Fetch a model file once: stream it with a progress bar, check its sha256, move it into place."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

log = logging.getLogger("ragbot.download")

CHUNK_BYTES = 1 << 20
# Between two received chunks, not for the whole file.
READ_TIMEOUT = 60.0


@dataclass(frozen=True)
class KnownModel:
    """A model file with a pinned source, checksum and size."""

    name: str
    url: str
    sha256: str
    size: int | None = None


# The checksum is the file's Git LFS object id on Hugging Face; the same sha256 and size
# are pinned by independent projects that download this exact URL.
LLAMA2_7B_CHAT = KnownModel(
    name="llama-2-7b-chat.Q4_K_M.gguf",
    url="https://huggingface.co/TheBloke/Llama-2-7B-Chat-GGUF/resolve/main/llama-2-7b-chat.Q4_K_M.gguf",
    sha256="08a5566d61d7cb6b420c3e4387a39e0078e1f2fe5f055f3a03887385304d4bfa",
    size=4_081_004_224,
)


class ModelUnavailable(Exception):
    """The model file could not be had; the message says why in a few words."""


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    return _sha256_of(path).hexdigest()


def partial_path(target: Path) -> Path:
    """Where a download of `target` collects its bytes until they are verified."""
    return target.with_name(target.name + ".partial")


def download_model(
    url: str,
    sha256: str,
    target: Path,
    *,
    connect_timeout: float = 10.0,
    progress: bool = True,
) -> Path:
    """Return `target`, downloading it from `url` first unless it is there with `sha256`.

    Bytes go to a ".partial" file beside the target, which is renamed into place only once
    its checksum matches. A download broken off by the network is resumed by the next call.
    Raises ModelUnavailable when the file cannot be fetched or does not match, or when
    `sha256` is not a sha256 (nothing is fetched then).
    """
    expected = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", expected):
        # Refuse before gigabytes are fetched only to fail the check.
        raise ModelUnavailable("no valid sha256 to check the download against")
    if target.is_file():
        if file_sha256(target) == expected:
            return target
        log.warning("%s does not match its checksum; downloading it again", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)
    host = urlsplit(url).hostname or url
    log.info("downloading %s to %s", url, target)
    try:
        digest = _fetch(url, partial, connect_timeout, progress, target.name)
    except httpx.HTTPStatusError as error:
        raise ModelUnavailable(f"HTTP {error.response.status_code} from {host}") from error
    except httpx.TimeoutException as error:
        raise ModelUnavailable(f"timed out talking to {host}") from error
    except httpx.ConnectError as error:
        raise ModelUnavailable(f"cannot connect to {host} ({error})") from error
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise ModelUnavailable(f"download from {host} failed ({error})") from error
    if digest != expected:
        partial.unlink(missing_ok=True)
        raise ModelUnavailable("checksum mismatch")
    os.replace(partial, target)
    return target


def _fetch(url: str, partial: Path, connect_timeout: float, progress: bool, label: str) -> str:
    """Download into `partial`, resuming what it holds; return the sha256 of the whole."""
    offset = partial.stat().st_size if partial.is_file() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    timeout = httpx.Timeout(READ_TIMEOUT, connect=connect_timeout)
    with (
        httpx.Client(timeout=timeout, follow_redirects=True) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        if offset and response.status_code == 416:
            # Nothing past the end: the partial file is already whole (or wrong).
            return file_sha256(partial)
        response.raise_for_status()
        if response.status_code != 206:
            offset = 0  # the server sends the whole file
        digest = _sha256_of(partial) if offset else hashlib.sha256()
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        with (
            partial.open("ab" if offset else "wb") as file,
            _progress_bar(label, total, offset, progress) as bar,
        ):
            # Without a chunk size, bytes come as they arrive: a cut keeps what came.
            for chunk in response.iter_bytes():
                file.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
            file.flush()
            os.fsync(file.fileno())
    return digest.hexdigest()


def _sha256_of(path: Path) -> hashlib._Hash:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest


def _progress_bar(label: str, total: int | None, done: int, shown: bool) -> Any:
    return tqdm(
        total=total,
        initial=done,
        desc=label,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not shown,
        file=sys.stderr,
    )
