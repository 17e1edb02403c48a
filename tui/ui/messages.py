"""Messages the app sends to its screens."""

from __future__ import annotations

from textual.message import Message


class DataChanged(Message):
    """Another connection (an import, another analyst, or our own worker) committed a change."""
