"""Which addresses a platform may have: https anywhere, plain http only to this machine.

Personal data, the device's signatures and the enrollment code travel to the platform. HPKE seals the
batches, but an enrollment code, the platform key the agent is told to seal to and the receipt key it
pins all come over the connection itself, so it must be TLS unless it never leaves this machine (the
demo, the tests, a platform on the same host). The rule is on the *parsed* host, exactly one of
`127.0.0.1`, `::1`, `localhost`: a text prefix would let `http://localhost.attacker.example` and
`http://localhost@attacker.example` through. An address with user information (`user@`), a backslash,
white space or control characters is refused outright: parsers disagree about where such a host ends.

Every place that takes a platform address from a person (enrollment here; the CLI, the TUI and doctor)
asks `platform_url_problem` before any network I/O.

>>> platform_url_problem("https://platform.example.gov.cn") is None
True
>>> platform_url_problem("http://127.0.0.1:8600") is None
True
>>> platform_url_problem("http://localhost.attacker.example").code
'platform_url.not_https'
>>> platform_url_problem("http://localhost@attacker.example").code
'platform_url.invalid'
"""

from __future__ import annotations

from urllib.parse import urlsplit

from agent.domain.problems import Problem

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})

_INVALID = Problem("platform_url.invalid", "平台地址格式不正确，应为 https://主机名[:端口]。",
                   "The platform address is not valid; it must look like https://host[:port].", "platform")
_NOT_HTTPS = Problem("platform_url.not_https",
                     "平台地址必须以 https:// 开头（只有本机 127.0.0.1、::1、localhost 可以用 http://）。",
                     "The platform address must start with https:// (plain http:// only for this machine: "
                     "127.0.0.1, ::1, localhost).", "platform")


def is_loopback_host(host: str | None) -> bool:
    """True for exactly `127.0.0.1`, `::1` and `localhost` (any case), as a parsed URL's host."""
    return host is not None and host.lower() in LOOPBACK_HOSTS


def platform_url_problem(url: str) -> Problem | None:
    """None when `url` may be a platform's address; else the problem to show (`platform_url.invalid`,
    `platform_url.not_https`). Looks at the text only: no network I/O."""
    if not isinstance(url, str) or not url.isprintable() or any(ch.isspace() or ch == "\\" for ch in url):
        return _INVALID
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return _INVALID
    if parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc \
            or parts.query or parts.fragment:
        return _INVALID
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return _NOT_HTTPS
    return None
