"""`dengji enroll`: trade the police station's one-time code for a device id and the platform's keys."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from agent.store.database import Store
from agent.store.models import Venue
from agent.validation import Problem
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.gm import SoftwareSm2Key
from protocol.keys import CipherSuite, generate_device_key, key_fingerprint, same_fingerprint, sm2_fingerprint
from protocol.platform_url import is_loopback_host, platform_url_problem
from protocol.receipts import PinnedKey, UnverifiedAnswer, verify_platform_key
from protocol.refusals import explain_suite_required
from uploader.device import Device, save_device
from uploader.transport import Answer, Transport, Unreachable

log = logging.getLogger("dengji.uploader.enrollment")

FINGERPRINT_MISSING = Problem(
    "enroll.fingerprint_missing",
    "请填写派出所与注册码一起给出的平台密钥指纹（如 3F9A-QK2M-7TXC-0H5R）：没有它无法确认连接的是派出所的平台，没有登记。",
    "Give the platform key fingerprint the police station handed over with the code (like 3F9A-QK2M-7TXC-0H5R): "
    "without it there is no knowing the platform is the station's; not enrolled.", "fingerprint")


def venue_details(venue: Venue) -> dict[str, str]:
    """What the platform is told about the venue at enrollment (no personal data)."""
    fields = ("kind", "name", "address", "police_station", "agreement_no", "rental_filing_no", "credit_code",
              "subtype", "jurisdiction", "region")
    return {name: getattr(venue, name) for name in fields if getattr(venue, name)}


async def enroll(store: Store, venue: Venue, code: str, platform_url: str, ca_file: str | None = None,
                 expected_fingerprint: str | None = None) -> Device | Problem:
    """Enroll this device; the device, or the problem to show the operator. Nothing is saved on failure.

    The address must be https, or http to this machine only (`platform_url_problem`, checked before any
    network I/O). With `expected_fingerprint` (printed by `dengji-receiver issue-code` beside the code,
    handed over by the police station), a platform whose receipt key has another fingerprint is refused:
    the agent would otherwise pin whatever key answered at that address. Off this machine the fingerprint
    is required: without it, whoever answers first at the address (a proxy, a spoofed DNS name) would be
    trusted with every later batch. A platform on this machine (the demo, a test) needs none.

    The device gets an SM2 key beside its Ed25519 key, whatever the platform turns out to accept (the
    national suite is used when the platform accepts only it). The receipt key has two halves, each with
    its fingerprint (`issue-code` prints both); only the half the given fingerprint vouches for is
    pinned, and a platform in the national suite must be vouched for by its SM2 fingerprint."""
    problem = platform_url_problem(platform_url)
    if problem is not None:
        return problem
    if not (expected_fingerprint or "").strip() and not is_loopback_host(urlsplit(platform_url).hostname):
        return FINGERPRINT_MISSING
    key = generate_device_key()
    sm2_key = SoftwareSm2Key.generate()
    body = json.dumps(enroll_request(code.strip(), venue_details(venue), key, sm2_key=sm2_key),
                      ensure_ascii=False).encode()
    async with Transport(platform_url, ca_file) as transport:
        result = await transport.post(ENROLL_PATH, body, {"Content-Type": "application/json"})
    if isinstance(result, Unreachable):
        return Problem("platform.unreachable", f"连不上平台 {platform_url}（{result.reason}）",
                       f"cannot reach the platform at {platform_url} ({result.reason})", "platform")
    if not isinstance(result, Answer):
        if result.problem.code == "seal.suite_required":
            return explain_suite_required(result)
        return result.problem
    try:
        answer = json.loads(result.body)
        enrollment = read_enrollment(answer)
    except (UnverifiedAnswer, ValueError):
        return Problem("enroll.bad_answer", "平台的答复无法验证，没有登记", "the platform's answer did not verify; not enrolled")
    receipt_public, receipt_sm2 = enrollment.receipt_public_key, enrollment.receipt_sm2_public_key
    gm_only = enrollment.suites == (CipherSuite.GM.value,)
    if (expected_fingerprint or "").strip():
        found = key_fingerprint(receipt_public)
        found_sm2 = sm2_fingerprint(receipt_sm2) if receipt_sm2 else None
        if found_sm2 is not None and same_fingerprint(expected_fingerprint, found_sm2) and not gm_only:
            return Problem("enroll.fingerprint_suite",
                           "这是国密平台密钥指纹（SM2），但这个平台不只用国密套件：请用派出所给出的平台密钥指纹核对；没有登记。",
                           "This is the SM2 platform key fingerprint, but this platform is not in the national suite "
                           "alone: check it with the platform key fingerprint the police station gave; not enrolled.",
                           "fingerprint")
        if found_sm2 is not None and same_fingerprint(expected_fingerprint, found_sm2):
            receipt_public = ""  # vouched for: the SM2 half only
        elif same_fingerprint(expected_fingerprint, found) and gm_only:
            return Problem("enroll.fingerprint_suite",
                           "这个平台只接受国密套件，需要用派出所给出的国密平台密钥指纹（SM2）核对；没有登记。",
                           "This platform accepts only the national suite: check it with the SM2 platform key "
                           "fingerprint the police station gave; not enrolled.", "fingerprint")
        elif same_fingerprint(expected_fingerprint, found):
            receipt_sm2 = ""  # vouched for: the Ed25519 key only
        else:
            found = found_sm2 if gm_only and found_sm2 else found
            log.warning("enrollment refused: the platform's key fingerprint %s is not the one expected", found)
            return Problem("enroll.fingerprint_mismatch",
                           f"平台密钥指纹 {found} 与派出所给出的指纹不符：这可能不是派出所的平台，没有登记。请核对平台地址和指纹。",
                           f"The platform's key fingerprint {found} is not the one the police station gave: this "
                           "may not be the station's platform; not enrolled. Check the address and the fingerprint.",
                           "fingerprint")
        try:  # the announcement must be signed by the half the fingerprint vouched for
            verify_platform_key(answer["platform_key"], PinnedKey(receipt_public, receipt_sm2))
        except UnverifiedAnswer:
            return Problem("enroll.bad_answer", "平台的答复无法验证，没有登记", "the platform's answer did not verify; not enrolled")
    device = Device(enrollment.device_id, platform_url, enrollment.platform_key, enrollment.receipt_key_id,
                    receipt_public, key, ca_file, sm2_key=sm2_key, receipt_sm2_public_key=receipt_sm2)
    save_device(store, device)
    log.info("enrolled as device %s with %s", device.device_id, platform_url)
    return device
