"""Import alert files: detect the format, stream records, normalize, upsert or quarantine.

Each batch (alerts, quarantined records, the import's counters) is one short write transaction,
so a killed import leaves a consistent database and re-running it completes: the upsert is
idempotent and keeps triage. `strict` validates the whole file first and stores no alert from
it when any record is bad.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from tui.config import current_user
from tui.ingest import detect
from tui.ingest.errors import FormatError, RecordError
from tui.ingest.reader import DocumentSplitter, csv_records, jsonl_records, sniff
from tui.ingest.records import RawRecord, parse
from tui.store import Store, audit, bulk, quarantine, transaction
from tui.store import imports as import_log
from tui.store.alerts import (
    EntityIds,
    PreparedAlert,
    Screen,
    prepare,
    write_prepared,
)

BATCH = 5000  # alerts per write transaction
WORK_CHUNK = 500  # records per task sent to a worker process
# Parsing and normalizing take more CPU than the SQLite writes, and the writer spends most of
# its time in SQLite's C code: one worker per core (the writer shares them) keeps every core
# busy, where one core per role left a core idle whenever either side waited.
WORKERS = max(1, min(4, os.cpu_count() or 2))
# Chunks in flight: a whole write batch plus two per worker, so the workers keep parsing while
# the writer commits a batch. Memory stays bounded by this, not by the file.
IN_FLIGHT = BATCH // WORK_CHUNK + 2 * WORKERS
WORKER_NICENESS = 10  # added to the workers' scheduling niceness (see _start_worker)
PARALLEL_BYTES = 8 * 1024 * 1024  # smaller files are not worth starting workers for
SNIFF_BYTES = 64 * 1024
DETECT_RECORDS = 20  # records tried before a file is declared to be in no known format
# An import this large that holds more alerts than the store builds the secondary indexes once
# at the end instead of row by row (tui/store/bulk.py); a smaller one keeps them live.
BULK_MIN_BYTES = 64 * 2**20
BYTES_PER_ALERT = 4096  # a generous estimate: Defender alerts run 2-5 KB
Progress = Callable[[str, int, int], None]  # (stage, done, total): "importing" counts bytes,
# "indexing" counts indexes


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
    prepared: PreparedAlert | None = None
    reason: str = ""


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    fmt: str = "auto",
    strict: bool = False,
    progress: Progress | None = None,
    screen: Screen | None = None,
) -> ImportSummary:
    """Import every file. A file in no known format (or unreadable) is refused before anything
    of it is stored and listed in `refused`; the other files are imported. `screen` (the
    engine's suppression rules) decides which new alerts are stored dismissed."""
    summary = ImportSummary()
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    deferred = bulk.defer(store.conn) if _bulk_load(store, paths) else []
    try:
        for path in paths:
            try:
                _import_file(store, path, fmt, strict, progress, screen, summary)
            except FormatError as exc:
                summary.refused[str(path)] = str(exc)
    finally:
        if deferred:
            indexing = None if progress is None else functools.partial(progress, "indexing")
            bulk.restore(store.conn, indexing)
    summary.seconds = time.perf_counter() - started
    return summary


def _bulk_load(store: Store, paths: list[Path]) -> bool:
    """Whether the files are large and likely hold more alerts than the store."""
    size = sum(p.stat().st_size for p in paths if p.is_file())
    return size >= BULK_MIN_BYTES and bulk.worthwhile(store.conn, size // BYTES_PER_ALERT)


def _import_file(
    store: Store,
    path: Path,
    fmt: str,
    strict: bool,
    progress: Progress | None,
    screen: Screen | None,
    summary: ImportSummary,
) -> None:
    name = str(path)
    source = _open(path, fmt)
    total = path.stat().st_size
    summary.formats[name] = source.fmt
    if strict:
        bad = [o for batch in _checked(source) for o in batch if o.prepared is None]
        if bad:
            _reject_file(store, name, source.fmt, bad, summary)
            return
        source = _open(path, source.fmt)
    import_id = import_log.start(store.conn, name, source.fmt)
    writer = _BatchWriter(store, import_id, name, screen)
    for batch in _checked(source):
        writer.write(batch, summary)
        if progress is not None:
            progress("importing", max(batch[-1].record.offset, 0), total)
    with transaction(store.conn) as conn:
        counts = import_log.finish(conn, import_id)
        audit.record(conn, current_user(), "import", "file", name, None, counts)


@dataclass
class _Source:
    fmt: str
    unit: str  # what a record number counts: "line" or "record"
    records: Iterator[RawRecord]
    workers: int  # processes that parse and normalize; 0: this process


def _open(path: Path, fmt: str) -> _Source:
    """The file's format and a stream of its raw records."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        layout = sniff(stream.read(SNIFF_BYTES))
    except FormatError as exc:
        stream.close()
        raise detect.refuse(f"{path}: {exc}") from None
    stream.seek(0)
    reader = {"jsonl": jsonl_records, "csv": csv_records}.get(layout)
    records = reader(stream) if reader else DocumentSplitter(stream).records()
    try:
        if fmt == "auto":
            head = list(itertools.islice(records, DETECT_RECORDS))
            fmt = _detect(path, head)
            records = itertools.chain(head, records)
        detect.adapter(fmt)  # an unknown --format is refused before anything is read
    except FormatError:
        stream.close()
        raise
    workers = WORKERS if path.stat().st_size >= PARALLEL_BYTES else 0
    unit = "record" if reader is None else "line"
    return _Source(fmt, unit, _closing(stream, records), workers)


def _closing(stream: BinaryIO, records: Iterator[RawRecord]) -> Iterator[RawRecord]:
    try:
        yield from records
    finally:
        stream.close()


def _detect(path: Path, head: list[RawRecord]) -> str:
    """The format of the first record that is in one; FormatError when none is."""
    if not head:
        raise detect.refuse(f"{path}: no records")
    readable = False
    first_error = ""
    for record in head:
        try:
            if record.error:
                raise RecordError(record.error)
            value, _ = parse(record.data)
        except RecordError as exc:
            first_error = first_error or str(exc)
            continue
        readable = True
        found = detect.record_format(value)
        if found:
            return found
    if not readable:
        raise detect.refuse(f"{path}: no readable JSON object in the first records ({first_error})")
    raise detect.refuse(f"{path}: records are in no known format")


def _checked(source: _Source) -> Iterator[list[_Outcome]]:
    """Batches of outcomes with in-file duplicate ids refused."""
    seen = import_log.SeenIds()
    try:
        outcomes = itertools.chain.from_iterable(_mapped(source))
        for batch in _batched(outcomes, BATCH):
            _mark_duplicates(seen, batch, source.unit)
            yield batch
    finally:
        seen.close()


def _mapped(source: _Source) -> Iterator[list[_Outcome]]:
    """`_work` over chunks of records, in file order, in worker processes when worthwhile.

    At most IN_FLIGHT chunks are in flight, so memory stays bounded however fast the file is
    read. Workers return plain row tuples: pickling them costs a fraction of an Alert's."""
    chunks = _batched(source.records, WORK_CHUNK)
    if not source.workers:
        yield from (_work(source.fmt, chunk) for chunk in chunks)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(
        source.workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    ) as pool:
        pending: deque[Future] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_work, source.fmt, chunk))
            if len(pending) >= IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _start_worker(parent: int) -> None:
    """Yield the CPU to the writer, and exit when the importing process dies.

    The single SQLite writer sets the pace; the workers have chunks to spare, so on a machine
    with fewer free cores than processes they should run when the writer does not, rather
    than take turns with it. A killed import (kill -9) would otherwise leave its workers
    blocked for ever on a full result pipe, and with them the fork server."""
    os.nice(WORKER_NICENESS)

    def watch() -> None:
        while True:
            time.sleep(1)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _work(fmt: str, records: list[RawRecord]) -> list[_Outcome]:
    """Parse, validate, normalize and prepare records (in a worker process or this one)."""
    adapter = detect.adapter(fmt)
    return [_outcome(adapter, record) for record in records]


