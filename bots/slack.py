"""`python -m bots slack`: the bot in a Slack workspace, in Socket Mode or HTTP mode."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from adapters.slack import PLATFORM, SlackBot, SlackConfig
from bots.bootstrap import Runtime
from config.settings import SlackSettings

log = logging.getLogger("ragbot.slack")
EVENTS_PATH = "/slack/events"


class SlackSetupError(Exception):
    """A setting Slack needs is missing."""


def slack_config(settings: SlackSettings) -> SlackConfig:
    """The adapter's configuration; names the missing secret when one is."""
    if settings.bot_token is None:
        raise SlackSetupError("RAGBOT_SLACK__BOT_TOKEN is not set (the xoxb- bot token)")
    if settings.mode == "socket" and settings.app_token is None:
        raise SlackSetupError("RAGBOT_SLACK__APP_TOKEN is not set (the xapp- app-level token)")
    if settings.mode == "http" and settings.signing_secret is None:
        raise SlackSetupError("RAGBOT_SLACK__SIGNING_SECRET is not set (HTTP mode)")
    return SlackConfig(
        bot_token=settings.bot_token.get_secret_value(),
        signing_secret=(
            settings.signing_secret.get_secret_value() if settings.signing_secret else None
        ),
        api_url=settings.api_url,
        command=settings.command,
        admin_users=settings.admin_user_ids(),
        working_emoji=settings.working_emoji,
        native_streaming=settings.native_streaming,
        verify_requests=settings.mode == "http",
    )


def slack_bot(runtime: Runtime, settings: SlackSettings) -> SlackBot:
    """The Slack app wired to the runtime's bot."""
    bot = runtime.bot

    async def file_deleted(workspace: str, file_id: str) -> int:
        return await bot.forget_shared_file(PLATFORM, workspace, file_id)

    return SlackBot(
        slack_config(settings),
        bot.handle,
        bot.handle_action,
        on_file_deleted=file_deleted,
        on_message_deleted=bot.forget_message,
    )


def http_app(slack: SlackBot) -> web.Application:
    """Events, commands and clicks at /slack/events; GET /healthz once the bot is ready."""
    app = slack.app.web_app(path=EVENTS_PATH)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/healthz", healthz)
    return app


async def serve_http(slack: SlackBot, host: str, port: int) -> web.AppRunner:
    """Start serving HTTP mode; the caller cleans the runner up."""
    runner = web.AppRunner(http_app(slack))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_slack(runtime: Runtime, settings: SlackSettings) -> None:
    """Serve Slack until cancelled: engines and identity first, then events."""
    slack = slack_bot(runtime, settings)
    await runtime.warm_up()
    await slack.connect()
    assert slack.chat is not None
    # Jobs a restart cut off post their progress through the connected client.
    await runtime.bot.attach(PLATFORM, slack.chat)
    if settings.mode == "socket":
        assert settings.app_token is not None
        handler = AsyncSocketModeHandler(slack.app, settings.app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("slack: Socket Mode connected")
        try:
            await asyncio.Event().wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
    else:
        runner = await serve_http(slack, settings.host, settings.port)
        where = f"http://{settings.host}:{settings.port}{EVENTS_PATH}"
        log.info("slack: HTTP mode at %s", where)
        # The line scripts and orchestrators wait for: events are served from now on.
        print(f"ragbot: Slack events at {where}", file=sys.stderr, flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
