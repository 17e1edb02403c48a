"""Subcommand groups of the `threatdesk` command, one module each.

Every module here that defines `register(subparsers)` is a command group; `cli` finds them, so a
new group needs no edit anywhere else.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return modules
