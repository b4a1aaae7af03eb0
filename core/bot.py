"""The single entry point: a message comes in, the bot indexes, runs a command or answers."""

from __future__ import annotations

import logging
import math
import time
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from core.answering import AnsweringService
from core.background import TaskJobs
from core.channel_settings import (
    ChannelSettings,
    ChannelSettingsService,
    MemoryChannelSettingsStore,
)
from core.commands import RESET_ACTION, CommandContext, UnknownCommand, parse_command
from core.conversation import ConversationKey, HandledIds, LastAnswer, thread_exchanges
from core.errors import UserFacingError
from core.feedback import MemoryFeedback
from core.indexing import AttachmentIndexing
from core.ingestion import IngestionService, shared_file_source_id
from core.ingestion_queue import IngestionQueue
from core.language import ENGLISH, detect_language
from core.library import ChannelLibrary
from core.links import find_links
from core.memory import (
    ChannelMemory,
    Recalled,
    dated_in,
    is_memory,
    memory_listing,
    memory_question,
)
from core.messages import say
from core.migration import CollectionMigrator
from core.models import (
    Attachment,
    Author,
    Button,
    ChannelRef,
    Exchange,
    IncomingAction,
    IncomingMessage,
    MessageRef,
    Passage,
    Sampling,
)
from core.ports import (
    ButtonsCapable,
    ChatClient,
    ConversationStore,
    EphemeralReplies,
    FeedbackLog,
    HandledMessages,
    LinkFetcher,
    MediaFetcher,
    PhraseDates,
    SourceClaims,
    ThreadHistory,
    ThreadStarter,
    Transcriber,
    WorkingSignal,
)
from core.progress import progress_for
from core.rate_limit import QuestionRateLimiter, RateLimits
from core.replies import ErrorSpot, Reply, guarded, replier
from core.resume import resume_topic
from core.streaming import CURSOR, StreamingReply

log = logging.getLogger("ragbot.bot")

ACTION_REGENERATE = "regenerate"
ACTION_FEEDBACK = "feedback"
ACTION_RESET = RESET_ACTION


THREAD_TITLE_CHARS = 80


def shared_links(text: str) -> list[str]:
    """The links a message shares; none in a command (`forget https://…` names a source)."""
    return [] if parse_command(text) is not None else find_links(text)


def without_links(text: str, links: list[str]) -> str:
    """`text` with its links taken out."""
    for link in links:
        text = text.replace(link, " ")
    return " ".join(text.split())


def beside_documents(
    memories: list[Passage],
    documents: list[Passage],
    margin: float,
    recent_questions: Collection[str] = (),
) -> list[Passage]:
    """The memories that go into a prompt beside the documents found (all of them when
    none was). Left out: what the conversation's recent turns already hold, memories that
    only restate documents in the prompt (their answer cited nothing else), and memories
    weaker than the best document by more than `margin` (a small model given them answers
    from the wrong passage: 6 of 10 handbook questions right instead of 9)."""
    if not documents:
        return memories
    titles = {passage.chunk.source.title for passage in documents}
    recent = {" ".join(question.split()) for question in recent_questions}
    kept = [
        memory
        for memory in memories
        if memory_question(memory.chunk.text) not in recent
        and not (memory.chunk.cited and set(memory.chunk.cited) <= titles)
    ]
    cutoff = max(passage.similarity for passage in documents) - margin
    return [memory for memory in kept if memory.score >= cutoff]


def thread_title(question: str) -> str:
    """A thread's name from the question that opened it: its first line, cut at a word."""
    line = question.strip().splitlines()[0] if question.strip() else "…"
    if len(line) <= THREAD_TITLE_CHARS:
        return line
    cut = line[: THREAD_TITLE_CHARS - 1].rsplit(" ", 1)[0] or line[: THREAD_TITLE_CHARS - 1]
    return cut.rstrip() + "…"


@dataclass(frozen=True)
class BotSettings:
    """How the bot behaves in chat."""

    summaries_up_to_files: int = 3
    again_temperature: float = 0.8
    downloads: int = 2  # at a time, across channels
    transcriptions: int = 1


