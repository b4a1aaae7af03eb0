"""The small interfaces the core needs from the outside world; adapters implement them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

from core.models import (
    ChannelRef,
    ChatTurn,
    Chunk,
    MessageRef,
    Passage,
    Sampling,
    Source,
    SourceSummary,
    StoredPoint,
)


class ChatClient(Protocol):
    """Outbound verbs every platform maps: post, edit, react."""

    @property
    def message_limit(self) -> int:
        """Longest message the platform accepts, in characters."""
        ...

    @property
    def min_edit_interval(self) -> float:
        """Fewest seconds between two edits of a streamed message (the platform's rate)."""
        ...

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        """Post a new message (in a thread when `thread_id` is given)."""
        ...

    async def edit(self, ref: MessageRef, text: str) -> None:
        """Replace the text of a message the bot posted."""
        ...

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """Add an emoji reaction (a short name such as "white_check_mark")."""
        ...


@runtime_checkable
class ProgressReporter(Protocol):
    """Shows how far a long job has come; a chat client may implement it natively."""

    async def progress(self, done: int, total: int, label: str) -> None:
        """Report that `done` of `total` steps are finished; `label` names the current one."""
        ...


class VectorStore(Protocol):
    """Named collections of chunk vectors (cosine). Missing collections read as empty."""

    async def upsert(self, collection: str, dimension: int, points: Sequence[StoredPoint]) -> None:
        """Insert or replace points, creating the collection on first use."""
        ...

    async def search(self, collection: str, vector: Sequence[float], limit: int) -> list[Passage]:
        """Return up to `limit` passages, most similar first."""
        ...

    async def list_sources(self, collection: str) -> list[SourceSummary]:
        """Return every source in the collection with its chunk count, ordered by title."""
        ...

    async def delete_source(self, collection: str, source_id: str) -> int:
        """Delete every chunk of one source; return how many were removed."""
        ...

    async def count(self, collection: str) -> int:
        """Return how many points the collection holds (0 when it does not exist)."""
        ...

    async def drop(self, collection: str) -> bool:
        """Delete the whole collection; return False when it did not exist."""
        ...

    async def close(self) -> None:
        """Flush and release everything the store holds open."""
        ...


class Embedder(Protocol):
    """Turns text into vectors; passages and queries may be embedded differently."""

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        ...

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed texts to be stored and searched."""
        ...

    async def embed_query(self, text: str) -> list[float]:
        """Embed a search query."""
        ...


class LanguageModel(Protocol):
    """A chat model that streams text."""

    @property
    def context_length(self) -> int:
        """How many tokens prompt and answer may use together."""
        ...

    @property
    def max_new_tokens(self) -> int:
        """The configured cap on generated tokens."""
        ...

    async def count_tokens(self, text: str) -> int:
        """Count the tokens `text` takes in this model's vocabulary."""
        ...

    def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Generate a reply to `messages`, yielding text pieces as they are produced."""
        ...


class DocumentReader(Protocol):
    """Reads a file into chunks that keep their source, title and page."""

    def supports(self, path: str) -> bool:
        """Whether this reader can read the file at `path`."""
        ...

    async def read(self, path: str, source: Source) -> list[Chunk]:
        """Read and split the file; raise UserFacingError when it cannot be read."""
        ...
