"""`similar` matching: command lines and URLs that differ only in random parts.

Real noise rarely repeats byte for byte: a backup job writes to a new temp file every night and a
beacon URL carries a fresh GUID each time. The shape of a value masks the random parts (GUIDs,
hex runs, numbers, temp names, long random tokens) so two runs of the same job compare equal, and
rapidfuzz's token-sort ratio tolerates the rest. Token *sort*, not token *set*: with set ratio
`nightly.exe \\0 & mimikatz.exe` would score 100 against `nightly.exe` because one token set
contains the other, and an appended command must lower the score.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

DEFAULT_THRESHOLD = 90
MIN_THRESHOLD = 70  # below this "similar" stops meaning anything for command lines

# One pass, linear time on attacker text (SECURITY 27): a GUID, or a word holding a digit that
# does not start inside another word. No nested quantifiers, no look-ahead scans.
_RANDOM = re.compile(
    r"(?P<guid>\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)"
    r"|(?<![0-9a-z~])(?P<word>~?[0-9a-z]*[0-9][0-9a-z]*(?:\.tmp\b)?)"
)
_DIGITS = re.compile(r"[0-9]+")
_HEX = frozenset("0123456789abcdef")
_TEMP_PREFIXES = ("tmp", "temp", "~df", "~wr", "~tmp")
_PLACEHOLDER = re.compile(r"<(?:guid|tmp|hex|rnd|n)>")
_TOKEN = re.compile(r"[\s\"']+")
_WORD_SPLIT = re.compile(r"[\s\\/?&=:;,\"'()\[\]|]+")
MAX_LENGTH = 8_192  # longer values are never "similar": a huge command line is not routine


def _mask(match: re.Match[str]) -> str:
    if match.lastgroup == "guid":
        return "<guid>"
    word = match.group()
    if word.endswith(".tmp") or word.startswith(_TEMP_PREFIXES):
        return "<tmp>"
    if word.startswith("0x"):
        return "<hex>"
    if not word.isdigit():
        if len(word) >= 8 and _HEX.issuperset(word):
            return "<hex>"
        if len(word) >= 16:
            return "<rnd>"
    return _DIGITS.sub("<n>", word)


@lru_cache(maxsize=131_072)
def shape(value: str) -> str:
    """The value with its random parts masked, lower-cased, whitespace collapsed."""
    return " ".join(_TOKEN.split(_RANDOM.sub(_mask, value.lower()))).strip()


def anchor(example_shape: str) -> str:
    """The longest literal ASCII word of a shape (no masked part), used as a cheap pre-filter on
    the stored text; empty when there is none worth using.

    Both the SQL pre-filter and the per-alert check search the raw stored value for it, so both
    paths agree. A word next to a visible escape (`\\b` in `c:\\backup`) may be missing from the
    raw text: such a value is then not similar, which errs towards not suppressing.
    """
    words = [
        w for w in _WORD_SPLIT.split(example_shape) if w.isascii() and not _PLACEHOLDER.search(w)
    ]
    best = max(words, key=len, default="")
    return best if len(best) >= 4 else ""


def similarity(a_shape: str, b_shape: str) -> float:
    return fuzz.token_sort_ratio(a_shape, b_shape)


def is_similar(example_shape: str, value: str, threshold: float) -> bool:
    return fuzz.token_sort_ratio(example_shape, shape(value), score_cutoff=threshold) >= threshold
