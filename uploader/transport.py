"""The HTTP side of sending: one aiohttp session for the life of the process, TLS always verified.

Every way a request can end is mapped here, in one place, to one of three values the sender decides
on (after httpx's `map_exceptions`): an `Answer` (2xx with a body), a `Refusal` from the platform
(4xx/5xx with our error body, or a stranger's page), or an `Unreachable` (DNS, refused connection,
reset, timeout, TLS failure). A custom CA file may be given for a platform with a private CA; certificate
checks are never switched off.

Redirects are never followed: the platform's address is the one the police station gave, and a 3xx
answer (from a misconfigured proxy, or anyone who can answer in its place) must not send the sealed
batch, the signature or an enrollment code anywhere else. It comes back as a `Refusal` with the code
`platform.redirect`, which the operator sees.

An address that breaks the platform address rule (`protocol.platform_url`: https, or plain http to this
machine only), such as one a device was enrolled with before the rule, is never contacted: every request
ends `Unreachable`, so nothing is lost and nothing is sent, and `dengji status` and `doctor` say why.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp

from agent.domain.problems import Problem
from protocol.platform_url import platform_url_problem
from protocol.refusals import Refusal, read_refusal

log = logging.getLogger("dengji.uploader.transport")

TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10, sock_read=30)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    date: datetime | None  # the platform's Date header: lets `doctor` report clock skew


@dataclass(frozen=True)
class Unreachable:
    """The platform could not be reached or did not answer; `reason` is safe to show and log."""

    reason: str


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Transport:
    """Requests to the platform over one reused session."""

    def __init__(self, base_url: str, ca_file: str | None = None, timeout: aiohttp.ClientTimeout = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        problem = platform_url_problem(base_url)
        self._refused = None if problem is None else Unreachable(
            "address not allowed: https, or http only to this machine" if problem.code == "platform_url.not_https"
            else "address not valid")
        self._ssl: ssl.SSLContext | bool = True
        if ca_file:
            self._ssl = ssl.create_default_context(cafile=ca_file)
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer | Refusal | Unreachable:
        """Send one request and map its end to a value; never raises for network or server trouble."""
        return await self._request("POST", path, body, headers)

    async def get(self, path: str) -> Answer | Refusal | Unreachable:
        """GET a public endpoint (health), mapped like `post`."""
        return await self._request("GET", path, None, {})

    async def _request(self, method: str, path: str, body: bytes | None,
                       headers: dict[str, str]) -> Answer | Refusal | Unreachable:
        if self._refused is not None:
            return self._refused
        try:
            async with self._client().request(method, self.base_url + path, data=body, headers=headers,
                                              ssl=self._ssl, allow_redirects=False) as resp:
                payload = await resp.read()
                date = _parse_date(resp.headers.get("Date"))
                if 200 <= resp.status < 300:
                    return Answer(resp.status, payload, date)
                if 300 <= resp.status < 400:
                    return redirect_refusal(resp.status)
                refusal = read_refusal(resp.status, payload)
                refusal.retry_after = retry_after_seconds(resp.headers.get("Retry-After"), datetime.now(UTC))  # type: ignore[assignment]
                return refusal
        except aiohttp.ClientSSLError as exc:
            return Unreachable(f"TLS: {type(exc).__name__}")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return Unreachable(type(exc).__name__)


def redirect_refusal(status: int) -> Refusal:
    """A 3xx answer, not followed: the operator is told to check the platform's address."""
    return Refusal(status, Problem(
        "platform.redirect",
        f"平台地址返回了重定向（HTTP {status}），登记软件不会把数据发往其他地址：请向派出所核对平台地址。",
        f"The platform's address answered with a redirect (HTTP {status}); data is never sent elsewhere: "
        "check the platform's address with the police station.", "platform"))


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
