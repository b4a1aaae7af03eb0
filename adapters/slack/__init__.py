"""Slack: the bolt app, the chat client and the translation of Slack's events."""

from adapters.slack.app import SlackBot, SlackConfig, web_client
from adapters.slack.chat import SlackChat
from adapters.slack.events import PLATFORM

__all__ = ["PLATFORM", "SlackBot", "SlackChat", "SlackConfig", "web_client"]
