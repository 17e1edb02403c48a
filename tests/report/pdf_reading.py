"""Reading a generated PDF back the way a reader (or an attacker) would: text, outline, links."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import Destination


@dataclass
class ReadPdf:
    reader: PdfReader
    pages: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    def has(self, value: str) -> bool:
        """Whether `value` is printed, ignoring whitespace (values wrap across lines)."""
        return _squash(value) in _squash(self.text)

    def outline(self) -> list[str]:
        titles: list[str] = []

        def walk(items: list) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item)
                elif isinstance(item, Destination):
                    titles.append(str(item.title))

        walk(self.reader.outline)
        return titles

    def annotations(self) -> list[dict]:
        found = []
        for page in self.reader.pages:
            for ref in page.get("/Annots") or []:
                found.append(ref.get_object())
        return found

    def link_targets(self) -> list[str]:
        return [str(a["/A"]["/URI"]) for a in self.annotations() if "/A" in a]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def read_pdf(data: bytes) -> ReadPdf:
    reader = PdfReader(io.BytesIO(data))
    return ReadPdf(reader, [page.extract_text() for page in reader.pages])
