"""`python -m bots console` as a user runs it, with questions piped on stdin: bad input gets
clear replies, the console keeps serving, and indexed data survives a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import GLIMMER_TEXT, MODEL, ROOT


def run_console(
    data_dir: Path, lines: list[str], channel: str = "alpha"
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {
        "RAGBOT_DATA_DIR": str(data_dir),
        "RAGBOT_LLM__MODEL_PATH": str(MODEL),
        "RAGBOT_LLM__SEED": "7",
        "RAGBOT_INGEST__SUMMARY": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "bots", "console", "--channel", channel],
        cwd=ROOT,
        env=environment,
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    files = {
        "empty": folder / "empty.txt",
        "corrupt": folder / "broken.pdf",
        "binary": folder / "blob.dat",
        "huge": folder / "huge.txt",
        "good": folder / "glimmerstone.txt",
    }
    files["empty"].write_bytes(b"")
    files["corrupt"].write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    files["binary"].write_bytes(bytes(range(256)) * 64)
    with files["huge"].open("w", encoding="utf-8") as handle:
        line = "All work and no play makes a very long text file indeed.\n"
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    files["good"].write_text(GLIMMER_TEXT, encoding="utf-8")
    return files


def test_bad_input_gets_clear_replies_and_data_survives_a_restart(
    tmp_path: Path, bad_inputs: dict[str, Path]
) -> None:
    data_dir = tmp_path / "data"
    first = run_console(
        data_dir,
        [
            f"/index {bad_inputs['empty'].parent / 'missing.txt'}",
            f"/index {bad_inputs['empty']}",
            f"/index {bad_inputs['corrupt']}",
            f"/index {bad_inputs['binary']}",
            f"/index {bad_inputs['huge']}",
            "/frobnicate",
            "",
            f"/index {bad_inputs['good']}",
            "When was the Glimmerstone Tower built?",
        ],
    )

    output = first.stdout
    assert first.returncode == 0, first.stderr
    assert "There is no file at" in output
    assert "empty.txt is empty: nothing to index." in output
    assert "Could not index *broken.pdf*" in output
    assert "Could not index *blob.dat*" in output
    assert "huge.txt is 50.0 MB; the limit is 20.0 MB" in output
    assert "I don't know the command `frobnicate`" in output
    assert "Ask me a question about this channel's sources" in output
    assert "Indexed *glimmerstone.txt*" in output
    answer, _, sources = output.rpartition("Sources:")
    assert "1887" in answer.rsplit("Indexed *glimmerstone.txt*", 1)[1]
    assert "glimmerstone.txt" in sources
    assert "Traceback" not in first.stderr

    second = run_console(data_dir, ["sources", "Glimmerstone Tower는 언제 지어졌어요?"])

    assert second.returncode == 0, second.stderr
    # The catalog lists the refused files too, each with its reason.
    assert "glimmerstone.txt: " in second.stdout and "by you" in second.stdout
    assert "blob.dat: failed (" in second.stdout
    assert "1887" in second.stdout.rpartition("출처:")[0]


def test_ingest_exits_non_zero_when_a_file_was_refused(
    tmp_path: Path, bad_inputs: dict[str, Path]
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "glimmerstone.txt").write_text(GLIMMER_TEXT, encoding="utf-8")
    (folder / "blob.dat").write_bytes(bad_inputs["binary"].read_bytes())
    good_only = tmp_path / "good"
    good_only.mkdir()
    (good_only / "glimmerstone.txt").write_text(GLIMMER_TEXT, encoding="utf-8")

    refused = run_ingest(tmp_path / "data", folder)
    accepted = run_ingest(tmp_path / "data", good_only)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "blob.dat" in refused.stdout
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def run_ingest(data_dir: Path, path: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {"RAGBOT_DATA_DIR": str(data_dir), "RAGBOT_INGEST__SUMMARY": "false"}
    environment["RAGBOT_LLM__MODEL_PATH"] = str(MODEL)
    return subprocess.run(
        [sys.executable, "-m", "bots", "ingest", str(path), "--channel", "alpha"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def test_again_forget_and_reset_carry_over_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    tower = tmp_path / "glimmerstone.txt"
    tower.write_text(GLIMMER_TEXT, encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_text("The wifi at the harbour office is called Pelican-5.", encoding="utf-8")
    first = run_console(
        data_dir, [f"/index {tower}", f"/index {notes}", "When was the Glimmerstone Tower built?"]
    )
    assert first.returncode == 0, first.stderr

    second = run_console(data_dir, ["again", "forget notes"])

    assert second.returncode == 0, second.stderr
    assert "There is no answer of mine here to redo yet" not in second.stdout
    # The new answer (sampled afresh) names the tower's file, as a source or as read.
    assert "glimmerstone.txt" in second.stdout

    third = run_console(data_dir, ["sources"])
    run_console(data_dir, ["reset confirm"])
    fourth = run_console(data_dir, ["sources", "again"])

    assert "1. glimmerstone.txt" in third.stdout
    assert "notes.txt" not in third.stdout
    assert "This channel has no sources yet." in fourth.stdout
    assert "There is no answer of mine here to redo yet" in fourth.stdout


def deliver_once(data_dir: Path, message_id: str, text: str) -> list[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RAGBOT_")}
    environment |= {"RAGBOT_DATA_DIR": str(data_dir), "RAGBOT_LLM__MODEL_PATH": str(MODEL)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.deliver_once", message_id, text],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    shown: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return shown


def test_a_message_id_delivered_again_after_a_restart_is_dropped(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    first = deliver_once(data_dir, "Ev01-retry", "sources")
    retried = deliver_once(data_dir, "Ev01-retry", "sources")
    another = deliver_once(data_dir, "Ev02", "sources")

    assert len(first) == 1 and first[0].startswith("This channel has no sources yet.")
    assert retried == []
    assert another == first


def test_what_was_asked_is_remembered_across_a_restart_and_can_be_forgotten(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    tower = tmp_path / "glimmerstone.txt"
    tower.write_text(GLIMMER_TEXT, encoding="utf-8")
    first = run_console(data_dir, [f"/index {tower}", "When was the Glimmerstone Tower built?"])
    assert first.returncode == 0, first.stderr

    second = run_console(
        data_dir, ["memory Glimmerstone Tower", "forget-memory mine", "memory Glimmerstone Tower"]
    )

    assert second.returncode == 0, second.stderr
    lines = second.stdout
    assert "What I remember about Glimmerstone Tower (1):" in lines
    assert "When was the Glimmerstone Tower built?" in lines
    assert "(sources: glimmerstone.txt)" in lines
    assert "Forgot 1 memories of what you said here." in lines
    assert lines.rstrip().endswith("I remember nothing about Glimmerstone Tower in this channel.")
