"""The Slack fakes drive the real slack_sdk and slack-bolt clients end to end on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.support.fake_slack import (
    BOT_ID,
    BOT_USER_ID,
    SLACK_ENVIRONMENT_VARIABLES,
    FakeSlackApi,
    app_mention_event,
    event_callback,
    events_api_envelope,
    message_event,
    signed_headers,
    url_verification,
)

SECRET = "signing-secret"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def clean_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxies and OAuth settings from the developer's shell change how the clients behave."""
    for name in SLACK_ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


def web_client(api: FakeSlackApi, **options: Any) -> AsyncWebClient:
    return AsyncWebClient(token=api.bot_token, base_url=api.base_url, **options)


def bolt_app(api: FakeSlackApi) -> AsyncApp:
    return AsyncApp(signing_secret=SECRET, client=web_client(api))


@asynccontextmanager
async def serve_http(app: AsyncApp) -> AsyncIterator[str]:
    """Bolt's own aiohttp app on an ephemeral loopback port; yields the events URL."""
    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    finally:
        await runner.cleanup()


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_the_web_client_posts_updates_and_reads_its_own_replies_in_the_thread(
    api: FakeSlackApi,
) -> None:
    client = web_client(api)
    parent = api.add_message("C123", "<@UBOT> when is the freeze?", "U123")

    posted = await client.chat_postMessage(channel="C123", text="Thinking…", thread_ts=parent)
    await client.chat_update(channel="C123", ts=posted["ts"], text="The freeze is on Friday.")
    replies = await client.conversations_replies(channel="C123", ts=parent)

    messages = replies["messages"]
    assert [m["ts"] for m in messages] == [parent, posted["ts"]]
    assert float(parent) < float(posted["ts"])
    assert messages[0]["reply_count"] == 1
    assert messages[1]["text"] == "The freeze is on Friday."
    assert (messages[1]["user"], messages[1]["bot_id"]) == (BOT_USER_ID, BOT_ID)
    assert posted["message"]["thread_ts"] == parent
    assert api.calls_to("chat.update")[0].params["ts"] == posted["ts"]


async def test_reactions_permalinks_and_deletes_answer_like_slack(api: FakeSlackApi) -> None:
    client = web_client(api)
    ts = api.add_message("C123", "hi", "U123")

    await client.reactions_add(channel="C123", timestamp=ts, name="eyes")
    with pytest.raises(SlackApiError) as twice:
        await client.reactions_add(channel="C123", timestamp=ts, name="eyes")
    await client.reactions_remove(channel="C123", timestamp=ts, name="eyes")
    link = await client.chat_getPermalink(channel="C123", message_ts=ts)
    ephemeral = await client.chat_postEphemeral(channel="C123", user="U123", text="only you")
    posted = await client.chat_postMessage(channel="C123", text="bye")
    await client.chat_delete(channel="C123", ts=posted["ts"])

    assert twice.value.response["error"] == "already_reacted"
    assert link["permalink"] == f"https://test.slack.com/archives/C123/p{ts.replace('.', '')}"
    assert ephemeral["message_ts"]
    assert [m.ts for m in api.messages("C123")] == [ts]
    # slack_sdk sends reactions.add's arguments as a query string on a POST.
    assert api.calls_to("reactions.add")[0].params["name"] == "eyes"


async def test_the_web_client_streams_a_reply_with_start_append_and_stop(
    api: FakeSlackApi,
) -> None:
    client = web_client(api)
    parent = api.add_message("C123", "question", "U123")
    started = await client.chat_startStream(
        channel="C123",
        thread_ts=parent,
        markdown_text="The ",
        recipient_team_id="T1",
        recipient_user_id="U123",
    )
    await client.chat_appendStream(channel="C123", ts=started["ts"], markdown_text="freeze ")
    stopped = await client.chat_stopStream(
        channel="C123",
        ts=started["ts"],
        markdown_text="is Friday.",
        blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": "[1] doc"}]}],
    )
    with pytest.raises(SlackApiError) as after_stop:
        await client.chat_appendStream(channel="C123", ts=started["ts"], markdown_text="more")

    message = api.message("C123", started["ts"])
    assert message.text == "The freeze is Friday."
    assert message.stopped and message.thread_ts == parent
    assert stopped["message"]["blocks"][0]["type"] == "context"
    assert after_stop.value.response["error"] == "message_not_in_streaming_state"


