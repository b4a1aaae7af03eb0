"""LlamaIndexDocumentReader on real files built in each test."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from adapters.documents import LlamaIndexDocumentReader
from adapters.documents.splitting import _count_tokens
from core.errors import UserFacingError
from core.models import Chunk, Source


@pytest.fixture(scope="module")
def reader() -> LlamaIndexDocumentReader:
    return LlamaIndexDocumentReader()


@pytest.fixture(scope="module")
def small_reader() -> LlamaIndexDocumentReader:
    return LlamaIndexDocumentReader(chunk_size=64, chunk_overlap=8)


def source_for(path: Path) -> Source:
    return Source(source_id=f"id-{path.name}", title=path.name)


async def read(reader: LlamaIndexDocumentReader, path: Path) -> list[Chunk]:
    chunks = await reader.read(str(path), source_for(path))
    assert chunks, "a readable file gives at least one chunk"
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.source == source_for(path)
        assert chunk.text == chunk.text.strip() and chunk.text
    return chunks


async def refusal(reader: LlamaIndexDocumentReader, path: Path) -> str:
    with pytest.raises(UserFacingError) as caught:
        await reader.read(str(path), source_for(path))
    message = caught.value.message
    assert path.name in message, "the message names the file"
    assert "\n" not in message and len(message) < 120
    return message


def joined(chunks: list[Chunk]) -> str:
    return "\n".join(chunk.text for chunk in chunks)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per string, an empty list = no text."""
    count = len(pages)
    page_ids = [4 + 2 * i for i in range(count)]
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for page_id, lines in zip(page_ids, pages, strict=True):
        operators = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            operators.append(f"({escaped}) Tj T*")
        operators.append("ET")
        stream = "\n".join(operators).encode("latin-1") if lines else b""
        bodies.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        bodies.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


PDF_PAGES = [
    ["The Glimmerstone Tower is 212 metres tall.", "It is painted teal."],
    ["The office wifi network is called Pelican-5."],
    [],
    ["Lunch is served from noon until two."],
]


# --- plain formats -------------------------------------------------------------------------


