"""STIX 2.1 indicator patterns: the simple, OR-ed equality comparisons organisations share.

Supported: `[ipv4-addr:value = '…']`, `ipv6-addr`, `domain-name`, `url`, and
`file:hashes.'SHA-256'` (MD5, SHA-1, SHA-256, SHA-512), joined by OR inside or between
observation brackets. Anything else (AND, FOLLOWEDBY, qualifiers, other operators) is refused
with the position and reason, so an indicator never silently matches less than it says.
"""

from __future__ import annotations

import ipaddress
import re

from tui.model import EntityType, entity_key


class PatternError(ValueError):
    pass


_PATH = re.compile(r"([a-z0-9-]+):([A-Za-z0-9_]+(?:\.(?:'[^']*'|[A-Za-z0-9_-]+))?)")
_HASHES = {"md5": 32, "sha-1": 40, "sha1": 40, "sha-256": 64, "sha256": 64, "sha-512": 128}
_HEX = re.compile(r"^[0-9a-f]+$")


def parse_pattern(pattern: str) -> list[tuple[str, str]]:
    """The (ip|domain|url|filehash, normalized value) pairs any of which the pattern matches."""
    parser = _Parser(pattern)
    values = parser.pattern()
    return list(dict.fromkeys(values))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, reason: str) -> PatternError:
        return PatternError(f"{reason} at position {self.pos}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, token: str) -> None:
        self.skip()
        if not self.text.startswith(token, self.pos):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def keyword_or(self) -> bool:
        self.skip()
        rest = self.text[self.pos :]
        if re.match(r"OR\b", rest):
            self.pos += 2
            return True
        unsupported = re.match(r"(AND|FOLLOWEDBY|WITHIN|REPEATS|START|STOP)\b", rest)
        if unsupported:
            raise self.fail(f"{unsupported.group(1)} is not supported, only OR-ed comparisons")
        return False

    def pattern(self) -> list[tuple[str, str]]:
        values = self.observation()
        while self.keyword_or():
            values += self.observation()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail("only OR-ed equality comparisons are supported; unexpected text")
        return values

    def observation(self) -> list[tuple[str, str]]:
        self.expect("[")
        values = [self.comparison()]
        while self.keyword_or():
            values.append(self.comparison())
        self.expect("]")
        return values

    def comparison(self) -> tuple[str, str]:
        self.skip()
        match = _PATH.match(self.text, self.pos)
        if not match:
            raise self.fail("expected an object path such as ipv4-addr:value")
        self.pos = match.end()
        self.expect("=")
        literal = self.string()
        return _observable(match.group(1), match.group(2), literal)

    def string(self) -> str:
        self.skip()
        if not self.text.startswith("'", self.pos):
            raise self.fail("expected a quoted string")
        out = []
        i = self.pos + 1
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\" and i + 1 < len(self.text) and self.text[i + 1] in "\\'":
                out.append(self.text[i + 1])
                i += 2
            elif ch == "'":
                self.pos = i + 1
                return "".join(out)
            else:
                out.append(ch)
                i += 1
        raise self.fail("unterminated string")


def _observable(object_type: str, path: str, value: str) -> tuple[str, str]:
    if object_type in ("ipv4-addr", "ipv6-addr") and path == "value":
        return "ip", _ip(value)
    if object_type == "domain-name" and path == "value":
        return "domain", _domain(value)
    if object_type == "url" and path == "value":
        key = entity_key(EntityType.URL, value)
        if not key:
            raise PatternError(f"empty or placeholder URL {value!r}")
        return "url", key
    if object_type == "file" and path.startswith("hashes."):
        return "filehash", _hash(path.removeprefix("hashes.").strip("'").lower(), value)
    raise PatternError(f"unsupported comparison {object_type}:{path}")


def _ip(value: str) -> str:
    text = value.strip()
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise PatternError(f"not a usable IP address {value!r}") from exc
        if network.num_addresses != 1:
            raise PatternError(f"address ranges are not supported ({text})")
        text = str(network.network_address)
    key = entity_key(EntityType.IP, text)
    if key is None:
        raise PatternError(f"not a usable IP address {value!r}")
    return key


def _domain(value: str) -> str:
    domain = value.strip().rstrip(".").lower()
    if not domain or not re.fullmatch(r"[0-9a-z_.-]+|xn--[0-9a-z.-]+", domain):
        raise PatternError(f"not a domain name {value!r}")
    return domain


def _hash(algorithm: str, value: str) -> str:
    digest = value.strip().lower()
    length = _HASHES.get(algorithm)
    if length is None:
        raise PatternError(f"unsupported hash algorithm {algorithm!r}")
    if len(digest) != length or not _HEX.match(digest):
        raise PatternError(f"{algorithm} value is not {length} hex digits")
    return digest