class Bot:
    """Decides what a message means and does it, behind one error boundary."""

    def __init__(
        self,
        answering: AnsweringService,
        ingestion: IngestionService,
        library: ChannelLibrary,
        conversations: ConversationStore,
        settings: BotSettings,
        migrator: CollectionMigrator,
        clock: Callable[[], float] = time.monotonic,
        handled: HandledMessages | None = None,
        channel_settings: ChannelSettingsService | None = None,
        rate_limits: RateLimits | None = None,
        feedback: FeedbackLog | None = None,
        links: LinkFetcher | None = None,
        media: MediaFetcher | None = None,
        transcriber: Transcriber | None = None,
        jobs: IngestionQueue | None = None,
        memory: ChannelMemory | None = None,
        dates: PhraseDates | None = None,
    ) -> None:
        self._memory = memory
        self._dates = dates
        self._feedback = feedback or MemoryFeedback()
        self._handled = handled or HandledIds()
        self._channel_settings = channel_settings or ChannelSettingsService(
            MemoryChannelSettingsStore(), ChannelSettings()
        )
        self._rate = QuestionRateLimiter(rate_limits or RateLimits(), clock)
        self._migrator = migrator
        self._answering = answering
        catalog = library.catalog
        if jobs is None:
            if not isinstance(catalog, SourceClaims):
                raise TypeError("the sources catalog must also keep ingestion jobs")
            jobs = IngestionQueue(catalog, TaskJobs())
        self._jobs = jobs
        library.stop_jobs_with(jobs)
        self._indexing = AttachmentIndexing(
            ingestion,
            catalog,
            jobs,
            summaries_up_to_files=settings.summaries_up_to_files,
            clock=clock,
            links=links,
            media=media,
            transcriber=transcriber,
            downloads=settings.downloads,
            transcriptions=settings.transcriptions,
        )
        self._library = library
        self._conversations = conversations
        self._settings = settings
        self._clock = clock

    async def attach(self, platform: str, chat: ChatClient) -> int:
        """Serve `platform` through `chat` (its background jobs post there); resume the
        platform's ingestion jobs a restart cut off. Return how many were resumed."""
        return await self._jobs.attach(platform, chat)

    async def idle(self) -> None:
        """Wait until every ingestion job of this process is done."""
        await self._jobs.idle()

    async def close(self) -> None:
        """Stop background work; unfinished jobs stay queued for the next start."""
        await self._jobs.close()

    async def _attached(self, platform: str, chat: ChatClient) -> None:
        if not self._jobs.serves(platform):
            await self._jobs.attach(platform, chat)

    @property
    def feedback(self) -> FeedbackLog:
        """Where the verdicts of the feedback buttons are kept."""
        return self._feedback

    async def handle(self, message: IncomingMessage, chat: ChatClient) -> None:
        """Handle one message addressed to the bot; never raises. A message whose id was
        handled before (a platform's retry, also after a restart) is dropped."""
        language = detect_language(message.text)
        if not await self._first_time(message.channel, message.message_id):
            return
        await self._attached(message.channel.platform, chat)
        spot = ErrorSpot(message, chat)
        await guarded(
            self._dispatch(message, chat, language, spot),
            spot.reply,
            language,
            f"message {message.message_id} in {message.channel}",
        )

    async def _first_time(self, channel: ChannelRef, delivery_id: str) -> bool:
        """Whether a message or click id is new (records it); one without an id is."""
        if not delivery_id:
            return True
        try:
            first = await self._handled.first_time(channel, delivery_id)
        except Exception:
            # Better a rare double answer than no answer while the database is away.
            log.exception("could not check %s for a repeat", delivery_id)
            return True
        if not first:
            log.info("dropped %s in %s: handled before", delivery_id, channel)
        return first

    async def index(self, message: IncomingMessage, chat: ChatClient) -> int:
        """Index the message's attachments as `handle` would; return how many were refused
        (all of them when the work failed as a whole)."""
        language = detect_language(message.text)
        refused = len(message.attachments)

        async def work() -> None:
            nonlocal refused
            await self._attached(message.channel.platform, chat)
            await self._migrate(message, chat, language)
            preferences = await self._channel_settings.get(message.channel)
            refused -= await self._indexing.index_attachments(message, chat, preferences.summaries)

        await guarded(
            work(),
            replier(message, chat),
            language,
            f"indexing for message {message.message_id} in {message.channel}",
        )
        return refused

    async def _dispatch(
        self, message: IncomingMessage, chat: ChatClient, language: str, spot: ErrorSpot
    ) -> None:
        reply = replier(message, chat)
        await self._migrate(message, chat, language)
        preferences = await self._channel_settings.get(message.channel)
        if preferences.answer_language != "auto":
            language = preferences.answer_language
        text = message.text.strip()
        shared = shared_links(text)
        if (message.attachments or shared) and (message.addressed or preferences.auto_index):
            links = tuple(Attachment(name=url, url=url) for url in shared)
            batch = replace(message, attachments=message.attachments + links)
            await self._indexing.index_attachments(batch, chat, preferences.summaries)
            if shared:
                # What is left of a line besides its links may be a question about them.
                text = without_links(text, shared)
            if not text:
                return
        if not message.addressed:
            # Said in passing in the channel: its files and links are indexed, not answered;
            # the words are remembered where the channel asked for that.
            if text and preferences.remember_messages and self._memory is not None:
                await self._memory.remember_message(message, preferences.time_zone)
            return
        if not text:
            await reply(say("empty_question", language))
            return
        parsed = parse_command(text)
        if isinstance(parsed, UnknownCommand):
            await reply(say("unknown_command", language, name=parsed.name))
            return
        if parsed is not None:
            command, argument = parsed
            context = CommandContext(
                message=message,
                language=language,
                library=self._library,
                conversations=self._conversations,
                reply=reply,
                regenerate=lambda: self._again(message, chat, language),
                settings=self._channel_settings,
                chat=chat,
                memory=self._memory,
                time_zone=preferences.time_zone,
            )
            await command.handler(context, argument)
            return
        if message.attachments:
            # Words that came with a shared file describe it; they are not a question.
            return
        if shared:
            message = replace(message, text=text)
        wait = self._rate.admit(message.channel, message.author.id)
        if wait > 0:
            log.info("rate cap: %s in %s waits %.0f s", message.author.id, message.channel, wait)
            await reply(say("rate_limited", language, seconds=math.ceil(wait)))
            return
        await self._answer(message, chat, language, spot, preferences.time_zone)

    async def _migrate(self, message: IncomingMessage, chat: ChatClient, language: str) -> None:
        """Re-embed the channel's collections of an earlier embedder, showing progress."""
        moves = await self._migrator.pending(message.channel)
        if not moves:
            return
        await chat.post(message.channel, say("migrating", language), message.thread_id)
        progress = progress_for(message, chat, self._clock)
        label = say("migration_progress", language)

        async def show(done: int, total: int) -> None:
            await progress.progress(done, total, label)

        for old, new in moves:
            await self._migrator.migrate(old, new, show)

    def _key(self, message: IncomingMessage) -> ConversationKey:
        return (message.channel, message.thread_id)

    def _reply_stream(
        self,
        chat: ChatClient,
        channel: ChannelRef,
        thread_id: str | None,
        existing: list[MessageRef],
        asker: Author | None = None,
    ) -> StreamingReply:
        """A reply shown in `existing` messages; a new answer (`asker` given) may be
        streamed natively in place of its placeholder."""
        return StreamingReply(
            chat,
            channel,
            thread_id,
            min_interval=chat.min_edit_interval,
            clock=self._clock,
            existing=existing,
            native=(existing[0], asker) if asker is not None and existing else None,
        )

    async def _answer(
        self,
        message: IncomingMessage,
        chat: ChatClient,
        language: str,
        spot: ErrorSpot,
        time_zone: str = "UTC",
    ) -> None:
        question = message.text.strip()
        if isinstance(chat, WorkingSignal):
            await chat.working(message)
        new_thread = message.thread_id is None and isinstance(chat, ThreadStarter)
        if new_thread and isinstance(chat, ThreadStarter):
            # The answer, and the conversation after it, live in a thread of their own.
            thread_id = await chat.start_thread(message, thread_title(question))
            if thread_id is None:
                new_thread = False
            else:
                message = replace(message, thread_id=thread_id)
                spot.message = message
        key = self._key(message)
        # Shown at once, before retrieval: the streamed answer replaces it.
        placeholder = await chat.post(message.channel, CURSOR, message.thread_id)
        stream: StreamingReply | None = None
        spot.hold(placeholder, lambda: stream is None or not stream.text.strip())
        history = [] if new_thread else await self._history(message, chat, key)
        topic = resume_topic(question) if self._memory is not None else None
        if topic is not None and self._memory is not None:
            # "Let's pick up where we left off on X": the topic's gist first, then the
            # answer carries on from it.
            memories = await self._memory.about(message.channel, topic)
            if not memories:
                text = say("memory_none", language, topic=topic)
                await chat.edit(placeholder, text)
                return
            gist = memory_listing(memories, time_zone, language)
            await chat.edit(placeholder, say("resume_header", language, topic=topic) + "\n" + gist)
            placeholder = await chat.post(message.channel, CURSOR, message.thread_id)
        query = topic or question
        recalled = await self._recall(message.channel, query, time_zone)
        # A time in the question may be the conversation's ("what did we discuss last
        # week?") or the subject's ("the outage back in March"): the documents are
        # searched either way, and their bar tells.
        passages = await self._answering.retrieve(message.channel, query, history)
        if recalled.window is not None and not recalled.passages and not passages:
            # A question about a time the channel's memory holds nothing from: said, not
            # guessed.
            text = say("memory_window_empty", language, window=recalled.window.phrase)
            await chat.edit(placeholder, text)
            await self._remember(message, text, (), time_zone, answered=False)
            return
        beside = beside_documents(
            recalled.passages,
            passages,
            self._answering.settings.relative_margin,
            [exchange.question for exchange in history],
        )
        passages = passages + [dated_in(memory, time_zone) for memory in beside]
        reply = stream = self._reply_stream(
            chat, message.channel, message.thread_id, [placeholder], message.author
        )

        async def show_queue(ahead: int) -> None:
            await chat.edit(placeholder, say("queued", language, ahead=ahead) + CURSOR)

        answer = await self._answering.generate(
            question, language, passages, history, reply, on_wait=show_queue
        )
        await self._conversations.record(key, Exchange(question, answer.text))
        cited = tuple(
            dict.fromkeys(p.chunk.source.title for p in answer.cited if not is_memory(p.chunk))
        )
        await self._remember(message, answer.text, cited, time_zone, answered=answer.found)
        last = LastAnswer(question, language, passages, history, reply.messages)
        await self._conversations.set_last_answer(key, last)
        await self._offer_buttons(chat, last, answer.found)

    async def _recall(self, channel: ChannelRef, question: str, time_zone: str) -> Recalled:
        """The memories a question calls up: by relevance over memory's bar, or, when it
        names a time ("last week", 지난주에), the best ones of that calendar window."""
        if self._memory is None:
            return Recalled([], None)
        return await self._memory.recall_for_question(channel, question, time_zone, self._dates)

    async def _remember(
        self,
        message: IncomingMessage,
        answer: str,
        cited: tuple[str, ...],
        time_zone: str,
        answered: bool = True,
    ) -> None:
        if self._memory is not None:
            await self._memory.remember_exchange(message, answer, cited, time_zone, answered)

    async def forget_message(self, channel: ChannelRef, message_id: str) -> int:
        """Take a message deleted on its platform out of the channel's memory; return how
        many memories went. Never raises."""
        if self._memory is None:
            return 0
        try:
            return await self._memory.forget_message(channel, message_id)
        except Exception:
            log.exception("could not forget deleted message %s in %s", message_id, channel)
            return 0

    async def _history(
        self, message: IncomingMessage, chat: ChatClient, key: ConversationKey
    ) -> list[Exchange]:
        """The conversation so far: the platform's own thread where it can be read (a
        restart or a message the bot never saw loses nothing), else the stored one."""
        turns = self._answering.settings.history_turns
        if message.thread_id and isinstance(chat, ThreadHistory):
            try:
                earlier = await chat.thread_history(
                    message.channel, message.thread_id, message.message_id
                )
            except Exception:
                log.warning(
                    "could not read thread %s; using the stored history", key, exc_info=True
                )
            else:
                if earlier:
                    return thread_exchanges(earlier, turns)
        return await self._conversations.history(key, turns)

    async def _offer_buttons(self, chat: ChatClient, last: LastAnswer, found: bool) -> None:
        """Regenerate and feedback buttons under an answer, where the platform has them."""
        if not isinstance(chat, ButtonsCapable) or not last.messages or not found:
            return
        first = last.messages[0].message_id
        language = last.language
        await chat.set_buttons(
            last.messages[-1],
            [
                Button(say("button_regenerate", language), ACTION_REGENERATE, first),
                Button(say("button_helpful", language), ACTION_FEEDBACK, f"up:{first}"),
                Button(say("button_unhelpful", language), ACTION_FEEDBACK, f"down:{first}"),
            ],
        )

    async def source_titles(self, channel: ChannelRef) -> list[str]:
        """The titles of the channel's sources, by title (for a platform's autocomplete)."""
        return [entry.source.title for entry in await self._library.sources(channel)]

    async def forget_shared_file(self, platform: str, workspace: str, file_id: str) -> int:
        """Remove a file the platform says was deleted from every channel that indexed it;
        return in how many channels it was. Never raises."""
        source_id = shared_file_source_id(file_id)
        try:
            channels = await self._library.catalog.channels_with_source(
                platform, workspace, source_id
            )
            for channel in channels:
                chunks = await self._library.remove_source(channel, source_id)
                log.info("file %s deleted: removed %d chunks from %s", file_id, chunks, channel)
        except Exception:
            log.exception("could not remove deleted file %s", file_id)
            return 0
        return len(channels)

    async def handle_action(self, action: IncomingAction, chat: ChatClient) -> None:
        """Handle a click on one of the bot's buttons; never raises. A repeated click
        delivery (the same action id) is dropped."""
        if not await self._first_time(action.channel, action.action_id):
            return
        language = await self._channel_language(action.channel)

        async def reply(text: str) -> MessageRef:
            if isinstance(chat, EphemeralReplies):
                await chat.post_ephemeral(
                    action.channel, action.author.id, text, action.message.thread_id
                )
                return action.message
            return await chat.post(action.channel, text, action.message.thread_id)

        await guarded(
            self._act(action, chat, reply, language),
            reply,
            language,
            f"action {action.action} in {action.channel}",
        )

    async def _channel_language(self, channel: ChannelRef) -> str:
        """The channel's answer language for a click, which has no text to detect it from."""
        try:
            preferences = await self._channel_settings.get(channel)
        except Exception:
            # A click must get its reply even while the database is away.
            log.exception("could not read the settings of %s", channel)
            return ENGLISH
        return ENGLISH if preferences.answer_language == "auto" else preferences.answer_language

    async def _act(
        self,
        action: IncomingAction,
        chat: ChatClient,
        reply: Reply,
        language: str,
    ) -> None:
        if action.action == ACTION_REGENERATE:
            found = await self._conversations.answer_at(action.channel, action.value)
            if found is None:
                raise UserFacingError("again_nothing")
            key, last = found
            latest = await self._conversations.last_answer(key)
            is_latest = latest is not None and latest.messages == last.messages
            await self._regenerate(key, last, chat, latest=is_latest)
        elif action.action == ACTION_FEEDBACK:
            verdict, _, answer_id = action.value.partition(":")
            await self._feedback.record_feedback(
                action.channel, answer_id, action.author.id, verdict
            )
            log.info(
                "feedback %s on answer %s in %s by %s",
                verdict,
                answer_id,
                action.channel,
                action.author.id,
            )
            await reply(say("feedback_thanks", language))
        elif action.action == ACTION_RESET:
            if not action.author.is_admin:
                raise UserFacingError("admin_only", command="reset")
            removed = await self._library.reset(action.channel)
            await self._conversations.forget_channel(action.channel)
            await chat.post(
                action.channel,
                say("reset_done", language, sources=removed),
                action.message.thread_id,
            )
        else:
            log.warning("unknown action %r in %s", action.action, action.channel)

    async def _again(self, message: IncomingMessage, chat: ChatClient, language: str) -> None:
        key = self._key(message)
        last = await self._conversations.last_answer(key)
        if last is None:
            raise UserFacingError("again_nothing")
        await self._regenerate(key, last, chat, latest=True)

    async def _regenerate(
        self, key: ConversationKey, last: LastAnswer, chat: ChatClient, latest: bool
    ) -> None:
        """Generate `last` again in place of its messages."""
        channel, thread = key
        thread_id = last.messages[0].thread_id if last.messages else thread
        reply = self._reply_stream(chat, channel, thread_id, last.messages)
        last.regenerations += 1
        # A new seed for every regeneration, the same in every run: a redo differs from the
        # answer it replaces, and a test (or a bug report) can replay it.
        seed = zlib.crc32(f"{last.question}\n{last.regenerations}".encode()) % (2**31 - 1) + 1
        sampling = Sampling(temperature=self._settings.again_temperature, seed=seed)
        answer = await self._answering.generate(
            last.question, last.language, last.passages, last.history, reply, sampling
        )
        if latest:
            await self._conversations.replace_latest(key, Exchange(last.question, answer.text))
        last.messages = reply.messages
        await self._conversations.set_last_answer(key, last)
        await self._offer_buttons(chat, last, answer.found)
