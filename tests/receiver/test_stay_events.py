"""The platform's checks of what happens to a stay after its registration (issue 18): visits and their
end, room changes, extensions, late and undone departures - over real HTTP, against its own records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agent.domain import EventType
from protocol.messages import ReceiptStatus, new_event
from protocol.receipts import verify_receipts
from tests.receiver.conftest import START

VISITOR = {"doc_type": "resident_id", "doc_number": "11010519491231002X", "name": "李四"}


def verdicts(device: Any, reply: Any) -> list[tuple[str, str | None]]:
    assert reply.status == 200, reply.body
    return [(r.status.value, r.problem.code if r.problem else None)
            for r in verify_receipts(reply.json(), device.enrollment.receipt_public_key, device.device_id)]


def ok(n: int) -> list[tuple[str, None]]:
    return [(ReceiptStatus.ACCEPTED.value, None)] * n


def event(kind: EventType, data: dict[str, Any], minutes: float = 0) -> Any:
    return new_event(kind, data, START + timedelta(minutes=minutes))


def visit(visit_id: str = "V1", host: str = "R1", arrived_at: str = "2025-03-01T09:40:00+08:00") -> Any:
    return event(EventType.VISIT, {"registration_id": host, "visit_id": visit_id, "visitor": VISITOR,
                                   "arrived_at": arrived_at})


def visit_end(visit_id: str = "V1", host: str = "R1", left_at: str = "2025-03-01T09:55:00+08:00") -> Any:
    return event(EventType.VISIT_END, {"registration_id": host, "visit_id": visit_id, "left_at": left_at})


async def test_a_visit_and_its_end_are_recorded_and_checked(receiver, events) -> None:
    device = await receiver.enroll()
    reply = await receiver.report(device, [events.registration("R1"), visit(), visit_end()])
    assert verdicts(device, reply) == ok(3)
    held = {e.type for e in receiver.storage.list_events(device.device_id)}
    assert held == {"registration", "visit", "visit_end"}
    again = await receiver.report(device, [
        visit_end(),  # already ended
        visit("V2", host="R9"),  # an unknown host
        visit_end("V3"),  # an unknown visit
        visit("V1"),  # the same visit id again
        visit("V4", arrived_at="2025-03-01T09:00:00+08:00"),  # before the host arrived
        visit("V5", arrived_at="2025-03-01T09:45:00+08:00"),
        visit_end("V5", left_at="2025-03-01T09:44:00+08:00"),  # left before coming
        visit_end("V5", host="R2"),  # the end of a visit to someone the platform does not hold
    ])
    assert verdicts(device, again) == [
        ("rejected", "visit.already_ended"), ("rejected", "registration.unknown"), ("rejected", "visit.unknown"),
        ("rejected", "visit.exists"), ("rejected", "visit.before_host_arrival"), ("accepted", None),
        ("rejected", "visit.end_before_arrival"), ("rejected", "registration.unknown")]


async def test_a_visit_to_a_departed_host_and_a_bad_visitor_are_refused(receiver, events) -> None:
    device = await receiver.enroll()
    bad_visitor = {**VISITOR, "doc_number": "110105194912310021"}  # wrong check digit
    reply = await receiver.report(device, [
        events.registration("R1"), events.departure("R1"), visit(),
        event(EventType.VISIT, {"registration_id": "R1", "visit_id": "V2", "visitor": bad_visitor,
                                "arrived_at": "2025-03-01T09:40:00+08:00"}),
        event(EventType.VISIT, {"registration_id": "R1", "visit_id": "V3", "arrived_at": "2025-03-01T09:40:00+08:00"}),
    ])
    codes = verdicts(device, reply)
    assert codes[:3] == ok(2) + [("rejected", "visit.host_departed")]
    assert codes[3] == ("rejected", "resident_id.checksum") and codes[4] == ("rejected", "event.bad_data")


async def test_a_room_change_and_an_extension_of_a_present_stay(receiver, events) -> None:
    device = await receiver.enroll()
    move = event(EventType.UNIT_CHANGED, {"registration_id": "R1", "unit": "305", "previous_unit": "302",
                                          "moved_at": "2025-03-01T09:45:00+08:00"})
    extend = event(EventType.STAY_EXTENDED, {"registration_id": "R1", "expected_departure": "2025-03-04T12:00:00+08:00",
                                             "previous_expected_departure": None})
    reply = await receiver.report(device, [events.registration("R1"), move, extend])
    assert verdicts(device, reply) == ok(3)
    refused = await receiver.report(device, [
        event(EventType.UNIT_CHANGED, {"registration_id": "R1", "unit": "305", "previous_unit": "305",
                                       "moved_at": "2025-03-01T09:46:00+08:00"}),
        event(EventType.UNIT_CHANGED, {"registration_id": "R1", "unit": "306",
                                       "moved_at": "2025-03-01T08:00:00+08:00"}),  # before the arrival
        event(EventType.STAY_EXTENDED, {"registration_id": "R1", "expected_departure": "2025-02-28T12:00:00+08:00"}),
        event(EventType.UNIT_CHANGED, {"registration_id": "R7", "unit": "306",
                                       "moved_at": "2025-03-01T09:46:00+08:00"}),
        events.departure("R1"),
        event(EventType.UNIT_CHANGED, {"registration_id": "R1", "unit": "307",
                                       "moved_at": "2025-03-01T09:46:00+08:00"}),  # a departed stay moved
        event(EventType.STAY_EXTENDED, {"registration_id": "R1", "expected_departure": "2025-03-09T12:00:00+08:00"}),
    ])
    assert verdicts(device, refused) == [
        ("rejected", "unit_change.same_unit"), ("rejected", "unit_change.before_arrival"),
        ("rejected", "stay_extension.before_arrival"), ("rejected", "registration.unknown"), ("accepted", None),
        ("rejected", "registration.departed"), ("rejected", "registration.departed")]


async def test_a_room_change_to_a_unit_not_on_file_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    receiver.storage.file_units(device.device_id, ["302", "305"])
    moves = [event(EventType.UNIT_CHANGED, {"registration_id": "R1", "unit": unit,
                                            "moved_at": "2025-03-01T09:45:00+08:00"}) for unit in ("3O5", "305")]
    reply = await receiver.report(device, [events.registration("R1"), *moves])
    assert verdicts(device, reply) == [("accepted", None), ("rejected", "unit.not_filed"), ("accepted", None)]


async def test_an_undone_departure_reopens_the_stay_within_15_minutes_only(receiver, events) -> None:
    device = await receiver.enroll()
    departure = events.departure("R1")  # recorded at START
    undo = event(EventType.DEPARTURE_CANCELLED, {"registration_id": "R1", "cancels": departure.event_id,
                                                 "departed_at": "2025-03-01T09:50:00+08:00"}, minutes=15)
    reply = await receiver.report(device, [events.registration("R1"), departure, undo])
    assert verdicts(device, reply) == ok(3)
    # reopened: a visit to the guest is accepted, and they can leave again
    second = event(EventType.DEPARTED, {"registration_id": "R1", "departed_at": "2025-03-01T09:58:00+08:00"}, 16)
    reply = await receiver.report(device, [visit(), second])
    assert verdicts(device, reply) == ok(2)
    late = event(EventType.DEPARTURE_CANCELLED, {"registration_id": "R1", "cancels": second.event_id}, minutes=31.5)
    old = event(EventType.DEPARTURE_CANCELLED, {"registration_id": "R1", "cancels": departure.event_id}, minutes=17)
    stranger = event(EventType.DEPARTURE_CANCELLED, {"registration_id": "R1", "cancels": visit().event_id}, 17)
    reply = await receiver.report(device, [late, old, stranger])
    assert verdicts(device, reply) == [("rejected", "departure.undo_too_late"),
                                       ("rejected", "departure_cancelled.not_latest"),
                                       ("rejected", "departure_cancelled.unknown_departure")]
    reply = await receiver.report(device, [events.registration("R2"), event(
        EventType.DEPARTURE_CANCELLED, {"registration_id": "R2", "cancels": second.event_id}, 17)])
    assert verdicts(device, reply) == [("accepted", None), ("rejected", "departure_cancelled.not_departed")]


async def test_a_departure_backdated_over_72_hours_needs_a_reason(receiver, events) -> None:
    device = await receiver.enroll()
    arrived = "2025-02-20T09:00:00+08:00"
    back_72 = (START - timedelta(hours=72)).isoformat()
    back_73 = (START - timedelta(hours=73)).isoformat()
    reply = await receiver.report(device, [
        events.registration("R1", arrived_at=arrived), events.registration("R2", arrived_at=arrived,
                                                                           doc_number="110105194912310038"),
        events.registration("R3", arrived_at=arrived, doc_number="110105194912310046"),
        event(EventType.DEPARTED, {"registration_id": "R1", "departed_at": back_72}),
        event(EventType.DEPARTED, {"registration_id": "R2", "departed_at": back_73}),
        event(EventType.DEPARTED, {"registration_id": "R3", "departed_at": back_73, "late_reason": "客人未交房卡，今日查房发现"}),
    ])
    assert verdicts(device, reply) == ok(4) + [("rejected", "departure.late_without_reason"), ("accepted", None)]
    held = [e for e in receiver.storage.list_events(device.device_id) if e.registration_id == "R3" and e.type == "departure"]
    assert "客人未交房卡" in held[0].data


async def test_a_time_out_of_range_costs_its_event_a_rejection_not_the_batch_an_error(receiver, events) -> None:
    device = await receiver.enroll()
    year_one = "0001-01-01T00:00:00+08:00"
    reply = await receiver.report(device, [
        events.registration("R1"), visit(),
        visit_end(left_at=year_one),
        visit("V2", arrived_at=year_one),
        event(EventType.DEPARTED, {"registration_id": "R1", "departed_at": year_one, "late_reason": "测试"}),
        event(EventType.UNIT_CHANGED, {"registration_id": "R1", "unit": "305", "moved_at": year_one}),
        event(EventType.STAY_EXTENDED, {"registration_id": "R1", "expected_departure": "9999-12-31T23:59:59-12:00"}),
    ])
    codes = verdicts(device, reply)
    assert codes[:2] == ok(2) and all(status == "rejected" for status, _ in codes[2:]), codes
