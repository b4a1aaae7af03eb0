"""Index a file into a channel's collection: check, read, embed, store, summarise."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from dataclasses import dataclass, replace

from core.embeddings import EmbeddingSet
from core.errors import UserFacingError
from core.generation import consume_within
from core.language import LANGUAGE_NAMES, detect_language
from core.links import canonical_video_url, youtube_video_id
from core.models import (
    Attachment,
    ChannelRef,
    ChatTurn,
    Chunk,
    IndexReport,
    Sampling,
    Source,
    SourceKind,
    StoredPoint,
)
from core.naming import CollectionPurpose, collection_name
from core.ports import DocumentReader, LanguageModel, VectorStore

# The rule after the document, its language named: with the rule first (as a system
# prompt) the offline models copied the document's first lines, and told "the document's
# own language" they summarised Korean documents in English.
SUMMARY_SYSTEM = "You summarize documents shared in a team chat."
SUMMARY_RULE = (
    "Summarize the document above in exactly two short sentences, in {language}. "
    "Reply with the two sentences only."
)
_SENTENCE_END = re.compile(r"[.!?。…](?=\s|$)")
# Enough of the document's start to say what it is about, cheap to read on a CPU.
SUMMARY_INPUT_CHARS = 2400
SUMMARY_MAX_TOKENS = 120
log = logging.getLogger("ragbot.ingestion")
POINT_NAMESPACE = uuid.UUID("5b0c3a4e-8d57-4a8e-9a53-2f0f4f6f7a10")


@dataclass(frozen=True)
class IngestionSettings:
    """Limits and options for indexing."""

    max_file_bytes: int = 20 * 1024 * 1024
    embed_batch_size: int = 32
    summarize: bool = True
    max_generation_seconds: float = 120.0


def source_id_for(key: str) -> str:
    """A stable id for a source, from its canonical key (a URL or an absolute path)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def shared_file_source_id(file_id: str) -> str:
    """The source id of a file shared on a platform, from the platform's file id (so the
    source can be found again when the platform says the file was deleted)."""
    return source_id_for(f"file:{file_id}")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def file_too_big(name: str, size: int, limit: int) -> UserFacingError:
    """The refusal of a file past the size cap (also for a download cut off past it)."""
    return UserFacingError(
        "file_too_big", name=name, size=_megabytes(size), limit=_megabytes(limit)
    )


