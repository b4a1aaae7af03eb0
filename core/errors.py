"""Errors the user should read, and the boundary that turns any other error into an apology."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

log = logging.getLogger("ragbot.errors")


class UserFacingError(Exception):
    """An error whose message is written for the person in the chat; shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_reference_id() -> str:
    """A short id that ties an apology in chat to its log line."""
    return secrets.token_hex(3)


async def run_guarded(
    work: Awaitable[None],
    reply: Callable[[str], Awaitable[object]],
    apology: Callable[[str], str],
    context: str,
) -> bool:
    """Await `work`; show a UserFacingError as written, log anything else and apologise.

    Returns True when the work finished without an error.
    """
    try:
        await work
        return True
    except UserFacingError as error:
        log.info("%s: %s", context, error.message)
        await _reply_safely(reply, error.message)
    except Exception:
        reference = new_reference_id()
        log.exception("%s failed [ref %s]", context, reference)
        await _reply_safely(reply, apology(reference))
    return False


async def _reply_safely(reply: Callable[[str], Awaitable[object]], text: str) -> None:
    # The reply itself may fail (the platform is down); that must not escape the boundary.
    try:
        await reply(text)
    except Exception:
        log.exception("could not deliver an error reply")
