"""Subcommand groups of the `threatdesk` command, one module each."""

from tui.commands import common

COMMAND_MODULES = [common]
