"""The alerts screen: header with counts and filters, the virtual list, the `/` and `:` prompt."""

from __future__ import annotations

import sqlite3
import time
from array import array
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, get_current_worker

from tui.model import Severity, Status, display
from tui.store.alert_list import (
    Counts,
    ListFilter,
    Sort,
    counts,
    distinct_titles,
    incident_key,
    incident_members,
    ordered_keys,
    reader,
)
from tui.ui.alert_list import AlertList
from tui.ui.commands import (
    OPEN_STATUSES,
    WINDOWS,
    AppAction,
    CommandError,
    Jump,
    describe,
    parse_command,
    with_window,
)
from tui.ui.keys import LIST_KEYS, TRIAGE_KEYS, bindings
from tui.ui.messages import DataChanged
from tui.ui.search import search
from tui.ui.theme import SEVERITY_STYLE
from tui.ui.triage import TriageActions, TriageTarget

# Rows fetched first so the list paints before the full key array is read.
QUICK_ROWS = 300
SEARCH_DELAY = 0.05  # s: coalesce fast typing into one search
TITLES_MAX_AGE = 30.0  # s: new titles are rare; re-reading them costs 1 s at 1M alerts
ROW_ACTIONS = frozenset({"open", "mark", "expand", "collapse"})
SEVERITY_HEADER = (
    (Severity.HIGH, "HIGH"),
    (Severity.MEDIUM, "MED"),
    (Severity.LOW, "LOW"),
    (Severity.INFORMATIONAL, "INFO"),
)


