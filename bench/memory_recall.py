"""Recall quality of a channel's memory on the labelled set tests/data/memory_recall.json.

The set's past exchanges are kept through ChannelMemory.remember_exchange with the
configured embedders in a real Qdrant Edge store (in a temporary directory), dated as the
set says; every later question is then recalled as the bot recalls
(ChannelMemory.recall_for_question, the one core/bot.py uses, with the real dateparser for
its time phrase): without a time phrase the best memories over memory's bar, with one the
best memories of that calendar window with no bar. Measured:

- hit@1 and hit@3: the share of answerable questions whose right exchange is the first, or
  among the first three (memory.top_k), of what the search ranks (before the bar), overall,
  by language pair (question -> exchange) and with/without a time reference;
- the bar (only questions without a time phrase meet it): how well the best memory's score
  separates answerable questions from never-discussed ones (AUC), the decisions at the
  configured bar, and the bar with the best balanced accuracy (bench/retrieval_set.best_cut,
  as bench/calibrate_threshold.py chooses the documents' bar).

bench/memory_bench.py prints it; tests/e2e/test_memory_recall_e2e.py holds floors under it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from adapters.dateparser_dates import DateparserDates
from adapters.qdrant_edge_store import QdrantEdgeStore
from bench.retrieval_set import best_cut
from bots.bootstrap import build_embeddings
from config.settings import Settings
from core.embeddings import EmbeddingSet
from core.language import detect_language
from core.memory import ChannelMemory, MemorySettings
from core.models import Author, ChannelRef, IncomingMessage, Passage
from core.time_windows import TimeWindow

RECALL_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "memory_recall.json"
CHANNEL = ChannelRef("slack", "T-bench", "C-team")
TARGET_HIT_AT_3 = 0.9  # issue 18


@dataclass(frozen=True)
class Exchange:
    """A past exchange of the set, as someone asked it and the bot answered."""

    exchange_id: str
    sent_at: datetime
    author: str
    question: str
    answer: str

    @property
    def language(self) -> str:
        """The language of what was asked."""
        return detect_language(self.question)


@dataclass(frozen=True)
class Question:
    """A later question and the exchanges that answer it (none: never discussed)."""

    text: str
    answers: tuple[str, ...]
    note: str = ""

    @property
    def answerable(self) -> bool:
        """Whether some past exchange answers it."""
        return bool(self.answers)

    @property
    def language(self) -> str:
        """The question's language."""
        return detect_language(self.text)


@dataclass(frozen=True)
class RecallSet:
    """The set: its clock, the channel's time zone, the exchanges and the questions."""

    now: datetime
    time_zone: str
    exchanges: list[Exchange]
    questions: list[Question]

    def language_of(self, exchange_id: str) -> str:
        """The language of an exchange."""
        return next(e.language for e in self.exchanges if e.exchange_id == exchange_id)


def load_set(path: Path = RECALL_SET) -> RecallSet:
    """The recall set at `path`."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    exchanges = [
        Exchange(
            item["id"],
            datetime.fromisoformat(item["sent_at"]),
            item["author"],
            item["question"],
            item["answer"],
        )
        for item in data["exchanges"]
    ]
    questions = [
        Question(item["question"], tuple(item["answer"] or ()), item.get("note", ""))
        for item in data["questions"]
    ]
    return RecallSet(datetime.fromisoformat(data["now"]), data["time_zone"], exchanges, questions)


@dataclass(frozen=True)
class Recall:
    """What one question recalled: its window, the exchanges ranked first (before the bar)
    and their scores."""

    question: Question
    window: TimeWindow | None
    found: tuple[str, ...]
    scores: tuple[float, ...]

    @property
    def top_score(self) -> float:
        """The best memory's score (-1 when nothing was found)."""
        return self.scores[0] if self.scores else -1.0

    def rank(self) -> int | None:
        """1-based rank of the first right exchange, None when it is not in `found`."""
        for rank, exchange_id in enumerate(self.found, start=1):
            if exchange_id in self.question.answers:
                return rank
        return None

    def hit(self, at: int) -> bool:
        """Whether a right exchange is among the first `at`."""
        rank = self.rank()
        return rank is not None and rank <= at

    def passes(self, bar: float) -> bool:
        """Whether the bot passes any memory to the prompt (a window has no bar)."""
        return bool(self.found) and (self.window is not None or self.top_score >= bar)


