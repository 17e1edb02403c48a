"""The wheel must carry every subpackage, or an installed threatdesk breaks."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "tui").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "add these packages to pyproject.toml"
