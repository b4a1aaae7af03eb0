"""SlackChat keeps the ChatClient contract, against the fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.slack import SlackChat, SlackConfig, web_client
from core.models import MessageRef
from core.ports import ChatClient
from tests.adapters.chat_client_contract import ChatClientContract
from tests.support.fake_slack import SLACK_ENVIRONMENT_VARIABLES, FakeSlackApi


class TestSlackChatContract(ChatClientContract):
    api: FakeSlackApi

    # An async fixture with a teardown in place of the contract's plain one.
    @pytest_asyncio.fixture(loop_scope="session")
    async def chat(  # type: ignore[override]
        self, monkeypatch: pytest.MonkeyPatch
    ) -> AsyncIterator[ChatClient]:
        for name in SLACK_ENVIRONMENT_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        async with FakeSlackApi() as api:
            self.api = api
            config = SlackConfig(bot_token=api.bot_token, api_url=api.base_url)
            yield SlackChat(web_client(config), api.bot_token)

    def shown(self, chat: ChatClient, ref: MessageRef) -> str:
        # What a person sees: the markdown block, and under it the fallback text's sources.
        message = self.api.message(ref.channel.channel, ref.message_id)
        assert message.thread_ts == ref.thread_id
        blocks = message.blocks or []
        return str(blocks[0]["text"]) if blocks else message.text
