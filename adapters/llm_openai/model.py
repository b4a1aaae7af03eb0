"""OpenAICompatibleModel: the LanguageModel port over the server client, the token counter
and chat-completion streaming."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence

import httpx

from adapters.llm_openai.client import ServerClient
from adapters.llm_openai.config import OpenAIConfig
from adapters.llm_openai.streaming import chat_body, stream_chat
from adapters.llm_openai.tokens import TokenCounter
from core.errors import UserFacingError
from core.models import ChatTurn, Sampling

log = logging.getLogger("ragbot.llm")


class OpenAICompatibleModel:
    """Streams chat completions from an OpenAI-compatible server over one HTTP client."""

    def __init__(
        self, config: OpenAIConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._config = config
        self._server = ServerClient(config, transport=transport)
        self._tokens = TokenCounter(self._server, config.model)

    @property
    def context_length(self) -> int:
        """Tokens prompt and answer share."""
        return self._config.context_length

    @property
    def max_new_tokens(self) -> int:
        """Configured cap on generated tokens."""
        return self._config.defaults.max_new_tokens or 384

    async def load(self) -> None:
        """Check that the server answers GET /models; raise UserFacingError when it does not."""
        server = self._server
        response = await server.send("GET", f"{server.base}/models")
        try:
            await server.check_status(response)
            body = await response.aread()
        except httpx.TimeoutException as error:
            raise server.slow() from error
        except httpx.TransportError as error:
            raise server.broken() from error
        finally:
            await response.aclose()
        try:
            listed = [str(entry.get("id")) for entry in json.loads(body).get("data", [])]
        except (ValueError, AttributeError, TypeError) as error:
            raise UserFacingError("server_not_openai_models", url=server.shown_url) from error
        if self._config.model not in listed:
            # llama_cpp.server answers any model name with its default model; others refuse.
            log.warning(
                "the server at %s does not list model %r (it lists %s)",
                server.shown_url,
                self._config.model,
                ", ".join(listed) or "nothing",
            )
        log.info("model server at %s answers (%d models)", server.shown_url, len(listed))

    async def count_tokens(self, text: str) -> int:
        """Tokens `text` takes, from the server's tokenizer when it has one, else an estimate."""
        return await self._tokens.count(text)

    def stream(
        self,
        messages: Sequence[ChatTurn],
        sampling: Sampling | None = None,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the reply to `messages` piece by piece as the server streams it.

        Closing the iterator early closes the HTTP response, which stops generation on
        servers that watch the connection.
        """
        body = chat_body(self._config, messages, sampling, stop)
        return stream_chat(self._server, body)

    async def close(self) -> None:
        """Close the HTTP client and its connections."""
        await self._server.close()
