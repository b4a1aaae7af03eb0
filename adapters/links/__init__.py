"""Links people share: fetched only from public addresses (guard.py), pages read for their
main text (pages.py)."""

from adapters.links.pages import WebPageFetcher

__all__ = ["WebPageFetcher"]
