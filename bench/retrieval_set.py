"""The labelled retrieval set (tests/data/retrieval): documents shaped like users', asked
through the same ingestion and retrieval path users get.

Eight documents (handbooks, meeting notes, recipes, a transcript, release notes, runbooks;
three in Korean) of 1,300-2,400 words, and questions in English and Korean: same language,
across languages, English names written in Hangul, Korean names in Latin letters,
near-topic questions the right document does not answer, and unrelated distractors. Each
answerable question names the exact sentence (evidence) that answers it: a question is a
hit at rank n when the n-th passage retrieved, read with its context window as the model
reads it, holds that sentence. A question that another document answers too (the handbook
and the Seoul onboarding guide both say how far ahead leave is requested) lists it under
"also", with its own sentence and facts: either document is a right find, and the question
counts as asked across languages only when no document answering it is in its language.

A quarter of the questions (by a hash of their id) is held out of calibration.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.documents import LlamaIndexDocumentReader
from adapters.name_bridge import ScriptNameBridge
from adapters.qdrant_edge_store import QdrantEdgeStore
from core.answering import AnsweringService, AnsweringSettings
from core.context import context_text
from core.embeddings import EmbeddingSet
from core.ingestion import IngestionService, IngestionSettings
from core.models import Attachment, ChannelRef, ChatTurn, Sampling
from core.names import ChannelVocabulary
from core.ports import WordAnalyser

ROOT = Path(__file__).resolve().parents[1]
SET_DIR = ROOT / "tests" / "data" / "retrieval"
CHANNEL = ChannelRef("bench", "retrieval", "calibration")
ANSWERABLE_KINDS = ("same", "cross", "hangul-name", "romanised-name")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Accepted:
    """A document that answers a question: the sentence that does and the facts it gives."""

    document: str
    evidence: str
    answer: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    """One labelled question."""

    id: str
    question: str
    language: str
    document: str | None
    kind: str
    evidence: str | None
    answer: tuple[str, ...]
    also: tuple[Accepted, ...] = ()

    @property
    def accepted(self) -> tuple[Accepted, ...]:
        """Every document that answers it, the labelled one first."""
        if self.document is None or self.evidence is None:
            return self.also
        return (Accepted(self.document, self.evidence, self.answer), *self.also)

    @property
    def answerable(self) -> bool:
        """Whether the sources state the answer."""
        return self.kind in ANSWERABLE_KINDS

    @property
    def on_topic(self) -> bool:
        """Whether a source is about it (answerable or near-topic): the bar should pass it."""
        return self.document is not None

    @property
    def held_out(self) -> bool:
        """Kept out of calibration (a quarter of the set, by a hash of the id)."""
        return int(hashlib.sha256(self.id.encode()).hexdigest()[:8], 16) % 4 == 0


@dataclass(frozen=True)
class Scored:
    """A question, the best passage's score, and the rank its evidence was found at."""

    question: Question
    top_score: float
    hit_rank: int | None  # 1-based; None: not among the retrieved passages
    top_document: str | None


