"""Errors the user should read, and the boundary that turns any other error into an apology."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable

from core.language import ENGLISH
from core.messages import say

log = logging.getLogger("ragbot.errors")


class UserFacingError(Exception):
    """An error written for the person in the chat: a phrase of core/messages.py and its
    values, shown in the language of the conversation (English in logs)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(self.text(ENGLISH))

    def text(self, language: str = ENGLISH) -> str:
        """The sentence in `language`."""
        return say(self.key, language, **self.values)

    @property
    def message(self) -> str:
        """The sentence in English."""
        return self.text(ENGLISH)


def new_reference_id() -> str:
    """A short id that ties an apology in chat to its log line."""
    return secrets.token_hex(3)


async def run_guarded(
    work: Awaitable[None],
    reply: Callable[[str], Awaitable[object]],
    apology: Callable[[str], str],
    context: str,
    language: str = ENGLISH,
) -> bool:
    """Await `work`; show a UserFacingError in `language`, log anything else and apologise.

    Returns True when the work finished without an error.
    """
    try:
        await work
        return True
    except UserFacingError as error:
        log.info("%s: %s", context, error.message)
        await _reply_safely(reply, error.text(language))
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
