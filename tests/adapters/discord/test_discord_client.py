"""The real discord.py client against a fake Discord on 127.0.0.1: mentions become answers
streamed into a thread, attachments are indexed, /rag is deferred and answered ephemerally,
clicks regenerate, bots are ignored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.discord import DiscordConfig, RagbotDiscord
from core.models import ChannelRef, IncomingAction, IncomingMessage
from core.ports import ChatClient
from tests.core.conftest import TOWER, Harness, build_harness
from tests.fakes import ScriptedModel
from tests.support.fake_discord import (
    ADMIN_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    USER_ID,
    FakeDiscord,
    install,
    message_delete,
    message_reference,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
GENERAL = ChannelRef("discord", GUILD_ID, CHANNEL_ID)


@dataclass
class Server:
    """A fake Discord, the bot logged in to it, and the core behind the bot."""

    fake: FakeDiscord
    client: RagbotDiscord
    harness: Harness
    done: asyncio.Queue[str]
    forgotten: list[tuple[ChannelRef, str]] = field(default_factory=list)

    async def handled(self) -> str:
        return await asyncio.wait_for(self.done.get(), 20)


@pytest_asyncio.fixture(loop_scope="session")
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    harness = build_harness(
        tmp_path, model=ScriptedModel("The tower was built in 1887 [1].", "It is in Vellmora.")
    )
    done: asyncio.Queue[str] = asyncio.Queue()

    async def on_message(message: IncomingMessage, chat: ChatClient) -> None:
        await harness.bot.handle(message, chat)
        done.put_nowait(message.message_id)

    async def on_action(action: IncomingAction, chat: ChatClient) -> None:
        await harness.bot.handle_action(action, chat)
        done.put_nowait(action.action_id)

    async def on_file_deleted(workspace: str, file_id: str) -> None:
        if await harness.bot.forget_shared_file("discord", workspace, file_id):
            done.put_nowait(f"deleted:{file_id}")

    async def on_message_deleted(channel: ChannelRef, message_id: str) -> None:
        forgotten.append((channel, message_id))
        await harness.bot.forget_message(channel, message_id)

    forgotten: list[tuple[ChannelRef, str]] = []

    async with FakeDiscord() as fake:
        with install(fake):
            client = RagbotDiscord(
                DiscordConfig(guild_ready_timeout=0.2),
                on_message,
                on_action,
                harness.bot.source_titles,
                on_file_deleted=on_file_deleted,
                on_message_deleted=on_message_deleted,
            )
            await client.login(fake.token)
            connection = asyncio.create_task(client.connect(reconnect=False))
            ready = asyncio.create_task(client.wait_until_ready())
            finished, _ = await asyncio.wait(
                {connection, ready}, timeout=10, return_when="FIRST_COMPLETED"
            )
            assert ready in finished, "the client did not become ready"
            try:
                yield Server(fake, client, harness, done, forgotten)
            finally:
                await client.close()
                connection.cancel()
                with suppress(asyncio.CancelledError):
                    await connection


async def index_tower(server: Server, channel: ChannelRef = GENERAL) -> None:
    await server.harness.share(server.harness.write("tower.txt", TOWER), channel=channel)


async def test_a_mention_gets_a_reaction_and_a_thread_with_the_streamed_answer_and_sources(
    server: Server,
) -> None:
    await index_tower(server)
    fake = server.fake

    said = await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()

    reactions = fake.calls_to("PUT", "/channels/{c}/messages/{m}/reactions/{e}/@me")
    assert reactions and said["id"] in reactions[0].path
    (thread,) = fake.threads(CHANNEL_ID)
    assert thread["name"] == "When was the Glimmerstone Tower built?"
    (answer,) = fake.bot_messages(str(thread["id"]))
    assert answer.content.startswith("The tower was built in 1887")
    assert "Sources:\n[1] tower.txt" in answer.content
    assert answer.revisions, "the answer was edited in as it streamed"
    assert answer.components, "regenerate and feedback buttons"
    prompt = " ".join(turn.content for turn in server.harness.model.prompts[-1])
    assert f"<@{BOT_USER_ID}>" not in prompt


async def test_an_attachment_is_downloaded_from_the_cdn_and_indexed(server: Server) -> None:
    fake = server.fake
    attachment = fake.add_attachment(CHANNEL_ID, "tower.txt", TOWER.encode(), "text/plain")

    await fake.user_says("notes from the visit", attachments=[attachment])
    await server.handled()

    assert [download.filename for download in fake.downloads] == ["tower.txt"]
    await server.harness.say("sources", channel=GENERAL)
    assert "tower.txt" in server.harness.chat.last()


async def test_messages_of_bots_and_chatter_get_no_reply(server: Server) -> None:
    fake = server.fake
    await fake.user_says("hello everyone")
    robot = fake.add_user("1100000000000000999", "otherbot", bot=True)
    await fake.user_says(f"<@{BOT_USER_ID}> beep", author_id=robot["id"])
    await fake.user_says(f"<@{BOT_USER_ID}> is anyone there?", channel_id=OTHER_CHANNEL_ID)
    await server.handled()

    assert fake.bot_messages(CHANNEL_ID) == []


async def test_slash_sources_is_deferred_then_answered_only_to_its_user(server: Server) -> None:
    await index_tower(server)
    fake = server.fake
    await fake.wait_until(lambda: bool(fake.commands.get(None)))

    payload = fake.interaction_create_command(
        "rag", [{"name": "sources", "type": 1, "options": []}]
    )
    await fake.dispatch("INTERACTION_CREATE", payload)
    (followup,) = await fake.wait_for_followups(payload)

    assert fake.callbacks_for(payload)[0].type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    assert followup.ephemeral and "tower.txt" in fake.original_response(payload).content
    (command,) = fake.commands[None]
    assert command["name"] == "rag"
    assert {option["name"] for option in command["options"]} >= {
        "help",
        "sources",
        "forget",
        "reset",
        "settings",
        "ask",
        "memory",
        "forget-memory",
    }


async def test_reset_by_a_member_without_permission_is_refused(server: Server) -> None:
    await index_tower(server)
    fake = server.fake
    await fake.wait_until(lambda: bool(fake.commands.get(None)))

    payload = fake.interaction_create_command(
        "rag", [{"name": "reset", "type": 1, "options": []}], user_id=USER_ID
    )
    await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for_followups(payload)

    assert "admin" in fake.original_response(payload).content.lower()
    await server.harness.say("sources", channel=GENERAL)
    assert "tower.txt" in server.harness.chat.last()
    assert ADMIN_ID


async def test_regenerate_under_an_answer_replaces_it_in_place(server: Server) -> None:
    await index_tower(server)
    fake = server.fake
    await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()
    (thread,) = fake.threads(CHANNEL_ID)
    (answer,) = fake.bot_messages(str(thread["id"]))
    regenerate = answer.components[0]["components"][0]["custom_id"]

    payload = fake.interaction_create_component(regenerate, answer.id, user_id=USER_ID)
    await fake.dispatch("INTERACTION_CREATE", payload)
    await server.handled()

    assert len(fake.bot_messages(str(thread["id"]))) == 1
    assert fake.message(answer.id).content.startswith("It is in Vellmora.")


async def test_the_same_channel_id_in_another_guild_does_not_see_these_sources(
    server: Server,
) -> None:
    await index_tower(server, ChannelRef("discord", "another-guild", CHANNEL_ID))
    fake = server.fake

    await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()

    (thread,) = fake.threads(CHANNEL_ID)
    (answer,) = fake.bot_messages(str(thread["id"]))
    assert "hold nothing on that" in answer.content
    assert server.harness.model.questions_asked == 0


async def test_a_deleted_message_takes_its_attachments_out_of_the_sources_and_memory(
    server: Server,
) -> None:
    fake = server.fake
    attachment = fake.add_attachment(CHANNEL_ID, "tower.txt", TOWER.encode(), "text/plain")
    shared = await fake.user_says("notes", attachments=[attachment])
    await server.handled()
    await server.harness.say("sources", channel=GENERAL)
    assert "tower.txt" in server.harness.chat.last()

    await fake.dispatch("MESSAGE_DELETE", message_delete(str(shared["id"])))

    assert await server.handled() == f"deleted:{shared['id']}:0"
    await server.harness.say("sources", channel=GENERAL)
    assert "tower.txt" not in server.harness.chat.last()
    # The message itself leaves the channel's memory.
    assert server.forgotten == [(GENERAL, str(shared["id"]))]


async def test_where_threads_are_not_allowed_it_says_so_once_and_answers_in_place(
    server: Server,
) -> None:
    await index_tower(server)
    fake = server.fake
    for _ in range(2):
        fake.fail_next("POST /channels/{c}/messages/{m}/threads")
        await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
        await server.handled()

    said = [message.content for message in fake.bot_messages(CHANNEL_ID)]
    assert sum("can't create threads" in text for text in said) == 1
    assert sum(text.startswith("The tower was built in 1887") for text in said) == 1
    assert fake.threads(CHANNEL_ID) == []


async def test_forget_autocompletes_the_channels_sources(server: Server) -> None:
    await index_tower(server)
    fake = server.fake
    await fake.wait_until(lambda: bool(fake.commands.get(None)))
    typing = [
        {
            "name": "forget",
            "type": 1,
            "options": [{"name": "source", "type": 3, "value": "tow", "focused": True}],
        }
    ]
    payload = fake.interaction_create_command("rag", typing)
    payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE

    await fake.dispatch("INTERACTION_CREATE", payload)
    callback = await fake.wait_for_callback(payload)

    assert callback.type == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    assert callback.data is not None
    assert [choice["name"] for choice in callback.data["choices"]] == ["tower.txt"]


async def test_a_follow_up_in_the_thread_sees_the_question_and_answer_before_it(
    server: Server,
) -> None:
    await index_tower(server)
    fake = server.fake
    await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()
    (thread,) = fake.threads(CHANNEL_ID)

    await fake.user_says("And who built the Glimmerstone Tower?", channel_id=str(thread["id"]))
    await server.handled()

    prompt = server.harness.model.prompts[-1]
    assert [turn.role for turn in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[1].content == "When was the Glimmerstone Tower built?"
    assert prompt[2].content.startswith("The tower was built in 1887")


async def test_a_reply_to_an_answer_given_in_place_follows_up_on_that_exchange_alone(
    server: Server,
) -> None:
    await index_tower(server)
    fake = server.fake
    asked = []
    for question in (
        "When was the Glimmerstone Tower built?",
        "Where does the Glimmerstone Tower stand?",
    ):
        fake.fail_next("POST /channels/{c}/messages/{m}/threads")
        asked.append(await fake.user_says(f"<@{BOT_USER_ID}> {question}"))
        await server.handled()
    built, stands = (fake.message(str(said["id"])) for said in asked)
    answers = [m for m in fake.bot_messages(CHANNEL_ID) if m.message_reference is not None]
    assert [(a.message_reference or {})["message_id"] for a in answers] == [built.id, stands.id]
    first_prompts = len(server.harness.model.prompts)

    follow_up = await fake.user_says(
        "And who built the Glimmerstone Tower?",
        message_reference=message_reference(answers[0].id),
    )
    await server.handled()

    assert len(server.harness.model.prompts) == first_prompts + 1
    prompt = server.harness.model.prompts[-1]
    assert [turn.role for turn in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[1].content == "When was the Glimmerstone Tower built?"
    assert prompt[2].content.startswith("The tower was built in 1887")
    assert not any("Where does the Glimmerstone Tower stand?" in t.content for t in prompt)
    reply = fake.bot_messages(CHANNEL_ID)[-1]
    assert reply.message_reference is not None
    assert reply.message_reference["message_id"] == follow_up["id"]
    assert fake.threads(CHANNEL_ID) == []


async def test_unreadable_thread_history_is_told_once_and_the_stored_exchange_is_used(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    await index_tower(server)
    fake = server.fake
    await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()
    (thread,) = fake.threads(CHANNEL_ID)
    thread_id = str(thread["id"])
    missing_access = {"message": "Missing Access", "code": 50001}

    with caplog.at_level(logging.WARNING):
        for follow_up in ("And who built the Glimmerstone Tower?", "Who built it, again?"):
            fake.fail_next(f"GET /channels/{thread_id}/messages", json_body=missing_access)
            await fake.user_says(follow_up, channel_id=thread_id)
            await server.handled()

    said = [message.content for message in fake.bot_messages(thread_id)]
    assert sum("can't read the message history" in text for text in said) == 1
    assert "could not read thread" in caplog.text
    prompt = server.harness.model.prompts[-1]
    assert prompt[1].content == "When was the Glimmerstone Tower built?"
    assert prompt[2].content == "The tower was built in 1887 [1]."


async def test_an_unreadable_reply_chain_is_told_in_the_language_of_the_follow_up(
    server: Server,
) -> None:
    fake = server.fake
    fake.fail_next("POST /channels/{c}/messages/{m}/threads")
    await fake.user_says(f"<@{BOT_USER_ID}> 글리머스톤 타워는 언제 지어졌나요?")
    await server.handled()
    (answer,) = [m for m in fake.bot_messages(CHANNEL_ID) if m.message_reference is not None]

    fake.fail_next("GET /channels/{c}/messages/{m}", json_body={"message": "Missing Access"})
    follow_up = await fake.user_says(
        "누가 지었나요?", message_reference=message_reference(answer.id)
    )
    await server.handled()

    (notice,) = [m for m in fake.bot_messages(CHANNEL_ID) if "Read Message History" in m.content]
    assert "메시지 기록을 읽을 권한" in notice.content
    assert (notice.message_reference or {}).get("message_id") == follow_up["id"]


async def test_it_types_where_the_answer_is_written_until_the_answer_is_final(
    server: Server,
) -> None:
    await index_tower(server)
    fake = server.fake

    said = await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()

    (thread,) = fake.threads(CHANNEL_ID)
    thread_id = str(thread["id"])
    order = [f"{call.method} {call.path}" for call in fake.calls]
    placeholder = order.index(f"POST /channels/{thread_id}/messages")
    (answer,) = fake.bot_messages(thread_id)
    final = max(i for i, entry in enumerate(order) if entry.endswith(f"/messages/{answer.id}"))
    assert order[placeholder + 1] == f"POST /channels/{thread_id}/typing"
    assert placeholder + 1 < final
    assert server.client.chat.typing.places == set()
    assert f"PUT /channels/{CHANNEL_ID}/messages/{said['id']}/reactions/👀/@me" in order


async def test_after_a_resume_the_same_message_delivered_again_is_not_answered_again(
    server: Server,
) -> None:
    await index_tower(server)
    fake = server.fake
    said = await fake.user_says(f"<@{BOT_USER_ID}> When was the Glimmerstone Tower built?")
    await server.handled()

    await fake.request_reconnect()
    await fake.wait_until(lambda: bool(fake.resumes), describe="a RESUME (op 6)")
    await fake.wait_for_client()
    await fake.dispatch("MESSAGE_CREATE", said)
    assert await server.handled() == said["id"]

    assert len(fake.identifies) == 1 and fake.gateway_connections == 2
    assert fake.resumes[0]["session_id"] == server.client.ws.session_id
    assert [frame["t"] for frame in fake.dispatched].count("RESUMED") == 1
    (thread,) = fake.threads(CHANNEL_ID)
    assert len(fake.bot_messages(str(thread["id"]))) == 1
    reactions = fake.calls_to("PUT", "/channels/{c}/messages/{m}/reactions/{e}/@me")
    assert [call.path.split("/")[4] for call in reactions].count(said["id"]) == 1
