"""Figures for the terminal UI (issue 6): cold start to first paint, keystroke latency with 5,000 present.

    .venv/bin/python bench/tui_figures.py [--present 5000] [--keys 60]

- cold start: wall time from spawning a fresh interpreter to the home screen's first frame, and to
  the frame that shows who is here (the store opened in a worker, the names of everyone present
  decrypted). Started as `python -m tui` starts it: `run_tui(open_registry=...)`, which paints before
  SQLModel is even imported. The store holds `--present` people. Headless, 80x24.
- keystroke: in the register form, with `--present` people present, the time from a key reaching the
  app to the form state, the field marks and the message line being updated and the screen composed
  again (a full compositor render), measured per key over an 18-digit ID number and a name. Beside
  it the same measure for one key in the departure search box (filter among everyone present).
Targets (issue 6): cold start < 1 s; keystroke < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_CHILD = r"""
import sys, time, json
t_spawn = float(sys.argv[1])
from pathlib import Path
home = Path(sys.argv[2])
from tui.app import DengjiApp
from tui.preferences import load_preferences
from tui.session import TuiSession
from tui.screens.home_screen import HomeScreen

def open_registry():
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    return Registry(open_store(home))

marks = {}
session = TuiSession(home=home, registry=None, preferences=load_preferences(home), open_registry=open_registry)
app = DengjiApp(session)

async def auto_pilot(pilot):
    import asyncio
    while not isinstance(pilot.app.screen, HomeScreen):
        await asyncio.sleep(0)
    painted = asyncio.Event()
    pilot.app.screen.call_after_refresh(painted.set)
    await painted.wait()
    marks["first_frame"] = time.time() - t_spawn
    while not pilot.app.screen.facts.present:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    marks["people_shown"] = time.time() - t_spawn
    pilot.app.exit()

app.run(headless=True, size=(80, 24), auto_pilot=auto_pilot)
print(json.dumps(marks))
"""


def seed(home: Path, present: int) -> None:
    from agent.cli.demo_people import sample_registration
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    from agent.validation.venue import VenueDetails

    store = open_store(home, create=True)
    registry = Registry(store)
    registry.set_venue(VenueDetails(kind="hotel", name="基准宾馆"))
    for i in range(present):
        outcome = registry.register(sample_registration(i, "stay", "2026-11-01 10:00", unit=str(1000 + i)))
        assert outcome.ok, outcome.problems
    store.dispose()


def cold_start(home: Path, runs: int) -> list[dict[str, float]]:
    results = []
    for _ in range(runs):
        started = time.time()
        out = subprocess.run([sys.executable, "-c", _CHILD, str(started), str(home)], capture_output=True,
                             text=True, env=os.environ, cwd=ROOT)
        if out.returncode:
            raise SystemExit(out.stderr)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


async def keystrokes(home: Path, keys: int) -> tuple[list[float], list[float]]:
    from textual import events

    from agent.cli.demo_people import resident_id_for
    from agent.register.registry import Registry
    from agent.store.opening import open_store
    from tui.app import DengjiApp
    from tui.screens.register_screen import RegisterScreen
    from tui.session import TuiSession

    registry = Registry(open_store(home))
    session = TuiSession(home=home, registry=registry)
    session.venue = registry.venue()
    app = DengjiApp(session)
    form_times: list[float] = []
    search_times: list[float] = []

    async def press(char: str, settled) -> float:  # type: ignore[no-untyped-def]
        key = events.Key(char, char)
        key.set_sender(app)
        started = time.perf_counter()
        app._driver.send_message(key)  # noqa: SLF001
        while not settled():
            await asyncio.sleep(0)
        app.screen._compositor.render_update(full=True)  # noqa: SLF001 - compose the frame it changed
        return time.perf_counter() - started

    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RegisterScreen) and screen.form is not None
        typed = ""
        while len(form_times) < keys:
            number = resident_id_for(len(form_times) + 7)[0]
            field = screen.query_one("#f-person--doc_number")
            field.focus()
            field.value = ""
            await pilot.pause()
            typed = ""
            for char in number:
                typed += char
                expected = typed
                form_times.append(await press(char, lambda: screen.form.value("person.doc_number") == expected))
        await pilot.press("escape")  # the form holds typing: the discard question comes first
        await pilot.pause()
        await pilot.press("y", "f3")
        await app.workers.wait_for_complete()
        await pilot.pause()
        search = app.screen.query_one("#search")
        for i in range(min(keys, 20)):
            search.value = ""
            await pilot.pause()
            char = str(i % 10)
            search_times.append(await press(char, lambda: app.screen.search_text == char))  # type: ignore[attr-defined]
    registry.store.dispose()
    return form_times, search_times


def ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--present", type=int, default=5000)
    parser.add_argument("--keys", type=int, default=54)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DENGJI_PASSPHRASE", "bench passphrase, not a secret")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["DENGJI_HOME"] = str(home)
        t = time.perf_counter()
        seed(home, args.present)
        print(f"seeded {args.present} people present in {time.perf_counter() - t:.1f} s")
        starts = cold_start(home, args.runs)
        first = [r["first_frame"] for r in starts]
        shown = [r["people_shown"] for r in starts]
        print(f"cold start to first frame of home: median {statistics.median(first):.2f} s "
              f"(runs: {', '.join(f'{x:.2f}' for x in first)}); target < 1 s")
        print(f"cold start to home showing {args.present} present: median {statistics.median(shown):.2f} s "
              f"(runs: {', '.join(f'{x:.2f}' for x in shown)})")
        form, search = asyncio.run(keystrokes(home, args.keys))
        print(f"keystroke in register form ({len(form)} keys, {args.present} present): "
              f"p50 {ms(form, 0.5):.1f} ms, p95 {ms(form, 0.95):.1f} ms, max {max(form) * 1000:.1f} ms; "
              "target < 50 ms")
        print(f"keystroke in departure search ({len(search)} keys, filter + table among {args.present}): "
              f"p50 {ms(search, 0.5):.1f} ms, p95 {ms(search, 0.95):.1f} ms, max {max(search) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
