"""`threatdesk serve`: the console in a browser tab, through textual-serve, on 127.0.0.1 only.

Each browser session runs its own `threatdesk` process against the same database. Binding to
loopback keeps the console off the network; reach it from elsewhere with an SSH tunnel
(`ssh -L 8000:127.0.0.1:8000 host`).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from tui.commands.common import db_path

HOST = "127.0.0.1"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="run the console in a web browser (textual-serve, bound to 127.0.0.1)",
    )
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.set_defaults(func=cmd_serve)


def app_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs per browser session: this console, same options."""
    argv = [sys.executable, "-m", "tui.cli", "--db", str(db_path(args).resolve())]
    if args.config:
        argv += ["--config", str(args.config.resolve())]
    if args.readonly:
        argv.append("--readonly")
    return shlex.join(argv)


def cmd_serve(args: argparse.Namespace) -> int:
    from tui.ui.web import serve_in_browser

    if not 0 < args.port < 65536:
        print(f"threatdesk: port {args.port} is not a TCP port", file=sys.stderr)
        return 2
    print(f"threatdesk: serving on http://{HOST}:{args.port} (Ctrl+C stops)", flush=True)
    serve_in_browser(app_command(args), HOST, args.port)
    return 0
