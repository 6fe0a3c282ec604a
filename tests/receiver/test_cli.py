"""`dengji-receiver`: the admin commands through click, and `serve` as a real process."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import select
import signal
import ssl
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.domain import CHINA_TIME, EventType
from protocol.enrollment import ENROLL_PATH, enroll_request, read_enrollment
from protocol.keys import generate_device_key
from protocol.messages import Batch, Enrollment, Event, Receipt, new_event
from protocol.receipts import verify_receipts
from protocol.sealing import seal_batch
from protocol.signatures import sign_request
from receiver.cli import main
from receiver.storage import Storage

SCRIPT = Path(sys.executable).parent / "dengji-receiver"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_admin_commands_act_on_the_database_given(db_url: str, tmp_path: Path) -> None:
    code = run("issue-code", "--venue", "测试旅馆", "--kind", "hotel", "--db", db_url).split()[-1]
    assert len(code) == 19 and code.count("-") == 3
    permits = tmp_path / "permits.csv"
    permits.write_text("permit_number,document_number,valid_from,valid_until\nP1,11010519491231002X,2024-01-01,"
                       "2026-01-01\n", encoding="utf-8")
    assert "1 permits loaded" in run("load-permits", str(permits), "--db", db_url)
    assert "new platform key" in run("rotate-key", "--db", db_url)
    assert json.loads(run("events", "--json", "--db", db_url)) == []
    storage = Storage(db_url)
    assert storage.permit("P1", "11010519491231002X") is not None
    assert len(storage.platform_keys()) == 2
    storage.close()


def test_revoking_an_unknown_device_says_so(db_url: str) -> None:
    result = CliRunner().invoke(main, ["revoke", "dev_nobody", "--db", db_url])
    assert result.exit_code != 0 and "no such device" in result.output


def test_serve_refuses_a_bad_fault_plan(db_url: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", db_url, "--faults", "teapot=1"])
    assert result.exit_code == 2 and "--faults" in result.output


async def _serve(*args: str, scheme: str = "http") -> tuple[asyncio.subprocess.Process, str]:
    """`dengji-receiver serve` as a process, and its base URL once it listens."""
    server = await asyncio.create_subprocess_exec(str(SCRIPT), "serve", "--port", "0", *args,
                                                  stdout=asyncio.subprocess.PIPE)
    line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode()
    assert f"listening on {scheme}://127.0.0.1:" in line, line
    return server, line.split("listening on ")[1].split()[0]


async def _enroll_and_report(base: str, code: str, event: Event) -> tuple[Enrollment, list[Receipt]]:
    """Enroll a device with `code` and report `event`; the enrollment and the verified receipts."""
    key = generate_device_key()
    async with aiohttp.ClientSession() as session:
        async with session.post(base + ENROLL_PATH, json=enroll_request(
                code, {"kind": "hotel", "name": "测试旅馆"}, key)) as resp:
            assert resp.status == 200
            enrollment = read_enrollment(await resp.json())
        sealed = seal_batch(Batch(enrollment.device_id, str(uuid.uuid4()), (event,)), enrollment.platform_key)
        headers = sign_request("POST", "/v1/batches", sealed.body, key, enrollment.device_id,
                               datetime.now(timezone.utc), sealed.headers())
        async with session.post(base + "/v1/batches", data=sealed.body, headers=headers) as resp:
            assert resp.status == 200
            return enrollment, verify_receipts(await resp.json(), enrollment.receipt_public_key)


async def test_serve_runs_as_a_process_and_the_admin_commands_see_its_events(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'receiver.db'}"
    code = run("issue-code", "--venue", "测试旅馆", "--db", db).split()[-1]
    server, base = await _serve("--db", db)
    try:
        event = new_event(EventType.NO_ARRIVALS, {"date": "2025-03-01"}, datetime(2025, 3, 1, tzinfo=CHINA_TIME))
        enrollment, receipts = await _enroll_and_report(base, code, event)
        assert [r.status.value for r in receipts] == ["accepted"]
        listed = json.loads(run("events", "--json", "--db", db))
        assert [(e["event_id"], e["device_id"], e["type"], e["data"]) for e in listed] == \
            [(event.event_id, enrollment.device_id, "no_arrivals_report", {"date": "2025-03-01"})]
        assert listed[0]["received_at"]
        assert "1 events" in run("events", "--device", enrollment.device_id, "--db", db)
        run("revoke", enrollment.device_id, "--db", db)
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 60) == 0


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="waits on other processes' ends with Linux pidfds")
async def test_checker_processes_end_when_the_server_is_killed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'receiver.db'}"
    code = run("issue-code", "--venue", "测试旅馆", "--db", db).split()[-1]
    server, base = await _serve("--db", db, "--workers", "2")
    try:
        event = new_event(EventType.NO_ARRIVALS, {"date": "2025-03-01"}, datetime(2025, 3, 1, tzinfo=CHINA_TIME))
        _, receipts = await _enroll_and_report(base, code, event)  # shared between both: both have started
        assert [r.status.value for r in receipts] == ["accepted"]
        children = [int(pid) for task in Path(f"/proc/{server.pid}/task").iterdir()
                    for pid in (task / "children").read_text().split()]
        checkers = {pid: os.pidfd_open(pid) for pid in children
                    if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}
        assert len(checkers) == 2
    finally:
        server.kill()  # SIGKILL: the server cannot stop its checkers itself
    survivors = []
    for pid, pidfd in checkers.items():  # a pidfd is readable once its process has ended
        readable, _, _ = select.select([pidfd], [], [], 60)
        os.close(pidfd)
        if not readable:
            os.kill(pid, signal.SIGKILL)
            survivors.append(pid)
    await asyncio.wait_for(server.wait(), 60)  # its output pipe closes when no checker holds it any more
    assert not survivors, "checker processes outlived the killed server"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_serve_speaks_tls_with_the_given_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server, base = await _serve("--db", f"sqlite:///{tmp_path / 'r.db'}", "--tls-cert", str(cert), "--tls-key",
                                str(key), scheme="https")
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/v1/health", ssl=trust) as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 60) == 0


async def test_serve_can_require_the_post_quantum_hybrid(tmp_path: Path) -> None:
    from protocol.keys import CipherSuite

    bad = CliRunner().invoke(main, ["serve", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--require-suite", "rot13"])
    assert bad.exit_code == 2 and "--require-suite" in bad.output
    server, base = await _serve("--db", f"sqlite:///{tmp_path / 'r.db'}", "--require-suite",
                                CipherSuite.MLKEM768_X25519.value.lower())
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/v1/health") as resp:
                assert (await resp.json())["suites"] == [CipherSuite.MLKEM768_X25519.value]
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 60) == 0
