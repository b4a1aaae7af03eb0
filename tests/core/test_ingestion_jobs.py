"""Ingestion as background jobs: a channel's sources are indexed in the order they were
shared, downloads and transcriptions are bounded across channels, `forget` stops a job, a
job a restart cut off is resumed once, and of two processes only one ingests a source."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from core.background import TaskJobs
from core.bot import BotSettings
from core.catalog import MemoryCatalog, SourceStatus, new_entry
from core.ingestion import source_id_for
from core.ingestion_queue import IngestionQueue
from core.jobs import IngestionJob, encode_job
from core.models import (
    Attachment,
    ChannelRef,
    Cue,
    FetchedLink,
    IncomingMessage,
    Source,
    Transcript,
)
from tests.core.conftest import CHANNEL_A, CHANNEL_B, TOWER, USER, Harness, build_harness

CHANNEL_C = ChannelRef("test", "team", "gamma")


class GatedLinks:
    """A LinkFetcher whose every page waits until the test opens its gate."""

    def __init__(self) -> None:
        self.started: dict[str, asyncio.Event] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.order: list[str] = []
        self.cancelled: list[str] = []

    def gate(self, url: str) -> asyncio.Event:
        return self.gates.setdefault(url, asyncio.Event())

    def began(self, url: str) -> asyncio.Event:
        return self.started.setdefault(url, asyncio.Event())

    async def fetch(self, url: str, folder: str, max_bytes: int) -> FetchedLink:
        self.order.append(url)
        self.began(url).set()
        try:
            await self.gate(url).wait()
        except asyncio.CancelledError:
            self.cancelled.append(url)
            raise
        path = Path(folder) / "page.md"
        path.write_text(TOWER, encoding="utf-8")
        return FetchedLink(str(path), f"Page {url[-1]}")


def url(name: str) -> str:
    return f"https://example.com/{name}"


def in_background(
    harness: Harness, text: str, channel: ChannelRef = CHANNEL_A
) -> asyncio.Task[None]:
    return asyncio.create_task(harness.say(text, channel=channel, addressed=False))


async def soon(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), timeout=10)


async def until(condition: Callable[[], bool]) -> None:
    """Let the other tasks run until `condition` holds (turns of the loop, not time)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


@pytest.fixture
def gated(tmp_path: Path) -> tuple[Harness, GatedLinks]:
    links = GatedLinks()
    return build_harness(tmp_path, links=links), links


async def test_a_channels_links_are_indexed_in_the_order_they_were_shared_while_others_go_on(
    gated: tuple[Harness, GatedLinks],
) -> None:
    harness, links = gated
    first = in_background(harness, url("a"))
    await soon(links.began(url("a")))
    links.gate(url("b")).set()
    links.gate(url("c")).set()

    second = in_background(harness, url("b"))
    other_channel = in_background(harness, url("c"), channel=CHANNEL_B)
    await asyncio.wait_for(other_channel, 10)

    # Beta's link was indexed meanwhile; alpha's second link waits for its first.
    assert url("b") not in links.order
    assert any("is queued (1 ahead" in text for text in harness.chat.shown())
    links.gate(url("a")).set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert links.order == [url("a"), url("c"), url("b")]
    alpha = [text for text in harness.chat.shown() if text.startswith("Indexed *Page")]
    assert len(alpha) == 3


async def test_at_most_two_downloads_run_at_a_time_across_channels(
    gated: tuple[Harness, GatedLinks],
) -> None:
    harness, links = gated
    tasks = [
        in_background(harness, url("a"), CHANNEL_A),
        in_background(harness, url("b"), CHANNEL_B),
    ]
    await soon(links.began(url("a")))
    await soon(links.began(url("b")))
    tasks.append(in_background(harness, url("c"), CHANNEL_C))
    # A file that needs no download goes through meanwhile.
    await harness.share(harness.write("notes.txt", TOWER), channel=ChannelRef("test", "team", "d"))

    assert url("c") not in links.order
    links.gate(url("a")).set()
    await soon(links.began(url("c")))
    links.gate(url("b")).set()
    links.gate(url("c")).set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)


class GatedTranscriber:
    """A Transcriber that waits for the test before it returns one cue."""

    name = "gated"

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()

    async def transcribe(
        self,
        audio_path: str,
        language: str | None,
        on_progress: Callable[[float], Awaitable[None]] | None = None,
    ) -> Transcript:
        self.running += 1
        self.most = max(self.most, self.running)
        self.entered.set()
        await self.gate.wait()
        self.running -= 1
        return Transcript([Cue(0.0, 3.0, "The tower was built in 1887.")], "en", "gated")


async def test_transcriptions_run_one_at_a_time_across_channels(tmp_path: Path) -> None:
    transcriber = GatedTranscriber()
    harness = build_harness(tmp_path, transcriber=transcriber)
    clips = [harness.write(f"clip{index}.wav", b"RIFF" + bytes(64)) for index in range(2)]
    tasks = [
        asyncio.create_task(harness.share(clips[0], channel=CHANNEL_A)),
        asyncio.create_task(harness.share(clips[1], channel=CHANNEL_B)),
    ]
    await soon(transcriber.entered)
    # A text file in a third channel is indexed while a transcription holds the slot.
    await harness.share(harness.write("notes.txt", TOWER), channel=CHANNEL_C)

    assert transcriber.running == 1
    transcriber.gate.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert transcriber.most == 1
    assert sum("Indexed *clip" in text for text in harness.chat.shown()) == 2


