"""`python -m bots serve` with Slack and Discord configured: one process, one core, and an
answer on each platform's fake."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.conftest import MODEL, ROOT
from tests.support.fake_discord import BOT_USER_ID, CHANNEL_ID, FakeDiscord
from tests.support.fake_slack import (
    SLACK_ENVIRONMENT_VARIABLES,
    FakeSlackApi,
    app_mention_event,
    event_callback,
    signed_headers,
)
from tests.support.servers import free_port

SECRET = "serve-secret"
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def until_serving(process: asyncio.subprocess.Process) -> None:
    """Read the bot's stderr until it says Slack events are served (engines load first)."""
    assert process.stderr is not None
    said: list[bytes] = []
    while True:
        line = await asyncio.wait_for(process.stderr.readline(), 300)
        if not line:
            raise AssertionError(f"the bot exited: {b''.join(said).decode()[-2000:]}")
        said.append(line)
        if b"Slack events at" in line:
            return


async def test_serve_answers_on_slack_and_on_discord_from_one_process(tmp_path: Path) -> None:
    port = free_port()
    async with FakeSlackApi() as slack, FakeDiscord() as discord_fake:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("RAGBOT_") and key not in SLACK_ENVIRONMENT_VARIABLES
        }
        environment |= {
            "RAGBOT_DATA_DIR": str(tmp_path / "data"),
            "RAGBOT_LLM__MODEL_PATH": str(MODEL),
            "RAGBOT_INGEST__SUMMARY": "false",
            "RAGBOT_SLACK__MODE": "http",
            "RAGBOT_SLACK__BOT_TOKEN": slack.bot_token,
            "RAGBOT_SLACK__SIGNING_SECRET": SECRET,
            "RAGBOT_SLACK__HOST": "127.0.0.1",
            "RAGBOT_SLACK__PORT": str(port),
            "RAGBOT_SLACK__API_URL": slack.base_url,
            "RAGBOT_DISCORD__TOKEN": discord_fake.token,
            "RAGBOT_DISCORD__API_URL": discord_fake.api_base,
            "RAGBOT_DISCORD__GATEWAY_URL": discord_fake.gateway_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bots",
            "serve",
            cwd=ROOT,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await until_serving(process)
            await discord_fake.wait_for_client(timeout=120)
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{port}/healthz") as health,
            ):
                assert health.status == 200

            mention = slack.seed_event(app_mention_event("<@UBOT> When is the code freeze?"))
            raw = json.dumps(event_callback(mention)).encode()
            async with (
                aiohttp.ClientSession() as session,
                session.post(
                    f"http://127.0.0.1:{port}/slack/events",
                    data=raw,
                    headers=signed_headers(SECRET, raw),
                ) as response,
            ):
                assert response.status == 200
            await discord_fake.user_says(f"<@{BOT_USER_ID}> When is the code freeze?")

            await slack.wait_for("chat.postMessage", timeout=120)
            await discord_fake.wait_until(
                lambda: any(
                    "hold nothing on that" in message.content
                    for thread in discord_fake.threads(CHANNEL_ID)
                    for message in discord_fake.bot_messages(str(thread["id"]))
                ),
                timeout=120,
            )
            await slack.wait_for("chat.stopStream", timeout=120)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        shown = [
            message.text or str(message.blocks)
            for message in slack.thread("C123", str(mention["ts"]))
            if message.user == "UBOT"
        ]
        assert any("hold nothing on that" in text for text in shown), shown
