"""Errors of the import pipeline: a bad record is quarantined, a bad file is refused."""

from __future__ import annotations


class RecordError(ValueError):
    """One record cannot be imported; the message names the field and the reason."""


class FormatError(ValueError):
    """A whole file cannot be imported (unknown format, unreadable)."""
