"""Loopback fakes of Slack for driving the real slack-bolt and slack_sdk in tests.

`FakeSlackApi` is one aiohttp server on 127.0.0.1 that plays four Slack endpoints at once:

- the Web API at `/api/{method}` (point `AsyncWebClient(base_url=api.base_url)` at it),
- private file downloads at `/files/{file_id}/{name}` (bot token required),
- the Socket Mode websocket at `/socket` (handed out by `apps.connections.open`),
- slash-command/interaction `response_url`s at `/response/{id}`.

It records every request and keeps a per-channel message log, so `conversations.replies`
returns what tests seeded and what the bot posted. The module-level builders produce
Slack-shaped Events API, slash-command and block_actions payloads, and `signed_headers`
signs them the way Slack does for HTTP mode.

Choices where Slack's exact behaviour could not be checked from here are marked "guess"
next to the constant or branch that makes them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict], JsonDict]

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
TEAM_NAME = "Test"
TEAM_DOMAIN = "test"
APP_ID = "A1"
BOT_NAME = "ragbot"
DEFAULT_BOT_TOKEN = "xoxb-test"
DEFAULT_APP_TOKEN = "xapp-test"
VERIFICATION_TOKEN = "verification-token"
DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T1/1/placeholder"
# Guess: Slack documents no error for "streaming not enabled in this workspace"; this name is
# plausible and is what `streaming_enabled = False` answers (override with `streaming_error`).
STREAMING_DISABLED_ERROR = "feature_not_enabled"
# The slack clients read these; a developer's real values would leak into tests.
SLACK_ENVIRONMENT_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
)
_JSON_FIELDS = ("blocks", "chunks", "attachments", "metadata")
_MARKUP = re.compile(r"<([@#!]?)([^>|]+)(?:\|([^>]*))?>")


class _TsClock:
    """Slack message timestamps, unique and increasing across every fake in the process."""

    def __init__(self) -> None:
        self._micros = 1_700_000_000_000_000

    def next(self) -> str:
        self._micros += 100
        return f"{self._micros // 1_000_000}.{self._micros % 1_000_000:06d}"

    def observe(self, ts: str) -> None:
        seconds, _, fraction = ts.partition(".")
        micros = int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
        self._micros = max(self._micros, micros)


_CLOCK = _TsClock()


def next_ts() -> str:
    """A fresh message timestamp ("1700000000.000100"), later than every one handed out so far."""
    return _CLOCK.next()


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int((fraction + "000000")[:6])


@dataclass(frozen=True)
class ApiCall:
    """One Web API request: the method, its merged query/form/JSON parameters and headers."""

    method: str
    params: JsonDict
    headers: dict[str, str]
    http_method: str = "POST"


@dataclass
class LoggedMessage:
    """A message in the fake's channel log (seeded by a test or posted by the bot)."""

    channel: str
    ts: str
    text: str
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    blocks: list[JsonDict] | None = None
    files: list[JsonDict] | None = None
    subtype: str | None = None
    metadata: JsonDict | None = None
    chunks: list[JsonDict] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)
    streaming: bool = False
    stopped: bool = False

    def to_slack(self) -> JsonDict:
        """The message as Slack's history/replies methods return it."""
        message: JsonDict = {"type": "message", "ts": self.ts, "text": self.text, "team": TEAM_ID}
        if self.subtype is not None:
            message["subtype"] = self.subtype
        if self.user is not None:
            message["user"] = self.user
        if self.bot_id is not None:
            message["bot_id"] = self.bot_id
            message["app_id"] = APP_ID
        if self.thread_ts is not None:
            message["thread_ts"] = self.thread_ts
        if self.blocks is not None:
            message["blocks"] = self.blocks
        if self.files is not None:
            message["files"] = self.files
        if self.metadata is not None:
            message["metadata"] = self.metadata
        if self.reactions:
            message["reactions"] = [
                {"name": name, "users": [BOT_USER_ID], "count": 1} for name in self.reactions
            ]
        return message


