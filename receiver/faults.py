"""Fault switches, for testing an agent against a platform that misbehaves. Off unless `--faults`.

A plan says which share of requests to fail with 500, 503 or 429 (before anything is recorded), how
long to delay answers and what share of them, and what share of answers to cut off half-way, after the
batch was recorded, so that the agent must retry and receive the same receipts. With a `seed` the
sequence of faults repeats exactly.

    dengji-receiver serve --faults "500=0.1,503=0.1,429=0.1,delay=0.5,delay_share=0.2,drop=0.05,seed=7"

While the server runs with `--faults`, `PUT /v1/test/faults` with the plan as JSON replaces it; without
`--faults` that route does not exist.

>>> FaultPlan.parse("503=0.5,drop=0.1,seed=3")
FaultPlan(fail_500=0.0, fail_503=0.5, fail_429=0.0, delay=0.0, delay_share=1.0, drop=0.1, seed=3)
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any

from protocol.refusals import Refusal

_SPEC_NAMES = {"500": "fail_500", "503": "fail_503", "429": "fail_429", "delay": "delay",
               "delay_share": "delay_share", "drop": "drop", "seed": "seed"}


class BadFaultPlan(ValueError):
    pass


@dataclass(frozen=True)
class FaultPlan:
    fail_500: float = 0.0
    fail_503: float = 0.0
    fail_429: float = 0.0
    delay: float = 0.0  # seconds
    delay_share: float = 1.0
    drop: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("fail_500", "fail_503", "fail_429", "delay_share", "drop"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise BadFaultPlan(f"{name} must be a share between 0 and 1")
        if self.fail_500 + self.fail_503 + self.fail_429 > 1.0:
            raise BadFaultPlan("the failure shares add up to more than 1")
        if not 0.0 <= self.delay <= 60.0:
            raise BadFaultPlan("delay must be 0..60 seconds")

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, text = part.partition("=")
            if name.strip() not in _SPEC_NAMES:
                raise BadFaultPlan(f"unknown fault {name.strip()!r}; known: {', '.join(_SPEC_NAMES)}")
            key = _SPEC_NAMES[name.strip()]
            try:
                values[key] = int(text) if key == "seed" else float(text)
            except ValueError:
                raise BadFaultPlan(f"{name.strip()} needs a number") from None
        return cls(**values)

    @classmethod
    def from_dict(cls, value: object) -> FaultPlan:
        if not isinstance(value, dict) or set(value) - {f.name for f in fields(cls)}:
            raise BadFaultPlan("a fault plan is an object with " + ", ".join(f.name for f in fields(cls)))
        try:
            return cls(**value)
        except TypeError:
            raise BadFaultPlan("a fault plan's values are numbers") from None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    """Draws, request by request, which fault of the plan (if any) happens."""

    def __init__(self, plan: FaultPlan) -> None:
        self.replace(plan)

    def replace(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._random = random.Random(plan.seed)

    def before(self) -> Refusal | None:
        """A refusal to answer instead of processing the request, or None."""
        roll = self._random.random()
        for status, share in ((500, self.plan.fail_500), (503, self.plan.fail_503), (429, self.plan.fail_429)):
            if roll < share:
                return Refusal.of("fault.injected", status=status, retry_after=None if status == 500 else 1)
            roll -= share
        return None

    def delay(self) -> float:
        if self.plan.delay and self._random.random() < self.plan.delay_share:
            return self.plan.delay
        return 0.0

    def drop(self) -> bool:
        return bool(self.plan.drop) and self._random.random() < self.plan.drop
