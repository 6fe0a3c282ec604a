"""The venue's duties that are due: what the operator should do now, computed from the store.

"Whoever rents out is responsible, whoever employs is responsible": each reminder is a duty the policy
puts on the venue that the store can see is not (yet) kept -

- `permit.missing`: a person here longer than the jurisdiction's `permit_after` (national: six months;
  Zhengzhou: 30 days, to apply within 7) with a resident ID of another city and no residence permit
  number recorded: help them apply. A resident ID of the venue's own city (its address's region) needs no
  permit; when the venue's city is unknown, every resident ID counts;
- `lease.ended`: a tenancy whose lease end passed without a move-out;
- `stay.overdue`: a hotel or overnight guest past the expected check-out;
- `lodging.unregistered`: staff marked as lodging on site with no registration of where they lodge;
- `visit.after_closing`: a visitor still in after the venue's closing time for visitors (a setting,
  default 23:00: `agent.duties.visitors`); record their leaving (`dengji visit-end N`);
- `rejected.uncorrected`: an event the platform rejected more than 24 hours ago, still not corrected;
- `backlog.late`: an event waiting to be sent longer than the venue kind's deadline (the jurisdiction's
  `report_within`: hotels and overnight venues 1 hour, others 24 hours) - the report is late, which is
  the operator's compliance risk;
- `minor.unaccompanied`: a minor staying with no adult in the room (admitted after the guardian was
  contacted): look after them, keep in touch with the guardian;
- `visa.overstay`: a foreign guest whose permitted stay ends before the stay does: tell the police;
- `foreigner.unreported`: a foreign guest's registration still not reported when the jurisdiction's
  `foreigner_report_within` (24 hours, at hotels and rentals alike) has passed since the arrival.

Reminders are computed, not stored: they disappear as soon as the duty is kept. Names are shown to the
operator (it is their register); logs get the codes and counts only (`summary`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlmodel import col, select

from agent.domain import CHINA_TIME, REGISTRATION_KIND_OF_VENUE, DocType, EventType, OutboxState, VenueKind
from agent.domain.policies import NATIONAL, Policy, jurisdictions, policy
from agent.store.database import Store
from agent.duties.visitors import closing_time, late_since
from agent.store.models import Event, OutboxEntry, Person, Registration, Unit, Venue, Visit

REJECTED_FOR = timedelta(hours=24)
OTHER_BACKLOG_DEADLINE = timedelta(hours=24)  # when the policy names none
_CHINESE = ("CHN", "HKG", "MAC", "TWN")


CODES = ("permit.missing", "lease.ended", "stay.overdue", "lodging.unregistered", "visit.after_closing",
         "rejected.uncorrected", "backlog.late", "minor.unaccompanied", "visa.overstay", "foreigner.unreported")
"""Every reminder's code, as listed above: what names a reminder in a short space (the TUI's home screen)
is written against this list, so a new duty cannot reach the screen as its bare code."""


@dataclass(frozen=True)
class Reminder:
    """One duty due: its code (one of `CODES`), the registration it concerns (if one), and what to do, in
    zh and en."""

    code: str
    zh: str
    en: str
    registration_id: int | None = None
    since: datetime | None = None  # when the duty fell due

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"reminder code {self.code!r} is not in reminders.CODES")

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "registration_id": self.registration_id, "zh": self.zh, "en": self.en,
                "since": self.since.astimezone(CHINA_TIME).isoformat(timespec="minutes") if self.since else None}


def _day(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d")


def _day_after(day: datetime) -> datetime:
    """When a lease that ends on `day` (kept as that day's start) is over: the next midnight."""
    start = day.astimezone(CHINA_TIME)
    return datetime(start.year, start.month, start.day, tzinfo=CHINA_TIME) + timedelta(days=1)


def due_reminders(store: Store, now: datetime) -> list[Reminder]:
    """Every reminder due at `now`, registrations first (oldest due first), then delivery."""
    with store.read() as session:
        venue = session.exec(select(Venue)).first()
    if venue is None:
        return []
    rules = _policy(venue.jurisdiction)
    facts = _read_facts(store, now)
    names: dict[bytes, str] = {}
    found: list[Reminder] = []
    people_present = Counter(row.person_id for row in facts.present)
    for row in facts.present:
        if row.name_sealed not in names:
            names[row.name_sealed] = (store.vault.open(row.name_sealed, "person.name", row.person_id) or "") \
                if row.name_sealed else ""
        found.extend(_person_reminders(row, f"{row.unit} {names[row.name_sealed]}", rules, venue.region, now,
                                       reported=row.id not in facts.unreported,
                                       lodging_registered=people_present[row.person_id] >= 2))
    found.extend(_visitors_after_closing(store, now, names))
    found.extend(_delivery_reminders(facts, VenueKind(venue.kind), rules, now))
    return found


class _Facts(NamedTuple):
    """What the reminders are computed from, read in one transaction."""

    present: list[Any]  # rows of _PRESENT, oldest arrival first
    rejected: tuple[int, datetime | None]  # rejected over REJECTED_FOR ago: how many, since when
    oldest_waiting: datetime | None  # the oldest event still to be sent
    waiting: int
    unreported: set[int]  # registrations whose registering event is not accepted yet


_PRESENT = (select(Registration.id, Registration.kind, Registration.arrived_at, Registration.expected_departure,
                   Registration.lodges_on_site, Registration.person_id, Person.doc_type,
                   Person.residence_permit_sealed, Person.name_sealed, Unit.label.label("unit"),  # type: ignore[attr-defined]
                   Registration.flags, Person.doc_masked, Person.nationality)
            .join(Person, col(Person.id) == Registration.person_id)
            .join(Unit, col(Unit.id) == Registration.unit_id)
            .where(col(Registration.departed_at).is_(None), col(Registration.cancelled_at).is_(None))
            .order_by(col(Registration.arrived_at)))
_UNSENT = (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value)


def _read_facts(store: Store, now: datetime) -> _Facts:
    with store.read() as session:
        present = list(session.exec(_PRESENT).all())
        rejected = session.exec(
            select(func.count(), func.min(OutboxEntry.updated_at))
            .where(OutboxEntry.state == OutboxState.REJECTED.value, OutboxEntry.updated_at <= now - REJECTED_FOR)).one()
        oldest_waiting = session.exec(
            select(func.min(Event.created_at)).join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
            .where(col(OutboxEntry.state).in_(_UNSENT))).one()
        waiting = session.exec(select(func.count()).select_from(OutboxEntry).where(
            col(OutboxEntry.state).in_(_UNSENT))).one()
        unreported = session.exec(
            select(Registration.id).join(Event, col(Event.registration_id) == Registration.id)
            .join(OutboxEntry, col(OutboxEntry.event_seq) == Event.seq)
            .where(col(Event.type).in_([EventType.REGISTERED.value, EventType.CORRECTED.value]),
                   col(OutboxEntry.state).in_([*_UNSENT, OutboxState.REJECTED.value]))).all()
    return _Facts(present, tuple(rejected), oldest_waiting, waiting, set(unreported))  # type: ignore[arg-type]


def _person_reminders(row: Any, who: str, rules: Policy, venue_region: str | None, now: datetime, *,
                      reported: bool, lodging_registered: bool) -> list[Reminder]:
    """The duties one present person's registration has due: permit, minor, visa, foreigner, lease, stay,
    lodging. `who` is how the reminder names them (room and name)."""
    found = []
    reg_id, kind, arrived, expected = row.id, row.kind, row.arrived_at, row.expected_departure
    flagged = set(row.flags.split()) if row.flags else set()
    arrival_day = arrived.astimezone(CHINA_TIME).date()
    permit_after = rules.duration("permit_after", arrival_day, kind)
    if row.doc_type == DocType.RESIDENT_ID.value and row.residence_permit_sealed is None \
            and permit_after is not None and arrived <= now - permit_after \
            and not _same_city(row.doc_masked, venue_region):
        days = permit_after.days
        within = rules.duration("permit_apply_within", arrival_day, kind)
        apply_zh = f"，须在 {within.days} 天内申领" if within else ""
        apply_en = f" within {within.days} days" if within else ""
        found.append(Reminder(
            "permit.missing", f"{who}：已居住满{days}天，尚无居住证号码，请提醒其申领居住证{apply_zh}",
            f"{who}: here over {days} days with no residence permit number; help them apply for one{apply_en}",
            reg_id, arrived + permit_after))
    if "minor_unaccompanied" in flagged:
        found.append(Reminder(
            "minor.unaccompanied", f"{who}：未成年人无成年人同住（已联系监护人）：请留意其安全，与监护人保持联系",
            f"{who}: a minor with no adult in the room (the guardian was contacted): look after them and keep "
            "in touch with the guardian", reg_id, arrived))
    if "visa_overstay" in flagged:
        found.append(Reminder(
            "visa.overstay", f"{who}：住宿超过签证停留有效期：请报告公安机关",
            f"{who}: stays past the permitted stay of their visa: tell the police", reg_id, arrived))
    foreign_within = rules.duration("foreigner_report_within", arrival_day, kind)
    if row.nationality not in (None, *_CHINESE) and not reported and foreign_within is not None \
            and arrived <= now - foreign_within:
        hours = int(foreign_within.total_seconds() // 3600)
        found.append(Reminder(
            "foreigner.unreported", f"{who}：境外人员须在入住后 {hours} 小时内报告，尚未报告成功：请检查上报或被退回的记录",
            f"{who}: a foreign guest is reported within {hours} hours of arrival and this one is not yet: check "
            "the uploader and the rejected records", reg_id, arrived + foreign_within))
    if expected is not None and kind == "tenancy" and _day_after(expected) <= now:
        found.append(Reminder(
            "lease.ended", f"{who}：租期已于 {_day(expected)} 结束，尚未办理退租；已搬走请登记离开，续租请更新",
            f"{who}: the lease ended on {_day(expected)} with no move-out recorded; record the departure "
            "if they left", reg_id, _day_after(expected)))
    elif expected is not None and expected < now and kind == "stay":
        found.append(Reminder(
            "stay.overdue", f"{who}：已过预计离开时间 {_day(expected)}，已离店请办理离开",
            f"{who}: past the expected check-out ({_day(expected)}); check them out if they left",
            reg_id, expected))
    if kind == "employment" and row.lodges_on_site and not lodging_registered:
        found.append(Reminder(
            "lodging.unregistered", f"{who}：在单位住宿，但没有住宿登记，请登记其住处",
            f"{who}: lodges on site but has no registration of lodging; register where they sleep",
            reg_id, arrived))
    return found


def _delivery_reminders(facts: _Facts, venue_kind: VenueKind, rules: Policy, now: datetime) -> list[Reminder]:
    """The reporting duties: refusals left uncorrected, records waiting past the venue kind's deadline."""
    found = []
    count, since = facts.rejected
    if count:
        found.append(Reminder(
            "rejected.uncorrected", f"有 {count} 条记录被平台退回超过24小时仍未更正，请在“被退回的记录”中更正",
            f"{count} record(s) rejected by the platform over 24 hours ago are still not corrected; "
            "correct them under Rejected records", None, since))
    kind = REGISTRATION_KIND_OF_VENUE[venue_kind].value
    deadline = rules.duration("report_within", now.astimezone(CHINA_TIME).date(), kind) or OTHER_BACKLOG_DEADLINE
    if facts.oldest_waiting is not None and facts.oldest_waiting <= now - deadline:
        hours = int(deadline.total_seconds() // 3600)
        found.append(Reminder(
            "backlog.late", f"有 {facts.waiting} 条记录超过 {hours} 小时未上报：请检查网络和上报服务 (dengji doctor)",
            f"{facts.waiting} record(s) waiting over {hours} hour(s) to be reported: check the network and the "
            "uploader (dengji doctor)", None, facts.oldest_waiting + deadline))
    return found


def _policy(jurisdiction: str | None) -> Policy:
    return policy(jurisdiction if jurisdiction in jurisdictions() else NATIONAL)


def _same_city(masked: str | None, region: str | None) -> bool:
    """Whether a resident ID (as masked: its first six digits show) was issued in the venue's city."""
    return bool(region and masked and masked.startswith(region))


def summary(reminders: list[Reminder]) -> str:
    """Codes and counts, for logs: `permit.missing=2 backlog.late=1` (no names, no numbers)."""
    counts = Counter(r.code for r in reminders)
    return " ".join(f"{code}={n}" for code, n in sorted(counts.items())) or "none"


def _visitors_after_closing(store: Store, now: datetime, names: dict[bytes, str]) -> list[Reminder]:
    """The visitors still in past the closing time of their visiting day, earliest first."""
    open_visits = (select(Visit.id, Visit.registration_id, Visit.arrived_at, Person.name_sealed, Unit.label, Person.id)
                   .join(Person, col(Person.id) == Visit.person_id)
                   .join(Registration, col(Registration.id) == Visit.registration_id)
                   .join(Unit, col(Unit.id) == Registration.unit_id)
                   .where(col(Visit.left_at).is_(None)).order_by(col(Visit.arrived_at)))
    with store.read() as session:
        rows = session.exec(open_visits).all()
    if not rows:
        return []
    closing = closing_time(store)
    shown = closing.strftime("%H:%M")
    found = []
    for visit_id, host, arrived, name_sealed, unit, person_id in rows:
        since = late_since(arrived, closing)
        if since > now:
            continue
        if name_sealed not in names:
            names[name_sealed] = (store.vault.open(name_sealed, "person.name", person_id) or "") if name_sealed else ""
        who = f"{unit} 的访客 {names[name_sealed]}"
        found.append(Reminder(
            "visit.after_closing",
            f"{who}（访客登记号 {visit_id}）过了访客离开时间 {shown} 仍未登记离开：请其离开，或登记离开 "
            f"(dengji visit-end {visit_id})",
            f"{unit}: visitor {names[name_sealed]} (visit {visit_id}) is still in after the closing time {shown}: "
            f"see them out, or record their leaving (dengji visit-end {visit_id})", host, since))
    return found
