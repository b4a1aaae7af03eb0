"""Answer a question from a channel's sources: retrieve, decide, prompt, stream, cite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from core.citations import (
    format_sources,
    looked_at,
    says_not_stated,
    select_cited,
    source_links,
    unsupported_numbers,
)
from core.context import with_context
from core.embeddings import EmbeddingSet
from core.generation import consume_within
from core.language import detect_language
from core.messages import say
from core.models import Answer, ChannelRef, Exchange, LanguageFilter, Passage, Sampling
from core.names import ChannelVocabulary
from core.naming import CollectionPurpose, collection_name
from core.ports import LanguageModel, NativeSources, VectorStore
from core.prompting import build_prompt
from core.ranking import standings
from core.scheduling import QUESTION, GenerationQueue
from core.streaming import StreamingReply
from core.terms import TermStatistics
from core.timed_chunks import cited_second

PassageKey = tuple[str, int]


def _bridged_words(
    bridged: list[frozenset[str]], asked: list[frozenset[str]]
) -> list[frozenset[str]]:
    """The words of the bridged question that the question as asked does not hold: the
    channel's spellings of names it wrote in the other script."""
    written = {form for forms in asked for form in forms}
    return [forms for forms in bridged if not forms & written]


@dataclass(frozen=True)
class _Ranked:
    passage: Passage
    standing: float  # what orders passages; the bar judges passage.score


@dataclass(frozen=True)
class AnsweringSettings:
    """How much to retrieve and how to judge it.

    `min_score` is the cosine similarity a passage needs to count as relevant, and
    `follow_up_tolerance` how much a follow-up may dilute the previous question's match;
    both depend on the embedder (e5 scores are compressed) and are calibrated on data
    (bench/calibrate_threshold.py).
    """

    top_k: int = 5
    min_score: float = 0.643
    history_turns: int = 3
    prompt_token_budget: int = 1500
    follow_up_tolerance: float = 0.009
    max_generation_seconds: float = 120.0
    context_window: int = 1
    cross_language_bonus: float = 0.0
    relative_margin: float = 1.0
    rank_within_languages: bool = False
    candidates: int = 20
    term_weight: float = 0.0
    term_standing: float = 0.0
    bridged_name_weight: float = 0.0
    cross_language_standing: float = 0.0


def _cited_second(passage: Passage, question: str, answer: str) -> float | None:
    """Where in a recording the answer is said: the caption that best matches the question
    and the answer, not the chunk's start (which may be a minute earlier)."""
    chunk = passage.chunk
    if chunk.start_seconds is None:
        return None
    return cited_second(chunk, question, answer) if chunk.cue_starts else chunk.start_seconds


