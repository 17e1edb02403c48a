"""The virtual alerts list: a Line API ScrollView over an array of row keys.

Only the ordered keys of the current filter live here (8 bytes a row); the rows themselves are
fetched by key for the viewport and its neighbourhood, in a worker, and kept in a small LRU
cache (the pattern of toolong's log_lines.py). Every string drawn comes from `display()`, so
alert text reaches the terminal as inert characters: segments are never parsed as markup.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Iterable
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.model import Severity, Status, display
from tui.store import Store
from tui.store.alert_list import ListRow, reader, rows

CACHE_ROWS = 4096
# How many screens of rows to fetch around the viewport, so paging finds them ready.
PREFETCH_SCREENS = 2

SEVERITY_BADGE = {
    Severity.HIGH: " HIGH ",
    Severity.MEDIUM: " MED  ",
    Severity.LOW: " LOW  ",
    Severity.INFORMATIONAL: " INFO ",
}
STATUS_LABEL = {
    Status.ACTIVE: "Active",
    Status.IN_PROGRESS: "InProgress",
    Status.RESOLVED: "Resolved",
    Status.DISMISSED: "Dismissed",
}


def short_time(iso_text: str, wide: bool) -> str:
    """'2026-11-28T10:41:00.000000Z' -> '2026-11-28 10:41' (wide) or '11-28 10:41'."""
    text = iso_text[:16].replace("T", " ")
    return text if wide else text[5:]


class Columns:
    """Column widths for a list width: narrow terminals drop MITRE, owner, then shrink title."""

    def __init__(self, width: int) -> None:
        wide = width >= 110
        self.wide_time = wide
        self.time = 16 if wide else 11
        self.status = 10
        self.resource = 18 if width >= 90 else 14
        self.owner = 10 if width >= 100 else 0
        self.mitre = 22 if width >= 130 else 16 if width >= 104 else 0
        fixed = 1 + 6 + 1 + 2 + self.resource + self.time + self.status + self.owner + self.mitre
        gaps = 4 + (self.owner > 0) + (self.mitre > 0)
        self.title = max(10, width - fixed - gaps)


class AlertList(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of alerts and incidents; the screen owns the keys, filter and actions."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert-list--cursor",
        "alert-list--marked",
        "alert-list--incident",
        "alert-list--placeholder",
        "alert-list--sev-high",
        "alert-list--sev-medium",
        "alert-list--sev-low",
        "alert-list--sev-informational",
        "alert-list--closed",
    }

    class Resized(Message):
        """The list's width changed: the column titles above it must follow."""

        def __init__(self, header: str) -> None:
            super().__init__()
            self.header = header

    def __init__(self, store: Store, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.keys = array("q")
        self.children_keys: set[int] = set()  # alerts shown indented under an expanded incident
        self.expanded: set[int] = set()  # incident keys currently expanded
        self.marked: dict[int, ListRow] = {}  # marked rows as the analyst saw them
        self.cursor = 0
        self.loading = True
        self.empty_message = "No alerts match this filter. esc clears it."
        self._rows: OrderedDict[int, ListRow] = OrderedDict()
        self._pending: set[int] = set()
        self._refetch = False
        self._fetch_scheduled = False
        self._columns: Columns | None = None

    # --- data ------------------------------------------------------------------------------

    def set_keys(
        self,
        keys: array,
        *,
        children: Iterable[int] = (),
        refresh_rows: bool,
        complete: bool = True,
    ) -> None:
        """Show `keys`, keeping the cursor on the same row (or at the same place) if it can.

        Marks of rows no longer listed are dropped, but only once the whole list is known
        (`complete`): a first page does not hold every marked row."""
        current = self.current_key
        offset = self.cursor - self.scroll_offset.y
        at_top = self.scroll_offset.y == 0
        self.keys = keys
        self.children_keys = set(children)
        self.loading = False
        # `in` and index() on an array are C loops: a few ms at 1M keys, only on reload.
        if current is not None and current in self.keys:
            self.cursor = self.keys.index(current)
        self.cursor = max(0, min(self.cursor, len(self.keys) - 1))
        if complete and self.marked:
            # Many marks: one set beats a C scan of the array per mark.
            present = set(self.keys) if len(self.marked) > 8 else self.keys
            self.marked = {k: r for k, r in self.marked.items() if k in present}
        self.virtual_size = Size(self.size.width, len(self.keys))
        top = max(0, self.cursor - offset)
        if at_top and self.cursor < self.scrollable_content_region.height:
            top = 0  # watching the newest rows: new arrivals show above the cursor
        self.scroll_to(y=top, animate=False, immediate=True)
        self._refetch = self._refetch or refresh_rows
        self._schedule_fetch()
        self.refresh()

    def refresh_rows(self) -> None:
        """Re-read the rows around the viewport (another analyst may have changed them)."""
        self._refetch = True
        self._schedule_fetch()

    @property
    def current_key(self) -> int | None:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    @property
    def current_row(self) -> ListRow | None:
        key = self.current_key
        return None if key is None else self._rows.get(key)

    def row(self, key: int) -> ListRow | None:
        return self._rows.get(key)

    def cached_rows(self, keys: Iterable[int]) -> list[ListRow]:
        return [r for k in keys if (r := self._rows.get(k)) is not None]

    def _schedule_fetch(self) -> None:
        if not self._fetch_scheduled:
            self._fetch_scheduled = True
            self.call_later(self._fetch_window)

    def _fetch_window(self) -> None:
        self._fetch_scheduled = False
        height = max(1, self.size.height)
        top = self.scroll_offset.y
        start = max(0, top - height * PREFETCH_SCREENS)
        stop = min(len(self.keys), top + height * (PREFETCH_SCREENS + 1))
        window = self.keys[start:stop]
        if self._refetch:
            wanted = list(window)
        else:
            wanted = [k for k in window if k not in self._rows and k not in self._pending]
        if wanted:
            self._pending.update(wanted)
            self._load_rows(wanted, self._refetch)
        self._refetch = False

    @work(thread=True, group="rows", exit_on_error=False)
    def _load_rows(self, keys: list[int], replace: bool) -> None:
        found = rows(reader(self.store), keys)
        self.app.call_from_thread(self._rows_arrived, keys, found, replace)

    def _rows_arrived(self, asked: list[int], found: dict[int, ListRow], replace: bool) -> None:
        self._pending.difference_update(asked)
        if replace:
            self._rows.clear()
        self._rows.update(found)
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)
        self.refresh()

    # --- movement --------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self.keys:
            return
        self.cursor = max(0, min(index, len(self.keys) - 1))
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
        self._schedule_fetch()
        self.refresh()

    def page(self, direction: int) -> None:
        height = max(1, self.scrollable_content_region.height)
        self.scroll_to(y=self.scroll_offset.y + direction * height, animate=False, immediate=True)
        self.move_to(self.cursor + direction * height)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._schedule_fetch()

    def on_resize(self) -> None:
        self._columns = None
        self.virtual_size = Size(self.size.width, len(self.keys))
        self.post_message(self.Resized(self.column_header(self.scrollable_content_region.width)))
        self._schedule_fetch()

    # --- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        base = self.rich_style
        if index >= len(self.keys):
            if index == 0:
                message = "Loading…" if self.loading else self.empty_message
                style = self.get_component_rich_style("alert-list--placeholder")
                return Strip([Segment(set_cell_size(f"  {message}", width), base + style)])
            return Strip.blank(width, base)
        key = self.keys[index]
        row = self._rows.get(key)
        style = base
        if index == self.cursor and self.has_focus:
            style = style + self.get_component_rich_style("alert-list--cursor")
        elif index == self.cursor:
            style = style + self.get_component_rich_style("alert-list--cursor", partial=True)
        if row is None:
            self._schedule_fetch()
            dim = self.get_component_rich_style("alert-list--placeholder")
            return Strip([Segment(set_cell_size("   …", width), style + dim)])
        self._rows.move_to_end(key)
        return Strip(self._segments(row, style, width), width)

    def _segments(self, row: ListRow, style: Style, width: int) -> list[Segment]:
        if self._columns is None:
            self._columns = Columns(width)
        cols = self._columns
        mark = "●" if row.key in self.marked else " "
        sev = self.get_component_rich_style(f"alert-list--sev-{row.severity.value.lower()}")
        text_style = style
        if not row.status.is_open:
            text_style = style + self.get_component_rich_style("alert-list--closed")
        if row.is_incident:
            text_style = text_style + self.get_component_rich_style("alert-list--incident")
            icon = "▾ " if row.key in self.expanded else "▸ "
            title = f"INC-{-row.key} ({row.alert_count}) {display(row.title, 300)}"
        elif row.key in self.children_keys:
            icon, title = "  ", f"└ {display(row.title, 300)}"
        else:
            icon, title = "  ", display(row.title, 300)
        marked_style = self.get_component_rich_style("alert-list--marked")
        segments = [
            Segment(mark, style + marked_style),
            Segment(SEVERITY_BADGE[row.severity], style + sev),
            Segment(" ", style),
            Segment(icon, text_style),
            Segment(set_cell_size(title, cols.title) + " ", text_style),
            Segment(set_cell_size(display(row.resource, 200), cols.resource) + " ", text_style),
            Segment(short_time(row.time, cols.wide_time).ljust(cols.time) + " ", text_style),
        ]
        if cols.mitre:
            tactics = ",".join(row.intents)
            segments.append(Segment(set_cell_size(display(tactics, 200), cols.mitre) + " ", style))
        segments.append(Segment(STATUS_LABEL[row.status].ljust(cols.status) + " ", text_style))
        if cols.owner:
            segments.append(Segment(set_cell_size(display(row.owner, 100), cols.owner), style))
        used = sum(s.cell_length for s in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return segments

    def column_header(self, width: int) -> str:
        """The column titles, aligned with the rows (plain text: no alert data in it)."""
        cols = Columns(width)
        parts = [
            "  SEV     ",
            "TITLE".ljust(cols.title + 1),
            "RESOURCE".ljust(cols.resource + 1),
            "TIME".ljust(cols.time + 1),
        ]
        if cols.mitre:
            parts.append("MITRE TACTICS".ljust(cols.mitre + 1))
        parts.append("STATUS".ljust(cols.status + 1))
        if cols.owner:
            parts.append("OWNER")
        return "".join(parts)
