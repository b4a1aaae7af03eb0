"""Fakes at the core's seams: a recording chat, a word-overlap embedder, an in-memory store,
a scripted language model and a paragraph reader."""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserFacingError
from core.ingestion import SUMMARY_SYSTEM
from core.models import (
    ChannelRef,
    ChatTurn,
    Chunk,
    LanguageFilter,
    MessageRef,
    Passage,
    QueryVectors,
    Sampling,
    Source,
    SourceSummary,
    StoredPoint,
    VectorSpace,
)
from core.payload import check_vectors

WORD = re.compile(r"\w+")


@dataclass
class ChatEvent:
    """One call that reached the fake chat."""

    verb: str
    ref: MessageRef
    text: str


class RecordingChat:
    """A ChatClient that records every call and keeps each message's current text."""

    def __init__(self, message_limit: int = 4000, min_edit_interval: float = 1.0) -> None:
        self._limit = message_limit
        self._interval = min_edit_interval
        self.events: list[ChatEvent] = []
        self.texts: dict[str, str] = {}
        self.order: list[str] = []

    @property
    def message_limit(self) -> int:
        return self._limit

    @property
    def min_edit_interval(self) -> float:
        return self._interval

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        assert len(text) <= self._limit, "a post exceeded the platform limit"
        ref = MessageRef(channel, f"m{len(self.order) + 1}", thread_id)
        self.order.append(ref.message_id)
        self.texts[ref.message_id] = text
        self.events.append(ChatEvent("post", ref, text))
        return ref

    async def edit(self, ref: MessageRef, text: str) -> None:
        assert len(text) <= self._limit, "an edit exceeded the platform limit"
        assert ref.message_id in self.texts, "edited a message that was never posted"
        self.texts[ref.message_id] = text
        self.events.append(ChatEvent("edit", ref, text))

    async def react(self, ref: MessageRef, emoji: str) -> None:
        self.events.append(ChatEvent("react", ref, emoji))

    def shown(self) -> list[str]:
        """Current text of every message, in posting order."""
        return [self.texts[message_id] for message_id in self.order]

    def last(self) -> str:
        return self.texts[self.order[-1]]

    def count(self, verb: str) -> int:
        return sum(1 for event in self.events if event.verb == verb)


