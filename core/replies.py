"""Where replies go and the error boundary they pass through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.errors import run_guarded
from core.messages import say
from core.models import IncomingMessage, MessageRef
from core.ports import ChatClient

Reply = Callable[[str], Awaitable[MessageRef]]


def replier(message: IncomingMessage, chat: ChatClient) -> Reply:
    """Post a reply where `message` was said (its thread, when it has one)."""

    async def reply(text: str) -> MessageRef:
        return await chat.post(message.channel, text, message.thread_id)

    return reply


class ErrorSpot:
    """Where the error boundary's reply to a message goes: into the answer's placeholder
    while that still waits for its first words (no lone "…" is left above an apology),
    else a new message where the message was said (its thread, once the answer opened one).
    """

    def __init__(self, message: IncomingMessage, chat: ChatClient) -> None:
        self.message = message
        self._chat = chat
        self._placeholder: MessageRef | None = None
        self._waiting: Callable[[], bool] = lambda: False

    def hold(self, placeholder: MessageRef, waiting: Callable[[], bool]) -> None:
        """Reply into `placeholder` for as long as `waiting()` says it shows no answer."""
        self._placeholder = placeholder
        self._waiting = waiting

    async def reply(self, text: str) -> MessageRef:
        """Show `text` in the waiting placeholder, or post it."""
        placeholder, self._placeholder = self._placeholder, None
        if placeholder is not None and self._waiting():
            await self._chat.edit(placeholder, text)
            return placeholder
        return await self._chat.post(self.message.channel, text, self.message.thread_id)


async def guarded(work: Awaitable[None], reply: Reply, language: str, context: str) -> bool:
    """The error boundary around `work`: a UserFacingError is shown in `language`, anything
    else is logged and apologised for with a reference id. True when `work` succeeded."""
    return await run_guarded(
        work,
        reply,
        lambda reference: say("apology", language, ref=reference),
        context=context,
        language=language,
    )