async def test_the_chat_stream_helper_sends_chunks_the_fake_assembles(api: FakeSlackApi) -> None:
    client = web_client(api)
    parent = api.add_message("D1", "question", "U123")

    streamer = await client.chat_stream(channel="D1", thread_ts=parent, buffer_size=4)
    await streamer.append(markdown_text="Hello")
    await streamer.append(markdown_text=", world")
    await streamer.stop(markdown_text="!")

    assert [c.method for c in api.calls] == [
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
    ]
    assert api.calls_to("chat.startStream")[0].params["chunks"][0]["type"] == "markdown_text"
    assert api.message("D1", str(streamer.ts)).text == "Hello, world!"


async def test_streaming_is_refused_where_the_workspace_lacks_it(api: FakeSlackApi) -> None:
    api.streaming_enabled = False
    parent = api.add_message("D1", "question", "U123")

    with pytest.raises(SlackApiError) as refused:
        await web_client(api).chat_startStream(channel="D1", thread_ts=parent)

    assert refused.value.response["error"] == "feature_not_enabled"


async def test_streaming_to_a_channel_needs_the_recipient(api: FakeSlackApi) -> None:
    parent = api.add_message("C123", "question", "U123")

    with pytest.raises(SlackApiError) as refused:
        await web_client(api).chat_startStream(channel="C123", thread_ts=parent)

    assert refused.value.response["error"] == "missing_recipient_team_id"


async def test_files_download_with_the_bot_token_and_are_forbidden_without_it(
    api: FakeSlackApi,
) -> None:
    api.add_file("F1", "notes.txt", b"freeze on Friday", "text/plain")
    info = await web_client(api).files_info(file="F1")
    url = info["file"]["url_private_download"]

    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Authorization": "Bearer xoxb-test"}) as good:
            content = await good.read()
        async with session.get(url) as bad:
            bad_type, bad_status = bad.content_type, bad.status

    assert url == f"{api.root_url}/files/F1/notes.txt"
    assert info["file"]["size"] == len(content)
    assert content == b"freeze on Friday"
    assert (bad_status, bad_type) == (403, "text/html")
    assert [d.authorized for d in api.downloads] == [True, False]


async def test_the_retry_handler_waits_out_a_rate_limit(api: FakeSlackApi) -> None:
    client = web_client(api, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
    # Retry-After 0 keeps the handler's sleep under a second (it adds up to 1 s of jitter).
    api.rate_limit_next("chat.postMessage", retry_after=0)

    posted = await client.chat_postMessage(channel="C123", text="hello")

    assert posted["ok"]
    assert len(api.calls_to("chat.postMessage")) == 2


async def test_a_rate_limit_without_a_retry_handler_raises_with_retry_after(
    api: FakeSlackApi,
) -> None:
    api.rate_limit_next("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as limited:
        await web_client(api).chat_postMessage(channel="C123", text="hello")

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"


async def test_injected_failures_unknown_methods_and_bad_tokens_answer_errors(
    api: FakeSlackApi,
) -> None:
    api.fail_next("chat.postMessage", error="not_in_channel")
    client = web_client(api)

    with pytest.raises(SlackApiError) as failed:
        await client.chat_postMessage(channel="C123", text="hello")
    second = await client.chat_postMessage(channel="C123", text="hello")
    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("chat.frobnicate")
    with pytest.raises(SlackApiError) as bad_token:
        await AsyncWebClient(token="xoxb-wrong", base_url=api.base_url).auth_test()

    assert failed.value.response["error"] == "not_in_channel"
    assert second["ok"]
    assert unknown.value.response["error"] == "unknown_method"
    assert bad_token.value.response["error"] == "invalid_auth"
    assert [c.method for c in api.calls].count("chat.frobnicate") == 1


async def test_users_and_channels_answer_what_the_test_seeded(api: FakeSlackApi) -> None:
    api.add_user("U123", "alice", is_admin=True)
    api.add_channel("D1", "alice", is_im=True)
    client = web_client(api)

    user = await client.users_info(user="U123")
    channel = await client.conversations_info(channel="D1")
    with pytest.raises(SlackApiError) as missing:
        await client.users_info(user="U404")

    assert user["user"]["is_admin"] and user["user"]["profile"]["display_name"] == "alice"
    assert channel["channel"]["is_im"]
    assert missing.value.response["error"] == "user_not_found"
    assert api.calls_to("users.info")[0].http_method == "GET"


async def test_wait_for_times_out_with_the_calls_seen_so_far(api: FakeSlackApi) -> None:
    await web_client(api).auth_test()

    with pytest.raises(TimeoutError, match=r"auth\.test"):
        await api.wait_for("chat.postMessage", timeout=0.05)


async def test_bolt_http_mode_accepts_a_signed_event_and_rejects_a_bad_signature(
    api: FakeSlackApi,
) -> None:
    app = bolt_app(api)
    mentions: list[str] = []

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], say: Any) -> None:
        mentions.append(event["text"])
        await say(text="On it", thread_ts=event["ts"])

    event = api.seed_event(app_mention_event())
    body = json.dumps(event_callback(event)).encode()
    async with serve_http(app) as url:
        rejected, _ = await post(url, body, signed_headers("wrong-secret", body))
        accepted, _ = await post(url, body, signed_headers(SECRET, body))
        replies = await api.wait_for("chat.postMessage")

    assert (rejected, accepted) == (401, 200)
    assert mentions == [event["text"]]
    assert replies[0].params["thread_ts"] == event["ts"]
    assert api.calls_to("auth.test")


