"""The small interfaces the core needs from the outside world; adapters implement them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from core.catalog import CatalogEntry
from core.conversation import ConversationKey, LastAnswer
from core.models import (
    Attachment,
    Author,
    Button,
    ChannelRef,
    ChatTurn,
    Chunk,
    Exchange,
    FetchedLink,
    IncomingMessage,
    LanguageFilter,
    MediaFetch,
    MessageRef,
    Passage,
    QueryVectors,
    Sampling,
    Source,
    SourceLink,
    SourceSummary,
    StoredPoint,
    ThreadMessage,
    Transcript,
    VectorSpace,
    WordParts,
)

# Awaited with the fraction of a long step done, in [0, 1].
Progress = Callable[[float], Awaitable[None]]


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


@runtime_checkable
class WorkingSignal(Protocol):
    """Shows at once that the bot is working on a message (a reaction, typing)."""

    async def working(self, message: IncomingMessage) -> None:
        """Signal that `message` is being worked on."""
        ...


@runtime_checkable
class ButtonsCapable(Protocol):
    """Puts buttons under a message the bot posted (regenerate, feedback, confirm)."""

    async def set_buttons(self, ref: MessageRef, buttons: Sequence[Button]) -> None:
        """Show `buttons` under the message `ref` (replacing any it had)."""
        ...


@runtime_checkable
class EphemeralReplies(Protocol):
    """Replies only one person sees."""

    async def post_ephemeral(
        self, channel: ChannelRef, user_id: str, text: str, thread_id: str | None = None
    ) -> None:
        """Show `text` to `user_id` alone."""
        ...


@runtime_checkable
class NativeSources(Protocol):
    """Renders an answer's Sources the platform's own way (a context block, an embed)
    instead of the Markdown list the core appends otherwise."""

    async def show_sources(
        self, ref: MessageRef, heading: str, sources: Sequence[SourceLink]
    ) -> None:
        """Show `sources` under the message `ref`, titled `heading`."""
        ...


class AnswerStream(Protocol):
    """An answer the platform streams natively: text is only ever appended."""

    @property
    def ref(self) -> MessageRef:
        """The message that shows the stream."""
        ...

    async def append(self, text: str) -> None:
        """Add text at the end (the adapter may batch what it sends)."""
        ...

    async def stop(self) -> None:
        """End the stream: everything appended is shown, the message is final."""
        ...


@runtime_checkable
class NativeStreaming(Protocol):
    """Streams answers the platform's own way (Slack's chat.startStream) instead of edits."""

    async def start_stream(self, placeholder: MessageRef, asker: Author) -> AnswerStream | None:
        """Start streaming in place of `placeholder` (the placeholder goes away), to be
        seen by `asker` as it grows; None when the platform will not stream here."""
        ...


class LinkFetcher(Protocol):
    """Fetches a link someone shared (a web page, a PDF) into a file the reader can read."""

    async def fetch(self, url: str, folder: str, max_bytes: int) -> FetchedLink:
        """Save what `url` holds into `folder`; refuse (UserFacingError) what is private,
        past `max_bytes`, or of a kind that cannot be indexed."""
        ...


@runtime_checkable
class FileDownloads(Protocol):
    """Fetches a file shared on the platform (which only the bot's credentials may read)."""

    async def download(self, attachment: Attachment, folder: str, max_bytes: int) -> str:
        """Save `attachment` into `folder` and return its path; refuse (UserFacingError)
        a file past `max_bytes`, also when the platform's size was wrong."""
        ...


@runtime_checkable
class ThreadHistory(Protocol):
    """Reads a thread's earlier messages from the platform, the bot's own replies included:
    what people said there without the bot, and what it said before a restart, count."""

    async def thread_history(
        self, channel: ChannelRef, thread_id: str, before_message_id: str
    ) -> list[ThreadMessage]:
        """The thread's messages older than `before_message_id`, oldest first."""
        ...


@runtime_checkable
class ThreadStarter(Protocol):
    """Opens a thread for the bot's answer to a message said outside one, when it answers
    (not before: a message the bot does not answer gets no thread)."""

    async def start_thread(self, message: IncomingMessage, title: str) -> str | None:
        """Open the thread under `message` (named `title` where threads have names) and
        return its thread id; None when no thread can be opened there (answer in place)."""
        ...


class VectorStore(Protocol):
    """Named collections of chunks with named vectors (cosine). Missing collections read as
    empty."""

    async def upsert(
        self, collection: str, spaces: Sequence[VectorSpace], points: Sequence[StoredPoint]
    ) -> None:
        """Insert or replace points, creating the collection with `spaces` on first use."""
        ...

    async def search(
        self,
        collection: str,
        query: QueryVectors,
        limit: int,
        language: LanguageFilter | None = None,
        *,
        said_between: tuple[float, float] | None = None,
    ) -> list[Passage]:
        """Return up to `limit` passages by `query.score` of their cosines, best first,
        only those `language` admits when given, and with `said_between` (start, end) only
        those whose `said_at` lies in [start, end) (a point without one lies in no window).

        Candidates are the nearest points in any space; each is scored in every space.
        """
        ...

    async def chunks(self, collection: str, source_id: str, first: int, last: int) -> list[Chunk]:
        """The chunks of one source whose index lies in [first, last], in order."""
        ...

    async def all_chunks(self, collection: str) -> list[Chunk]:
        """Every chunk of the collection (its payloads, not its vectors)."""
        ...

    async def collections(self) -> list[str]:
        """The names of every collection the store holds."""
        ...

    async def list_sources(self, collection: str) -> list[SourceSummary]:
        """Return every source in the collection with its chunk count, ordered by title."""
        ...

    async def delete_source(self, collection: str, source_id: str, from_index: int = 0) -> int:
        """Delete the chunks of one source whose index is `from_index` or more (all of them
        by default); return how many were removed."""
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


@runtime_checkable
class IndexUpkeep(Protocol):
    """A vector store whose search index is built by upkeep (a server indexes by itself)."""

    async def upkeep_index(self, collection: str) -> bool:
        """Build the collection's search index in the background when it is past the size
        where exact search gets slow and has grown since the last build; True when it built
        one."""
        ...


class Embedder(Protocol):
    """Turns text into vectors with one model; passages and queries may be embedded
    differently."""

    @property
    def name(self) -> str:
        """The vector space this model's vectors live in (lowercase letters and digits)."""
        ...

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


class NameBridge(Protocol):
    """Rewrites proper names in a query into the script the channel's sources use."""

    def names_in(self, texts: Iterable[str]) -> set[str]:
        """The names in source texts that queries may be bridged to."""
        ...

    def bridge(self, query: str, names: Collection[str]) -> str:
        """`query` with names written in another script replaced by the sources' spelling."""
        ...


class WordAnalyser(Protocol):
    """Splits a Hangul word into its morphemes (a Korean morphological analyser)."""

    def parts(self, word: str) -> WordParts:
        """The nouns and predicates of one Hangul word."""
        ...


@runtime_checkable
class ConversationStore(Protocol):
    """Each conversation's recent exchanges and latest answer (core/conversation.py)."""

    async def history(self, key: ConversationKey, turns: int) -> list[Exchange]:
        """The last `turns` exchanges, oldest first."""
        ...

    async def record(self, key: ConversationKey, exchange: Exchange) -> None:
        """Remember an exchange."""
        ...

    async def replace_latest(self, key: ConversationKey, exchange: Exchange) -> None:
        """Replace the most recent exchange (after `again`)."""
        ...

    async def last_answer(self, key: ConversationKey) -> LastAnswer | None:
        """The bot's latest answer in this conversation, if any."""
        ...

    async def set_last_answer(self, key: ConversationKey, answer: LastAnswer) -> None:
        """Remember the latest answer."""
        ...

    async def forget_channel(self, channel: ChannelRef) -> None:
        """Drop every conversation of `channel` (its threads included)."""
        ...

    async def answer_at(
        self, channel: ChannelRef, message_id: str
    ) -> tuple[ConversationKey, LastAnswer] | None:
        """The answer whose first message is `message_id`, and its conversation."""
        ...


@runtime_checkable
class HandledMessages(Protocol):
    """The platform message ids the bot has handled, so a retried delivery is dropped."""

    async def first_time(self, channel: ChannelRef, message_id: str) -> bool:
        """Record `message_id` as handled; False when it already was (in this workspace)."""
        ...


@runtime_checkable
class ChannelSettingsStore(Protocol):
    """The settings each channel's admins changed (core/channel_settings.py reads them)."""

    async def channel_settings(self, channel: ChannelRef) -> dict[str, str]:
        """What was set in `channel`, by name."""
        ...

    async def set_channel_setting(self, channel: ChannelRef, name: str, value: str) -> None:
        """Set one setting of `channel`."""
        ...


@runtime_checkable
class SourceCatalog(Protocol):
    """Every source a channel was given, with who added it, when, and its status."""

    async def record_source(self, channel: ChannelRef, entry: CatalogEntry) -> None:
        """Add or update the entry of `entry.source` (it keeps when it was first added)."""
        ...

    async def catalog_entries(self, channel: ChannelRef) -> list[CatalogEntry]:
        """The channel's entries, by title."""
        ...

    async def remove_source(self, channel: ChannelRef, source_id: str) -> None:
        """Drop one entry."""
        ...

    async def channels_with_source(
        self, platform: str, workspace: str, source_id: str
    ) -> list[ChannelRef]:
        """The channels of a workspace whose catalog holds `source_id` (a file shared in
        several channels, deleted on the platform)."""
        ...

    async def clear_sources(self, channel: ChannelRef) -> None:
        """Drop every entry of the channel."""
        ...


@runtime_checkable
class FeedbackLog(Protocol):
    """What people said of answers through the feedback buttons."""

    async def record_feedback(
        self, channel: ChannelRef, answer_id: str, user_id: str, verdict: str
    ) -> None:
        """Keep `user_id`'s verdict ("up" or "down") on the answer whose first message is
        `answer_id`; a later verdict of the same person replaces the earlier one."""
        ...

    async def feedback_counts(self, channel: ChannelRef) -> dict[str, int]:
        """How many verdicts of each kind the channel's answers got."""
        ...


class MediaFetcher(Protocol):
    """Finds the video or audio behind a link and what is said in it (yt-dlp)."""

    async def fetch(
        self,
        url: str,
        folder: str,
        want_audio: bool,
        on_download: Progress | None = None,
    ) -> MediaFetch | None:
        """Metadata, then captions; the audio (into `folder`) only when there are no
        captions and `want_audio`, its progress told to `on_download`. None when the link
        holds no media (a plain page). Refuses (UserFacingError) what is private, live, too
        long or too big."""
        ...


@runtime_checkable
class SourceClaims(Protocol):
    """The catalog as the ledger of ingestion jobs. A source queued or indexing is a job
    not yet done; a worker (one bot process) claims it atomically before working on it and
    renews its claims while it lives, so no two processes ever ingest the same source and a
    dead process's jobs are taken over."""

    async def queue_source(
        self, channel: ChannelRef, entry: CatalogEntry, job: str, worker: str
    ) -> None:
        """Record `entry` as queued with `job` (how to index it), claimed by `worker`."""
        ...

    async def claim_source(
        self, channel: ChannelRef, source_id: str, worker: str, stale_before: datetime
    ) -> str | None:
        """Take the source's job for `worker` and mark it indexing, in one atomic step: when
        it is unclaimed, already `worker`'s, or its claim was last renewed before
        `stale_before`. The job, or None when it is done, gone or another worker's."""
        ...

    async def renew_claims(self, worker: str) -> None:
        """Tell that `worker` is alive: its claims stay fresh."""
        ...

    async def finish_source(self, channel: ChannelRef, entry: CatalogEntry, worker: str) -> bool:
        """Record the job's outcome (ready or failed) and drop its job and claim, when
        `worker` still holds it; False when the source was forgotten or taken meanwhile."""
        ...

    async def unfinished_sources(self, stale_before: datetime) -> list[tuple[ChannelRef, str]]:
        """Sources still queued or indexing whose claim is absent or older than
        `stale_before`, oldest first: the jobs to resume."""
        ...


class BackgroundJobs(Protocol):
    """Runs work outside the message that caused it (apscheduler): one-shot jobs kept until
    they start, and periodic upkeep. Work is found by its kind, so a job stored before a
    restart runs the handler registered after it."""

    def on(self, kind: str, work: Callable[[str], Awaitable[None]]) -> None:
        """Run `work(key)` for every job of `kind`."""
        ...

    async def start(self) -> None:
        """Begin running jobs."""
        ...

    async def submit(self, kind: str, key: str) -> None:
        """Run a job of `kind` for `key` soon; one already waiting with the same key is kept
        once."""
        ...

    async def drop(self, kind: str, key: str) -> None:
        """Forget a job that has not started."""
        ...

    async def every(self, kind: str, seconds: float) -> None:
        """Run the `kind` handler (with an empty key) every `seconds`, also across restarts."""
        ...

    async def close(self) -> None:
        """Stop; jobs not yet started stay stored where the store lasts."""
        ...


class Transcriber(Protocol):
    """Turns the speech of an audio or video file into timed text."""

    @property
    def name(self) -> str:
        """The engine and model, as a transcript's `backend` names them."""
        ...

    async def transcribe(
        self,
        audio_path: str,
        language: str | None,
        on_progress: Progress | None = None,
    ) -> Transcript:
        """Transcribe the file; `language` None lets the engine detect it. `on_progress` is
        awaited with the fraction of the audio done, in (0, 1]. Raises UserFacingError when
        the file holds no audio that can be read."""
        ...


class PhraseDates(Protocol):
    """Reads one isolated time phrase ("last week", "3일 전") as a point in time (dateparser).

    A point, not a window: "last week" is seven days before `now`; the core turns it into a
    calendar window (core/time_windows.py).
    """

    def point(self, phrase: str, now: datetime, time_zone: str) -> datetime | None:
        """The timezone-aware moment `phrase` names, relative to `now` (aware) as seen in the
        IANA `time_zone`, preferring the past; None when the phrase is not understood."""
        ...
