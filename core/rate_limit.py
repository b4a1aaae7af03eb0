"""A cap on questions per minute, per person and per channel, so one person cannot queue
the model for everyone."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from core.models import ChannelRef

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateLimits:
    """Questions a minute; 0 turns a cap off."""

    per_person: int = 6
    per_channel: int = 20


class QuestionRateLimiter:
    """Counts questions in a sliding minute."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._people: dict[tuple[str, str, str], deque[float]] = {}
        self._channels: dict[ChannelRef, deque[float]] = {}

    def admit(self, channel: ChannelRef, person: str) -> float:
        """0 when the question may go ahead (and is counted), else the seconds to wait."""
        now = self._clock()
        person_key = (channel.platform, channel.workspace, person)
        windows = [
            (self._people.setdefault(person_key, deque()), self._limits.per_person),
            (self._channels.setdefault(channel, deque()), self._limits.per_channel),
        ]
        wait = 0.0
        for window, cap in windows:
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if cap > 0 and len(window) >= cap:
                wait = max(wait, window[0] + WINDOW_SECONDS - now)
        if wait > 0:
            return wait
        for window, _ in windows:
            window.append(now)
        return 0.0
