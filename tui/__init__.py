"""threatdesk: a keyboard-first terminal console for SOC analysts."""

__version__ = "0.1.0"