async def test_text_file_is_one_chunk_with_its_source(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("The coffee machine is descaled on Fridays.\r\nAsk Mina for the key.\n")
    chunks = await read(reader, path)
    assert len(chunks) == 1
    assert chunks[0].text == "The coffee machine is descaled on Fridays.\nAsk Mina for the key."
    assert chunks[0].page is None


async def test_markdown_files_each_chunk_under_its_heading_with_links_and_alt_text(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "release.md"
    path.write_text(
        "# Release process\n\nTag the commit, then read [the runbook](https://wiki.example/run)."
        "\n\n![Pipeline diagram](img/pipeline.png)\n\n## Rollback\n\nRevert the tag. Wow!. Done.\n",
        encoding="utf-8",
    )
    chunks = await read(reader, path)
    text = joined(chunks)
    assert [chunk.heading for chunk in chunks] == ["Release process", "Rollback"]
    assert chunks[1].embedded_text == "Rollback\nRevert the tag. Wow!. Done."
    assert "# Release process" not in text
    assert "the runbook (https://wiki.example/run)" in text
    assert "Pipeline diagram" in text and "img/pipeline.png" not in text
    assert "Wow!. Done." in text


async def test_html_gives_visible_text_only(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Team page</title>"
        "<style>p { color: red }</style><script>var token = 'SECRET-SCRIPT';</script></head>"
        "<body><!-- a hidden comment --><h1>Welcome</h1><p>Lunch is at <b>noon</b>.</p>"
        "<p>Second paragraph</p><noscript>enable JS</noscript>"
        "<table><tr><td>Room</td><td>B12</td></tr></table>"
        "<script>document.write('MORE-SCRIPT')</script></body></html>",
        encoding="utf-8",
    )
    text = joined(await read(reader, path))
    for hidden in ("SECRET-SCRIPT", "MORE-SCRIPT", "color: red", "hidden comment", "enable JS"):
        assert hidden not in text
    assert "<" not in text and ">" not in text
    assert "Lunch is at noon." in text
    lines = text.split("\n")
    assert "Team page" in lines and "Welcome" in lines and "Second paragraph" in lines
    assert "Room B12" in lines


async def test_json_is_flattened_to_readable_lines(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "office.json"
    data = {
        "office": {"wifi": {"ssid": "Pelican-5", "guest": True}, "floors": 3},
        "staff": [{"name": "Mina", "role": "팀장"}, {"name": "Joe"}],
        "empty": {},
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    lines = joined(await read(reader, path)).split("\n")
    assert lines == [
        "office > wifi > ssid: Pelican-5",
        "office > wifi > guest: true",
        "office > floors: 3",
        "staff[1] > name: Mina",
        "staff[1] > role: 팀장",
        "staff[2] > name: Joe",
    ]


async def test_invalid_json_is_refused(reader: LlamaIndexDocumentReader, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"a": 1,\n "b": }', encoding="utf-8")
    assert "not valid JSON (line 2)" in await refusal(reader, path)


# --- PDF ---------------------------------------------------------------------------------------


def test_the_hand_made_pdf_is_read_by_pypdf(tmp_path: Path) -> None:
    path = tmp_path / "check.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    texts = [page.extract_text() for page in pypdf.PdfReader(path).pages]
    assert "212 metres" in texts[0] and texts[2] == ""


async def test_pdf_chunks_keep_their_page_numbers(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "handbook.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    chunks = await read(reader, path)
    assert [chunk.page for chunk in chunks] == [1, 2, 4]
    assert "212 metres" in chunks[0].text and "teal" in chunks[0].text
    assert "Pelican-5" in chunks[1].text
    assert "noon" in chunks[2].text


async def test_long_pdf_pages_split_but_keep_the_page(
    small_reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    page_two = [
        f"Rule {n} of the wifi policy says the router restarts at {n} am." for n in range(40)
    ]
    path = tmp_path / "policy.pdf"
    path.write_bytes(make_pdf([["Cover page."], page_two]))
    chunks = await read(small_reader, path)
    assert chunks[0].page == 1 and len(chunks) > 3
    assert {chunk.page for chunk in chunks[1:]} == {2}


async def test_scanned_pdf_without_text_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    assert "scanned" in await refusal(reader, path)


async def test_corrupt_pdf_is_refused(reader: LlamaIndexDocumentReader, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(b"%PDF-1.7\n" + random.Random(7).randbytes(4000))
    assert "damaged" in await refusal(reader, path)


async def test_password_protected_pdf_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf(PDF_PAGES))
    writer = pypdf.PdfWriter(clone_from=plain)
    writer.encrypt("secret", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as file:
        writer.write(file)
    assert "password" in await refusal(reader, path)


async def test_pdf_without_extension_is_recognised(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "download"
    path.write_bytes(make_pdf(PDF_PAGES))
    assert reader.supports(str(path))
    assert [chunk.page for chunk in await read(reader, path)] == [1, 2, 4]


# --- Korean and encodings ------------------------------------------------------------------

KOREAN = (
    "남산 타워는 서울의 중심에 있습니다. 전망대는 오전 10시에 문을 엽니다.\n\n"
    "사무실 와이파이 이름은 펠리컨-5이고 비밀번호는 매주 월요일에 바뀝니다."
)


async def test_korean_utf8_text(reader: LlamaIndexDocumentReader, tmp_path: Path) -> None:
    path = tmp_path / "안내.txt"
    path.write_text(KOREAN, encoding="utf-8")
    assert joined(await read(reader, path)) == KOREAN


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr", "utf-8-sig", "utf-16"])
async def test_other_encodings_of_korean_text(
    reader: LlamaIndexDocumentReader, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / f"legacy-{encoding}.txt"
    path.write_bytes(KOREAN.encode(encoding))
    assert joined(await read(reader, path)) == KOREAN


async def test_text_in_an_unknown_8bit_encoding_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Crème brûlée à la façon du chef, très réussie.".encode("latin-1"))
    assert "UTF-8" in await refusal(reader, path)


async def test_korean_without_ascii_punctuation_splits_into_bounded_chunks(
    small_reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    # Long Korean paragraphs with spaces but no sentence punctuation, then one with no spaces.
    words = [f"항목{n}번은 창고 선반 위에 있고 담당자는 김민수" for n in range(60)]
    paragraph = " ".join(words)
    unspaced = "가나다라마바사아자차카타파하" * 40
    path = tmp_path / "재고.txt"
    path.write_text(paragraph + "\n\n\n" + unspaced, encoding="utf-8")
    chunks = await read(small_reader, path)
    assert len(chunks) > 5
    assert all(len(_count_tokens(chunk.text)) <= 64 for chunk in chunks)
    text = joined(chunks)
    assert all(f"항목{n}번" in text for n in range(60))
    assert "가나다라마바사아자차카타파하" in text


# --- long files ----------------------------------------------------------------------------


async def test_long_file_gives_many_bounded_chunks_in_order(
    small_reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    sentences = [f"Fact {n}: shelf {n} holds {n * 3} boxes of paper." for n in range(300)]
    paragraphs = ["\n".join(sentences[i : i + 10]) for i in range(0, 300, 10)]
    path = tmp_path / "inventory.txt"
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    chunks = await read(small_reader, path)
    assert len(chunks) > 20
    assert all(len(_count_tokens(chunk.text)) <= 64 for chunk in chunks)
    first_fact = [int(re.findall(r"Fact (\d+):", chunk.text)[0]) for chunk in chunks]
    assert first_fact == sorted(first_fact)
    facts = {int(n) for n in re.findall(r"Fact (\d+):", joined(chunks))}
    assert facts == set(range(300))


# --- refusals and sniffing -----------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
async def test_empty_file_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes(content)
    assert await refusal(reader, path) == "blank.txt is empty: nothing to index."


async def test_html_without_visible_text_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "app.html"
    path.write_text("<html><body><script>render()</script></body></html>", encoding="utf-8")
    assert "no text" in await refusal(reader, path)


BINARY = bytes(range(256)) * 8


async def test_binary_content_with_a_text_extension_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(BINARY)
    assert "not a text file" in await refusal(reader, path)


async def test_binary_file_of_unknown_type_is_refused(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    path = tmp_path / "archive.bin"
    path.write_bytes(BINARY)
    assert not reader.supports(str(path))
    assert "I can't index archive.bin" in await refusal(reader, path)


async def test_text_file_of_unknown_type_is_read_as_text(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    for name in ("README", "server.log", "설정.cfg"):
        path = tmp_path / name
        path.write_text(f"{name}: the build server restarts nightly. 매일 밤 재시작.", "utf-8")
        assert reader.supports(str(path))
        assert "restarts nightly" in joined(await read(reader, path))


def test_supports_known_extensions_without_opening_them(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    for name in ("a.txt", "b.MD", "c.markdown", "d.pdf", "e.htm", "f.HTML", "g.json"):
        assert reader.supports(str(tmp_path / name))
    assert not reader.supports(str(tmp_path / "missing.bin"))


def test_reads_offline_whatever_the_nltk_and_tiktoken_settings(tmp_path: Path) -> None:
    # With NLTK_DATA or TIKTOKEN_CACHE_DIR pointing elsewhere, llama-index's default
    # SentenceSplitter tries to download its data; the reader must not.
    path = tmp_path / "notes.txt"
    path.write_text("The wifi is Pelican-5. " * 200, encoding="utf-8")
    script = (
        "import asyncio, sys\n"
        "from adapters.documents import LlamaIndexDocumentReader\n"
        "from core.models import Source\n"
        "reader = LlamaIndexDocumentReader(chunk_size=64, chunk_overlap=8)\n"
        "chunks = asyncio.run(reader.read(sys.argv[1], Source('s', 'notes.txt')))\n"
        "print(len(chunks))\n"
    )
    env = {
        **os.environ,
        "NLTK_DATA": str(tmp_path / "no-nltk"),
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "no-tiktoken"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 10
    assert not (tmp_path / "no-nltk").exists() and not (tmp_path / "no-tiktoken").exists()


async def test_reading_leaves_llama_index_global_models_unset(
    reader: LlamaIndexDocumentReader, tmp_path: Path
) -> None:
    from llama_index.core import Settings

    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nThe wifi is Pelican-5.", encoding="utf-8")

    await reader.read(str(path), Source("s", "notes.md"))

    # Its globals default to hosted models; ragbot never lets llama-index pick one.
    assert Settings._embed_model is None
    assert Settings._llm is None


async def test_long_sections_split_into_small_units_of_whole_sentences(tmp_path: Path) -> None:
    reader = LlamaIndexDocumentReader(chunk_size=40, chunk_overlap=0)
    sentences = [
        f"Fact number {i} is that the value of item {i} is {i * 7} units." for i in range(12)
    ]
    path = tmp_path / "facts.md"
    path.write_text("## Inventory\n\n" + " ".join(sentences) + "\n", encoding="utf-8")

    chunks = await read(reader, path)

    assert len(chunks) >= 4
    assert all(chunk.heading == "Inventory" for chunk in chunks)
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    # No sentence is cut: every one lies whole inside one chunk.
    assert all(any(sentence in chunk.text for chunk in chunks) for sentence in sentences)
