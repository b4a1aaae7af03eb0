"""A channel's memory: every exchange with the bot (and, where the channel asks for it, what
people said there) kept as vectors in the channel's own memory collection, dated and
attributed, recalled by relevance and by calendar window, forgotten on request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.embeddings import EmbeddingSet
from core.ingestion import embed_chunks
from core.language import detect_language
from core.messages import say
from core.models import ChannelRef, Chunk, IncomingMessage, Passage, Source, SourceKind
from core.naming import CollectionPurpose, collection_name
from core.ports import PhraseDates, VectorStore
from core.questions import is_question
from core.time_windows import TimeWindow, find_time_reference, time_window

log = logging.getLogger("ragbot.memory")

MEMORY_PREFIX = "mem:"
# A day's memories condensed by retention (core/retention.py) into one.
SUMMARY_PREFIX = f"{MEMORY_PREFIX}summary:"
# How much of an answer is kept: the gist, not a whole essay.
ANSWER_CHARS = 1200


@dataclass(frozen=True)
class MemorySettings:
    """How memory is kept and recalled.

    `min_score` is memory's own relevance bar (exchanges are short question-and-answer
    texts, scored differently from document passages; calibrated on
    tests/data/memory_recall.json); `top_k` memories at most go into a prompt; `listed` at
    most are shown by the memory command.
    """

    enabled: bool = True
    min_score: float = 0.638
    top_k: int = 3
    listed: int = 10
    bot_name: str = "ragbot"


@dataclass(frozen=True)
class Recalled:
    """The memories a question called up, and the time window it named (if any)."""

    passages: list[Passage]
    window: TimeWindow | None


@dataclass(frozen=True)
class Memory:
    """One remembered exchange or message, as people are shown it."""

    memory_id: str
    text: str
    author: str
    said_at: datetime
    permalink: str | None
    cited: tuple[str, ...]
    thread_id: str | None
    score: float = 0.0

    def day(self, time_zone: str) -> str:
        """The date it was said, YYYY-MM-DD in `time_zone`."""
        return local_day(self.said_at, time_zone)


def memory_id(author_id: str, message_id: str) -> str:
    """The source id of what `author_id` said in `message_id` (so "mine" is a prefix)."""
    return f"{MEMORY_PREFIX}{author_id}:{message_id}"


def memory_question(text: str) -> str:
    """What was asked in a remembered exchange ("who: question" on its first line)."""
    first = text.split("\n", 1)[0]
    return " ".join(first.split(": ", 1)[-1].split())


def is_summary(chunk: Chunk) -> bool:
    """Whether a memory is a condensed daily summary."""
    return chunk.source.source_id.startswith(SUMMARY_PREFIX)


def is_memory(chunk: Chunk) -> bool:
    """Whether a passage came from memory rather than from a document."""
    return chunk.source.kind is SourceKind.MEMORY


def memory_title(said_at: datetime, author: str, time_zone: str) -> str:
    """How a memory is named among an answer's sources: its date and who."""
    day = local_day(said_at, time_zone)
    return f"{day} · {author}" if author else day


