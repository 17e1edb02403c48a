"""What a Textual screen would draw, checked segment by segment for anything active."""

from __future__ import annotations

import re

from textual.app import App

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Actions hostile text tries to smuggle in as [@click=...] markup.
DATA_ACTIONS = ("app.quit", "app.screenshot", "app.run_playbook")


def drawn(app: App) -> str:
    """The current screen's text, after checking that no segment carries a control character,
    a link other than http(s), or a click action taken from alert data."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            assert not _CONTROL.search(segment.text), repr(segment.text)
            style = segment.style
            if style is None:
                continue
            assert style.link is None or style.link.startswith(("https://", "http://")), style
            click = str((style.meta or {}).get("@click", ""))
            assert not any(action in click for action in DATA_ACTIONS), click
        lines.append(strip.text)
    return "\n".join(lines)
