"""Replays: a request is good once, whoever receives it and however its signature is re-encoded.

The platform remembers each signature's (key id, nonce) in its database for the `created` window, so
every receiver on that database refuses a second use, and the text of the `Signature` field does not
matter: the same signature bytes written another way are the same signature.
"""

from __future__ import annotations

import base64

import pytest

from protocol.signatures import sign_request

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _signature_bytes_text(headers: dict[str, str]) -> str:
    value = headers["Signature"]
    assert value.startswith("dengji=:") and value.endswith(":")
    return value[len("dengji=:"):-1]


def _with_padding_bits(text: str) -> str:
    """The same 64 bytes in base64 with the unused low bits of the last character set (RFC 4648 3.5)."""
    assert text.endswith("==")
    last = ALPHABET.index(text[-3])
    assert last & 0b1111 == 0
    return text[:-3] + ALPHABET[last | 0b0101] + "=="


REENCODINGS = {
    "padding bits": lambda text: f"dengji=:{_with_padding_bits(text)}:",
    "no padding": lambda text: f"dengji=:{text.rstrip('=')}:",
    "a parameter": lambda text: f"dengji=:{text}:;p=1",
}


@pytest.mark.parametrize("how", sorted(REENCODINGS))
async def test_a_signature_re_encoded_is_still_a_replay(receiver, events, how: str) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    headers = receiver.signed_headers(device, sealed)
    assert (await receiver.request("POST", "/v1/batches", sealed.body, headers)).status == 200
    text = _signature_bytes_text(headers)
    copy = {**headers, "Signature": REENCODINGS[how](text)}
    if how == "padding bits":
        assert base64.b64decode(_with_padding_bits(text)) == base64.b64decode(text)
    reply = await receiver.request("POST", "/v1/batches", sealed.body, copy)
    assert (reply.status, reply.code) == (401, "signature.replayed"), reply.body


async def test_a_replay_to_another_receiver_on_the_same_database_is_refused(start_receiver, events) -> None:
    first = await start_receiver()
    second = await start_receiver()  # another process's server on the same database
    device = await first.enroll()
    sealed = first.seal(device, [events.no_arrivals()])
    headers = first.signed_headers(device, sealed)
    assert (await first.request("POST", "/v1/batches", sealed.body, headers)).status == 200
    reply = await second.request("POST", "/v1/batches", sealed.body, headers)
    assert (reply.status, reply.code) == (401, "signature.replayed"), reply.body
    assert second.storage.count_events() == 1


async def test_a_signature_without_a_nonce_is_refused(receiver, events) -> None:
    device = await receiver.enroll()
    sealed = receiver.seal(device, [events.no_arrivals()])
    headers = receiver.signed_headers(device, sealed)
    # Signed properly, but without the nonce parameter: nothing would tell two uses apart.
    from http_message_signatures import HTTPMessageSigner, algorithms

    from protocol.signatures import BASE_COMPONENTS, LABEL, TAG, _HOST, _KeyOf, _Message

    fields = {k: v for k, v in headers.items() if k not in ("Signature", "Signature-Input", "Content-Digest")}
    message = _Message("POST", _HOST + "/v1/batches", fields)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_KeyOf(private=device.key))
    signer.sign(message, key_id=device.device_id, created=receiver.clock(), label=LABEL, tag=TAG,
                covered_component_ids=BASE_COMPONENTS + ("idempotency-key", "dengji-key-id", "dengji-suite"),
                body=sealed.body)
    assert "nonce" not in fields["Signature-Input"]
    reply = await receiver.request("POST", "/v1/batches", sealed.body, fields)
    assert (reply.status, reply.code) == (401, "signature.invalid"), reply.body
    assert receiver.storage.count_events() == 0


async def test_the_replay_memory_forgets_after_the_created_window(receiver, events) -> None:
    from receiver.app import PLATFORM

    device = await receiver.enroll()
    for _ in range(3):
        assert (await receiver.report(device, [events.no_arrivals()])).status == 200
    storage = receiver.storage
    assert storage.count_nonces() == 3
    receiver.clock.advance(minutes=11)  # past created + the window: such a request is stale anyway
    await receiver.app[PLATFORM].forget_old_nonces()
    assert storage.count_nonces() == 0
    stale = sign_request("POST", "/v1/batches", b"x", device.key, device.device_id,
                         receiver.clock() - __import__("datetime").timedelta(minutes=11))
    reply = await receiver.request("POST", "/v1/batches", b"x", stale)
    assert (reply.status, reply.code) == (401, "signature.stale")
