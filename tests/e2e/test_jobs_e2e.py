"""A bot process killed (SIGKILL) in the middle of an ingestion job: after the restart the
job is picked up from the catalog and completes exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import MODEL, ROOT

CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:04.000
The Glimmerstone Tower was built in 1887 by Odile Marchetti.

00:00:04.000 --> 00:00:09.000
Visitors may climb the Glimmerstone Tower on Thursdays only.
"""
PAGE = """<!doctype html><html><head><title>Tower talk</title></head><body>
<video controls src="talk.mp4"><track kind="captions" src="talk.vtt" srclang="en"></video>
</body></html>"""


class StallingSite:
    """A page with a captioned video on 127.0.0.1 whose captions hang until released."""

    def __init__(self) -> None:
        self.captions_asked = threading.Event()
        self.release = threading.Event()
        self.caption_requests = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith(".vtt"):
                    site.caption_requests += 1
                    site.captions_asked.set()
                    site.release.wait(timeout=600)
                    body, kind = CAPTIONS.encode(), "text/vtt"
                elif self.path.endswith(".mp4"):
                    body, kind = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1024, "video/mp4"
                else:
                    body, kind = PAGE.encode(), "text/html"
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the killed bot's request

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/talk.html"


@pytest.fixture
def stalling_site() -> Iterator[StallingSite]:
    site = StallingSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.release.set()
        site.server.shutdown()


def console_environment(data_dir: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    return environment | {
        "RAGBOT_DATA_DIR": str(data_dir),
        "RAGBOT_LLM__MODEL_PATH": str(MODEL),
        "RAGBOT_LLM__SEED": "7",
        "RAGBOT_INGEST__SUMMARY": "false",
        "RAGBOT_MEDIA__ALLOW_PRIVATE_ADDRESSES": "true",
        "RAGBOT_TRANSCRIBE__BACKEND": "off",
    }


def test_a_job_killed_midway_completes_once_after_the_restart(
    tmp_path: Path, stalling_site: StallingSite
) -> None:
    data_dir = tmp_path / "data"
    first = subprocess.Popen(
        [sys.executable, "-m", "bots", "console", "--channel", "alpha"],
        cwd=ROOT,
        env=console_environment(data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stdin is not None
    first.stdin.write(stalling_site.url + "\n")
    first.stdin.flush()
    try:
        assert stalling_site.captions_asked.wait(timeout=600), "the job never fetched captions"
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        killed_out, _ = first.communicate(timeout=60)
    assert first.returncode == -9
    assert "Indexed" not in killed_out

    stalling_site.release.set()
    second = subprocess.run(
        [sys.executable, "-m", "bots", "console", "--channel", "alpha"],
        cwd=ROOT,
        env=console_environment(data_dir),
        input="sources\nOn which day can visitors climb the Glimmerstone Tower?\n",
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert second.returncode == 0, second.stderr
    out = second.stdout
    # yt-dlp's generic extractor titles the page's first video "Tower talk (1)".
    assert out.count("Indexed *Tower talk") == 1, out
    indexed = re.search(r"Indexed \*Tower talk[^*]*\* \(0:09, captions, en\): (\d+) chunks?", out)
    assert indexed is not None, out
    # The listing counts the points the store holds: a doubled job would show twice as many.
    listed = re.search(r"1\. Tower talk[^:]*: (\d+) chunks?", out)
    assert listed is not None and listed.group(1) == indexed.group(1), out
    answer = out.split(listed.group(0), 1)[1]
    assert "Thursday" in answer and "Tower talk" in answer and "#t=4" in answer, out
    assert stalling_site.caption_requests == 2
