"""A loopback Discord for driving the real discord.py `Client` in tests.

`FakeDiscord` is one aiohttp server on 127.0.0.1 that plays three Discord services at once:

- the REST API at `/api/v10/...` (channels, messages, reactions, threads, guilds, members,
  application commands, interaction callbacks and webhook followups),
- the gateway websocket at `/gateway` (HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats,
  RECONNECT on a test's request and RESUME of a known session, then whatever a test
  dispatches),
- a CDN stand-in at `/attachments/{channel}/{id}/{name}` for seeded and uploaded files.

`install(fake)` points discord.py at it (`Route.BASE` and `DiscordWebSocket.DEFAULT_GATEWAY`)
and restores the real URLs afterwards. The fake records every REST call, keeps a per-channel
message log (seeded user messages and the bot's posts, edits and interaction responses) that
`GET /channels/{id}/messages` answers as history, and echoes the bot's own posts, edits,
deletions, reactions and threads back over the gateway the way Discord does. The module-level
builders produce Discord-shaped MESSAGE_CREATE and INTERACTION_CREATE payloads; the methods of
the same names fill them from what the fake knows (users, members, roles, commands).

Choices where Discord's exact behaviour could not be checked from here are marked "guess"
next to the constant or branch that makes them.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

JsonDict = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
API_VERSION = 10
DEFAULT_TOKEN = "fake-bot-token"
# Since 2016 a bot user's id is its application's id.
APPLICATION_ID = "1100000000000000001"
BOT_USER_ID = APPLICATION_ID
BOT_NAME = "ragbot"
GUILD_ID = "1100000000000000100"
GUILD_NAME = "Test Guild"
CHANNEL_ID = "1100000000000000200"
OTHER_CHANNEL_ID = "1100000000000000201"
USER_ID = "1100000000000000300"
ADMIN_ID = "1100000000000000301"
OWNER_ID = "1100000000000000302"
MODERATOR_ID = "1100000000000000303"
ADMIN_ROLE_ID = "1100000000000000400"
MODERATOR_ROLE_ID = "1100000000000000401"
BOT_ROLE_ID = "1100000000000000402"

# Channel types.
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)
# Message types.
DEFAULT_MESSAGE = 0
REPLY = 19
CHAT_INPUT_COMMAND = 20
# Message flags.
HAS_THREAD = 1 << 5
EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Interaction types and callback types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
CHANNEL_MESSAGE_WITH_SOURCE = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
# Permission bits an adapter is likely to test.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = discord.Permissions.all().value
EVERYONE_PERMISSIONS = (
    (1 << 6)  # add reactions
    | (1 << 10)  # view channel
    | (1 << 11)  # send messages
    | (1 << 14)  # embed links
    | (1 << 15)  # attach files
    | (1 << 16)  # read message history
    | (1 << 31)  # use application commands
    | (1 << 35)  # create public threads
    | (1 << 38)  # send messages in threads
)
# Intent bits Discord treats as privileged (members, presences, message content).
GUILD_MEMBERS_INTENT = 1 << 1
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS_INTENT | (1 << 8) | MESSAGE_CONTENT_INTENT
# GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED: an unverified bot that
# has both privileged intents switched on in the developer portal.
APPLICATION_FLAGS = (1 << 15) | (1 << 19)
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_TEMPLATE_FIELD = re.compile(r"\{[^/}]*\}")


class _Snowflakes:
    """Discord ids, unique and increasing across every fake in the process."""

    def __init__(self) -> None:
        self._last = (1_700_000_000_000 - DISCORD_EPOCH_MS) << 22

    def next(self) -> str:
        # One millisecond apart, so created_at (from the id) and timestamps agree.
        self._last += 1 << 22
        return str(self._last)

    def observe(self, snowflake: str) -> None:
        self._last = max(self._last, int(snowflake))


_SNOWFLAKES = _Snowflakes()


def next_snowflake() -> str:
    """A fresh snowflake id, later than every one handed out or seeded so far."""
    return _SNOWFLAKES.next()


def snowflake_time(snowflake: str) -> str:
    """The ISO-8601 time a snowflake encodes ("2023-11-14T22:13:20.001000+00:00")."""
    millis = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def user_object(
    user_id: str,
    username: str | None = None,
    global_name: str | None = None,
    *,
    bot: bool = False,
) -> JsonDict:
    """A user object as Discord sends it (post-2023 usernames: discriminator "0")."""
    name = username if username is not None else f"user{user_id[-4:]}"
    return {
        "id": user_id,
        "username": name,
        # Guess: bots kept four-digit discriminators through the username migration.
        "discriminator": "8841" if bot else "0",
        "global_name": None if bot else (global_name if global_name is not None else name.title()),
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }


def _member_object(roles: Sequence[str], nick: str | None, joined_at: str) -> JsonDict:
    return {
        "roles": list(roles),
        "nick": nick,
        "avatar": None,
        "banner": None,
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def role_object(
    role_id: str,
    name: str,
    permissions: int,
    position: int = 1,
    *,
    managed: bool = False,
    bot_id: str | None = None,
) -> JsonDict:
    """A guild role; `permissions` is a bitfield (sent as a string, as Discord does)."""
    role: JsonDict = {
        "id": role_id,
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }
    if bot_id is not None:
        role["tags"] = {"bot_id": bot_id}
    return role


def channel_object(
    channel_id: str,
    name: str,
    guild_id: str | None = GUILD_ID,
    channel_type: int = GUILD_TEXT,
    position: int = 0,
    *,
    parent_id: str | None = None,
    topic: str | None = None,
) -> JsonDict:
    """A guild text (or other non-thread) channel object."""
    return {
        "id": channel_id,
        "type": channel_type,
        "guild_id": guild_id,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": parent_id,
        "topic": topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
    }


def thread_object(
    thread_id: str,
    parent_id: str,
    name: str,
    owner_id: str = BOT_USER_ID,
    guild_id: str = GUILD_ID,
    thread_type: int = PUBLIC_THREAD,
    *,
    auto_archive_duration: int = 1440,
) -> JsonDict:
    """A thread channel object (type 11 public, 12 private)."""
    created = snowflake_time(thread_id)
    return {
        "id": thread_id,
        "type": thread_type,
        "guild_id": guild_id,
        "parent_id": parent_id,
        "owner_id": owner_id,
        "name": name,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": created,
            "locked": False,
            "create_timestamp": created,
        },
    }


def attachment_object(
    attachment_id: str,
    filename: str,
    size: int,
    url: str,
    content_type: str | None = None,
) -> JsonDict:
    """A message attachment; `url` is where the file is served."""
    return {
        "id": attachment_id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "width": None,
        "height": None,
        "ephemeral": False,
        "flags": 0,
    }


def _mentioned_users(content: str, mentions: Sequence[str | JsonDict] | None) -> list[JsonDict]:
    if mentions is None:
        mentions = list(dict.fromkeys(_MENTION.findall(content)))
    return [item if isinstance(item, dict) else user_object(item) for item in mentions]


def message_create(
    content: str = f"<@{BOT_USER_ID}> when is the freeze? see <#{OTHER_CHANNEL_ID}>",
    author_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    guild_id: str | None = GUILD_ID,
    mentions: Sequence[str | JsonDict] | None = None,
    attachments: Sequence[JsonDict] = (),
    message_reference: JsonDict | None = None,
    thread: bool = False,
    *,
    message_id: str | None = None,
    author: JsonDict | None = None,
    roles: Sequence[str] = (),
    nick: str | None = None,
    embeds: Sequence[JsonDict] = (),
    referenced_message: JsonDict | None = None,
    position: int = 0,
) -> JsonDict:
    """A MESSAGE_CREATE payload from a user.

    `mentions` are user ids or user objects; None takes them from the `<@id>` markup.
    `guild_id=None` makes it a DM (no guild_id, no member). `thread=True` says `channel_id`
    is a thread: Discord then adds the message's `position` in it.
    """
    snowflake = message_id if message_id is not None else next_snowflake()
    data: JsonDict = {
        "id": snowflake,
        "channel_id": channel_id,
        "type": REPLY if message_reference is not None else DEFAULT_MESSAGE,
        "content": content,
        "author": author if author is not None else user_object(author_id),
        "mentions": _mentioned_users(content, mentions),
        "mention_roles": list(dict.fromkeys(_ROLE_MENTION.findall(content))),
        "mention_everyone": "@everyone" in content or "@here" in content,
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": [],
        "pinned": False,
        "tts": False,
        "timestamp": snowflake_time(snowflake),
        "edited_timestamp": None,
        "flags": 0,
        "nonce": str(int(snowflake) + 7),
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
        data["member"] = _member_object(roles, nick, "2023-01-01T00:00:00+00:00")
    if message_reference is not None:
        data["message_reference"] = {"type": 0, **message_reference}
        data["referenced_message"] = referenced_message
    if thread:
        data["position"] = position
    return data


def message_reference(
    message_id: str, channel_id: str = CHANNEL_ID, guild_id: str | None = GUILD_ID
) -> JsonDict:
    """The `message_reference` of a reply to `message_id`."""
    reference: JsonDict = {"type": 0, "message_id": message_id, "channel_id": channel_id}
    if guild_id is not None:
        reference["guild_id"] = guild_id
    return reference


def message_delete(
    message_id: str, channel_id: str = CHANNEL_ID, guild_id: str | None = GUILD_ID
) -> JsonDict:
    """A MESSAGE_DELETE payload."""
    data: JsonDict = {"id": message_id, "channel_id": channel_id}
    if guild_id is not None:
        data["guild_id"] = guild_id
    return data


def thread_create(thread: JsonDict, *, newly_created: bool = True) -> JsonDict:
    """A THREAD_CREATE payload for a thread object (see `thread_object`)."""
    return {**thread, "newly_created": newly_created}


def command_options(options: Mapping[str, str | int | float | bool]) -> list[JsonDict]:
    """Slash-command options as Discord sends them, typed from the Python values."""
    result: list[JsonDict] = []
    for name, value in options.items():
        if isinstance(value, bool):
            option_type = 5
        elif isinstance(value, int):
            option_type = 4
        elif isinstance(value, float):
            option_type = 10
        else:
            option_type = 3
        result.append({"name": name, "type": option_type, "value": value})
    return result


def _interaction(
    interaction_type: int,
    data: JsonDict,
    user: JsonDict,
    guild_id: str | None,
    channel: JsonDict,
    *,
    roles: Sequence[str],
    permissions: int,
    app_permissions: int,
    locale: str,
    message: JsonDict | None = None,
) -> JsonDict:
    payload: JsonDict = {
        "id": next_snowflake(),
        "application_id": APPLICATION_ID,
        "type": interaction_type,
        "data": data,
        "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
        "version": 1,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "channel": channel,
        "channel_id": channel["id"],
        "app_permissions": str(app_permissions),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "locale": locale,
    }
    if guild_id is not None:
        member = _member_object(roles, None, "2023-01-01T00:00:00+00:00")
        member.update(user=user, permissions=str(permissions), unusual_dm_activity_until=None)
        payload.update(
            guild_id=guild_id,
            guild={"id": guild_id, "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member,
            authorizing_integration_owners={"0": guild_id},
            context=0,
        )
    else:
        payload.update(user=user, authorizing_integration_owners={"1": user["id"]}, context=1)
    if message is not None:
        payload["message"] = message
    return payload


def interaction_create_command(
    name: str = "rag",
    options: Mapping[str, str | int | float | bool] | Sequence[JsonDict] = (),
    user_id: str = USER_ID,
    guild_id: str | None = GUILD_ID,
    channel_id: str = CHANNEL_ID,
    *,
    command_id: str | None = None,
    command_guild_id: str | None = None,
    user: JsonDict | None = None,
    roles: Sequence[str] = (),
    permissions: int = EVERYONE_PERMISSIONS,
    app_permissions: int = EVERYONE_PERMISSIONS,
    channel: JsonDict | None = None,
    locale: str = "en-US",
) -> JsonDict:
    """An INTERACTION_CREATE payload of a slash command (type 2, data type 1 CHAT_INPUT).

    `command_guild_id` is set when the command was registered in a guild: Discord then puts
    it in `data.guild_id` and discord.py's CommandTree looks the command up there.
    """
    data: JsonDict = {
        "id": command_id if command_id is not None else next_snowflake(),
        "name": name,
        "type": 1,
        "options": command_options(options) if isinstance(options, Mapping) else list(options),
    }
    if command_guild_id is not None:
        data["guild_id"] = command_guild_id
    return _interaction(
        APPLICATION_COMMAND,
        data,
        user if user is not None else user_object(user_id),
        guild_id,
        channel if channel is not None else {"id": channel_id, "type": GUILD_TEXT},
        roles=roles,
        permissions=permissions,
        app_permissions=app_permissions,
        locale=locale,
    )


def interaction_create_component(
    custom_id: str,
    message_id: str,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    guild_id: str | None = GUILD_ID,
    *,
    message: JsonDict | None = None,
    values: Sequence[str] | None = None,
    user: JsonDict | None = None,
    roles: Sequence[str] = (),
    permissions: int = EVERYONE_PERMISSIONS,
    app_permissions: int = EVERYONE_PERMISSIONS,
    channel: JsonDict | None = None,
    locale: str = "en-US",
) -> JsonDict:
    """An INTERACTION_CREATE payload of a button click (type 3; `values` make it a select).

    `message` is the full message the component is on (discord.py routes the click to the
    View stored for that message id); without it a minimal bot message is made up.
    """
    data: JsonDict = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
    if values is not None:
        data["values"] = list(values)
    on_message = message
    if on_message is None:
        on_message = {
            "id": message_id,
            "channel_id": channel_id,
            "type": DEFAULT_MESSAGE,
            "content": "",
            "author": user_object(BOT_USER_ID, BOT_NAME, bot=True),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "tts": False,
            "timestamp": snowflake_time(message_id),
            "edited_timestamp": None,
            "flags": 0,
        }
    return _interaction(
        MESSAGE_COMPONENT,
        data,
        user if user is not None else user_object(user_id),
        guild_id,
        channel if channel is not None else {"id": channel_id, "type": GUILD_TEXT},
        roles=roles,
        permissions=permissions,
        app_permissions=app_permissions,
        locale=locale,
        message=on_message,
    )


# -- records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request (discord.File)."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class RestCall:
    """One REST request: method, path below /api/v10, JSON body (or payload_json), headers."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]
    query: dict[str, str]
    uploads: tuple[Upload, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """The names of the uploaded files."""
        return tuple(upload.filename for upload in self.uploads)


@dataclass
class LoggedMessage:
    """A message in the fake's log: seeded by a test, posted by the bot or an interaction."""

    id: str
    channel_id: str
    content: str
    author: JsonDict
    type: int = DEFAULT_MESSAGE
    flags: int = 0
    embeds: list[JsonDict] = field(default_factory=list)
    components: list[JsonDict] = field(default_factory=list)
    attachments: list[JsonDict] = field(default_factory=list)
    mentions: list[JsonDict] = field(default_factory=list)
    message_reference: JsonDict | None = None
    edited_timestamp: str | None = None
    reactions: list[str] = field(default_factory=list)
    thread_id: str | None = None
    interaction_id: str | None = None
    webhook_id: str | None = None
    # Earlier contents, oldest first: what each edit replaced.
    revisions: list[str] = field(default_factory=list)

    @property
    def from_bot(self) -> bool:
        """Whether the bot (or one of its interaction responses) wrote it."""
        return str(self.author.get("id")) == BOT_USER_ID

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoker sees it (flag 64): never in history, never dispatched."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether it is still a deferred "thinking…" placeholder (flag 128)."""
        return bool(self.flags & LOADING)

    def to_discord(self, referenced: JsonDict | None = None) -> JsonDict:
        """The message object as REST answers it (no guild_id or member, as Discord does)."""
        message: JsonDict = {
            "id": self.id,
            "channel_id": self.channel_id,
            "type": self.type,
            "content": self.content,
            "author": self.author,
            "mentions": self.mentions,
            "mention_roles": list(dict.fromkeys(_ROLE_MENTION.findall(self.content))),
            "mention_everyone": False,
            "attachments": self.attachments,
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "tts": False,
            "timestamp": snowflake_time(self.id),
            "edited_timestamp": self.edited_timestamp,
            "flags": self.flags,
        }
        if self.reactions:
            message["reactions"] = [
                {
                    "emoji": {"id": None, "name": emoji},
                    "count": 1,
                    "count_details": {"burst": 0, "normal": 1},
                    "me": True,
                    "me_burst": False,
                    "burst_colors": [],
                }
                for emoji in self.reactions
            ]
        if self.message_reference is not None:
            message["message_reference"] = self.message_reference
            message["referenced_message"] = referenced
        if self.webhook_id is not None:
            message["webhook_id"] = self.webhook_id
            message["application_id"] = APPLICATION_ID
        return message


@dataclass(frozen=True)
class InteractionCallback:
    """A POST /interactions/{id}/{token}/callback: the response type and its data."""

    interaction_id: str
    token: str
    type: int
    data: JsonDict | None
    message_id: str | None


@dataclass(frozen=True)
class Followup:
    """A POST /webhooks/{app}/{token}: a followup message (or the deferred one's edit)."""

    token: str
    message_id: str
    body: JsonDict
    ephemeral: bool
    replaced_loading: bool


@dataclass(frozen=True)
class AttachmentDownload:
    """One GET of an attachment URL and whether it found the file."""

    channel_id: str
    attachment_id: str
    filename: str
    found: bool
    headers: dict[str, str]


@dataclass
class _Interaction:
    payload: JsonDict
    responded: int | None = None
    original_id: str | None = None

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def channel_id(self) -> str:
        return str(self.payload["channel_id"])

    @property
    def component_message_id(self) -> str | None:
        message = self.payload.get("message")
        return str(message["id"]) if isinstance(message, dict) else None

    @property
    def user(self) -> JsonDict:
        member = self.payload.get("member")
        user = member["user"] if isinstance(member, dict) else self.payload["user"]
        return dict(user)


@dataclass(frozen=True)
class _Injected:
    status: int
    body: JsonDict | None
    headers: dict[str, str]


@dataclass(frozen=True)
class _Attachment:
    channel_id: str
    attachment_id: str
    filename: str
    content: bytes
    content_type: str


@dataclass
class _Guild:
    id: str
    name: str
    owner_id: str
    roles: dict[str, JsonDict] = field(default_factory=dict)
    members: dict[str, JsonDict] = field(default_factory=dict)


class HttpError(Exception):
    """Raised by a REST handler to answer with Discord's JSON error shape."""

    def __init__(self, status: int, message: str, code: int) -> None:
        super().__init__(f"{status} {message} ({code})")
        self.status = status
        self.body: JsonDict = {"message": message, "code": code}


def _unknown(what: str, code: int) -> HttpError:
    return HttpError(404, f"Unknown {what}", code)


def _route_regex(template: str) -> re.Pattern[str]:
    """`/channels/{channel_id}/messages` as a regex; `{...}` stands for one path segment."""
    parts = _TEMPLATE_FIELD.split(template)
    fields = _TEMPLATE_FIELD.findall(template)
    pattern = ""
    for index, part in enumerate(parts):
        pattern += re.escape(part)
        if index < len(fields):
            name = fields[index][1:-1]
            pattern += f"(?P<{name}>[^/]+)" if name.isidentifier() else "[^/]+"
    return re.compile(pattern)


def _split_route(route: str) -> tuple[str | None, re.Pattern[str]]:
    method, _, path = route.partition(" ")
    if path and method.isupper():
        return method, _route_regex(path)
    return None, _route_regex(route)


Params = dict[str, str]
RouteHandler = Callable[["RestCall", Params], Awaitable[tuple[int, Any]]]


class FakeDiscord:
    """Discord's REST API, gateway and attachment CDN on one loopback port."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.calls: list[RestCall] = []
        self.callbacks: list[InteractionCallback] = []
        self.followups: list[Followup] = []
        self.downloads: list[AttachmentDownload] = []
        self.identifies: list[JsonDict] = []
        # RESUME (op 6) payloads, in the order they came.
        self.resumes: list[JsonDict] = []
        self._sessions: set[str] = set()
        self.gateway_received: list[JsonDict] = []
        self.dispatched: list[JsonDict] = []
        self.gateway_connections = 0
        # Privileged intents the "developer portal" allows; IDENTIFY asking more gets 4014.
        self.allowed_privileged_intents = PRIVILEGED_INTENTS
        # Discord sends a bot its own messages, edits and threads; tests may turn that off.
        self.echo_own_events = True
        self.commands: dict[str | None, list[JsonDict]] = {}
        self._command_ids: dict[tuple[str | None, str], str] = {}
        self._users: dict[str, JsonDict] = {}
        self._guilds: dict[str, _Guild] = {}
        self._channels: dict[str, JsonDict] = {}
        self._log: dict[str, list[LoggedMessage]] = {}
        self._attachments: dict[str, _Attachment] = {}
        self._interactions: dict[str, _Interaction] = {}
        self._injected: list[tuple[str | None, re.Pattern[str], _Injected]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._client: web.WebSocketResponse | None = None
        self._sequence = 0
        self._send_lock = asyncio.Lock()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = []
        self._add_routes()
        self._seed_defaults()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Self:
        """Bind an ephemeral port on 127.0.0.1 and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{name}", self._download)
        app.router.add_route("*", "/api/v{version:\\d+}/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Close gateway sockets, then stop the server (close discord.py clients first)."""
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def root_url(self) -> str:
        """http://127.0.0.1:PORT (no trailing slash)."""
        assert self._port, "the fake is not started"
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """The value for `discord.http.Route.BASE`."""
        return f"{self.root_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """The gateway websocket URL (for `DiscordWebSocket.DEFAULT_GATEWAY`)."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    # -- seeding -------------------------------------------------------------------------

    def _seed_defaults(self) -> None:
        self.add_user(BOT_USER_ID, BOT_NAME, bot=True)
        self.add_user(USER_ID, "alice")
        self.add_user(ADMIN_ID, "bob")
        self.add_user(OWNER_ID, "carol")
        self.add_user(MODERATOR_ID, "dave")
        self.add_guild(GUILD_ID, GUILD_NAME, OWNER_ID)
        self.add_role(GUILD_ID, ADMIN_ROLE_ID, "Admin", ADMINISTRATOR, position=3)
        self.add_role(GUILD_ID, MODERATOR_ROLE_ID, "Moderator", MANAGE_GUILD, position=2)
        self.add_member(GUILD_ID, USER_ID)
        self.add_member(GUILD_ID, ADMIN_ID, roles=[ADMIN_ROLE_ID])
        self.add_member(GUILD_ID, OWNER_ID)
        self.add_member(GUILD_ID, MODERATOR_ID, roles=[MODERATOR_ROLE_ID], nick="Dave (mod)")
        self.add_channel(GUILD_ID, CHANNEL_ID, "general", position=0)
        self.add_channel(GUILD_ID, OTHER_CHANNEL_ID, "release-notes", position=1)

    def add_user(
        self, user_id: str, username: str, global_name: str | None = None, *, bot: bool = False
    ) -> JsonDict:
        """Seed a user; returns the user object the fake will put in payloads."""
        _SNOWFLAKES.observe(user_id)
        user = user_object(user_id, username, global_name, bot=bot)
        self._users[user_id] = user
        return user

    def user(self, user_id: str) -> JsonDict:
        """A seeded user's object, or a made-up one for an unknown id."""
        return self._users.get(user_id) or user_object(user_id)

    def add_guild(self, guild_id: str, name: str, owner_id: str) -> None:
        """Seed a guild with its @everyone role and the bot as a member with a managed role."""
        _SNOWFLAKES.observe(guild_id)
        guild = _Guild(guild_id, name, owner_id)
        self._guilds[guild_id] = guild
        guild.roles[guild_id] = role_object(guild_id, "@everyone", EVERYONE_PERMISSIONS, 0)
        bot_role = BOT_ROLE_ID if guild_id == GUILD_ID else next_snowflake()
        guild.roles[bot_role] = role_object(
            bot_role,
            BOT_NAME,
            EVERYONE_PERMISSIONS | (1 << 13),
            1,
            managed=True,
            bot_id=BOT_USER_ID,
        )
        self.add_member(guild_id, BOT_USER_ID, roles=[bot_role])

    def add_role(
        self, guild_id: str, role_id: str, name: str, permissions: int, position: int = 1
    ) -> JsonDict:
        """Seed a role (e.g. `permissions=ADMINISTRATOR`); returns the role object."""
        _SNOWFLAKES.observe(role_id)
        role = role_object(role_id, name, permissions, position)
        self._guilds[guild_id].roles[role_id] = role
        return role

    def add_member(
        self, guild_id: str, user_id: str, roles: Sequence[str] = (), nick: str | None = None
    ) -> JsonDict:
        """Seed a guild member (the user must be seeded); returns the member with its user."""
        member = _member_object(roles, nick, "2023-01-01T00:00:00+00:00")
        self._guilds[guild_id].members[user_id] = member
        return self.member_object(guild_id, user_id)

    def add_channel(
        self,
        guild_id: str | None,
        channel_id: str,
        name: str,
        channel_type: int = GUILD_TEXT,
        position: int = 0,
    ) -> JsonDict:
        """Seed a guild channel (or, with guild_id=None and type 1, a DM); returns it."""
        _SNOWFLAKES.observe(channel_id)
        channel = channel_object(channel_id, name, guild_id, channel_type, position)
        if guild_id is None:
            channel.pop("guild_id")
        self._channels[channel_id] = channel
        return channel

    def add_thread(
        self,
        parent_id: str,
        thread_id: str | None = None,
        name: str = "thread",
        owner_id: str = USER_ID,
        thread_type: int = PUBLIC_THREAD,
    ) -> JsonDict:
        """Seed an active thread under a guild channel; returns the thread object."""
        parent = self._channels[parent_id]
        snowflake = thread_id if thread_id is not None else next_snowflake()
        _SNOWFLAKES.observe(snowflake)
        thread = thread_object(
            snowflake, parent_id, name, owner_id, parent["guild_id"], thread_type
        )
        self._channels[snowflake] = thread
        return thread

    def add_attachment(
        self,
        channel_id: str,
        filename: str,
        content: bytes,
        content_type: str = "application/octet-stream",
    ) -> JsonDict:
        """Host a file on the fake CDN; returns the attachment object for a message."""
        attachment_id = next_snowflake()
        self._attachments[attachment_id] = _Attachment(
            channel_id, attachment_id, filename, content, content_type
        )
        return self.attachment(attachment_id)

    def attachment(self, attachment_id: str) -> JsonDict:
        """The attachment object of a hosted file (URL with CDN-style signed parameters)."""
        stored = self._attachments[attachment_id]
        expires = format((int(attachment_id) >> 22) // 1000 + 86_400, "x")
        url = (
            f"{self.root_url}/attachments/{stored.channel_id}/{attachment_id}/{stored.filename}"
            f"?ex={expires}&is={expires}&hm={secrets.token_hex(32)}&"
        )
        return attachment_object(
            attachment_id, stored.filename, len(stored.content), url, stored.content_type
        )

    def add_message(
        self,
        channel_id: str,
        content: str,
        author_id: str = USER_ID,
        *,
        message_id: str | None = None,
        attachments: Sequence[JsonDict] = (),
        embeds: Sequence[JsonDict] = (),
        reply_to: str | None = None,
    ) -> LoggedMessage:
        """Seed a message into a channel's log (history answers it); returns it."""
        snowflake = message_id if message_id is not None else next_snowflake()
        _SNOWFLAKES.observe(snowflake)
        message = LoggedMessage(
            id=snowflake,
            channel_id=channel_id,
            content=content,
            author=self.user(author_id),
            type=REPLY if reply_to is not None else DEFAULT_MESSAGE,
            embeds=list(embeds),
            attachments=list(attachments),
            mentions=[self.user(uid) for uid in dict.fromkeys(_MENTION.findall(content))],
            message_reference=self._reference(channel_id, reply_to),
        )
        self._remember(message)
        return message

    def seed(self, payload: JsonDict) -> JsonDict:
        """Log a MESSAGE_CREATE payload's message as Discord would keep it; returns it."""
        reference = payload.get("message_reference")
        message = LoggedMessage(
            id=str(payload["id"]),
            channel_id=str(payload["channel_id"]),
            content=str(payload.get("content", "")),
            author=dict(payload["author"]),
            type=int(payload.get("type", DEFAULT_MESSAGE)),
            flags=int(payload.get("flags", 0)),
            embeds=list(payload.get("embeds", [])),
            components=list(payload.get("components", [])),
            attachments=list(payload.get("attachments", [])),
            mentions=list(payload.get("mentions", [])),
            message_reference=dict(reference) if isinstance(reference, dict) else None,
        )
        _SNOWFLAKES.observe(message.id)
        self._remember(message)
        return payload

    # -- inspection ----------------------------------------------------------------------

    def calls_to(self, method: str, path_pattern: str) -> list[RestCall]:
        """Recorded calls of one method whose path matches (`{x}` matches one segment)."""
        regex = _route_regex(path_pattern)
        return [c for c in self.calls if c.method == method and regex.fullmatch(c.path)]

    def messages(self, channel_id: str, *, include_ephemeral: bool = True) -> list[LoggedMessage]:
        """The channel's (or thread's) log, oldest first."""
        log = sorted(self._log.get(channel_id, []), key=lambda m: int(m.id))
        return [m for m in log if include_ephemeral or not m.ephemeral]

    def bot_messages(self, channel_id: str) -> list[LoggedMessage]:
        """The bot's messages in a channel's log, oldest first (ephemeral ones included)."""
        return [message for message in self.messages(channel_id) if message.from_bot]

    def message(self, message_id: str) -> LoggedMessage:
        """One logged message from any channel; KeyError if there is none."""
        for log in self._log.values():
            for message in log:
                if message.id == message_id:
                    return message
        raise KeyError(f"no message {message_id}")

    def channel(self, channel_id: str) -> JsonDict:
        """A known channel or thread object; KeyError if unknown."""
        return self._channels[channel_id]

    def threads(self, parent_id: str) -> list[JsonDict]:
        """The threads under a channel, oldest first."""
        threads = [c for c in self._channels.values() if c.get("parent_id") == parent_id]
        return [t for t in threads if t["type"] in THREAD_TYPES]

    def member_object(self, guild_id: str, user_id: str) -> JsonDict:
        """The member as GET /guilds/{id}/members/{uid} answers it (with its user)."""
        member = self._guilds[guild_id].members[user_id]
        return {**member, "user": self.user(user_id)}

    def permissions_of(self, guild_id: str, user_id: str) -> int:
        """Guild-level permissions: the owner and administrators have all of them."""
        guild = self._guilds[guild_id]
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        role_ids = [guild_id, *(member["roles"] if member is not None else [])]
        value = 0
        for role_id in role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                value |= int(role["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def callbacks_for(self, interaction: JsonDict) -> list[InteractionCallback]:
        """The callbacks sent for one dispatched interaction payload."""
        return [c for c in self.callbacks if c.interaction_id == interaction["id"]]

    def followups_for(self, interaction: JsonDict) -> list[Followup]:
        """The followups sent with one interaction's token."""
        return [f for f in self.followups if f.token == interaction["token"]]

    def original_response(self, interaction: JsonDict) -> LoggedMessage:
        """The message an interaction's response created (or, for a click, edited)."""
        known = self._interactions[str(interaction["token"])]
        if known.original_id is None:
            raise KeyError(f"interaction {known.id} has no response message")
        return self.message(known.original_id)

    @property
    def intents(self) -> int | None:
        """The intents of the latest IDENTIFY, if any."""
        return int(self.identifies[-1]["intents"]) if self.identifies else None

    # -- failure injection ---------------------------------------------------------------

    def fail_next(self, route: str, status: int = 403, json_body: JsonDict | None = None) -> None:
        """Answer the next request matching `route` ("POST /channels/{id}/messages") with an error.

        The default is Discord's 403 Missing Permissions (50013). A route without a method
        matches every method. Avoid 5xx unless testing it: discord.py sleeps 1-9 s and retries.
        """
        body = (
            json_body
            if json_body is not None
            else {"message": "Missing Permissions", "code": 50013}
        )
        method, regex = _split_route(route)
        self._injected.append((method, regex, _Injected(status, body, {})))

    def rate_limit_next(
        self, route: str, retry_after: float = 0.05, *, is_global: bool = False
    ) -> None:
        """Answer the next request matching `route` with a 429 discord.py waits out and retries."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        headers = {
            # discord.py treats a 429 without Via as a Cloudflare ban and raises.
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fake" + secrets.token_hex(8),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        method, regex = _split_route(route)
        self._injected.append((method, regex, _Injected(429, body, headers)))

    # -- waiting -------------------------------------------------------------------------

    async def wait_until(
        self, ready: Callable[[], bool], timeout: float = 10, describe: str = "a condition"
    ) -> None:
        """Wait until `ready()` holds (re-checked after every request and gateway frame)."""
        await self._wait_until(ready, timeout, lambda: describe)

    async def wait_for(
        self, method: str, path_pattern: str, count: int = 1, timeout: float = 10
    ) -> list[RestCall]:
        """Wait until `count` calls matching (method, path_pattern) arrived; returns them."""
        await self._wait_until(
            lambda: len(self.calls_to(method, path_pattern)) >= count,
            timeout,
            lambda: f"{count} x {method} {path_pattern}; calls so far: {self._call_summary()}",
        )
        return self.calls_to(method, path_pattern)

    async def wait_for_client(self, timeout: float = 10) -> None:
        """Wait until a client identified and got READY and its GUILD_CREATEs."""
        await self._wait_until(
            lambda: self._client is not None,
            timeout,
            lambda: (
                f"an identified gateway client; connections so far: {self.gateway_connections}, "
                f"received: {[m.get('op') for m in self.gateway_received]}, "
                f"REST calls: {self._call_summary()}"
            ),
        )

    async def wait_for_disconnect(self, timeout: float = 10) -> None:
        """Wait until no gateway client is connected."""
        await self._wait_until(
            lambda: not self._sockets, timeout, lambda: f"{len(self._sockets)} sockets to close"
        )

    async def wait_for_messages(
        self, channel_id: str, count: int = 1, timeout: float = 10
    ) -> list[LoggedMessage]:
        """Wait until the bot has `count` messages in a channel's log; returns them."""
        await self._wait_until(
            lambda: len(self.bot_messages(channel_id)) >= count,
            timeout,
            lambda: (
                f"{count} bot messages in {channel_id}; log: "
                f"{[(m.author['username'], m.content) for m in self.messages(channel_id)]}; "
                f"calls so far: {self._call_summary()}"
            ),
        )
        return self.bot_messages(channel_id)

    async def wait_for_callback(
        self, interaction: JsonDict, timeout: float = 10
    ) -> InteractionCallback:
        """Wait until the client answered a dispatched interaction; returns the callback."""
        await self._wait_until(
            lambda: bool(self.callbacks_for(interaction)),
            timeout,
            lambda: (
                f"a callback for interaction {interaction['id']}; calls so far: "
                f"{self._call_summary()}"
            ),
        )
        return self.callbacks_for(interaction)[0]

    async def wait_for_followups(
        self, interaction: JsonDict, count: int = 1, timeout: float = 10
    ) -> list[Followup]:
        """Wait until `count` followups were sent with an interaction's token."""
        await self._wait_until(
            lambda: len(self.followups_for(interaction)) >= count,
            timeout,
            lambda: f"{count} followups of {interaction['id']}; calls: {self._call_summary()}",
        )
        return self.followups_for(interaction)

    async def wait_for_download(
        self, count: int = 1, timeout: float = 10
    ) -> list[AttachmentDownload]:
        """Wait until `count` attachment downloads were attempted."""
        await self._wait_until(
            lambda: len(self.downloads) >= count,
            timeout,
            lambda: f"{count} downloads; so far: {self.downloads}",
        )
        return list(self.downloads)

    def _call_summary(self) -> list[str]:
        return [f"{call.method} {call.path}" for call in self.calls]

    async def _wait_until(
        self, ready: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
            except TimeoutError:
                raise TimeoutError(f"timed out after {timeout}s waiting for {describe()}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- gateway -------------------------------------------------------------------------

    async def dispatch(self, event: str, data: JsonDict, timeout: float = 10) -> int:
        """Send an op 0 event to the identified client (waiting for one); returns its `s`."""
        await self.wait_for_client(timeout)
        assert self._client is not None
        return await self._send_event(self._client, event, data)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client closes the socket, connects to the
        resume_gateway_url again and resumes its session (op 6)."""
        await self.wait_for_client()
        assert self._client is not None
        async with self._send_lock:
            await self._client.send_str(json.dumps({"op": 7, "d": None, "s": None, "t": None}))

    def expire_sessions(self) -> None:
        """Forget every gateway session: a RESUME gets op 9 and the client identifies again."""
        self._sessions.clear()

    async def disconnect_client(self, code: int = 4000) -> None:
        """Close the client's gateway socket with a close code (4000: unknown error)."""
        if self._client is not None:
            await self._client.close(code=code)

    def message_create(
        self,
        content: str = f"<@{BOT_USER_ID}> when is the freeze? see <#{OTHER_CHANNEL_ID}>",
        author_id: str = USER_ID,
        channel_id: str = CHANNEL_ID,
        guild_id: str | None = GUILD_ID,
        mentions: Sequence[str | JsonDict] | None = None,
        attachments: Sequence[JsonDict] = (),
        message_reference: JsonDict | None = None,
        thread: bool | None = None,
        *,
        message_id: str | None = None,
        embeds: Sequence[JsonDict] = (),
    ) -> JsonDict:
        """`message_create` filled from the fake: seeded users, member roles and nick, threads."""
        mentioned = mentions
        if mentioned is None:
            mentioned = [self.user(uid) for uid in dict.fromkeys(_MENTION.findall(content))]
        roles: Sequence[str] = ()
        nick: str | None = None
        guild = self._guilds.get(guild_id) if guild_id is not None else None
        if guild is not None and author_id in guild.members:
            roles = guild.members[author_id]["roles"]
            nick = guild.members[author_id]["nick"]
        known = self._channels.get(channel_id)
        in_thread = thread if thread is not None else bool(known and known["type"] in THREAD_TYPES)
        referenced = None
        if message_reference is not None:
            try:
                referenced = self.message(str(message_reference["message_id"])).to_discord()
            except KeyError:
                referenced = None
        return message_create(
            content,
            author_id,
            channel_id,
            guild_id,
            mentions=mentioned,
            attachments=attachments,
            message_reference=message_reference,
            thread=in_thread,
            message_id=message_id,
            author=self.user(author_id),
            roles=roles,
            nick=nick,
            embeds=embeds,
            referenced_message=referenced,
            position=len(self._log.get(channel_id, [])),
        )

    async def user_says(self, content: str, **fields: Any) -> JsonDict:
        """Build a MESSAGE_CREATE (as `message_create`), log it, dispatch it; returns it."""
        payload = self.seed(self.message_create(content, **fields))
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    def interaction_create_command(
        self,
        name: str = "rag",
        options: Mapping[str, str | int | float | bool] | Sequence[JsonDict] = (),
        user_id: str = USER_ID,
        guild_id: str | None = GUILD_ID,
        channel_id: str = CHANNEL_ID,
        *,
        locale: str = "en-US",
    ) -> JsonDict:
        """`interaction_create_command` with the synced command's id, the invoker's roles
        and permissions, and the channel object; remembered so callbacks and followups work."""
        command_guild = None
        command_id = self._command_ids.get((None, name))
        if guild_id is not None and (guild_id, name) in self._command_ids:
            command_guild = guild_id
            command_id = self._command_ids[(guild_id, name)]
        payload = interaction_create_command(
            name,
            options,
            user_id,
            guild_id,
            channel_id,
            command_id=command_id,
            command_guild_id=command_guild,
            **self._invoker(user_id, guild_id, channel_id),
            locale=locale,
        )
        self.remember_interaction(payload)
        return payload

    def interaction_create_component(
        self,
        custom_id: str,
        message_id: str,
        user_id: str = USER_ID,
        channel_id: str | None = None,
        guild_id: str | None = GUILD_ID,
        *,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
    ) -> JsonDict:
        """`interaction_create_component` on a logged message (its channel and components)."""
        message = self.message(message_id)
        channel = channel_id if channel_id is not None else message.channel_id
        payload = interaction_create_component(
            custom_id,
            message_id,
            user_id,
            channel,
            guild_id,
            message=message.to_discord(),
            values=values,
            **self._invoker(user_id, guild_id, channel),
            locale=locale,
        )
        self.remember_interaction(payload)
        return payload

    def remember_interaction(self, payload: JsonDict) -> None:
        """Make the fake accept callbacks and followups for a hand-built interaction."""
        self._interactions[str(payload["token"])] = _Interaction(payload)

    def _invoker(self, user_id: str, guild_id: str | None, channel_id: str) -> JsonDict:
        known = self._channels.get(channel_id)
        channel = dict(known) if known is not None else {"id": channel_id, "type": GUILD_TEXT}
        if guild_id is None or guild_id not in self._guilds:
            return {"user": self.user(user_id), "channel": channel}
        member = self._guilds[guild_id].members.get(user_id)
        return {
            "user": self.user(user_id),
            "roles": list(member["roles"]) if member is not None else [],
            "permissions": self.permissions_of(guild_id, user_id),
            "app_permissions": self.permissions_of(guild_id, BOT_USER_ID),
            "channel": channel,
        }

    async def _send_event(self, socket: web.WebSocketResponse, event: str, data: Any) -> int:
        async with self._send_lock:
            self._sequence += 1
            frame = {"op": 0, "t": event, "s": self._sequence, "d": data}
            self.dispatched.append(frame)
            await socket.send_str(json.dumps(frame))
            return self._sequence

    async def _echo(self, event: str, data: JsonDict) -> None:
        if self.echo_own_events and self._client is not None and not self._client.closed:
            await self._send_event(self._client, event, data)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await socket.prepare(request)
        self._sockets.append(socket)
        self.gateway_connections += 1
        await socket.send_str(
            json.dumps(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": 45_000, "_trace": ['["gateway-fake",{}]']},
                    "s": None,
                    "t": None,
                }
            )
        )
        await self._notify()
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                self.gateway_received.append(message)
                await self._gateway_frame(socket, message)
                await self._notify()
        finally:
            self._sockets.remove(socket)
            if self._client is socket:
                self._client = None
            await self._notify()
        return socket

    async def _gateway_frame(self, socket: web.WebSocketResponse, message: JsonDict) -> None:
        op = message.get("op")
        data = message.get("d")
        if op == 1:
            await socket.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        elif op == 2 and isinstance(data, dict):
            await self._identify(socket, data)
        elif op == 6 and isinstance(data, dict):
            await self._resume(socket, data)
        elif op == 8 and isinstance(data, dict):
            guild = self._guilds.get(str(data.get("guild_id")))
            members = (
                [] if guild is None else [self.member_object(guild.id, u) for u in guild.members]
            )
            chunk: JsonDict = {
                "guild_id": data.get("guild_id"),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
            }
            if "nonce" in data:
                chunk["nonce"] = data["nonce"]
            await self._send_event(socket, "GUILD_MEMBERS_CHUNK", chunk)

    async def _resume(self, socket: web.WebSocketResponse, data: JsonDict) -> None:
        self.resumes.append(data)
        if data.get("token") != self.token or data.get("session_id") not in self._sessions:
            # Op 9 INVALID_SESSION, not resumable: the client identifies afresh.
            await socket.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return
        # Guess: nothing is replayed (the fake keeps no backlog); a test replays by hand.
        await self._send_event(socket, "RESUMED", {"_trace": ["gateway-fake"]})
        self._client = socket

    async def _identify(self, socket: web.WebSocketResponse, data: JsonDict) -> None:
        self.identifies.append(data)
        if data.get("token") != self.token:
            await socket.close(code=4004, message=b"Authentication failed.")
            return
        asked = int(data.get("intents", 0))
        if asked & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        session_id = secrets.token_hex(16)
        self._sessions.add(session_id)
        ready = {
            "v": API_VERSION,
            "user": {**self.user(BOT_USER_ID), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": guild_id, "unavailable": True} for guild_id in self._guilds],
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APPLICATION_ID, "flags": APPLICATION_FLAGS},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "auth": {},
            "user_settings": {},
            "_trace": ['["gateway-fake",{}]'],
        }
        shard = data.get("shard")
        if shard is not None:
            ready["shard"] = shard
        self._sequence = 0
        await self._send_event(socket, "READY", ready)
        for guild_id in self._guilds:
            await self._send_event(socket, "GUILD_CREATE", self.guild_create(guild_id, asked))
        self._client = socket

    def guild_create(self, guild_id: str, intents: int = GUILD_MEMBERS_INTENT) -> JsonDict:
        """The GUILD_CREATE payload of a seeded guild (channels, threads, members, roles).

        Without the GUILD_MEMBERS intent Discord lists only the bot itself in `members`.
        """
        guild = self._guilds[guild_id]
        in_guild = [c for c in self._channels.values() if c.get("guild_id") == guild_id]
        listed = list(guild.members) if intents & GUILD_MEMBERS_INTENT else [BOT_USER_ID]
        return {
            **self._guild_object(guild),
            "joined_at": "2023-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "members": [self.member_object(guild_id, user_id) for user_id in listed],
            "channels": [dict(c) for c in in_guild if c["type"] not in THREAD_TYPES],
            "threads": [dict(c) for c in in_guild if c["type"] in THREAD_TYPES],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "activity_instances": [],
            "lazy": True,
            "version": 1_700_000_000_000,
        }

    def _guild_object(self, guild: _Guild) -> JsonDict:
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": guild.owner_id,
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": CHANNEL_ID if guild.id == GUILD_ID else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "max_members": 500_000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw_level": 0,
            "nsfw": False,
            "incidents_data": None,
            "hub_type": None,
            "latest_onboarding_question_id": None,
        }

    # -- REST plumbing -------------------------------------------------------------------

    def _add_routes(self) -> None:
        table: list[tuple[str, str, RouteHandler]] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("GET", "/channels/{channel_id}/messages", self._history),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._add_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._remove_reaction,
            ),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._thread_from),
            ("POST", "/channels/{channel_id}/threads", self._thread_without_message),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("GET", "/applications/{app_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app_id}/{token}", self._followup),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._get_webhook_msg),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self._edit_webhook_msg),
            (
                "DELETE",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._delete_webhook_msg,
            ),
        ]
        for method, template, handler in table:
            self._routes.append((method, _route_regex(template), handler))

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body, uploads = await _read_body(request)
        call = RestCall(
            method=request.method,
            path=path,
            json=body,
            headers=dict(request.headers),
            query=dict(request.query),
            uploads=tuple(uploads),
        )
        self.calls.append(call)
        try:
            return await self._answer(call)
        finally:
            await self._notify()

    async def _answer(self, call: RestCall) -> web.StreamResponse:
        for index, (method, regex, injected) in enumerate(self._injected):
            if (method is None or method == call.method) and regex.fullmatch(call.path):
                del self._injected[index]
                return _json(injected.body, injected.status, injected.headers)
        for method, regex, handler in self._routes:
            match = regex.fullmatch(call.path)
            if match is None or method != call.method:
                continue
            if (
                not _is_webhook(call.path)
                and call.headers.get("Authorization") != f"Bot {self.token}"
            ):
                return _json({"message": "401: Unauthorized", "code": 0}, 401)
            try:
                status, answer = await handler(call, match.groupdict())
            except HttpError as error:
                return _json(error.body, error.status)
            return _json(answer, status)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    # -- REST: users, application, gateway -------------------------------------------------

    async def _get_me(self, call: RestCall, params: Params) -> tuple[int, Any]:
        user = self.user(BOT_USER_ID)
        return 200, {
            **user,
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
        }

    async def _get_user(self, call: RestCall, params: Params) -> tuple[int, Any]:
        user_id = params["user_id"]
        if user_id not in self._users:
            raise _unknown("User", 10013)
        return 200, self._users[user_id]

    async def _create_dm(self, call: RestCall, params: Params) -> tuple[int, Any]:
        recipient = str((call.json or {}).get("recipient_id"))
        for channel in self._channels.values():
            if channel["type"] == DM and channel["recipients"][0]["id"] == recipient:
                return 200, channel
        channel = {
            "id": next_snowflake(),
            "type": DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.user(recipient)],
        }
        self._channels[channel["id"]] = channel
        return 200, channel

    async def _get_application(self, call: RestCall, params: Params) -> tuple[int, Any]:
        return 200, {
            "id": APPLICATION_ID,
            "name": BOT_NAME,
            "icon": None,
            "description": "A test bot",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": APPLICATION_FLAGS,
            "owner": self.user(OWNER_ID),
            "team": None,
            "bot": self.user(BOT_USER_ID),
            "hook": True,
            "integration_types_config": {"0": {}},
            "install_params": None,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self._guilds),
        }

    async def _get_gateway(self, call: RestCall, params: Params) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    # -- REST: channels and messages -----------------------------------------------------

    def _known_channel(self, channel_id: str) -> JsonDict:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise _unknown("Channel", 10003)
        return channel

    def _logged(self, channel_id: str, message_id: str) -> LoggedMessage:
        for message in self._log.get(channel_id, []):
            if message.id == message_id:
                return message
        raise _unknown("Message", 10008)

    def _reference(self, channel_id: str, reply_to: str | None) -> JsonDict | None:
        if reply_to is None:
            return None
        guild_id = self._channels.get(channel_id, {}).get("guild_id")
        return message_reference(reply_to, channel_id, guild_id)

    def _referenced(self, message: LoggedMessage) -> JsonDict | None:
        if message.message_reference is None:
            return None
        try:
            return self.message(str(message.message_reference["message_id"])).to_discord()
        except KeyError:
            return None

    def _view(self, message: LoggedMessage) -> JsonDict:
        return message.to_discord(self._referenced(message))

    def _gateway_view(self, message: LoggedMessage) -> JsonDict:
        """The message as MESSAGE_CREATE/UPDATE carry it: with guild_id and member."""
        data = self._view(message)
        guild_id = self._channels.get(message.channel_id, {}).get("guild_id")
        author_id = str(message.author["id"])
        if guild_id is not None and author_id in self._guilds[guild_id].members:
            data["guild_id"] = guild_id
            data["member"] = dict(self._guilds[guild_id].members[author_id])
        return data

    async def _get_channel(self, call: RestCall, params: Params) -> tuple[int, Any]:
        return 200, self._known_channel(params["channel_id"])

    async def _history(self, call: RestCall, params: Params) -> tuple[int, Any]:
        channel_id = params["channel_id"]
        self._known_channel(channel_id)
        limit = max(1, min(100, int(call.query.get("limit", "50"))))
        visible = self.messages(channel_id, include_ephemeral=False)
        if "around" in call.query:
            pivot = int(call.query["around"])
            older = [m for m in visible if int(m.id) <= pivot][-(limit - limit // 2) :]
            newer = [m for m in visible if int(m.id) > pivot][: limit // 2]
            picked = older + newer
        elif "after" in call.query:
            after = int(call.query["after"])
            picked = [m for m in visible if int(m.id) > after][:limit]
        else:
            before = int(call.query.get("before", str(1 << 63)))
            picked = [m for m in visible if int(m.id) < before][-limit:]
        # Discord answers newest first, for `after` queries too.
        return 200, [self._view(m) for m in reversed(picked)]

    async def _get_message(self, call: RestCall, params: Params) -> tuple[int, Any]:
        self._known_channel(params["channel_id"])
        return 200, self._view(self._logged(params["channel_id"], params["message_id"]))

    async def _create_message(self, call: RestCall, params: Params) -> tuple[int, Any]:
        channel_id = params["channel_id"]
        self._known_channel(channel_id)
        body = call.json if isinstance(call.json, dict) else {}
        message = self._bot_message(channel_id, body, call.uploads)
        await self._echo("MESSAGE_CREATE", self._gateway_view(message))
        return 200, self._view(message)

    def _bot_message(
        self,
        channel_id: str,
        body: JsonDict,
        uploads: Sequence[Upload] = (),
        *,
        message_type: int | None = None,
        flags: int = 0,
        interaction: _Interaction | None = None,
    ) -> LoggedMessage:
        attachments = self._uploaded(channel_id, uploads)
        content = str(body.get("content") or "")
        embeds = list(body.get("embeds") or [])
        components = list(body.get("components") or [])
        sticker_ids = body.get("sticker_ids") or []
        if not (content or embeds or components or attachments or sticker_ids or flags & LOADING):
            raise HttpError(400, "Cannot send an empty message", 50006)
        if len(content) > 2000:
            raise HttpError(400, "Invalid Form Body", 50035)
        reference = body.get("message_reference")
        if isinstance(reference, dict):
            reference = {
                "type": int(reference.get("type", 0)),
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id", channel_id)),
                **({"guild_id": str(reference["guild_id"])} if reference.get("guild_id") else {}),
            }
            self._logged(reference["channel_id"], reference["message_id"])
        else:
            reference = None
        kind = (
            message_type if message_type is not None else (REPLY if reference else DEFAULT_MESSAGE)
        )
        message = LoggedMessage(
            id=next_snowflake(),
            channel_id=channel_id,
            content=content,
            author=self.user(BOT_USER_ID),
            type=kind,
            flags=(int(body.get("flags") or 0) | flags) & ~LOADING | (flags & LOADING),
            embeds=embeds,
            components=components,
            attachments=attachments,
            mentions=[self.user(uid) for uid in dict.fromkeys(_MENTION.findall(content))],
            message_reference=reference,
            interaction_id=interaction.id if interaction is not None else None,
            webhook_id=APPLICATION_ID if interaction is not None else None,
        )
        self._remember(message)
        return message

    def _uploaded(self, channel_id: str, uploads: Sequence[Upload]) -> list[JsonDict]:
        return [
            self.add_attachment(channel_id, u.filename, u.content, u.content_type) for u in uploads
        ]

    def _apply_edit(
        self, message: LoggedMessage, body: JsonDict, uploads: Sequence[Upload] = ()
    ) -> None:
        if "content" in body:
            message.revisions.append(message.content)
            message.content = str(body["content"] or "")
            message.mentions = [
                self.user(uid) for uid in dict.fromkeys(_MENTION.findall(message.content))
            ]
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = list(body["components"] or [])
        uploaded = self._uploaded(message.channel_id, uploads)
        if "attachments" in body:
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            message.attachments = [a for a in message.attachments if a["id"] in keep]
        message.attachments.extend(uploaded)
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS can change on an edit; ephemeral and loading stay.
            message.flags = (message.flags & ~4) | (int(body["flags"]) & 4)
        message.flags &= ~LOADING
        message.edited_timestamp = _now()

    async def _edit_message(self, call: RestCall, params: Params) -> tuple[int, Any]:
        self._known_channel(params["channel_id"])
        message = self._logged(params["channel_id"], params["message_id"])
        if not message.from_bot:
            raise HttpError(403, "Cannot edit a message authored by another user", 50005)
        self._apply_edit(message, call.json if isinstance(call.json, dict) else {}, call.uploads)
        await self._echo("MESSAGE_UPDATE", self._gateway_view(message))
        return 200, self._view(message)

    async def _delete_message(self, call: RestCall, params: Params) -> tuple[int, Any]:
        channel_id = params["channel_id"]
        channel = self._known_channel(channel_id)
        message = self._logged(channel_id, params["message_id"])
        self._log[channel_id].remove(message)
        await self._echo(
            "MESSAGE_DELETE", message_delete(message.id, channel_id, channel.get("guild_id"))
        )
        return 204, None

    async def _add_reaction(self, call: RestCall, params: Params) -> tuple[int, Any]:
        channel_id = params["channel_id"]
        channel = self._known_channel(channel_id)
        message = self._logged(channel_id, params["message_id"])
        emoji = params["emoji"]
        if emoji not in message.reactions:
            message.reactions.append(emoji)
            event: JsonDict = {
                "user_id": BOT_USER_ID,
                "channel_id": channel_id,
                "message_id": message.id,
                "message_author_id": message.author["id"],
                "emoji": {"id": None, "name": emoji},
                "burst": False,
                "type": 0,
            }
            if channel.get("guild_id"):
                event["guild_id"] = channel["guild_id"]
            await self._echo("MESSAGE_REACTION_ADD", event)
        return 204, None

    async def _remove_reaction(self, call: RestCall, params: Params) -> tuple[int, Any]:
        self._known_channel(params["channel_id"])
        message = self._logged(params["channel_id"], params["message_id"])
        if params["emoji"] in message.reactions:
            message.reactions.remove(params["emoji"])
        return 204, None

    async def _typing(self, call: RestCall, params: Params) -> tuple[int, Any]:
        self._known_channel(params["channel_id"])
        return 204, None

    async def _thread_from(self, call: RestCall, params: Params) -> tuple[int, Any]:
        channel_id = params["channel_id"]
        parent = self._known_channel(channel_id)
        message = self._logged(channel_id, params["message_id"])
        if parent["type"] in THREAD_TYPES or parent.get("guild_id") is None:
            raise HttpError(400, "Cannot execute action on this channel type", 50024)
        if message.thread_id is not None:
            raise HttpError(400, "A thread has already been created for this message", 160004)
        body = call.json if isinstance(call.json, dict) else {}
        # A thread started from a message has the message's id.
        thread = await self._new_thread(parent, message.id, body, PUBLIC_THREAD)
        message.thread_id = thread["id"]
        message.flags |= HAS_THREAD
        return 201, thread

    async def _thread_without_message(self, call: RestCall, params: Params) -> tuple[int, Any]:
        parent = self._known_channel(params["channel_id"])
        if parent["type"] in THREAD_TYPES or parent.get("guild_id") is None:
            raise HttpError(400, "Cannot execute action on this channel type", 50024)
        body = call.json if isinstance(call.json, dict) else {}
        # Guess: discord.py sends type 12 (private) unless told otherwise, as Discord's default.
        kind = int(body.get("type") or PRIVATE_THREAD)
        return 201, await self._new_thread(parent, next_snowflake(), body, kind)

    async def _new_thread(
        self, parent: JsonDict, thread_id: str, body: JsonDict, kind: int
    ) -> JsonDict:
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise HttpError(400, "Invalid Form Body", 50035)
        thread = thread_object(
            thread_id,
            parent["id"],
            name,
            BOT_USER_ID,
            parent["guild_id"],
            kind,
            auto_archive_duration=int(body.get("auto_archive_duration") or 4320),
        )
        self._channels[thread_id] = thread
        member = {
            "id": thread_id,
            "user_id": BOT_USER_ID,
            "join_timestamp": _now(),
            "flags": 1,
            "muted": False,
            "mute_config": None,
        }
        await self._echo("THREAD_CREATE", thread_create({**thread, "member": member}))
        return {**thread, "member": member}

    # -- REST: guilds --------------------------------------------------------------------

    def _known_guild(self, guild_id: str) -> _Guild:
        guild = self._guilds.get(guild_id)
        if guild is None:
            raise _unknown("Guild", 10004)
        return guild

    async def _get_guild(self, call: RestCall, params: Params) -> tuple[int, Any]:
        guild = self._known_guild(params["guild_id"])
        answer = self._guild_object(guild)
        if call.query.get("with_counts") == "true":
            answer["approximate_member_count"] = len(guild.members)
            answer["approximate_presence_count"] = 0
        return 200, answer

    async def _get_roles(self, call: RestCall, params: Params) -> tuple[int, Any]:
        return 200, list(self._known_guild(params["guild_id"]).roles.values())

    async def _get_guild_channels(self, call: RestCall, params: Params) -> tuple[int, Any]:
        guild_id = self._known_guild(params["guild_id"]).id
        return 200, [
            c
            for c in self._channels.values()
            if c.get("guild_id") == guild_id and c["type"] not in THREAD_TYPES
        ]

    async def _get_member(self, call: RestCall, params: Params) -> tuple[int, Any]:
        guild = self._known_guild(params["guild_id"])
        if params["user_id"] not in guild.members:
            raise _unknown("Member", 10007)
        return 200, self.member_object(guild.id, params["user_id"])

    # -- REST: application commands -----------------------------------------------------

    async def _get_commands(self, call: RestCall, params: Params) -> tuple[int, Any]:
        return 200, self.commands.get(params.get("guild_id"), [])

    async def _put_commands(self, call: RestCall, params: Params) -> tuple[int, Any]:
        if params["app_id"] != APPLICATION_ID:
            raise _unknown("Application", 10002)
        guild_id = params.get("guild_id")
        if guild_id is not None:
            self._known_guild(guild_id)
        registered = []
        for command in call.json if isinstance(call.json, list) else []:
            name = str(command["name"])
            # Discord keeps a command's id across bulk overwrites; the version changes.
            command_id = self._command_ids.setdefault((guild_id, name), next_snowflake())
            echoed: JsonDict = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                **command,
                "id": command_id,
                "application_id": APPLICATION_ID,
                "version": next_snowflake(),
            }
            if guild_id is not None:
                echoed["guild_id"] = guild_id
            registered.append(echoed)
        self.commands[guild_id] = registered
        return 200, registered

    # -- REST: interactions and webhooks -------------------------------------------------

    def _known_interaction(self, token: str) -> _Interaction:
        interaction = self._interactions.get(token)
        if interaction is None:
            raise _unknown("interaction", 10062)
        return interaction

    def _known_webhook(self, app_id: str, token: str) -> _Interaction:
        interaction = self._interactions.get(token)
        if app_id != APPLICATION_ID or interaction is None:
            raise _unknown("Webhook", 10015)
        return interaction

    async def _callback(self, call: RestCall, params: Params) -> tuple[int, Any]:
        interaction = self._known_interaction(params["token"])
        if interaction.id != params["interaction_id"]:
            raise _unknown("interaction", 10062)
        if interaction.responded is not None:
            raise HttpError(400, "Interaction has already been acknowledged.", 40060)
        body = call.json if isinstance(call.json, dict) else {}
        kind = int(body.get("type", 0))
        data = body.get("data") if isinstance(body.get("data"), dict) else None
        interaction.responded = kind
        try:
            message = await self._respond(interaction, kind, data or {}, call.uploads)
        except HttpError:
            # A refused response leaves the interaction unanswered, as on Discord.
            interaction.responded = None
            raise
        self.callbacks.append(
            InteractionCallback(
                interaction.id, params["token"], kind, data, message.id if message else None
            )
        )
        answer: JsonDict = {
            "interaction": {
                "id": interaction.id,
                "type": interaction.payload["type"],
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
                "response_message_ephemeral": bool(message is not None and message.ephemeral),
            }
        }
        if message is not None:
            answer["interaction"]["response_message_id"] = message.id
            answer["resource"] = {"type": kind, "message": self._view(message)}
        if call.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        return 200, answer

    async def _respond(
        self, interaction: _Interaction, kind: int, data: JsonDict, uploads: Sequence[Upload]
    ) -> LoggedMessage | None:
        channel_id = interaction.channel_id
        ephemeral = int(data.get("flags") or 0) & EPHEMERAL
        # Guess: message types of responses are 20 for slash commands, 0 for component clicks.
        message_type = (
            CHAT_INPUT_COMMAND
            if interaction.payload["type"] == APPLICATION_COMMAND
            else DEFAULT_MESSAGE
        )
        if kind in (CHANNEL_MESSAGE_WITH_SOURCE, DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE):
            self._ensure_channel(interaction)
            flags = ephemeral | (LOADING if kind == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE else 0)
            message = self._bot_message(
                channel_id,
                data if kind == CHANNEL_MESSAGE_WITH_SOURCE else {},
                uploads,
                message_type=message_type,
                flags=flags,
                interaction=interaction,
            )
            interaction.original_id = message.id
            if not message.ephemeral:
                await self._echo("MESSAGE_CREATE", self._gateway_view(message))
            return message
        if kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            target_id = interaction.component_message_id
            if target_id is None:
                raise HttpError(400, "Interaction callback type not valid here", 50035)
            message = self.message(target_id)
            # A click's "original response" is the message the component is on.
            interaction.original_id = message.id
            if kind == UPDATE_MESSAGE:
                self._apply_edit(message, data, uploads)
                await self._echo("MESSAGE_UPDATE", self._gateway_view(message))
            # Guess: Discord's with_response answer for type 6 carries the untouched message.
            return message
        return None

    def _ensure_channel(self, interaction: _Interaction) -> None:
        # A DM interaction's channel may be one the fake never saw; responses still land.
        channel = interaction.payload.get("channel") or {"id": interaction.channel_id}
        self._channels.setdefault(interaction.channel_id, dict(channel))

    async def _followup(self, call: RestCall, params: Params) -> tuple[int, Any]:
        interaction = self._known_webhook(params["app_id"], params["token"])
        if interaction.responded is None:
            raise _unknown("Webhook", 10015)
        body = call.json if isinstance(call.json, dict) else {}
        original = self._original(interaction)
        if (
            interaction.responded == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
            and original is not None
            and original.loading
        ):
            # Discord: right after a type 5 defer, the first followup edits the "thinking"
            # message instead of creating one, and keeps the defer's ephemeral choice.
            self._apply_edit(original, body, call.uploads)
            self.followups.append(
                Followup(params["token"], original.id, body, original.ephemeral, True)
            )
            if not original.ephemeral:
                await self._echo("MESSAGE_UPDATE", self._gateway_view(original))
            return 200, self._view(original)
        self._ensure_channel(interaction)
        message = self._bot_message(
            interaction.channel_id,
            body,
            call.uploads,
            message_type=CHAT_INPUT_COMMAND
            if interaction.payload["type"] == APPLICATION_COMMAND
            else DEFAULT_MESSAGE,
            interaction=interaction,
        )
        self.followups.append(Followup(params["token"], message.id, body, message.ephemeral, False))
        if not message.ephemeral:
            await self._echo("MESSAGE_CREATE", self._gateway_view(message))
        return 200, self._view(message)

    def _original(self, interaction: _Interaction) -> LoggedMessage | None:
        if interaction.original_id is None:
            return None
        try:
            return self.message(interaction.original_id)
        except KeyError:
            return None

    def _webhook_message(self, params: Params) -> tuple[_Interaction, LoggedMessage]:
        interaction = self._known_webhook(params["app_id"], params["token"])
        message_id = params["message_id"]
        if message_id == "@original":
            found = self._original(interaction)
            if found is None:
                raise _unknown("Message", 10008)
            return interaction, found
        try:
            message = self.message(message_id)
        except KeyError:
            raise _unknown("Message", 10008) from None
        if message.interaction_id != interaction.id and message_id != interaction.original_id:
            raise _unknown("Message", 10008)
        return interaction, message

    async def _get_webhook_msg(self, call: RestCall, params: Params) -> tuple[int, Any]:
        return 200, self._view(self._webhook_message(params)[1])

    async def _edit_webhook_msg(self, call: RestCall, params: Params) -> tuple[int, Any]:
        _, message = self._webhook_message(params)
        self._apply_edit(message, call.json if isinstance(call.json, dict) else {}, call.uploads)
        if not message.ephemeral:
            await self._echo("MESSAGE_UPDATE", self._gateway_view(message))
        return 200, self._view(message)

    async def _delete_webhook_msg(self, call: RestCall, params: Params) -> tuple[int, Any]:
        _, message = self._webhook_message(params)
        self._log[message.channel_id].remove(message)
        channel = self._channels.get(message.channel_id, {})
        if not message.ephemeral:
            await self._echo(
                "MESSAGE_DELETE",
                message_delete(message.id, message.channel_id, channel.get("guild_id")),
            )
        return 204, None

    # -- attachments ---------------------------------------------------------------------

    async def _download(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        attachment_id = request.match_info["attachment_id"]
        name = request.match_info["name"]
        stored = self._attachments.get(attachment_id)
        found = stored is not None and stored.channel_id == channel_id and stored.filename == name
        self.downloads.append(
            AttachmentDownload(channel_id, attachment_id, name, found, dict(request.headers))
        )
        await self._notify()
        if stored is None or not found:
            # The CDN answers a plain-text 404.
            return web.Response(status=404, text="404: Not Found", content_type="text/plain")
        return web.Response(body=stored.content, content_type=stored.content_type)

    # -- helpers -------------------------------------------------------------------------

    def _remember(self, message: LoggedMessage) -> None:
        self._log.setdefault(message.channel_id, []).append(message)
        channel = self._channels.get(message.channel_id)
        if channel is not None and not message.ephemeral:
            channel["last_message_id"] = message.id
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1


def _is_webhook(path: str) -> bool:
    # Interaction callbacks and webhook followups authenticate by their token in the path.
    return path.startswith(("/interactions/", "/webhooks/"))


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # Exactly "application/json": aiohttp's json_response adds "; charset=utf-8" and
    # discord.py then treats the body as text.
    if status == 204:
        return web.Response(status=204, headers=dict(headers or {}))
    # Bytes, not text=: with text= aiohttp appends a charset even to an explicit header.
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """The JSON body (or multipart payload_json) and any uploaded files."""
    if not request.can_read_body:
        return None, []
    if request.content_type == "multipart/form-data":
        body: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            content = await part.read()
            if part.name == "payload_json":
                body = json.loads(content)
            elif part.filename is not None:
                kind = part.headers.get("Content-Type", "application/octet-stream")
                files.append(Upload(part.filename, bytes(content), kind))
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


@contextmanager
def install(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """Point discord.py's REST base and default gateway at the fake; restore them after."""
    route_base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        discord.http.Route.BASE = route_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
