"""Generate the hostile-input corpus: one file per import format, every record hostile.

Each format's records start from a real public sample (tests/data/real, tests/ingest/data) and
carry one hostile value (SECURITY.md cases 1-13, 26, 31) in every free-text field an analyst or a
playbook sees: title, description, host, user, command line, URL, file name. Beside them sit
records that must be quarantined with a specific reason (bad types, missing ids, duplicates,
surrogates, impossible times) and records stored despite an oddity (times in year 1 and 9999).

    python -m tests.data.hostile.make_corpus [DIR] [--big]

The small files are committed (DIR defaults to this folder). `--big` adds the 1 MB field, the
100,000-character token, the 10,000-level nesting and invalid UTF-8 files, which tests write to
a temporary folder instead of the repository.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
REAL = ROOT / "tests" / "data" / "real"

# name -> hostile text. Every one must be stored and shown inert.
HOSTILE: dict[str, str] = {
    "csi": "A\x1b[31mRED\x1b[2J\x1b[H",
    "osc52": "\x1b]52;c;cHduZWQ=\x07 and \x1b]52;c;cHduZWQ=\x1b\\",
    "osc_title": "\x1b]0;PWNED\x07\x1b]2;PWNED\x1b\\",
    "osc8": "\x1b]8;;file:///etc/passwd\x1b\\click\x1b]8;;\x1b\\",
    "queries": "\x1b[c\x1b[>0q\x1b[6n\x1b[5n",
    "c1": "\u009b2J \u009d0;t\u009c \u0085",
    "overwrite": "real-cmd\rFAKE evil\b\b\b\bgood bell\x07 del\x7f",
    "nul": "nightly.exe\x00 & mimikatz.exe",
    "bidi": "invoice\u202efdp.exe adm\u200bin \u2066x\u2069",
    "markup_close": "/home/bob/[/]evil.sh [/x] [/",
    "markup_click": "[@click=app.quit]x[/] [@click=app.screenshot('x.svg','/tmp')]y[/]",
    "markup_link": "[link=file:///etc/passwd]bob[/link] [link='https://evil.example']z[/link]",
    "markup_var": "[$var] [$accent]v[/] [type=x, v={'a[0]'}]",
    "markup_style": "[bold red on white]FAKE-CRITICAL[/]",
    "markup_text": "[TODO] plan C:\\dir\\[x] \\[escaped]",
    "markdown": "[click](https://evil.example) <https://evil.example> **x** --y--",
    "html": '<a href="javascript:alert(1)">j</a> <img src="/etc/passwd">',
    "shell": "bob; touch /tmp/td-pwned $(touch /tmp/td-pwned) `id` | nc -e sh",
    "options": "--all-users -oProxyCommand=id --help",
    "newlines": "line1\nX-Injected: 1\r\nSet-Cookie: a=b",
    "urls": "javascript:alert(1) file:///etc/passwd",
}

FORMATS = ("defender", "sentinel", "graph", "ocsf")
# The fields each format names in a reason: the id, a required name, the start time.
ID_FIELD = {"defender": "id", "sentinel": "SystemAlertId", "graph": "id", "ocsf": "uid"}
NAME_FIELD = {
    "defender": "alertDisplayName",
    "sentinel": "AlertType",
    "graph": "title",
    "ocsf": "title",
}
TIME_FIELD = {
    "defender": "startTimeUtc",
    "sentinel": "StartTime",
    "graph": "createdDateTime",
    "ocsf": "first_seen_time",
}


@dataclass(frozen=True)
class Case:
    """One record of the corpus: its id and what the importer must do with it."""

    name: str
    source_id: str
    reason: str | None  # the quarantine reason's start; None: stored
    value: str = ""  # the hostile text it carries, when stored


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _bases() -> dict[str, dict]:
    defender = _load(
        REAL / "azure-rest-api-specs-security-alerts/GetAlertsSubscription_example.json"
    )
    sentinel = _load(REAL / "defender-for-cloud-loganalytics-securityalert/"
                     "securityalert_sample_row.stix-shifter.json")  # fmt: skip
    graph = _load(REAL / "graph-security-alerts_v2/alert_v2_list.stix-shifter.json")
    ocsf = (ROOT / "tests/ingest/data/ocsf_detection_findings.jsonl").read_text().splitlines()[0]
    return {
        "defender": defender["responses"]["200"]["body"]["value"][0],
        "sentinel": sentinel["rows"][0],
        "graph": graph["value"][0],
        "ocsf": json.loads(ocsf),
    }


BASES = _bases()


def source_id(fmt: str, name: str) -> str:
    if fmt == "defender":
        return f"{BASES['defender']['id'].rsplit('/', 1)[0]}/hostile-{name}"
    return f"hostile-{fmt}-{name}"


def _defender(record: dict, value: str) -> None:
    props = record["properties"]
    props.update(alertDisplayName=value, description=value, compromisedEntity=value)
    props["entities"] = _defender_entities(value)


def _defender_entities(value: str) -> list[dict]:
    return [
        {"$id": "1", "type": "host", "hostName": value},
        {"$id": "2", "type": "account", "name": value},
        {"$id": "3", "type": "process", "commandLine": value, "host": {"$ref": "1"}},
        {"$id": "4", "type": "url", "url": value},
        {"$id": "5", "type": "file", "name": value},
    ]


def _sentinel(record: dict, value: str) -> None:
    record.update(DisplayName=value, AlertName=value, Description=value, CompromisedEntity=value)
    # The native table holds Entities as a JSON string.
    record["Entities"] = json.dumps(_defender_entities(value))


def _graph(record: dict, value: str) -> None:
    record.update(title=value, description=value, recommendedActions=value)
    kind = "#microsoft.graph.security."
    record["evidence"] = [
        {"@odata.type": kind + "deviceEvidence", "deviceDnsName": value, "mdeDeviceId": "d1"},
        {"@odata.type": kind + "userEvidence", "userAccount": {"accountName": value}},
        {"@odata.type": kind + "processEvidence", "processCommandLine": value, "mdeDeviceId": "d1"},
        {"@odata.type": kind + "urlEvidence", "url": value},
        {"@odata.type": kind + "fileEvidence", "fileDetails": {"fileName": value}},
    ]


def _ocsf(record: dict, value: str) -> None:
    record["finding_info"].update(title=value, desc=value)
    record["message"] = value
    record["device"]["hostname"] = value
    record["actor"] = {"user": {"name": value}, "process": {"cmd_line": value}}


_INJECT: dict[str, Callable[[dict, str], None]] = {
    "defender": _defender,
    "sentinel": _sentinel,
    "graph": _graph,
    "ocsf": _ocsf,
}


def _set_id(fmt: str, record: dict, value: object) -> None:
    if fmt == "ocsf":
        record["finding_info"]["uid"] = value
    else:
        record[ID_FIELD[fmt]] = value


def _del(fmt: str, record: dict, field: str) -> None:
    (record["finding_info"] if fmt == "ocsf" else record).pop(field)


def _set(fmt: str, record: dict, field: str, value: object) -> None:
    _container(fmt, record)[field] = value


def _container(fmt: str, record: dict) -> dict:
    """The object holding the alert's own fields."""
    if fmt == "defender":
        return record["properties"]
    return record["finding_info"] if fmt == "ocsf" else record


