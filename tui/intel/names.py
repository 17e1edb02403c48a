"""Names of groups and software: normalization, and finding them in attacker-written alert text.

Alert text is full of ordinary words that happen to be software or group names ("Net", "Page",
"Empire", "Silence"). The guards: names shorter than four characters and everyday words match
only as an executable's file name (`net.exe`); other names must match a whole token or a run of
up to three tokens exactly, and only long software names may differ by an edit or two (fuzzy,
rapidfuzz).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from tui.model.text import visible

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://[^)\s]*)\)")
_CITATION = re.compile(r"\s*(?:\(Citation:[^)]*\)|<sup>.*?</sup>)")
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-]*")
# File names are found by splitting on anything but name characters and dots, then looking at
# the extension: linear in the text (a regex that backtracks over a 20 000-letter run is not).
_FILE_TOKEN = re.compile(r"[0-9A-Za-z_.\-]+")
_EXTENSION_WORDS = "exe dll sys scr ps1 psm1 bat cmd vbs js jar py sh elf bin"
_EXTENSIONS = frozenset(_EXTENSION_WORDS.split())

_HEX_DIGITS = frozenset("0123456789abcdef")

MIN_WORD_LENGTH = 4
MAX_TEXT_SCANNED = 20_000
MAX_NGRAM = 3

# Everyday words that are also names of ATT&CK software or activity groups, and the operating
# systems' own utilities that ATT&CK lists as tools: in alert text they are almost always the
# word or the everyday command, so they count only as an executable name, and then weakly.
_AMBIGUOUS_WORDS = """
    arp attrib bitsadmin certutil dacls dsquery esentutl forfiles ipconfig nbtstat netsh netstat
    nltest ping reg route schtasks systeminfo tasklist wevtutil whoami
    anchor aurora avenger basin bread butterfly calendar cannon carbon cardinal castle chameleon
    chaos charger circles cobalt copper crimson cuba disco dune empire epic equation escobar
    expand explosive exodus flame gorilla helium inception indra james joker judy kevin krypton
    lead lexus lucifer machete mango mask mercury meteor milan mirage moonlight mosquito nickel
    ninja nitro octopus oxygen page pandora photo pioneer play polaris prestige proton radium
    raindrop reaper responder rover royal samurai scorpion shark silence silicon snake sodium
    soldier solar spark strider summit sunbird superman tick trident trinity viper watchdog
    wiper zinc
"""
AMBIGUOUS = frozenset(_AMBIGUOUS_WORDS.split())


def norm_name(name: str) -> str:
    """Casefolded alphanumerics: 'Cozy Bear', 'cozy-bear' and 'COZYBEAR' are one name."""
    return _NON_ALNUM.sub("", name.casefold())


def clean_description(text: str) -> str:
    """ATT&CK prose without markdown links and citation markers: '[APT29](url)' -> 'APT29'."""
    return _CITATION.sub("", _MARKDOWN_LINK.sub(r"\1", text or "")).strip()


def allowed_edits(norm: str) -> int:
    """How far a token may differ from a name of this length and still be that name."""
    if len(norm) >= 11:
        return 2
    if len(norm) >= 7:
        return 1
    return 0


def _executable_name(token: str) -> str:
    """'C:\\x\\AdFind.exe' token 'AdFind.exe' -> 'AdFind'; '' when not a program file name."""
    stem, dot, extension = token.rpartition(".")
    if not dot or extension.lower() not in _EXTENSIONS:
        return ""
    return stem.rpartition(".")[2].strip("_-")


def _hexlike(norm: str) -> bool:
    """A hash, GUID or number: only hex digits, at least one of them a decimal digit."""
    return set(norm) <= _HEX_DIGITS and any(c.isdigit() for c in norm)


def _guarded(norm: str) -> bool:
    return len(norm) < MIN_WORD_LENGTH or norm in AMBIGUOUS


@dataclass(frozen=True, slots=True)
class NameHit:
    kind: str  # 'group' | 'software'
    object_id: str
    alias: str
    found: str  # the text that matched, in visible form
    exact: bool
    guarded: bool = False  # a short or everyday name, seen only as an executable's file name


class NameMatcher:
    """Finds known names in text; built once per knowledge-base version."""

    def __init__(self, aliases: Iterable[tuple[str, str, str, str]]) -> None:
        self._by_norm: dict[str, list[tuple[str, str, str]]] = {}
        for kind, object_id, alias, norm in aliases:
            # 'cmd.exe' is the name 'cmd': the file form is found through `executables`.
            executable = _executable_name(alias)
            if executable:
                norm = norm_name(executable)
            if norm:
                self._by_norm.setdefault(norm, []).append((kind, object_id, alias))
        # Fuzzy candidates by length: a token is compared only with names it could be within
        # two edits of, which keeps large incidents fast.
        # Only software names are matched fuzzily: malware file names drift ("mimikatz2"),
        # while group names are proper nouns and fuzzing them catches words ("Control" ->
        # the group ControlX).
        by_length: dict[int, list[str]] = {}
        for norm, named in self._by_norm.items():
            software = any(kind == "software" for kind, _id, _alias in named)
            if software and allowed_edits(norm) and norm not in AMBIGUOUS:
                by_length.setdefault(len(norm), []).append(norm)
        longest = max(by_length, default=0)
        self._fuzzy_window = {
            size: [c for n in range(size - 2, size + 3) for c in by_length.get(n, ())]
            for size in range(7, longest + 3)
        }

    def find(self, texts: Iterable[str]) -> list[NameHit]:
        words: dict[str, str] = {}
        executables: dict[str, str] = {}
        for text in texts:
            # Names sit near the start of a field; a 1 MB command line is not read to its end.
            shown = visible(text[:MAX_TEXT_SCANNED])
            for token in _FILE_TOKEN.findall(shown):
                name = _executable_name(token)
                if name:
                    executables.setdefault(norm_name(name), f"{name}.{token.rpartition('.')[2]}")
            tokens = _TOKEN.findall(shown)
            for size in range(1, MAX_NGRAM + 1):
                for start in range(len(tokens) - size + 1):
                    found = " ".join(tokens[start : start + size])
                    words.setdefault(norm_name(found), found)
        hits: dict[tuple[str, str], NameHit] = {}
        for norm, found in words.items():
            if not _guarded(norm):
                self._add_exact(hits, norm, found, guarded=False)
        for norm, found in executables.items():
            self._add_exact(hits, norm, found, guarded=_guarded(norm))
        self._add_fuzzy(hits, words)
        return sorted(hits.values(), key=lambda h: (h.kind, h.object_id))

    def _add_exact(self, hits: dict, norm: str, found: str, *, guarded: bool) -> None:
        for kind, object_id, alias in self._by_norm.get(norm, ()):
            hit = NameHit(kind, object_id, alias, found, True, guarded)
            hits.setdefault((kind, object_id), hit)

    def _add_fuzzy(self, hits: dict, words: dict[str, str]) -> None:
        for norm, found in words.items():
            # A token that is itself a known name is that name, never a misspelling of another;
            # hashes, GUIDs and numbers are never misspelt names.
            choices = self._fuzzy_window.get(len(norm))
            if not choices or norm in self._by_norm or _hexlike(norm):
                continue
            for choice, distance, _index in extract(
                norm, choices, scorer=Levenshtein.distance, score_cutoff=2, limit=5
            ):
                if distance <= allowed_edits(choice):
                    for kind, object_id, alias in self._by_norm[choice]:
                        if kind != "software":
                            continue
                        key = (kind, object_id)
                        hits.setdefault(key, NameHit(kind, object_id, alias, found, False))
