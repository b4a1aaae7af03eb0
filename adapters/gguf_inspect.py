"""Read what a GGUF file says about itself: architecture and tokenizer, to pick a runtime.

A small reader of the GGUF header (magic, version, counts, then key/value pairs) that stops
once it has the keys it needs: the `gguf` package parses every tensor first, which takes
seconds on a large file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import UserFacingError

GGUF_MAGIC = b"GGUF"
WANTED = ("general.architecture", "tokenizer.ggml.model", "general.name")
# Value types of the GGUF spec: fixed-size scalars by their struct format.
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9
# No header string is near this long; a larger length means the file is damaged.
MAX_FIELD_BYTES = 1 << 20


@dataclass(frozen=True)
class GgufInfo:
    """The header facts that decide which runtime can load a file."""

    architecture: str
    tokenizer_model: str
    name: str | None

    @property
    def is_llama2_format(self) -> bool:
        """LLaMA architecture with a SentencePiece vocabulary: what ctransformers loads."""
        return self.architecture == "llama" and self.tokenizer_model == "llama"


def _read(handle: BinaryIO, size: int) -> bytes:
    if size > MAX_FIELD_BYTES:
        raise ValueError(f"a header field claims {size} bytes")
    data = handle.read(size)
    if len(data) != size:
        raise ValueError("the file ends inside its header")
    return data


def _unpack(handle: BinaryIO, fmt: str) -> int | float | bool:
    value: int | float | bool = struct.unpack("<" + fmt, _read(handle, struct.calcsize(fmt)))[0]
    return value


def _string(handle: BinaryIO) -> str:
    length = int(_unpack(handle, "Q"))
    return _read(handle, length).decode("utf-8", errors="replace")


def _value(handle: BinaryIO, kind: int) -> object:
    if kind in _SCALARS:
        return _unpack(handle, _SCALARS[kind])
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item_kind = int(_unpack(handle, "I"))
        count = int(_unpack(handle, "Q"))
        if item_kind in _SCALARS:
            handle.seek(count * struct.calcsize(_SCALARS[item_kind]), 1)
        else:
            for _ in range(count):
                _value(handle, item_kind)
        return None
    raise ValueError(f"unknown value type {kind}")


def read_gguf_info(path: Path) -> GgufInfo:
    """Read the header of the GGUF file at `path`; UserFacingError when it is not one."""
    found: dict[str, str] = {}
    try:
        with path.open("rb") as handle:
            if handle.read(4) != GGUF_MAGIC:
                raise UserFacingError("gguf_not_gguf", path=path)
            version = int(_unpack(handle, "I"))
            if version < 2:
                raise UserFacingError("gguf_too_old", path=path, version=version)
            _unpack(handle, "Q")  # tensor count
            pairs = int(_unpack(handle, "Q"))
            for _ in range(pairs):
                key = _string(handle)
                value = _value(handle, int(_unpack(handle, "I")))
                if key in WANTED and isinstance(value, str):
                    found[key] = value
                if all(name in found for name in WANTED[:2]) and "general.name" in found:
                    break
    except OSError as error:
        raise UserFacingError("gguf_unreadable", path=path, error=error.strerror) from error
    except (ValueError, struct.error) as error:
        raise UserFacingError("gguf_damaged", path=path, error=error) from error
    return GgufInfo(
        architecture=found.get("general.architecture", "unknown"),
        tokenizer_model=found.get("tokenizer.ggml.model", "unknown"),
        name=found.get("general.name"),
    )
