"""Command line: `python -m bots console | slack | discord | serve | ingest PATH --channel
NAME | doctor | reindex`."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import logging
import sys
from pathlib import Path

from adapters.console_chat import ConsoleChat, ShowText, console_channel, parse_console_line
from bots.bootstrap import Runtime, bootstrap
from bots.console import run_console, stdin_reader
from bots.discord import DiscordSetupError, discord_token, run_discord
from bots.doctor import describe_store, run_doctor
from bots.model_choice import ModelChoice, choose_model
from bots.slack import SlackSetupError, run_slack, slack_config
from config.settings import Settings, SettingsError, load_settings
from core.errors import UserFacingError
from core.migration import CollectionMigrator
from core.models import IncomingMessage


def configure_logging(settings: Settings) -> Path:
    """Log to <data_dir>/logs/ragbot.log at the configured level; warnings also to stderr."""
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "ragbot.log"
    file_handler = logging.FileHandler(log_file, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console_handler = logging.StreamHandler(sys.stderr)
    console_handler.setLevel(logging.WARNING)
    console_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    root.handlers[:] = [file_handler, console_handler]
    # A native engine that crashes (SIGILL, SIGSEGV) leaves every thread's Python stack in
    # the log, which names the adapter, and so the engine, that was running.
    faulthandler.enable(file=file_handler.stream or sys.stderr, all_threads=True)
    return log_file


def _describe(settings: Settings, choice: ModelChoice) -> str:
    model = choice.path.name if choice.path else settings.llm.openai.model
    store = describe_store(settings)
    return f"model {model} ({choice.backend}), embedder {settings.embedder.backend}, {store}"


def _start(settings: Settings) -> tuple[Runtime, ModelChoice]:
    """Resolve the model (downloading the default one if allowed) and build the bot."""
    choice = choose_model(settings)
    log = logging.getLogger("ragbot")
    if choice.notice:
        log.warning("%s", choice.notice)
    log.info("language model: %s running %s", choice.backend, choice.path or "a model server")
    return bootstrap(settings, model_choice=choice), choice


async def _console(settings: Settings, channel: str) -> None:
    runtime, choice = _start(settings)
    chat = ConsoleChat()
    interactive = sys.stdin.isatty()
    print(f"ragbot console: {_describe(settings, choice)}.", file=sys.stderr)
    if interactive:
        print(
            f"Channel #{channel}. Ask a question, `/index PATH` to add a file or a folder, "
            "`/help` for commands, `/quit` to leave.",
            file=sys.stderr,
        )
    try:
        print("Loading the model…", file=sys.stderr)
        await runtime.warm_up()
        await run_console(runtime.bot, chat, channel, stdin_reader(), skip_blank_lines=interactive)
    finally:
        await runtime.close()


async def _slack(settings: Settings) -> int:
    try:
        slack_config(settings.slack)
    except SlackSetupError as error:
        print(f"ragbot: {error}", file=sys.stderr)
        return 2
    runtime, choice = _start(settings)
    print(
        f"ragbot slack ({settings.slack.mode} mode): {_describe(settings, choice)}.",
        file=sys.stderr,
    )
    try:
        await run_slack(runtime, settings.slack)
    finally:
        await runtime.close()
    return 0


async def _discord(settings: Settings) -> int:
    try:
        discord_token(settings.discord)
    except DiscordSetupError as error:
        print(f"ragbot: {error}", file=sys.stderr)
        return 2
    runtime, choice = _start(settings)
    print(f"ragbot discord: {_describe(settings, choice)}.", file=sys.stderr)
    try:
        await run_discord(runtime, settings.discord)
    finally:
        await runtime.close()
    return 0


async def _serve(settings: Settings) -> int:
    """Every configured platform in one process: one core, one data directory."""
    platforms = []
    if settings.slack.bot_token is not None:
        platforms.append("slack")
    if settings.discord.token is not None:
        platforms.append("discord")
    if not platforms:
        print("ragbot: neither Slack nor Discord is configured", file=sys.stderr)
        return 2
    try:
        if "slack" in platforms:
            slack_config(settings.slack)
    except SlackSetupError as error:
        print(f"ragbot: {error}", file=sys.stderr)
        return 2
    runtime, choice = _start(settings)
    print(f"ragbot serve ({', '.join(platforms)}): {_describe(settings, choice)}.", file=sys.stderr)
    jobs = []
    if "slack" in platforms:
        jobs.append(run_slack(runtime, settings.slack))
    if "discord" in platforms:
        jobs.append(run_discord(runtime, settings.discord))
    try:
        await asyncio.gather(*jobs)
    finally:
        await runtime.close()
    return 0


async def _ingest(settings: Settings, path: str, channel: str) -> int:
    runtime, _ = _start(settings)
    chat = ConsoleChat()
    try:
        action = parse_console_line(f"/index {path}", console_channel(channel), 1)
        if not isinstance(action, IncomingMessage):
            print(action.text if isinstance(action, ShowText) else "Nothing to index.")
            return 1
        refused = await runtime.bot.index(action, chat)
        chat.finish_output()
        # Scripts must see that a file was not indexed.
        return 1 if refused else 0
    finally:
        await runtime.close()


async def _reindex(settings: Settings) -> int:
    """Re-embed every collection an earlier embedder made, with progress on stderr."""
    runtime = bootstrap(settings)
    migrator = CollectionMigrator(runtime.store, runtime.embeddings)

    async def show(done: int, total: int) -> None:
        print(f"\r  {done}/{total} chunks", end="" if done < total else "\n", file=sys.stderr)

    try:
        moves = await migrator.migrate_all(show)
    finally:
        await runtime.close()
    for old, new in moves:
        print(f"re-embedded {old} -> {new}")
    if not moves:
        print(f"every collection already holds {runtime.embeddings.key} vectors")
    return 0


async def _doctor(settings: Settings) -> int:
    passed = await run_doctor(settings, lambda line: print(line, flush=True))
    return 0 if passed else 1


def main(argv: list[str] | None = None) -> int:
    """Run the command the arguments name."""
    parser = argparse.ArgumentParser(prog="python -m bots", description="ragbot")
    commands = parser.add_subparsers(dest="command", required=True)
    console = commands.add_parser("console", help="talk to the bot in this terminal")
    console.add_argument("--channel", help="channel to start in (console.channel)")
    commands.add_parser("slack", help="serve a Slack workspace (settings [slack])")
    commands.add_parser("discord", help="serve Discord servers (settings [discord])")
    commands.add_parser("serve", help="serve every configured platform in one process")
    ingest = commands.add_parser("ingest", help="index a file or a folder into a channel")
    ingest.add_argument("path")
    ingest.add_argument("--channel", required=True, help="console channel name")
    commands.add_parser("doctor", help="show what the bot would run with and check each engine")
    commands.add_parser(
        "reindex", help="re-embed collections made by an earlier embedder (else done on first use)"
    )
    arguments = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"ragbot: {error}", file=sys.stderr)
        return 2
    log_file = configure_logging(settings)
    logging.getLogger("ragbot").info("starting %s; log file %s", arguments.command, log_file)

    try:
        if arguments.command == "console":
            asyncio.run(_console(settings, arguments.channel or settings.console.channel))
            return 0
        if arguments.command == "slack":
            return asyncio.run(_slack(settings))
        if arguments.command == "discord":
            return asyncio.run(_discord(settings))
        if arguments.command == "serve":
            return asyncio.run(_serve(settings))
        if arguments.command == "doctor":
            return asyncio.run(_doctor(settings))
        if arguments.command == "reindex":
            return asyncio.run(_reindex(settings))
        return asyncio.run(_ingest(settings, arguments.path, arguments.channel))
    except UserFacingError as error:
        print(f"ragbot: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
