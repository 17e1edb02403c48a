"""What may reach the terminal: Textual's own escape sequences, and printable text.

Alert text is shown with its control characters as visible escapes, so any other sequence
in the byte stream (OSC 0/2/8/52, device queries, screen clears, raw C1 bytes) came from data.
"""

from __future__ import annotations

import re

# Every sequence Textual 8 writes on xterm-256color: colours, cursor moves, private modes,
# mode queries (DECRQM), the kitty keyboard protocol and the mouse pointer shape (OSC 22).
_TEXTUAL = re.compile(
    rb"\x1b\[[0-9;]*m"
    rb"|\x1b\[\d+;\d+H"
    rb"|\x1b\[\?\d+[hl]"
    rb"|\x1b\[\?\d+\$p"
    rb"|\x1b\[>\d+u|\x1b\[<u"
    rb"|\x1b\]22;[a-z-]+\x07"
)
_ANY_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def foreign_sequences(output: bytes) -> list[bytes]:
    """Escape sequences (with a little context) that Textual itself never writes."""
    rest = _TEXTUAL.sub(b"", output)
    return [rest[m.start() : m.start() + 24] for m in re.finditer(rb"\x1b", rest)]


def screen_text(output: bytes) -> str:
    """The printable text written, with Textual's sequences removed."""
    return _TEXTUAL.sub(b"", output).decode("utf-8", "replace")


def raw_controls(output: bytes) -> list[str]:
    """Control characters other than ESC, CR and LF, including C1 (U+0080-U+009F)."""
    text = screen_text(output).replace("\x1b", "").replace("\r", "").replace("\n", "")
    return sorted(set(_ANY_CONTROL.findall(text)))