def load_questions(directory: Path = SET_DIR) -> list[Question]:
    """Every question of every questions-*.json file in `directory`."""
    questions = []
    for path in sorted(directory.glob("questions-*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            questions.append(
                Question(
                    id=item["id"],
                    question=item["question"],
                    language=item["language"],
                    document=item["document"],
                    kind=item["kind"],
                    evidence=item["evidence"],
                    answer=tuple(item["answer"]),
                    also=tuple(
                        Accepted(other["document"], other["evidence"], tuple(other["answer"]))
                        for other in item.get("also", ())
                    ),
                )
            )
    return questions


def documents(directory: Path = SET_DIR) -> list[Path]:
    """The documents of the set."""
    return sorted((directory / "documents").iterdir())


def document_language(path: Path) -> str:
    """ko for a document mostly in Hangul, else en."""
    text = path.read_text(encoding="utf-8")
    hangul = sum("\uac00" <= char <= "\ud7a3" for char in text)
    return "ko" if hangul > len(text) / 10 else "en"


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass
class IndexedSet:
    """The set indexed into a fresh store, ready to be asked."""

    answering: AnsweringService
    store: QdrantEdgeStore
    chunks: int
    chunk_size: int
    index_seconds: float
    scratch: tempfile.TemporaryDirectory[str]

    def with_settings(self, answering: AnsweringSettings) -> IndexedSet:
        """The same index, retrieved from as `answering` says (without a bar)."""
        service = AnsweringService(
            self.store,
            self.answering.embeddings,
            _NoModel(),
            replace(answering, min_score=-1.0),
            self.answering.vocabulary,
        )
        return replace(self, answering=service)

    async def close(self) -> None:
        """Close the store and remove its files."""
        await self.store.close()
        self.scratch.cleanup()


async def index_set(
    embeddings: EmbeddingSet,
    chunk_size: int,
    answering: AnsweringSettings,
    bridge: bool = True,
    language: str | None = None,
    only: Collection[str] | None = None,
    words: WordAnalyser | None = None,
) -> IndexedSet:
    """Index every document (only those in `language`, or named in `only`, when given: a
    smaller channel) through the ingestion path; an answering service over them that
    retrieves as `answering` says, without a bar (min_score -1), its shared words found by
    `words` (None: core/terms' rules)."""
    scratch = tempfile.TemporaryDirectory(prefix="ragbot-retrieval-")
    store = QdrantEdgeStore(Path(scratch.name))
    reader = LlamaIndexDocumentReader(chunk_size=chunk_size, chunk_overlap=0)
    ingestion = IngestionService(
        reader, embeddings, store, None, IngestionSettings(summarize=False)
    )
    started = time.perf_counter()
    chunks = 0
    for path in documents():
        if language is not None and document_language(path) != language:
            continue
        if only is not None and path.name not in only:
            continue
        report = await ingestion.index_file(CHANNEL, Attachment(path.name, str(path)), False)
        chunks += report.chunk_count
    seconds = time.perf_counter() - started
    names = ChannelVocabulary(store, ScriptNameBridge(), words) if bridge else None
    service = AnsweringService(
        store, embeddings, _NoModel(), replace(answering, min_score=-1.0), names
    )
    return IndexedSet(service, store, chunks, chunk_size, seconds, scratch)


class _NoModel:
    """Retrieval never calls the model."""

    context_length = 4096
    max_new_tokens = 384

    async def count_tokens(self, text: str) -> int:
        raise AssertionError("retrieval does not count tokens")

    def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        raise AssertionError("retrieval does not generate")


async def score_questions(
    indexed: IndexedSet, questions: Sequence[Question]
) -> tuple[list[Scored], list[float]]:
    """Every question's top score and hit rank; and the query latencies in ms."""
    scored = []
    latencies = []
    for question in questions:
        started = time.perf_counter()
        passages = await indexed.answering.retrieve(CHANNEL, question.question, [])
        latencies.append((time.perf_counter() - started) * 1000)
        rank = None
        accepted = [(item.document, _normal(item.evidence)) for item in question.accepted]
        for number, passage in enumerate(passages, start=1):
            text = _normal(context_text(passage))
            title = passage.chunk.source.title
            if any(title == document and evidence in text for document, evidence in accepted):
                rank = number
                break
        # What the bot's bar judges: the passages found before the bar, not the windows
        # retrieved without one (a passage merged into a better-standing one's window, or
        # left out by the relative margin, still lets the question through).
        top = await indexed.answering.best_match(CHANNEL, question.question)
        scored.append(
            Scored(
                question,
                top.score if top else 0.0,
                rank,
                top.chunk.source.title if top else None,
            )
        )
    return scored, latencies


ONE_LANGUAGE = "1-lang"
ONE_DOCUMENT = "1-doc"


@dataclass
class SmallChannel:
    """A channel holding some of the documents: asked the questions about them and the
    unrelated ones."""

    indexed: IndexedSet
    documents: frozenset[str]

    def asks(self, question: Question) -> bool:
        """Whether the question is asked in this channel."""
        return not question.on_topic or question.document in self.documents


async def small_channels(
    embeddings: EmbeddingSet,
    chunk_size: int,
    answering: AnsweringSettings,
    bridge: bool = True,
    words: WordAnalyser | None = None,
) -> dict[str, list[SmallChannel]]:
    """The channels teams with fewer sources have: one per language (the English documents,
    the Korean ones) and one per document."""
    languages = {path.name: document_language(path) for path in documents()}
    groups = {
        ONE_LANGUAGE: [
            frozenset(name for name, held in languages.items() if held == language)
            for language in ("en", "ko")
        ],
        ONE_DOCUMENT: [frozenset([name]) for name in languages],
    }
    return {
        shape: [
            SmallChannel(
                await index_set(embeddings, chunk_size, answering, bridge, only=names, words=words),
                names,
            )
            for names in channels
        ]
        for shape, channels in groups.items()
    }


async def score_small_channels(
    channels: Sequence[SmallChannel], answering: AnsweringSettings
) -> list[Scored]:
    """Every channel's questions scored in it."""
    questions = load_questions()
    scored: list[Scored] = []
    for channel in channels:
        asked = [question for question in questions if channel.asks(question)]
        scored += (await score_questions(channel.indexed.with_settings(answering), asked))[0]
    return scored


def shared_balanced_accuracy(shapes: Sequence[Sequence[Scored]], threshold: float) -> float:
    """The mean balanced accuracy over channel shapes, each counting the same."""
    return statistics.fmean(balanced_accuracy(scored, threshold) for scored in shapes)


def best_shared_threshold(shapes: Sequence[Sequence[Scored]]) -> tuple[float, float]:
    """The one bar best for every channel shape at once, and its mean balanced accuracy:
    a bar found on an eight-document channel alone refuses what a one-document channel
    is asked across languages (its best passage in the other language scores lower)."""
    return best_cut(
        (item.top_score for scored in shapes for item in scored),
        lambda threshold: shared_balanced_accuracy(shapes, threshold),
    )


def calibration_part(scored: Sequence[Scored]) -> list[Scored]:
    """The questions calibration may see (the held-out quarter left out)."""
    return [item for item in scored if not item.question.held_out]


def shared_bar(shapes: Sequence[Sequence[Scored]]) -> tuple[float, float]:
    """The one bar best for every channel shape's calibration part, and its mean balanced
    accuracy there."""
    return best_shared_threshold([calibration_part(scored) for scored in shapes])


def decision_accuracy(scored: Sequence[Scored], threshold: float) -> float:
    """Share decided right: on-topic at or above the bar, unrelated below."""
    right = sum((item.top_score >= threshold) == item.question.on_topic for item in scored)
    return right / len(scored)


def balanced_accuracy(scored: Sequence[Scored], threshold: float) -> float:
    """The mean of the shares of on-topic and of unrelated questions decided right, so the
    many on-topic questions cannot outvote the few unrelated ones."""
    on_topic = [item for item in scored if item.question.on_topic]
    unrelated = [item for item in scored if not item.question.on_topic]
    passed = sum(item.top_score >= threshold for item in on_topic) / len(on_topic)
    refused = sum(item.top_score < threshold for item in unrelated) / len(unrelated)
    return (passed + refused) / 2


def best_cut(values: Iterable[float], accuracy_at: Callable[[float], float]) -> tuple[float, float]:
    """The cut between `values` with the best accuracy (returned with it); among equals, the
    middle of the widest gap."""
    cuts = sorted(set(values))
    candidates = [(low + high) / 2 for low, high in itertools.pairwise(cuts)]
    candidates += [cuts[0] - 0.005, cuts[-1] + 0.005]

    def margin(candidate: float) -> float:
        return min(abs(candidate - cut) for cut in cuts)

    best = max(candidates, key=lambda candidate: (accuracy_at(candidate), margin(candidate)))
    return best, accuracy_at(best)


def best_threshold(scored: Sequence[Scored]) -> tuple[float, float]:
    """The bar with the best balanced accuracy, and that accuracy."""
    return best_cut((item.top_score for item in scored), lambda t: balanced_accuracy(scored, t))


def auc(scored: Sequence[Scored]) -> float:
    """How well the top score ranks on-topic above unrelated questions (1.0 = perfectly)."""
    positives = [item.top_score for item in scored if item.question.on_topic]
    negatives = [item.top_score for item in scored if not item.question.on_topic]
    if not positives or not negatives:
        return float("nan")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def pair(item: Scored, languages: dict[str, str]) -> str:
    """The language pair of an answerable question: question language -> document language
    (its own language when a document in it answers the question too)."""
    assert item.question.document is not None
    language = item.question.language
    if asked_across(item, languages):
        return f"{language}->{languages[item.question.document]}"
    return f"{language}->{language}"


def asked_across(
    item: Scored, languages: dict[str, str], present: Collection[str] | None = None
) -> bool:
    """Whether the question is on topic and no document answering it (of those `present`
    in the channel, when given) is in its language."""
    question = item.question
    if question.document is None:
        return False
    documents = {question.document} | {other.document for other in question.also}
    if present is not None:
        documents &= set(present)
    return bool(documents) and all(languages[name] != question.language for name in documents)


def hit_rates(scored: Sequence[Scored], at: int) -> float:
    """Share of answerable questions whose evidence is within the first `at` passages."""
    answerable = [item for item in scored if item.question.answerable]
    hits = sum(item.hit_rank is not None and item.hit_rank <= at for item in answerable)
    return hits / len(answerable) if answerable else float("nan")


def median(values: Sequence[float]) -> float:
    """The median, nan for none."""
    return float(statistics.median(values)) if values else float("nan")
