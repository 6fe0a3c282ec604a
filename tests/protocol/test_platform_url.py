"""The platform address rule: https anywhere, plain http only to this machine, by the parsed host."""

from __future__ import annotations

import pytest

from protocol.platform_url import is_loopback_host, platform_url_problem


@pytest.mark.parametrize("url", ["https://platform.example.gov.cn", "https://platform.example.gov.cn:8443/base",
                                 "http://127.0.0.1:8600", "http://localhost", "http://LocalHost:1/",
                                 "http://[::1]:8600"])
def test_allowed(url: str) -> None:
    assert platform_url_problem(url) is None


@pytest.mark.parametrize("url, code", [
    ("http://localhost.attacker.example", "platform_url.not_https"),  # a text prefix is not the host
    ("http://localhost@attacker.example", "platform_url.invalid"),  # the host is attacker.example
    ("http://attacker.example#@localhost", "platform_url.invalid"),
    ("http://attacker.example/?@localhost", "platform_url.invalid"),
    ("http://localhost\\@attacker.example", "platform_url.invalid"),  # parsers disagree on the backslash
    ("http://127.0.0.1.nip.io", "platform_url.not_https"),
    ("http://0.0.0.0:8600", "platform_url.not_https"),
    ("http://[::ffff:127.0.0.1]", "platform_url.not_https"),
    ("http://platform.example.gov.cn", "platform_url.not_https"),
    ("https://user:secret@platform.example.gov.cn", "platform_url.invalid"),
    ("ftp://platform.example.gov.cn", "platform_url.invalid"),
    ("platform.example.gov.cn", "platform_url.invalid"),
    ("http://localhost:99999", "platform_url.invalid"),
    ("https://plat form.example", "platform_url.invalid"),
    ("https://platform.example\n", "platform_url.invalid"),
    ("", "platform_url.invalid"),
])
def test_refused(url: str, code: str) -> None:
    problem = platform_url_problem(url)
    assert problem is not None and problem.code == code and problem.zh and problem.en


def test_the_loopback_hosts_are_exactly_three() -> None:
    assert [h for h in ("127.0.0.1", "::1", "localhost", "LOCALHOST", "127.0.0.2", "localhost.", "0.0.0.0", None)
            if is_loopback_host(h)] == ["127.0.0.1", "::1", "localhost", "LOCALHOST"]
