"""The daily "nobody new arrived" report (无入住上报) that hotels and overnight venues owe the platform.

A day is settled once it has ended: it gets a report if no one arrived that day, nothing otherwise.
Days missed while the machine was off are caught up (at most `NO_ARRIVALS_CATCH_UP` days back, and
never before the venue was set up). Run twice, it reports nothing twice: the last settled day is kept
in the store, in the same transaction as the reports.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from agent.domain import CHINA_TIME, EventType, VenueKind
from agent.register.ledger import Ledger, day_start
from agent.store.models import Event, Meta, OutboxEntry, Registration, Venue

NO_ARRIVALS_META_KEY = "no_arrivals.settled"  # the last day whose daily report was decided
NO_ARRIVALS_CATCH_UP = 31  # days a machine switched off for weeks catches up on


def report_no_arrivals(ledger: Ledger, now: datetime) -> list[date]:
    """Queue the report for every finished day since the last one settled, for venues that owe it; the
    days reported."""
    with ledger.store.read() as session:
        venue = session.exec(select(Venue)).first()
    if venue is None or venue.kind not in (VenueKind.HOTEL.value, VenueKind.OVERNIGHT.value):
        return []
    yesterday = now.astimezone(CHINA_TIME).date() - timedelta(days=1)
    first = max(venue.created_at.astimezone(CHINA_TIME).date(), yesterday - timedelta(days=NO_ARRIVALS_CATCH_UP - 1))

    def work(session: Session) -> list[date]:
        settled = session.get(Meta, NO_ARRIVALS_META_KEY)
        start = max(first, date.fromisoformat(settled.value.decode()) + timedelta(days=1)) if settled else first
        if start > yesterday:
            return []
        arrivals = {moment.astimezone(CHINA_TIME).date() for moment in session.exec(
            select(Registration.arrived_at).where(Registration.arrived_at >= day_start(start),
                                                  Registration.arrived_at < day_start(yesterday, days=1),
                                                  col(Registration.cancelled_at).is_(None)))}
        reported = []
        day = start
        while day <= yesterday:
            if day not in arrivals:
                ledger.record_event(session, EventType.NO_ARRIVALS, None, {"date": day.isoformat()}, now)
                reported.append(day)
            day += timedelta(days=1)
        row = settled or Meta(key=NO_ARRIVALS_META_KEY, value=b"")
        row.value = yesterday.isoformat().encode()
        session.add(row)
        return reported

    return ledger.store.write(work)


def last_no_arrivals_report(ledger: Ledger) -> tuple[date, str] | None:
    """The latest daily report queued: its day and its delivery state (pending, sent, ...)."""
    with ledger.store.read() as session:
        row = session.exec(select(Event, OutboxEntry.state).join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
                           .where(Event.type == EventType.NO_ARRIVALS.value)
                           .order_by(col(Event.seq).desc())).first()
    if row is None:
        return None
    event, state = row
    return date.fromisoformat(ledger.event_payload(event)["date"]), state
