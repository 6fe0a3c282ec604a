"""`dengji-receiver`: run the reference platform and administer it (codes, devices, keys, permits).

Every command takes the same `--db URL` (default: `$DENGJI_RECEIVER_DB`, else a SQLite file in the
user's data directory), so an admin command always acts on the database the server uses.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from agent.domain import CHINA_TIME, VenueKind
from protocol.keys import SUITE_ALIASES, CipherSuite
from receiver.storage import Storage, default_url


def db_option(command: Any) -> Any:
    return click.option("--db", "db", default=None, metavar="URL",
                        help="SQLite path/URL or postgresql:// URL (default: $DENGJI_RECEIVER_DB or the user "
                             "data directory).")(command)


def open_storage(db: str | None) -> Storage:
    from receiver.app import utc_now
    from receiver.keyring import ensure_keys

    storage = Storage(db or default_url())
    ensure_keys(storage, utc_now())
    return storage


@click.group(help="登记 dengji reference platform: the receiving side of wire protocol v1.")
def main() -> None:
    pass


@main.command(help="Run the platform's HTTP server until interrupted.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8600, show_default=True, type=int, help="0 picks a free port.")
@db_option
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--faults", default=None, metavar="PLAN",
              help='Enable fault switches for testing agents, e.g. "500=0.1,503=0.1,drop=0.05,seed=7".')
@click.option("--rate", default=10.0, show_default=True, type=float, help="Requests per second per device.")
@click.option("--burst", default=60, show_default=True, type=int, help="Burst of requests per device.")
@click.option("--max-in-flight", default=16, show_default=True, type=int,
              help="Requests being opened and checked (signature verified) before new ones get 503.")
@click.option("--max-per-address", default=16, show_default=True, type=click.IntRange(1, 100000),
              help="Requests in progress at once from one client address before new ones get 429.")
@click.option("--enroll-rate", default=0.1, show_default=True, type=click.FloatRange(min=0.001),
              help="Enrollment attempts per second per client address (counted in the database).")
@click.option("--enroll-burst", default=10, show_default=True, type=click.IntRange(1, 100000),
              help="Burst of enrollment attempts per client address.")
@click.option("--require-suite", default=None, metavar="SUITE",
              type=click.Choice([suite.value for suite in CipherSuite] + list(SUITE_ALIASES), case_sensitive=False),
              help="Accept only this cipher suite, e.g. the post-quantum hybrid "
                   f"{CipherSuite.MLKEM768_X25519.value}, or gm for the national suite {CipherSuite.GM.value}; "
                   "every other is refused (seal.suite_required).")
@click.option("--workers", default=None, type=click.IntRange(0, 64),
              help="Processes that check and record batches (the validators' CPU work)  [default: one per core, "
                   "at most 8: each holds a database connection]; 0 runs them in threads of this process.")
def serve(host: str, port: int, db: str | None, tls_cert: str | None, tls_key: str | None, faults: str | None,
          rate: float, burst: int, max_in_flight: int, max_per_address: int, enroll_rate: float, enroll_burst: int,
          require_suite: str | None, workers: int | None) -> None:
    from receiver.app import Settings
    from receiver.checks import Limits
    from receiver.faults import BadFaultPlan, FaultPlan

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together (证书和私钥需同时提供)")
    try:
        plan = FaultPlan.parse(faults) if faults is not None else None
    except BadFaultPlan as exc:
        raise click.UsageError(f"--faults: {exc}") from None
    context = None
    if tls_cert and tls_key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls_cert, tls_key)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
    required = (SUITE_ALIASES.get(require_suite.lower())
                or next((suite for suite in CipherSuite if suite.value.lower() == require_suite.lower()), None)) \
        if require_suite else None
    settings = Settings(rate=rate, burst=burst, max_in_flight=max_in_flight, workers=workers,
                        limits=Limits(max_per_address=max_per_address), enroll_rate=enroll_rate,
                        enroll_burst=enroll_burst, required_suite=required)
    storage = open_storage(db)
    try:
        asyncio.run(_serve(storage, host, port, context, settings, plan))
    finally:
        storage.close()


async def _serve(storage: Storage, host: str, port: int, context: ssl.SSLContext | None, settings: Any,
                 faults: Any) -> None:
    from aiohttp import web

    from receiver.app import create_app

    runner = web.AppRunner(create_app(storage, settings, faults=faults), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=context)
    await site.start()
    scheme = "https" if context else "http"
    for address in runner.addresses:
        click.echo(f"dengji-receiver listening on {scheme}://{address[0]}:{address[1]}"
                   + (" (fault switches ON)" if faults is not None else ""))
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


@main.command("issue-code", help="Issue a one-time enrollment code for a venue; the code is the last word, after "
                                 "the fingerprint of the platform's receipt key, which goes with it.")
@click.option("--venue", required=True, help="The venue's name.")
@click.option("--kind", type=click.Choice([k.value for k in VenueKind]), default=None,
              help="Restrict the code to one venue kind.")
@click.option("--ttl-days", default=7, show_default=True, type=click.IntRange(1, 365))
@db_option
def issue_code_command(venue: str, kind: str | None, ttl_days: int, db: str | None) -> None:
    from protocol.keys import key_fingerprint, sm2_fingerprint
    from receiver.app import utc_now
    from receiver.enrollment import issue_code
    from receiver.keyring import KeyRing

    storage = open_storage(db)
    now = utc_now()
    code = issue_code(storage, venue, VenueKind(kind) if kind else None, now, timedelta(days=ttl_days))
    receipt = KeyRing(storage).receipt_public()
    fingerprint = key_fingerprint(receipt["public_key"])
    until = (now + timedelta(days=ttl_days)).astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    click.echo(f"平台密钥指纹 platform key fingerprint (hand it over with the code): {fingerprint}")
    if receipt.get("sm2_public_key"):
        click.echo(f"国密平台密钥指纹 SM2 platform key fingerprint (national suite, SM3; for a platform serving "
                   f"--require-suite gm): {sm2_fingerprint(receipt['sm2_public_key'])}")
    click.echo(f"登记码 enrollment code for {venue} (valid until {until}): {code}")
    storage.close()


@main.command(help="Revoke a device: its requests are refused from now on (403).")
@click.argument("device_id")
@db_option
def revoke(device_id: str, db: str | None) -> None:
    from receiver.app import utc_now
    from receiver.storage import iso

    storage = open_storage(db)
    try:
        if storage.device(device_id) is None:
            raise click.ClickException(f"没有这台设备 / no such device: {device_id}")
        if not storage.revoke(device_id, iso(utc_now())):
            click.echo(f"{device_id} was already revoked (已注销)")
            return
        click.echo(f"{device_id} revoked (已注销)")
    finally:
        storage.close()


@main.command(help="List the events the platform holds (for tests and demos).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list with each event's data.")
@click.option("--device", default=None, help="Only this device's events.")
@db_option
def events(as_json: bool, device: str | None, db: str | None) -> None:
    storage = open_storage(db)
    rows = storage.list_events(device)
    storage.close()
    if as_json:
        click.echo(json.dumps([{"event_id": r.event_id, "device_id": r.device_id, "batch_id": r.batch_id,
                                "type": r.type, "occurred_at": r.occurred_at, "registration_id": r.registration_id,
                                "received_at": r.received_at, "data": json.loads(r.data)} for r in rows],
                              ensure_ascii=False, indent=1))
        return
    for r in rows:  # no data: a terminal listing must not spill personal details
        click.echo(f"{r.received_at}  {r.device_id}  {r.type:<18}  {r.event_id}  {r.registration_id or ''}")
    click.echo(f"{len(rows)} events")


@main.command("load-permits", help="Load residence permits from a CSV file into the permit register.")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def load_permits(csv_file: Path, db: str | None) -> None:
    from receiver.permits import BadPermitFile, load_permit_file

    storage = open_storage(db)
    try:
        count = load_permit_file(storage, csv_file)
    except (BadPermitFile, UnicodeDecodeError) as exc:
        raise click.ClickException(f"居住证文件无法读取 / cannot read the permit file: {exc}") from None
    finally:
        storage.close()
    click.echo(f"{count} permits loaded (已导入)")


@main.command("file-units", help="Record the units (rooms, flats) a venue filed with the police station "
                                 "(房屋租赁登记备案): one label per line. From then on a registration for "
                                 "any other unit of that venue is rejected (unit.not_filed). An empty file "
                                 "lifts the rule.")
@click.argument("device_id")
@click.argument("units_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def file_units(device_id: str, units_file: Path, db: str | None) -> None:
    try:
        text = units_file.read_text(encoding="utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise click.ClickException("单元文件不是 UTF-8 / the units file is not UTF-8") from None
    labels = [line.strip() for line in text.splitlines() if line.strip()]
    too_long = [n for n, label in enumerate(labels, start=1) if len(label) > 32]
    if too_long:
        raise click.ClickException(f"第 {too_long[0]} 个单元名称超过 32 个字符 / unit {too_long[0]} is longer "
                                   "than 32 characters")
    storage = open_storage(db)
    try:
        if storage.device(device_id) is None:
            raise click.ClickException(f"没有这台设备 / no such device: {device_id}")
        count = storage.file_units(device_id, labels)
    finally:
        storage.close()
    click.echo(f"{count} units on file for {device_id} (已备案)")


@main.command("rotate-key", help="Publish a new platform key; the old one is accepted for the overlap window, "
                                 "then its private half is erased.")
@db_option
def rotate_key(db: str | None) -> None:
    from receiver.app import utc_now
    from receiver.keyring import erase_expired, rotate

    storage = open_storage(db)
    try:
        key_id = rotate(storage, utc_now())
        erased = erase_expired(storage, utc_now())
    finally:
        storage.close()
    click.echo(f"new platform key: {key_id}" + (f" ({erased} expired private keys erased)" if erased else ""))


@main.command("rotate-receipt-key", help="Replace the key that signs the platform's answers: the old key signs "
                                         "the new one (agents follow), then its private half is erased. Hand "
                                         "the new fingerprint out with new enrollment codes.")
@db_option
def rotate_receipt_key_command(db: str | None) -> None:
    from protocol.keys import key_fingerprint
    from receiver.app import utc_now
    from receiver.keyring import KeyRing, rotate_receipt_key

    storage = open_storage(db)
    try:
        key_id = rotate_receipt_key(storage, utc_now())
        fingerprint = key_fingerprint(KeyRing(storage).receipt_public()["public_key"])
    finally:
        storage.close()
    click.echo(f"new receipt key: {key_id}, fingerprint {fingerprint} (running servers use it within a minute)")
