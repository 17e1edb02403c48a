"""The console in a browser tab: textual-serve runs one console process per browser session."""

from __future__ import annotations


def serve_in_browser(command: str, host: str, port: int) -> None:
    """Serve `command` (a shell command line that starts the console) until interrupted."""
    from textual_serve.server import Server

    Server(command, host=host, port=port, title="threatdesk").serve()