async def test_bolt_answers_a_signed_url_verification_with_the_challenge(
    api: FakeSlackApi,
) -> None:
    body = json.dumps(url_verification("abc")).encode()
    async with serve_http(bolt_app(api)) as url:
        status, text = await post(url, body, signed_headers(SECRET, body))

    assert (status, json.loads(text)) == (200, {"challenge": "abc"})


def test_mention_markup_becomes_rich_text_elements() -> None:
    event = app_mention_event()

    elements = event["blocks"][0]["elements"][0]["elements"]

    assert event["text"].startswith("<@UBOT> ")
    assert [e["type"] for e in elements] == ["user", "text", "link", "text", "channel"]
    assert elements[2] == {"type": "link", "url": "https://example.com", "text": "the doc"}
    assert elements[4] == {"type": "channel", "channel_id": "C123"}


async def test_a_message_with_files_is_a_file_share_from_a_user(api: FakeSlackApi) -> None:
    api.add_file("F1", "notes.txt", b"x", "text/plain")

    event = message_event("see attached", files=[api.file_object("F1")], channel="D1")

    assert (event["subtype"], event["channel_type"], event["user"]) == ("file_share", "im", "U123")
    assert event["files"][0]["url_private_download"].startswith(api.root_url)


async def test_bolt_drops_the_bots_own_messages(api: FakeSlackApi) -> None:
    app = bolt_app(api)
    seen: list[str] = []
    theirs_arrived = asyncio.Event()

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event["text"])
        theirs_arrived.set()

    own = message_event("mine", user=BOT_USER_ID, bot_id=BOT_ID)
    other = message_event("theirs")
    async with serve_http(app) as url:
        # Bolt drops self events in middleware, before its HTTP answer: the order is enough.
        for event in (own, other):
            body = json.dumps(event_callback(event)).encode()
            status, _ = await post(url, body, signed_headers(SECRET, body))
            assert status == 200
        await asyncio.wait_for(theirs_arrived.wait(), 10)

    assert seen == ["theirs"]


async def test_bolt_slash_commands_respond_through_the_fake_response_url(
    api: FakeSlackApi,
) -> None:
    app = bolt_app(api)

    @app.command("/rag")
    async def on_rag(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack()
        await respond(text=f"sources for {command['user_id']}")

    body = api.slash_command_form(text="sources")
    async with serve_http(app) as url:
        status, _ = await post(url, body, signed_headers(SECRET, body, content_type=FORM))
        responses = await api.wait_for_response()

    assert status == 200
    assert responses[0].body["text"] == "sources for U123"


async def test_bolt_receives_a_button_click_form(api: FakeSlackApi) -> None:
    app = bolt_app(api)
    values: list[str] = []

    @app.action("feedback")
    async def on_click(ack: Any, action: dict[str, Any], respond: Any) -> None:
        await ack()
        values.append(action["value"])
        await respond(text="thanks", replace_original=False)

    body = api.block_actions_form("feedback", "up", thread_ts="1700000000.000100")
    async with serve_http(app) as url:
        status, _ = await post(url, body, signed_headers(SECRET, body, content_type=FORM))
        await api.wait_for_response()

    assert status == 200
    assert values == ["up"]


async def test_bolt_socket_mode_receives_an_envelope_and_acks_it(api: FakeSlackApi) -> None:
    app = bolt_app(api)
    received = asyncio.Event()

    @app.event("app_mention")
    async def on_mention() -> None:
        received.set()

    handler = AsyncSocketModeHandler(app, app_token=api.app_token)
    # slack-bolt leaves the handler's lifecycle methods unannotated.
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        envelope = events_api_envelope(app_mention_event())
        envelope_id = await api.socket_send(envelope)
        ack = await api.wait_for_ack(envelope_id)
        await asyncio.wait_for(received.wait(), 10)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]

    assert ack.envelope_id == envelope["envelope_id"]
    assert api.calls_to("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-test"
    assert api.socket_connections == 1
