"""LanguageModel over llama-cpp-python: any GGUF file, chat template from the file."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.blocking import EngineWorker
from core.errors import UserFacingError
from core.models import ChatTurn, Sampling

log = logging.getLogger("ragbot.llm")


@dataclass(frozen=True)
class LlamaCppConfig:
    """How to load the model and the sampling it uses unless told otherwise."""

    model_path: Path
    context_length: int = 4096
    threads: int = 2
    defaults: Sampling = field(
        default_factory=lambda: Sampling(
            temperature=0.1, top_k=40, top_p=0.9, repeat_penalty=1.1, max_new_tokens=384, seed=-1
        )
    )


@dataclass
class _Loaded:
    model: Any
    # One Llama holds one context: two generations at once would corrupt each other's
    # state, so instances sharing the cached model take turns.
    lock: threading.Lock


_models: dict[tuple[str, int, int], _Loaded] = {}
_models_lock = threading.Lock()


def _load(config: LlamaCppConfig) -> _Loaded:
    """Load a model once per process, whoever asks for it."""
    key = (str(config.model_path.resolve()), config.context_length, config.threads)
    with _models_lock:
        if key not in _models:
            if not config.model_path.is_file():
                raise UserFacingError("model_missing", path=config.model_path)
            from llama_cpp import Llama

            log.info("loading %s (n_ctx=%d)", config.model_path, config.context_length)
            model = Llama(
                model_path=str(config.model_path),
                n_ctx=config.context_length,
                n_threads=config.threads,
                n_threads_batch=config.threads,
                verbose=False,
            )
            _models[key] = _Loaded(model, threading.Lock())
        return _models[key]


class LlamaCppModel:
    """Streams chat completions from a GGUF model on one worker thread."""

    def __init__(self, config: LlamaCppConfig) -> None:
        self._config = config
        self._worker = EngineWorker("llama-cpp")

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
            # Tokenizing reads the vocabulary only: it needs no turn on the context.
            model = _load(self._config).model
            return len(model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

        # Off the engine's worker: a prompt is counted while another answer generates.
        return await asyncio.to_thread(count)

    def _arguments(self, sampling: Sampling | None, stop: Sequence[str]) -> dict[str, Any]:
        chosen = (sampling or Sampling()).filled_from(self._config.defaults)
        arguments: dict[str, Any] = {
            "temperature": chosen.temperature,
            "top_k": chosen.top_k,
            "top_p": chosen.top_p,
            "repeat_penalty": chosen.repeat_penalty,
            "max_tokens": chosen.max_new_tokens,
            "stop": list(stop) or None,
        }
        if chosen.seed is not None and chosen.seed >= 0:
            arguments["seed"] = chosen.seed
        return arguments

    def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the reply to `messages` piece by piece; generation runs off the loop."""
        arguments = self._arguments(sampling, stop)
        payload = [{"role": turn.role, "content": turn.content} for turn in messages]

        def produce() -> Iterator[str]:
            loaded = _load(self._config)
            with loaded.lock:
                events = loaded.model.create_chat_completion(
                    messages=payload, stream=True, **arguments
                )
                for event in events:
                    piece = event["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece

        return self._worker.stream(produce)

    async def close(self) -> None:
        """Release the worker thread (the loaded model stays cached for the process)."""
        self._worker.shutdown()
