"""The venue's duties that are due: what the operator should do now, computed from the store.

"Whoever rents out is responsible, whoever employs is responsible": each reminder is a duty the policy
puts on the venue that the store can see is not (yet) kept -

- `permit.missing`: a person here for 30 days or more with a resident ID and no residence permit
  number recorded: help them apply (居住证: a floating person staying 30 days must apply);
- `lease.ended`: a tenancy whose lease end passed without a move-out;
- `stay.overdue`: a hotel or overnight guest past the expected check-out;
- `lodging.unregistered`: staff marked as lodging on site with no registration of where they lodge;
- `rejected.uncorrected`: an event the platform rejected more than 24 hours ago, still not corrected;
- `backlog.late`: an event waiting to be sent longer than the venue kind's deadline (hotels and overnight
  venues: 1 hour; others: 24 hours) - the report is late, which is the operator's compliance risk.

Reminders are computed, not stored: they disappear as soon as the duty is kept. Names are shown to the
operator (it is their register); logs get the codes and counts only (`summary`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from agent.domain import CHINA_TIME, DocType, OutboxState, VenueKind
from agent.store.database import Store
from agent.store.models import Event, OutboxEntry, Person, Registration, Unit, Venue

PERMIT_AFTER = timedelta(days=30)
REJECTED_FOR = timedelta(hours=24)
BACKLOG_DEADLINE = {VenueKind.HOTEL.value: timedelta(hours=1), VenueKind.OVERNIGHT.value: timedelta(hours=1)}
OTHER_BACKLOG_DEADLINE = timedelta(hours=24)


@dataclass(frozen=True)
class Reminder:
    """One duty due: its code, the registration it concerns (if one), and what to do, in zh and en."""

    code: str
    zh: str
    en: str
    registration_id: int | None = None
    since: datetime | None = None  # when the duty fell due

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "registration_id": self.registration_id, "zh": self.zh, "en": self.en,
                "since": self.since.astimezone(CHINA_TIME).isoformat(timespec="minutes") if self.since else None}


def _day(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d")


def due_reminders(store: Store, now: datetime) -> list[Reminder]:
    """Every reminder due at `now`, registrations first (oldest due first), then delivery."""
    with store.read() as session:
        venue = session.exec(select(Venue)).first()
    if venue is None:
        return []
    names: dict[bytes, str] = {}
    found: list[Reminder] = []
    present = (select(Registration.id, Registration.kind, Registration.arrived_at, Registration.expected_departure,
                      Registration.lodges_on_site, Registration.person_id, Person.doc_type,
                      Person.residence_permit_sealed, Person.name_sealed, Unit.label)
               .join(Person, col(Person.id) == Registration.person_id)
               .join(Unit, col(Unit.id) == Registration.unit_id)
               .where(col(Registration.departed_at).is_(None), col(Registration.cancelled_at).is_(None))
               .order_by(col(Registration.arrived_at)))
    with store.read() as session:
        rows = session.exec(present).all()
        rejected = session.exec(
            select(func.count(), func.min(OutboxEntry.updated_at))
            .where(OutboxEntry.state == OutboxState.REJECTED.value, OutboxEntry.updated_at <= now - REJECTED_FOR)).one()
        oldest_waiting = session.exec(
            select(func.min(Event.created_at)).join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
            .where(col(OutboxEntry.state).in_([OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value]))).one()
        waiting = session.exec(select(func.count()).select_from(OutboxEntry).where(
            col(OutboxEntry.state).in_([OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value]))).one()
    people_present = Counter(row[5] for row in rows)
    for reg_id, kind, arrived, expected, lodges, person_id, doc_type, permit, name_sealed, unit in rows:
        if name_sealed not in names:
            names[name_sealed] = (store.vault.open(name_sealed, "person.name", person_id) or "") if name_sealed else ""
        who = f"{unit} {names[name_sealed]}"
        if doc_type == DocType.RESIDENT_ID.value and permit is None and arrived <= now - PERMIT_AFTER:
            found.append(Reminder(
                "permit.missing", f"{who}：已登记满30天，尚无居住证号码，请提醒其申领居住证",
                f"{who}: here 30 days or more with no residence permit number; help them apply for one",
                reg_id, arrived + PERMIT_AFTER))
        if expected is not None and expected < now and kind == "tenancy":
            found.append(Reminder(
                "lease.ended", f"{who}：租期已于 {_day(expected)} 结束，尚未办理退租；已搬走请登记离开，续租请更新",
                f"{who}: the lease ended on {_day(expected)} with no move-out recorded; record the departure "
                "if they left", reg_id, expected))
        elif expected is not None and expected < now and kind == "stay":
            found.append(Reminder(
                "stay.overdue", f"{who}：已过预计离开时间 {_day(expected)}，已离店请办理离开",
                f"{who}: past the expected check-out ({_day(expected)}); check them out if they left",
                reg_id, expected))
        if kind == "employment" and lodges and people_present[person_id] < 2:
            found.append(Reminder(
                "lodging.unregistered", f"{who}：在单位住宿，但没有住宿登记，请登记其住处",
                f"{who}: lodges on site but has no registration of lodging; register where they sleep",
                reg_id, arrived))
    count, since = rejected
    if count:
        found.append(Reminder(
            "rejected.uncorrected", f"有 {count} 条记录被平台退回超过24小时仍未更正，请在“被退回的记录”中更正",
            f"{count} record(s) rejected by the platform over 24 hours ago are still not corrected; "
            "correct them under Rejected records", None, since))
    deadline = BACKLOG_DEADLINE.get(venue.kind, OTHER_BACKLOG_DEADLINE)
    if oldest_waiting is not None and oldest_waiting <= now - deadline:
        hours = int(deadline.total_seconds() // 3600)
        found.append(Reminder(
            "backlog.late", f"有 {waiting} 条记录超过 {hours} 小时未上报：请检查网络和上报服务 (dengji doctor)",
            f"{waiting} record(s) waiting over {hours} hour(s) to be reported: check the network and the "
            "uploader (dengji doctor)", None, oldest_waiting + deadline))
    return found


def summary(reminders: list[Reminder]) -> str:
    """Codes and counts, for logs: `permit.missing=2 backlog.late=1` (no names, no numbers)."""
    counts = Counter(r.code for r in reminders)
    return " ".join(f"{code}={n}" for code, n in sorted(counts.items())) or "none"
