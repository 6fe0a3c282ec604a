"""Reporting batches end to end: receipts, exactly-once recording, idempotency, dry runs, content checks."""

from __future__ import annotations

import pytest

from agent.domain import EventType, VenueKind
from protocol.keys import CipherSuite
from protocol.messages import ReceiptStatus, new_event
from protocol.receipts import UnverifiedAnswer, verify_platform_key, verify_receipts


def receipts_of(device, reply):  # noqa: ANN001, ANN201
    assert reply.status == 200, reply.body
    return {r.event_id: r for r in verify_receipts(reply.json(), device.enrollment.receipt_public_key,
                                                   device.device_id)}


async def test_a_batch_is_recorded_once_and_its_receipts_are_signed(receiver, events) -> None:
    device = await receiver.enroll()
    batch = [events.registration("R1"), events.registration("R2"), events.no_arrivals()]
    reply = await receiver.report(device, batch)
    receipts = receipts_of(device, reply)
    assert [receipts[e.event_id].status for e in batch] == [ReceiptStatus.ACCEPTED] * 3
    stored = receiver.storage.list_events(device.device_id)
    assert sorted(r.event_id for r in stored) == sorted(e.event_id for e in batch)
    # the answer names the platform key, signed with the receipt key the device pinned
    key = verify_platform_key(reply.json()["platform_key"], device.enrollment.receipt_public_key)
    assert key.key_id == device.enrollment.platform_key.key_id


async def test_the_same_batch_twice_gets_the_same_receipts_and_records_nothing_more(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.registration("R1"), events.departure("R1")])
    first = await receiver.send(device, sealed)
    again = await receiver.send(device, sealed)  # signed anew, same sealed bytes: a retry
    assert first.status == again.status == 200
    assert first.json()["statement"] == again.json()["statement"]
    assert first.json()["signature"] == again.json()["signature"]
    assert receiver.storage.count_events() == 2


async def test_a_resealed_batch_with_the_same_content_replays_its_answer(receiver, events) -> None:
    device = await receiver.enroll()
    batch_events = [events.registration("R1")]
    first = await receiver.send(device, receiver.seal(device, batch_events, batch_id="b-1"))
    again = await receiver.send(device, receiver.seal(device, batch_events, batch_id="b-1"))
    assert again.json()["statement"] == first.json()["statement"]


async def test_the_same_idempotency_key_with_another_body_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    await receiver.send(device, receiver.seal(device, [events.registration("R1")], batch_id="b-1"))
    reply = await receiver.send(device, receiver.seal(device, [events.registration("R2")], batch_id="b-1"))
    assert (reply.status, reply.code) == (422, "idempotency.key_reused")
    assert receiver.storage.count_events() == 1


async def test_an_event_sent_again_in_another_batch_is_a_duplicate(receiver, events) -> None:
    device = await receiver.enroll()
    event = events.registration("R1")
    await receiver.report(device, [event])
    receipts = receipts_of(device, await receiver.report(device, [event, events.no_arrivals()]))
    assert receipts[event.event_id].status is ReceiptStatus.DUPLICATE
    assert receiver.storage.count_events() == 2


async def test_an_event_id_of_another_device_is_rejected(receiver, events) -> None:
    one, other = await receiver.enroll(), await receiver.enroll()
    event = events.no_arrivals()
    await receiver.report(one, [event])
    receipt = receipts_of(other, await receiver.report(other, [event]))[event.event_id]
    assert receipt.status is ReceiptStatus.REJECTED and receipt.problem.code == "event.id_conflict"


async def test_an_invalid_registration_is_rejected_with_the_validators_problem(receiver, events) -> None:
    device = await receiver.enroll()
    bad = events.registration("R1", doc_number="110105194912310021")  # wrong check digit
    good = events.registration("R2")
    receipts = receipts_of(device, await receiver.report(device, [bad, good]))
    rejected = receipts[bad.event_id]
    assert rejected.status is ReceiptStatus.REJECTED
    assert rejected.problem.code.startswith("resident_id.")
    assert rejected.problem.zh and rejected.problem.en
    assert "110105194912310021" not in rejected.problem.zh + rejected.problem.en
    assert receipts[good.event_id].status is ReceiptStatus.ACCEPTED
    assert [r.event_id for r in receiver.storage.list_events()] == [good.event_id]


async def test_a_departure_needs_a_known_registration_and_cannot_precede_the_arrival(receiver, events) -> None:
    device = await receiver.enroll()
    unknown = events.departure("NOPE")
    early = events.departure("R1", departed_at="2025-03-01T08:00:00+08:00")
    receipts = receipts_of(device, await receiver.report(device, [events.registration("R1"), unknown, early]))
    assert receipts[unknown.event_id].problem.code == "registration.unknown"
    assert receipts[early.event_id].problem.code == "registration.departure_before_arrival"


