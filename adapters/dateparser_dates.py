"""The PhraseDates port with dateparser: one isolated time phrase to a point in time.

The core finds the phrase in the question and makes the calendar window; dateparser only
reads phrases such as "last week", "3일 전" or "11월 2일" (English and Korean).

dateparser's first parse is slow: it loads its language data and compiles its patterns.
Measured on a 2-core machine under load (load average 8): importing it takes 0.07-0.1 s,
the first English and Korean phrases 0.13 s together, every later phrase about 0.7 ms. The
constructor pays the first-phrase cost once, at startup, not on someone's first question.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

LANGUAGES = ["en", "ko"]


class DateparserDates:
    """Reads a time phrase with dateparser, in English and Korean, preferring the past."""

    def __init__(self) -> None:
        self._settings: dict[str, Any] = {
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": True,
        }
        # Warm up both languages (see the module docstring).
        warm_up = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
        for phrase in ("yesterday", "어제"):
            self.point(phrase, warm_up, "UTC")

    def point(self, phrase: str, now: datetime, time_zone: str) -> datetime | None:
        """The aware moment `phrase` names relative to `now` in the IANA `time_zone`, in
        that zone; None when dateparser cannot read it."""
        # RELATIVE_BASE must be aware: from a naive one, dateparser applies the offset of
        # `now` to the result, so "yesterday" at 23:30 on the day New York leaves daylight
        # saving time comes out as that same day.
        settings = {
            **self._settings,
            "RELATIVE_BASE": now.astimezone(ZoneInfo(time_zone)),
            "TIMEZONE": time_zone,
            "TO_TIMEZONE": time_zone,
        }
        # The settings change with every `now`, and dateparser fixes them when a parser is
        # made; making one costs about 35 µs, the language data it loads is shared.
        parser = DateDataParser(languages=LANGUAGES, settings=settings)
        found: datetime | None = parser.get_date_data(phrase).date_obj
        return found
