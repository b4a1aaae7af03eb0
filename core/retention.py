"""Retention of channel memories, run as a periodic job: memories older than the configured
age are condensed into one dated summary per day by the model (or dropped). A summary is
never condensed again, so a second run over the same memories changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from core.embeddings import EmbeddingSet
from core.generation import consume_within
from core.ingestion import embed_chunks
from core.language import detect_language
from core.memory import SUMMARY_PREFIX, is_summary
from core.models import ChatTurn, Chunk, Sampling, Source, SourceKind
from core.naming import CollectionPurpose
from core.ports import LanguageModel, VectorStore
from core.upkeep import PeriodicJob

log = logging.getLogger("ragbot.retention")

SUMMARY_PROMPT = (
    "You condense a team chat's exchanges of one day into a short dated note for later. "
    "Keep every decision, name, number and open question; two to four sentences; write "
    "in the language of the exchanges."
)
SUMMARY_INPUT_CHARS = 6000
Policy = Literal["condense", "drop", "keep"]


class MemoryRetention:
    """Condenses (or drops) the memories of every channel older than `max_age`."""

    def __init__(
        self,
        store: VectorStore,
        embeddings: EmbeddingSet,
        model: LanguageModel | None,
        policy: Policy,
        max_age: timedelta,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_generation_seconds: float = 120.0,
    ) -> None:
        self._store = store
        self._embeddings = embeddings
        self._model = model
        self._policy = policy
        self._max_age = max_age
        self._now = now
        self._max_seconds = max_generation_seconds

    def job(self, every_seconds: float) -> PeriodicJob:
        """The periodic job for the scheduler."""

        async def work(_key: str) -> None:
            await self.run()

        return PeriodicJob("memory-retention", every_seconds, work)

    async def run(self, _key: str = "") -> int:
        """One pass over every memory collection; return how many memories it retired."""
        if self._policy == "keep":
            return 0
        suffix = f"_{CollectionPurpose.MEMORY.value}_{self._embeddings.key}"
        retired = 0
        for collection in await self._store.collections():
            if collection.endswith(suffix):
                try:
                    retired += await self._retire(collection)
                except Exception:
                    log.exception("memory retention of %s failed", collection)
        return retired

    async def _retire(self, collection: str) -> int:
        cutoff = (self._now() - self._max_age).timestamp()
        old = [
            chunk
            for chunk in await self._store.all_chunks(collection)
            if chunk.said_at is not None and chunk.said_at < cutoff and not is_summary(chunk)
        ]
        if not old:
            return 0
        if self._policy == "condense":
            by_day: dict[str, list[Chunk]] = {}
            for chunk in sorted(old, key=lambda item: item.said_at or 0.0):
                day = datetime.fromtimestamp(chunk.said_at or 0.0, UTC).strftime("%Y-%m-%d")
                by_day.setdefault(day, []).append(chunk)
            for day, chunks in by_day.items():
                # The summary is written before the originals go: a crash between the two
                # leaves both, and the next run writes the same summary point again.
                await self._store_summary(collection, day, chunks)
        for chunk in old:
            await self._store.delete_source(collection, chunk.source.source_id)
        log.info("memory retention: %d memories of %s %sd", len(old), collection, self._policy)
        return len(old)

    async def _store_summary(self, collection: str, day: str, chunks: list[Chunk]) -> None:
        summary_id = f"{SUMMARY_PREFIX}{day}"
        earlier = await self._store.chunks(collection, summary_id, 0, 0)
        text = await self._condense(day, [*earlier, *chunks])
        cited = tuple(dict.fromkeys(title for chunk in chunks for title in chunk.cited))
        authors = ", ".join(dict.fromkeys(chunk.author or "?" for chunk in chunks))
        summary = Chunk(
            text=text,
            source=Source(summary_id, f"{day} · {authors}", SourceKind.MEMORY, None),
            index=0,
            language=detect_language(text),
            said_at=min(chunk.said_at or 0.0 for chunk in chunks),
            author=authors,
            cited=cited,
        )
        points = await embed_chunks(self._embeddings, [summary])
        await self._store.upsert(collection, self._embeddings.spaces, points)

    async def _condense(self, day: str, chunks: list[Chunk]) -> str:
        joined = "\n".join(chunk.text for chunk in chunks)[:SUMMARY_INPUT_CHARS]
        fallback = f"{day}: " + " | ".join(" ".join(c.text.split())[:200] for c in chunks)
        if self._model is None:
            return fallback
        pieces: list[str] = []

        async def keep(piece: str) -> None:
            pieces.append(piece)

        try:
            await consume_within(
                self._model.stream(
                    [ChatTurn("system", SUMMARY_PROMPT), ChatTurn("user", joined)],
                    Sampling(temperature=0.1, max_new_tokens=160),
                ),
                keep,
                self._max_seconds,
            )
        except Exception:
            log.warning(
                "could not condense the memories of %s; kept their gist", day, exc_info=True
            )
            return fallback
        written = " ".join("".join(pieces).split())
        return f"{day}: {written}" if written else fallback
