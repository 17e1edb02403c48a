"""The batched upsert the import uses: ids, repeated ids in one batch, children refreshed."""

from __future__ import annotations

from tests.factories import entity, make_alert
from tui.store import Store, transaction
from tui.store.alerts import EntityIds, prepare, upsert_alerts, write_prepared


def _count(store: Store, table: str) -> int:
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_new_ids_are_the_stored_ids(store: Store) -> None:
    first = upsert_alerts(store.conn, [make_alert(source_id="a"), make_alert(source_id="b")])
    second = upsert_alerts(store.conn, [make_alert(source_id="c")])
    stored = dict(store.conn.execute("SELECT source_id, id FROM alerts"))
    assert first.new_ids == [stored["a"], stored["b"]] and second.new_ids == [stored["c"]]


def test_a_repeated_id_in_one_batch_keeps_the_last_copy(store: Store) -> None:
    old = make_alert(source_id="x", title="old", entities=[entity("host", "web01")])
    new = make_alert(source_id="x", title="new", entities=[entity("host", "web02")])
    result = upsert_alerts(store.conn, [old, new])
    assert (result.new, result.unchanged) == (1, 1)
    assert store.conn.execute("SELECT alert_display_name FROM alerts").fetchone()[0] == "new"
    assert _count(store, "alerts_fts") == 1 and _count(store, "alert_entities") == 1


def test_a_changed_alert_gets_its_children_refreshed(store: Store) -> None:
    upsert_alerts(store.conn, [make_alert(source_id="x", entities=[entity("ip", "203.0.113.1")])])
    changed = make_alert(source_id="x", title="changed", entities=[entity("ip", "203.0.113.2")])
    result = upsert_alerts(store.conn, [changed])
    assert (result.new, result.updated) == (0, 1)
    keys = store.conn.execute(
        "SELECT e.key FROM alert_entities ae JOIN entities e ON e.id = ae.entity_id"
    ).fetchall()
    assert keys == [("203.0.113.2",)]
    hits = store.conn.execute("SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH 'changed'")
    assert len(hits.fetchall()) == 1 and _count(store, "alerts_fts") == 1


def _links(store: Store) -> dict[str, int]:
    return dict(
        store.conn.execute(
            "SELECT a.source_id, ae.entity_id FROM alerts a JOIN alert_entities ae"
            " ON ae.alert_id = a.id"
        )
    )


def test_known_entity_ids_skip_the_lookup_and_link_the_same_entity(store: Store) -> None:
    known = EntityIds()
    host = entity("host", "web01")
    with transaction(store.conn) as conn:
        first = write_prepared(conn, [prepare(make_alert(source_id="a", entities=[host]))])
    known.keep(first.entity_ids)
    assert list(first.entity_ids) == [("host", "web01")]
    with transaction(store.conn) as conn:
        batch = [prepare(make_alert(source_id="b", entities=[host, entity("ip", "10.0.0.9")]))]
        second = write_prepared(conn, batch, known=known)
    assert list(second.entity_ids) == [("ip", "10.0.0.9")]  # the host needed no lookup
    links = _links(store)
    assert links["a"] == first.entity_ids[("host", "web01")] == known.get(("host", "web01"))
    assert _count(store, "entities") == 2 and _count(store, "alert_entities") == 3
