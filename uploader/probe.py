"""`dengji doctor`'s look at the platform: does it answer, and how far apart are the two clocks?

One GET of the public health endpoint through the uploader's own transport (same TLS settings, same CA
file, same mapping of failures), timed on this machine's clock. The platform's `Date` header against
the middle of the request gives the clock skew the platform will see in our signatures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from agent.ops.doctor import PlatformLook
from protocol.signatures import WINDOW
from uploader.transport import Answer, Transport, Unreachable

HEALTH_PATH = "/v1/health"
# A look is a diagnosis, not a delivery: say "unreachable" after 15 s rather than the sender's 60.
TIMEOUT = aiohttp.ClientTimeout(total=15, connect=10)


async def look(url: str, ca_file: str | None = None, clock: Callable[[], datetime] | None = None) -> PlatformLook:
    """GET the health endpoint once; never raises for network or server trouble."""
    now = clock or (lambda: datetime.now(UTC))
    async with Transport(url, ca_file, timeout=TIMEOUT) as transport:
        sent_at = now()
        result = await transport.get(HEALTH_PATH)
        received_at = now()
    if isinstance(result, Unreachable):
        return PlatformLook(url, reachable=False, reason=result.reason, allowed_skew=WINDOW)
    if isinstance(result, Answer):
        return PlatformLook(url, reachable=True, status=result.status, platform_date=result.date,
                            sent_at=sent_at, received_at=received_at, allowed_skew=WINDOW)
    return PlatformLook(url, reachable=True, status=result.status, reason=result.problem.code, allowed_skew=WINDOW)


def look_at_platform(url: str, ca_file: str | None, clock: Callable[[], datetime]) -> PlatformLook:
    """`look`, for callers without an event loop (`agent.ops.doctor.diagnose`)."""
    return asyncio.run(look(url, ca_file, clock))