async def test_a_departure_is_checked_against_the_arrival_and_the_clock_to_the_microsecond(receiver, events) -> None:
    # The platform compares the stored UTC times as text and asks the agent's rule only when one fails:
    # the edges must fall where the agent's rule puts them (at the arrival, a day after now).
    device = await receiver.enroll()
    at_arrival = events.departure("R1", departed_at="2025-03-01T01:30:00+00:00")  # 09:30 in China: the arrival
    before = events.departure("R2", departed_at="2025-03-01T09:29:59.999999+08:00")
    a_day_on = events.departure("R3", departed_at="2025-03-02T10:00:00+08:00")  # the clock's now + 1 day
    beyond = events.departure("R4", departed_at="2025-03-02T10:00:00.000001+08:00")
    batch = [events.registration(rid) for rid in ("R1", "R2", "R3", "R4")] + [at_arrival, before, a_day_on, beyond]
    receipts = receipts_of(device, await receiver.report(device, batch))
    assert receipts[at_arrival.event_id].status is ReceiptStatus.ACCEPTED
    assert receipts[before.event_id].problem.code == "registration.departure_before_arrival"
    assert receipts[a_day_on.event_id].status is ReceiptStatus.ACCEPTED
    assert receipts[beyond.event_id].problem.code == "registration.departure_in_future"
    # a departure of another device's registration is unknown too
    other = await receiver.enroll()
    stranger = events.departure("R1")
    assert receipts_of(other, await receiver.report(other, [stranger]))[stranger.event_id].problem.code \
        == "registration.unknown"


async def test_a_correction_records_a_rejected_registration(receiver, events) -> None:
    device = await receiver.enroll()
    bad = events.registration("R1", doc_number="110105194912310021")
    await receiver.report(device, [bad])
    correction = new_event(EventType.CORRECTED, {**bad.data, "person": {**bad.data["person"],
                                                                         "doc_number": "11010519491231002X"},
                                                  "corrects": bad.event_id}, receiver.clock())
    later = events.departure("R1")
    receipts = receipts_of(device, await receiver.report(device, [correction, later]))
    assert receipts[correction.event_id].status is ReceiptStatus.ACCEPTED
    assert receipts[later.event_id].status is ReceiptStatus.ACCEPTED


async def test_a_cancelled_registration_takes_no_departure(receiver, events) -> None:
    device = await receiver.enroll()
    cancel = new_event(EventType.CANCELLED, {"registration_id": "R1", "reason": "entered by mistake"},
                       receiver.clock())
    departure = events.departure("R1")
    receipts = receipts_of(device, await receiver.report(device, [events.registration("R1"), cancel, departure]))
    assert receipts[cancel.event_id].status is ReceiptStatus.ACCEPTED
    assert receipts[departure.event_id].problem.code == "registration.unknown"


async def test_a_dry_run_checks_without_recording(receiver, events) -> None:
    device = await receiver.enroll()
    good, bad = events.registration("R1"), events.departure("R9")
    reply = await receiver.report(device, [good, bad], dry_run=True)
    receipts = receipts_of(device, reply)
    assert receipts[good.event_id].status is ReceiptStatus.VALID and receipts[good.event_id].dry_run
    assert receipts[bad.event_id].status is ReceiptStatus.REJECTED
    assert receiver.storage.count_events() == 0
    # the batch id of a dry run stays free for the real batch
    real = await receiver.report(device, [good])
    assert receipts_of(device, real)[good.event_id].status is ReceiptStatus.ACCEPTED


@pytest.mark.parametrize("suites", [(CipherSuite.X25519,), (CipherSuite.MLKEM768_X25519, CipherSuite.X25519)])
async def test_both_cipher_suites_are_accepted(receiver, events, suites) -> None:
    device = await receiver.enroll(supported=suites)
    sealed = receiver.seal(device, [events.no_arrivals()])
    assert sealed.suite is suites[0]
    assert receipts_of(device, await receiver.send(device, sealed))


async def test_receipts_do_not_verify_with_another_key(receiver, events) -> None:
    device, other = await receiver.enroll(), await receiver.enroll()
    reply = await receiver.report(device, [events.no_arrivals()])
    with pytest.raises(UnverifiedAnswer):
        verify_receipts(reply.json(), device.enrollment.receipt_public_key, device_id=other.device_id)
    tampered = reply.json()
    tampered["statement"]["receipts"][0]["status"] = "rejected"
    with pytest.raises(UnverifiedAnswer):
        verify_receipts(tampered, device.enrollment.receipt_public_key)


async def test_events_of_every_venue_kind_are_recorded(receiver, events) -> None:
    for kind in VenueKind:
        device = await receiver.enroll(kind)
        assert receipts_of(device, await receiver.report(device, [events.no_arrivals()]))
    assert receiver.storage.count_events() == len(VenueKind)


