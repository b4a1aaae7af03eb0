"""Time references in questions ("last week", 지난주에) and the calendar windows they name.

The phrase is found here, by a small bilingual pattern set (dateparser's own search in
whole sentences is unreliable: it takes "we" for a date and misses 지난주에). What the
phrase points to is asked of a PhraseDates port (dateparser), one isolated phrase at a
time, after normalising the forms it misses. The calendar window around that point, in
the channel's time zone, is computed here and returned in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from core.ports import PhraseDates


@dataclass(frozen=True)
class TimeWindow:
    """A calendar window a question names: `start` to `end` (exclusive), aware, in UTC."""

    start: datetime
    end: datetime
    phrase: str


class _Span(Enum):
    """How much calendar a phrase covers around the point it names."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    WEEK_SO_FAR = "week so far"
    MONTH_SO_FAR = "month so far"


@dataclass(frozen=True)
class _Found:
    phrase: str
    rest: str
    span: _Span
    query: str
    yearless: bool
    start: int
    end: int


# A match's groups, an alternative spelling's (month2, year2...) under the main name, "" unset.
_Groups = Mapping[str, str]
# The phrase dateparser is asked, from a match; None when the match is no date after all.
_Query = Callable[[_Groups], str | None]


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    span: _Span | Callable[[_Groups], _Span]
    query: _Query
    yearless: Callable[[_Groups], bool] = lambda groups: False


