"""The Discord fake drives the real discord.py Client, CommandTree and Views on loopback."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import discord
import pytest
from discord import app_commands

from tests.support.fake_discord import (
    ADMIN_ID,
    ADMIN_ROLE_ID,
    APPLICATION_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    CHANNEL_MESSAGE_WITH_SOURCE,
    CHAT_INPUT_COMMAND,
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    GUILD_ID,
    MESSAGE_CONTENT_INTENT,
    MODERATOR_ID,
    OWNER_ID,
    REPLY,
    UPDATE_MESSAGE,
    USER_ID,
    FakeDiscord,
    install,
    message_delete,
    message_reference,
    thread_create,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with install(server):
            yield server


def new_client(*, members: bool = False) -> discord.Client:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = members
    # A short guild_ready_timeout: on_ready otherwise waits 2 s after the last GUILD_CREATE.
    return discord.Client(intents=intents, guild_ready_timeout=0.2, chunk_guilds_at_startup=False)


@asynccontextmanager
async def running(client: discord.Client, fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    """Log in, connect without reconnecting (so failures surface), wait for on_ready."""
    try:
        await client.login(fake.token)
    except BaseException:
        await client.close()
        raise
    connection = asyncio.create_task(client.connect(reconnect=False))
    ready = asyncio.create_task(client.wait_until_ready())
    try:
        done, _ = await asyncio.wait({connection, ready}, timeout=10, return_when="FIRST_COMPLETED")
        if connection in done:
            connection.result()
            raise AssertionError("the gateway connection ended before ready")
        assert ready in done, "the client did not become ready within 10 s"
        yield client
    finally:
        ready.cancel()
        await client.close()
        connection.cancel()
        with suppress(asyncio.CancelledError):
            await connection


def text_channel(client: discord.Client, channel_id: str = CHANNEL_ID) -> discord.TextChannel:
    channel = client.get_channel(int(channel_id))
    assert isinstance(channel, discord.TextChannel)
    return channel


def incoming(client: discord.Client) -> asyncio.Queue[discord.Message]:
    """Messages from others: the fake, like Discord, also sends the bot its own posts."""
    queue: asyncio.Queue[discord.Message] = asyncio.Queue()

    @client.event
    async def on_message(message: discord.Message) -> None:
        if message.author != client.user:
            queue.put_nowait(message)

    return queue


async def test_a_client_connects_and_answers_a_mention_with_reply_edit_reaction_and_thread(
    fake: FakeDiscord,
) -> None:
    client = new_client()
    messages = incoming(client)
    async with running(client, fake):
        payload = await fake.user_says(f"<@{BOT_USER_ID}> when is the freeze? see <#{CHANNEL_ID}>")
        message = await asyncio.wait_for(messages.get(), 5)

        reply = await message.reply("Thinking…")
        await reply.edit(content="The freeze is on Friday.")
        await message.add_reaction("👀")
        thread = await message.create_thread(name="freeze")
        in_thread = await thread.send("More in here.")
        await text_channel(client).send(
            embed=discord.Embed(title="Sources", description="[1] release.md")
        )
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label="Helpful", custom_id="feedback:up"))
        await text_channel(client).send("Was this helpful?", view=view)
        await fake.wait_for_messages(str(thread.id))

    assert client.user is not None and client.user.id == int(BOT_USER_ID)
    assert fake.intents is not None and fake.intents & MESSAGE_CONTENT_INTENT
    assert message.content == payload["content"]
    assert [user.id for user in message.mentions] == [int(BOT_USER_ID)]
    assert message.raw_channel_mentions == [int(CHANNEL_ID)]
    assert isinstance(message.author, discord.Member)

    logged = fake.message(str(reply.id))
    assert (logged.type, logged.content) == (REPLY, "The freeze is on Friday.")
    assert logged.revisions == ["Thinking…"]
    assert logged.message_reference is not None
    assert logged.message_reference["message_id"] == payload["id"]
    assert fake.message(payload["id"]).reactions == ["👀"]
    assert fake.calls_to("PUT", "/channels/{c}/messages/{m}/reactions/{e}/@me")

    # A thread started from a message takes the message's id and knows its parent.
    assert thread.id == message.id and thread.parent_id == int(CHANNEL_ID)
    assert fake.channel(str(thread.id))["type"] == 11
    assert [m.content for m in fake.messages(str(thread.id))] == ["More in here."]
    assert in_thread.channel.id == thread.id

    # Discord sends the bot its own posts, edits and threads; on_message must skip them.
    echoed = [f["t"] for f in fake.dispatched if f["t"] not in ("READY", "GUILD_CREATE")]
    assert echoed[:5] == [
        "MESSAGE_CREATE",
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
        "MESSAGE_REACTION_ADD",
        "THREAD_CREATE",
    ]

    posts = fake.calls_to("POST", f"/channels/{CHANNEL_ID}/messages")
    assert posts[1].json["embeds"][0]["title"] == "Sources"
    button = posts[2].json["components"][0]["components"][0]
    assert (button["type"], button["custom_id"]) == (2, "feedback:up")
    assert posts[0].headers["Authorization"] == f"Bot {fake.token}"


async def test_a_synced_slash_command_defers_and_follows_up_ephemerally(
    fake: FakeDiscord,
) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    seen: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    @tree.command(name="rag", description="Ask the knowledge base")
    async def rag(interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(f"About {question!r}: Friday.", ephemeral=True)
        await interaction.followup.send("Sources: release.md", ephemeral=True)
        seen.put_nowait(interaction)

    async with running(client, fake):
        synced = await tree.sync()
        fake.rate_limit_next("POST /webhooks/{app}/{token}", retry_after=0.05)
        payload = fake.interaction_create_command("rag", {"question": "freeze"}, user_id=ADMIN_ID)
        await fake.dispatch("INTERACTION_CREATE", payload)
        interaction = await asyncio.wait_for(seen.get(), 5)
        visible = [m.content async for m in text_channel(client).history(limit=10)]

    assert [(command.name, command.id) for command in synced] == [
        ("rag", int(payload["data"]["id"]))
    ]
    assert fake.commands[None][0]["options"][0]["name"] == "question"
    assert isinstance(interaction.user, discord.Member)
    assert (
        interaction.permissions.administrator
        and interaction.locale is discord.Locale.american_english
    )

    callback = fake.callbacks_for(payload)[0]
    assert callback.type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    assert callback.data is not None and callback.data["flags"] == EPHEMERAL
    first, second = fake.followups_for(payload)
    # The first followup after a defer fills in the "thinking" message, as on Discord.
    assert first.replaced_loading and first.message_id == fake.original_response(payload).id
    assert not second.replaced_loading and second.ephemeral
    answer = fake.original_response(payload)
    assert answer.content == "About 'freeze': Friday." and answer.ephemeral and not answer.loading
    # Three POSTs: the 429 on the first followup was waited out and retried.
    assert len(fake.calls_to("POST", f"/webhooks/{APPLICATION_ID}/{{token}}")) == 3
    # Ephemeral messages never show up in history.
    assert visible == []


async def test_a_button_click_reaches_the_view_and_the_callback_edits_the_message(
    fake: FakeDiscord,
) -> None:
    client = new_client()
    clicked: asyncio.Event = asyncio.Event()
    clicker: list[int] = []

    class Feedback(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)

        @discord.ui.button(label="Helpful", custom_id="feedback:up")
        async def up(
            self, interaction: discord.Interaction, button: discord.ui.Button[Feedback]
        ) -> None:
            clicker.append(interaction.user.id)
            await interaction.response.edit_message(content="Thanks for the feedback.", view=None)
            clicked.set()

    async with running(client, fake):
        sent = await text_channel(client).send("The freeze is on Friday.", view=Feedback())
        payload = fake.interaction_create_component("feedback:up", str(sent.id), user_id=USER_ID)
        await fake.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(clicked.wait(), 5)
        callback = await fake.wait_for_callback(payload)

    assert clicker == [int(USER_ID)]
    assert callback.type == UPDATE_MESSAGE
    edited = fake.message(str(sent.id))
    assert (edited.content, edited.components) == ("Thanks for the feedback.", [])
    assert fake.original_response(payload).id == str(sent.id)


async def test_guild_commands_answer_at_once_and_edit_original_and_followup_messages(
    fake: FakeDiscord,
) -> None:
    client = new_client()
    tree = app_commands.CommandTree(client)
    guild = discord.Object(int(GUILD_ID))
    done: asyncio.Event = asyncio.Event()
    locales: list[discord.Locale] = []

    @tree.command(name="sources", description="List sources", guild=guild)
    async def sources(interaction: discord.Interaction) -> None:
        locales.append(interaction.locale)
        await interaction.response.send_message("Sources: 2")
        await interaction.edit_original_response(content="Sources: 3")
        extra = await interaction.followup.send("Loading…", wait=True)
        await extra.edit(content="release.md, freeze.md")
        done.set()

    async with running(client, fake):
        synced = await tree.sync(guild=guild)
        payload = fake.interaction_create_command("sources", locale="ko")
        await fake.dispatch("INTERACTION_CREATE", payload)
        await asyncio.wait_for(done.wait(), 5)
        visible = [m.content async for m in text_channel(client).history(limit=5)]

    assert synced[0].guild_id == int(GUILD_ID)
    assert payload["data"]["guild_id"] == GUILD_ID
    assert locales == [discord.Locale.korean]
    assert [c.type for c in fake.callbacks_for(payload)] == [CHANNEL_MESSAGE_WITH_SOURCE]
    original = fake.original_response(payload)
    assert (original.type, original.content, original.revisions) == (
        CHAT_INPUT_COMMAND,
        "Sources: 3",
        ["Sources: 2"],
    )
    (followup,) = fake.followups_for(payload)
    assert fake.message(followup.message_id).content == "release.md, freeze.md"
    assert visible == ["release.md, freeze.md", "Sources: 3"]
    assert fake.calls_to("PATCH", "/webhooks/{app}/{token}/messages/@original")
    assert fake.calls_to("PATCH", f"/webhooks/{{app}}/{{token}}/messages/{followup.message_id}")


async def test_a_deferred_click_edits_the_clicked_message_and_gateway_events_arrive(
    fake: FakeDiscord,
) -> None:
    client = new_client()
    deleted: asyncio.Queue[discord.RawMessageDeleteEvent] = asyncio.Queue()
    threads: asyncio.Queue[discord.Thread] = asyncio.Queue()
    clicks: asyncio.Queue[discord.Interaction] = asyncio.Queue()

    @client.event
    async def on_raw_message_delete(event: discord.RawMessageDeleteEvent) -> None:
        deleted.put_nowait(event)

    @client.event
    async def on_thread_create(thread: discord.Thread) -> None:
        threads.put_nowait(thread)

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        # No View is stored for this message: a raw on_interaction handler takes the click.
        await interaction.response.defer()
        await interaction.edit_original_response(content="Regenerated.")
        clicks.put_nowait(interaction)

    async with running(client, fake):
        answer = fake.add_message(CHANNEL_ID, "Old answer.", BOT_USER_ID)
        payload = fake.interaction_create_component("regenerate", answer.id)
        await fake.dispatch("INTERACTION_CREATE", payload)
        click = await asyncio.wait_for(clicks.get(), 5)

        user_thread = fake.add_thread(CHANNEL_ID, name="question")
        await fake.dispatch("THREAD_CREATE", thread_create(user_thread))
        seen_thread = await asyncio.wait_for(threads.get(), 5)
        await fake.user_says("in the thread", channel_id=user_thread["id"])
        await fake.dispatch("MESSAGE_DELETE", message_delete(answer.id))
        seen_delete = await asyncio.wait_for(deleted.get(), 5)

        bot_thread = await text_channel(client).create_thread(
            name="bot thread", type=discord.ChannelType.public_thread
        )

    assert click.data is not None and click.data.get("custom_id") == "regenerate"
    assert [c.type for c in fake.callbacks_for(payload)] == [DEFERRED_UPDATE_MESSAGE]
    assert fake.message(answer.id).content == "Regenerated."
    assert seen_thread.id == int(user_thread["id"]) and seen_thread.parent_id == int(CHANNEL_ID)
    assert seen_delete.message_id == int(answer.id)
    assert fake.messages(user_thread["id"])[0].content == "in the thread"
    assert bot_thread.type is discord.ChannelType.public_thread
    assert fake.calls_to("POST", "/channels/{c}/threads")[0].json["type"] == 11


async def test_a_rate_limit_is_waited_out_and_a_failure_surfaces(fake: FakeDiscord) -> None:
    client = new_client()
    async with running(client, fake):
        fake.rate_limit_next("POST /channels/{id}/messages", retry_after=0.05)
        started = asyncio.get_running_loop().time()
        sent = await text_channel(client).send("after the 429")
        waited = asyncio.get_running_loop().time() - started
        fake.fail_next("POST /channels/{id}/messages")
        with pytest.raises(discord.Forbidden) as refused:
            await text_channel(client).send("refused")

    assert len(fake.calls_to("POST", "/channels/{id}/messages")) == 3
    assert [m.content for m in fake.bot_messages(CHANNEL_ID)] == ["after the 429"]
    assert sent.content == "after the 429" and waited >= 0.05
    assert refused.value.code == 50013


async def test_history_returns_seeded_messages_newest_first(fake: FakeDiscord) -> None:
    first = fake.add_message(CHANNEL_ID, "first", USER_ID)
    second = fake.add_message(CHANNEL_ID, "second", ADMIN_ID)
    fake.add_message(CHANNEL_ID, "third", USER_ID, reply_to=first.id)
    client = new_client()
    async with running(client, fake):
        channel = text_channel(client)
        newest_first = [m.content async for m in channel.history(limit=10)]
        before_third = [
            m.content
            async for m in channel.history(limit=1, before=discord.Object(int(second.id) + 1))
        ]
        oldest_first = [
            m.content
            async for m in channel.history(after=discord.Object(int(first.id)), oldest_first=True)
        ]
        fetched = await channel.fetch_message(int(first.id))

    assert newest_first == ["third", "second", "first"]
    assert before_third == ["second"]
    assert oldest_first == ["second", "third"]
    assert fetched.author.id == int(USER_ID)


async def test_attachments_download_and_upload(fake: FakeDiscord) -> None:
    client = new_client()
    messages = incoming(client)
    attachment = fake.add_attachment(CHANNEL_ID, "notes.txt", b"freeze on friday", "text/plain")
    async with running(client, fake):
        await fake.user_says("here are my notes", attachments=[attachment])
        message = await asyncio.wait_for(messages.get(), 5)
        content = await message.attachments[0].read()
        sent = await message.channel.send("indexed", file=discord.File(io.BytesIO(b"abc"), "a.txt"))
        uploaded = await sent.attachments[0].read()

    assert content == b"freeze on friday"
    assert uploaded == b"abc"
    assert [(d.filename, d.found) for d in fake.downloads] == [("notes.txt", True), ("a.txt", True)]
    (upload,) = fake.calls_to("POST", "/channels/{c}/messages")[0].uploads
    assert (upload.filename, upload.content) == ("a.txt", b"abc")


async def test_guild_roles_members_and_permissions_tell_admins(fake: FakeDiscord) -> None:
    client = new_client()
    async with running(client, fake):
        guild = client.get_guild(int(GUILD_ID))
        assert guild is not None
        # Without the members intent only the bot itself comes with GUILD_CREATE.
        uncached = guild.get_member(int(ADMIN_ID))
        fetched = await guild.fetch_member(int(MODERATOR_ID))
        remote = await client.fetch_guild(int(GUILD_ID))
        me = guild.me

    assert uncached is None and me is not None and me.id == int(BOT_USER_ID)
    assert fetched.guild_permissions.manage_guild and not fetched.guild_permissions.administrator
    assert remote.owner_id == int(OWNER_ID)
    admin_role = remote.get_role(int(ADMIN_ROLE_ID))
    assert admin_role is not None and admin_role.permissions.administrator

    members_client = new_client(members=True)
    async with running(members_client, fake):
        guild = members_client.get_guild(int(GUILD_ID))
        assert guild is not None
        cached_admin = guild.get_member(int(ADMIN_ID))
        owner = guild.get_member(int(OWNER_ID))

    assert cached_admin is not None and cached_admin.guild_permissions.administrator
    assert owner is not None and owner.guild_permissions.administrator


async def test_a_wrong_token_fails_login(fake: FakeDiscord) -> None:
    client = new_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("wrong")
    await client.close()


async def test_a_privileged_intent_the_portal_does_not_allow_closes_the_gateway(
    fake: FakeDiscord,
) -> None:
    fake.allowed_privileged_intents = 0
    client = new_client()
    # With reconnect=False discord.py raises the bare close (PrivilegedIntentsRequired only
    # comes from the reconnecting path).
    with pytest.raises(discord.ConnectionClosed) as closed:
        async with running(client, fake):
            pass
    assert closed.value.code == 4014
    assert fake.intents is not None and fake.intents & MESSAGE_CONTENT_INTENT


class EagerClient(discord.Client):
    """A client that identifies again at once (discord.py waits 5 s before a re-IDENTIFY)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_a_reconnect_request_resumes_the_session_and_an_expired_one_identifies_again(
    fake: FakeDiscord,
) -> None:
    eager = EagerClient(intents=discord.Intents.default(), guild_ready_timeout=0.2)
    async with running(eager, fake) as client:
        await fake.request_reconnect()
        await fake.wait_until(lambda: bool(fake.resumes), describe="a RESUME")
        await fake.wait_for_client()
        assert fake.resumes[0]["session_id"] == client.ws.session_id
        assert len(fake.identifies) == 1

        fake.expire_sessions()
        await fake.request_reconnect()
        await fake.wait_until(lambda: len(fake.identifies) == 2, describe="a second IDENTIFY")

    # The refused RESUME closes its socket; the IDENTIFY comes on a fourth one.
    assert len(fake.resumes) == 2 and fake.gateway_connections == 4
    assert [frame["t"] for frame in fake.dispatched].count("RESUMED") == 1


def test_message_reference_shape() -> None:
    assert message_reference("1", "2") == {
        "type": 0,
        "message_id": "1",
        "channel_id": "2",
        "guild_id": GUILD_ID,
    }
