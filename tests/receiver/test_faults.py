"""Fault switches: off by default, and when on, each fault does what an agent must survive."""

from __future__ import annotations

import json

import aiohttp
import pytest

from protocol.receipts import verify_receipts
from receiver.faults import BadFaultPlan, FaultPlan


async def test_without_faults_the_switch_route_does_not_exist(receiver) -> None:
    reply = await receiver.request("PUT", "/v1/test/faults", json.dumps({"fail_500": 1.0}).encode())
    assert (reply.status, reply.code) == (404, "route.not_found")


@pytest.mark.parametrize("plan, status", [(FaultPlan(fail_500=1.0), 500), (FaultPlan(fail_503=1.0), 503),
                                          (FaultPlan(fail_429=1.0), 429)])
async def test_failures_happen_before_anything_is_recorded(start_receiver, events, plan, status) -> None:
    receiver = await start_receiver(faults=FaultPlan())
    device = await receiver.enroll()
    await receiver.request("PUT", "/v1/test/faults", json.dumps(plan.as_dict()).encode())
    reply = await receiver.report(device, [events.no_arrivals()])
    assert (reply.status, reply.code) == (status, "fault.injected")
    assert ("Retry-After" in reply.headers) == (status != 500)
    assert receiver.storage.count_events() == 0


async def test_a_cut_off_answer_was_recorded_and_the_retry_gets_the_same_receipts(start_receiver, events) -> None:
    receiver = await start_receiver(faults=FaultPlan())
    device = await receiver.enroll()
    await receiver.request("PUT", "/v1/test/faults", json.dumps(FaultPlan(drop=1.0).as_dict()).encode())
    sealed = receiver.seal(device, [events.no_arrivals()])
    with pytest.raises(aiohttp.ClientError):
        await receiver.send(device, sealed)
    assert receiver.storage.count_events() == 1  # recorded before the answer was lost
    await receiver.request("PUT", "/v1/test/faults", json.dumps(FaultPlan().as_dict()).encode())
    reply = await receiver.send(device, sealed)
    receipts = verify_receipts(reply.json(), device.enrollment.receipt_public_key)
    assert [r.status.value for r in receipts] == ["accepted"]
    assert receiver.storage.count_events() == 1


async def test_a_delayed_answer_still_arrives(start_receiver, events) -> None:
    receiver = await start_receiver(faults=FaultPlan(delay=0.01, delay_share=1.0))
    device = await receiver.enroll()
    assert (await receiver.report(device, [events.no_arrivals()])).status == 200


def test_a_seeded_plan_repeats_its_faults() -> None:
    from receiver.faults import Faults

    plan = FaultPlan(fail_500=0.2, fail_503=0.2, drop=0.3, seed=11)
    one, two = Faults(plan), Faults(plan)
    assert [(getattr(one.before(), "status", None), one.drop()) for _ in range(50)] == \
        [(getattr(two.before(), "status", None), two.drop()) for _ in range(50)]


@pytest.mark.parametrize("spec", ["500=2", "teapot=0.1", "500=0.6,503=0.6", "delay=x"])
def test_bad_plans_are_refused(spec: str) -> None:
    with pytest.raises(BadFaultPlan):
        FaultPlan.parse(spec)


async def test_a_bad_plan_over_http_is_refused(start_receiver) -> None:
    receiver = await start_receiver(faults=FaultPlan())
    reply = await receiver.request("PUT", "/v1/test/faults", json.dumps({"fail_500": 7}).encode())
    assert (reply.status, reply.code) == (400, "body.malformed")