class AlertsScreen(TriageActions):
    BINDINGS = bindings(LIST_KEYS + TRIAGE_KEYS)
    AUTO_FOCUS = "AlertList"

    def __init__(self) -> None:
        super().__init__()
        self.filter = ListFilter()
        self.search_text = ""
        self.shown_search = ""  # the search whose results the list holds now
        self.window = 0  # index into WINDOWS
        self.counts: Counts | None = None
        self._first_page_only = False  # the list holds a first page; the rest is loading
        self._bottom_wanted = False  # G was pressed before the rest arrived
        self._prompt_mode = ""  # "search" | "command" | ""
        self._titles: list[str] | None = None
        self._titles_at = 0.0  # monotonic time the title vocabulary was read
        self._keys_worker: Worker | None = None
        self._changed_meanwhile = False  # data changed while keys were loading
        self._search_timer = None

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield Static(id="columns")
        yield AlertList(self.app.store, id="alerts")
        yield Input(id="prompt")
        yield Footer(compact=True)

    @property
    def alert_list(self) -> AlertList:
        return self.query_one(AlertList)

    def on_mount(self) -> None:
        self.query_one("#prompt").display = False
        self.alert_list.focus()
        self.reload(quick=True)

    def on_alert_list_resized(self, event: AlertList.Resized) -> None:
        self.query_one("#columns", Static).update(Text(event.header, style="bold"))

    # --- loading ---------------------------------------------------------------------------

    def reload(
        self, *, quick: bool = False, refresh_rows: bool = False, recount: bool = True
    ) -> None:
        expanded = set(self.alert_list.expanded)
        if quick and not self.search_text:
            # Paint the first screens now; the full key array and the counts follow the paint.
            self._keys_worker = self._load_keys(self.filter, "", expanded, QUICK_ROWS, refresh_rows)
        else:
            self._keys_worker = self._load_keys(
                self.filter, self.search_text, expanded, None, refresh_rows
            )
            if recount:
                self._load_counts(self.filter)
        self._show_summary()

    @work(thread=True, exclusive=True, group="keys", exit_on_error=False)
    def _load_keys(
        self, f: ListFilter, query: str, expanded: set[int], limit: int | None, refresh: bool
    ) -> None:
        worker = get_current_worker()
        conn = reader(self.app.store)
        if query:
            keys = search(conn, query, f, self._titles or [], lambda: worker.is_cancelled)
        else:
            keys = ordered_keys(conn, f, limit=limit)
        children = self._expand(conn, keys, expanded)
        if worker.is_cancelled:
            return
        first_page_of = f if limit is not None else None
        self.app.call_from_thread(
            self._show_keys, keys, children, expanded, refresh, query, first_page_of
        )

    @staticmethod
    def _expand(conn: sqlite3.Connection, keys: array, expanded: set[int]) -> list[int]:
        """Insert the alerts of each expanded incident after it; return the inserted keys."""
        children: list[int] = []
        for key in expanded:
            if key in keys:
                members = incident_members(conn, -key)
                at = keys.index(key) + 1
                keys[at:at] = array("q", members)
                children.extend(members)
        return children

    def _show_keys(
        self,
        keys: array,
        children: list[int],
        expanded: set[int],
        refresh_rows: bool,
        query: str,
        first_page_of: ListFilter | None,
    ) -> None:
        """Show keys; `first_page_of` names the filter of a first page: the rest follows."""
        self.shown_search = query
        listing = self.alert_list
        listing.expanded = {k for k in expanded if k in keys}
        listing.empty_message = (
            f"Nothing matches {display(self.search_text, 60)!r}. esc clears the search."
            if self.search_text
            else "No alerts match this filter. esc clears it."
        )
        self._first_page_only = first_page_of is not None and len(keys) >= QUICK_ROWS
        listing.set_keys(
            keys,
            children=children,
            refresh_rows=refresh_rows,
            complete=not self._first_page_only,
        )
        if self._bottom_wanted and not self._first_page_only:
            self._bottom_wanted = False
            listing.move_to(len(keys) - 1)
        self._show_summary()
        if first_page_of is not None:
            self.call_after_refresh(self._load_rest, first_page_of, len(keys) < QUICK_ROWS)
        elif self._changed_meanwhile:
            self._changed_meanwhile = False
            self.on_data_changed(DataChanged())
        elif not self._titles_at:
            self._load_titles()  # after the first full list: start-up has the CPU first

    def _load_rest(self, f: ListFilter, complete: bool) -> None:
        if f != self.filter or self.search_text:
            return  # the analyst moved on; that reload brings its own rest
        if complete:
            self._load_counts(f)
            if not self._titles_at:
                self._load_titles()
        else:
            self.reload()

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def _load_counts(self, f: ListFilter) -> None:
        found = counts(reader(self.app.store), f)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._counts_arrived, found)

    def _counts_arrived(self, found: Counts) -> None:
        self.counts = found
        self._show_summary()

    @work(thread=True, exclusive=True, group="titles", exit_on_error=False)
    def _load_titles(self) -> None:
        """The title vocabulary search corrects typos against (about 1 s at 1M alerts)."""
        self._titles_at = time.monotonic()
        self._titles = distinct_titles(reader(self.app.store))

    def on_data_changed(self, _event: DataChanged) -> None:
        listing = self.alert_list
        listing.refresh_rows()  # changed status/owner show before the new key array is read
        if self._keys_worker is not None and self._keys_worker.is_running:
            # An import commits every second: read the keys again once this load is done,
            # rather than piling up loads of a million keys.
            self._changed_meanwhile = True
            return
        # Near the top (where new alerts arrive) the first page is enough to show them at once.
        near_top = listing.cursor < QUICK_ROWS - 2 * listing.size.height
        self.reload(quick=near_top, refresh_rows=True)
        if time.monotonic() - self._titles_at > TITLES_MAX_AGE:
            self._load_titles()

    # --- header ----------------------------------------------------------------------------

    def _show_summary(self) -> None:
        text = Text()
        text.append("threatdesk ", style="bold")
        if self.app.readonly:
            text.append("READ-ONLY ", style="bold reverse")
        c = self.counts
        if c is None:
            text.append("counting…")
        else:
            for sev, label in SEVERITY_HEADER:
                text.append(f" {label} {c.severity.get(sev, 0):,} ", style=SEVERITY_STYLE[sev])
                text.append(" ")
            text.append(f"│ {c.total:,} rows\n")
            text.append("  ".join(f"{s.value} {c.status.get(s, 0):,}" for s in Status))
        text.append("\n")
        phrases = describe(self.filter)
        if self.search_text:
            shown = len(self.alert_list.keys)
            text.append(
                f"search {display(self.search_text, 60)!r}: {shown:,} matches  ", style="bold"
            )
        text.append("filter: ", style="bold")
        text.append(" · ".join(phrases) if phrases else "none", style="italic")
        marked = len(self.alert_list.marked)
        if marked:
            text.append(f"   {marked} marked", style="bold")
        self.query_one("#summary", Static).update(text)

    # --- prompt: search and command bar ----------------------------------------------------

    def _open_prompt(self, mode: str, value: str, placeholder: str) -> None:
        prompt = self.query_one("#prompt", Input)
        self._prompt_mode = mode
        prompt.placeholder = placeholder
        prompt.value = value
        prompt.display = True
        prompt.focus()

    def _close_prompt(self) -> None:
        prompt = self.query_one("#prompt", Input)
        prompt.display = False
        self._prompt_mode = ""
        self.alert_list.focus()

    def action_search(self) -> None:
        self._open_prompt(
            "search", self.search_text, "search titles, entities, resources (typos ok)"
        )

    def action_command(self) -> None:
        self._open_prompt("command", "", ":sev high · :status active · :inc 42 · :q  (:help)")

    @on(Input.Changed, "#prompt")
    def _prompt_changed(self, event: Input.Changed) -> None:
        if self._prompt_mode != "search":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._set_query(event.value))

    def _set_query(self, value: str) -> None:
        if value != self.search_text:
            self.search_text = value
            self.reload(recount=False)  # the header counts the filter, not the search

    @on(Input.Submitted, "#prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        mode = self._prompt_mode
        self._close_prompt()
        if mode == "search":
            self._set_query(event.value)
        elif mode == "command":
            self.run_command(event.value)

    def run_command(self, line: str) -> None:
        try:
            outcome = parse_command(line, self.filter)
        except CommandError as exc:
            self.notify(display(str(exc), 300), severity="error", markup=False)
            return
        if isinstance(outcome, ListFilter):
            self.apply_filter(outcome)
        elif isinstance(outcome, Jump):
            self._jump(outcome)
        elif isinstance(outcome, AppAction):
            self.call_later(self.app.run_action, outcome.name)

    def _jump(self, jump: Jump) -> None:
        if jump.kind == "alert":
            self.app.open_alert(jump.id)
            return
        key = incident_key(jump.id)
        listing = self.alert_list
        if key not in listing.keys:
            self.notify(
                f"INC-{jump.id} is not in this list: no such incident or the filter hides it "
                "(esc clears the filter)",
                severity="warning",
                markup=False,
            )
            return
        listing.move_to(listing.keys.index(key))
        self.action_expand()

    def apply_filter(self, f: ListFilter) -> None:
        if f != self.filter:
            self.filter = f
            self.counts = None  # the header says "counting…" rather than the old filter's counts
            self.reload(quick=True)

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ROW_ACTIONS and self.alert_list.current_key is None:
            return None
        return super().check_action(action, parameters)

    def triage_targets(self) -> list[TriageTarget]:
        listing = self.alert_list
        rows = list(listing.marked.values())
        if not rows and (row := listing.current_row) is not None:
            rows = [row]
        return [TriageTarget(r.target, r.version, r.title) for r in rows]

    def triage_done(self) -> None:
        self.alert_list.marked.clear()
        self._show_summary()

    def action_cursor_down(self) -> None:
        self.alert_list.move_to(self.alert_list.cursor + 1)

    def action_cursor_up(self) -> None:
        self.alert_list.move_to(self.alert_list.cursor - 1)

    def action_cursor_top(self) -> None:
        self.alert_list.move_to(0)

    def action_cursor_bottom(self) -> None:
        self._bottom_wanted = self._first_page_only  # go on to the real bottom when it loads
        self.alert_list.move_to(len(self.alert_list.keys) - 1)

    def action_page_down(self) -> None:
        self.alert_list.page(1)

    def action_page_up(self) -> None:
        self.alert_list.page(-1)

    def action_open(self) -> None:
        key = self.alert_list.current_key
        if key is None:
            return
        if key > 0:
            self.app.open_alert(key)
        elif "open_incident" in self.app.extensions:
            self.app.extensions["open_incident"](self.app, [("incident", -key)])
        elif key in self.alert_list.expanded:
            self.action_collapse()
        else:
            self.action_expand()

    def action_expand(self) -> None:
        key = self.alert_list.current_key
        if key is not None and key < 0 and key not in self.alert_list.expanded:
            self.alert_list.expanded.add(key)
            self.reload()

    def action_collapse(self) -> None:
        listing = self.alert_list
        key = listing.current_key
        if key in listing.children_keys:  # collapse the incident this alert is shown under
            while listing.cursor > 0 and listing.current_key in listing.children_keys:
                listing.move_to(listing.cursor - 1)
            key = listing.current_key
        if key is not None and key in listing.expanded:
            listing.expanded.discard(key)
            self.reload()

    def action_mark(self) -> None:
        listing = self.alert_list
        row = listing.current_row
        if row is None:
            return
        if row.key in listing.marked:
            del listing.marked[row.key]
        else:
            listing.marked[row.key] = row
        listing.move_to(listing.cursor + 1)
        self._show_summary()
        self.refresh_bindings()

    def action_clear(self) -> None:
        if self._prompt_mode:
            mode = self._prompt_mode
            self._close_prompt()
            if mode == "search":
                self._set_query("")
            return
        cleared = ListFilter(sort=self.filter.sort)
        if self.search_text or self.filter != cleared:
            self.search_text = ""
            self.window = 0
            if self.filter != cleared:
                self.apply_filter(cleared)
            else:
                self.reload(quick=True)
        elif self.alert_list.marked:
            self.alert_list.marked.clear()
            self.alert_list.refresh()
            self._show_summary()

    def action_severity_floor(self, rank: int) -> None:
        chosen = frozenset(s for s in Severity if s.rank >= rank) if rank else frozenset()
        self.apply_filter(replace(self.filter, severities=chosen))

    def action_toggle_open_only(self) -> None:
        statuses = frozenset() if self.filter.statuses == OPEN_STATUSES else OPEN_STATUSES
        self.apply_filter(replace(self.filter, statuses=statuses))

    def action_toggle_incidents_only(self) -> None:
        self.apply_filter(replace(self.filter, incidents_only=not self.filter.incidents_only))

    def action_cycle_window(self) -> None:
        self.window = (self.window + 1) % len(WINDOWS)
        self.apply_filter(with_window(self.filter, WINDOWS[self.window]))

    def action_toggle_sort(self) -> None:
        order = Sort.TIME if self.filter.sort is Sort.SEVERITY else Sort.SEVERITY
        self.apply_filter(replace(self.filter, sort=order))
