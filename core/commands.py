"""The one table of chat commands, and how a message is recognised as one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.catalog import CatalogEntry
from core.channel_settings import ChannelSettingsService
from core.language import KOREAN
from core.library import ChannelLibrary
from core.memory import ChannelMemory, memory_listing
from core.messages import say
from core.models import Button, IncomingMessage, MessageRef
from core.naming import CollectionPurpose
from core.ports import ButtonsCapable, ChatClient, ConversationStore

PREFIXES = ("/", "!")
CONFIRM = ("confirm", "확인")
RESET_ACTION = "reset_confirm"  # the Bot's action for the confirm button


@dataclass
class CommandContext:
    """What a command handler may use."""

    message: IncomingMessage
    language: str
    library: ChannelLibrary
    conversations: ConversationStore
    reply: Callable[[str], Awaitable[MessageRef]]
    regenerate: Callable[[], Awaitable[None]]
    settings: ChannelSettingsService
    chat: ChatClient
    memory: ChannelMemory | None = None
    time_zone: str = "UTC"

    async def require_admin(self, command: str) -> bool:
        """Whether the author may run an admin command; if not, says so."""
        if self.message.author.is_admin:
            return True
        await self.reply(say("admin_only", self.language, command=command))
        return False


Handler = Callable[[CommandContext, str], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A command: its name, Korean aliases, help line and handler."""

    name: str
    aliases: tuple[str, ...]
    usage: str
    help_en: str
    help_ko: str
    takes_argument: bool
    handler: Handler
    # Words a command without a free argument still accepts ("reset confirm").
    accepts: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnknownCommand:
    """A message written as a command (with / or !) that names none."""

    name: str


async def _help(context: CommandContext, _argument: str) -> None:
    lines = [
        f"`{command.usage}` ({', '.join(command.aliases)}): "
        + (command.help_ko if context.language == KOREAN else command.help_en)
        for command in COMMANDS
    ]
    intro = (
        "저를 멘션해 질문하거나 파일을 공유하세요. 명령:"
        if context.language == KOREAN
        else "Mention me with a question, or share a file to index it. Commands:"
    )
    await context.reply(intro + "\n" + "\n".join(lines))


async def _sources(context: CommandContext, _argument: str) -> None:
    sources = await context.library.sources(context.message.channel)
    if not sources:
        await context.reply(say("no_sources", context.language))
        return
    lines = [
        _source_line(number, item, context.language) for number, item in enumerate(sources, start=1)
    ]
    header = say("sources_list", context.language, count=len(sources))
    await context.reply(header + "\n" + "\n".join(lines))


def _source_line(number: int, entry: CatalogEntry, language: str) -> str:
    """One numbered line of `sources`: title, status, chunks, when and by whom."""
    added = ""
    if entry.added_at is not None:
        date = entry.added_at.strftime("%Y-%m-%d")
        added = (
            say("source_added", language, date=date, who=entry.added_by)
            if entry.added_by
            else say("source_added_date", language, date=date)
        )
    line = say(
        f"source_{entry.status.value}",
        language,
        number=number,
        title=entry.source.title,
        chunks=entry.chunk_count,
        reason=entry.reason or "",
        added=added,
    )
    return line + (f" <{entry.source.url}>" if entry.source.url else "")


async def _forget(context: CommandContext, argument: str) -> None:
    if not await context.require_admin("forget"):
        return
    if not argument.strip():
        await context.reply(say("forget_usage", context.language))
        return
    result = await context.library.forget(context.message.channel, argument)
    if result.removed is not None:
        await context.reply(
            say(
                "forgotten",
                context.language,
                title=result.removed.source.title,
                chunks=result.removed_chunks,
            )
        )
    elif result.candidates:
        titles = ", ".join(item.source.title for item in result.candidates)
        await context.reply(
            say("forget_ambiguous", context.language, query=argument, titles=titles)
        )
    else:
        await context.reply(say("forget_none", context.language, query=argument))