_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_KO_NUMBERS = {"한": 1, "두": 2, "세": 3, "네": 4}
_KO_WEEKDAYS = {
    "월": "monday",
    "화": "tuesday",
    "수": "wednesday",
    "목": "thursday",
    "금": "friday",
    "토": "saturday",
    "일": "sunday",
}
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    # An abbreviation followed by an apostrophe is a name ("in Jan's thread").
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?:\.|(?!['’]))"
)
_EN_NUMBER = r"\d{1,3}|" + "|".join(_EN_NUMBERS)

# Particles a Korean time word takes (지난주에, 어제의, 3일 전쯤에); after them no syllable
# may follow, so 주간, 주말, 전화 and 오늘날 are not time words.
_KO_PARTICLE = r"(?:쯤|경|께)?(?:에서는|에서|에는|에도|에|엔|의|부터|는|은|도|만)?(?![가-힣])"
_KO_START = r"(?<![가-힣0-9])"


def _english(pattern: str) -> re.Pattern[str]:
    # A possessive goes with the phrase: "last week's meeting" leaves "meeting".
    return re.compile(rf"\b(?P<phrase>{pattern})\b(?:['’]s\b)?", re.IGNORECASE)


def _korean(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"{_KO_START}(?P<phrase>{pattern}){_KO_PARTICLE}")


def _said(groups: _Groups) -> str:
    return " ".join(groups["phrase"].lower().split())


def _fixed(query: str) -> _Query:
    return lambda groups: query


def _en_ago(groups: _Groups) -> str:
    count = _en_count(groups["n"])
    unit = groups["unit"].lower()
    return f"{count} {unit}{'s' if count != 1 else ''} ago"


def _en_count(word: str) -> int:
    return int(word) if word.isdigit() else _EN_NUMBERS[word.lower()]


def _en_ago_span(groups: _Groups) -> _Span:
    return {"day": _Span.DAY, "week": _Span.WEEK, "month": _Span.MONTH}[groups["unit"].lower()]


def _month_named(groups: _Groups) -> str | None:
    # "may" is a verb far more often than a month: only "May" with a capital counts, or
    # any spelling after a preposition.
    if groups["month"] == "may" and not groups["prep"]:
        return None
    return " ".join(part for part in (groups.get("day"), groups["month"], groups["year"]) if part)


def _has_no_year(groups: _Groups) -> bool:
    return not groups["year"]


def _ko_ago(groups: _Groups) -> str | None:
    number, unit = groups["n"], groups["unit"]
    if number in _KO_NUMBERS and unit == "일":
        return None  # 한 일 is "the work done", not "one day"; 하루 전 is the spelling
    count = int(number) if number.isdigit() else _KO_NUMBERS[number]
    # dateparser misses "3 일 전" and "3일전": always the spaced form it reads.
    return f"{count}{'주' if unit.startswith('주') else unit} 전"


def _ko_ago_span(groups: _Groups) -> _Span:
    unit = groups["unit"]
    return _Span.DAY if unit == "일" else _Span.WEEK if unit.startswith("주") else _Span.MONTH


def _ko_date(groups: _Groups) -> str:
    year = f"{groups['year']}년 " if groups["year"] else ""
    day = f" {groups['day']}일" if groups.get("day") else ""
    return f"{year}{int(groups['month'])}월{day}"


_PATTERNS = (
    # English
    _Pattern(_english(r"(?:the\s+)?day\s+before\s+yesterday"), _Span.DAY, _fixed("2 days ago")),
    _Pattern(_english(r"yesterday|today"), _Span.DAY, _said),
    _Pattern(
        _english(rf"(?P<n>{_EN_NUMBER})\s+(?P<unit>day|week|month)s?\s+ago"),
        _en_ago_span,
        _en_ago,
    ),
    _Pattern(_english(rf"last\s+(?:{_WEEKDAYS})"), _Span.DAY, _said),
    # "the last week" / "in the last month" are rolling spans, not the calendar's.
    _Pattern(_english(r"(?<!\bthe\s)last\s+week"), _Span.WEEK, _fixed("last week")),
    _Pattern(_english(r"(?<!\bthe\s)last\s+month"), _Span.MONTH, _fixed("last month")),
    _Pattern(_english(r"this\s+week"), _Span.WEEK_SO_FAR, _fixed("this week")),
    _Pattern(_english(r"this\s+month"), _Span.MONTH_SO_FAR, _fixed("this month")),
    # A month name alone only after a preposition or with a year: "may I", "March on".
    _Pattern(
        _english(
            rf"(?:(?P<prep>in|during)\s+(?P<month>{_MONTHS})(?:\s+(?P<year>\d{{4}}))?"
            rf"|(?P<month2>{_MONTHS})\s+(?P<year2>\d{{4}}))"
        ),
        _Span.MONTH,
        _month_named,
        _has_no_year,
    ),
    _Pattern(
        _english(
            rf"(?:(?P<prep>on)\s+)?(?:the\s+)?(?:"
            rf"(?P<month>{_MONTHS})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
            rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>{_MONTHS}))"
            rf"(?:,?\s+(?P<year>\d{{4}}))?"
        ),
        _Span.DAY,
        _month_named,
        _has_no_year,
    ),
    _Pattern(
        _english(r"(?:on\s+)?(?P<iso>\d{4}-\d{2}-\d{2})"), _Span.DAY, lambda groups: groups["iso"]
    ),
    # Korean
    _Pattern(_korean(r"그저께|그제"), _Span.DAY, _fixed("2 days ago")),
    _Pattern(_korean(r"어제|어저께"), _Span.DAY, _fixed("어제")),
    _Pattern(_korean(r"오늘"), _Span.DAY, _fixed("오늘")),
    _Pattern(_korean(r"하루\s?전"), _Span.DAY, _fixed("1일 전")),
    _Pattern(_korean(r"이틀\s?전"), _Span.DAY, _fixed("2일 전")),
    _Pattern(_korean(r"사흘\s?전"), _Span.DAY, _fixed("3일 전")),
    _Pattern(_korean(r"일주일\s?전"), _Span.WEEK, _fixed("1주 전")),
    _Pattern(
        _korean(r"(?P<n>\d{1,3}|한|두|세|네)\s?(?P<unit>일|주일|주|달|개월)\s?전"),
        _ko_ago_span,
        _ko_ago,
    ),
    # dateparser reads 지난주 and 이번 주 but not 지난 주 or 이번주; 저번 is 지난.
    _Pattern(_korean(r"(?:지난|저번)\s?주"), _Span.WEEK, _fixed("지난주")),
    _Pattern(_korean(r"이번\s?주"), _Span.WEEK_SO_FAR, _fixed("이번 주")),
    _Pattern(_korean(r"(?:지난|저번)\s?달"), _Span.MONTH, _fixed("지난달")),
    _Pattern(_korean(r"이번\s?달"), _Span.MONTH_SO_FAR, _fixed("이번 달")),
    _Pattern(
        _korean(r"(?:지난|저번)\s?(?P<weekday>[월화수목금토일])요일"),
        _Span.DAY,
        lambda groups: f"last {_KO_WEEKDAYS[groups['weekday']]}",
    ),
    _Pattern(
        _korean(r"(?:(?P<year>\d{4})년\s?)?(?P<month>\d{1,2})월\s?(?P<day>\d{1,2})일"),
        _Span.DAY,
        _ko_date,
        _has_no_year,
    ),
    _Pattern(
        _korean(r"(?:(?P<year>\d{4})년\s?)?(?P<month>\d{1,2})월(?:달)?"),
        _Span.MONTH,
        _ko_date,
        _has_no_year,
    ),
)