def local_day(moment: datetime, time_zone: str) -> str:
    """The date of `moment` in `time_zone`, YYYY-MM-DD."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d")


def dated_in(passage: Passage, time_zone: str) -> Passage:
    """A recalled memory named by its date in the channel's time zone as it is now (the
    zone may have changed since it was stored)."""
    chunk = passage.chunk
    if chunk.said_at is None or is_summary(chunk):
        return passage
    said_at = datetime.fromtimestamp(chunk.said_at, UTC)
    source = replace(chunk.source, title=memory_title(said_at, chunk.author or "", time_zone))
    return replace(passage, chunk=replace(chunk, source=source))


class ChannelMemory:
    """Keeps and recalls the memories of each channel, in a collection of its own."""

    def __init__(
        self,
        store: VectorStore,
        embeddings: EmbeddingSet,
        settings: MemorySettings | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._embeddings = embeddings
        self._settings = settings or MemorySettings()
        self._now = now

    @property
    def settings(self) -> MemorySettings:
        """The settings in force."""
        return self._settings

    def now(self) -> datetime:
        """The memory's clock (UTC)."""
        return self._now()

    def collection(self, channel: ChannelRef) -> str:
        """The channel's memory collection."""
        return collection_name(channel, CollectionPurpose.MEMORY, self._embeddings.key)

    async def remember_exchange(
        self,
        message: IncomingMessage,
        answer: str,
        cited: tuple[str, ...],
        time_zone: str,
        answered: bool = True,
    ) -> bool:
        """Keep a question and the bot's answer; a message the sources had nothing on is
        kept without the bot's stock reply (what people told or asked is worth
        remembering, the refusal is not), and if it asked something, as an open question:
        listed and recalled by time, never evidence for an answer. True when stored."""
        who = message.author.name or message.author.id
        text = f"{who}: {message.text.strip()}"
        if answered:
            text += f"\n{self._settings.bot_name}: {_gist(answer)}"
        open_question = not answered and is_question(message.text)
        return await self._keep(message, text, cited, time_zone, open_question)

    async def remember_message(self, message: IncomingMessage, time_zone: str) -> bool:
        """Keep a plain channel message (the channel's `remember_messages` is on)."""
        who = message.author.name or message.author.id
        return await self._keep(message, f"{who}: {message.text.strip()}", (), time_zone)

    async def _keep(
        self,
        message: IncomingMessage,
        text: str,
        cited: tuple[str, ...],
        time_zone: str,
        open_question: bool = False,
    ) -> bool:
        if not self._settings.enabled or not message.text.strip():
            return False
        said_at = message.sent_at.astimezone(UTC)
        who = message.author.name or message.author.id
        source = Source(
            memory_id(message.author.id, message.message_id),
            memory_title(said_at, who, time_zone),
            SourceKind.MEMORY,
            message.permalink,
        )
        chunk = Chunk(
            text=text,
            source=source,
            index=0,
            language=detect_language(text),
            said_at=said_at.timestamp(),
            author=who,
            thread_id=message.thread_id,
            cited=cited,
            open_question=open_question,
        )
        try:
            points = await embed_chunks(self._embeddings, [chunk])
            await self._store.upsert(
                self.collection(message.channel), self._embeddings.spaces, points
            )
        except Exception:
            # Never claimed to be remembered: the answer was given, the memory is not kept.
            log.exception(
                "could not remember message %s in %s", message.message_id, message.channel
            )
            return False
        return True

    async def recall(
        self,
        channel: ChannelRef,
        query: str,
        window: TimeWindow | None = None,
        limit: int | None = None,
        min_score: float | None = None,
        as_evidence: bool = False,
    ) -> list[Passage]:
        """The memories relevant to `query` (within `window` when given), best first, only
        those over memory's bar; `as_evidence` leaves out open questions (a question
        nobody answered states nothing, and recalled for a like question it would be
        the only "source" of the answer)."""
        if not self._settings.enabled or not query.strip():
            return []
        wanted = limit or self._settings.top_k
        vectors = await self._embeddings.embed_query(query)
        between = (window.start.timestamp(), window.end.timestamp()) if window else None
        found = await self._store.search(
            self.collection(channel),
            vectors,
            wanted * 2 if as_evidence else wanted,
            said_between=between,
        )
        floor = self._settings.min_score if min_score is None else min_score
        kept = [
            passage
            for passage in found
            if passage.score >= floor and not (as_evidence and passage.chunk.open_question)
        ]
        return kept[:wanted]

    async def recall_for_question(
        self,
        channel: ChannelRef,
        question: str,
        time_zone: str,
        dates: PhraseDates | None,
        min_score: float | None = None,
    ) -> Recalled:
        """The memories a question calls up: by relevance over memory's bar (or
        `min_score`), or, when it names a time ("last week", 지난주에), the best ones of
        that calendar window in `time_zone`, the question without its time phrase."""
        if not self._settings.enabled:
            return Recalled([], None)
        window = None
        if dates is not None:
            window = time_window(question, self.now(), time_zone, dates)
        if window is None:
            recalled = await self.recall(channel, question, min_score=min_score, as_evidence=True)
            return Recalled(recalled, None)
        found = find_time_reference(question)
        topic = found[1] if found else question
        # Within the window the window is the filter: the bar would drop a memory that
        # answers "what did we discuss last week?", which names no subject.
        return Recalled(await self.recall(channel, topic, window, min_score=-1.0), window)

    async def about(
        self, channel: ChannelRef, topic: str, window: TimeWindow | None = None
    ) -> list[Memory]:
        """What is remembered about `topic`, oldest first."""
        passages = await self.recall(channel, topic, window, limit=self._settings.listed)
        found = [replace(as_memory(p.chunk), score=p.score) for p in passages]
        return sorted(found, key=lambda memory: memory.said_at)

    async def all(self, channel: ChannelRef) -> list[Memory]:
        """Every memory of the channel, oldest first."""
        chunks = await self._store.all_chunks(self.collection(channel))
        return sorted((as_memory(chunk) for chunk in chunks), key=lambda m: m.said_at)

    async def forget(self, channel: ChannelRef, memories: list[Memory]) -> int:
        """Remove these memories; return how many were removed."""
        removed = 0
        for memory in memories:
            removed += await self._store.delete_source(self.collection(channel), memory.memory_id)
        return removed

    async def forget_mine(self, channel: ChannelRef, author_id: str) -> int:
        """Remove every memory of what `author_id` said or asked."""
        prefix = memory_id(author_id, "")
        return await self.forget(
            channel, [m for m in await self.all(channel) if m.memory_id.startswith(prefix)]
        )

    async def forget_message(self, channel: ChannelRef, message_id: str) -> int:
        """Remove the memory of a message deleted on its platform."""
        return await self.forget(
            channel,
            [m for m in await self.all(channel) if m.memory_id.endswith(f":{message_id}")],
        )

    async def clear(self, channel: ChannelRef) -> int:
        """Drop the channel's whole memory; return how many memories it held."""
        count = await self._store.count(self.collection(channel))
        await self._store.drop(self.collection(channel))
        return count


def as_memory(chunk: Chunk) -> Memory:
    """A stored memory point as a Memory."""
    said_at = datetime.fromtimestamp(chunk.said_at or 0.0, UTC)
    return Memory(
        memory_id=chunk.source.source_id,
        text=chunk.text,
        author=chunk.author or "",
        said_at=said_at,
        permalink=chunk.source.url,
        cited=chunk.cited,
        thread_id=chunk.thread_id,
    )


def _gist(answer: str) -> str:
    text = " ".join(answer.split())
    return text if len(text) <= ANSWER_CHARS else text[: ANSWER_CHARS - 1].rstrip() + "…"


LINE_CHARS = 160


def memory_listing(memories: list[Memory], time_zone: str, language: str) -> str:
    """Memories as lines people read: date, who, the words, the sources then, a link."""
    lines = []
    for memory in memories:
        text = " ".join(memory.text.split())
        if len(text) > LINE_CHARS:
            text = text[: LINE_CHARS - 1].rstrip() + "…"
        if memory.cited:
            text += say("memory_cited", language, titles=", ".join(memory.cited))
        link = f" <{memory.permalink}>" if memory.permalink else ""
        lines.append(
            say(
                "memory_line",
                language,
                day=memory.day(time_zone),
                who=memory.author or "?",
                text=text,
                link=link,
            )
        )
    return "\n".join(lines)