def word_vector(text: str, dimension: int = 64) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words point the same way."""
    vector = [0.0] * dimension
    for word in WORD.findall(text.casefold()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % dimension] += 1.0 if digest[1] % 2 else -1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


class WordEmbedder:
    """An Embedder over word_vector, recording the queries it embedded."""

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension
        self.queries: list[str] = []

    @property
    def name(self) -> str:
        return "words"

    @property
    def dimension(self) -> int:
        return self._dimension

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [word_vector(text, self._dimension) for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return word_vector(text, self._dimension)


def cosine(one: Sequence[float], other: Sequence[float]) -> float:
    """The cosine similarity of two vectors (0 for a zero vector)."""
    dot = sum(a * b for a, b in zip(one, other, strict=True))
    norms = math.sqrt(sum(a * a for a in one)) * math.sqrt(sum(b * b for b in other))
    return dot / norms if norms else 0.0


@dataclass
class MemoryStore:
    """A VectorStore in a dict; passes the same contract suite as the real stores."""

    data: dict[str, dict[str, StoredPoint]] = field(default_factory=dict)
    spaces: dict[str, dict[str, int]] = field(default_factory=dict)
    closed: bool = False

    async def upsert(
        self, collection: str, spaces: Sequence[VectorSpace], points: Sequence[StoredPoint]
    ) -> None:
        check_vectors(points, spaces)
        if not points:
            return
        self.spaces.setdefault(collection, {space.name: space.dimension for space in spaces})
        target = self.data.setdefault(collection, {})
        for point in points:
            target[point.point_id] = point

    async def search(
        self,
        collection: str,
        query: QueryVectors,
        limit: int,
        language: LanguageFilter | None = None,
        *,
        said_between: tuple[float, float] | None = None,
    ) -> list[Passage]:
        scored = []
        for point in self.data.get(collection, {}).values():
            if language is not None and not language.admits(point.chunk.language):
                continue
            if said_between is not None:
                said_at = point.chunk.said_at
                if said_at is None or not said_between[0] <= said_at < said_between[1]:
                    continue
            cosines = {
                name: cosine(vector, point.vectors[name]) for name, vector in query.vectors.items()
            }
            scored.append(Passage(point.chunk, query.score(cosines), cosines=cosines))
        return sorted(scored, key=lambda passage: passage.score, reverse=True)[: max(limit, 0)]

    async def chunks(self, collection: str, source_id: str, first: int, last: int) -> list[Chunk]:
        found = [
            point.chunk
            for point in self.data.get(collection, {}).values()
            if point.chunk.source.source_id == source_id and first <= point.chunk.index <= last
        ]
        return sorted(found, key=lambda chunk: chunk.index)

    async def all_chunks(self, collection: str) -> list[Chunk]:
        return [point.chunk for point in self.data.get(collection, {}).values()]

    async def collections(self) -> list[str]:
        return sorted(name for name, points in self.data.items() if points)

    async def list_sources(self, collection: str) -> list[SourceSummary]:
        counts: dict[str, tuple[Source, int]] = {}
        for point in self.data.get(collection, {}).values():
            source = point.chunk.source
            counts[source.source_id] = (source, counts.get(source.source_id, (source, 0))[1] + 1)
        summaries = [SourceSummary(source, count) for source, count in counts.values()]
        return sorted(
            summaries, key=lambda item: (item.source.title.casefold(), item.source.source_id)
        )

    async def delete_source(self, collection: str, source_id: str, from_index: int = 0) -> int:
        points = self.data.get(collection, {})
        doomed = [
            key
            for key, point in points.items()
            if point.chunk.source.source_id == source_id and point.chunk.index >= from_index
        ]
        for key in doomed:
            del points[key]
        return len(doomed)

    async def count(self, collection: str) -> int:
        return len(self.data.get(collection, {}))

    async def drop(self, collection: str) -> bool:
        self.spaces.pop(collection, None)
        return self.data.pop(collection, None) is not None

    async def close(self) -> None:
        self.closed = True


class ScriptedModel:
    """A LanguageModel that replies with scripted answers, word by word, and records prompts.

    Summary requests get `summary`; questions get the scripted answers in turn (the last
    one repeats).
    """

    def __init__(
        self,
        *answers: str,
        summary: str = "A short summary. It has two sentences.",
        context_length: int = 2048,
        max_new_tokens: int = 128,
    ) -> None:
        self._answers = list(answers) or ["An answer [1]."]
        self._summary = summary
        self.questions_asked = 0
        self._context_length = context_length
        self._max_new_tokens = max_new_tokens
        self.prompts: list[list[ChatTurn]] = []
        self.samplings: list[Sampling | None] = []
        self.failure: Exception | None = None
        self.endless = False
        self.fail_midway = False
        self.closed_streams = 0

    @property
    def context_length(self) -> int:
        return self._context_length

    @property
    def max_new_tokens(self) -> int:
        return self._max_new_tokens

    async def count_tokens(self, text: str) -> int:
        return len(text.split())

    async def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        self.prompts.append(list(messages))
        self.samplings.append(sampling)
        if self.failure is not None and not self.fail_midway:
            raise self.failure
        if self.endless:
            try:
                while True:
                    await asyncio.sleep(0)
                    yield " more"
            finally:
                self.closed_streams += 1
        if messages[0].content == SUMMARY_SYSTEM:
            answer = self._summary
        else:
            answer = self._answers[min(self.questions_asked, len(self._answers) - 1)]
            self.questions_asked += 1
        for index, word in enumerate(answer.split(" ")):
            yield word if index == 0 else " " + word
            if self.failure is not None and self.fail_midway:
                raise self.failure


class ParagraphReader:
    """A DocumentReader that splits text files at blank lines."""

    def supports(self, path: str) -> bool:
        return True

    async def read(self, path: str, source: Source) -> list[Chunk]:
        data = Path(path).read_bytes()
        if b"\x00" in data:
            raise UserFacingError("doc_binary", name=Path(path).name)
        paragraphs = [part.strip() for part in data.decode("utf-8").split("\n\n") if part.strip()]
        return [Chunk(text, source, index) for index, text in enumerate(paragraphs)]


class TableBridge:
    """A NameBridge by table: each name written as the channel's sources spell it."""

    def __init__(self, table: dict[str, str] | None = None) -> None:
        self._table = table or {}

    def names_in(self, texts: object) -> set[str]:
        return set(self._table.values())

    def bridge(self, query: str, names: object) -> str:
        for written, spelled in self._table.items():
            query = query.replace(written, spelled)
        return query


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
