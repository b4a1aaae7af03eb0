"""Command parsing, citations and links."""

from __future__ import annotations

from core.citations import (
    cited_numbers,
    format_sources,
    link_at_time,
    select_cited,
    source_links,
)
from core.commands import UnknownCommand, parse_command
from core.language import detect_language
from core.models import Chunk, Passage, Source, SourceKind


def test_command_words_are_commands_with_or_without_a_prefix() -> None:
    for text in ("sources", "/sources", "!sources", "SOURCES", "출처"):
        parsed = parse_command(text)
        assert isinstance(parsed, tuple) and parsed[0].name == "sources"


def test_a_question_starting_with_a_command_word_stays_a_question() -> None:
    assert parse_command("reset the router how?") is None
    assert parse_command("again, why is the sky blue?") is None


def test_forget_takes_the_rest_as_its_argument() -> None:
    parsed = parse_command("forget  quarterly report.pdf ")
    assert isinstance(parsed, tuple)
    assert parsed[0].name == "forget" and parsed[1] == "quarterly report.pdf"


def test_prefixed_unknown_word_is_an_unknown_command() -> None:
    assert parse_command("/bogus") == UnknownCommand("bogus")
    assert parse_command("what is bogus?") is None


def test_citations_are_read_in_order_and_out_of_range_ones_ignored() -> None:
    assert cited_numbers("See [2] and [1], again [2], not [9].", 3) == [2, 1]


def _passage(
    title: str, page: int | None = None, url: str | None = None, start: float | None = None
) -> Passage:
    source = Source(
        "id-" + title, title, SourceKind.MEDIA if start is not None else SourceKind.DOCUMENT, url
    )
    return Passage(Chunk("text", source, 0, page=page, start_seconds=start), 0.9)


def test_sources_share_a_line_when_they_point_at_the_same_place() -> None:
    passages = [_passage("a.pdf", 3), _passage("a.pdf", 3), _passage("b.txt")]

    text = format_sources(source_links(select_cited("Uses [1] and [2] and [3].", passages)))

    assert text == "Sources:\n[1][2] a.pdf, p. 3\n[3] b.txt"


def test_youtube_sources_link_to_the_second() -> None:
    passage = _passage("Talk", url="https://www.youtube.com/watch?v=abc&t=5s", start=95.4)

    text = format_sources(source_links(select_cited("[1]", [passage])))

    assert "Talk @ 1:35 <https://www.youtube.com/watch?v=abc&t=95s>" in text
    assert link_at_time("https://youtu.be/abc", 7) == "https://youtu.be/abc?t=7s"
    assert link_at_time("https://example.com/a.mp4", 7) == "https://example.com/a.mp4#t=7"


def test_language_detection_tells_korean_from_english() -> None:
    assert detect_language("글리머스톤 타워는 언제 지어졌나요?") == "ko"
    assert detect_language("When was the Glimmerstone Tower built?") == "en"
    assert detect_language("Slack 알림 설정은 어떻게 바꾸나요?") == "ko"
    assert detect_language("1234 !!") == "en"


def test_sampling_fills_only_what_it_leaves_open() -> None:
    from core.models import Sampling

    defaults = Sampling(
        temperature=0.1, top_k=40, top_p=0.9, repeat_penalty=1.1, max_new_tokens=384, seed=-1
    )

    chosen = Sampling(temperature=0.8, seed=5).filled_from(defaults)

    assert chosen == Sampling(
        temperature=0.8, top_k=40, top_p=0.9, repeat_penalty=1.1, max_new_tokens=384, seed=5
    )


def test_an_answer_without_markers_is_attributed_by_the_terms_it_repeats() -> None:
    tower = _passage("tower.txt")
    tower = Passage(Chunk("The Glimmerstone Tower is 212 metres tall.", tower.chunk.source, 0), 0.9)
    wifi = Passage(Chunk("The wifi is called Pelican-5.", Source("w", "wifi.txt"), 0), 0.9)

    korean = select_cited("Glimmerstone Tower는 212미터입니다.", [wifi, tower])
    nothing = select_cited("잘 모르겠습니다.", [wifi, tower])

    assert [number for number, _ in korean] == [2]
    assert [number for number, _ in nothing] == [1, 2]


def test_answers_that_say_the_sources_do_not_tell_are_recognised_in_both_languages() -> None:
    from core.citations import says_not_stated

    for answer in (
        "I do not know.",
        "The passages don't mention a parking fee.",
        "The price is not specified in the passages.",
        "주차비는 자료에 나와 있지 않습니다.",
        "잘 모르겠습니다.",
    ):
        assert says_not_stated(answer), answer
    for answer in ("It was built in 1887.", "주차비는 없습니다.", "Entry costs nine coins."):
        assert not says_not_stated(answer), answer


def test_a_figure_the_passages_do_not_hold_is_unsupported() -> None:
    from core.citations import unsupported_numbers
    from core.models import Chunk, Passage, Source

    passages = [
        Passage(
            Chunk("The shuttle leaves at 08:15; tickets cost 1,200 won.", Source("s", "a.md"), 0),
            0.9,
        )
    ]

    assert unsupported_numbers("It leaves at 8:15 [1].", passages, "when?") == set()
    assert unsupported_numbers("Tickets cost 1200 won.", passages, "how much?") == set()
    assert unsupported_numbers("Parking costs 5000 won.", passages, "parking fee?") == {"5000"}
    assert unsupported_numbers("Room 12 is on floor 3.", passages, "is room 12 far?") == {"3"}
