"""Token counts from the server's own tokenizer: which tokenize endpoint it has, found on first
use; counts cached; an estimate while the server has no tokenizer or cannot be asked."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from typing import Any

import httpx

from adapters.llm_openai.client import ServerClient
from adapters.llm_openai.errors import _json_or_none
from core.errors import UserFacingError

log = logging.getLogger("ragbot.llm")

# Tokenize endpoints, relative to the server root (base_url without /v1), tried in order.
# llama_cpp.server (Python): POST /extras/tokenize {"input"} -> {"tokens": [...]}.
# llama.cpp server (C++): POST /tokenize {"content"}; vLLM: POST /tokenize {"prompt"};
# both answer {"tokens": [...]}, and each ignores the other's field.
_TOKENIZE_EXTRAS = "extras/tokenize"
_TOKENIZE_PLAIN = "tokenize"
# Statuses that mean "this server has no such endpoint (or wants other fields)".
_ABSENT = frozenset({400, 404, 405, 422, 501})
_CACHE_SIZE = 1024
_ESTIMATE_PAUSE = 30.0


class TokenCounter:
    """Counts tokens as the server's model does, remembering the last counts."""

    def __init__(self, server: ServerClient, model: str) -> None:
        self._server = server
        self._model = model
        # None: not probed yet; "": the server has no tokenize endpoint, so estimate.
        self._tokenize_path: str | None = None
        self._probe_lock = asyncio.Lock()
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._estimate_until = 0.0

    async def count(self, text: str) -> int:
        """Tokens `text` takes, from the server's tokenizer when it has one, else an estimate."""
        if not text:
            return 0
        cached = self._counts.get(text)
        if cached is not None:
            self._counts.move_to_end(text)
            return cached
        if time.monotonic() >= self._estimate_until:
            counted = await self._count_on_server(text)
            if counted is not None:
                return self._remember(text, counted)
        return _estimate_tokens(text)

    async def _count_on_server(self, text: str) -> int | None:
        """Count with the server's tokenizer; None when it has none or cannot be asked now."""
        try:
            if self._tokenize_path is None:
                async with self._probe_lock:
                    if self._tokenize_path is None:
                        return await self._probe_tokenizer(text)
            if self._tokenize_path:
                return await self._tokenize(self._tokenize_path, text)
            return None
        except (UserFacingError, httpx.HTTPError, ValueError) as error:
            # Estimate for a while instead of waiting on an unreachable server at every count.
            reason = error.message if isinstance(error, UserFacingError) else repr(error)
            log.warning(
                "cannot count tokens on %s, estimating for %g s: %s",
                self._server.shown_url,
                _ESTIMATE_PAUSE,
                reason,
            )
            self._estimate_until = time.monotonic() + _ESTIMATE_PAUSE
            return None

    async def _probe_tokenizer(self, text: str) -> int | None:
        """Find which tokenize endpoint the server has and count `text` with it."""
        for path in (_TOKENIZE_EXTRAS, _TOKENIZE_PLAIN):
            counted = await self._tokenize(path, text)
            if counted is not None:
                log.info("counting tokens with %s/%s", self._server.root, path)
                self._tokenize_path = path
                return counted
        log.info("%s has no tokenize endpoint; estimating token counts", self._server.shown_url)
        self._tokenize_path = ""
        return None

    async def _tokenize(self, path: str, text: str) -> int | None:
        """Count with one endpoint; None when the server has no such endpoint."""
        if path == _TOKENIZE_EXTRAS:
            body: dict[str, Any] = {"input": text, "model": self._model}
        else:
            body = {"content": text, "prompt": text, "model": self._model}
            body.update(add_special=False, add_special_tokens=False)
        # One attempt: counting falls back to an estimate rather than wait for retries.
        response = await self._server.send("POST", f"{self._server.root}/{path}", body, retry=False)
        try:
            if response.status_code in _ABSENT:
                return None
            await self._server.check_status(response)
            answer = _json_or_none(await response.aread())
        finally:
            await response.aclose()
        if isinstance(answer, dict):
            tokens = answer.get("tokens")
            if isinstance(tokens, list):
                return len(tokens)
            count = answer.get("count")
            if isinstance(count, int):
                return count
        return None

    def _remember(self, text: str, count: int) -> int:
        self._counts[text] = count
        if len(self._counts) > _CACHE_SIZE:
            self._counts.popitem(last=False)
        return count


def _estimate_tokens(text: str) -> int:
    # Without the server's tokenizer, assume 3 UTF-8 bytes per token: BPE vocabularies
    # average about 4 bytes per token on English prose and about 3 on code or accented and
    # CJK text, so this overcounts, and an overcounted prompt still fits the context.
    return max(1, math.ceil(len(text.encode("utf-8")) / 3))
