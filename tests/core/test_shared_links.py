"""Links shared in a channel are fetched and indexed like files; words beside a link
addressed to the bot are still a question."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.channel_settings import ChannelSettings
from core.embeddings import EmbeddingSet, WeightedEmbedder
from core.errors import UserFacingError
from core.ingestion import IngestionService, IngestionSettings
from core.models import Attachment, FetchedLink
from tests.core.conftest import TOWER, Harness, build_harness
from tests.fakes import MemoryStore, ParagraphReader, ScriptedModel, WordEmbedder

PAGE = "https://example.com/glimmerstone-history"


class FakeLinks:
    """A LinkFetcher serving pages from a dict; other URLs are unreachable."""

    def __init__(self, pages: dict[str, tuple[str, str]]) -> None:
        self.pages = pages
        self.fetched: list[str] = []

    async def fetch(self, url: str, folder: str, max_bytes: int) -> FetchedLink:
        self.fetched.append(url)
        if url not in self.pages:
            raise UserFacingError("link_unreachable", url=url)
        title, text = self.pages[url]
        path = Path(folder) / "page.md"
        path.write_text(text, encoding="utf-8")
        return FetchedLink(str(path), title)


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Harness, FakeLinks]:
    links = FakeLinks({PAGE: ("Glimmerstone history", TOWER)})
    harness = build_harness(
        tmp_path, model=ScriptedModel("The tower was built in 1887 [1]."), links=links
    )
    return harness, links


async def test_a_link_said_in_passing_is_indexed_under_its_page_title(
    linked: tuple[Harness, FakeLinks],
) -> None:
    harness, links = linked

    await harness.say(f"history of the tower: {PAGE}", addressed=False)

    assert links.fetched == [PAGE]
    assert harness.chat.last().startswith("Indexed *Glimmerstone history*")
    await harness.say("sources")
    assert "Glimmerstone history" in harness.chat.last()
    assert harness.model.questions_asked == 0


async def test_words_addressed_beside_a_link_are_answered_from_it(
    linked: tuple[Harness, FakeLinks],
) -> None:
    harness, links = linked

    await harness.say(f"{PAGE} When was the Glimmerstone Tower built?")

    assert links.fetched == [PAGE]
    assert "Indexed *Glimmerstone history*" in " ".join(harness.chat.shown())
    assert harness.chat.last().startswith("The tower was built in 1887")
    prompt = harness.model.prompts[-1][-1].content
    assert "When was the Glimmerstone Tower built?" in prompt
    assert f"{PAGE} When" not in prompt, "the link is not part of the question"


async def test_a_link_in_a_command_names_a_source_and_is_not_fetched(
    linked: tuple[Harness, FakeLinks],
) -> None:
    harness, links = linked

    await harness.say(f"forget {PAGE}")

    assert links.fetched == []


async def test_an_unreachable_link_gets_a_clear_reply_and_a_failed_catalog_entry(
    linked: tuple[Harness, FakeLinks],
) -> None:
    harness, _ = linked

    await harness.say("https://example.com/gone", addressed=False)

    assert "https://example.com/gone" in harness.chat.last()
    await harness.say("sources")
    assert "failed" in harness.chat.last()


async def test_with_auto_index_off_a_link_in_passing_is_left_alone(tmp_path: Path) -> None:
    links = FakeLinks({PAGE: ("Glimmerstone history", TOWER)})
    harness = build_harness(tmp_path, links=links, channels=ChannelSettings(auto_index=False))

    await harness.say(f"look: {PAGE}", addressed=False)

    assert links.fetched == []
    assert harness.chat.order == []


def test_every_form_of_a_youtube_link_is_one_source() -> None:
    ingestion = IngestionService(
        ParagraphReader(),
        EmbeddingSet([WeightedEmbedder(WordEmbedder())]),
        MemoryStore(),
        None,
        IngestionSettings(),
    )
    forms = [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://m.youtube.com/shorts/dQw4w9WgXcQ",
    ]

    ids = {ingestion.source_of(Attachment(name=url, url=url)).source_id for url in forms}

    assert len(ids) == 1
