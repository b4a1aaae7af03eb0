"""Proper names bridged across scripts in a query (Hangul <-> Latin), from the names the
channel's sources hold: bridge.py matches and rewrites, sounds.py romanises and compares
sounds, romanised_korean.py handles Korean names and words written in Latin letters."""

from adapters.name_bridge.bridge import ScriptNameBridge

__all__ = ["ScriptNameBridge"]