def hostile_record(fmt: str, name: str, value: str) -> dict:
    record = copy.deepcopy(BASES[fmt])
    _INJECT[fmt](record, f"{name}: {value}")
    _set_id(fmt, record, source_id(fmt, name))
    return record


def far_times(fmt: str) -> dict[str, str | int]:
    """Times an attacker may send: year 1 and year 9999 (refused: outside 1970-2099)."""
    if fmt == "ocsf":
        return {"far_past": -62_135_596_800_000, "far_future": 253_402_300_799_000}
    if fmt == "sentinel":
        return {"far_past": "0001-01-01 00:00:00+00:00", "far_future": "9999-12-31 23:59:59+00:00"}
    return {"far_past": "0001-01-01T00:00:00Z", "far_future": "9999-12-31T23:59:59.9999999Z"}


def records(fmt: str, *, as_csv: bool = False) -> tuple[list[dict], list[Case]]:
    """The format's records, in file order, and what must happen to each.

    In CSV every cell is a string, so a number or an object where a string belongs is stored."""
    out: list[dict] = []
    cases: list[Case] = []

    def add(record: dict, name: str, reason: str | None, value: str = "") -> None:
        out.append(record)
        ident = _container(fmt, record).get("uid") if fmt == "ocsf" else record.get(ID_FIELD[fmt])
        cases.append(Case(name, str(ident or ""), reason, value))

    for name, value in HOSTILE.items():
        add(hostile_record(fmt, name, value), name, None, f"{name}: {value}")
    for name, when in far_times(fmt).items():
        record = hostile_record(fmt, name, "time")
        _set(fmt, record, TIME_FIELD[fmt], when)
        if fmt == "graph":
            record.pop("firstActivityDateTime", None)
        add(record, name, f"{TIME_FIELD[fmt]} {str(when)[:64]!r} is outside 1970-2099")

    record = hostile_record(fmt, "dup", "first")
    add(record, "dup", None, "dup: first")
    add(hostile_record(fmt, "dup", "second"), "dup", "duplicate id")

    record = hostile_record(fmt, "missing_id", "x")
    _del(fmt, record, "uid" if fmt == "ocsf" else ID_FIELD[fmt])
    add(record, "missing_id", f"missing {ID_FIELD[fmt]}")

    record = hostile_record(fmt, "int_id", "x")
    _set_id(fmt, record, 42)
    add(record, "int_id", None if as_csv else f"{ID_FIELD[fmt]} must be a string, got number")

    record = hostile_record(fmt, "traversal", "x")
    _set_id(fmt, record, "../../etc/passwd")
    add(record, "traversal", f"{ID_FIELD[fmt]} '../../etc/passwd' contains a '..' path segment")

    record = hostile_record(fmt, "title_object", "x")
    _set(fmt, record, NAME_FIELD[fmt], {"$ne": 1})
    add(
        record,
        "title_object",
        None if as_csv else f"{NAME_FIELD[fmt]} must be a string, got object",
    )

    record = hostile_record(fmt, "yesterday", "x")
    _set(fmt, record, TIME_FIELD[fmt], "yesterday")
    if fmt == "graph":
        record.pop("firstActivityDateTime", None)
    add(record, "yesterday", f"{TIME_FIELD[fmt]} 'yesterday' is not an ISO 8601 time")
    return out, cases


