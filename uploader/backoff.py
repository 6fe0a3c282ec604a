"""How long to wait after a failure: exponential backoff with full jitter, a cap, Retry-After as a floor.

Full jitter (a delay drawn uniformly from 0 to the exponential bound) spreads thousands of venues that
lost the platform at the same moment, so they do not all come back at the same second (AWS Architecture
Blog, "Exponential Backoff And Jitter"). There is no retry limit and no give-up time: nothing regulated
is ever dropped; the cap only bounds how long one wait can be.

>>> import random
>>> policy = Backoff(base=1.0, cap=300.0, rng=random.Random(1))
>>> all(0 <= policy.delay(n) <= min(300.0, 2 ** n) for n in range(20))
True
>>> policy.delay(0, retry_after=120.0) >= 120.0
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 1.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def bound(self, failures: int) -> float:
        """The most the `failures`-th consecutive failure may wait (before jitter)."""
        return min(self.cap, self.base * 2 ** min(failures, 62))

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait; never less than the platform's `Retry-After`."""
        wait = self.rng.uniform(0, self.bound(failures))
        return max(wait, retry_after or 0.0)
