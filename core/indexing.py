"""The files of one message indexed one by one: catalog status, progress and a reply each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

from core.catalog import CatalogEntry, SourceStatus, new_entry
from core.citations import format_seconds
from core.errors import UserFacingError
from core.ingestion import IngestionService
from core.ingestion_queue import IngestionQueue
from core.job_status import JobStatus
from core.jobs import IngestionJob, job_key
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
    """Indexes a message's attachments and links as ingestion jobs, each source within its
    own error boundary with one status message, keeping the sources catalog up to date.

    Jobs run through the IngestionQueue (the channel's order, claims, restarts); downloads
    run at most `downloads` at a time and transcriptions `transcriptions` at a time across
    channels, since each takes the whole CPU or the bandwidth for minutes.
    """

    def __init__(
        self,
        ingestion: IngestionService,
        catalog: SourceCatalog,
        queue: IngestionQueue,
        *,
        summaries_up_to_files: int = 3,
        clock: Callable[[], float] = time.monotonic,
        links: LinkFetcher | None = None,
        media: MediaFetcher | None = None,
        transcriber: Transcriber | None = None,
        downloads: int = 2,
        transcriptions: int = 1,
    ) -> None:
        self._transcriber = transcriber
        self._links = links
        self._media = media
        self._ingestion = ingestion
        self._catalog = catalog
        self._queue = queue
        self._summaries_up_to_files = summaries_up_to_files
        self._clock = clock
        self._download_slots = asyncio.Semaphore(downloads)
        self._transcription_slots = asyncio.Semaphore(transcriptions)
        self._statuses: dict[str, JobStatus] = {}
        queue.run_with(self._run_job, self._show_position)

    async def index_attachments(
        self, message: IncomingMessage, chat: ChatClient, summaries: bool = True
    ) -> int:
        """Queue every attachment of `message` and wait for them; return how many were
        indexed (a link the channel already has counts)."""
        attachments = message.attachments
        total = len(attachments)
        summarize = summaries and total <= self._summaries_up_to_files
        progress = progress_for(message, chat, self._clock) if total > 1 else None
        # Every source is in the catalog as queued before the first one starts.
        waits = [
            await self._queue_one(message, chat, attachment, summarize)
            for attachment in attachments
        ]
        succeeded = 0
        for done, (attachment, outcome) in enumerate(zip(attachments, waits, strict=True)):
            if progress is not None:
                await progress.progress(done, total, attachment.name)
            succeeded += await outcome if isinstance(outcome, asyncio.Future) else outcome
        if progress is not None:
            await progress.progress(total, total, "")
            await chat.post(
                message.channel,
                say("index_batch_done", detect_language(message.text), ok=succeeded, total=total),
                message.thread_id,
            )
        return succeeded

    async def _queue_one(
        self, message: IncomingMessage, chat: ChatClient, attachment: Attachment, summarize: bool
    ) -> asyncio.Future[bool] | bool:
        """The source's job queued (its outcome to wait for), or True for a link the
        channel already has."""
        language = detect_language(message.text)
        source = self._ingestion.source_of(attachment)
        if attachment.url and not attachment.file_id:
            known = await self._ready_entry(message, source.source_id)
            if known is not None:
                # The same link again: said, not fetched and indexed twice.
                when = known.added_at.strftime("%Y-%m-%d %H:%M UTC") if known.added_at else "?"
                reply = replier(message, chat)
                await reply(say("already_indexed", language, title=known.source.title, when=when))
                return True
        job = IngestionJob(replace(message, attachments=(attachment,)), summarize)
        status = JobStatus(chat, message, attachment.name, language, self._clock)
        key = job_key(message.channel, source.source_id)
        self._statuses[key] = status
        # Shown before the job can start, so the states never cross.
        await status.queued(self._queue.waiting(message.channel))
        try:
            return await self._queue.enqueue(
                job, new_entry(source, message.author.name or message.author.id)
            )
        except Exception:
            self._statuses.pop(key, None)
            raise

    async def _show_position(self, key: str, ahead: int) -> None:
        status = self._statuses.get(key)
        if status is not None:
            await status.queued(ahead)

    async def _run_job(self, job: IngestionJob, chat: ChatClient, resumed: bool) -> bool:
        """Index one claimed source; its outcome goes to the catalog and to its status
        message. Cancelled when the source is forgotten meanwhile."""
        message, attachment = job.message, job.attachment
        language = detect_language(message.text)
        source = self._ingestion.source_of(attachment)
        key = job_key(message.channel, source.source_id)
        status = self._statuses.pop(key, None) or JobStatus(
            chat, message, attachment.name, language, self._clock
        )
        if resumed:
            await status.resumed()
        entry = new_entry(source, message.author.name or message.author.id)
        worker = self._queue.worker
        claims = self._queue.claims
        succeeded = False

        async def work() -> None:
            nonlocal succeeded
            try:
                report = await self._fetch_and_index(job, chat, status)
            except UserFacingError as error:
                # Kept in the language of whoever shared the file, as the reply said it.
                reason = error.text(language)
                failed = entry.with_status(SourceStatus.FAILED, reason=reason)
                await claims.finish_source(message.channel, failed, worker)
                raise UserFacingError(
                    "index_failed", title=attachment.name, reason=reason
                ) from error
            except Exception:
                failed = entry.with_status(
                    SourceStatus.FAILED, reason=say("internal_error", language)
                )
                await claims.finish_source(message.channel, failed, worker)
                raise
            # A link's title is known once its page was read.
            ready = replace(entry, source=report.source).with_status(
                SourceStatus.READY, chunk_count=report.chunk_count
            )
            if not await claims.finish_source(message.channel, ready, worker):
                # Forgotten (or reset) while it was indexed: what it wrote goes too.
                await self._ingestion.remove_source(message.channel, source.source_id)
                await status.finished(say("job_cancelled", language, title=report.source.title))
                return
            text = _indexed_line(report, language)
            if report.summary:
                text += "\n" + say("summary", language, summary=report.summary)
            await status.finished(text)
            succeeded = True

        try:
            # Each file has its own boundary: one bad file does not stop the others.
            await guarded(
                work(),
                status.finished,
                language,
                f"indexing {attachment.name} in {message.channel}",
            )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await status.finished(say("job_cancelled", language, title=attachment.name))
            raise
        return succeeded

    async def _fetch_and_index(
        self, job: IngestionJob, chat: ChatClient, status: JobStatus
    ) -> IndexReport:
        ingestion = self._ingestion
        attachment = job.attachment
        if attachment.path is None and attachment.file_id is None and attachment.url:
            return await self._fetch_link(job, chat, status)
        if attachment.path is not None or not isinstance(chat, FileDownloads):
            return await self._index_local(job, attachment, status)
        # Refused before a byte is fetched when the platform already says it is too big.
        ingestion.check_size(attachment)
        with tempfile.TemporaryDirectory(prefix="ragbot-file-") as folder:
            await status.downloading()
            async with self._download_slots:
                path = await chat.download(attachment, folder, ingestion.max_file_bytes)
            fetched = replace(attachment, path=path)
            return await self._index_local(job, fetched, status)

    async def _index_local(
        self, job: IngestionJob, attachment: Attachment, status: JobStatus
    ) -> IndexReport:
        """A file on disk: a recording is transcribed (the same path as a video's audio),
        anything else read as a document."""
        channel = job.channel
        if self._transcriber is None or not is_recording(attachment):
            await status.indexing()
            return await self._ingestion.index_file(channel, attachment, job.summarize)
        source = replace(self._ingestion.source_of(attachment), kind=SourceKind.MEDIA)
        cues, language = await self._transcribe(attachment.path or "", None, status)
        return await self._store_timed(job, source, cues, language, (), "speech", status)

    async def _transcribe(
        self, path: str, language: str | None, status: JobStatus
    ) -> tuple[list[Cue], str]:
        """Speech to text, one at a time, its progress on the status message."""
        assert self._transcriber is not None
        await status.transcribing(0.0)
        async with self._transcription_slots:
            transcript = await self._transcriber.transcribe(path, language, status.transcribing)
        return list(transcript.cues), transcript.language

    async def _store_timed(
        self,
        job: IngestionJob,
        source: Source,
        cues: list[Cue],
        language: str | None,
        chapters: tuple[Chapter, ...],
        transcript: str,
        status: JobStatus,
        duration: float | None = None,
    ) -> IndexReport:
        """Timed text as chunks that each know the second of every caption in them."""
        if not cues:
            raise UserFacingError("media_no_speech", title=source.title)
        await status.indexing()
        language = language or detect_language(" ".join(cue.text for cue in cues[:50]))
        chunks = timed_chunks(cues, source, chapters, language=language)
        report = await self._ingestion.store_chunks(job.channel, source, chunks, job.summarize)
        return replace(
            report,
            transcript=transcript,
            duration_seconds=duration or cues[-1].end,
            language=language,
        )

    async def _fetch_link(
        self, job: IngestionJob, chat: ChatClient, status: JobStatus
    ) -> IndexReport:
        """A shared link, fetched into a temporary file, indexed under its page title."""
        attachment = job.attachment
        url = attachment.url
        if self._links is None or url is None:
            raise UserFacingError("file_unavailable", name=attachment.name)
        with tempfile.TemporaryDirectory(prefix="ragbot-link-") as folder:
            await status.downloading()
            if self._media is not None:
                wants_audio = self._transcriber is not None
                async with self._download_slots:
                    video = await self._media.fetch(
                        url, folder, want_audio=wants_audio, on_download=status.downloading
                    )
                if video is not None:
                    source_id = self._ingestion.source_of(attachment).source_id
                    return await self._index_video(job, video, source_id, status)
            async with self._download_slots:
                fetched = await self._links.fetch(url, folder, self._ingestion.max_file_bytes)
            status.retitle(fetched.title)
            await status.indexing()
            page = replace(attachment, path=fetched.path, name=fetched.title)
            return await self._ingestion.index_file(job.channel, page, job.summarize)

    async def _index_video(
        self, job: IngestionJob, video: MediaFetch, source_id: str, status: JobStatus
    ) -> IndexReport:
        """A video's captions, or its transcribed audio, as time-aware chunks."""
        info = video.info
        status.retitle(info.title)
        source = Source(source_id, info.title, SourceKind.MEDIA, info.url)
        cues = list(video.cues)
        language = info.language
        if not cues and video.audio_path and self._transcriber is not None:
            cues, language = await self._transcribe(video.audio_path, info.language, status)
        elif not cues:
            raise UserFacingError("media_no_captions", title=info.title)
        kind = video.captions if video.cues and video.captions else "speech"
        return await self._store_timed(
            job, source, cues, language, info.chapters, kind, status, info.duration_seconds
        )

    async def _ready_entry(self, message: IncomingMessage, source_id: str) -> CatalogEntry | None:
        for known in await self._catalog.catalog_entries(message.channel):
            if known.source.source_id == source_id and known.status is SourceStatus.READY:
                return known
        return None


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
