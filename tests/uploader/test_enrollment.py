"""Enrollment checks the platform before trusting it: its address (https, or http to this machine only,
before any network I/O) and, when the police station handed one over, its key fingerprint. A real
`dengji-receiver serve` on 127.0.0.1 and the agent's own store."""

from __future__ import annotations

import pytest

from agent.domain.errors import NotEnrolled
from protocol.keys import key_fingerprint
from tests.uploader.listener import listener
from tests.uploader.processes import Receiver
from uploader.device import Device, load_device
from uploader.enrollment import enroll


def issue(receiver: Receiver) -> tuple[str, str]:
    """A code and the fingerprint printed beside it, as `dengji-receiver issue-code` shows them."""
    out = receiver.admin("issue-code", "--venue", "测试宾馆", "--kind", "hotel")
    fingerprint = next(line.split()[-1] for line in out.splitlines() if "fingerprint" in line)
    return out.split()[-1], fingerprint


async def test_the_fingerprint_the_station_hands_over_lets_the_agent_enroll(hotel_registry, receiver) -> None:
    code, fingerprint = issue(receiver)
    store = hotel_registry.store
    device = await enroll(store, hotel_registry.venue(), code, receiver.url,
                          expected_fingerprint=fingerprint.lower().replace("-", " "))  # typed loosely
    assert isinstance(device, Device)
    assert key_fingerprint(device.receipt_public_key) == fingerprint
    assert load_device(store).device_id == device.device_id


async def test_a_platform_with_another_fingerprint_is_refused_and_nothing_is_kept(hotel_registry, receiver) -> None:
    code, fingerprint = issue(receiver)
    other = "0000-0000-0000-0000" if fingerprint != "0000-0000-0000-0000" else "1111-1111-1111-1111"
    result = await enroll(hotel_registry.store, hotel_registry.venue(), code, receiver.url,
                          expected_fingerprint=other)
    assert not isinstance(result, Device)
    assert result.code == "enroll.fingerprint_mismatch" and fingerprint in result.en
    with pytest.raises(NotEnrolled):
        load_device(hotel_registry.store)


@pytest.mark.parametrize("url", ["http://localhost@127.0.0.1:{port}",  # the host is 127.0.0.1, by a trick
                                 "http://0.0.0.0:{port}",  # this machine, but not a name the rule allows
                                 "http://127.0.0.1:{port}#@localhost"])
async def test_an_address_the_rule_refuses_is_never_contacted(hotel_registry, url: str) -> None:
    async with listener() as (port, received):
        result = await enroll(hotel_registry.store, hotel_registry.venue(), "AAAA-BBBB-CCCC-DDDD",
                              url.format(port=port))
    assert not isinstance(result, Device)
    assert result.code in ("platform_url.invalid", "platform_url.not_https")
    assert received == []