class AnsweringService:
    """Turns a question into a streamed, cited answer, or says the sources hold nothing."""

    def __init__(
        self,
        store: VectorStore,
        embeddings: EmbeddingSet,
        model: LanguageModel,
        settings: AnsweringSettings,
        vocabulary: ChannelVocabulary | None = None,
        queue: GenerationQueue | None = None,
    ) -> None:
        self._vocabulary = vocabulary
        self._queue = queue or GenerationQueue()
        self._store = store
        self._embeddings = embeddings
        self._model = model
        self._settings = settings

    @property
    def settings(self) -> AnsweringSettings:
        """The settings in force."""
        return self._settings

    @property
    def embeddings(self) -> EmbeddingSet:
        """The embedders queries are embedded with."""
        return self._embeddings

    @property
    def vocabulary(self) -> ChannelVocabulary | None:
        """The channels' names and words, when queries are bridged and weighed by them."""
        return self._vocabulary

    async def retrieve(
        self, channel: ChannelRef, question: str, history: list[Exchange]
    ) -> list[Passage]:
        """The relevant passages for `question`, best first (empty when none clears the bar),
        each with the chunks around it as context.

        A follow-up ("and when was it built?") names nothing on its own, so it is also
        searched joined to the previous question. A passage found that way counts only if it
        cleared the bar for the previous question, adding the new question did not dilute
        that match, and it outscores there what the new question found on its own:
        a follow-up stays on the topic, a new question ("what is the capital of Peru?")
        pulls away from it.
        """
        collection = collection_name(channel, CollectionPurpose.DOCUMENTS, self._embeddings.key)
        limit = self._settings.top_k
        floor = self._settings.min_score
        solo = await self._search(collection, question, limit)
        relevant = {key: found for key, found in solo.items() if found.passage.score >= floor}
        solo_keys = set(relevant)
        if history:
            previous = history[-1].question
            joined = await self._search(collection, f"{previous} {question}", limit)
            # A question that found passages of its own is a new subject unless the previous
            # question's passages outscore those in the joined search too.
            own = [joined[key].passage.score for key in relevant if key in joined]
            revive_floor = max([floor, *own])
            candidates = {
                key: found
                for key, found in joined.items()
                if (found.passage.score >= revive_floor and key not in relevant)
                or (key in relevant and found.passage.score > relevant[key].passage.score)
            }
            if candidates:
                alone = await self._search(collection, previous, limit * 2)
                tolerance = self._settings.follow_up_tolerance
                for key, found in candidates.items():
                    before = alone.get(key)
                    # Only a passage that answered the previous question may come back; the
                    # dilution is judged by meaning, as the tolerance was calibrated.
                    if (
                        before is not None
                        and before.passage.score >= floor
                        and found.passage.similarity >= before.passage.similarity - tolerance
                    ):
                        relevant[key] = found
        # What the question found on its own comes first; standings from different
        # searches are not comparable, so passages a follow-up revived come after.
        ordered = sorted(
            relevant.items(),
            key=lambda item: (item[0] in solo_keys, item[1].standing),
            reverse=True,
        )
        ranked = [found.passage for _, found in ordered]
        if ranked:
            # Passages far below the best one are noise to a small model: it answers from
            # the wrong one, or says it does not know.
            # Judged by meaning: a passage repeating a rare word of the question scores far
            # above its neighbours without the others being noise.
            best = max(passage.similarity for passage in ranked)
            cutoff = best - self._settings.relative_margin
            ranked = [passage for passage in ranked if passage.similarity >= cutoff]
        return await with_context(
            self._store, collection, ranked[:limit], self._settings.context_window
        )

    async def best_match(self, channel: ChannelRef, question: str) -> Passage | None:
        """The best-scoring passage among those the question finds on its own, before the
        bar: `retrieve` finds nothing for the question (without history) exactly when its
        score is under `min_score`. None for an empty channel."""
        collection = collection_name(channel, CollectionPurpose.DOCUMENTS, self._embeddings.key)
        found = await self._search(collection, question, self._settings.top_k)
        passages = [item.passage for item in found.values()]
        return max(passages, key=lambda passage: passage.score) if passages else None

    async def _search(self, collection: str, query: str, limit: int) -> dict[PassageKey, _Ranked]:
        # The language of what was asked, not of the query with its names bridged.
        language = detect_language(query)
        settings = self._settings
        statistics = None
        asked = query
        if self._vocabulary is not None:
            query, collection_terms = await self._vocabulary.read(collection, query)
            if settings.term_weight or settings.term_standing:
                statistics = collection_terms
        vectors = await self._embeddings.embed_query(query)
        if settings.rank_within_languages:
            pools = await asyncio.gather(
                *(
                    self._store.search(
                        collection, vectors, settings.candidates, LanguageFilter(language, other)
                    )
                    for other in (False, True)
                )
            )
            pools[1] = self._with_bonus(pools[1], language)
            lift = settings.cross_language_standing
            found = [
                _Ranked(p, standing + (lift if self._other_language(p, language) else 0.0))
                for p, standing in standings(pools, vectors.weights)
            ]
        else:
            bonus = settings.cross_language_bonus
            # Bonuses can lift a passage from below the nearest few: fetch more to rescore.
            wide = bool(bonus) or statistics is not None
            count = max(limit * 3, settings.candidates) if wide else limit
            passages = await self._store.search(collection, vectors, count)
            found = [_Ranked(p, p.score) for p in self._with_bonus(passages, language)]
        if statistics is not None:
            forms = statistics.question_forms(query)
            bridged = (
                _bridged_words(forms, statistics.question_forms(asked))
                if settings.bridged_name_weight and query != asked
                else []
            )
            found = self._with_shared_terms(found, statistics, forms, bridged)
        found.sort(key=lambda item: item.standing, reverse=True)
        return {
            (item.passage.chunk.source.source_id, item.passage.chunk.index): item
            for item in found[:limit]
        }

    def _with_shared_terms(
        self,
        found: list[_Ranked],
        statistics: TermStatistics,
        question: list[frozenset[str]],
        bridged: list[frozenset[str]],
    ) -> list[_Ranked]:
        # The rare words a passage shares with the question count for it in both the score
        # the bar judges and the order (core/terms.py); a name the question wrote in the
        # other script counts once more for the bar: the embedders see a question that mixes
        # two scripts, and score the passage that holds the name lower than they would in one.
        weight, standing = self._settings.term_weight, self._settings.term_standing
        named_weight = self._settings.bridged_name_weight
        ranked = []
        for item in found:
            text = item.passage.chunk.embedded_text
            shared = statistics.shared(question, text)
            named = statistics.shared(bridged, text) if bridged else 0.0
            bonus = weight * shared + named_weight * named
            passage = replace(item.passage, score=item.passage.score + bonus, term_bonus=bonus)
            ranked.append(_Ranked(passage, item.standing + standing * shared))
        return ranked

    def _with_bonus(self, passages: list[Passage], language: str) -> list[Passage]:
        # Multilingual embedders score a passage in the query's own language higher than an
        # equally relevant one in another: the calibrated bonus evens that out for the bar.
        bonus = self._settings.cross_language_bonus
        if not bonus:
            return passages
        return [
            replace(p, score=p.score + bonus, language_bonus=bonus)
            if self._other_language(p, language)
            else p
            for p in passages
        ]

    @staticmethod
    def _other_language(passage: Passage, language: str) -> bool:
        return bool(passage.chunk.language) and passage.chunk.language != language

    async def generate(
        self,
        question: str,
        language: str,
        passages: list[Passage],
        history: list[Exchange],
        reply: StreamingReply,
        sampling: Sampling | None = None,
        on_wait: Callable[[int], Awaitable[None]] | None = None,
    ) -> Answer:
        """Stream an answer grounded in `passages` into `reply`, then its Sources (rendered
        by the platform where it can, else as a Markdown list under the answer).

        The prompt is built at once; the generation waits its turn on the model (telling
        `on_wait` how many answers are ahead), and its time limit counts from its start.
        """
        if not passages:
            text = say("nothing_found", language)
            await reply.append(text)
            await reply.finish()
            return Answer(text=text, cited=[], found=False)
        prompt = await build_prompt(
            question, language, passages, history, self._model, self._settings.prompt_token_budget
        )
        try:
            async with self._queue.turn(QUESTION, on_wait):
                finished = await consume_within(
                    self._model.stream(prompt.messages, sampling),
                    reply.append,
                    self._settings.max_generation_seconds,
                )
        except Exception:
            if reply.messages:
                # Leave what was shown without the "still writing" cursor; the error
                # boundary explains what happened.
                await reply.finish()
            raise
        answer_text = reply.text.strip()
        if not finished:
            await reply.append(
                " "
                + say("generation_stopped", language, seconds=self._settings.max_generation_seconds)
            )
        if says_not_stated(answer_text) or unsupported_numbers(
            answer_text, prompt.passages, question
        ):
            # Related sources that do not hold the answer (the model says so, or gives a
            # figure they do not contain): say so and name what was read, rather than list
            # them as the sources of an answer.
            looked = looked_at(prompt.passages)
            await reply.finish("\n\n" + say("not_stated", language, looked=looked))
            return Answer(text=answer_text, cited=[], found=False)
        cited = select_cited(answer_text, prompt.passages)
        sources = source_links(cited, lambda passage: _cited_second(passage, question, answer_text))
        chat = reply.chat
        if isinstance(chat, NativeSources) and reply.messages:
            await reply.finish()
            await chat.show_sources(reply.messages[-1], say("sources_header", language), sources)
        else:
            await reply.finish("\n\n" + format_sources(sources, language))
        return Answer(
            text=answer_text,
            cited=[passage for _, passage in cited],
            found=True,
            sources=sources,
        )
