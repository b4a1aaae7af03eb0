"""Consume a model's stream within a time limit, so a runaway generation cannot hold the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable


async def consume_within(
    stream: AsyncIterator[str],
    on_piece: Callable[[str], Awaitable[None]],
    limit_seconds: float,
) -> bool:
    """Pass every piece to `on_piece` until the stream ends or `limit_seconds` pass.

    Returns False when the limit stopped it. The stream is closed either way, which tells
    the engine to stop generating.
    """
    try:
        async with asyncio.timeout(limit_seconds):
            async for piece in stream:
                await on_piece(piece)
        return True
    except TimeoutError:
        return False
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
