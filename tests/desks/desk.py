"""One front desk as a process of its own, for the several-desks tests.

    python tests/desks/desk.py HOME PLAN.json

Opens the desk's register as the command line does (`open_store` and the operator from the desk's
config), registers the plan's `before` people, prints `ready`, and waits for a line on standard input:
the test sends it to both desks at once, so that they really do work on the same people at the same
moment. Then it runs the plan's `steps` - `{"register": INDEX}` (sample person INDEX arrives) and
`{"depart": INDEX}` (sample person INDEX leaves, whichever desk registered them) - and prints one JSON
line per step and per `before` person: the registration id, or the problem's code and its zh/en text.
Nothing personal is printed: people are their index.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.cli.demo_people import resident_id_for, sample_registration
from agent.domain import CHINA_TIME
from agent.home.config import load_config
from agent.register.records import Outcome
from agent.register.registry import Registry
from agent.store.opening import open_store


def run(home: Path, plan: dict[str, Any]) -> None:
    registry = Registry(open_store(home), operator=load_config(home).operator_name)
    arrived = (datetime.now(CHINA_TIME) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    for index in plan.get("before", []):
        report("register", index, registry.register(sample_registration(index, "stay", arrived)))
    print("ready", flush=True)
    sys.stdin.readline()
    for step in plan["steps"]:
        if "register" in step:
            index = step["register"]
            outcome = registry.register(sample_registration(index, "stay", arrived))
            report("register", index, outcome)
        else:
            index = step["depart"]
            report("depart", index, depart(registry, index))
    registry.store.dispose()


def depart(registry: Registry, index: int) -> Outcome | None:
    """Record the departure of sample person `index`; None when they are not present (any more)."""
    number = resident_id_for(index)[0]
    present = [view for view in registry.find_by_document("resident_id", number) if view.present]
    return registry.depart(present[0].id) if present else None


def report(op: str, index: int, outcome: Outcome | None) -> None:
    line: dict[str, Any] = {"op": op, "person": index, "id": None, "code": "absent" if outcome is None else None}
    if outcome is not None and outcome.ok:
        line["id"] = outcome.registration_id
    elif outcome is not None:
        problem = next(p for p in outcome.problems if p.severity == "error")
        line.update(code=problem.code, zh=problem.zh, en=problem.en)
    print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    run(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
