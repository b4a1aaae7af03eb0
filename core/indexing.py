"""The files of one message indexed one by one: catalog status, progress and a reply each."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

from core.catalog import CatalogEntry, SourceStatus, new_entry
from core.citations import format_seconds
from core.errors import UserFacingError
from core.ingestion import IngestionService
from core.language import detect_language
from core.messages import say
from core.models import (
    Attachment,
    Chapter,
    Cue,
    IncomingMessage,
    IndexReport,
    MediaFetch,
    Source,
    SourceKind,
)
from core.ports import (
    ChatClient,
    FileDownloads,
    LinkFetcher,
    MediaFetcher,
    SourceCatalog,
    Transcriber,
)
from core.progress import progress_for
from core.replies import guarded, replier
from core.timed_chunks import timed_chunks

log = logging.getLogger("ragbot.indexing")


class AttachmentIndexing:
    """Indexes a message's attachments through the ingestion service, each file within its
    own error boundary, keeping the sources catalog up to date."""

    def __init__(
        self,
        ingestion: IngestionService,
        catalog: SourceCatalog,
        *,
        summaries_up_to_files: int = 3,
        clock: Callable[[], float] = time.monotonic,
        links: LinkFetcher | None = None,
        media: MediaFetcher | None = None,
        transcriber: Transcriber | None = None,
    ) -> None:
        self._transcriber = transcriber
        self._links = links
        self._media = media
        self._ingestion = ingestion
        self._catalog = catalog
        self._summaries_up_to_files = summaries_up_to_files
        self._clock = clock

    async def index_attachments(
        self, message: IncomingMessage, chat: ChatClient, summaries: bool = True
    ) -> int:
        """Index every attachment of `message`; return how many were indexed."""
        attachments = message.attachments
        total = len(attachments)
        summarize = summaries and total <= self._summaries_up_to_files
        progress = progress_for(message, chat, self._clock) if total > 1 else None
        succeeded = 0
        for done, attachment in enumerate(attachments):
            if progress is not None:
                await progress.progress(done, total, attachment.name)
            succeeded += await self._index_one(message, chat, attachment, summarize)
        if progress is not None:
            await progress.progress(total, total, "")
            await chat.post(
                message.channel,
                say("index_batch_done", detect_language(message.text), ok=succeeded, total=total),
                message.thread_id,
            )
        return succeeded

    async def _fetch_and_index(
        self, message: IncomingMessage, chat: ChatClient, attachment: Attachment, summarize: bool
    ) -> IndexReport:
        ingestion = self._ingestion
        if attachment.path is None and attachment.file_id is None and attachment.url:
            return await self._fetch_link(message, chat, attachment, summarize)
        if attachment.path is not None or not isinstance(chat, FileDownloads):
            return await self._index_local(message, chat, attachment, summarize)
        # Refused before a byte is fetched when the platform already says it is too big.
        ingestion.check_size(attachment)
        with tempfile.TemporaryDirectory(prefix="ragbot-file-") as folder:
            path = await chat.download(attachment, folder, ingestion.max_file_bytes)
            fetched = replace(attachment, path=path)
            return await self._index_local(message, chat, fetched, summarize)

    async def _index_local(
        self, message: IncomingMessage, chat: ChatClient, attachment: Attachment, summarize: bool
    ) -> IndexReport:
        """A file on disk: a recording is transcribed (the same path as a video's audio),
        anything else read as a document."""
        if self._transcriber is None or not is_recording(attachment):
            return await self._ingestion.index_file(message.channel, attachment, summarize)
        source = replace(self._ingestion.source_of(attachment), kind=SourceKind.MEDIA)
        path = attachment.path or ""
        cues, language = await self._transcribe(message, chat, path, attachment.name, None)
        return await self._store_timed(message, source, cues, language, (), summarize, "speech")

    async def _transcribe(
        self,
        message: IncomingMessage,
        chat: ChatClient,
        path: str,
        title: str,
        language: str | None,
    ) -> tuple[list[Cue], str]:
        """Speech to text, its progress shown on one status message."""
        assert self._transcriber is not None
        progress = progress_for(message, chat, self._clock)
        label = say("transcribing", detect_language(message.text), title=title)

        async def show(fraction: float) -> None:
            await progress.progress(round(fraction * 100), 100, label)

        transcript = await self._transcriber.transcribe(path, language, show)
        return list(transcript.cues), transcript.language

    async def _store_timed(
        self,
        message: IncomingMessage,
        source: Source,
        cues: list[Cue],
        language: str | None,
        chapters: tuple[Chapter, ...],
        summarize: bool,
        transcript: str,
        duration: float | None = None,
    ) -> IndexReport:
        """Timed text as chunks that each know the second of every caption in them."""
        if not cues:
            raise UserFacingError("media_no_speech", title=source.title)
        language = language or detect_language(" ".join(cue.text for cue in cues[:50]))
        chunks = timed_chunks(cues, source, chapters, language=language)
        report = await self._ingestion.store_chunks(message.channel, source, chunks, summarize)
        return replace(
            report,
            transcript=transcript,
            duration_seconds=duration or cues[-1].end,
            language=language,
        )

    async def _fetch_link(
        self, message: IncomingMessage, chat: ChatClient, attachment: Attachment, summarize: bool
    ) -> IndexReport:
        """A shared link, fetched into a temporary file, indexed under its page title."""
        url = attachment.url
        if self._links is None or url is None:
            raise UserFacingError("file_unavailable", name=attachment.name)
        with tempfile.TemporaryDirectory(prefix="ragbot-link-") as folder:
            if self._media is not None:
                wants_audio = self._transcriber is not None
                video = await self._media.fetch(url, folder, want_audio=wants_audio)
                if video is not None:
                    source_id = self._ingestion.source_of(attachment).source_id
                    return await self._index_video(message, chat, video, summarize, source_id)
            fetched = await self._links.fetch(url, folder, self._ingestion.max_file_bytes)
            page = replace(attachment, path=fetched.path, name=fetched.title)
            return await self._ingestion.index_file(message.channel, page, summarize)

    async def _index_video(
        self,
        message: IncomingMessage,
        chat: ChatClient,
        video: MediaFetch,
        summarize: bool,
        source_id: str,
    ) -> IndexReport:
        """A video's captions, or its transcribed audio, as time-aware chunks."""
        info = video.info
        source = Source(source_id, info.title, SourceKind.MEDIA, info.url)
        cues = list(video.cues)
        language = info.language
        if not cues and video.audio_path and self._transcriber is not None:
            cues, language = await self._transcribe(
                message, chat, video.audio_path, info.title, info.language
            )
        elif not cues:
            raise UserFacingError("media_no_captions", title=info.title)
        kind = video.captions if video.cues and video.captions else "speech"
        return await self._store_timed(
            message, source, cues, language, info.chapters, summarize, kind, info.duration_seconds
        )

    async def _ready_entry(self, message: IncomingMessage, source_id: str) -> CatalogEntry | None:
        for known in await self._catalog.catalog_entries(message.channel):
            if known.source.source_id == source_id and known.status is SourceStatus.READY:
                return known
        return None

    async def _index_one(
        self, message: IncomingMessage, chat: ChatClient, attachment: Attachment, summarize: bool
    ) -> bool:
        language = detect_language(message.text)
        reply = replier(message, chat)
        catalog = self._catalog
        source = self._ingestion.source_of(attachment)
        if attachment.url and not attachment.file_id:
            known = await self._ready_entry(message, source.source_id)
            if known is not None:
                # The same link again: said, not fetched and indexed twice.
                when = known.added_at.strftime("%Y-%m-%d %H:%M UTC") if known.added_at else "?"
                await reply(say("already_indexed", language, title=known.source.title, when=when))
                return True
        entry = new_entry(source, message.author.name or message.author.id)

        async def work() -> None:
            await catalog.record_source(message.channel, entry)
            try:
                report = await self._fetch_and_index(message, chat, attachment, summarize)
            except UserFacingError as error:
                # Kept in the language of whoever shared the file, as the reply said it.
                reason = error.text(language)
                failed = entry.with_status(SourceStatus.FAILED, reason=reason)
                await catalog.record_source(message.channel, failed)
                raise UserFacingError(
                    "index_failed", title=attachment.name, reason=reason
                ) from error
            except Exception:
                failed = entry.with_status(
                    SourceStatus.FAILED, reason=say("internal_error", language)
                )
                await catalog.record_source(message.channel, failed)
                raise
            # A link's title is known once its page was read.
            ready = replace(entry, source=report.source).with_status(
                SourceStatus.READY, chunk_count=report.chunk_count
            )
            await catalog.record_source(message.channel, ready)
            text = _indexed_line(report, language)
            if report.summary:
                text += "\n" + say("summary", language, summary=report.summary)
            await reply(text)

        # Each file has its own boundary: one bad file does not stop the others.
        return await guarded(
            work(), reply, language, f"indexing {attachment.name} in {message.channel}"
        )


RECORDING_SUFFIXES = frozenset(
    {
        ".mp3",
        ".wav",
        ".m4a",
        ".aac",
        ".ogg",
        ".oga",
        ".opus",
        ".flac",
        ".mp4",
        ".m4v",
        ".mkv",
        ".mov",
        ".webm",
        ".avi",
    }
)


def is_recording(attachment: Attachment) -> bool:
    """Whether a file is audio or video (by its type, else its name)."""
    kind = (attachment.mime_type or "").split("/")[0]
    if kind in {"audio", "video"}:
        return True
    name = attachment.name.lower()
    return any(name.endswith(suffix) for suffix in RECORDING_SUFFIXES)


_TRANSCRIPTS = {
    "manual": "transcript_captions",
    "automatic": "transcript_automatic",
    "speech": "transcript_speech",
}


def _indexed_line(report: IndexReport, language: str) -> str:
    """The reply once a source is indexed; a video's says how long it is and how its words
    were had."""
    if report.transcript is None:
        key = "reindexed" if report.replaced else "indexed"
        return say(key, language, title=report.source.title, chunks=report.chunk_count)
    return say(
        "media_indexed",
        language,
        title=report.source.title,
        duration=format_seconds(report.duration_seconds or 0.0),
        transcript=say(_TRANSCRIPTS.get(report.transcript, "transcript_captions"), language),
        lang=report.language or "?",
        chunks=report.chunk_count,
    )