def _line(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _csv(rows: list[dict]) -> str:
    names = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, names, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v
                         for k, v in row.items()})  # fmt: skip
    return out.getvalue()


# file name -> (format, layout)
FILES = {
    "defender.json": ("defender", "json"),
    "defender.jsonl": ("defender", "jsonl"),
    "sentinel.json": ("sentinel", "json"),
    "sentinel.csv": ("sentinel", "csv"),
    "graph.json": ("graph", "json"),
    "ocsf.jsonl": ("ocsf", "jsonl"),
}
_ENVELOPE = {"defender": "value", "sentinel": "rows", "graph": "value"}


def write_small(folder: Path) -> dict[str, list[Case]]:
    """The committed corpus: every file with its expected outcomes."""
    expected: dict[str, list[Case]] = {}
    for name, (fmt, layout) in FILES.items():
        rows, cases = records(fmt, as_csv=layout == "csv")
        path = folder / name
        if layout == "jsonl":
            path.write_bytes(b"".join(_line(r) + b"\n" for r in rows))
        elif layout == "csv":
            path.write_text(_csv(rows), encoding="utf-8", newline="")
        else:
            path.write_text(json.dumps({_ENVELOPE[fmt]: rows}), encoding="utf-8")
        expected[name] = cases
    return expected


MIB = 1 << 20


def write_big(folder: Path) -> dict[str, list[Case]]:
    """Huge and malformed records, one JSON Lines file per format (not committed)."""
    expected: dict[str, list[Case]] = {}
    for fmt in FORMATS:
        lines, cases = zip(*_big_records(fmt), strict=True)
        path = folder / f"big-{fmt}.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        expected[path.name] = list(cases)
    expected["big-nested.json"] = _nested_document(folder / "big-nested.json")
    return expected


def _nested_document(path: Path) -> list[Case]:
    """A Defender list response whose second element nests 10,000 levels deep."""
    first, last = (_line(hostile_record("defender", n, "x")) for n in ("doc_first", "doc_last"))
    deep = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    path.write_bytes(b'{"value": [' + first + b", " + deep + b", " + last + b"]}")
    return [
        Case("doc_first", source_id("defender", "doc_first"), None),
        Case("doc_deep", "", "nesting deeper than 32"),
        Case("doc_last", source_id("defender", "doc_last"), None),
    ]


def _big_records(fmt: str) -> list[tuple[bytes, Case]]:
    def case(name: str, reason: str | None = None) -> Case:
        return Case(name, source_id(fmt, name), reason)

    def with_huge(name: str, value: str) -> bytes:
        record = hostile_record(fmt, name, "huge command line")
        _set_huge(fmt, record, value)
        return _line(record)

    token = "B" * 100_000
    long_title = hostile_record(fmt, "long_title", "x")
    _set(fmt, long_title, NAME_FIELD[fmt], token)
    nested = _line(hostile_record(fmt, "nested_object", "x"))
    deep = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    bad = _line(hostile_record(fmt, "bad_utf8", "\ufffd"))
    surrogate = _line(hostile_record(fmt, "surrogate", "SURROGATE"))
    return [
        (with_huge("megabyte", "A" * MIB), case("megabyte")),
        (with_huge("token", token), case("token")),
        (_line(long_title), case("long_title", f"{NAME_FIELD[fmt]} is 100,000 characters long")),
        (b"[" * 10_000 + b"]" * 10_000, case("nested_array", "nesting deeper than 32")),
        (nested[:-1] + b',"deep":' + deep + b"}", case("nested_object", "nesting deeper than 32")),
        (bad.replace("\ufffd".encode(), b"\xff\xfe\xc3("), case("bad_utf8", "invalid UTF-8")),
        (surrogate.replace(b"SURROGATE", b"\\ud800"), case("surrogate", "lone UTF-16 surrogate")),
        (_line(hostile_record(fmt, "after_bad", "still imported")), case("after_bad")),
    ]


def _set_huge(fmt: str, record: dict, value: str) -> None:
    """The command line, and the URL where the format carries one (reports print URLs)."""
    if fmt == "defender":
        entities = record["properties"]["entities"]
        entities[2]["commandLine"] = entities[3]["url"] = value
    elif fmt == "sentinel":
        entities = json.loads(record["Entities"])
        entities[2]["commandLine"] = entities[3]["url"] = value
        record["Entities"] = json.dumps(entities)
    elif fmt == "graph":
        record["evidence"][2]["processCommandLine"] = record["evidence"][3]["url"] = value
    else:
        record["actor"]["process"]["cmd_line"] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=HERE)
    parser.add_argument("--big", action="store_true", help="also write the huge files")
    args = parser.parse_args()
    write_small(args.folder)
    if args.big:
        write_big(args.folder)


if __name__ == "__main__":
    main()
