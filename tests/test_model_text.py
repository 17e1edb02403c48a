from tui.model import defang, display, visible


def test_escape_sequences_become_visible() -> None:
    assert visible("A\x1b[31mRED\x1b[2J\x1b[H") == "A\\e[31mRED\\e[2J\\e[H"
    assert visible("\u009b2J") == "\\x9b2J"
    assert visible("real-cmd\rFAKE") == "real-cmd\\rFAKE"
    assert visible("evil\b\0\x7f") == "evil\\b\\0\\x7f"


def test_invisible_and_bidi_characters_are_shown() -> None:
    assert visible("invoice\u202efdp.exe") == "invoice\\u202efdp.exe"
    assert visible("adm\u200bin") == "adm\\u200bin"
    assert visible("\ud800") == "\\ud800"


def test_multiline_keeps_layout_but_not_carriage_return() -> None:
    assert visible("a\nb\tc\r", multiline=True) == "a\nb\tc\\r"


def test_display_truncates_visibly() -> None:
    assert display("x" * 50, limit=10) == "x" * 10 + "… [+40 chars]"


def test_defang() -> None:
    assert defang("https://evil.com/a.php") == "hxxps://evil[.]com/a.php"
    assert defang("10.0.0.1") == "10[.]0[.]0[.]1"
