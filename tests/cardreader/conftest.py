"""Real parts for the card reader tests: the simulated reader on a pty, and a stub sdtapi library
compiled from C for this run (tests/cardreader/stub_sdtapi.c)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.cardreader.serial_reader import SerialCardReader
from agent.cardreader.simulated import SimulatedReader

# The simulated reader needs a POSIX pseudo-terminal and the stub library a POSIX shared object; the
# frames and the layouts are tested everywhere.
if os.name != "posix":
    collect_ignore_glob = ["test_serial_reader.py", "test_vendor_library.py", "test_command.py"]

STUB_SOURCE = Path(__file__).with_name("stub_sdtapi.c")


@pytest.fixture
def simulator() -> Iterator[SimulatedReader]:
    """A simulated reader without wire pacing (the pacing has its own test): the tests stay fast."""
    with SimulatedReader(baud=None).start() as simulated:
        yield simulated


@pytest.fixture
def serial_reader(simulator: SimulatedReader) -> Iterator[SerialCardReader]:
    reader = SerialCardReader(simulator.port, answer_timeout=0.5, read_timeout=1.0, poll_interval=0.01)
    yield reader
    reader.close()


@pytest.fixture(scope="session")
def stub_library_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stub sdtapi library, compiled once per test process."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler (cc, gcc or clang) on this machine: the vendor-library binding is not tested")
    target = tmp_path_factory.mktemp("sdtapi") / "libsdtapi_stub.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", str(target), str(STUB_SOURCE)],
                   check=True)
    return target


@pytest.fixture
def stub(stub_library_path: Path) -> ctypes.CDLL:
    """The stub's control functions, reset. The binding under test loads the same file, so both share
    the stub's state (one copy of a library per process)."""
    library = ctypes.CDLL(str(stub_library_path))
    library.stub_place_card.argtypes = [ctypes.c_char_p]
    for name in ("stub_plug_at", "stub_fail_next", "stub_fail_next_read"):
        getattr(library, name).argtypes = [ctypes.c_int]
    library.stub_reset()
    return library
