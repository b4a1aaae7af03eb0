"""DiscordChat keeps the ChatClient contract, through the real discord.py on a fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

import discord
import pytest_asyncio

from adapters.discord import DiscordChat
from core.models import ChannelRef, MessageRef
from core.ports import ChatClient
from tests.adapters.chat_client_contract import ChatClientContract
from tests.support.fake_discord import CHANNEL_ID, GUILD_ID, FakeDiscord, install

THREAD_ID = "1100000000000000250"


class TestDiscordChatContract(ChatClientContract):
    fake: FakeDiscord
    channel = ChannelRef("discord", GUILD_ID, CHANNEL_ID)
    thread = THREAD_ID

    # An async fixture with a teardown in place of the contract's plain one.
    @pytest_asyncio.fixture(loop_scope="session")
    async def chat(self) -> AsyncIterator[ChatClient]:  # type: ignore[override]
        async with FakeDiscord() as fake:
            with install(fake):
                self.fake = fake
                fake.add_thread(CHANNEL_ID, THREAD_ID, name="contract")
                client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.2)
                await client.login(fake.token)
                connection = asyncio.create_task(client.connect(reconnect=False))
                await asyncio.wait_for(client.wait_until_ready(), 10)
                try:
                    yield DiscordChat(client)
                finally:
                    await client.close()
                    connection.cancel()
                    with suppress(asyncio.CancelledError):
                        await connection

    def shown(self, chat: ChatClient, ref: MessageRef) -> str:
        return self.fake.message(ref.message_id).content