def point_id_for(chunk: Chunk) -> str:
    """The stable id of a chunk's point: the same chunk always lands on the same point."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{chunk.source.source_id}:{chunk.index}"))


async def embed_chunks(
    embeddings: EmbeddingSet,
    chunks: list[Chunk],
    batch_size: int = 32,
) -> list[StoredPoint]:
    """Embed chunks (heading and text) in batches into points for the store."""
    points: list[StoredPoint] = []
    for start in range(0, len(chunks), batch_size):
        batch = chunks[start : start + batch_size]
        vectors = await embeddings.embed_passages([chunk.embedded_text for chunk in batch])
        points.extend(
            StoredPoint(point_id_for(chunk), by_space, chunk)
            for chunk, by_space in zip(batch, vectors, strict=True)
        )
    return points


class IngestionService:
    """Indexes files into a channel's document collection."""

    def __init__(
        self,
        reader: DocumentReader,
        embeddings: EmbeddingSet,
        store: VectorStore,
        model: LanguageModel | None,
        settings: IngestionSettings,
    ) -> None:
        self._reader = reader
        self._embeddings = embeddings
        self._store = store
        self._model = model
        self._settings = settings

    @property
    def max_file_bytes(self) -> int:
        """The largest file indexed."""
        return self._settings.max_file_bytes

    def source_of(self, attachment: Attachment) -> Source:
        """The source an attachment becomes (the same file or link: the same source)."""
        if attachment.file_id:
            source_id = shared_file_source_id(attachment.file_id)
        else:
            key = attachment.url or os.path.abspath(attachment.path or attachment.name)
            video_id = youtube_video_id(key) if attachment.url else None
            # Every form of a YouTube link (youtu.be, shorts, t=, si=) is one source.
            source_id = source_id_for(canonical_video_url(video_id) if video_id else key)
        return Source(
            source_id=source_id,
            title=attachment.name,
            kind=SourceKind.DOCUMENT,
            url=attachment.url,
        )

    def _check_size(self, attachment: Attachment, size: int) -> None:
        if size > self._settings.max_file_bytes:
            raise file_too_big(attachment.name, size, self._settings.max_file_bytes)

    def check_size(self, attachment: Attachment) -> None:
        """Refuse a file the platform says is over the cap, before anything downloads it."""
        if attachment.size_bytes is not None:
            self._check_size(attachment, attachment.size_bytes)

    def _checked_path(self, attachment: Attachment) -> str:
        self.check_size(attachment)
        if not attachment.path:
            raise UserFacingError("file_unavailable", name=attachment.name)
        path = attachment.path
        if not os.path.exists(path):
            raise UserFacingError("file_missing", path=path)
        if os.path.isdir(path):
            raise UserFacingError("file_is_folder", name=attachment.name)
        size = os.path.getsize(path)
        if size == 0:
            raise UserFacingError("file_empty", name=attachment.name)
        self._check_size(attachment, size)
        return path

    async def index_file(
        self, channel: ChannelRef, attachment: Attachment, summarize: bool = True
    ) -> IndexReport:
        """Index one file into `channel`, replacing an earlier copy of the same source."""
        path = self._checked_path(attachment)
        source = self.source_of(attachment)
        chunks = [
            chunk if chunk.language else replace(chunk, language=detect_language(chunk.text))
            for chunk in await self._reader.read(path, source)
        ]
        if not chunks:
            raise UserFacingError("file_no_text", name=attachment.name)
        return await self.store_chunks(channel, source, chunks, summarize)

    async def store_chunks(
        self, channel: ChannelRef, source: Source, chunks: list[Chunk], summarize: bool = True
    ) -> IndexReport:
        """Embed and store a source's chunks in `channel`, replacing an earlier copy."""
        points = await embed_chunks(self._embeddings, chunks, self._settings.embed_batch_size)
        collection = collection_name(channel, CollectionPurpose.DOCUMENTS, self._embeddings.key)
        # Embed, write over the old copy (a chunk keeps its point id), then delete the old
        # copy's extra chunks: a crash at any step leaves the source searchable.
        replaced = bool(await self._store.chunks(collection, source.source_id, 0, 0))
        await self._store.upsert(collection, self._embeddings.spaces, points)
        await self._store.delete_source(collection, source.source_id, from_index=len(chunks))
        summary = None
        if summarize and self._settings.summarize:
            try:
                summary = await self._summarize(chunks)
            except Exception:
                # The summary is a courtesy: the source is indexed whether or not it works.
                log.warning("no summary for %s", source.title, exc_info=True)
        return IndexReport(
            source=source, chunk_count=len(chunks), summary=summary, replaced=replaced
        )

    async def remove_source(self, channel: ChannelRef, source_id: str) -> int:
        """Delete the chunks a source has in `channel`; return how many."""
        collection = collection_name(channel, CollectionPurpose.DOCUMENTS, self._embeddings.key)
        return await self._store.delete_source(collection, source_id)

    async def _summarize(self, chunks: list[Chunk]) -> str | None:
        if self._model is None:
            return None
        text = ""
        for chunk in chunks:
            if len(text) >= SUMMARY_INPUT_CHARS:
                break
            text += chunk.text.strip() + "\n"
        text = text[:SUMMARY_INPUT_CHARS]
        language = LANGUAGE_NAMES.get(detect_language(text), "the document's language")
        messages = [
            ChatTurn("system", SUMMARY_SYSTEM),
            ChatTurn("user", f"Document:\n{text}\n\n{SUMMARY_RULE.format(language=language)}"),
        ]
        sampling = Sampling(temperature=0.2, max_new_tokens=SUMMARY_MAX_TOKENS)
        pieces: list[str] = []

        async def keep(piece: str) -> None:
            pieces.append(piece)

        await consume_within(
            self._model.stream(messages, sampling), keep, self._settings.max_generation_seconds
        )
        summary = whole_sentences(" ".join("".join(pieces).split()))
        return summary or None


def whole_sentences(text: str) -> str:
    """`text` without a sentence the token limit cut short (all of it when none ends)."""
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    if not ends or ends[-1] == len(text):
        return text
    return text[: ends[-1]]
