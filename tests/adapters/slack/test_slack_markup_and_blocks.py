"""Slack markup in, Block Kit out: what people write reaches the core as words, and what the
core says reaches Slack as Markdown with linked sources and buttons."""

from __future__ import annotations

from adapters.slack.blocks import MessageLook, blocks_for, button_of, fallback_text, source_line
from adapters.slack.markup import mentions, plain_text
from core.models import Button, SourceLink

NAMES = {"U2": "Jun", "C9": "design"}


async def name_of(target: str) -> str:
    return NAMES.get(target, target)


async def test_the_bots_mention_goes_and_other_markup_becomes_names_and_urls() -> None:
    raw = (
        "<@UBOT> when is the freeze? see <https://example.com/doc|the doc> in "
        "<#C123|general>, ask <@U2> or <#C9> &amp; <!here>"
    )

    text = await plain_text(raw, "UBOT", name_of, name_of)

    assert text == (
        "when is the freeze? see the doc (https://example.com/doc) in #general, "
        "ask @Jun or #design & @here"
    )


async def test_a_bare_link_keeps_its_url_and_lines_stay_apart() -> None:
    raw = "<@UBOT> 이 영상 정리해 줘 <https://youtu.be/abc123xyz_0>\n```\ncode  here\n```"

    text = await plain_text(raw, "UBOT", name_of, name_of)

    assert text == "이 영상 정리해 줘 https://youtu.be/abc123xyz_0\n```\ncode here\n```"


def test_a_mention_is_recognised_with_or_without_a_label() -> None:
    assert mentions("hi <@UBOT>", "UBOT")
    assert mentions("hi <@UBOT|ragbot>", "UBOT")
    assert not mentions("hi <@UBOTTOM>", "UBOT")


def test_an_answer_is_a_markdown_block_with_linked_sources_and_buttons() -> None:
    look = MessageLook(
        "The freeze starts **Monday**.",
        heading="Sources",
        sources=[
            SourceLink((1,), "Release <plan>", "§ Freeze, p. 3", "https://example.com/plan"),
            SourceLink((2, 3), "All-hands", "1:35", "https://www.youtube.com/watch?v=abc&t=95s"),
        ],
        buttons=[Button("Regenerate", "regenerate", "1700.1")],
    )

    blocks = blocks_for(look)

    assert blocks[0] == {"type": "markdown", "text": "The freeze starts **Monday**."}
    context = [element["text"] for element in blocks[1]["elements"]]
    assert context == [
        "*Sources*",
        "[1] <https://example.com/plan|Release &lt;plan&gt;>, § Freeze, p. 3",
        "[2][3] <https://www.youtube.com/watch?v=abc&t=95s|All-hands> @ 1:35",
    ]
    button = blocks[2]["elements"][0]
    assert button_of(button["value"]) == ("regenerate", "1700.1")
    assert "Sources:" in fallback_text(look) and "[2][3] All-hands" in fallback_text(look)


def test_a_source_without_a_link_is_plain_text() -> None:
    assert source_line(SourceLink((1,), "notes.txt")) == "[1] notes.txt"


def test_a_foreign_button_value_is_not_an_action() -> None:
    assert button_of("not json") is None
    assert button_of('{"value": 1}') is None
