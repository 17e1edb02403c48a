"""The one place that turns untrusted text into something safe to display.

Alert fields are written by attackers. Control characters (C0, DEL, C1), invisible and
direction-changing characters and lone surrogates are shown as visible escapes, never passed
through and never silently dropped (SECURITY.md cases 1-8, 15). Matching engines use the same
visible form, so a NUL or a bidi override can never make two different strings compare equal.
"""

from __future__ import annotations

import re

_NAMED = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
}

# C0, DEL, C1, soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width and bidi
# controls, line/paragraph separators, word joiners and invisible operators, BOM, interlinear
# annotation, surrogates and tag characters.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
_UNSAFE_MULTILINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named:
        return named
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: object, *, multiline: bool = False) -> str:
    """Return `text` with every control/invisible character replaced by a visible escape.

    With `multiline`, tabs and newlines are kept as layout (descriptions, remediation steps);
    CR is always escaped because it can overwrite what precedes it on a terminal line.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    pattern = _UNSAFE_MULTILINE if multiline else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def clip(text: str, limit: int) -> str:
    """Truncate long evidence visibly: 'abc… [+1234 chars]'."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [+{len(text) - limit} chars]"


def display(text: object, limit: int = 2000, *, multiline: bool = False) -> str:
    """Visible, bounded text: the form every widget and report receives."""
    return clip(visible(text, multiline=multiline), limit)


_DEFANG = (("http", "hxxp"), ("ftp", "fxp"))


def defang(indicator: str) -> str:
    """Defang an IP, domain or URL so it cannot be clicked: hxxps://evil[.]com, 10[.]0[.]0[.]1."""
    value = visible(indicator)
    lowered = value.lower()
    for scheme, replacement in _DEFANG:
        if lowered.startswith(scheme):
            value = replacement + value[len(scheme) :]
            break
    if "://" in value:
        scheme, _, rest = value.partition("://")
        host, sep, path = rest.partition("/")
        return f"{scheme}://{host.replace('.', '[.]')}{sep}{path}"
    return value.replace(".", "[.]").replace("@", "[@]")
