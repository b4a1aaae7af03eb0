"""Time windows of whole questions, English and Korean, with the real dateparser."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.dateparser_dates import DateparserDates
from core.ports import PhraseDates
from core.time_windows import time_window

# Sunday 22 November 2026, 15:00, for a channel in Seoul and for one in UTC.
NOWS = {
    "Asia/Seoul": datetime(2026, 11, 22, 15, 0, tzinfo=ZoneInfo("Asia/Seoul")),
    "UTC": datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
}
NOW = None  # a window that runs up to the present

QUESTIONS: list[tuple[str, date, date | None]] = [
    # English
    ("what did we discuss last week about the stew?", date(2026, 11, 9), date(2026, 11, 16)),
    ("what did we decide yesterday?", date(2026, 11, 21), date(2026, 11, 22)),
    ("Yesterday, who shared the deploy checklist?", date(2026, 11, 21), date(2026, 11, 22)),
    ("anything new today about the budget?", date(2026, 11, 22), date(2026, 11, 23)),
    ("what did we say the day before yesterday?", date(2026, 11, 20), date(2026, 11, 21)),
    ("what did we agree on this week?", date(2026, 11, 16), NOW),
    ("summarise last month's decisions", date(2026, 10, 1), date(2026, 11, 1)),
    ("what happened this month with hiring?", date(2026, 11, 1), NOW),
    ("in March we talked about the budget", date(2026, 3, 1), date(2026, 4, 1)),
    ("what did we say in march 2026 about rent?", date(2026, 3, 1), date(2026, 4, 1)),
    ("notes from the March 2026 planning", date(2026, 3, 1), date(2026, 4, 1)),
    ("what did we decide in December about the office?", date(2025, 12, 1), date(2026, 1, 1)),
    ("who spoke on 2026-11-02 about the release?", date(2026, 11, 2), date(2026, 11, 3)),
    ("what was said on November 2 about the stew?", date(2026, 11, 2), date(2026, 11, 3)),
    ("the link Ana posted 3 days ago", date(2026, 11, 19), date(2026, 11, 20)),
    ("what did we pick two weeks ago for the database?", date(2026, 11, 2), date(2026, 11, 9)),
    ("what did we discuss last Tuesday?", date(2026, 11, 17), date(2026, 11, 18)),
    ("the stew recipe from a week ago", date(2026, 11, 9), date(2026, 11, 16)),
    ("the plan we made ten days ago", date(2026, 11, 12), date(2026, 11, 13)),
    ("what did we say a month ago about rent?", date(2026, 10, 1), date(2026, 11, 1)),
    # Korean
    ("지난주에 스튜 얘기 뭐였지?", date(2026, 11, 9), date(2026, 11, 16)),
    ("지난 주에 정한 거 알려줘", date(2026, 11, 9), date(2026, 11, 16)),
    ("어제 회의에서 뭐 정했어?", date(2026, 11, 21), date(2026, 11, 22)),
    ("그저께 누가 링크 올렸지?", date(2026, 11, 20), date(2026, 11, 21)),
    ("그제 얘기한 예산 얼마였지?", date(2026, 11, 20), date(2026, 11, 21)),
    ("오늘 배포 얘기 있었어?", date(2026, 11, 22), date(2026, 11, 23)),
    ("이번 주에 뭐 했지?", date(2026, 11, 16), NOW),
    ("이번주 회의록 보여줘", date(2026, 11, 16), NOW),
    ("지난달 예산 회의 내용 알려줘", date(2026, 10, 1), date(2026, 11, 1)),
    ("지난 달에 정한 휴가 규칙", date(2026, 10, 1), date(2026, 11, 1)),
    ("이번 달 채용 얘기 있었나?", date(2026, 11, 1), NOW),
    ("3일 전에 공유한 링크", date(2026, 11, 19), date(2026, 11, 20)),
    ("2주 전 회의에서 뭐 정했지?", date(2026, 11, 2), date(2026, 11, 9)),
    ("두 주 전에 고른 데이터베이스가 뭐였지?", date(2026, 11, 2), date(2026, 11, 9)),
    ("한 달 전에 얘기한 예산", date(2026, 10, 1), date(2026, 11, 1)),
    ("11월 2일에 누가 배포 얘기했지?", date(2026, 11, 2), date(2026, 11, 3)),
    ("3월에 예산 얘기했던 거 찾아줘", date(2026, 3, 1), date(2026, 4, 1)),
    ("12월에 사무실 얘기 뭐였지?", date(2025, 12, 1), date(2026, 1, 1)),
    ("지난 화요일에 뭐 했지?", date(2026, 11, 17), date(2026, 11, 18)),
    ("일주일 전에 올린 파일 어디 있어?", date(2026, 11, 9), date(2026, 11, 16)),
    ("이틀 전 회의 요약해줘", date(2026, 11, 20), date(2026, 11, 21)),
]


@pytest.fixture(scope="module")
def dates() -> DateparserDates:
    return DateparserDates()


def midnight(day: date, time_zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def test_dateparser_dates_is_a_phrase_dates(dates: DateparserDates) -> None:
    port: PhraseDates = dates
    assert port.point("어제", NOWS["UTC"], "UTC") == datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("time_zone", sorted(NOWS))
@pytest.mark.parametrize(("question", "first", "after"), QUESTIONS, ids=[q for q, *_ in QUESTIONS])
def test_a_question_filters_by_the_calendar_window_it_names(
    dates: DateparserDates, question: str, first: date, after: date | None, time_zone: str
) -> None:
    now = NOWS[time_zone]
    found = time_window(question, now, time_zone, dates)
    assert found is not None
    end = now.astimezone(UTC) if after is NOW else midnight(after, time_zone)
    assert (found.start, found.end) == (midnight(first, time_zone), end)


def test_the_table_covers_both_languages_widely() -> None:
    korean = [q for q, *_ in QUESTIONS if any("가" <= c <= "힣" for c in q)]
    assert len(QUESTIONS) >= 30
    assert len(korean) >= 15 and len(QUESTIONS) - len(korean) >= 15


@pytest.mark.parametrize(
    "question",
    [
        "may I ask about the stew?",
        "what is the March Hare?",
        "we discussed the weekly report",
        "주간 보고서 어디 있어?",
        "what did the team say about the stew?",
        "지난 주말에 뭐 했어?",
    ],
)
def test_a_question_without_a_time_has_no_window(dates: DateparserDates, question: str) -> None:
    assert time_window(question, NOWS["UTC"], "UTC", dates) is None


def test_a_seoul_channel_reads_yesterday_in_seoul_when_it_is_already_tomorrow_there(
    dates: DateparserDates,
) -> None:
    # 15:00 UTC on the 22nd is midnight of Monday the 23rd in Seoul.
    found = time_window("what did we decide yesterday?", NOWS["UTC"], "Asia/Seoul", dates)
    assert found is not None
    assert (found.start, found.end) == (
        midnight(date(2026, 11, 22), "Asia/Seoul"),
        midnight(date(2026, 11, 23), "Asia/Seoul"),
    )


def test_yesterday_late_on_the_day_daylight_saving_ends_is_the_day_before(
    dates: DateparserDates,
) -> None:
    # From a naive base dateparser answers 1 November here; the adapter passes an aware one.
    now = datetime(2026, 11, 1, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    point = dates.point("yesterday", now, "America/New_York")
    assert point is not None
    assert point.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 10, 31)
    found = time_window("yesterday", now, "America/New_York", dates)
    assert found is not None
    assert (found.start, found.end) == (
        datetime(2026, 10, 31, 4, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
    )


def test_the_point_is_aware_in_the_channels_zone(dates: DateparserDates) -> None:
    point = dates.point("3일 전", NOWS["Asia/Seoul"], "Asia/Seoul")
    assert point == datetime(2026, 11, 19, 15, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert point is not None and point.utcoffset() is not None


@pytest.mark.parametrize(
    "phrase",
    [
        "지난 주",
        "이번주",
        "지난 달",
        "이번달",
        "그저께",
        "그제",
        "한 달 전",
        "3 일 전",
        "지난 화요일",
    ],
)
def test_dateparser_misses_the_forms_the_core_normalises(
    dates: DateparserDates, phrase: str
) -> None:
    # Should a new dateparser read these, the normalising in core/time_windows.py may go.
    assert dates.point(phrase, NOWS["Asia/Seoul"], "Asia/Seoul") is None


def test_a_phrase_dateparser_cannot_read_is_no_point(dates: DateparserDates) -> None:
    assert dates.point("the week of the big storm", NOWS["UTC"], "UTC") is None
