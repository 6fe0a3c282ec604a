"""Figures for the national suite at rest (issue #20): the vault's AES-256-GCM beside SM4-GCM, and a switch.

    .venv/bin/python bench/at_rest_figures.py [--values 10000] [--rounds 5] [--registrations 10000]

Sealing and opening: `--values` personal fields (names, document numbers, addresses, as the register
seals them, each bound to its row), sealed then opened by an `aes` and a `gm` vault in the same run,
the two suites taking turns round by round so that a busy neighbour on the machine weighs on both alike;
the median round is reported. Blind indexes likewise (HMAC-SHA256 beside HMAC-SM3). Last, `dengji
at-rest gm` on a store bulk-loaded with `--registrations` (`store_figures.bulk_load`): one transaction.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_figures import bulk_load, new_registry  # noqa: E402

from agent.cli.demo_people import sample_person  # noqa: E402
from agent.store.vault import AES, GM, Vault, new_master_key  # noqa: E402


def fields(count: int) -> list[tuple[str, str]]:
    """(label, value) pairs as the register seals them, cycling through a person's fields."""
    out: list[tuple[str, str]] = []
    i = 0
    while len(out) < count:
        person = sample_person(i)
        for key in ("name", "doc_number", "address", "phone", "birth_date"):
            if person.get(key) and len(out) < count:
                out.append((f"person.{key}", str(person[key])))
        i += 1
    return out


def seal_and_open(vault: Vault, values: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for row, (label, value) in enumerate(values):
        assert vault.open(vault.seal(value, label, row), label, row) == value
    return time.perf_counter() - start


def index(vault: Vault, values: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for _, value in values:
        vault.blind_index("resident_id", value)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--registrations", type=int, default=10_000)
    args = parser.parse_args()
    key = new_master_key()
    vaults = {AES: Vault(key, AES), GM: Vault(key, GM)}
    values = fields(args.values)
    sealing: dict[str, list[float]] = {AES: [], GM: []}
    indexing: dict[str, list[float]] = {AES: [], GM: []}
    for round_ in range(args.rounds):
        for suite in ((AES, GM) if round_ % 2 == 0 else (GM, AES)):
            sealing[suite].append(seal_and_open(vaults[suite], values))
            indexing[suite].append(index(vaults[suite], values))
    print(f"{args.values} fields, {args.rounds} rounds, median round (suites alternating)")
    print("| suite | seal + open, total | per field | blind index, total | per value |")
    print("| --- | --- | --- | --- | --- |")
    for suite, name in ((AES, "aes: AES-256-GCM, HMAC-SHA256"), (GM, "gm: SM4-GCM, HMAC-SM3")):
        s, i = statistics.median(sealing[suite]), statistics.median(indexing[suite])
        print(f"| {name} | {s * 1000:.0f} ms | {s / args.values * 1e6:.1f} µs | {i * 1000:.0f} ms "
              f"| {i / args.values * 1e6:.1f} µs |")
    ratio = statistics.median(sealing[GM]) / statistics.median(sealing[AES])
    print(f"gm / aes, seal + open: {ratio:.2f}x")

    if args.registrations:
        with tempfile.TemporaryDirectory() as tmp:
            registry = new_registry(Path(tmp) / "home")
            bulk_load(registry, args.registrations, present=min(args.registrations, 500))
            start = time.perf_counter()
            done = registry.set_at_rest_suite(GM)
            took = time.perf_counter() - start
            registry.store.dispose()
        print(f"dengji at-rest gm on {args.registrations} registrations: {done.people} people and "
              f"{done.events} events re-sealed in {took:.1f} s (one transaction, secure_delete, WAL emptied)")


if __name__ == "__main__":
    main()
