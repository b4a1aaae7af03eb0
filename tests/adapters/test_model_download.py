"""Model downloads against a small HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from adapters.model_download import (
    LLAMA2_7B_CHAT,
    ModelUnavailable,
    download_model,
    partial_path,
)

PAYLOAD = random.Random(7).randbytes(300_000)
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


@dataclass
class Server:
    """The test server's address and every request it received (path, Range header)."""

    base: str
    requests: list[tuple[str, str | None]] = field(default_factory=list)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked = self.headers.get("Range")
            server.requests.append((self.path, asked))
            if self.path == "/model.bin":
                self._send(PAYLOAD, asked)
            elif self.path == "/no-range/model.bin":
                self._send(PAYLOAD, None)
            elif self.path == "/cut/model.bin":
                # Promise the whole file, send half, hang up.
                self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
                self.close_connection = True
            else:
                self.send_error(404)

        def _send(self, body: bytes, asked: str | None) -> None:
            start = int(asked.removeprefix("bytes=").rstrip("-")) if asked else 0
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            self.wfile.write(body[start:])

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_download_writes_the_file_with_its_checksum_and_no_leftovers(
    server: Server, tmp_path: Path
) -> None:
    target = tmp_path / "models" / "tiny.gguf"

    result = download_model(f"{server.base}/model.bin", PAYLOAD_SHA256, target, progress=False)

    assert result == target
    assert target.read_bytes() == PAYLOAD
    assert sorted(path.name for path in target.parent.iterdir()) == ["tiny.gguf"]


def test_shows_a_progress_bar_on_stderr(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    download_model(f"{server.base}/model.bin", PAYLOAD_SHA256, tmp_path / "tiny.gguf")

    captured = capsys.readouterr()
    assert "tiny.gguf" in captured.err and "100%" in captured.err
    assert captured.out == ""


def test_an_existing_good_file_is_not_downloaded_again(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "tiny.gguf"
    target.write_bytes(PAYLOAD)

    result = download_model(f"{server.base}/model.bin", PAYLOAD_SHA256, target, progress=False)

    assert result == target
    assert server.requests == []


def test_an_existing_file_with_the_wrong_checksum_is_replaced(
    server: Server, tmp_path: Path
) -> None:
    target = tmp_path / "tiny.gguf"
    target.write_bytes(b"stale")

    download_model(f"{server.base}/model.bin", PAYLOAD_SHA256, target, progress=False)

    assert target.read_bytes() == PAYLOAD


def test_a_checksum_mismatch_is_model_unavailable_and_leaves_no_file(
    server: Server, tmp_path: Path
) -> None:
    target = tmp_path / "tiny.gguf"

    with pytest.raises(ModelUnavailable, match="checksum mismatch"):
        download_model(f"{server.base}/model.bin", "0" * 64, target, progress=False)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("checksum", ["", "not-a-checksum"])
def test_without_a_valid_checksum_nothing_is_fetched(
    server: Server, tmp_path: Path, checksum: str
) -> None:
    with pytest.raises(ModelUnavailable, match="sha256"):
        download_model(f"{server.base}/model.bin", checksum, tmp_path / "t.gguf")

    assert server.requests == []
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_server_is_model_unavailable(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/model.bin"

    with pytest.raises(ModelUnavailable, match=r"cannot connect to 127\.0\.0\.1"):
        download_model(url, PAYLOAD_SHA256, tmp_path / "tiny.gguf", connect_timeout=2.0)

    assert list(tmp_path.iterdir()) == []


def test_http_404_is_model_unavailable(server: Server, tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="HTTP 404"):
        download_model(f"{server.base}/missing", PAYLOAD_SHA256, tmp_path / "t.gguf")

    assert list(tmp_path.iterdir()) == []


def test_a_malformed_url_is_model_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable):
        download_model("ftp://127.0.0.1/model.bin", PAYLOAD_SHA256, tmp_path / "t.gguf")


def test_a_download_cut_off_midway_resumes_where_it_stopped(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "tiny.gguf"
    with pytest.raises(ModelUnavailable):
        download_model(f"{server.base}/cut/model.bin", PAYLOAD_SHA256, target, progress=False)
    kept = partial_path(target).stat().st_size
    assert 0 < kept < len(PAYLOAD)

    download_model(f"{server.base}/model.bin", PAYLOAD_SHA256, target, progress=False)

    assert target.read_bytes() == PAYLOAD
    assert server.requests[-1] == ("/model.bin", f"bytes={kept}-")
    assert not partial_path(target).exists()


def test_a_server_that_ignores_ranges_starts_the_file_over(server: Server, tmp_path: Path) -> None:
    target = tmp_path / "tiny.gguf"
    partial_path(target).write_bytes(PAYLOAD[:1000])

    download_model(f"{server.base}/no-range/model.bin", PAYLOAD_SHA256, target, progress=False)

    assert target.read_bytes() == PAYLOAD


def test_a_complete_partial_file_is_verified_and_moved_into_place(
    server: Server, tmp_path: Path
) -> None:
    target = tmp_path / "tiny.gguf"
    partial_path(target).write_bytes(PAYLOAD)

    download_model(f"{server.base}/model.bin", PAYLOAD_SHA256, target, progress=False)

    assert target.read_bytes() == PAYLOAD
    assert server.requests == [("/model.bin", f"bytes={len(PAYLOAD)}-")]


def test_the_default_llama2_model_is_pinned() -> None:
    assert LLAMA2_7B_CHAT.url.endswith("/" + LLAMA2_7B_CHAT.name)
    assert len(LLAMA2_7B_CHAT.sha256) == 64
    assert int(LLAMA2_7B_CHAT.sha256, 16) > 0
    assert LLAMA2_7B_CHAT.size == 4_081_004_224
