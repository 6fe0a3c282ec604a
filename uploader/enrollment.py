"""`dengji enroll`: trade the police station's one-time code for a device id and the platform's keys."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from agent.store.database import Store
from agent.store.models import Venue
from agent.validation import Problem
from protocol.enrollment import ENROLL_PATH, PLATFORM_KEY_PATH, enroll_request, read_enrollment
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

FINGERPRINT_MISMATCH = Problem(
    "enroll.fingerprint_mismatch",
    "平台密钥指纹与派出所给出的指纹不符：这可能不是派出所的平台，没有登记。请逐位核对指纹和平台地址。",
    "The platform's key fingerprint is not the one the police station gave: this may not be the station's "
    "platform; not enrolled. Check the fingerprint character by character, and the address.", "fingerprint")

CODE_KEPT = Problem(  # the same, found before the code was sent
    "enroll.fingerprint_mismatch",
    "平台密钥指纹与派出所给出的指纹不符：这可能不是派出所的平台，没有登记，注册码仍可使用。请逐位核对指纹和平台地址。",
    "The platform's key fingerprint is not the one the police station gave: this may not be the station's "
    "platform; not enrolled, and the code is still good. Check the fingerprint character by character, and "
    "the address.", "fingerprint")

BAD_ANSWER = Problem("enroll.bad_answer", "平台的答复无法验证，没有登记", "the platform's answer did not verify; not enrolled")


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

    The fingerprint is checked twice: against the platform's public key statement before the code is
    sent, so that a mistyped fingerprint or a wrong address does not spend the one-time code (another
    trip to the police station), and against the keys the enrollment answer brings, which are the keys
    pinned.

    The device gets an SM2 key beside its Ed25519 key, whatever the platform turns out to accept (the
    national suite is used when the platform accepts only it). The receipt key has two halves, each with
    its fingerprint (`issue-code` prints both); only the half the given fingerprint vouches for is
    pinned, and a platform in the national suite must be vouched for by its SM2 fingerprint."""
    problem = platform_url_problem(platform_url)
    if problem is not None:
        return problem
    expected = (expected_fingerprint or "").strip()
    if not expected and not is_loopback_host(urlsplit(platform_url).hostname):
        return FINGERPRINT_MISSING
    key = generate_device_key()
    sm2_key = SoftwareSm2Key.generate()
    body = json.dumps(enroll_request(code.strip(), venue_details(venue), key, sm2_key=sm2_key),
                      ensure_ascii=False).encode()
    async with Transport(platform_url, ca_file) as transport:
        if expected:
            problem = await _check_before_the_code(transport, expected)
            if problem is not None:
                return problem
        result = await transport.post(ENROLL_PATH, body, {"Content-Type": "application/json"})
    if isinstance(result, Unreachable):
        return _unreachable(platform_url, result)
    if not isinstance(result, Answer):
        if result.problem.code == "seal.suite_required":
            return explain_suite_required(result)
        return result.problem
    try:
        answer = json.loads(result.body)
        enrollment = read_enrollment(answer)
    except (UnverifiedAnswer, ValueError):
        return BAD_ANSWER
    receipt_public, receipt_sm2 = enrollment.receipt_public_key, enrollment.receipt_sm2_public_key
    if expected:
        vouched = _vouched_halves(expected, receipt_public, receipt_sm2,
                                 enrollment.suites == (CipherSuite.GM.value,))
        if isinstance(vouched, Problem):
            return vouched
        receipt_public, receipt_sm2 = vouched
        try:  # the announcement must be signed by the half the fingerprint vouched for
            verify_platform_key(answer["platform_key"], PinnedKey(receipt_public, receipt_sm2))
        except UnverifiedAnswer:
            return BAD_ANSWER
    device = Device(enrollment.device_id, platform_url, enrollment.platform_key, enrollment.receipt_key_id,
                    receipt_public, key, ca_file, sm2_key=sm2_key, receipt_sm2_public_key=receipt_sm2)
    save_device(store, device)
    log.info("enrolled as device %s with %s", device.device_id, platform_url)
    return device


async def _check_before_the_code(transport: Transport, expected: str) -> Problem | None:
    """The fingerprint against the platform's public key statement (`GET /v1/platform-key`), before the
    code is sent. A platform that does not publish its receipt key there (an older one) is checked after
    enrollment only; one that cannot be reached is not sent the code either."""
    result = await transport.get(PLATFORM_KEY_PATH)
    if isinstance(result, Unreachable):
        return _unreachable(transport.base_url, result)
    if not isinstance(result, Answer):
        return None
    try:
        statement = json.loads(result.body)
        receipt = statement["receipt_key"]
        receipt_public, receipt_sm2 = receipt["public_key"], receipt.get("sm2_public_key", "")
        suites = tuple(str(suite) for suite in statement["suites"])
        if not isinstance(receipt_public, str) or not isinstance(receipt_sm2, str):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    vouched = _vouched_halves(expected, receipt_public, receipt_sm2, suites == (CipherSuite.GM.value,))
    if vouched is FINGERPRINT_MISMATCH:
        return CODE_KEPT
    return vouched if isinstance(vouched, Problem) else None


def _vouched_halves(expected: str, receipt_public: str, receipt_sm2: str, gm_only: bool) -> tuple[str, str] | Problem:
    """The receipt key's halves the fingerprint the police station gave vouches for (the other half
    blanked: it is not pinned), or why the platform is refused. The platform's own fingerprint is never
    shown, nor logged (the log is on the operator's screen): it would invite copying it over the one from
    the station, which is the one thing the check is there to stop."""
    found = key_fingerprint(receipt_public)
    found_sm2 = sm2_fingerprint(receipt_sm2) if receipt_sm2 else None
    if found_sm2 is not None and same_fingerprint(expected, found_sm2):
        if not gm_only:
            return Problem("enroll.fingerprint_suite",
                           "这是国密平台密钥指纹（SM2），但这个平台不只用国密套件：请用派出所给出的平台密钥指纹核对；没有登记。",
                           "This is the SM2 platform key fingerprint, but this platform is not in the national suite "
                           "alone: check it with the platform key fingerprint the police station gave; not enrolled.",
                           "fingerprint")
        return "", receipt_sm2
    if same_fingerprint(expected, found):
        if gm_only:
            return Problem("enroll.fingerprint_suite",
                           "这个平台只接受国密套件，需要用派出所给出的国密平台密钥指纹（SM2）核对；没有登记。",
                           "This platform accepts only the national suite: check it with the SM2 platform key "
                           "fingerprint the police station gave; not enrolled.", "fingerprint")
        return receipt_public, ""
    # info, not warning: the operator is shown the problem; a warning would print an English line beside it
    log.info("enrollment refused: the platform's key fingerprint is not the one expected")
    return FINGERPRINT_MISMATCH


def _unreachable(platform_url: str, result: Unreachable) -> Problem:
    return Problem("platform.unreachable", f"连不上平台 {platform_url}（{result.reason}）",
                   f"cannot reach the platform at {platform_url} ({result.reason})", "platform")