def exchange_id(passage: Passage) -> str:
    """The set's id of a recalled exchange (its message id, the end of the memory id)."""
    return passage.chunk.source.source_id.rsplit(":", 1)[-1]


async def remember_set(memory: ChannelMemory, recall_set: RecallSet) -> None:
    """Keep every exchange of the set as the bot keeps an answered one."""
    for exchange in recall_set.exchanges:
        author = Author(f"U-{exchange.author}", exchange.author)
        message = IncomingMessage(
            CHANNEL,
            author,
            exchange.question,
            exchange.exchange_id,
            sent_at=exchange.sent_at.astimezone(UTC),
        )
        kept = await memory.remember_exchange(message, exchange.answer, (), recall_set.time_zone)
        assert kept, f"could not keep {exchange.exchange_id}"


async def recall_set_questions(
    memory: ChannelMemory, recall_set: RecallSet, dates: DateparserDates
) -> list[Recall]:
    """Recall every question as the bot does, keeping the ranking before the bar."""
    recalls = []
    for question in recall_set.questions:
        recalled = await memory.recall_for_question(
            CHANNEL, question.text, recall_set.time_zone, dates, min_score=-1.0
        )
        recalls.append(
            Recall(
                question,
                recalled.window,
                tuple(exchange_id(p) for p in recalled.passages),
                tuple(p.score for p in recalled.passages),
            )
        )
    return recalls


@dataclass(frozen=True)
class RecallQuality:
    """The measured recalls and what they say about the configured bar."""

    recall_set: RecallSet
    recalls: list[Recall]
    configured_bar: float

    @property
    def answerable(self) -> list[Recall]:
        """The recalls of answerable questions."""
        return [r for r in self.recalls if r.question.answerable]

    @property
    def barred(self) -> list[Recall]:
        """The recalls the bar decides: questions without a time phrase."""
        return [r for r in self.recalls if r.window is None]

    def hit_rate(self, at: int, which: Callable[[Recall], bool] = lambda r: True) -> float:
        """hit@`at` over the answerable questions `which` selects."""
        chosen = [r for r in self.answerable if which(r)]
        return sum(r.hit(at) for r in chosen) / len(chosen) if chosen else float("nan")

    def pair(self, recall: Recall) -> str:
        """The language pair of an answerable question: question -> exchange."""
        target = self.recall_set.language_of(recall.question.answers[0])
        return f"{recall.question.language}->{target}"

    @property
    def auc(self) -> float:
        """How well the best score ranks answerable over never-discussed questions."""
        positives = [r.top_score for r in self.barred if r.question.answerable]
        negatives = [r.top_score for r in self.barred if not r.question.answerable]
        if not positives or not negatives:
            return float("nan")
        wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
        return wins / (len(positives) * len(negatives))

    def accuracy(self, bar: float) -> float:
        """Share of questions without a time phrase decided right at `bar`."""
        barred = self.barred
        return sum((r.top_score >= bar) == r.question.answerable for r in barred) / len(barred)

    def balanced_accuracy(self, bar: float) -> float:
        """Mean of the shares of answerable questions passed and never-discussed refused."""
        answerable = [r for r in self.barred if r.question.answerable]
        never = [r for r in self.barred if not r.question.answerable]
        passed = sum(r.top_score >= bar for r in answerable) / len(answerable)
        refused = sum(r.top_score < bar for r in never) / len(never)
        return (passed + refused) / 2

    def best_bar(self) -> tuple[float, float]:
        """The bar with the best balanced accuracy, and that accuracy."""
        return best_cut((r.top_score for r in self.barred), self.balanced_accuracy)

    def hit_over_bar(self, at: int, bar: float) -> float:
        """hit@`at` of what the bot passes on: a right exchange among the first `at` and,
        without a time phrase, over `bar`."""
        answerable = self.answerable
        hits = 0
        for recall in answerable:
            rank = recall.rank()
            if rank is None or rank > at:
                continue
            hits += recall.window is not None or recall.scores[rank - 1] >= bar
        return hits / len(answerable)


