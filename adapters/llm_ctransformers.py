"""LanguageModel over ctransformers: LLaMA-2-format GGUF files in LLaMA-2's own chat format."""

from __future__ import annotations

import codecs
import ctypes
import logging
import random
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from core.blocking import EngineWorker
from core.errors import UserFacingError
from core.models import ChatTurn, Sampling

log = logging.getLogger("ragbot.llm")

# Meta's reference `chat_completion` (llama/generation.py) spells the format with these.
B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"
BOS_TEXT, EOS_TEXT = "<s>", "</s>"
# Text the model may write when it runs on past its own turn.
TURN_MARKERS = (B_INST, EOS_TEXT)
# Prompt tokens evaluated per engine call. More is faster on a CPU; llama.cpp sizes its
# compute buffers for 512 (its default n_batch), so more than that would overflow them.
PROMPT_BATCH = 256


@dataclass(frozen=True)
class CTransformersConfig:
    """How to load the model and the sampling it uses unless told otherwise."""

    model_path: Path
    context_length: int = 4096
    threads: int = 2
    defaults: Sampling = field(
        default_factory=lambda: Sampling(
            temperature=0.1, top_k=40, top_p=0.9, repeat_penalty=1.1, max_new_tokens=384, seed=-1
        )
    )
    model_type: str = "llama"


@dataclass(frozen=True)
class _Loaded:
    model: Any
    # One model object has one KV cache; two CTransformersModel instances sharing it (same
    # key) would interleave their tokens in it without this.
    lock: threading.Lock


@dataclass(frozen=True)
class _Draw:
    """Sampling settled for one reply, in the engine's terms."""

    temperature: float
    top_k: int
    top_p: float
    repetition_penalty: float
    max_new_tokens: int
    seed: int | None


_models: dict[tuple[str, str, int, int], _Loaded] = {}
_models_lock = threading.Lock()