MEMORY_WORDS = ("memory", "기억")
SOURCES_WORDS = ("sources", "자료")
RESET_ACCEPTS = (
    *CONFIRM,
    *(f"{part}{confirm}" for part in (*MEMORY_WORDS, *SOURCES_WORDS) for confirm in ("", " 확인")),
    *(f"{part} confirm" for part in (*MEMORY_WORDS, *SOURCES_WORDS)),
)


async def _reset(context: CommandContext, argument: str) -> None:
    if not await context.require_admin("reset"):
        return
    channel = context.message.channel
    part, _, confirm = argument.casefold().partition(" ")
    if part in MEMORY_WORDS or part in SOURCES_WORDS:
        await _reset_part(context, part in MEMORY_WORDS, confirm in CONFIRM)
        return
    if argument.casefold() not in CONFIRM:
        count = len(await context.library.sources(channel))
        asked = await context.reply(say("reset_confirm", context.language, sources=count))
        if isinstance(context.chat, ButtonsCapable):
            button = Button(say("button_reset", context.language), RESET_ACTION, channel.channel)
            await context.chat.set_buttons(asked, [button])
        return
    removed = await context.library.reset(channel)
    await context.conversations.forget_channel(channel)
    await context.reply(say("reset_done", context.language, sources=removed))


async def _reset_part(context: CommandContext, memory: bool, confirmed: bool) -> None:
    """`reset memory` or `reset sources`: one of the two, after a confirmation."""
    channel = context.message.channel
    language = context.language
    if memory:
        count = len(await context.memory.all(channel)) if context.memory else 0
        if not confirmed:
            await context.reply(say("reset_memory_confirm", language, count=count))
            return
        await context.library.reset(channel, (CollectionPurpose.MEMORY,))
        await context.reply(say("reset_memory_done", language, count=count))
        return
    if not confirmed:
        count = len(await context.library.sources(channel))
        await context.reply(say("reset_sources_confirm", language, sources=count))
        return
    removed = await context.library.reset(channel, (CollectionPurpose.DOCUMENTS,))
    await context.reply(say("reset_sources_done", language, sources=removed))


async def _memory(context: CommandContext, argument: str) -> None:
    memory = context.memory
    channel = context.message.channel
    language = context.language
    if memory is None:
        await context.reply(say("memory_empty", language))
        return
    topic = argument.strip()
    if not topic:
        await context.reply(say("memory_usage", language))
        return
    found = await memory.about(channel, topic)
    if not found:
        await context.reply(say("memory_none", language, topic=topic))
        return
    header = say("memory_list", language, topic=topic, count=len(found))
    await context.reply(header + "\n" + memory_listing(found, context.time_zone, language))


ALL_WORDS = ("all", "전부", "모두")
MINE_WORDS = ("mine", "내것", "내 것", "내꺼")


async def _forget_memory(context: CommandContext, argument: str) -> None:
    memory = context.memory
    channel = context.message.channel
    language = context.language
    words = argument.strip()
    if memory is None or not words:
        await context.reply(say("forget_memory_usage", language))
        return
    if words.casefold() in MINE_WORDS:
        # Anyone may take back what they said.
        count = await memory.forget_mine(channel, context.message.author.id)
        await context.reply(say("forget_memory_mine_done", language, count=count))
        return
    if not await context.require_admin("forget-memory"):
        return
    first, _, rest = words.casefold().partition(" ")
    if first in ALL_WORDS and (not rest or rest in CONFIRM):
        everything = await memory.all(channel)
        if rest not in CONFIRM:
            await context.reply(say("forget_memory_all_confirm", language, count=len(everything)))
            return
        await memory.clear(channel)
        await context.reply(say("forget_memory_all_done", language, count=len(everything)))
        return
    found = await memory.about(channel, words)
    removed = await memory.forget(channel, found)
    if not removed:
        await context.reply(say("memory_none", language, topic=words))
        return
    await context.reply(say("forget_memory_done", language, count=len(found), topic=words))