def _groups(match: re.Match[str]) -> dict[str, str]:
    """The match's groups, "" where unset, an alternative's (month2) under the main name."""
    groups: dict[str, str] = {}
    for name, value in match.groupdict(default="").items():
        main = name.removesuffix("2")
        groups[main] = groups.get(main) or value
    return groups


def find_time_reference(text: str) -> tuple[str, str] | None:
    """The time phrase of a question (as written, without a Korean particle) and the
    question without it and its particle; None when it names no time."""
    found = _find(text)
    return None if found is None else (found.phrase, found.rest)


def time_window(text: str, now: datetime, time_zone: str, dates: PhraseDates) -> TimeWindow | None:
    """The calendar window, in the IANA `time_zone`, that a question's time phrase names,
    relative to `now` (aware); None when it names none or `dates` cannot read it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    found = _find(text)
    if found is None:
        return None
    zone = ZoneInfo(time_zone)
    point = dates.point(found.query, now, time_zone)
    if point is None:
        return None
    # A naive point (the port promises aware ones) is read as the channel's wall clock.
    local = point.astimezone(zone) if point.tzinfo else point.replace(tzinfo=zone)
    bounds: tuple[date, date] | None = _calendar(local.date(), found.span)
    if found.yearless and bounds and _midnight(bounds[0], zone) > now:
        # A month or date without a year is the most recent one, never one to come.
        bounds = _year_before(local.date(), found.span)
    if bounds is None:
        return None
    start = _midnight(bounds[0], zone)
    end = _midnight(bounds[1], zone)
    if found.span in (_Span.WEEK_SO_FAR, _Span.MONTH_SO_FAR):
        end = now.astimezone(UTC)
    return TimeWindow(start, end, found.phrase)


def _find(text: str) -> _Found | None:
    """The earliest time phrase in `text`, the longest where several start there."""
    best: _Found | None = None
    for pattern in _PATTERNS:
        for match in pattern.regex.finditer(text):
            if best is not None and _rank(match.start(), match.end()) >= _rank(
                best.start, best.end
            ):
                continue
            groups = _groups(match)
            query = pattern.query(groups)
            if query is None:
                continue
            span = pattern.span if isinstance(pattern.span, _Span) else pattern.span(groups)
            best = _Found(
                phrase=" ".join(groups["phrase"].split()),
                rest=_without(text, match.start(), match.end()),
                span=span,
                query=query,
                yearless=pattern.yearless(groups),
                start=match.start(),
                end=match.end(),
            )
    return best


def _rank(start: int, end: int) -> tuple[int, int]:
    return start, start - end


def _without(text: str, start: int, end: int) -> str:
    """`text` without `text[start:end]`, its spaces and punctuation tidied."""
    rest = " ".join(f"{text[:start]} {text[end:]}".split())
    rest = re.sub(r"\s+([,.?!;:])", r"\1", rest)
    rest = re.sub(r"[,;:]+(?=[?.!]|$)", "", rest)
    return re.sub(r"^[,;:.]+\s*", "", rest)


def _calendar(day: date, span: _Span) -> tuple[date, date]:
    """The first day of the window around `day` and the first day after it."""
    if span is _Span.DAY:
        return day, day + timedelta(days=1)
    if span in (_Span.WEEK, _Span.WEEK_SO_FAR):
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def _year_before(day: date, span: _Span) -> tuple[date, date] | None:
    try:
        return _calendar(day.replace(year=day.year - 1), span)
    except ValueError:  # 29 February
        return None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
