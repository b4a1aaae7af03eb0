"""Neutral value types that cross every boundary: platforms, engines and the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


@dataclass(frozen=True)
class ChannelRef:
    """One conversation space: a Slack or Discord channel, or a console channel."""

    platform: str
    workspace: str
    channel: str


@dataclass(frozen=True)
class MessageRef:
    """A message the bot posted, so it can be edited later."""

    channel: ChannelRef
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file shared with a message; `path` is set once the adapter has it on disk."""

    name: str
    path: str | None = None
    url: str | None = None
    size_bytes: int | None = None
    mime_type: str | None = None
    file_id: str | None = None  # the platform's id of a shared file, to fetch it by


@dataclass(frozen=True)
class FetchedLink:
    """A shared link saved to a file: where, and the title it goes by."""

    path: str
    title: str


@dataclass(frozen=True)
class Author:
    """Who wrote a message: the platform's user id, a display name, and whether they
    administer this workspace or server (as the adapter decides; the console user does)."""

    id: str
    name: str = ""
    is_admin: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class IncomingMessage:
    """A message from a platform, with its markup already stripped.

    `message_id` is the platform's id of the message (or event): a repeated one is dropped.
    `addressed` says whether it was said to the bot (a mention, a DM, a reply to the bot)
    rather than in passing in the channel; `sent_at` is UTC.
    """

    channel: ChannelRef
    author: Author
    text: str
    message_id: str
    thread_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    addressed: bool = True
    permalink: str | None = None
    sent_at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class ThreadMessage:
    """One earlier message of a thread, as the platform keeps it."""

    author: str
    text: str
    from_bot: bool


@dataclass(frozen=True)
class Button:
    """A button under a message: its label, the action it starts, and a value for it."""

    label: str
    action: str
    value: str = ""


@dataclass(frozen=True)
class IncomingAction:
    """A click on one of the bot's buttons, as the platform reports it.

    `message` is the message the button was under; `action_id` the platform's id of the
    click, so a retried delivery is dropped like a repeated message.
    """

    channel: ChannelRef
    author: Author
    action: str
    value: str
    message: MessageRef
    action_id: str


class SourceKind(StrEnum):
    """Where indexed text came from."""

    DOCUMENT = "document"
    MEDIA = "media"
    MEMORY = "memory"


@dataclass(frozen=True)
class Source:
    """An indexed source as the user knows it: a file or a link."""

    source_id: str
    title: str
    kind: SourceKind = SourceKind.DOCUMENT
    url: str | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of a source ready to embed; `page` and seconds locate it in the source.

    `index` is its position in the source, so neighbouring chunks can be fetched as context;
    `heading` is the section it belongs to (embedded with it, shown to the model; a video's
    chapter). `cue_starts` holds, for a transcript, each caption's offset in `text` and the
    second it starts at, so a citation can point inside the chunk. A memory also carries
    when it was said (`said_at`, UTC epoch seconds), by whom (`author`, a display name), in
    which platform thread (`thread_id`) and the titles of the sources its answer cited;
    `open_question` marks a question the bot found nothing on, kept so people can find it
    but holding no fact to answer from.
    """

    text: str
    source: Source
    index: int
    page: int | None = None
    start_seconds: float | None = None
    end_seconds: float | None = None
    language: str | None = None
    heading: str | None = None
    cue_starts: tuple[tuple[int, float], ...] = ()
    said_at: float | None = None
    author: str | None = None
    thread_id: str | None = None
    cited: tuple[str, ...] = ()
    open_question: bool = False

    @property
    def embedded_text(self) -> str:
        """The text its vectors are made from: the heading, then the text."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


@dataclass(frozen=True)
class Cue:
    """One caption of a video or recording: when it is shown (seconds) and its plain text."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Chapter:
    """A titled part of a video, from `start` seconds to the next chapter (or `end`)."""

    title: str
    start: float
    end: float | None = None


@dataclass(frozen=True)
class VectorSpace:
    """One named vector every point of a collection carries (one per embedding model)."""

    name: str
    dimension: int


Vectors = dict[str, tuple[float, ...]]


@dataclass(frozen=True)
class StoredPoint:
    """A chunk with its vectors by space name, as handed to a vector store."""

    point_id: str
    vectors: Vectors
    chunk: Chunk


@dataclass(frozen=True)
class QueryVectors:
    """A query embedded in every space, and the weight of each space's cosine in the score."""

    vectors: Vectors
    weights: dict[str, float]

    def score(self, cosines: dict[str, float]) -> float:
        """The weighted mean of a point's cosines; a missing space counts as 0."""
        total = sum(self.weights.values())
        return sum(w * cosines.get(name, 0.0) for name, w in self.weights.items()) / total


