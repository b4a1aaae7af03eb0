"""Calibrate the relevance bar (retrieval.min_score) and the follow-up tolerance.

The bar: the labelled retrieval set (tests/data/retrieval, see bench/retrieval_set.py) is
indexed with the configured embedder, chunking and context window, through the ingestion
path users get, as one channel of all eight documents and as the smaller channels teams
have (one per language, one per document; each asked the questions about its documents and
the unrelated ones); each question's best passage score is taken, and the one bar that best
separates on-topic questions (answerable and near-topic: a source is about them) from
unrelated ones in every shape at once (by balanced accuracy, the mean of the two shares
decided right, averaged over the three shapes) is found on three quarters of the set; the
held-out quarter is then decided at that bar.

The follow-up tolerance: the follow-ups of tests/data/calibration.json, each joined to its
previous question; how far the join dilutes the topic passage's score separates follow-ups
that stay on the subject from new questions.

    python bench/calibrate_threshold.py
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.retrieval_set import (
    Scored,
    auc,
    balanced_accuracy,
    best_cut,
    calibration_part,
    decision_accuracy,
    index_set,
    load_questions,
    score_questions,
    score_small_channels,
    shared_balanced_accuracy,
    shared_bar,
    small_channels,
)
from bots.bootstrap import answering_settings, build_embeddings, build_word_analyser
from config.settings import Settings
from core.embeddings import EmbeddingSet
from core.models import Vectors

FOLLOW_UP_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "calibration.json"


@dataclass(frozen=True)
class FollowUp:
    """A follow-up: how joining it to the previous question moved the topic passage's score."""

    previous: str
    question: str
    on_topic: bool
    dilution: float  # joined score minus the previous question's own score


@dataclass(frozen=True)
class Calibration:
    """The bar and its accuracy on the calibration and held-out parts (the mean over the
    channel shapes); the tolerance. `scored` is the eight-document channel's questions,
    `smaller` the smaller channels' by shape."""

    scored: list[Scored]
    smaller: dict[str, list[Scored]]
    threshold: float
    accuracy: float
    held_out_accuracy: float
    plain_accuracy: float
    auc: float
    follow_ups: list[FollowUp]
    tolerance: float
    tolerance_accuracy: float

    @property
    def calibration_part(self) -> list[Scored]:
        """The questions the bar was chosen on."""
        return calibration_part(self.scored)

    @property
    def held_out_part(self) -> list[Scored]:
        """The questions kept out of calibration."""
        return [item for item in self.scored if item.question.held_out]


def tolerance_accuracy(follow_ups: list[FollowUp], tolerance: float) -> float:
    """Share of follow-ups judged right: on topic when dilution >= -tolerance."""
    right = sum((item.dilution >= -tolerance) == item.on_topic for item in follow_ups)
    return right / len(follow_ups)


async def measure_follow_ups(
    embeddings: EmbeddingSet, path: Path = FOLLOW_UP_SET
) -> list[FollowUp]:
    """The dilution of every follow-up of the set, scored as the store scores."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    passage_ids = [passage["id"] for passage in data["passages"]]
    stored = await embeddings.embed_passages([passage["text"] for passage in data["passages"]])

    async def scores(text: str) -> list[float]:
        query = await embeddings.embed_query(text)
        return [query.score(_cosines(query.vectors, vectors)) for vectors in stored]

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


def _cosines(query: Vectors, stored: Vectors) -> dict[str, float]:
    return {
        name: sum(a * b for a, b in zip(vector, stored[name], strict=True))
        for name, vector in query.items()
    }


async def measure(settings: Settings | None = None) -> Calibration:
    """Calibrate for the embedder, chunking and window `settings` name (the defaults)."""
    settings = settings or Settings()
    embeddings = build_embeddings(settings)
    answering = answering_settings(settings)
    words = build_word_analyser(settings)
    chunk_size = settings.ingest.chunk_size
    indexed = await index_set(embeddings, chunk_size, answering, words=words)
    channels = await small_channels(embeddings, chunk_size, answering, words=words)
    try:
        scored, _ = await score_questions(indexed, load_questions())
        smaller = {
            shape: await score_small_channels(group, answering) for shape, group in channels.items()
        }
    finally:
        await indexed.close()
        for group in channels.values():
            for channel in group:
                await channel.indexed.close()
    shapes = [scored, *smaller.values()]
    held_out = [[item for item in shape if item.question.held_out] for shape in shapes]
    threshold, accuracy = shared_bar(shapes)
    follow_ups = await measure_follow_ups(embeddings)
    tolerance, tolerance_hit = best_cut(
        (-item.dilution for item in follow_ups), lambda t: tolerance_accuracy(follow_ups, t)
    )
    return Calibration(
        scored=scored,
        smaller=smaller,
        threshold=threshold,
        accuracy=accuracy,
        held_out_accuracy=shared_balanced_accuracy(held_out, threshold),
        plain_accuracy=decision_accuracy(scored, threshold),
        auc=auc(scored),
        follow_ups=follow_ups,
        tolerance=tolerance,
        tolerance_accuracy=tolerance_hit,
    )


def report(result: Calibration) -> str:
    """The result as the text the script prints."""
    lines = [
        f"{len(result.scored)} questions ({len(result.held_out_part)} held out); "
        f"AUC on-topic vs unrelated {result.auc:.3f}",
        f"best bar: {result.threshold:.3f}: balanced accuracy {result.accuracy:.1%} on the "
        f"calibration part, {result.held_out_accuracy:.1%} held out (means over the channel "
        f"shapes); {result.plain_accuracy:.1%} of all questions decided right",
        "balanced accuracy by channel shape: "
        + ", ".join(
            f"{shape} {balanced_accuracy(scored, result.threshold):.1%}"
            for shape, scored in {"8 documents": result.scored, **result.smaller}.items()
        ),
        "misjudged at the bar in the eight-document channel:",
    ]
    for item in result.scored:
        if (item.top_score >= result.threshold) != item.question.on_topic:
            part = "held-out" if item.question.held_out else "calib"
            lines.append(
                f"  {item.top_score:.3f} {item.question.kind:<14} {part:<8} "
                f"{item.question.question} -> {item.top_document}"
            )
    lines.append(
        f"best follow-up tolerance: {result.tolerance:.3f}"
        f" (accuracy {result.tolerance_accuracy:.1%} of {len(result.follow_ups)} follow-ups)"
    )
    return "\n".join(lines)


def main() -> None:
    """Calibrate for the default settings and print."""
    print(report(asyncio.run(measure())))


if __name__ == "__main__":
    main()