async def test_forget_stops_a_queued_job_and_a_running_one_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    catalog = MemoryCatalog()
    links = GatedLinks()
    harness = build_harness(tmp_path, links=links, catalog=catalog)
    running = in_background(harness, url("a"))
    await soon(links.began(url("a")))
    queued = in_background(harness, url("b"))
    await until(lambda: len(catalog._claims) == 2)  # both jobs are in the catalog
    await harness.say("sources")
    assert f"{url('b')}: waiting to be indexed" in harness.chat.last()

    await harness.say(f"forget {url('b')}")
    await asyncio.wait_for(queued, 10)
    await harness.say(f"forget {url('a')}")
    await asyncio.wait_for(running, 10)

    assert links.order == [url("a")] and links.cancelled == [url("a")]
    assert any(text.startswith("Stopped indexing") for text in harness.chat.shown())
    assert await chunks_stored(harness) == 0
    await harness.say("sources")
    assert url("a") not in harness.chat.last() and url("b") not in harness.chat.last()


def queued_job(channel: ChannelRef, link: str) -> tuple[IngestionJob, Source]:
    message = IncomingMessage(channel, USER, link, "m-old", None, (Attachment(link, url=link),))
    return IngestionJob(message, summarize=False), Source("", link)


async def chunks_stored(harness: Harness) -> int:
    return sum([await harness.store.count(name) for name in await harness.store.collections()])


async def leftover(catalog: MemoryCatalog, harness: Harness, link: str) -> str:
    """A job queued by a process that died: in the catalog only."""
    job, _ = queued_job(CHANNEL_A, link)
    source = Source(source_id_for(link), link)
    await catalog.queue_source(CHANNEL_A, new_entry(source, "Mina"), encode_job(job), "dead")
    return source.source_id


async def test_a_job_a_restart_cut_off_is_resumed_once_when_the_platform_attaches(
    tmp_path: Path,
) -> None:
    catalog = MemoryCatalog()
    links = GatedLinks()
    links.gate(url("a")).set()
    harness = build_harness(tmp_path, links=links, catalog=catalog)
    source_id = await leftover(catalog, harness, url("a"))

    assert await harness.bot.attach("test", harness.chat) == 1
    assert await harness.bot.attach("test", harness.chat) == 0
    await harness.bot.idle()

    assert links.order == [url("a")]
    shown = harness.chat.shown()
    assert any(text.startswith("Indexed *Page a*") for text in shown), shown
    (entry,) = await catalog.catalog_entries(CHANNEL_A)
    assert entry.source.source_id == source_id and entry.status is SourceStatus.READY
    assert await catalog.unfinished_sources(entry.added_at.replace(year=2100)) == []  # type: ignore[union-attr]


async def test_of_two_processes_resuming_the_same_job_only_one_ingests_it(
    tmp_path: Path,
) -> None:
    catalog = MemoryCatalog()
    links = GatedLinks()
    links.gate(url("a")).set()
    bots = [
        build_harness(
            tmp_path / str(index),
            links=links,
            catalog=catalog,
            jobs=IngestionQueue(catalog, TaskJobs(), exclusive=False, lease_seconds=10),
        )
        for index in range(2)
    ]
    for harness in bots:
        harness.tmp_path.mkdir()
    await leftover(catalog, bots[0], url("a"))
    for claim in catalog._claims.values():
        claim.claimed_at = claim.claimed_at.replace(year=2000)

    await asyncio.gather(*(harness.bot.attach("test", harness.chat) for harness in bots))
    await asyncio.gather(*(harness.bot.idle() for harness in bots))

    assert links.order == [url("a")]
    (entry,) = await catalog.catalog_entries(CHANNEL_A)
    assert entry.status is SourceStatus.READY


async def test_a_source_forgotten_by_another_process_mid_job_leaves_no_chunks(
    tmp_path: Path,
) -> None:
    catalog = MemoryCatalog()
    links = GatedLinks()
    harness = build_harness(tmp_path, links=links, catalog=catalog)
    task = in_background(harness, url("a"))
    await soon(links.began(url("a")))

    # Another process forgot it: the catalog entry and its claim are gone.
    (entry,) = await catalog.catalog_entries(CHANNEL_A)
    await catalog.remove_source(CHANNEL_A, entry.source.source_id)
    links.gate(url("a")).set()
    await asyncio.wait_for(task, 10)

    assert await chunks_stored(harness) == 0
    assert await catalog.catalog_entries(CHANNEL_A) == []
    assert harness.chat.last().startswith("Stopped indexing *Page a*")


async def test_downloads_and_transcriptions_at_a_time_come_from_the_settings(
    tmp_path: Path,
) -> None:
    links = GatedLinks()
    harness = build_harness(
        tmp_path, links=links, settings=BotSettings(downloads=1, transcriptions=1)
    )
    first = in_background(harness, url("a"), CHANNEL_A)
    await soon(links.began(url("a")))
    second = in_background(harness, url("b"), CHANNEL_B)
    await harness.share(harness.write("notes.txt", TOWER), channel=CHANNEL_C)

    assert url("b") not in links.order
    links.gate(url("a")).set()
    links.gate(url("b")).set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert links.order == [url("a"), url("b")]
