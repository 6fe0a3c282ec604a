"""Issue 18's people rules on the platform, through a real receiver over HTTP: a minor's companions
against what the platform holds, an internet café's refusal, a late registration judged as of when the
venue registered it, and flags the platform computes itself."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from agent.domain import EventType, VenueKind
from agent.validation import resident_id
from protocol.messages import ReceiptStatus, new_event
from protocol.receipts import verify_receipts
from tests.receiver.conftest import START, registration_data


def id_number(born: date, county: str = "110105", sequence: int = 12) -> str:
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    return body + resident_id.calc_check_digit(body)


MOTHER = id_number(date(1985, 6, 7), sequence=14)
SISTER = id_number(date(2010, 1, 1), sequence=16)  # 15 on START
CHILD = id_number(date(2013, 3, 4), sequence=18)  # 11 on START
CONTACT = {"name": "王芳", "phone": "13812345678"}


def receipts_of(device, reply):  # noqa: ANN001, ANN201
    assert reply.status == 200, reply.body
    return [(r.status, r.problem.code if r.problem else None)
            for r in verify_receipts(reply.json(), device.enrollment.receipt_public_key, device.device_id)]


def registration(rid: str, number: str, unit: str = "302", **extra: Any):  # noqa: ANN201
    data = registration_data(rid, doc_number=number, **extra)
    data["unit"] = unit
    return new_event(EventType.REGISTERED, data, START)


def minor(rid: str, number: str = CHILD, unit: str = "302", **extra: Any):  # noqa: ANN201
    return registration(rid, number, unit, guardian_contact=CONTACT, **extra)


ACCEPTED = (ReceiptStatus.ACCEPTED, None)


async def test_a_minors_companion_must_be_an_adult_the_platform_holds_in_the_same_unit(receiver) -> None:
    device = await receiver.enroll()
    with_mother = [{"doc_number": MOTHER, "relation": "parent"}]
    # the adult earlier in the same batch counts; one in another unit, or not reported, does not
    reply = await receiver.report(device, [
        registration("R1", MOTHER), minor("R2", companions=with_mother),
        minor("R3", SISTER, unit="303", companions=with_mother),
    ])
    assert receipts_of(device, reply) == [ACCEPTED, ACCEPTED,
                                          (ReceiptStatus.REJECTED, "registration.companion_not_present")]
    # held from an earlier batch; a minor is no companion
    reply = await receiver.report(device, [
        minor("R4", SISTER, companions=with_mother),
        minor("R5", id_number(date(2014, 1, 1), sequence=20), companions=[{"doc_number": SISTER, "relation": "other"}]),
    ])
    assert receipts_of(device, reply) == [ACCEPTED, (ReceiptStatus.REJECTED, "registration.companion_minor")]
    # once the mother departed she is no companion
    departed = new_event(EventType.DEPARTED, {"registration_id": "R1", "departed_at": "2025-03-01T09:50:00+08:00"},
                         START)
    reply = await receiver.report(device, [departed, minor("R6", id_number(date(2012, 5, 5), sequence=22),
                                                           companions=with_mother)])
    assert receipts_of(device, reply) == [ACCEPTED, (ReceiptStatus.REJECTED, "registration.companion_not_present")]


async def test_an_internet_cafe_device_may_not_report_a_minor(receiver) -> None:
    cafe = await receiver.enroll(VenueKind.OVERNIGHT, {"kind": "overnight", "name": "星空网吧",
                                                       "subtype": "internet_cafe"})
    reply = await receiver.report(cafe, [minor("R1", guardian_contacted=True), registration("R2", MOTHER)])
    assert receipts_of(cafe, reply) == [(ReceiptStatus.REJECTED, "registration.minor_internet_cafe"), ACCEPTED]
    bathhouse = await receiver.enroll(VenueKind.OVERNIGHT, {"kind": "overnight", "name": "浴池", "subtype": "bathhouse"})
    reply = await receiver.report(bathhouse, [minor("R1", guardian_contacted=True)])
    assert receipts_of(bathhouse, reply) == [ACCEPTED]


async def test_the_platform_stores_its_own_flags(receiver) -> None:
    device = await receiver.enroll()
    alone = minor("R1", guardian_contacted=True)  # the device claims no flag
    adult = registration("R2", MOTHER, unit="305", flags=["minor_unaccompanied"])  # a flag it does not earn
    reply = await receiver.report(device, [alone, adult])
    assert receipts_of(device, reply) == [ACCEPTED, ACCEPTED]
    stored = {row.registration_id: json.loads(row.data) for row in receiver.storage.list_events(device.device_id)}
    assert stored["R1"]["flags"] == ["minor_unaccompanied"]
    assert "flags" not in stored["R2"]
    reply = await receiver.report(device, [minor("R3", SISTER, unit="306")])
    assert receipts_of(device, reply) == [(ReceiptStatus.REJECTED, "registration.minor_alone")]


def tenancy(rid: str, arrived: str, occurred_days: float, **extra: Any):  # noqa: ANN201
    data = {**registration_data(rid, arrived_at=arrived, doc_number=MOTHER), "kind": "tenancy", **extra}
    return new_event(EventType.REGISTERED, data, START - timedelta(days=occurred_days))


async def test_a_late_tenancy_needs_its_reason_judged_as_of_when_the_venue_registered_it(receiver) -> None:
    rental = await receiver.enroll(VenueKind.RENTAL, {"kind": "rental", "name": "出租屋",
                                                      "jurisdiction": "zhengzhou"})
    arrived = (START - timedelta(days=10)).isoformat()
    reply = await receiver.report(rental, [
        tenancy("R1", arrived, 0),  # registered 10 days after the arrival, no reason
        tenancy("R2", arrived, 8),  # registered 2 days after it, reported a week later: in time
        tenancy("R3", arrived, 0, late_reason="房东出差，回来补登"),
    ])
    receipts = receipts_of(rental, reply)
    assert receipts[0] == (ReceiptStatus.REJECTED, "registration.late_without_reason")
    assert receipts[1:] == [ACCEPTED, ACCEPTED]
    stored = {row.registration_id: json.loads(row.data) for row in receiver.storage.list_events(rental.device_id)}
    assert stored["R3"]["late_reason"] == "房东出差，回来补登" and stored["R3"]["flags"] == ["late"]