async def measure(
    settings: Settings | None = None,
    embeddings: EmbeddingSet | None = None,
    path: Path = RECALL_SET,
    memory_settings: MemorySettings | None = None,
) -> RecallQuality:
    """Keep the set's exchanges and recall its questions with the configured engines."""
    settings = settings or Settings()
    embeddings = embeddings or build_embeddings(settings)
    recall_set = load_set(path)
    memory_settings = memory_settings or MemorySettings(
        min_score=settings.memory.min_score, top_k=settings.memory.top_k
    )
    with tempfile.TemporaryDirectory(prefix="memory-recall-") as directory:
        store = QdrantEdgeStore(Path(directory), max_search_threads=1)
        try:
            memory = ChannelMemory(
                store, embeddings, memory_settings, now=lambda: recall_set.now.astimezone(UTC)
            )
            await remember_set(memory, recall_set)
            recalls = await recall_set_questions(memory, recall_set, DateparserDates())
        finally:
            await store.close()
    return RecallQuality(recall_set, recalls, memory_settings.min_score)


def report(quality: RecallQuality, shown_misses: bool = True) -> str:
    """The figures as the table the bench prints."""
    rows: list[tuple[str, Callable[[Recall], bool]]] = [("all", lambda r: True)]
    for pair in sorted({quality.pair(r) for r in quality.answerable}):
        rows.append((pair, partial(_in_pair, quality, pair)))
    rows.append(("no time reference", lambda r: r.window is None))
    rows.append(("time reference", lambda r: r.window is not None))
    lines = [
        f"{len(quality.recall_set.exchanges)} exchanges, {len(quality.answerable)} answerable "
        f"questions, {len(quality.recalls) - len(quality.answerable)} never discussed",
        f"\n{'answerable questions':<22}{'n':>4}{'hit@1':>8}{'hit@3':>8}",
    ]
    for label, which in rows:
        count = sum(which(r) for r in quality.answerable)
        lines.append(
            f"{label:<22}{count:>4}{quality.hit_rate(1, which):>8.3f}"
            f"{quality.hit_rate(3, which):>8.3f}"
        )
    hit3 = quality.hit_rate(3)
    verdict = "met" if hit3 >= TARGET_HIT_AT_3 else "MISSED"
    lines.append(f"target hit@3 >= {TARGET_HIT_AT_3}: {hit3:.3f}, {verdict}")
    barred = quality.barred
    answerable = [r for r in barred if r.question.answerable]
    bar, _ = quality.best_bar()
    configured = quality.configured_bar
    lines += [
        f"\nthe bar (questions without a time phrase: {len(answerable)} answerable, "
        f"{len(barred) - len(answerable)} never discussed); AUC {quality.auc:.3f}",
        f"{'bar':<28}{'balanced':>9}{'accuracy':>9}{'passed':>8}{'refused':>8}{'hit@3':>7}",
    ]
    for label, value in ((f"configured {configured:.3f}", configured), (f"best {bar:.3f}", bar)):
        passed = sum(r.top_score >= value for r in answerable) / len(answerable)
        never = [r for r in barred if not r.question.answerable]
        refused = sum(r.top_score < value for r in never) / len(never)
        lines.append(
            f"{label:<28}{quality.balanced_accuracy(value):>9.3f}{quality.accuracy(value):>9.3f}"
            f"{passed:>8.3f}{refused:>8.3f}{quality.hit_over_bar(3, value):>7.3f}"
        )
    windowed_never = [r for r in quality.recalls if r.window and not r.question.answerable]
    lines.append(
        f"never discussed with a time phrase (no bar in a window): "
        f"{sum(r.passes(configured) for r in windowed_never)} of {len(windowed_never)} "
        f"still pass memories of that window to the prompt"
    )
    if shown_misses:
        lines.append("\nmisses (right exchange not in the first 3) and misjudged at the best bar:")
        lines += _misses(quality, bar)
    return "\n".join(lines)


def _in_pair(quality: RecallQuality, pair: str, recall: Recall) -> bool:
    return quality.pair(recall) == pair


def _misses(quality: RecallQuality, bar: float) -> Sequence[str]:
    lines = []
    for recall in quality.recalls:
        window = f"[{recall.window.phrase}] " if recall.window else ""
        found = ", ".join(
            f"{exchange_id} {score:.3f}"
            for exchange_id, score in zip(recall.found, recall.scores, strict=True)
        )
        if recall.question.answerable and not recall.hit(3):
            lines.append(f"  miss    {window}{recall.question.text} -> {found}")
        elif recall.window is None and (recall.top_score >= bar) != recall.question.answerable:
            kind = "passed" if recall.top_score >= bar else "refused"
            lines.append(f"  {kind:<8}{recall.question.text} -> {found}")
    return lines
