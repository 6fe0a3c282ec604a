"""Residence-permit checks (一证通) as the venue keeps them: what to ask about, and what the platform said.

A landlord or employer asks the platform whether a tenant's or employee's residence permit (居住证) is
valid. The question needs the permit number and the holder's document number, both encrypted in the
store; the answer (valid, expired, revoked, not found) is kept with the registration and the time, with
the platform's signed statement as proof that the check was made. The asking itself is the uploader's
job (`uploader.permit_check`): the agent never speaks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from agent.domain import CHINA_TIME
from agent.duties.operators import SYSTEM
from agent.store import audit
from agent.store.database import Store
from agent.store.models import PermitCheck, Person, Registration
from agent.validation import Problem
from agent.validation.normalise import compact_number
from agent.validation.stay_events import registration_number

_STATUS_TEXT = {
    "valid": ("居住证有效", "the residence permit is valid"),
    "expired": ("居住证已过期", "the residence permit has expired"),
    "revoked": ("居住证已被注销", "the residence permit was revoked"),
    "not_found": ("平台查不到这个居住证（号码与证件不符或未办理）",
                  "the platform has no such permit for this person (wrong number, or none issued)"),
}


@dataclass(frozen=True)
class PermitCheckResult:
    """One check's answer, as the person's detail view and `dengji permit-check` show it."""

    registration_id: int
    status: str
    valid_until: str | None
    checked_at: datetime
    operator: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    def text(self, lang: str) -> str:
        zh, en = _STATUS_TEXT.get(self.status, (self.status, self.status))
        when = self.checked_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        until = self.valid_until or ""
        if lang == "en":
            return f"{en}{f' (until {until})' if until else ''}; checked {when}"
        return f"{zh}{f'（有效期至 {until}）' if until else ''}；查询时间 {when}"

    def as_dict(self) -> dict[str, object]:
        return {"registration_id": self.registration_id, "status": self.status, "valid_until": self.valid_until,
                "checked_at": self.checked_at.astimezone(CHINA_TIME).isoformat(), "operator": self.operator}


def permit_query_numbers(store: Store, registration_id: int, permit_number: str | None = None
                         ) -> tuple[str, str] | Problem:
    """(permit number, document number) to ask about: the permit number given, else the one recorded."""
    row = None
    if registration_number(registration_id) is not None:  # a number no key can hold names nothing
        with store.read() as session:
            row = session.exec(select(Person.residence_permit_sealed, Person.doc_number_sealed, Person.id)
                               .join(Registration, col(Registration.person_id) == Person.id)
                               .where(Registration.id == registration_id)).first()
    if row is None:
        return Problem("registration.not_found", f"没有登记号为 {registration_id} 的登记",
                       f"there is no registration {registration_id}", "registration_id")
    permit_sealed, doc_sealed, person_id = row
    permit = compact_number(permit_number) if permit_number else store.vault.open(
        permit_sealed, "person.residence_permit_number", person_id)
    document = store.vault.open(doc_sealed, "person.doc_number", person_id)
    if not permit:
        return Problem("permit_check.no_number", "没有登记居住证号码，请输入证上的号码再查询",
                       "no residence permit number is recorded: enter the number on the permit", "permit_number")
    if not document:
        return Problem("permit_check.no_document", "此人没有证件号码，无法查询居住证",
                       "this person has no document number, so the permit cannot be checked")
    return permit, document


def record_permit_check(store: Store, registration_id: int, status: str, valid_until: str | None,
                        checked_at: datetime, answer: bytes, operator: str | None) -> PermitCheckResult:
    """Keep the platform's answer with the registration; the check is an inspection, so it is audited
    in the same transaction (the status, no number)."""

    def work(session: Session) -> None:
        session.connection().execute(insert(PermitCheck.__table__), {  # type: ignore[attr-defined]
            "registration_id": registration_id, "status": status, "valid_until": valid_until,
            "checked_at": checked_at, "operator": operator, "answer": answer})
        audit.append(session, action=audit.PERMIT_CHECK, operator=operator or SYSTEM, at=checked_at,
                     registration_id=registration_id, digest=audit.digest_of(answer), detail={"status": status})

    store.write(work)
    return PermitCheckResult(registration_id, status, valid_until, checked_at, operator)


def permit_checks(store: Store, registration_id: int) -> list[PermitCheckResult]:
    """The checks made for a registration, newest first."""
    with store.read() as session:
        rows = session.exec(select(PermitCheck).where(PermitCheck.registration_id == registration_id)
                            .order_by(col(PermitCheck.checked_at).desc(), col(PermitCheck.id).desc())).all()
    return [PermitCheckResult(r.registration_id, r.status, r.valid_until, r.checked_at, r.operator) for r in rows]
