"""The real slack-bolt app in HTTP mode against a fake Slack Web API on 127.0.0.1: signed
events, retries, slash commands and clicks reach the core once, and its replies reach Slack
as the calls a workspace expects."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.slack import SlackBot, SlackConfig
from bots.slack import serve_http
from core.models import ChannelRef, IncomingAction, IncomingMessage
from core.ports import ChatClient
from tests.core.conftest import TOWER, Harness, build_harness
from tests.fakes import ScriptedModel
from tests.support.fake_slack import (
    SLACK_ENVIRONMENT_VARIABLES,
    FakeSlackApi,
    LoggedMessage,
    app_mention_event,
    event_callback,
    events_api_envelope,
    file_deleted_event,
    message_event,
    signed_headers,
)

SECRET = "signing-secret"
pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class Workspace:
    """A fake Slack, the bolt app serving it, and the bot behind it."""

    api: FakeSlackApi
    slack: SlackBot
    harness: Harness
    url: str
    done: asyncio.Queue[str]
    gate: asyncio.Event
    delivered: list[IncomingMessage]

    async def deliver(
        self,
        body: dict[str, object],
        retry: int = 0,
        secret: str = SECRET,
        timestamp: int | None = None,
    ) -> int:
        """POST a signed Events API body; return the HTTP status."""
        raw = json.dumps(body).encode()
        headers = signed_headers(secret, raw, timestamp)
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=raw, headers=headers) as response,
        ):
            return response.status

    async def handled(self) -> str:
        """Wait until the core finished one delivery; its message id."""
        return await asyncio.wait_for(self.done.get(), 20)


@pytest_asyncio.fixture(loop_scope="session")
async def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Workspace]:
    for name in SLACK_ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    harness = build_harness(
        tmp_path, model=ScriptedModel("The tower was built in 1887 [1].", "It is in Vellmora.")
    )
    done: asyncio.Queue[str] = asyncio.Queue()
    gate = asyncio.Event()
    gate.set()
    delivered: list[IncomingMessage] = []

    async def on_message(message: IncomingMessage, chat: ChatClient) -> None:
        # A test holds the gate to see what Slack got before the core did any work.
        await gate.wait()
        delivered.append(message)
        await harness.bot.handle(message, chat)
        done.put_nowait(message.message_id)

    async def on_action(action: IncomingAction, chat: ChatClient) -> None:
        await harness.bot.handle_action(action, chat)
        done.put_nowait(action.action_id)

    async def on_file_deleted(workspace: str, file_id: str) -> None:
        await harness.bot.forget_shared_file("slack", workspace, file_id)
        done.put_nowait(f"deleted:{file_id}")

    async def on_message_deleted(channel: ChannelRef, message_id: str) -> None:
        await harness.bot.forget_message(channel, message_id)
        done.put_nowait(f"forgot:{channel.channel}/{message_id}")

    async with FakeSlackApi() as api:
        api.add_user("U123", "mina", is_admin=False)
        api.add_user("UADMIN", "boss", is_admin=True)
        api.add_channel("C123", "general")
        config = SlackConfig(bot_token=api.bot_token, signing_secret=SECRET, api_url=api.base_url)
        slack = SlackBot(
            config,
            on_message,
            on_action,
            on_file_deleted=on_file_deleted,
            on_message_deleted=on_message_deleted,
        )
        await slack.connect()
        runner = await serve_http(slack, "127.0.0.1", 0)
        port = runner.addresses[0][1]
        try:
            yield Workspace(
                api, slack, harness, f"http://127.0.0.1:{port}/slack/events", done, gate, delivered
            )
        finally:
            await runner.cleanup()


GENERAL = ChannelRef("slack", "T1", "C123")


def shown(message: LoggedMessage) -> str:
    """What Slack shows of a bot message: its markdown block, else its (streamed) text."""
    blocks = message.blocks or []
    return str(blocks[0]["text"]) if blocks and blocks[0]["type"] == "markdown" else message.text


async def index_tower(workspace: Workspace) -> None:
    await workspace.harness.share(workspace.harness.write("tower.txt", TOWER), channel=GENERAL)


async def test_a_mention_gets_a_reaction_then_an_answer_in_its_thread_with_linked_sources(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    api = workspace.api
    mention = app_mention_event("<@UBOT> When was the Glimmerstone Tower built?")

    assert await workspace.deliver(event_callback(mention)) == 200
    await workspace.handled()

    reaction = api.calls_to("reactions.add")[0]
    assert reaction.params["timestamp"] == mention["ts"] and reaction.params["name"] == "eyes"
    placeholder = api.calls_to("chat.postMessage")[0]
    assert placeholder.params["thread_ts"] == mention["ts"]
    replies = [m for m in api.thread("C123", str(mention["ts"])) if m.bot_id or m.user == "UBOT"]
    assert len(replies) == 1, "one answer message, edited as it streamed"
    blocks = replies[0].blocks or []
    assert blocks[0]["type"] == "markdown"
    assert blocks[0]["text"].startswith("The tower was built in 1887")
    context = next(block for block in blocks if block["type"] == "context")
    assert any("tower.txt" in element["text"] for element in context["elements"])
    assert any(block["type"] == "actions" for block in blocks)
    # The question reached the core as words: no bot mention, its author resolved.
    prompt = " ".join(turn.content for turn in workspace.harness.model.prompts[-1])
    assert "When was the Glimmerstone Tower built?" in prompt and "<@UBOT>" not in prompt


async def test_a_retry_and_the_message_copy_of_a_mention_get_no_second_answer(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    mention = app_mention_event("<@UBOT> When was the Glimmerstone Tower built?")
    copy = message_event(mention["text"], ts=mention["ts"])

    await workspace.deliver(event_callback(mention))
    await workspace.handled()
    assert await workspace.deliver(event_callback(mention), retry=1) == 200
    await workspace.deliver(event_callback(copy))
    await workspace.handled()

    assert workspace.harness.model.questions_asked == 1
    assert len(workspace.api.calls_to("reactions.add")) == 1


async def test_a_badly_signed_event_gets_401_and_reaches_no_handler(workspace: Workspace) -> None:
    mention = app_mention_event("<@UBOT> hello?")

    status = await workspace.deliver(event_callback(mention), secret="wrong")

    assert status == 401
    assert workspace.done.empty()
    assert workspace.api.calls_to("reactions.add") == []


async def test_a_signature_older_than_five_minutes_gets_401(workspace: Workspace) -> None:
    mention = app_mention_event("<@UBOT> hello?")

    status = await workspace.deliver(event_callback(mention), timestamp=int(time.time()) - 400)

    assert status == 401
    assert workspace.done.empty()


async def test_a_link_shared_in_passing_reaches_the_core_as_an_unaddressed_message(
    workspace: Workspace,
) -> None:
    await workspace.deliver(
        event_callback(message_event("slides from today <https://example.com/deck.pdf|deck>"))
    )
    await workspace.handled()

    (message,) = workspace.delivered
    assert not message.addressed
    assert "https://example.com/deck.pdf" in message.text


async def test_messages_of_bots_and_plain_channel_chatter_are_not_answered(
    workspace: Workspace,
) -> None:
    await workspace.deliver(event_callback(message_event("hello all")))
    await workspace.deliver(event_callback(message_event("beep", subtype="bot_message")))
    await workspace.deliver(event_callback(message_event("me", user="UBOT", bot_id="BBOT")))
    await workspace.api.wait_for("auth.test")

    assert workspace.done.empty()
    assert workspace.api.calls_to("chat.postMessage") == []


async def post_form(workspace: Workspace, body: bytes) -> tuple[int, str]:
    """POST a signed form (a slash command, a click); the status and the ack's body."""
    headers = signed_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
    async with (
        aiohttp.ClientSession() as session,
        session.post(workspace.url, data=body, headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_slash_sources_is_acked_before_the_work_and_answered_only_to_its_user(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    workspace.gate.clear()

    status, _ = await post_form(workspace, workspace.api.slash_command_form(text="sources"))
    # The ack came back while the core was held from starting.
    assert status == 200
    assert workspace.api.calls_to("chat.postEphemeral") == []
    workspace.gate.set()

    ephemeral = await workspace.api.wait_for("chat.postEphemeral")
    assert len(ephemeral) == 1
    assert ephemeral[0].params["user"] == "U123"
    assert "tower.txt" in str(ephemeral[0].params["text"])
    assert workspace.api.calls_to("chat.postMessage") == []


async def test_reset_by_a_member_is_refused_and_an_admin_gets_a_confirm_button(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)

    await post_form(
        workspace,
        workspace.api.slash_command_form(text="reset", user_id="U123", trigger_id="111.1.a"),
    )
    await workspace.api.wait_for("chat.postEphemeral")
    await post_form(
        workspace,
        workspace.api.slash_command_form(text="reset", user_id="UADMIN", trigger_id="111.2.b"),
    )

    refused, asked = await workspace.api.wait_for("chat.postEphemeral", count=2)
    assert "admin" in str(refused.params["text"]).lower()
    assert asked.params["user"] == "UADMIN"
    buttons = [block for block in asked.params["blocks"] if block["type"] == "actions"]
    confirm = buttons[0]["elements"][0]
    assert confirm["action_id"].startswith("reset_confirm")

    for clicker in ("U123", "UADMIN"):
        click = workspace.api.block_actions_form(
            confirm["action_id"], confirm["value"], user_id=clicker
        )
        await post_form(workspace, click)
        await workspace.handled()

    refused_click = workspace.api.calls_to("chat.postEphemeral")[-1]
    assert refused_click.params["user"] == "U123" and "admin" in str(refused_click.params["text"])
    done = workspace.api.calls_to("chat.postMessage")[-1]
    assert "1 sources, its memory and the conversation are" in str(done.params["text"])
    await workspace.harness.say("sources", channel=GENERAL)
    assert "no sources yet" in workspace.harness.chat.last()


async def test_regenerate_replaces_the_answer_in_place(workspace: Workspace) -> None:
    await index_tower(workspace)
    mention = app_mention_event("<@UBOT> When was the Glimmerstone Tower built?")
    await workspace.deliver(event_callback(mention))
    await workspace.handled()
    answer = workspace.api.calls_to("chat.update")[-1]
    regenerate = next(
        element
        for block in answer.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    )
    posts = len(workspace.api.calls_to("chat.postMessage"))

    click = workspace.api.block_actions_form(
        regenerate["action_id"],
        regenerate["value"],
        message_ts=str(answer.params["ts"]),
        thread_ts=str(mention["ts"]),
    )
    status, _ = await post_form(workspace, click)
    await workspace.handled()

    assert status == 200
    assert len(workspace.api.calls_to("chat.postMessage")) == posts
    final = workspace.api.message("C123", str(answer.params["ts"]))
    assert final.blocks is not None and final.blocks[0]["text"].startswith("It is in Vellmora.")


async def test_a_reply_in_a_thread_the_bot_answered_before_sees_that_threads_messages(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    api = workspace.api
    root = api.add_message("C123", "<@UBOT> When was the Glimmerstone Tower built?", "U123")
    api.add_message(
        "C123",
        "It was built in 1887.",
        "UBOT",
        thread_ts=root,
        blocks=[{"type": "markdown", "text": "It was built in 1887."}],
    )
    api.add_user("U2", "jun")
    api.add_message("C123", "and <@U2> asks who built it", "U2", thread_ts=root)
    follow_up = message_event("And who built the Glimmerstone Tower?", thread_ts=root)

    await workspace.deliver(event_callback(follow_up))
    await workspace.handled()

    prompt = " ".join(turn.content for turn in workspace.harness.model.prompts[-1])
    assert "When was the Glimmerstone Tower built?" in prompt
    assert "It was built in 1887." in prompt
    # The thread was read from Slack, not from what this process remembered.
    assert api.calls_to("conversations.replies")


async def test_a_file_shared_in_the_channel_is_downloaded_with_the_bot_token_and_indexed(
    workspace: Workspace,
) -> None:
    api = workspace.api
    api.add_file("F1", "tower.txt", TOWER.encode(), "text/plain")
    shared = message_event("", files=[api.file_object("F1")])

    await workspace.deliver(event_callback(shared))
    await workspace.handled()

    download = api.downloads[0]
    assert download.file_id == "F1" and download.authorized
    # One status message in the thread: downloading, then edited to the outcome.
    status = api.calls_to("chat.postMessage")[-1]
    assert status.params["thread_ts"] == shared["ts"]
    assert "Downloading *tower.txt*" in str(status.params["text"])
    outcome = api.calls_to("chat.update")[-1]
    assert outcome.params["ts"] == api.messages("C123")[-1].ts
    assert "Indexed *tower.txt*" in str(outcome.params["text"])
    await workspace.harness.say("sources", channel=GENERAL)
    assert "tower.txt" in workspace.harness.chat.last()


async def test_a_file_over_the_cap_is_refused_before_it_is_downloaded(
    workspace: Workspace,
) -> None:
    api = workspace.api
    api.add_file("F2", "huge.txt", b"x" * (2 * 1024 * 1024), "text/plain")
    shared = message_event("", files=[api.file_object("F2")])

    await workspace.deliver(event_callback(shared))
    await workspace.handled()

    assert api.downloads == []
    reply = api.calls_to("chat.postMessage")[-1]
    assert "huge.txt is 2.0 MB; the limit is 1.0 MB" in str(reply.params["text"])


async def test_socket_mode_acks_an_envelope_and_the_answer_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SLACK_ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    harness = build_harness(tmp_path, model=ScriptedModel("The tower was built in 1887 [1]."))
    done: asyncio.Queue[str] = asyncio.Queue()

    async def on_message(message: IncomingMessage, chat: ChatClient) -> None:
        await harness.bot.handle(message, chat)
        done.put_nowait(message.message_id)

    async with FakeSlackApi() as api:
        config = SlackConfig(bot_token=api.bot_token, api_url=api.base_url, verify_requests=False)
        slack = SlackBot(config, on_message, harness.bot.handle_action)
        await slack.connect()
        await harness.share(harness.write("tower.txt", TOWER), channel=GENERAL)
        handler = AsyncSocketModeHandler(slack.app, api.app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        try:
            mention = app_mention_event("<@UBOT> When was the Glimmerstone Tower built?")
            envelope = events_api_envelope(mention)
            await api.socket_send(envelope)
            await api.wait_for_ack(str(envelope["envelope_id"]))
            await asyncio.wait_for(done.get(), 20)
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]

        answer = [m for m in api.thread("C123", str(mention["ts"])) if m.user == "UBOT" or m.bot_id]
        assert answer and answer[0].blocks is not None
        assert answer[0].blocks[0]["text"].startswith("The tower was built in 1887")


async def test_the_same_channel_id_in_another_workspace_does_not_see_these_sources(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    other_team = app_mention_event("<@UBOT> When was the Glimmerstone Tower built?", team="T2")
    other_channel = app_mention_event(
        "<@UBOT> When was the Glimmerstone Tower built?", channel="C999"
    )

    await workspace.deliver(event_callback(other_team, team_id="T2"))
    await workspace.handled()
    await workspace.deliver(event_callback(other_channel))
    await workspace.handled()

    for event in (other_team, other_channel):
        replies = workspace.api.thread(str(event["channel"]), str(event["ts"]))
        bot_replies = [m for m in replies if m.user == "UBOT" or m.bot_id]
        assert bot_replies and "hold nothing on that" in shown(bot_replies[-1])
    assert workspace.harness.model.questions_asked == 0


async def test_a_missing_scope_is_told_in_the_files_thread_in_the_language_of_the_message(
    workspace: Workspace,
) -> None:
    api = workspace.api
    api.add_file("F3", "회의록.txt", "회의는 월요일입니다.".encode(), "text/plain")
    api.fail_next("files.info", "missing_scope")
    shared = message_event("회의록 공유합니다", files=[api.file_object("F3")])

    await workspace.deliver(event_callback(shared))
    await workspace.handled()

    status = api.calls_to("chat.postMessage")[-1]
    assert status.params["thread_ts"] == shared["ts"]
    outcome = api.calls_to("chat.update")[-1]
    assert "`files:read` 권한이 없습니다" in str(outcome.params["text"])
    assert api.downloads == []


async def test_a_message_deleted_in_slack_is_handed_to_the_core_to_leave_the_memory(
    workspace: Workspace,
) -> None:
    deleted = message_event("", subtype="message_deleted")
    deleted["deleted_ts"] = "1700000000.000500"

    await workspace.deliver(event_callback(deleted))

    assert await workspace.handled() == "forgot:C123/C123:1700000000.000500"
    assert workspace.delivered == []


async def test_a_file_deleted_in_slack_leaves_every_channel_that_indexed_it(
    workspace: Workspace,
) -> None:
    api = workspace.api
    api.add_file("F4", "tower.txt", TOWER.encode(), "text/plain")
    for channel in ("C123", "C777"):
        shared = message_event("", channel=channel, files=[api.file_object("F4")])
        await workspace.deliver(event_callback(shared))
        await workspace.handled()
        await workspace.harness.say("sources", channel=ChannelRef("slack", "T1", channel))
        assert "tower.txt" in workspace.harness.chat.last()

    await workspace.deliver(event_callback(file_deleted_event("F4")))
    assert await workspace.handled() == "deleted:F4"

    for channel in ("C123", "C777"):
        await workspace.harness.say("sources", channel=ChannelRef("slack", "T1", channel))
        assert "tower.txt" not in workspace.harness.chat.last()


async def test_a_429_from_slack_is_waited_out_and_the_answer_still_arrives(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    api = workspace.api
    api.rate_limit_next("chat.postMessage", retry_after=0)
    api.rate_limit_next("chat.update", retry_after=0)
    mention = app_mention_event("<@UBOT> When was the Glimmerstone Tower built?")

    await workspace.deliver(event_callback(mention))
    await workspace.handled()

    assert len(api.calls_to("chat.postMessage")) == 2, "the rate-limited post was retried"
    replies = [m for m in api.thread("C123", str(mention["ts"])) if m.user == "UBOT"]
    assert len(replies) == 1 and replies[0].blocks is not None
    assert replies[0].blocks[0]["text"].startswith("The tower was built in 1887")


async def test_an_answer_streams_natively_to_the_asker_and_the_placeholder_goes(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    api = workspace.api
    mention = api.seed_event(app_mention_event("<@UBOT> When was the Glimmerstone Tower built?"))

    await workspace.deliver(event_callback(mention))
    await workspace.handled()

    (start,) = api.calls_to("chat.startStream")
    assert start.params["thread_ts"] == mention["ts"]
    assert (start.params["recipient_user_id"], start.params["recipient_team_id"]) == ("U123", "T1")
    assert api.calls_to("chat.stopStream")
    assert len(api.calls_to("chat.delete")) == 1, "the placeholder was removed"
    replies = [m for m in api.thread("C123", str(mention["ts"])) if m.user == "UBOT"]
    assert len(replies) == 1 and shown(replies[0]).startswith("The tower was built in 1887")


async def test_where_streaming_is_not_allowed_answers_are_edited_in_and_it_is_not_retried(
    workspace: Workspace,
) -> None:
    await index_tower(workspace)
    api = workspace.api
    api.streaming_enabled = False

    for question in (
        "When was the Glimmerstone Tower built?",
        "Where does the Glimmerstone Tower stand?",
    ):
        mention = app_mention_event(f"<@UBOT> {question}")
        await workspace.deliver(event_callback(mention))
        await workspace.handled()

    assert len(api.calls_to("chat.startStream")) == 1
    assert api.calls_to("chat.appendStream") == []
    replies = [m for m in api.thread("C123", str(mention["ts"])) if m.user == "UBOT"]
    assert len(replies) == 1 and shown(replies[0]).startswith("It is in Vellmora.")