def _outcome(adapter: ModuleType, record: RawRecord) -> _Outcome:
    if record.error:
        return _Outcome(record, reason=record.error)
    try:
        value, text = parse(record.data)
        prepared = prepare(adapter.normalize(value, text))
    except RecordError as exc:
        return _Outcome(record, reason=str(exc))
    except Exception as exc:  # a shape no check foresaw costs one record, not the whole import
        return _Outcome(record, reason=f"cannot be read ({type(exc).__name__}: {exc})"[:500])
    record.data = b""  # the verbatim record travels inside `prepared`
    return _Outcome(record, prepared)


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
    keyed = [(import_log.id_hash(o.prepared.source_id), o) for o in batch if o.prepared]
    first = seen.first_numbers((digest, o.record.number) for digest, o in keyed)
    for digest, outcome in keyed:
        if first[digest] != outcome.record.number:
            sid = outcome.prepared.source_id  # at most MAX_ID_CHARS
            outcome.reason = f"duplicate id {sid!r}: first seen on {unit} {first[digest]}"
            outcome.record.data = outcome.prepared.raw  # for the quarantine
            outcome.prepared = None


@dataclass
class _BatchWriter:
    """Stores one file's batches: each batch's alerts, quarantined records and the import's
    counters in one transaction."""

    store: Store
    import_id: int
    name: str
    screen: Screen | None
    known: EntityIds = field(default_factory=EntityIds)

    def write(self, batch: list[_Outcome], summary: ImportSummary) -> None:
        alerts = [o.prepared for o in batch if o.prepared is not None]
        bad = [_rejected(self.name, o) for o in batch if o.prepared is None]
        with transaction(self.store.conn) as conn:
            result = write_prepared(conn, alerts, self.screen, self.known)
            quarantine.add(conn, bad)
            import_log.add_counts(
                conn, self.import_id, result.new, result.updated, result.unchanged, len(bad)
            )
        self.known.keep(result.entity_ids)  # committed: safe to reuse
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
