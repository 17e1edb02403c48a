"""The threatdesk Textual app: screens, key registry, palette, live updates from the store."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen

from tui.config import Config, current_user
from tui.store import Store
from tui.ui.alerts_screen import AlertsScreen
from tui.ui.detail_screen import AlertDetailScreen
from tui.ui.help_screen import HelpScreen
from tui.ui.keys import ALL_KEYS, APP_KEYS, KeymapError, bindings, keymap_from_config
from tui.ui.messages import DataChanged
from tui.ui.wiring import EXTENSIONS

# How often another process's commits are looked for; changes show within 2 s.
POLL_SECONDS = 1.0
_PALETTE_ACTIONS = frozenset(k.action for k in ALL_KEYS if k.palette)

# A handler other parts register for `suppress`, `trigger_response`, `report` or
# `open_incident`: it gets the app and the targets, [("alert" | "incident", id), ...].
Extension = Callable[[App, list[tuple[str, int]]], None]


class ThreatdeskApp(App):
    CSS_PATH = "threatdesk.tcss"
    TITLE = "threatdesk"
    BINDINGS = bindings(APP_KEYS)

    def __init__(
        self, store: Store, *, config: Config | None = None, readonly: bool = False
    ) -> None:
        super().__init__()
        self.store = store
        self.readonly = readonly
        self.user = current_user()
        self.config = config or Config()
        # The screens behind s, t, p and opening an incident (tests may replace them).
        self.extensions: dict[str, Extension] = dict(EXTENSIONS)
        self._stop = threading.Event()

    def register_extension(self, action: str, handler: Extension) -> None:
        """Wire another part's screen to a key (`s`, `t`, `p`) or to opening an incident."""
        self.extensions[action] = handler
        self.refresh_bindings()

    def on_mount(self) -> None:
        try:
            self.set_keymap(keymap_from_config(self.config.section("keys")))
        except KeymapError as exc:
            self.notify(str(exc), severity="error", markup=False, timeout=10)
        self._watch_hangup()
        self.push_screen(AlertsScreen())
        self._poll_data_version()

    def on_unmount(self) -> None:
        self._stop.set()

    def _watch_hangup(self) -> None:
        """Exit cleanly (no traceback, no half-done work) when the SSH terminal goes away."""
        loop = self._loop
        if loop is None or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.exit)
            except (NotImplementedError, RuntimeError, ValueError):
                return

    @work(thread=True, exclusive=True, group="poll")
    def _poll_data_version(self) -> None:
        # One long-lived thread, so one connection: data_version is per connection.
        last = self.store.data_version()
        while not self._stop.wait(POLL_SECONDS):
            now = self.store.data_version()
            if now != last:
                last = now
                self.call_from_thread(self.data_changed)

    def data_changed(self) -> None:
        """Tell every screen to re-read what it shows (cursor and filter stay)."""
        for screen in self.screen_stack:
            screen.post_message(DataChanged())

    # --- actions ---------------------------------------------------------------------------

    def open_alert(self, alert_id: int) -> None:
        self.push_screen(AlertDetailScreen(alert_id))

    def open_incident(self, incident_id: int) -> None:
        from tui.ui.incident_screen import IncidentScreen  # with intel: imported on first use

        self.push_screen(IncidentScreen(incident_id))

    def action_rules(self) -> None:
        """Suppression rules: state, hits, expiry, author; edit, disable, delete, simulate."""
        from tui.ui.rules_screen import RulesScreen

        self.push_screen(RulesScreen(self.store))

    def action_runs(self) -> None:
        """The playbook run log, with retry."""
        from tui.ui.runs_screen import RunsScreen

        self.push_screen(RunsScreen(self.store, self.config, readonly=self.readonly))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # q quits from the top screen only; esc goes back elsewhere.
        return action != "quit" or isinstance(self.screen, AlertsScreen)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_rows(self.screen)))

    def help_rows(self, screen: Screen) -> list[tuple[str, str, str, bool]]:
        """(keys, description, id, enabled) of every binding active on `screen`, by id."""
        grouped: dict[str, tuple[list[str], str, bool]] = {}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description:
                continue
            ident = binding.id or binding.action
            keys, _d, _e = grouped.setdefault(ident, ([], binding.description, active.enabled))
            keys.append(self.get_key_display(binding.with_key(key)))
        return [(", ".join(k), d, ident, e) for ident, (k, d, e) in grouped.items()]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action that applies now, by name, with its key."""
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or binding.action in seen:
                continue
            if binding.action not in _PALETTE_ACTIONS:
                continue
            seen.add(binding.action)
            node, action = active.node, binding.action
            yield SystemCommand(
                binding.description,
                f"key {self.get_key_display(binding.with_key(key))}",
                lambda node=node, action=action: self.call_later(node.run_action, action),
            )
        yield SystemCommand("Suppression rules", ":rules", self.action_rules)
        yield SystemCommand("Playbook runs", ":runs", self.action_runs)
        yield from super().get_system_commands(screen)
