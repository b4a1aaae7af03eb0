"""Time phrases in questions and the calendar windows they name, with a fake PhraseDates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from core.ports import PhraseDates
from core.time_windows import TimeWindow, find_time_reference, time_window

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
# A Sunday afternoon in Seoul (06:00 UTC).
NOW_SEOUL = datetime(2026, 11, 22, 15, 0, tzinfo=SEOUL)
NOW_UTC = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)

Answer = Callable[[datetime], datetime]


def days_before(days: int) -> Answer:
    # Wall-clock arithmetic in the channel's zone, as calendar words mean.
    return lambda local: local - timedelta(days=days)


def months_before(months: int) -> Answer:
    def answer(local: datetime) -> datetime:
        index = local.year * 12 + local.month - 1 - months
        return local.replace(year=index // 12, month=index % 12 + 1, day=min(local.day, 28))

    return answer


def at(year: int, month: int, day: int) -> Answer:
    return lambda local: datetime(year, month, day, tzinfo=local.tzinfo)


class FakeDates:
    """Answers the phrases the core asks as dateparser would (a point relative to `now` in
    the channel's zone), and keeps what it was asked."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.answers: dict[str, Answer] = {
            "yesterday": days_before(1),
            "today": days_before(0),
            "2 days ago": days_before(2),
            "3 days ago": days_before(3),
            "2 weeks ago": days_before(14),
            "last week": days_before(7),
            "this week": days_before(0),
            "last month": months_before(1),
            "this month": days_before(0),
            "last tuesday": at(2026, 11, 17),
            "March": at(2026, 3, 22),
            "2026-11-02": at(2026, 11, 2),
            "어제": days_before(1),
            "오늘": days_before(0),
            "지난주": days_before(7),
            "이번 주": days_before(0),
            "지난달": months_before(1),
            "이번 달": days_before(0),
            "3일 전": days_before(3),
            "2주 전": days_before(14),
            "1달 전": months_before(1),
            "11월 2일": at(2026, 11, 2),
            "3월": at(2026, 3, 22),
        }
        self.answers.update(answers or {})
        self.asked: list[str] = []

    def point(self, phrase: str, now: datetime, time_zone: str) -> datetime | None:
        self.asked.append(phrase)
        answer = self.answers.get(phrase)
        return None if answer is None else answer(now.astimezone(ZoneInfo(time_zone)))


def window(
    text: str, now: datetime, time_zone: str, dates: PhraseDates | None = None
) -> TimeWindow | None:
    return time_window(text, now, time_zone, dates or FakeDates())


def local(year: int, month: int, day: int, zone: tzinfo) -> datetime:
    """Midnight of a day in `zone`, in UTC."""
    return datetime(year, month, day, tzinfo=zone).astimezone(UTC)


def test_the_fake_is_a_phrase_dates() -> None:
    dates: PhraseDates = FakeDates()
    assert dates.point("yesterday", NOW_UTC, "UTC") == datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "phrase", "rest"),
    [
        (
            "what did we discuss last week about the stew?",
            "last week",
            "what did we discuss about the stew?",
        ),
        ("Yesterday, what did we decide?", "Yesterday", "what did we decide?"),
        (
            "what did we say about the stew, last week?",
            "last week",
            "what did we say about the stew?",
        ),
        ("in March we talked about the budget", "in March", "we talked about the budget"),
        ("what was said on 2026-11-02?", "on 2026-11-02", "what was said?"),
        ("notes from last week's retro", "last week", "notes from retro"),
        (
            "what did we say the day before yesterday?",
            "the day before yesterday",
            "what did we say?",
        ),
        ("지난주에 스튜 얘기 뭐였지?", "지난주", "스튜 얘기 뭐였지?"),
        ("지난주에는 뭐 했지?", "지난주", "뭐 했지?"),
        ("어제의 결정 사항", "어제", "결정 사항"),
        ("3일 전에 공유한 링크", "3일 전", "공유한 링크"),
        ("한 달 전쯤에 얘기한 예산", "한 달 전", "얘기한 예산"),
        ("3월경 회의록", "3월", "회의록"),
        ("어제부터 얘기한 배포", "어제", "얘기한 배포"),
        ("11월 2일에 누가 배포 얘기했지?", "11월 2일", "누가 배포 얘기했지?"),
        ("배포 얘기 지난 주에 했지?", "지난 주", "배포 얘기 했지?"),
    ],
)
def test_the_time_phrase_and_its_particle_leave_the_topic(
    question: str, phrase: str, rest: str
) -> None:
    assert find_time_reference(question) == (phrase, rest)


