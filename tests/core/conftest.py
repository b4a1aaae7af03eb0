"""A bot built from fakes, as bots/bootstrap.py builds the real one."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.dateparser_dates import DateparserDates
from core.answering import AnsweringService, AnsweringSettings
from core.bot import Bot, BotSettings
from core.catalog import MemoryCatalog
from core.channel_settings import (
    ChannelSettings,
    ChannelSettingsService,
    MemoryChannelSettingsStore,
)
from core.conversation import Conversations
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.ingestion import IngestionService, IngestionSettings
from core.ingestion_queue import IngestionQueue
from core.library import ChannelLibrary
from core.memory import ChannelMemory, MemorySettings
from core.migration import CollectionMigrator
from core.models import Attachment, Author, ChannelRef, IncomingMessage
from core.ports import LinkFetcher, MediaFetcher, Transcriber
from core.rate_limit import RateLimits
from tests.fakes import (
    FakeClock,
    MemoryStore,
    ParagraphReader,
    RecordingChat,
    ScriptedModel,
    WordEmbedder,
)

CHANNEL_A = ChannelRef("test", "team", "alpha")
CHANNEL_B = ChannelRef("test", "team", "beta")
TOWER = (
    "The Glimmerstone Tower stands in the harbour town of Vellmora.\n\n"
    "The Glimmerstone Tower was built in 1887 by the engineer Odile Marchetti.\n\n"
    "Lunch is served in the canteen from noon until two."
)


@dataclass
class Harness:
    """A bot over fakes, with the fakes at hand for assertions."""

    bot: Bot
    chat: RecordingChat
    store: MemoryStore
    embedder: WordEmbedder
    model: ScriptedModel
    clock: FakeClock
    tmp_path: Path
    memory: ChannelMemory | None = None

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    async def say(
        self,
        text: str,
        channel: ChannelRef = CHANNEL_A,
        thread: str | None = None,
        author: Author | None = None,
        addressed: bool = True,
        sent_at: datetime | None = None,
        permalink: str | None = None,
    ) -> None:
        message = IncomingMessage(
            channel,
            author or USER,
            text,
            next_id(),
            thread,
            addressed=addressed,
            permalink=permalink,
            sent_at=sent_at or datetime.now(UTC),
        )
        await self.bot.handle(message, self.chat)

    async def share(self, *paths: Path, channel: ChannelRef = CHANNEL_A, text: str = "") -> None:
        attachments = tuple(Attachment(name=path.name, path=str(path)) for path in paths)
        await self.bot.handle(
            IncomingMessage(channel, USER, text, next_id(), None, attachments), self.chat
        )


USER = Author("u1", "Mina", is_admin=True)
_ids = itertools.count(1)


def next_id() -> str:
    """A message id no other test message has (the bot drops a repeated id)."""
    return f"m{next(_ids)}"


def build_harness(
    tmp_path: Path,
    model: ScriptedModel | None = None,
    min_score: float = 0.3,
    max_file_bytes: int = 1024 * 1024,
    max_generation_seconds: float = 30.0,
    context_window: int = 0,
    rate_limits: RateLimits | None = None,
    links: LinkFetcher | None = None,
    channels: ChannelSettings | None = None,
    media: MediaFetcher | None = None,
    transcriber: Transcriber | None = None,
    catalog: MemoryCatalog | None = None,
    jobs: IngestionQueue | None = None,
    settings: BotSettings | None = None,
    remembering_at: datetime | None = None,
    store: MemoryStore | None = None,
    memory_bar: float = 0.3,
) -> Harness:
    store = store or MemoryStore()
    embedder = WordEmbedder()
    embeddings = EmbeddingSet([WeightedEmbedder(embedder)])
    memory = None
    if remembering_at is not None:
        moment = remembering_at
        memory = ChannelMemory(
            store, embeddings, MemorySettings(min_score=memory_bar), now=lambda: moment
        )
    model = model or ScriptedModel("The tower was built in 1887 [1].")
    clock = FakeClock()
    answering = AnsweringService(
        store,
        embeddings,
        model,
        AnsweringSettings(
            top_k=3,
            min_score=min_score,
            history_turns=2,
            max_generation_seconds=max_generation_seconds,
            context_window=context_window,
        ),
    )
    ingestion = IngestionService(
        ParagraphReader(),
        embeddings,
        store,
        model,
        IngestionSettings(max_file_bytes=max_file_bytes, embed_batch_size=2, summarize=True),
    )
    bot = Bot(
        answering,
        ingestion,
        ChannelLibrary(store, embeddings.key, catalog),
        Conversations(),
        settings or BotSettings(summaries_up_to_files=3, again_temperature=0.9),
        CollectionMigrator(store, embeddings),
        clock=clock,
        rate_limits=rate_limits or RateLimits(per_person=100, per_channel=100),
        links=links,
        media=media,
        transcriber=transcriber,
        jobs=jobs,
        memory=memory,
        dates=DateparserDates() if memory is not None else None,
        channel_settings=ChannelSettingsService(
            MemoryChannelSettingsStore(), channels or ChannelSettings()
        ),
    )
    return Harness(bot, RecordingChat(), store, embedder, model, clock, tmp_path, memory)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return build_harness(tmp_path)
