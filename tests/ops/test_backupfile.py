"""The backup file format: every way a file can go wrong is told apart, and none yields data."""

from __future__ import annotations

import io
import os
import struct

import pytest

from agent.domain.errors import BackupError
from agent.ops.backup_file import CHUNK, seal, unseal

PASSPHRASE = "a backup passphrase"


def sealed(data: bytes) -> bytes:
    out = io.BytesIO()
    seal(out, PASSPHRASE, {"schema": "0003"}, {"database_bytes": len(data), "counts": {}}, io.BytesIO(data), len(data))
    return out.getvalue()


def chunk_starts(blob: bytes) -> list[int]:
    """Where each chunk's length field begins (after the 48 fixed bytes and the clear header)."""
    (header_length,) = struct.unpack(">I", blob[44:48])
    at, starts = 48 + header_length, []
    while at < len(blob):
        starts.append(at)
        at += 4 + struct.unpack(">I", blob[at:at + 4])[0]
    return starts


def code_of(blob: bytes, passphrase: str = PASSPHRASE) -> str:
    with pytest.raises(BackupError) as caught:
        unseal(io.BytesIO(blob), passphrase, io.BytesIO())
    return caught.value.problem.code


@pytest.mark.parametrize("size", [0, 1, CHUNK, 2 * CHUNK + 123])
def test_round_trip_of_any_size(size: int) -> None:
    data = os.urandom(size)
    out = io.BytesIO()
    opened = unseal(io.BytesIO(sealed(data)), PASSPHRASE, out)
    assert out.getvalue() == data and opened.header == {"schema": "0003"}
    assert opened.manifest["database_bytes"] == size


def test_each_fault_has_its_own_answer() -> None:
    blob = sealed(os.urandom(2 * CHUNK + 10))
    starts = chunk_starts(blob)
    assert len(starts) == 4  # manifest, three database chunks
    assert code_of(blob, "another passphrase") == "backup.wrong_passphrase"
    assert code_of(b"PK\x03\x04 a zip file") == "backup.not_a_backup"
    # Cut anywhere - in the header, inside a chunk, or cleanly between two chunks - is "incomplete".
    for cut in (5, 30, starts[0] + 2, starts[1] + 100, starts[3], len(blob) - 1):
        assert code_of(blob[:cut]) == "backup.truncated", cut
    # One changed byte anywhere after the passphrase check - clear header, a length, ciphertext - is "damaged".
    for where in (50, starts[1] + 2, starts[2] + 4000, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[where] ^= 0x01
        assert code_of(bytes(tampered)) in ("backup.damaged", "backup.truncated"), where
    assert code_of(blob + b"\x00") == "backup.damaged"  # something appended
    swapped = blob[:starts[1]] + blob[starts[2]:starts[3]] + blob[starts[1]:starts[2]] + blob[starts[3]:]
    assert code_of(swapped) == "backup.damaged"  # chunks in another order
    dropped = blob[:starts[2]] + blob[starts[3]:]
    assert code_of(dropped) == "backup.damaged"  # a chunk left out


def test_a_newer_format_asks_for_a_newer_program() -> None:
    blob = bytearray(sealed(b"x"))
    blob[8] = 2
    assert code_of(bytes(blob)) == "backup.newer_format"


def test_messages_are_in_both_languages() -> None:
    with pytest.raises(BackupError) as caught:
        unseal(io.BytesIO(sealed(b"x")[:-3]), PASSPHRASE, io.BytesIO())
    problem = caught.value.problem
    assert "不完整" in problem.zh and "incomplete" in problem.en