@pytest.mark.parametrize(
    "question",
    [
        "may I ask about the stew?",
        "what is the March Hare?",
        "will they March on the capital?",
        "we discussed the weekly report",
        "what did we say in the last week?",
        "what's in Jan's thread?",
        "주간 보고서 어디 있어?",
        "지난 주말에 뭐 했어?",
        "오늘날 AI는 어때?",
        "내가 한 일 전부 보여줘",
        "엊그제 얘기",
    ],
)
def test_words_that_only_look_like_dates_name_no_time(question: str) -> None:
    assert find_time_reference(question) is None
    dates = FakeDates()
    assert window(question, NOW_UTC, "UTC", dates) is None
    assert dates.asked == []


def test_the_earliest_and_longest_phrase_is_the_one_taken() -> None:
    assert find_time_reference("the day before yesterday or yesterday?") == (
        "the day before yesterday",
        "or yesterday?",
    )
    assert find_time_reference("on November 2, 2026 we shipped") == (
        "on November 2, 2026",
        "we shipped",
    )


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("지난 주에 뭐 했지?", "지난주"),
        ("저번주 회의", "지난주"),
        ("이번주 회의", "이번 주"),
        ("지난 달 예산", "지난달"),
        ("이번달 예산", "이번 달"),
        ("그저께 회의", "2 days ago"),
        ("그제 회의", "2 days ago"),
        ("the day before yesterday", "2 days ago"),
        ("한 달 전 회의", "1달 전"),
        ("두 주 전 회의", "2주 전"),
        ("2주일 전 회의", "2주 전"),
        ("일주일 전 회의", "1주 전"),
        ("3 일 전 링크", "3일 전"),
        ("3일전 링크", "3일 전"),
        ("이틀 전 링크", "2일 전"),
        ("지난 화요일에 뭐 했지?", "last tuesday"),
        ("two weeks ago", "2 weeks ago"),
        ("a week ago", "1 week ago"),
        ("Last Tuesday", "last tuesday"),
        ("in March", "March"),
        ("in march 2026", "march 2026"),
        ("on 2026-11-02", "2026-11-02"),
        ("on the 2nd of November", "2 November"),
        ("11월 2일에", "11월 2일"),
        ("3월달에", "3월"),
        ("2026년 3월에", "2026년 3월"),
    ],
)
def test_the_phrase_is_asked_in_the_form_dateparser_reads(question: str, asked: str) -> None:
    dates = FakeDates()
    window(question, NOW_SEOUL, "Asia/Seoul", dates)
    assert dates.asked == [asked]


