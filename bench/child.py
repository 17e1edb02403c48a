"""Run one benchmark function in a fresh process, so its peak RSS is its own.

    python -m bench.child MODULE:FUNCTION '{"keyword": "arguments"}'

The function returns a JSON-able dict; the child prints it as the last line of stdout with
`peak_rss_mib` (the process high-water mark) added.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run(target: str, timeout: float | None = None, **kwargs: object) -> dict:
    """Call `target` ("module:function") with `kwargs` in a child process; its dict result."""
    return run_command(
        [sys.executable, "-m", "bench.child", target, json.dumps(kwargs)], timeout=timeout
    )


def run_command(
    command: list[str], timeout: float | None = None, env: dict[str, str] | None = None
) -> dict:
    """Run a benchmark command whose stdout is, or ends with a line that is, a JSON object;
    its stderr passes through so progress stays visible."""
    environment = {**os.environ, **(env or {})}
    done = subprocess.run(
        command, stdout=subprocess.PIPE, text=True, timeout=timeout, env=environment
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:5])} ... exited with {done.returncode}")
    out = done.stdout.strip()
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return json.loads(out.splitlines()[-1])


def main() -> None:
    module, _, name = sys.argv[1].partition(":")
    function = getattr(importlib.import_module(module), name)
    result = function(**json.loads(sys.argv[2]))
    result["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
