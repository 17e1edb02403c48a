"""Rewrite the README's keyboard map from the key registry: `python scripts/update_readme.py`."""

from __future__ import annotations

import re
from pathlib import Path

from tui.ui.keys import markdown_keymap

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- keymap:start -->\n).*?(<!-- keymap:end -->)", re.S)


def updated(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + markdown_keymap() + m.group(2), text)


if __name__ == "__main__":
    README.write_text(updated(README.read_text()))