@pytest.mark.parametrize(
    ("question", "now", "zone", "start", "end"),
    [
        # UTC: a day is the UTC day.
        ("yesterday", NOW_UTC, "UTC", local(2026, 11, 21, UTC), local(2026, 11, 22, UTC)),
        ("today", NOW_UTC, "UTC", local(2026, 11, 22, UTC), local(2026, 11, 23, UTC)),
        ("3 days ago", NOW_UTC, "UTC", local(2026, 11, 19, UTC), local(2026, 11, 20, UTC)),
        # Seoul: a day runs from 15:00 UTC the day before.
        ("어제", NOW_SEOUL, "Asia/Seoul", local(2026, 11, 21, SEOUL), local(2026, 11, 22, SEOUL)),
        ("그저께", NOW_SEOUL, "Asia/Seoul", local(2026, 11, 20, SEOUL), local(2026, 11, 21, SEOUL)),
        (
            "3일 전에",
            NOW_SEOUL,
            "Asia/Seoul",
            local(2026, 11, 19, SEOUL),
            local(2026, 11, 20, SEOUL),
        ),
        (
            "last Tuesday",
            NOW_SEOUL,
            "Asia/Seoul",
            local(2026, 11, 17, SEOUL),
            local(2026, 11, 18, SEOUL),
        ),
        (
            "on 2026-11-02",
            NOW_SEOUL,
            "Asia/Seoul",
            local(2026, 11, 2, SEOUL),
            local(2026, 11, 3, SEOUL),
        ),
        (
            "11월 2일에",
            NOW_SEOUL,
            "Asia/Seoul",
            local(2026, 11, 2, SEOUL),
            local(2026, 11, 3, SEOUL),
        ),
        # 20:00 UTC is already Monday in Seoul: "yesterday" is Sunday there.
        (
            "yesterday",
            datetime(2026, 11, 22, 20, 0, tzinfo=UTC),
            "Asia/Seoul",
            local(2026, 11, 22, SEOUL),
            local(2026, 11, 23, SEOUL),
        ),
    ],
)
def test_a_day_phrase_is_that_whole_day_in_the_channels_zone(
    question: str, now: datetime, zone: str, start: datetime, end: datetime
) -> None:
    assert window(question, now, zone) == TimeWindow(start, end, question.removesuffix("에"))


@pytest.mark.parametrize("question", ["last week", "지난주에", "지난 주"])
def test_last_week_is_the_previous_monday_to_monday_week(question: str) -> None:
    found = window(question, NOW_SEOUL, "Asia/Seoul")
    assert found is not None
    assert (found.start, found.end) == (local(2026, 11, 9, SEOUL), local(2026, 11, 16, SEOUL))
    assert found.start.weekday() == 6  # Sunday 15:00 UTC is Monday 00:00 in Seoul


@pytest.mark.parametrize("question", ["this week", "이번 주", "이번주에"])
def test_this_week_runs_from_monday_to_now(question: str) -> None:
    found = window(question, NOW_SEOUL, "Asia/Seoul")
    assert found is not None
    assert (found.start, found.end) == (local(2026, 11, 16, SEOUL), NOW_SEOUL.astimezone(UTC))


@pytest.mark.parametrize("question", ["2 weeks ago", "two weeks ago", "2주 전", "두 주 전"])
def test_weeks_ago_is_the_calendar_week_holding_that_day(question: str) -> None:
    found = window(question, NOW_SEOUL, "Asia/Seoul")
    assert found is not None
    # 14 days before Sunday 22 November is Sunday 8 November: the week of Monday the 2nd.
    assert (found.start, found.end) == (local(2026, 11, 2, SEOUL), local(2026, 11, 9, SEOUL))


@pytest.mark.parametrize("question", ["last month", "지난달", "지난 달", "한 달 전"])
def test_last_month_is_the_previous_calendar_month(question: str) -> None:
    found = window(question, NOW_SEOUL, "Asia/Seoul")
    assert found is not None
    assert (found.start, found.end) == (local(2026, 10, 1, SEOUL), local(2026, 11, 1, SEOUL))


@pytest.mark.parametrize("question", ["this month", "이번 달"])
def test_this_month_runs_from_its_first_day_to_now(question: str) -> None:
    found = window(question, NOW_UTC, "UTC")
    assert found is not None
    assert (found.start, found.end) == (local(2026, 11, 1, UTC), NOW_UTC)