def _load(config: CTransformersConfig) -> _Loaded:
    """Load a model once per process, whoever asks for it."""
    key = (
        str(config.model_path.resolve()),
        config.model_type,
        config.context_length,
        config.threads,
    )
    with _models_lock:
        if key not in _models:
            if not config.model_path.is_file():
                raise UserFacingError("model_missing", path=config.model_path)
            from ctransformers import AutoModelForCausalLM

            log.info("loading %s (context %d)", config.model_path, config.context_length)
            try:
                # local_files_only: a relative path that is not a file would otherwise be
                # taken for a Hugging Face repository id and fetched.
                model = AutoModelForCausalLM.from_pretrained(
                    str(config.model_path),
                    model_type=config.model_type,
                    context_length=config.context_length,
                    threads=config.threads,
                    batch_size=PROMPT_BATCH,
                    gpu_layers=0,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as error:
                raise UserFacingError(
                    "model_unloadable", path=config.model_path, error=error
                ) from error
            _models[key] = _Loaded(model=model, lock=threading.Lock())
        return _models[key]


def _dialog(messages: Sequence[ChatTurn]) -> list[str]:
    """Meta's dialog pieces: each is encoded with BOS; all but the last end with EOS."""
    system = "\n\n".join(turn.content for turn in messages if turn.role == "system")
    turns: list[ChatTurn] = []
    for turn in messages:
        if turn.role == "system":
            continue
        if turn.role not in ("user", "assistant"):
            raise ValueError(f"unknown chat role {turn.role!r}")
        if turns and turns[-1].role == turn.role:
            # The format alternates strictly; two turns in a row become one.
            turns[-1] = ChatTurn(turn.role, f"{turns[-1].content}\n\n{turn.content}")
        else:
            turns.append(turn)
    if not turns or turns[0].role != "user":
        turns.insert(0, ChatTurn("user", ""))
    if turns[-1].role != "user":
        raise ValueError("a LLaMA-2 chat prompt must end with a user turn")
    if system:
        turns[0] = ChatTurn("user", f"{B_SYS}{system}{E_SYS}{turns[0].content}")

    pieces = [
        f"{B_INST} {user.content.strip()} {E_INST} {answer.content.strip()} "
        for user, answer in zip(turns[:-1:2], turns[1::2], strict=True)
    ]
    pieces.append(f"{B_INST} {turns[-1].content.strip()} {E_INST}")
    return pieces


def llama2_chat_prompt(messages: Sequence[ChatTurn]) -> str:
    """Render `messages` in LLaMA-2's chat format, as Meta's reference `chat_completion` does.

    The system turn is folded into the first user turn; "<s>" and "</s>" stand for the BOS
    and EOS tokens around every exchange. Where Meta's code would refuse a dialog, several
    system turns are joined, as are turns of one role in a row; it must end with the user.
    """
    *closed, last = _dialog(messages)
    return "".join(f"{BOS_TEXT}{piece}{EOS_TEXT}" for piece in closed) + f"{BOS_TEXT}{last}"


def _tokenize(model: Any, text: str, add_bos: bool) -> list[int]:
    data = text.encode("utf-8")
    # ctransformers' own tokenize() sizes its buffer by characters, and the C side copies
    # without a bound: Korean (3 bytes, byte-fallback tokens) overflows it. A token takes
    # at least one byte; the tokenizer adds a leading space and maybe BOS.
    buffer = (ctypes.c_int * (len(data) + 3))()
    count = model.ctransformers_llm_tokenize(data, add_bos, buffer)
    return list(buffer[:count])


def _encode_chat(model: Any, messages: Sequence[ChatTurn]) -> list[int]:
    # The tokenizer reads "<s>" in text as three characters, never as BOS, so the rendered
    # string cannot be tokenized whole: each piece is tokenized with add_bos and EOS ids are
    # appended, which is exactly what Meta's reference does (and keeps a "<s>" typed by a
    # user from ever becoming a control token).
    *closed, last = _dialog(messages)
    tokens: list[int] = []
    for piece in closed:
        tokens += _tokenize(model, piece, add_bos=True)
        tokens.append(model.eos_token_id)
    return tokens + _tokenize(model, last, add_bos=True)


class _StopScanner:
    """Cuts the reply at the first stop string, holding back text that may begin one."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [stop for stop in stops if stop]
        self._pending = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """Take new text; return what is safe to show and whether a stop string was met."""
        self._pending += text
        cut = min(
            (index for stop in self._stops if (index := self._pending.find(stop)) >= 0),
            default=-1,
        )
        if cut >= 0:
            shown, self._pending = self._pending[:cut], ""
            return shown, True
        held = max(
            (
                size
                for stop in self._stops
                for size in range(min(len(stop) - 1, len(self._pending)), 0, -1)
                if self._pending.endswith(stop[:size])
            ),
            default=0,
        )
        end = len(self._pending) - held
        shown, self._pending = self._pending[:end], self._pending[end:]
        return shown, False

    def flush(self) -> str:
        """The held-back text, once generation has ended without a stop."""
        shown, self._pending = self._pending, ""
        return shown


def _seeds(seed: int | None) -> Iterator[int]:
    # ctransformers re-seeds its generator with the same seed for every token (and seed -1
    # means the current second), so each token would get the same draw; give each its own.
    chooser = random.Random(seed if seed is not None and seed >= 0 else None)
    while True:
        yield chooser.randrange(2**31)


def _generate(model: Any, prompt: list[int], draw: _Draw, stops: Sequence[str]) -> Iterator[str]:
    """Yield the reply one token at a time ("" when a token shows nothing yet)."""
    room = model.context_length - len(prompt)
    if room <= 0:
        raise UserFacingError("prompt_too_long", tokens=len(prompt), limit=model.context_length)
    budget = min(draw.max_new_tokens, room)
    # This llama.cpp reads top_k <= 0 as 1 (greedy), not as "no limit".
    top_k = draw.top_k if draw.top_k > 0 else model.vocab_size
    model.eval(model.prepare_inputs_for_generation(prompt, reset=True))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
    scanner = _StopScanner(stops)
    seeds = _seeds(draw.seed)
    leading = True

    def show(text: str) -> str:
        nonlocal leading
        if leading:
            # The answer's first token carries SentencePiece's word-start space.
            text = text.lstrip()
            leading = not text
        return text

    for produced in range(1, budget + 1):
        token = model.sample(
            top_k=top_k,
            top_p=draw.top_p,
            temperature=draw.temperature,
            repetition_penalty=draw.repetition_penalty,
            seed=next(seeds),
        )
        if model.is_eos_token(token):
            break
        text, stopped = scanner.feed(decoder.decode(model.detokenize([token], decode=False)))
        yield show(text)
        if stopped:
            return
        if produced < budget:
            model.eval([token])
    text, stopped = scanner.feed(decoder.decode(b"", final=True))
    yield show(text if stopped else text + scanner.flush())


class CTransformersModel:
    """Streams LLaMA-2 chat replies from a GGUF file through ctransformers, on one thread."""

    def __init__(self, config: CTransformersConfig) -> None:
        self._config = config
        self._worker = EngineWorker("ctransformers")

    @property
    def context_length(self) -> int:
        """Tokens prompt and answer share."""
        return self._config.context_length

    @property
    def max_new_tokens(self) -> int:
        """Configured cap on generated tokens."""
        return self._config.defaults.max_new_tokens or 384

    async def load(self) -> None:
        """Load the model now instead of on the first question."""
        await self._worker.run(lambda: _load(self._config))

    async def count_tokens(self, text: str) -> int:
        """Tokens `text` takes, without BOS."""

        def count() -> int:
            loaded = _load(self._config)
            with loaded.lock:
                return len(_tokenize(loaded.model, text, add_bos=False))

        return await self._worker.run(count)

    def _draw(self, sampling: Sampling | None) -> _Draw:
        chosen = (sampling or Sampling()).filled_from(self._config.defaults)
        temperature = float(chosen.temperature or 0.0)
        top_k = int(chosen.top_k or 0)
        if temperature <= 0:
            # llama.cpp divides the logits by the temperature; greedy is top-1 instead.
            temperature, top_k = 1.0, 1
        return _Draw(
            temperature=temperature,
            top_k=top_k,
            top_p=float(chosen.top_p or 1.0),
            repetition_penalty=float(chosen.repeat_penalty or 1.0),
            max_new_tokens=int(chosen.max_new_tokens or self.max_new_tokens),
            seed=chosen.seed,
        )

    def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the reply to `messages` piece by piece; generation runs off the loop."""
        draw = self._draw(sampling)
        stops = [*stop, *TURN_MARKERS]
        turns = list(messages)

        def produce() -> Iterator[str]:
            loaded = _load(self._config)
            with loaded.lock:
                prompt = _encode_chat(loaded.model, turns)
                yield from _generate(loaded.model, prompt, draw, stops)

        return _shown(self._worker.stream(produce))

    async def close(self) -> None:
        """Release the worker thread (the loaded model stays cached for the process)."""
        self._worker.shutdown()


async def _shown(pieces: AsyncIterator[str]) -> AsyncIterator[str]:
    # The engine yields once per token, even when a token shows nothing, so that a consumer
    # who stops is noticed at the next token; only text reaches the consumer.
    generator = cast(AsyncGenerator[str, None], pieces)
    try:
        async for piece in generator:
            if piece:
                yield piece
    finally:
        await generator.aclose()
