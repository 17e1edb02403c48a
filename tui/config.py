"""Default places, the analyst's identity and the TOML configuration file."""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path

APP = "threatdesk"


def default_db_path() -> Path:
    env = os.environ.get("THREATDESK_DB")
    return Path(env) if env else user_data_path(APP) / "threatdesk.db"


def reports_dir() -> Path:
    return user_data_path(APP) / "reports"


def data_dir() -> Path:
    """Shipped data (catalogs, demo scenarios): `tui/data` when installed, `data/` in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "data"
    return installed if installed.is_dir() else package.parent / "data"


def default_config_path() -> Path:
    return user_config_path(APP) / "config.toml"


def current_user() -> str:
    """The OS user; over SSH, the login user."""
    for var in ("THREATDESK_USER", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


class ConfigError(Exception):
    pass


@dataclass
class Config:
    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{self.path}: [{name}] must be a table")
        return value


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing default file is an empty config, a broken one an error."""
    explicit = path is not None
    path = path or default_config_path()
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: no such config file")
        return Config(path=None)
    try:
        return Config(path=path, data=tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