@dataclass(frozen=True)
class SocketAck:
    """An acknowledgement the Socket Mode client sent back for an envelope."""

    envelope_id: str
    payload: JsonDict | None
    raw: JsonDict


@dataclass(frozen=True)
class FileDownload:
    """One GET of a private file URL, and whether it carried the right bot token."""

    file_id: str
    name: str
    authorized: bool
    authorization: str | None


@dataclass(frozen=True)
class ResponseUrlPost:
    """A JSON body POSTed to a fake `response_url`."""

    response_id: str
    body: JsonDict
    headers: dict[str, str]


@dataclass(frozen=True)
class _Injected:
    error: str
    status: int
    retry_after: int | None = None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    name: str
    title: str
    content: bytes
    mimetype: str
    user: str
    created: int


class FakeSlackApi:
    """Slack's Web API, file hosting, Socket Mode and response_urls on one loopback port."""

    def __init__(self, bot_token: str = DEFAULT_BOT_TOKEN, app_token: str = DEFAULT_APP_TOKEN):
        self.bot_token = bot_token
        self.app_token = app_token
        self.streaming_enabled = True
        self.streaming_error = STREAMING_DISABLED_ERROR
        # The chat_stream docstring says recipients are "required when streaming to channels".
        self.require_stream_recipients = True
        self.scopes = ["app_mentions:read", "channels:history", "chat:write", "files:read"]
        self.calls: list[ApiCall] = []
        self.downloads: list[FileDownload] = []
        self.socket_acks: list[SocketAck] = []
        self.socket_messages: list[JsonDict] = []
        self.responses: list[ResponseUrlPost] = []
        self.socket_connections = 0
        self._log: dict[str, list[LoggedMessage]] = {}
        self._users: dict[str, JsonDict] = {}
        self._channels: dict[str, JsonDict] = {}
        self._files: dict[str, _StoredFile] = {}
        self._injected: dict[str, list[_Injected]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._response_ids = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.startStream": self._chat_start_stream,
            "chat.appendStream": self._chat_append_stream,
            "chat.stopStream": self._chat_stop_stream,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "files.info": self._files_info,
            "apps.connections.open": self._apps_connections_open,
        }
        self.add_user(BOT_USER_ID, BOT_NAME, is_bot=True)

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Self:
        """Bind an ephemeral port on 127.0.0.1 and start serving."""
        app = web.Application()
        app.router.add_route("GET", "/api/{method}", self._api)
        app.router.add_route("POST", "/api/{method}", self._api)
        app.router.add_get("/files/{file_id}/{name}", self._download)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/response/{response_id}", self._response_url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Close open websockets, then stop the server (close Socket Mode handlers first)."""
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
    def base_url(self) -> str:
        """The Web API base for `AsyncWebClient(base_url=...)`, with its trailing slash."""
        return f"{self.root_url}/api/"

    @property
    def socket_url(self) -> str:
        """The Socket Mode websocket URL `apps.connections.open` hands out."""
        return f"ws://127.0.0.1:{self._port}/socket"

    # -- seeding -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        is_admin: bool = False,
        is_owner: bool = False,
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_bot: bool = False,
    ) -> JsonDict:
        """Seed a user for users.info; returns the user object it will answer."""
        real = real_name if real_name is not None else name.title()
        display = display_name if display_name is not None else name
        user: JsonDict = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": "Europe/London",
            "profile": {
                "display_name": display,
                "display_name_normalized": display,
                "real_name": real,
                "real_name_normalized": real,
                "team": TEAM_ID,
            },
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }
        self._users[user_id] = user
        return user

    def add_channel(
        self, channel_id: str, name: str, is_im: bool = False, *, is_private: bool = False
    ) -> JsonDict:
        """Seed a conversation for conversations.info; returns the channel object."""
        channel: JsonDict = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_im and not is_private,
            "is_group": is_private,
            "is_im": is_im,
            "is_mpim": False,
            "is_private": is_private or is_im,
            "is_archived": False,
            "is_general": name == "general",
            "is_member": True,
            "created": 1_600_000_000,
            "context_team_id": TEAM_ID,
        }
        self._channels[channel_id] = channel
        return channel

    def add_message(
        self,
        channel: str,
        text: str,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        *,
        files: list[JsonDict] | None = None,
        blocks: list[JsonDict] | None = None,
    ) -> str:
        """Seed a user's message into the channel log; returns its ts."""
        message_ts = ts if ts is not None else next_ts()
        _CLOCK.observe(message_ts)
        self._remember(
            LoggedMessage(
                channel=channel,
                ts=message_ts,
                text=text,
                user=user,
                thread_ts=thread_ts,
                files=files,
                blocks=blocks,
                subtype="file_share" if files else None,
            )
        )
        return message_ts

    def seed_event(self, event: JsonDict) -> JsonDict:
        """Log a message/app_mention event's message as Slack would have it; returns the event."""
        self.add_message(
            event["channel"],
            event.get("text", ""),
            event["user"],
            ts=event["ts"],
            thread_ts=event.get("thread_ts"),
            files=event.get("files"),
            blocks=event.get("blocks"),
        )
        return event

    def add_file(self, file_id: str, name: str, content: bytes, mimetype: str) -> JsonDict:
        """Seed a private file for files.info and download; returns its file object."""
        self._files[file_id] = _StoredFile(
            file_id=file_id,
            name=name,
            title=name,
            content=content,
            mimetype=mimetype,
            user="U123",
            created=1_700_000_000,
        )
        return self.file_object(file_id)

    def file_object(self, file_id: str) -> JsonDict:
        """The file object (as files.info and file_share events carry it) for a seeded file."""
        stored = self._files[file_id]
        url = f"{self.root_url}/files/{file_id}/{stored.name}"
        extension = stored.name.rpartition(".")[2] if "." in stored.name else "text"
        return {
            "id": file_id,
            "created": stored.created,
            "timestamp": stored.created,
            "name": stored.name,
            "title": stored.title,
            "mimetype": stored.mimetype,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": stored.user,
            "user_team": TEAM_ID,
            "mode": "hosted",
            "editable": False,
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "size": len(stored.content),
            "url_private": url,
            "url_private_download": url,
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{stored.user}/{file_id}/{stored.name}",
        }

    def remove_file(self, file_id: str) -> None:
        """Forget a file, as after a deletion: files.info answers file_not_found."""
        self._files.pop(file_id, None)

    # -- inspection ----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one Web API method, oldest first."""
        return [call for call in self.calls if call.method == method]

    def messages(self, channel: str) -> list[LoggedMessage]:
        """The channel's log, oldest first."""
        return sorted(self._log.get(channel, []), key=lambda message: _ts_key(message.ts))

    def message(self, channel: str, ts: str) -> LoggedMessage:
        """One logged message; KeyError if there is none."""
        for message in self._log.get(channel, []):
            if message.ts == ts:
                return message
        raise KeyError(f"no message {ts} in {channel}")

    def thread(self, channel: str, thread_ts: str) -> list[LoggedMessage]:
        """The parent and its replies, oldest first."""
        return [
            message
            for message in self.messages(channel)
            if message.ts == thread_ts or message.thread_ts == thread_ts
        ]

    # -- failure injection ---------------------------------------------------------------

    def fail_next(self, method: str, error: str = "not_in_channel", status: int = 200) -> None:
        """Answer the next call of `method` with {"ok": false, "error": error}."""
        self._injected.setdefault(method, []).append(_Injected(error=error, status=status))

    def rate_limit_next(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call of `method` with HTTP 429 and `Retry-After: retry_after`."""
        self._injected.setdefault(method, []).append(
            _Injected(error="ratelimited", status=429, retry_after=retry_after)
        )

    # -- waiting -------------------------------------------------------------------------

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[ApiCall]:
        """Wait until `count` calls of `method` have arrived; returns those calls."""
        await self._wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"{count} x {method}; calls so far: {[c.method for c in self.calls]}",
        )
        return self.calls_to(method)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> SocketAck:
        """Wait until the Socket Mode client acknowledged `envelope_id`."""
        await self._wait_until(
            lambda: any(ack.envelope_id == envelope_id for ack in self.socket_acks),
            timeout,
            lambda: f"ack of {envelope_id}; acks so far: {self.socket_acks}",
        )
        return next(ack for ack in self.socket_acks if ack.envelope_id == envelope_id)

    async def wait_for_socket(self, timeout: float = 10) -> None:
        """Wait until a Socket Mode client is connected."""
        await self._wait_until(lambda: bool(self._sockets), timeout, lambda: "a socket client")

    async def wait_for_download(self, count: int = 1, timeout: float = 10) -> list[FileDownload]:
        """Wait until `count` file downloads were attempted."""
        await self._wait_until(
            lambda: len(self.downloads) >= count, timeout, lambda: f"{count} downloads"
        )
        return list(self.downloads)

    async def wait_for_response(self, count: int = 1, timeout: float = 10) -> list[ResponseUrlPost]:
        """Wait until `count` posts to response_urls arrived."""
        await self._wait_until(
            lambda: len(self.responses) >= count, timeout, lambda: f"{count} response_url posts"
        )
        return list(self.responses)

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

    # -- Socket Mode and response_url ----------------------------------------------------

    async def socket_send(self, envelope: JsonDict, timeout: float = 10) -> str:
        """Send an envelope to the newest connected client (waiting for one); returns its id."""
        await self.wait_for_socket(timeout)
        await self._sockets[-1].send_str(json.dumps(envelope))
        return str(envelope.get("envelope_id", ""))

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's {"type": "disconnect"} message, which makes clients reconnect."""
        await self.wait_for_socket()
        await self._sockets[-1].send_str(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}})
        )

    def new_response_url(self) -> str:
        """A fresh response_url served by this fake."""
        self._response_ids += 1
        return f"{self.root_url}/response/{self._response_ids}"

    def slash_command_form(
        self, command: str = "/rag", text: str = "sources", **fields: str
    ) -> bytes:
        """`slash_command_form` with a response_url pointing at this fake."""
        fields.setdefault("response_url", self.new_response_url())
        return slash_command_form(command, text, **fields)

    def block_actions_form(self, action_id: str, value: str, **fields: str) -> bytes:
        """`block_actions_form` with a response_url pointing at this fake."""
        fields.setdefault("response_url", self.new_response_url())
        return block_actions_form(action_id, value, **fields)

    # -- HTTP handlers -------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params = await _request_params(request)
        call = ApiCall(
            method=method,
            params=params,
            headers=dict(request.headers),
            http_method=request.method,
        )
        self.calls.append(call)
        try:
            return self._answer(call)
        finally:
            await self._notify()

    def _answer(self, call: ApiCall) -> web.Response:
        injected = self._injected.get(call.method)
        if injected:
            failure = injected.pop(0)
            retry = failure.retry_after
            headers = {"Retry-After": str(retry)} if retry is not None else {}
            return self._json({"ok": False, "error": failure.error}, failure.status, headers)
        token_error = self._token_error(call)
        if token_error is not None:
            return self._json({"ok": False, "error": token_error})
        handler = self._handlers.get(call.method)
        if handler is None:
            return self._json({"ok": False, "error": "unknown_method", "req_method": call.method})
        return self._json(handler(call.params))

    def _token_error(self, call: ApiCall) -> str | None:
        authorization = call.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ").strip() or str(call.params.get("token", ""))
        if not token:
            return "not_authed"
        expected = self.app_token if call.method == "apps.connections.open" else self.bot_token
        if token == expected:
            return None
        if call.method == "apps.connections.open" and token.startswith("xox"):
            return "not_allowed_token_type"
        return "invalid_auth"

    def _json(
        self, body: JsonDict, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        all_headers = {"X-OAuth-Scopes": ",".join(self.scopes), **(headers or {})}
        return web.Response(
            text=json.dumps(body),
            status=status,
            content_type="application/json",
            headers=all_headers,
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        name = request.match_info["name"]
        authorization = request.headers.get("Authorization")
        authorized = authorization == f"Bearer {self.bot_token}"
        self.downloads.append(FileDownload(file_id, name, authorized, authorization))
        await self._notify()
        stored = self._files.get(file_id)
        if not authorized:
            return web.Response(
                status=403, text=_HTML_PAGE.format(title="Forbidden"), content_type="text/html"
            )
        if stored is None or stored.name != name:
            return web.Response(
                status=404, text=_HTML_PAGE.format(title="Not Found"), content_type="text/html"
            )
        return web.Response(body=stored.content, content_type=stored.mimetype)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        self.socket_connections += 1
        await socket.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        await self._notify()
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                self.socket_messages.append(message)
                if isinstance(message, dict) and "envelope_id" in message:
                    payload = message.get("payload")
                    self.socket_acks.append(
                        SocketAck(
                            envelope_id=str(message["envelope_id"]),
                            payload=payload if isinstance(payload, dict) else None,
                            raw=message,
                        )
                    )
                await self._notify()
        finally:
            self._sockets.remove(socket)
            await self._notify()
        return socket

    async def _response_url(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else {}
        self.responses.append(
            ResponseUrlPost(
                response_id=request.match_info["response_id"],
                body=body if isinstance(body, dict) else {"body": body},
                headers=dict(request.headers),
            )
        )
        await self._notify()
        return web.Response(text="ok", content_type="text/plain")

    # -- Web API methods -----------------------------------------------------------------

    def _auth_test(self, params: JsonDict) -> JsonDict:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _bot_message(self, channel: str, text: str, params: JsonDict) -> LoggedMessage:
        message = LoggedMessage(
            channel=channel,
            ts=next_ts(),
            text=text,
            user=BOT_USER_ID,
            bot_id=BOT_ID,
            thread_ts=params.get("thread_ts") or None,
            blocks=params.get("blocks"),
            metadata=params.get("metadata"),
        )
        self._remember(message)
        return message

    def _chat_post_message(self, params: JsonDict) -> JsonDict:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        text = params.get("text") or params.get("markdown_text") or ""
        if not text and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        message = self._bot_message(channel, text, params)
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.to_slack()}

    def _own_message(self, params: JsonDict, ts_key: str = "ts") -> LoggedMessage | JsonDict:
        try:
            message = self.message(str(params.get("channel")), str(params.get(ts_key)))
        except KeyError:
            return {"ok": False, "error": "message_not_found"}
        return message

    def _chat_update(self, params: JsonDict) -> JsonDict:
        message = self._own_message(params)
        if not isinstance(message, LoggedMessage):
            return message
        if message.bot_id != BOT_ID:
            return {"ok": False, "error": "cant_update_message"}
        text = params.get("text") or params.get("markdown_text")
        if text is not None:
            message.text = text
        # Slack keeps the previous blocks when chat.update leaves them out.
        if "blocks" in params:
            message.blocks = params["blocks"]
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_slack(),
        }

    def _chat_delete(self, params: JsonDict) -> JsonDict:
        message = self._own_message(params)
        if not isinstance(message, LoggedMessage):
            return message
        if message.bot_id != BOT_ID:
            return {"ok": False, "error": "cant_delete_message"}
        self._log[message.channel].remove(message)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _chat_post_ephemeral(self, params: JsonDict) -> JsonDict:
        if not params.get("user"):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "message_ts": next_ts()}

    def _chat_get_permalink(self, params: JsonDict) -> JsonDict:
        channel = str(params.get("channel", ""))
        ts = str(params.get("message_ts", ""))
        archive = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}"
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"{archive}/p{ts.replace('.', '')}",
        }

    def _chat_start_stream(self, params: JsonDict) -> JsonDict:
        if not self.streaming_enabled:
            return {"ok": False, "error": self.streaming_error}
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        if self.require_stream_recipients and not self._is_im(channel):
            # Guess at the error names: the SDK only documents that these are required.
            for recipient in ("recipient_team_id", "recipient_user_id"):
                if not params.get(recipient):
                    return {"ok": False, "error": f"missing_{recipient}"}
        message = self._bot_message(channel, "", params)
        message.streaming = True
        self._append_stream_text(message, params)
        return {"ok": True, "channel": channel, "ts": message.ts}

    def _streaming_message(self, params: JsonDict) -> LoggedMessage | JsonDict:
        message = self._own_message(params)
        if isinstance(message, LoggedMessage) and not message.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        return message

    def _chat_append_stream(self, params: JsonDict) -> JsonDict:
        message = self._streaming_message(params)
        if not isinstance(message, LoggedMessage):
            return message
        self._append_stream_text(message, params)
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _chat_stop_stream(self, params: JsonDict) -> JsonDict:
        message = self._streaming_message(params)
        if not isinstance(message, LoggedMessage):
            return message
        self._append_stream_text(message, params)
        if "blocks" in params:
            message.blocks = params["blocks"]
        if "metadata" in params:
            message.metadata = params["metadata"]
        message.streaming = False
        message.stopped = True
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "message": message.to_slack(),
        }

    @staticmethod
    def _append_stream_text(message: LoggedMessage, params: JsonDict) -> None:
        # AsyncChatStream sends its buffer as markdown_text chunks, never as markdown_text.
        message.text += str(params.get("markdown_text") or "")
        for chunk in params.get("chunks") or []:
            message.chunks.append(chunk)
            if isinstance(chunk, dict) and chunk.get("type") == "markdown_text":
                message.text += str(chunk.get("text", ""))

    def _reaction_target(self, params: JsonDict) -> LoggedMessage | JsonDict:
        if not params.get("name"):
            return {"ok": False, "error": "invalid_name"}
        return self._own_message(params, ts_key="timestamp")

    def _reactions_add(self, params: JsonDict) -> JsonDict:
        message = self._reaction_target(params)
        if not isinstance(message, LoggedMessage):
            return message
        if params["name"] in message.reactions:
            return {"ok": False, "error": "already_reacted"}
        message.reactions.append(params["name"])
        return {"ok": True}

    def _reactions_remove(self, params: JsonDict) -> JsonDict:
        message = self._reaction_target(params)
        if not isinstance(message, LoggedMessage):
            return message
        if params["name"] not in message.reactions:
            return {"ok": False, "error": "no_reaction"}
        message.reactions.remove(params["name"])
        return {"ok": True}

    def _users_info(self, params: JsonDict) -> JsonDict:
        user = self._users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _conversations_info(self, params: JsonDict) -> JsonDict:
        channel = self._channels.get(str(params.get("channel")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": channel}

    def _conversations_replies(self, params: JsonDict) -> JsonDict:
        channel = str(params.get("channel"))
        ts = str(params.get("ts"))
        thread = self.thread(channel, ts)
        if not any(message.ts == ts for message in thread):
            return {"ok": False, "error": "thread_not_found"}
        messages = [message.to_slack() for message in thread]
        replies = [message for message in thread if message.ts != ts]
        if replies:
            parent = messages[0]
            parent["thread_ts"] = ts
            parent["reply_count"] = len(replies)
            parent["reply_users"] = sorted({m.user for m in replies if m.user is not None})
            parent["latest_reply"] = replies[-1].ts
        for message in messages[1:]:
            parent_user = thread[0].user
            if parent_user is not None:
                message["parent_user_id"] = parent_user
        return {
            "ok": True,
            "messages": messages,
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_history(self, params: JsonDict) -> JsonDict:
        channel = str(params.get("channel"))
        top_level = [
            message.to_slack()
            for message in reversed(self.messages(channel))
            if message.thread_ts in (None, message.ts)
        ]
        return {"ok": True, "messages": top_level, "has_more": False}

    def _files_info(self, params: JsonDict) -> JsonDict:
        file_id = str(params.get("file"))
        if file_id not in self._files:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": self.file_object(file_id),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _apps_connections_open(self, params: JsonDict) -> JsonDict:
        return {"ok": True, "url": self.socket_url}

    # -- helpers -------------------------------------------------------------------------

    def _remember(self, message: LoggedMessage) -> None:
        self._log.setdefault(message.channel, []).append(message)

    def _is_im(self, channel: str) -> bool:
        known = self._channels.get(channel)
        return bool(known["is_im"]) if known is not None else channel.startswith("D")


_HTML_PAGE = "<!DOCTYPE html><html><head><title>{title}</title></head><body>{title}</body></html>"


async def _request_params(request: web.Request) -> JsonDict:
    """Query parameters merged with a form or JSON body (slack_sdk uses all three)."""
    params: JsonDict = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
    for key in _JSON_FIELDS:
        encoded = params.get(key)
        if isinstance(encoded, str) and encoded[:1] in ("[", "{"):
            params[key] = json.loads(encoded)
    return params


# -- signing and payload builders ----------------------------------------------------------


def signed_headers(
    secret: str,
    body: bytes,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Headers Slack sends with an HTTP request: v0 HMAC-SHA256 signature and its timestamp."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Signature": signature,
        "X-Slack-Request-Timestamp": str(ts),
        "Content-Type": content_type,
    }


def new_event_id() -> str:
    """An Events API event id shaped like Slack's ("Ev" + 10 upper-case alphanumerics)."""
    return "Ev" + uuid.uuid4().hex[:10].upper()


def _authorizations(team_id: str) -> list[JsonDict]:
    return [
        {
            "enterprise_id": None,
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]


def event_callback(
    event: JsonDict, team_id: str = TEAM_ID, event_id: str | None = None
) -> JsonDict:
    """The Events API HTTP body ("type": "event_callback") wrapping one event."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id if event_id is not None else new_event_id(),
        "event_time": int(time.time()),
        "authorizations": _authorizations(team_id),
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }


def events_api_envelope(
    event: JsonDict,
    team_id: str = TEAM_ID,
    event_id: str | None = None,
    retry_attempt: int = 0,
) -> JsonDict:
    """A Socket Mode "events_api" envelope; send it with `api.socket_send`."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "payload": event_callback(event, team_id=team_id, event_id=event_id),
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": "timeout" if retry_attempt else "",
    }


def url_verification(challenge: str = "challenge-token") -> JsonDict:
    """The body Slack POSTs when the Request URL is configured."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def rich_text_blocks(text: str) -> list[JsonDict]:
    """The rich_text block Slack attaches to a user's message, parsed from its markup."""
    elements: list[JsonDict] = []
    position = 0
    for match in _MARKUP.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": text[position : match.start()]})
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            elements.append({"type": "user", "user_id": target})
        elif sigil == "#":
            elements.append({"type": "channel", "channel_id": target})
        elif sigil == "!":
            elements.append({"type": "broadcast", "range": target})
        else:
            link: JsonDict = {"type": "link", "url": target}
            if label:
                link["text"] = label
            elements.append(link)
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": text[position:]})
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group", "C": "channel"}.get(channel[:1], "channel")


def app_mention_event(
    text: str = "<@UBOT> when is the freeze? see <https://example.com|the doc> in <#C123|general>",
    user: str = "U123",
    channel: str = "C123",
    ts: str | None = None,
    thread_ts: str | None = None,
    team: str = TEAM_ID,
) -> JsonDict:
    """An app_mention event as Slack sends it (with markup text and rich_text blocks)."""
    message_ts = ts if ts is not None else next_ts()
    event: JsonDict = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": message_ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": team,
        "blocks": rich_text_blocks(text),
        "channel": channel,
        "event_ts": message_ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = user
    return event


def message_event(
    text: str = "hello",
    user: str | None = "U123",
    channel: str = "C123",
    ts: str | None = None,
    thread_ts: str | None = None,
    *,
    subtype: str | None = None,
    bot_id: str | None = None,
    files: Iterable[JsonDict] | None = None,
    channel_type: str | None = None,
    team: str = TEAM_ID,
) -> JsonDict:
    """A message event; `files` make it a file_share, `subtype="bot_message"` a classic bot's."""
    message_ts = ts if ts is not None else next_ts()
    file_list = list(files) if files is not None else None
    if file_list and subtype is None:
        subtype = "file_share"
    event: JsonDict = {"type": "message", "text": text, "ts": message_ts}
    if subtype is not None:
        event["subtype"] = subtype
    if subtype == "bot_message":
        event["bot_id"] = bot_id if bot_id is not None else "B999"
        event["username"] = "otherbot"
    else:
        if user is not None:
            event["user"] = user
        if bot_id is not None:
            # Modern bot posts: no subtype, a bot user plus bot_id and app_id.
            event["bot_id"] = bot_id
            event["app_id"] = "A999"
        else:
            event["client_msg_id"] = str(uuid.uuid4())
            event["blocks"] = rich_text_blocks(text) if text else []
        event["team"] = team
    if file_list is not None:
        event["files"] = file_list
        event["upload"] = False
        event["display_as_bot"] = False
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        if user is not None:
            event["parent_user_id"] = user
    event["channel"] = channel
    event["event_ts"] = message_ts
    event["channel_type"] = channel_type if channel_type is not None else _channel_type(channel)
    return event


def file_deleted_event(
    file_id: str, user_id: str = "U123", channel_ids: Iterable[str] = ("C123",)
) -> JsonDict:
    """A file_deleted event."""
    return {
        "type": "file_deleted",
        "file_id": file_id,
        "user_id": user_id,
        "file": {"id": file_id},
        "channel_ids": list(channel_ids),
        "event_ts": next_ts(),
    }


def slash_command_form(
    command: str = "/rag",
    text: str = "sources",
    user_id: str = "U123",
    channel_id: str = "C123",
    team_id: str = TEAM_ID,
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str = "1234.5678.abcdef",
    user_name: str = "alice",
    channel_name: str = "general",
) -> bytes:
    """A slash command body, form-encoded exactly as Slack POSTs it."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields).encode()


def block_actions_payload(
    action_id: str,
    value: str,
    user_id: str = "U123",
    channel_id: str = "C123",
    message_ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    block_id: str = "actions",
    response_url: str = DEFAULT_RESPONSE_URL,
    message_text: str = "answer",
) -> JsonDict:
    """The block_actions payload of a button click on one of the bot's messages."""
    message: JsonDict = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "text": message_text,
        "ts": message_ts,
        "team": team_id,
        "blocks": [
            {
                "type": "actions",
                "block_id": block_id,
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "text": {"type": "plain_text", "text": value, "emoji": True},
                        "value": value,
                    }
                ],
            }
        ],
    }
    container: JsonDict = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": "1234.5678.abcdef",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": next_ts(),
            }
        ],
    }


def block_actions_form(
    action_id: str,
    value: str,
    user_id: str = "U123",
    channel_id: str = "C123",
    message_ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    block_id: str = "actions",
    response_url: str = DEFAULT_RESPONSE_URL,
) -> bytes:
    """A button click body as Slack POSTs it: form-encoded `payload=<json>`."""
    payload = block_actions_payload(
        action_id,
        value,
        user_id=user_id,
        channel_id=channel_id,
        message_ts=message_ts,
        thread_ts=thread_ts,
        team_id=team_id,
        block_id=block_id,
        response_url=response_url,
    )
    return urlencode({"payload": json.dumps(payload)}).encode()
