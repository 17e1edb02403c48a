"""Import alert files: detect the format, stream records, normalize, upsert or quarantine.

Each batch (alerts, quarantined records, the import's counters) is one short write transaction,
so a killed import leaves a consistent database and re-running it completes: the upsert is
idempotent and keeps triage. `strict` validates the whole file first and stores no alert from
it when any record is bad.
"""

from __future__ import annotations

import itertools
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from tui.config import current_user
from tui.ingest import detect
from tui.ingest.errors import FormatError, RecordError
from tui.ingest.reader import DocumentSplitter, csv_records, jsonl_records, sniff
from tui.ingest.records import RawRecord, parse
from tui.model import Alert
from tui.store import Store, audit, quarantine, transaction
from tui.store import imports as import_log
from tui.store.alerts import write_alerts

BATCH = 5000
SNIFF_BYTES = 64 * 1024
DETECT_RECORDS = 20  # records tried before a file is declared to be in no known format
Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass
class ImportSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    new_ids: array = field(default_factory=lambda: array("q"))
    formats: dict[str, str] = field(default_factory=dict)  # file -> format
    refused: dict[str, str] = field(default_factory=dict)  # file -> why it was not imported

    @property
    def alerts_per_second(self) -> float:
        total = self.new + self.updated + self.unchanged + self.rejected
        return total / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class _Outcome:
    """One record after parsing and normalizing: an alert, or the reason it was refused."""

    record: RawRecord
    alert: Alert | None = None
    reason: str = ""


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    fmt: str = "auto",
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every file. A file in no known format (or unreadable) is refused before anything
    of it is stored and listed in `refused`; the other files are imported."""
    summary = ImportSummary()
    started = time.perf_counter()
    for path in map(Path, paths):
        try:
            _import_file(store, path, fmt, strict, progress, summary)
        except FormatError as exc:
            summary.refused[str(path)] = str(exc)
    summary.seconds = time.perf_counter() - started
    return summary


def _import_file(
    store: Store,
    path: Path,
    fmt: str,
    strict: bool,
    progress: Progress | None,
    summary: ImportSummary,
) -> None:
    name = str(path)
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"{name}: cannot read ({exc.strerror})") from None
    source = _open(path, fmt)
    summary.formats[name] = source.fmt
    if strict:
        bad = [o for batch in _checked(source) for o in batch if o.alert is None]
        if bad:
            _reject_file(store, name, source.fmt, bad, summary)
            return
        source = _open(path, source.fmt)
    import_id = import_log.start(store.conn, name, source.fmt)
    for batch in _checked(source):
        _store_batch(store, import_id, name, batch, summary)
        if progress is not None:
            progress(max(batch[-1].record.offset, 0), total)
    with transaction(store.conn) as conn:
        counts = import_log.finish(conn, import_id)
        audit.record(conn, current_user(), "import", "file", name, None, counts)


@dataclass
class _Source:
    fmt: str
    unit: str  # what a record number counts: "line" or "record"
    outcomes: Iterator[_Outcome]


def _open(path: Path, fmt: str) -> _Source:
    """The file's format and a stream of its records, parsed and normalized."""
    stream = path.open("rb")
    try:
        layout = sniff(stream.read(SNIFF_BYTES))
    except FormatError as exc:
        stream.close()
        raise detect.refuse(f"{path}: {exc}") from None
    stream.seek(0)
    reader = {"jsonl": jsonl_records, "csv": csv_records}.get(layout)
    records = reader(stream) if reader else DocumentSplitter(stream).records()
    parsed = (_parse(r) for r in records)
    if fmt == "auto":
        head = list(itertools.islice(parsed, DETECT_RECORDS))
        try:
            fmt = _detect(path, head)
        except FormatError:
            stream.close()
            raise
        parsed = itertools.chain(head, parsed)
    adapter = detect.adapter(fmt)
    outcomes = (_normalize(adapter, *item) for item in parsed)
    return _Source(fmt, "record" if reader is None else "line", _closing(stream, outcomes))


