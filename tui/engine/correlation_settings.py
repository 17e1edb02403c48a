"""The `[correlation]` section of the config file, with defaults that need no config at all."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from tui.config import Config, ConfigError


@dataclass(frozen=True)
class CorrelationSettings:
    # Alerts sharing a strong entity join while each is within this many hours of another one:
    # a slow attack over days stays one incident, unrelated activity weeks apart does not.
    window_hours: float = 72.0
    # "Similar attack methods on multiple resources": one alert type on this many distinct
    # machines/resources within `type_window_minutes`.
    type_window_minutes: float = 60.0
    type_min_resources: int = 3
    # ... unless the type has fired on this many resources overall, or more than
    # `routine_repeats` times per resource.
    type_max_sites: int = 10
    # A routine detection (seen `routine_min_alerts` times, more than `routine_repeats` times
    # per resource on average: scanners, noisy rules) is background: its alerts do not link
    # through entities.
    routine_repeats: float = 2.0
    routine_min_alerts: int = 20
    # An entity whose alerts touched this many distinct machines/resources (a NAT egress IP, a
    # domain controller, a shared service account) is weak evidence and links nothing.
    max_sites: int = 3
    # An entity or alert type seen in this many alerts is too common to be evidence.
    max_alerts: int = 1000
    # Extra entity values (normalized keys, any type) that never count as evidence.
    stop_list: tuple[str, ...] = ()
    # A correlate_new() batch larger than this recomputes everything (same result, faster).
    incremental_limit: int = 50_000

    @property
    def window_seconds(self) -> int:
        return int(self.window_hours * 3600)

    @property
    def type_window_seconds(self) -> int:
        return int(self.type_window_minutes * 60)

    @classmethod
    def from_section(
        cls, section: dict[str, Any], origin: object = "config"
    ) -> CorrelationSettings:
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in section.items():
            field = known.get(name)
            if field is None:
                raise ConfigError(f"{origin}: [correlation] has no setting {name!r}")
            values[name] = _checked(origin, name, value, getattr(cls, name))
        return cls(**values)

    @classmethod
    def from_config(cls, config: Config | None) -> CorrelationSettings:
        if config is None:
            return cls()
        return cls.from_section(config.section("correlation"), config.path or "config")


def _checked(origin: object, name: str, value: Any, default: Any) -> Any:
    where = f"{origin}: [correlation] {name}"
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(v.strip().lower() for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, not {value!r}")
    if value <= 0:
        raise ConfigError(f"{where} must be positive, not {value}")
    if isinstance(default, int) and not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, not {value}")
    return value
