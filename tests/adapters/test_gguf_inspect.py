"""Reading a GGUF header: architecture and tokenizer, or a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.gguf_inspect import read_gguf_info
from core.errors import UserFacingError
from tests.support_gguf import write_gguf_header

OFFLINE_MODEL = Path(__file__).resolve().parents[2] / "models" / "qwen2.5-coder-0.5b-instruct.gguf"


def test_a_llama2_format_header_is_recognised(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf_header(tmp_path / "l.gguf", "llama", "llama", tokens=500))

    assert (info.architecture, info.tokenizer_model, info.name) == ("llama", "llama", "tiny llama")
    assert info.is_llama2_format


def test_a_llama_file_with_a_bpe_vocabulary_is_not_llama2_format(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf_header(tmp_path / "l3.gguf", "llama", "gpt2"))

    assert not info.is_llama2_format


def test_the_offline_model_reads_as_qwen2_with_a_gpt2_vocabulary() -> None:
    info = read_gguf_info(OFFLINE_MODEL)

    assert (info.architecture, info.tokenizer_model) == ("qwen2", "gpt2")
    assert not info.is_llama2_format


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04zip", "is not a GGUF model file"),
        (b"GGUF\x03\x00\x00\x00\x00", "is a damaged GGUF file"),
        (b"GGUF\x01\x00\x00\x00" + b"\x00" * 16, "version 2 or later is needed"),
    ],
)
def test_other_files_are_refused_with_a_reason(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)

    with pytest.raises(UserFacingError, match=message):
        read_gguf_info(path)


def test_a_truncated_header_is_damaged(tmp_path: Path) -> None:
    whole = write_gguf_header(tmp_path / "whole.gguf", "llama", "llama").read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[: len(whole) - 10])

    with pytest.raises(UserFacingError, match="damaged"):
        read_gguf_info(cut)