@dataclass(frozen=True)
class LanguageFilter:
    """Only passages in `language`, or with `other` only those in any other language."""

    language: str
    other: bool = False

    def admits(self, language: str | None) -> bool:
        """Whether a passage in `language` passes."""
        return (language == self.language) != self.other


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and how relevant it is to the query: `score` is the weighted mean
    cosine plus `term_bonus`, what the rare words the two share add (core/terms.py), and
    `language_bonus`, what a passage in another language than the question gets.

    `context` holds the neighbouring chunks shown to the model around it, in order;
    `cosines` the cosine in each vector space the score was made from.
    """

    chunk: Chunk
    score: float
    context: tuple[Chunk, ...] = ()
    cosines: dict[str, float] = field(default_factory=dict, compare=False)
    term_bonus: float = 0.0
    language_bonus: float = 0.0

    @property
    def similarity(self) -> float:
        """The score without the bonuses: how close the meaning is, comparable with
        passages scored by meaning alone (memories)."""
        return self.score - self.term_bonus - self.language_bonus


@dataclass(frozen=True)
class WordParts:
    """What a Korean morphological analyser finds in one Hangul word (an 어절): its nouns
    (of two syllables or more, and each run of nouns written together: 쿠킹클래스, 회의실예약),
    whether it holds a noun at all, and whether it holds a predicate (a verb or adjective,
    or a noun made one by 하다: 만드는, 없는, 전화하면)."""

    nouns: frozenset[str]
    has_noun: bool
    has_predicate: bool


@dataclass(frozen=True)
class SourceSummary:
    """One line of a channel's source list."""

    source: Source
    chunk_count: int


@dataclass(frozen=True)
class Sampling:
    """How the language model draws tokens; None leaves the engine's configured value."""

    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    repeat_penalty: float | None = None
    max_new_tokens: int | None = None
    seed: int | None = None

    def filled_from(self, defaults: Sampling) -> Sampling:
        """These values, with `defaults` wherever this one says None."""
        return Sampling(
            **{
                name: getattr(defaults, name) if value is None else value
                for name, value in vars(self).items()
            }
        )


@dataclass(frozen=True)
class ChatTurn:
    """One message of a prompt in chat form."""

    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Exchange:
    """A question and the answer the bot gave, kept for follow-ups."""

    question: str
    answer: str


@dataclass
class IndexReport:
    """What indexing one source produced."""

    source: Source
    chunk_count: int
    summary: str | None = None
    replaced: bool = False
    transcript: str | None = None  # a video's words: "manual", "automatic" or "speech"
    duration_seconds: float | None = None
    language: str | None = None


@dataclass(frozen=True)
class SourceLink:
    """One entry of an answer's Sources, as data a platform renders its own way.

    `numbers` are the passage numbers that point here; `locator` says where in the source
    ("§ Leave, p. 3" or "1:35"); `url` opens it there (a YouTube link at that second).
    """

    numbers: tuple[int, ...]
    title: str
    locator: str | None = None
    url: str | None = None


@dataclass
class Answer:
    """A finished answer, the passages it cites and the Sources shown for them."""

    text: str
    cited: list[Passage] = field(default_factory=list)
    found: bool = True
    sources: list[SourceLink] = field(default_factory=list)


@dataclass(frozen=True)
class MediaInfo:
    """What is known of a video or recording before its words: from its metadata."""

    url: str  # the canonical link to it (a YouTube video's watch URL)
    title: str
    uploader: str | None = None
    duration_seconds: float | None = None
    language: str | None = None
    chapters: tuple[Chapter, ...] = ()
    extractor: str = ""


@dataclass(frozen=True)
class MediaFetch:
    """A shared video's words as found: captions (manual or automatic), or its audio for
    speech-to-text when it has none."""

    info: MediaInfo
    cues: tuple[Cue, ...] = ()
    captions: str | None = None  # "manual" or "automatic" when `cues` came from captions
    audio_path: str | None = None


@dataclass(frozen=True)
class Transcript:
    """Speech turned into text: timed cues like captions, the language spoken (as detected,
    or as given) and the engine that heard it."""

    cues: list[Cue]
    language: str
    backend: str