def _checked(source: _Source) -> Iterator[list[_Outcome]]:
    """Batches of outcomes with in-file duplicate ids refused."""
    seen = import_log.SeenIds()
    try:
        for batch in _batched(source.outcomes, BATCH):
            _mark_duplicates(seen, batch, source.unit)
            yield batch
    finally:
        seen.close()


def _closing(stream, items: Iterator[_Outcome]) -> Iterator[_Outcome]:
    try:
        yield from items
    finally:
        stream.close()


def _parse(record: RawRecord) -> tuple[RawRecord, dict | None, str]:
    if record.error:
        return record, None, record.error
    try:
        value, text = parse(record.data)
    except RecordError as exc:
        return record, None, str(exc)
    record.data = text  # the verbatim record as text, stored as the alert's raw
    return record, value, ""


def _detect(path: Path, head: list[tuple[RawRecord, dict | None, str]]) -> str:
    values = [value for _, value, _ in head if value is not None]
    if not head:
        raise detect.refuse(f"{path}: no records")
    for value in values:
        found = detect.record_format(value)
        if found:
            return found
    if not values:
        raise detect.refuse(f"{path}: no readable JSON object in the first records ({head[0][2]})")
    raise detect.refuse(f"{path}: records are in no known format")


def _normalize(adapter: ModuleType, record: RawRecord, value: dict | None, reason: str) -> _Outcome:
    if value is None:
        return _Outcome(record, reason=reason)
    try:
        return _Outcome(record, alert=adapter.normalize(value, record.data))
    except RecordError as exc:
        return _Outcome(record, reason=str(exc))


def _batched(items: Iterable[_Outcome], size: int) -> Iterator[list[_Outcome]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _rejected(name: str, outcome: _Outcome) -> quarantine.Rejected:
    record = outcome.record
    raw = record.data
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "backslashreplace")
    offset = record.offset if record.offset >= 0 else None
    return quarantine.Rejected(name, record.number, offset, outcome.reason, raw)


def _mark_duplicates(seen: import_log.SeenIds, batch: list[_Outcome], unit: str) -> None:
    """Refuse a second copy of an id within one file, naming where the first one is."""
    keyed = [(import_log.id_hash(o.alert.source_id), o) for o in batch if o.alert is not None]
    first = seen.first_numbers((digest, o.record.number) for digest, o in keyed)
    for digest, outcome in keyed:
        if first[digest] != outcome.record.number:
            outcome.reason = (
                f"id {outcome.alert.source_id[:80]!r} first seen on {unit} {first[digest]}"
            )
            outcome.alert = None


def _store_batch(
    store: Store, import_id: int, name: str, batch: list[_Outcome], summary: ImportSummary
) -> None:
    alerts = [o.alert for o in batch if o.alert is not None]
    bad = [_rejected(name, o) for o in batch if o.alert is None]
    with transaction(store.conn) as conn:
        result = write_alerts(conn, alerts) if alerts else None
        quarantine.add(conn, bad)
        import_log.add_counts(
            conn,
            import_id,
            result.new if result else 0,
            result.updated if result else 0,
            result.unchanged if result else 0,
            len(bad),
        )
    if result:
        summary.new += result.new
        summary.updated += result.updated
        summary.unchanged += result.unchanged
        summary.new_ids.extend(result.new_ids)
    summary.rejected += len(bad)


def _reject_file(
    store: Store, name: str, fmt: str, bad: list[_Outcome], summary: ImportSummary
) -> None:
    """--strict: quarantine the bad records, store nothing else from the file."""
    import_id = import_log.start(store.conn, name, fmt)
    with transaction(store.conn) as conn:
        quarantine.add(conn, [_rejected(name, o) for o in bad])
        import_log.add_counts(conn, import_id, 0, 0, 0, len(bad))
        counts = import_log.finish(conn, import_id)
        audit.record(conn, current_user(), "import-rejected", "file", name, None, counts)
    summary.rejected += len(bad)
