"""Write GGUF headers by hand: just the key/value pairs the runtime choice reads."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def write_gguf_header(
    path: Path, architecture: str, tokenizer: str, tokens: int = 3, version: int = 3
) -> Path:
    """A GGUF file with a token array before the tokenizer key, as real files have."""
    pairs = [
        _string("general.architecture") + struct.pack("<I", 8) + _string(architecture),
        _string("general.name") + struct.pack("<I", 8) + _string(f"tiny {architecture}"),
        _string("llama.context_length") + struct.pack("<I", 4) + struct.pack("<I", 512),
        _string("tokenizer.ggml.scores")
        + struct.pack("<IIQ", 9, 6, tokens)
        + struct.pack(f"<{tokens}f", *([0.5] * tokens)),
        _string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, tokens)
        + b"".join(_string(f"tok{n}") for n in range(tokens)),
        _string("tokenizer.ggml.model") + struct.pack("<I", 8) + _string(tokenizer),
    ]
    header = b"GGUF" + struct.pack("<IQQ", version, 0, len(pairs))
    path.write_bytes(header + b"".join(pairs))
    return path
