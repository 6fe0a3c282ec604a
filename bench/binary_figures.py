"""Figures for the binary (issue 7): its size, and cold start of `--version` and of the TUI from it.

    .venv/bin/python packaging/build && .venv/bin/python bench/binary_figures.py [--dist dist] [--runs 7]

- size: the one-file binary, and the one-folder build on disk.
- `--version`: wall time from spawning the program to its exit, and the CPU time it used (user + system,
  from wait4: less shaken than wall time on a shared machine).
- TUI: wall time from spawning `dengji --home H tui` in a pseudo-terminal of 80x24 to the first frame
  (the title bar "登记 dengji" is on screen) and to the home screen with the store open ("现在在住 0 人").
  The program's output is read as a terminal would get it; escape sequences are dropped before matching.

Each figure is measured for the one-file binary, the one-folder build and the installed package's
`dengji` console script (the baseline), interleaved in one run so the machine's load falls on all three
alike. The first round is reported apart (the closest to a cold start a shared machine allows: the
page cache cannot be dropped without root over everyone's work); the rest give the median.
Targets (issue 7): one file < 40 MB; cold start of `--version` and of the TUI < 2 s.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(sys.executable).with_name("dengji.exe" if os.name == "nt" else "dengji")
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78MDEHc]")
FIRST_FRAME = "登记 dengji"
HOME_READY = "现在在住 0 人"


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def version_start(program: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `program --version`."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(program), "--version"], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, f"{program} --version exited {proc.returncode}"
    return wall, usage.ru_utime + usage.ru_stime


def tui_start(program: Path, home: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to the first frame and to the home screen, in a pseudo-terminal; then Ctrl+Q."""
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen([str(program), "--home", str(home), "tui"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    marks: dict[str, float] = {}
    try:
        while HOME_READY not in marks:
            assert time.perf_counter() - started < 60, f"{program}: no home screen within 60 s"
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            seen += os.read(master, 1 << 16)
            text = ESCAPES.sub(b"", seen).decode("utf-8", "replace")
            for marker in (FIRST_FRAME, HOME_READY):
                if marker in text and marker not in marks:
                    marks[marker] = time.perf_counter() - started
        os.write(master, b"\x11")  # Ctrl+Q
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    os.read(master, 1 << 16)  # keep the terminal drained so the app can finish writing
                except OSError:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        os.close(master)
    return marks[FIRST_FRAME], marks[HOME_READY]


def describe(values: list[float]) -> str:
    first, rest = values[0], values[1:] or values
    return f"{first:.2f} s first, {statistics.median(rest):.2f} s median"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where packaging/build put the binaries")
    parser.add_argument("--runs", type=int, default=7, help="rounds; the first is reported apart")
    args = parser.parse_args()
    exe = "dengji.exe" if os.name == "nt" else "dengji"
    programs = {"one file": args.dist / exe, "one folder": args.dist / "dengji-folder" / exe, "package": PACKAGE}
    missing = [str(p) for p in programs.values() if not p.exists()]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: run `.venv/bin/python packaging/build` first")

    one_file_mb = programs["one file"].stat().st_size / 1e6
    folder_mb = folder_size(programs["one folder"].parent) / 1e6
    print(f"size: one file {one_file_mb:.1f} MB ({one_file_mb * 1e6 / 2**20:.1f} MiB), one folder {folder_mb:.1f} MB "
          "on disk; target < 40 MB")

    with tempfile.TemporaryDirectory(prefix="dengji-bench-") as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "DENGJI_HOME": str(home), "DENGJI_PASSPHRASE": "bench passphrase",
               "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        env.pop("LC_ALL", None)
        subprocess.run([str(PACKAGE), "init", "--kind", "hotel", "--name", "基准宾馆"], env=env, check=True,
                       capture_output=True)
        wall: dict[str, list[float]] = {name: [] for name in programs}
        cpu: dict[str, list[float]] = {name: [] for name in programs}
        frame: dict[str, list[float]] = {name: [] for name in programs}
        ready: dict[str, list[float]] = {name: [] for name in programs}
        order = list(programs)
        for round_ in range(args.runs):
            for name in order[round_ % 3:] + order[:round_ % 3]:  # rotate who goes first
                w, c = version_start(programs[name])
                wall[name].append(w)
                cpu[name].append(c)
                f, r = tui_start(programs[name], home, env)
                frame[name].append(f)
                ready[name].append(r)

    base = {k: statistics.median(v[1:] or v) for k, v in
            (("wall", wall["package"]), ("cpu", cpu["package"]), ("frame", frame["package"]),
             ("ready", ready["package"]))}
    print(f"{args.runs} rounds, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end\n")
    print("| figure | one file | one folder | installed package (baseline) | target |")
    print("| --- | --- | --- | --- | --- |")
    for label, series, key, target in [
        ("`dengji --version`, wall", wall, "wall", "< 2 s"),
        ("`dengji --version`, CPU", cpu, "cpu", "-"),
        ("TUI first frame", frame, "frame", "< 2 s"),
        ("TUI home screen with the store open", ready, "ready", "-"),
    ]:
        cells = []
        for name in ("one file", "one folder"):
            ratio = statistics.median(series[name][1:] or series[name]) / base[key]
            cells.append(f"{describe(series[name])} ({ratio:.1f}x)")
        print(f"| {label} | {cells[0]} | {cells[1]} | {describe(series['package'])} | {target} |")


if __name__ == "__main__":
    main()
