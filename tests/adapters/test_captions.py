"""WebVTT captions to plain cues: YouTube's automatic captions, hand-made subtitles, Korean."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.links.captions import parse_vtt
from core.errors import UserFacingError
from core.models import Cue

CAPTIONS = Path(__file__).resolve().parents[1] / "data" / "captions"


def read(name: str) -> str:
    return (CAPTIONS / name).read_text(encoding="utf-8")


def test_youtube_auto_captions_give_each_phrase_once_at_its_first_start() -> None:
    cues = parse_vtt(read("youtube_auto_en.vtt"))

    assert [cue.text for cue in cues] == [
        "hi everyone and welcome back to the channel",
        "today we're going to look at how the Eiffel",
        "Tower was built it was finished in 1889",
        "for the World's Fair in Paris and at the",
        "time it was the tallest structure in the",
        "world at about 300 meters",
        "so how long did it take to build",
        "about two years two months and five",
        "days which was really fast for the time",
    ]
    # The first line sits under YouTube's line of spaces in the cue that first shows it.
    assert (cues[0].start, cues[0].end) == (1.52, 4.1)
    assert [cue.start for cue in cues[1:4]] == [4.11, 6.83, 9.94]


def test_the_first_line_under_youtubes_line_of_spaces_keeps_its_start() -> None:
    # The spec ends a cue only at an empty line; "\n \n" is a line of one space, inside it.
    vtt = (
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:00:00.030 --> 00:00:02.389 align:start position:0%\n \n"
        "so<00:00:00.480><c> today</c><00:00:00.960><c> we</c>\n\n"
        "00:00:02.389 --> 00:00:02.399 align:start position:0%\nso today we\n \n\n"
        "00:00:02.399 --> 00:00:04.000 align:start position:0%\nso today we\n"
        "talk<00:00:02.800><c> bridges</c>\n"
    )

    assert parse_vtt(vtt) == [
        Cue(0.03, 2.389, "so today we"),
        Cue(2.399, 4.0, "talk bridges"),
    ]


def test_youtube_auto_captions_lose_tags_arrows_and_the_10ms_cues() -> None:
    cues = parse_vtt(read("youtube_auto_en.vtt"))
    text = " ".join(cue.text for cue in cues)

    assert "<" not in text and "&" not in text and ">>" not in text
    assert "[Music]" not in text
    assert all(cue.end - cue.start > 0.5 for cue in cues)
    assert [cue.start for cue in cues] == sorted(cue.start for cue in cues)


def test_korean_auto_captions_are_deduplicated_too() -> None:
    cues = parse_vtt(read("youtube_auto_ko.vtt"))

    assert cues == [
        Cue(1.2, 4.04, "안녕하세요 여러분 오늘은 에펠탑에 대해"),
        Cue(4.05, 7.3, "이야기해 보겠습니다 에펠탑은 1889년"),
        Cue(7.31, 10.01, "파리 만국 박람회를 위해 지어졌고"),
        Cue(10.02, 13.47, "높이는 약 330미터입니다 건설에는"),
        Cue(13.48, 16.07, "2년 2개월이 걸렸다고 합니다"),
    ]


def test_manual_subtitles_keep_every_cue_with_markup_and_entities_gone() -> None:
    cues = parse_vtt(read("lecture_manual_en.vtt"))

    assert cues == [
        Cue(1.0, 4.2, "Welcome to the third lecture on bridges."),
        Cue(4.5, 8.0, "Today: suspension bridges & why they sway in the wind."),
        Cue(8.3, 11.75, "Can you give an example?"),
        Cue(12.0, 15.5, "The Tacoma Narrows Bridge collapsed in 1940."),
        Cue(15.8, 19.0, "Its main span was 853 meters long."),
        Cue(19.2, 21.0, "Yes. Really <that> long."),
        Cue(3600.0, 3603.5, "That's all for today — see you next week."),
    ]


def test_korean_subtitles_with_a_bom_and_crlf_line_ends() -> None:
    raw = (CAPTIONS / "lecture_manual_ko.vtt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw

    cues = parse_vtt(raw.decode("utf-8"))

    assert [cue.text for cue in cues] == [
        "안녕하세요, 여러분.",
        "오늘은 서울의 한강 다리에 대해 이야기하겠습니다.",
        "한강에는 다리가 몇 개 있나요?",
        "현재 서른 개가 넘는 다리가 있고 가장 오래된 것은 1900년에 개통한 한강철교입니다.",
    ]
    assert cues[0].start == 0.5


def test_inline_word_timestamps_and_colour_classes_are_stripped() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:00:05.000 --> 00:00:07.000 align:start position:0%\n"
        "the<00:00:05.400><c.colorE5E5E5> quick</c><00:00:05.900><c.colorCCCCCC> fox</c>\n"
    )

    assert parse_vtt(vtt) == [Cue(5.0, 7.0, "the quick fox")]


def test_captions_that_grow_word_by_word_become_one_phrase() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:01.500\nhello\n\n"
        "00:00:01.500 --> 00:00:02.000\nhello there\n\n"
        "00:00:02.000 --> 00:00:03.000\nhello there everyone\n\n"
        "00:00:03.000 --> 00:00:04.000\nnext thought\n"
    )

    assert parse_vtt(vtt) == [
        Cue(1.0, 3.0, "hello there everyone"),
        Cue(3.0, 4.0, "next thought"),
    ]


def test_sound_only_cues_and_empty_cues_are_dropped() -> None:
    vtt = (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.000\n[Music]\n\n"
        "00:00:02.000 --> 00:00:03.000\n♪♪\n\n"
        "00:00:03.000 --> 00:00:04.000\n(applause)\n\n"
        "00:00:04.000 --> 00:00:05.000\n<i></i>\n\n"
        "00:00:05.000 --> 00:00:06.000\n[음악]\n\n"
        "00:00:06.000 --> 00:00:08.000\n&gt;&gt; Words at last.\n"
    )

    assert parse_vtt(vtt) == [Cue(6.0, 8.0, "Words at last.")]


def test_short_timestamps_without_hours() -> None:
    vtt = "WEBVTT\n\n00:01.250 --> 00:03.000\nShort form.\n"

    assert parse_vtt(vtt) == [Cue(1.25, 3.0, "Short form.")]


def test_a_line_of_spaces_between_cues_still_separates_them() -> None:
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nOne.\n   \n00:00:02.000 --> 00:00:03.000\nTwo.\n"
    )

    assert parse_vtt(vtt) == [Cue(1.0, 2.0, "One."), Cue(2.0, 3.0, "Two.")]


def test_an_empty_file_with_a_header_has_no_cues() -> None:
    assert parse_vtt("WEBVTT\nKind: captions\nLanguage: en\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not captions at all",
        "1\n00:00:01,000 --> 00:00:02,000\nAn SRT file\n",
        "WEBVTT\n\n00:00:99.000 --> 00:01:00.000\nBad seconds\n",
    ],
)
def test_text_that_is_not_webvtt_is_a_user_facing_error(text: str) -> None:
    with pytest.raises(UserFacingError) as error:
        parse_vtt(text)

    assert error.value.key == "captions_unreadable"
    assert "WebVTT" in error.value.text("ko")