@pytest.mark.parametrize("question", ["in March", "3월에"])
def test_a_month_name_is_that_whole_month(question: str) -> None:
    found = window(question, NOW_SEOUL, "Asia/Seoul")
    assert found is not None
    assert (found.start, found.end) == (local(2026, 3, 1, SEOUL), local(2026, 4, 1, SEOUL))


def test_a_month_without_a_year_is_never_one_to_come() -> None:
    # Should the parser answer this year's December in November, the core takes last year's.
    dates = FakeDates({"December": at(2026, 12, 22), "December 2026": at(2026, 12, 22)})
    found = window("in December", NOW_UTC, "UTC", dates)
    assert found is not None
    assert (found.start, found.end) == (local(2025, 12, 1, UTC), local(2026, 1, 1, UTC))
    written = window("in December 2026", NOW_UTC, "UTC", dates)
    assert written is not None
    assert written.start == local(2026, 12, 1, UTC)


def test_a_date_without_a_year_is_never_one_to_come() -> None:
    dates = FakeDates({"12월 3일": at(2026, 12, 3)})
    found = window("12월 3일에", NOW_SEOUL, "Asia/Seoul", dates)
    assert found is not None
    assert (found.start, found.end) == (local(2025, 12, 3, SEOUL), local(2025, 12, 4, SEOUL))


def test_the_day_daylight_saving_ends_is_25_hours_long() -> None:
    # New York leaves daylight saving time at 2:00 on Sunday 1 November 2026.
    now = datetime(2026, 11, 2, 12, 0, tzinfo=NEW_YORK)
    found = window("what did we decide yesterday?", now, "America/New_York")
    assert found == TimeWindow(
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),
        "yesterday",
    )
    assert found.end - found.start == timedelta(hours=25)


def test_the_day_daylight_saving_starts_is_23_hours_long() -> None:
    now = datetime(2026, 3, 9, 12, 0, tzinfo=NEW_YORK)
    found = window("어제 회의", now, "America/New_York")
    assert found is not None
    assert found.end - found.start == timedelta(hours=23)
    assert found.start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


def test_a_week_across_the_end_of_daylight_saving_starts_and_ends_at_local_midnight() -> None:
    now = datetime(2026, 11, 4, 9, 0, tzinfo=NEW_YORK)
    found = window("last week", now, "America/New_York")
    assert found is not None
    assert (found.start, found.end) == (
        datetime(2026, 10, 26, 4, 0, tzinfo=UTC),
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),
    )
    assert [moment.astimezone(NEW_YORK).hour for moment in (found.start, found.end)] == [0, 0]


def test_last_month_in_new_york_ends_at_its_midnight_still_in_daylight_time() -> None:
    now = datetime(2026, 11, 2, 12, 0, tzinfo=NEW_YORK)
    found = window("last month", now, "America/New_York")
    assert found is not None
    assert (found.start, found.end) == (
        datetime(2026, 10, 1, 4, 0, tzinfo=UTC),
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
    )


def test_windows_are_in_utc_whatever_zone_now_is_given_in() -> None:
    in_seoul = window("yesterday", NOW_SEOUL, "UTC")
    in_utc = window("yesterday", NOW_SEOUL.astimezone(UTC), "UTC")
    assert in_seoul == in_utc
    assert in_seoul is not None
    assert in_seoul.start.tzinfo is UTC and in_seoul.end.tzinfo is UTC


def test_a_phrase_the_parser_cannot_read_gives_no_window() -> None:
    dates = FakeDates()
    dates.answers.pop("지난주")
    assert window("지난주에 뭐 했지?", NOW_SEOUL, "Asia/Seoul", dates) is None
    assert dates.asked == ["지난주"]


def test_a_question_without_a_time_asks_the_parser_nothing() -> None:
    dates = FakeDates()
    assert window("what did we decide about the stew?", NOW_UTC, "UTC", dates) is None
    assert dates.asked == []


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError):
        window("yesterday", datetime(2026, 11, 22, 15, 0), "UTC")