async def test_a_checker_process_records_retries_refusals_and_dry_runs_like_the_server(start_receiver,
                                                                                        events) -> None:
    from receiver.app import Settings

    receiver = await start_receiver(Settings(workers=1))  # one checker: every batch goes whole to it
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.registration("R1"), events.departure("R1")], batch_id="b-1")
    first = await receiver.send(device, sealed)
    assert [r.status for r in receipts_of(device, first).values()] == [ReceiptStatus.ACCEPTED] * 2
    again = await receiver.send(device, sealed)  # a retry: the stored answer, verbatim
    assert (again.json()["statement"], again.json()["signature"]) == (first.json()["statement"],
                                                                      first.json()["signature"])
    reused = await receiver.send(device, receiver.seal(device, [events.registration("R2")], batch_id="b-1"))
    assert (reused.status, reused.code) == (422, "idempotency.key_reused")
    dry = await receiver.report(device, [events.registration("R3")], dry_run=True)
    assert [r.status for r in receipts_of(device, dry).values()] == [ReceiptStatus.VALID]
    assert receiver.storage.count_events() == 2  # what the checker recorded, read by the server's process


async def test_a_killed_checker_process_is_replaced_and_the_batch_is_recorded_once(start_receiver,
                                                                                 events) -> None:
    import multiprocessing
    from multiprocessing.connection import wait

    from receiver.app import Settings

    receiver = await start_receiver(Settings(workers=1))
    device = await receiver.enroll()
    assert receipts_of(device, await receiver.report(device, [events.registration("R1")]))
    checkers = multiprocessing.active_children()
    assert checkers
    for checker in checkers:
        checker.kill()  # SIGKILL: no clean-up, as the out-of-memory killer does it
    for checker in checkers:  # a sentinel is ready once its process has ended (`join` races the pool's reaping)
        assert wait([checker.sentinel]) == [checker.sentinel]
    sealed = receiver.seal(device, [events.departure("R1")])
    refused = await receiver.send(device, sealed)
    assert (refused.status, refused.code) == (503, "platform.overloaded") and refused.headers["Retry-After"]
    retried = await receiver.send(device, sealed)  # the new checker opens the database and records
    assert [r.status for r in receipts_of(device, retried).values()] == [ReceiptStatus.ACCEPTED]
    assert receiver.storage.count_events() == 2


async def test_batches_recorded_at_once_by_several_processes_record_each_event_once(start_receiver,
                                                                                   events) -> None:
    import asyncio
    from collections import Counter

    from receiver.app import Settings

    receiver = await start_receiver(Settings(workers=2))  # two checkers and the server's process write
    device = await receiver.enroll()
    shared = [events.registration(f"S{k}") for k in range(20)]
    sealed = [receiver.seal(device, shared + [events.registration(f"B{n}-{k}") for k in range(20)])
              for n in range(4)]
    sealed.append(sealed[0])  # the same batch again while the first may still be recorded: a retry
    replies = await asyncio.gather(*(receiver.send(device, one) for one in sealed))
    receipts = [receipts_of(device, reply) for reply in replies[:4]]
    # each shared registration is accepted by exactly one of the four batches, a duplicate in the others
    assert Counter(r[e.event_id].status for r in receipts for e in shared) == {ReceiptStatus.ACCEPTED: 20,
                                                                               ReceiptStatus.DUPLICATE: 60}
    for e in shared:
        assert [r[e.event_id].status for r in receipts].count(ReceiptStatus.ACCEPTED) == 1
    assert replies[4].json()["statement"] == replies[0].json()["statement"]  # the retry got the same answer
    assert receiver.storage.count_events() == 20 + 4 * 20


async def test_checker_processes_record_the_same_as_in_process(start_receiver, events) -> None:
    from receiver.app import Settings

    receiver = await start_receiver(Settings(workers=1))
    device = await receiver.enroll()
    bad = events.registration("R2", doc_number="110105194912310021")
    batch = [events.registration("R1"), bad, events.departure("R1")]
    receipts = receipts_of(device, await receiver.report(device, batch))
    assert [receipts[e.event_id].status for e in batch] == [ReceiptStatus.ACCEPTED, ReceiptStatus.REJECTED,
                                                            ReceiptStatus.ACCEPTED]
    assert receipts[bad.event_id].problem.code.startswith("resident_id.")


async def test_a_batch_shared_between_checker_processes_is_decided_in_order(start_receiver, events) -> None:
    from receiver.app import Settings

    receiver = await start_receiver(Settings(workers=2))  # each checks one half of the events
    device = await receiver.enroll()
    first = events.registration("R1")
    bad = events.registration("R2", doc_number="110105194912310021")
    batch = [first, bad, events.registration("R3"), events.departure("R1"), events.departure("R3"), first]
    reply = await receiver.report(device, batch)
    assert reply.status == 200, reply.body
    statuses = [r.status for r in verify_receipts(reply.json(), device.enrollment.receipt_public_key)]
    assert statuses == [ReceiptStatus.ACCEPTED, ReceiptStatus.REJECTED, ReceiptStatus.ACCEPTED,
                        ReceiptStatus.ACCEPTED, ReceiptStatus.ACCEPTED, ReceiptStatus.DUPLICATE]
    assert receiver.storage.count_events() == 4
