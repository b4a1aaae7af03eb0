"""A file's bytes as text: whether it looks like text or a PDF at all, and its decoding
(UTF-8, UTF-16 with BOM, or Korean CP949) with line ends made plain."""

from __future__ import annotations

import codecs
import re

from core.errors import UserFacingError

_SNIFF_BYTES = 8192
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def _sniff(head: bytes) -> str | None:
    """The kind of a file without a known extension: "pdf", "text", or None (refused)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    if b"\x00" in head:
        return None
    try:
        # An incremental decoder accepts a character cut in half at the 8 KiB boundary.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return "text"


def _decode(data: bytes, name: str) -> str:
    """Decode text bytes: UTF-8 (with or without BOM), UTF-16 with BOM, or Korean CP949."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UserFacingError("doc_undecodable", name=name) from None
        return _clean(text)
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise UserFacingError("doc_binary", name=name)
    try:
        return _clean(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    try:
        # CP949 is a superset of EUC-KR, so it reads both legacy Korean encodings.
        text = data.decode("cp949")
    except UnicodeDecodeError:
        raise UserFacingError("doc_undecodable", name=name) from None
    # Other 8-bit encodings (Latin-1, CP1252) may decode as CP949 by chance: accept the
    # result only when it reads as Korean.
    foreign = [char for char in text if ord(char) > 127]
    if len(_HANGUL.findall(text)) < len(foreign) / 2:
        raise UserFacingError("doc_undecodable", name=name)
    return _clean(text)


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