async def _settings(context: CommandContext, argument: str) -> None:
    channel = context.message.channel
    name, _, value = argument.partition(" ")
    if not name:
        current = await context.settings.get(channel)
        lines = "\n".join(f"- {key}: {shown}" for key, shown in current.shown())
        await context.reply(say("settings_list", context.language, lines=lines))
        return
    if not await context.require_admin("settings"):
        return
    before = await context.settings.get(channel)
    changed = await context.settings.change(channel, name, value, context.language)
    shown = dict(changed.shown())[name]
    await context.reply(say("setting_changed", context.language, name=name, value=shown))
    if changed.remember_messages != before.remember_messages:
        # Everyone in the channel is told, not only the admin who changed it.
        key = "remembering_messages_on" if changed.remember_messages else "remembering_messages_off"
        await context.chat.post(channel, say(key, context.language))


async def _again(context: CommandContext, _argument: str) -> None:
    await context.regenerate()


COMMANDS: tuple[Command, ...] = (
    Command("help", ("도움말",), "help", "show this list", "이 목록 보기", False, _help),
    Command(
        "sources",
        ("출처", "자료"),
        "sources",
        "list this channel's sources",
        "이 채널의 자료 목록",
        False,
        _sources,
    ),
    Command(
        "forget",
        ("잊어",),
        "forget <number or title>",
        "remove one source from this channel",
        "자료 하나를 이 채널에서 삭제",
        True,
        _forget,
    ),
    Command(
        "reset",
        ("초기화",),
        "reset [memory|sources]",
        "forget every source, the memory and the conversation of this channel, or only "
        "its memory or its sources (admins; asks first)",
        "이 채널의 모든 자료, 기억, 대화를 삭제, 또는 기억이나 자료만 (관리자, 확인 후)",
        False,
        _reset,
        accepts=RESET_ACCEPTS,
    ),
    Command(
        "memory",
        ("기억",),
        "memory <topic>",
        "what I remember about a topic here: when, who, with links",
        "이 채널에서 주제에 대해 기억하는 것: 언제, 누가, 링크",
        True,
        _memory,
    ),
    Command(
        "forget-memory",
        ("기억삭제",),
        "forget-memory <topic|mine|all>",
        "forget memories about a topic (admins), your own (anyone), or all (admins; asks first)",
        "주제에 대한 기억 삭제 (관리자), 본인 것 (누구나), 전부 (관리자, 확인 후)",
        True,
        _forget_memory,
    ),
    Command(
        "settings",
        ("설정",),
        "settings [<name> <value>]",
        "show this channel's settings; admins change one",
        "이 채널의 설정 보기, 관리자는 변경",
        True,
        _settings,
    ),
    Command(
        "again",
        ("다시",),
        "again",
        "answer the last question again, differently",
        "마지막 질문에 다시 답하기",
        False,
        _again,
    ),
)

_BY_NAME = {name: command for command in COMMANDS for name in (command.name, *command.aliases)}


def parse_command(text: str) -> tuple[Command, str] | UnknownCommand | None:
    """Recognise a command.

    With a / or ! prefix the text must be a command. Without one, the first word must name a
    command and, for commands without an argument, nothing may follow, so a question such as
    "reset the router how?" stays a question.
    """
    stripped = text.strip()
    prefixed = stripped.startswith(PREFIXES)
    body = stripped[1:] if prefixed else stripped
    word, _, argument = body.partition(" ")
    command = _BY_NAME.get(word.casefold())
    if command is None:
        return UnknownCommand(word) if prefixed and word else None
    extra = argument.strip()
    if not command.takes_argument and extra and extra.casefold() not in command.accepts:
        return (command, "") if prefixed else None
    return command, argument.strip()
