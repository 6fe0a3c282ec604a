"""What each cipher suite costs per batch, in one process: seal and open a 500-event batch, sign and verify its
request, sign and verify its receipts. In-process and best of N, so that a shared machine's load (which
shakes the end-to-end figures of receiver_ingest.py and uploader_figures.py) falls out.

    .venv/bin/python bench/suite_figures.py [--size 500] [--rounds 30]
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from agent.domain import CHINA_TIME, EventType
from protocol.gm import SoftwareSm2Key
from protocol.keys import CipherSuite, generate_device_key, generate_platform_secret, generate_receipt_key
from protocol.messages import Batch, new_event
from protocol.receipts import PinnedKey, receipts_statement, signed_json, verify_receipts
from protocol.sealing import BATCH, open_sealed, seal_batch
from protocol.signatures import sign_request, verify_request

ARRIVED = datetime.now(CHINA_TIME) - timedelta(hours=2)


def best(work: Callable[[], object], rounds: int) -> float:
    """Milliseconds per call, the best of `rounds`."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    events = tuple(new_event(EventType.REGISTERED, {
        "registration_id": f"R{i}", "kind": "stay", "unit": "302", "arrived_at": ARRIVED.isoformat(),
        "person": {"doc_type": "resident_id", "doc_number": "11010519491231002X", "name": "张三",
                   "phone": "13800138000", "address": "北京市朝阳区建国路 1 号"}}, ARRIVED) for i in range(args.size))
    batch = Batch("dev_1", str(uuid.uuid4()), events)
    secret = generate_platform_secret("k-1", ARRIVED.isoformat())
    platform_key = secret.public()
    receipt_key = generate_receipt_key("r-1")
    pinned = PinnedKey(receipt_key.public_text(), receipt_key.sm2_public_text())
    ed25519_key, sm2_key = generate_device_key(), SoftwareSm2Key.generate()
    receipts = [{"event_id": e.event_id, "status": "accepted"} for e in events]
    statement = receipts_statement("dev_1", batch.batch_id, ARRIVED.isoformat(), receipts, False)
    print(f"| suite | seal {args.size} events | open | sign request | verify request | sign receipts | verify "
          f"receipts | crypto a batch, both sides | per event |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for suite in (CipherSuite.X25519, CipherSuite.MLKEM768_X25519, CipherSuite.GM):
        sealed = seal_batch(batch, platform_key, (suite,))
        secret.private_key(suite)  # built once, as the platform does
        device_key = sm2_key if suite is CipherSuite.GM else ed25519_key
        public = sm2_key.public_key() if suite is CipherSuite.GM else ed25519_key.public_key()
        now = datetime.now(CHINA_TIME)
        headers = sign_request("POST", "/v1/batches", sealed.body, device_key, "dev_1", now, sealed.headers())
        answer = signed_json(statement, receipt_key, suite.signature_algorithm)
        figures = [
            best(lambda: seal_batch(batch, platform_key, (suite,)), args.rounds),
            best(lambda: open_sealed(sealed.body, secret, suite, BATCH, "dev_1"), args.rounds),
            best(lambda: sign_request("POST", "/v1/batches", sealed.body, device_key, "dev_1", now, sealed.headers()),
                 args.rounds),
            best(lambda: verify_request("POST", "/v1/batches", headers, sealed.body, public, now), args.rounds),
            best(lambda: signed_json(statement, receipt_key, suite.signature_algorithm), args.rounds),
            best(lambda: verify_receipts(answer, pinned), args.rounds),
        ]
        total = sum(figures)
        print(f"| {suite.value} | " + " | ".join(f"{f:.2f} ms" for f in figures)
              + f" | {total:.1f} ms | {total * 1e3 / args.size:.0f} µs |")


if __name__ == "__main__":
    main()
