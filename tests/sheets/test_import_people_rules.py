"""Importing rows under issue 18's rules: a row registered after the deadline carries its reason (its own
column, or that it comes from the venue's existing register), which goes to the platform."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from agent.register.registry import Registry
from agent.sheets.importer import IMPORT_LATE_REASON, import_file
from agent.store.models import Event
from agent.store.opening import open_store
from tests.sheets.conftest import TENANT_HEADERS, csv_bytes, days_ago, tenant_row


def test_late_rows_carry_their_own_reason_or_the_imports(rental: Path, tmp_path: Path) -> None:
    rows = [tenant_row(1, arrived=days_ago(1).isoformat()) + [""],  # in time: no reason
            tenant_row(2) + ["房东出差"],  # 5 days ago, its own reason
            tenant_row(3) + [""]]  # 5 days ago, none given
    path = tmp_path / "tenants.csv"
    path.write_bytes(csv_bytes(rows, headers=[*TENANT_HEADERS, "迟报原因"]))
    store = open_store(rental)
    try:
        registry = Registry(store)
        report = import_file(registry, path)
        assert report.registered == 3, report.lines("en")
        with store.read() as session:
            events = session.exec(select(Event).order_by(Event.seq)).all()
        reasons = [registry.event_payload(event).get("late_reason") for event in events]
        flags = [registry.event_payload(event).get("flags") for event in events]
    finally:
        store.dispose()
    assert reasons == [None, "房东出差", IMPORT_LATE_REASON]
    assert flags == [None, ["late"], ["late"]]
