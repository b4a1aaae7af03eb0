"""The splitter's two tokenizers, built offline on first use: NLTK's untrained Punkt for
sentences, and cl100k_base (the file llama-index bundles) for token counts."""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

import llama_index.core
import tiktoken
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer_internal

log = logging.getLogger("ragbot.documents")

# cl100k_base: the tiktoken file llama-index bundles, and its constants from
# tiktoken_ext.openai_public (tiktoken would otherwise download the file on first use).
_CL100K_FILE = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"  # sha1 of the download URL
_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_encoding: tiktoken.Encoding | None = None
_punkt: Any = None
_lazy_lock = threading.Lock()


def _split_sentences(text: str) -> list[str]:
    # The same untrained Punkt tokenizer llama-index uses by default, built here so that
    # llama-index never runs its NLTK data check (which downloads when NLTK_DATA points
    # elsewhere). Imported on first use: importing nltk takes about a second.
    global _punkt
    if _punkt is None:
        with _lazy_lock:
            if _punkt is None:
                from nltk.tokenize.punkt import (  # type: ignore[import-untyped]
                    PunktSentenceTokenizer,
                )

                _punkt = PunktSentenceTokenizer()
    sentences: list[str] = split_by_sentence_tokenizer_internal(text, _punkt)
    return sentences


def _count_tokens(text: str) -> list[int]:
    global _encoding
    if _encoding is None:
        with _lazy_lock:
            if _encoding is None:
                _encoding = _load_cl100k()
    return _encoding.encode_ordinary(text)


def _load_cl100k() -> tiktoken.Encoding:
    bundled = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache" / _CL100K_FILE
    try:
        data = bundled.read_bytes()
    except OSError:
        data = b""
    if hashlib.sha256(data).hexdigest() != _CL100K_SHA256:
        # A llama-index without the bundled file: tiktoken's own cache (or download).
        log.warning("llama-index has no bundled cl100k file; tiktoken loads its own")
        return tiktoken.get_encoding("cl100k_base")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }
    return tiktoken.Encoding(
        name="cl100k_base", pat_str=_CL100K_PATTERN, mergeable_ranks=ranks, special_tokens={}
    )
