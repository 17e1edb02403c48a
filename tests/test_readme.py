"""The README opens with its two commands, and its keyboard map is generated, never stale."""

from pathlib import Path

from scripts.update_readme import README, updated


def test_keyboard_map_is_current() -> None:
    text = README.read_text()
    assert "`incident.merge`" in text
    assert updated(text) == text, "run: python scripts/update_readme.py"


def test_readme_links_exist() -> None:
    root = README.parent
    for name in ("docs/correlation.md", "docs/playbooks.md", "data/playbooks"):
        assert (root / name).exists(), name
    assert Path(root / "screenshots").is_dir()


def test_readme_opens_with_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert lines[0].startswith("```")
    assert lines[1].startswith("pip install . && threatdesk demo")
    assert lines[2].startswith("pip install '.[test]' && ")
    assert lines[3] == "```"
