"""Slack event acks while the model is busy, with the real slack-bolt app over signed HTTP
against the fake Slack Web API on 127.0.0.1, and the real engines behind it.

Side by side in one run: ack latency (HTTP round trip of a signed event) p50/p99 with the
model idle and while it generates another answer (target p99 <= 0.2 s), and the time from a
mention to the first words shown in Slack (streamed natively, or edited in with
--no-native-streaming).

    python bench/slack_bench.py [--events 40] [--tokens 160]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack import SlackBot, SlackConfig
from bots.bootstrap import bootstrap
from bots.slack import serve_http
from config.settings import load_settings
from core.models import Attachment, Author, ChannelRef, IncomingMessage
from tests.fakes import RecordingChat
from tests.support.fake_slack import (
    SLACK_ENVIRONMENT_VARIABLES,
    FakeSlackApi,
    LoggedMessage,
    app_mention_event,
    event_callback,
    message_event,
    signed_headers,
)

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"
SECRET = "bench-secret"
HANDBOOK = """\
Release handbook

The code freeze starts every second Monday at 18:00 KST. During the freeze only fixes for
release blockers are merged, each approved by the release captain. The release captain
rotates weekly; this quarter it is Hana Seo, then Tomasz Reyes.

Rolling back: run the deploy job with the previous tag. A rollback needs no approval when
the error rate stays above two percent for ten minutes.
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def post_event(session: aiohttp.ClientSession, url: str, body: dict[str, object]) -> float:
    """Seconds from sending a signed event to its ack."""
    raw = json.dumps(body).encode()
    began = time.perf_counter()
    async with session.post(url, data=raw, headers=signed_headers(SECRET, raw)) as response:
        await response.read()
        assert response.status == 200, response.status
    return time.perf_counter() - began


async def command_acks(
    session: aiohttp.ClientSession, api: FakeSlackApi, url: str, count: int
) -> list[float]:
    """Acks of `/rag sources` (acked before the command runs)."""
    latencies = []
    for number in range(count):
        body = api.slash_command_form(text="sources", trigger_id=f"bench.{number}")
        headers = signed_headers(SECRET, body, content_type="application/x-www-form-urlencoded")
        began = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        latencies.append(time.perf_counter() - began)
    return latencies


async def ack_latencies(session: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    """Acks of channel chatter (acked, then read and dropped): the adapter's own cost."""
    return [
        await post_event(session, url, event_callback(message_event(f"chatter {n}")))
        for n in range(count)
    ]


def shown_text(message: LoggedMessage) -> str:
    """What Slack shows of a bot message: its markdown block, else its streamed text."""
    blocks = message.blocks or []
    return str(blocks[0].get("text", "")) if blocks else message.text


async def first_words(api: FakeSlackApi, channel: str, thread_ts: str, began: float) -> float:
    """Seconds until a bot message in the thread shows answer text (not the placeholder),
    streamed natively or edited in; polled every 5 ms."""
    while True:
        for message in api.thread(channel, thread_ts):
            text = shown_text(message)
            if message.user == "UBOT" and text.strip(" …") and "ahead of yours" not in text:
                return time.perf_counter() - began
        await asyncio.sleep(0.005)


def finished(api: FakeSlackApi, channel: str, thread_ts: str) -> bool:
    """Whether the answer is done: its buttons come last."""
    return any(
        block.get("type") == "actions"
        for message in api.thread(channel, thread_ts)
        for block in message.blocks or []
    )


async def main() -> None:
    """Index, measure idle acks, then acks while an answer generates; print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--tokens", type=int, default=160)
    parser.add_argument("--no-native-streaming", action="store_true")
    arguments = parser.parse_args()
    for name in SLACK_ENVIRONMENT_VARIABLES:
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="ragbot-slack-bench-") as scratch:
        settings = load_settings(
            data_dir=Path(scratch) / "data",
            llm={"model_path": str(MODEL), "seed": 7, "max_new_tokens": arguments.tokens},
            ingest={"summary": False},
            limits={"questions_per_minute_per_person": 0, "questions_per_minute_per_channel": 0},
        )
        runtime = bootstrap(settings)
        await runtime.warm_up()
        handbook = Path(scratch) / "handbook.txt"
        handbook.write_text(HANDBOOK, encoding="utf-8")
        channel = ChannelRef("slack", "T1", "C123")
        shared = IncomingMessage(
            channel,
            Author("U123", "bench", True),
            "",
            uuid.uuid4().hex,
            attachments=(Attachment(handbook.name, str(handbook)),),
        )
        await runtime.bot.handle(shared, RecordingChat())
        async with FakeSlackApi() as api:
            config = SlackConfig(
                bot_token=api.bot_token,
                signing_secret=SECRET,
                api_url=api.base_url,
                native_streaming=not arguments.no_native_streaming,
            )
            slack = SlackBot(config, runtime.bot.handle, runtime.bot.handle_action)
            await slack.connect()
            runner = await serve_http(slack, "127.0.0.1", 0)
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
            try:
                async with aiohttp.ClientSession() as session:
                    idle = await ack_latencies(session, url, arguments.events)
                    mention = api.seed_event(
                        app_mention_event(
                            "<@UBOT> Explain the code freeze and the rollback rules in detail."
                        )
                    )
                    began = time.perf_counter()
                    await post_event(session, url, event_callback(mention))
                    shown = await first_words(api, "C123", str(mention["ts"]), began)
                    busy = await ack_latencies(session, url, arguments.events)
                    commands = await command_acks(session, api, url, arguments.events // 4)
                    # Buttons come when the answer is finished: then some acks were not
                    # measured against a busy model.
                    finished_early = finished(api, "C123", str(mention["ts"]))
                    while not finished(api, "C123", str(mention["ts"])):
                        await asyncio.sleep(0.05)
            finally:
                await runner.cleanup()
                await runtime.close()
    print(f"{arguments.events} signed events per row, {arguments.tokens} tokens per answer")
    print(f"{'events, model':<26} {'ack p50 ms':>10} {'ack p99 ms':>10}")
    rows = (("idle", idle), ("generating an answer", busy), ("/rag sources, generating", commands))
    for label, values in rows:
        p50 = statistics.median(values) * 1000
        p99 = percentile(values, 0.99) * 1000
        print(f"{label:<26} {p50:10.1f} {p99:10.1f}")
    print(f"mention -> first streamed words in Slack: {shown:.2f} s")
    ratio = percentile(busy, 0.99) / percentile(idle, 0.99)
    print(f"busy / idle ack p99: {ratio:.2f}x")
    if finished_early:
        print("note: the answer finished before the busy row did; use more --tokens")


if __name__ == "__main__":
    asyncio.run(main())
