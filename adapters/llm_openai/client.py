"""The HTTP client to the server: requests sent with retries while it cannot be reached, and
HTTP and transport failures turned into UserFacingErrors naming the server."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from adapters.llm_openai.config import OpenAIConfig
from adapters.llm_openai.errors import _error_text, _json_or_none, _without_credentials
from core.errors import UserFacingError

log = logging.getLogger("ragbot.llm")


class ServerClient:
    """One HTTP client to an OpenAI-compatible server, and the errors it is reported with.

    `base` is the API root (with /v1), `root` the server root (without it), and `shown_url`
    the base as people may read it, without credentials.
    """

    def __init__(
        self, config: OpenAIConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._config = config
        self.base = config.base_url.rstrip("/")
        self.root = self.base.removesuffix("/v1")
        self.shown_url = _without_credentials(self.base)
        headers = {"Accept": "application/json, text/event-stream"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._client = httpx.AsyncClient(
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.read_timeout,
            ),
        )

    async def send(
        self, method: str, url: str, body: dict[str, Any] | None = None, *, retry: bool = True
    ) -> httpx.Response:
        """Open a streamed response, retrying only while the server cannot be reached."""
        retries = self._config.retries if retry else 0
        attempt = 0
        fresh_tried = False
        while True:
            try:
                request = self._client.build_request(method, url, json=body)
                return await self._client.send(request, stream=True)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
                # Nothing of a response came back. Most often the kept-alive connection was
                # one the server had just closed (llama_cpp.server closes it right after a
                # failed stream), so one more try goes out at once on a new connection.
                if fresh_tried:
                    raise self.broken() from error
                fresh_tried = True
                log.info("%s dropped a kept-alive connection; sending again", self.shown_url)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                if attempt >= retries:
                    raise UserFacingError("server_down", url=self.shown_url) from error
                delay = self._config.retry_backoff * 2**attempt
                attempt += 1
                log.warning(
                    "cannot reach %s (%s); retry %d of %d in %.2g s",
                    self.shown_url,
                    type(error).__name__,
                    attempt,
                    retries,
                    delay,
                )
                await asyncio.sleep(delay)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
                raise UserFacingError("server_bad_url", url=self.shown_url) from error
            except httpx.TimeoutException as error:
                raise self.slow() from error
            except httpx.TransportError as error:
                raise self.broken() from error

    async def check_status(self, response: httpx.Response) -> None:
        """Turn an HTTP error into a short message with the status and the server's reason."""
        if response.status_code < 400:
            return
        detail = _error_text(_json_or_none(await response.aread()))
        status = f"{response.status_code} {response.reason_phrase}".strip()
        key = {
            401: "server_status_key",
            403: "server_status_key",
            404: "server_status_missing",
            429: "server_status_later",
        }.get(
            response.status_code,
            "server_status_later" if response.status_code >= 500 else "server_status",
        )
        reason = f": {detail}" if detail else ""
        raise UserFacingError(key, url=self.shown_url, status=status, reason=reason)

    def slow(self) -> UserFacingError:
        """The error for a server that did not answer within the read timeout."""
        return UserFacingError(
            "server_timeout", url=self.shown_url, seconds=self._config.read_timeout
        )

    def broken(self) -> UserFacingError:
        """The error for a connection the server closed or broke."""
        return UserFacingError("server_closed", url=self.shown_url)

    def not_openai(self) -> UserFacingError:
        """The error for an answer that is not in the OpenAI API's shape."""
        return UserFacingError("server_not_openai", url=self.shown_url)

    async def close(self) -> None:
        """Close the HTTP client and its connections."""
        await self._client.aclose()
