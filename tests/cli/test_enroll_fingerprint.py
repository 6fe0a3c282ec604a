"""`dengji enroll --fingerprint` and the platform address rule on the command line and in `doctor` (issue
16, finding 1): the real CLI, a real `dengji-receiver serve` on 127.0.0.1, the agent's real store."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from agent.domain.errors import NotEnrolled
from agent.home.config import load_config, save_config
from agent.store.opening import open_store
from tests.uploader.processes import Receiver, dengji
from uploader.device import load_device


def issue(receiver: Receiver) -> tuple[str, str]:
    """A code and the fingerprint printed beside it, as `dengji-receiver issue-code` shows them."""
    out = receiver.admin("issue-code", "--venue", "测试宾馆", "--kind", "hotel")
    fingerprint = next(line.split()[-1] for line in out.splitlines() if "fingerprint" in line)
    return out.split()[-1], fingerprint


@pytest.fixture
def hotel(private_home: Path) -> Path:
    dengji("init", "--kind", "hotel", "--name", "测试宾馆")
    return private_home


def enrolled(home: Path) -> bool:
    store = open_store(home)
    try:
        load_device(store)
    except NotEnrolled:
        return False
    finally:
        store.dispose()
    return True


def test_enroll_with_the_fingerprint_the_station_gave(hotel: Path, receiver: Receiver) -> None:
    code, fingerprint = issue(receiver)
    out = dengji("enroll", code, "--platform", receiver.url, "--fingerprint", fingerprint.lower().replace("-", " "))
    assert "device enrolled as" in out.stdout
    assert enrolled(hotel)


def test_a_platform_with_another_fingerprint_is_refused_in_each_language(hotel: Path, receiver: Receiver) -> None:
    code, fingerprint = issue(receiver)
    other = "0000-0000-0000-0000" if fingerprint != "0000-0000-0000-0000" else "1111-1111-1111-1111"
    # a real process: what the operator's screen shows, its log lines included
    out = dengji("enroll", code, "--platform", receiver.url, "--fingerprint", other, check=False, process=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.startswith("fingerprint: ") and "is not the one the police station gave" in out.stderr
    assert fingerprint not in out.stdout + out.stderr  # never shown, never logged: it would be copied
    chinese = dengji("--lang", "zh", "enroll", code, "--platform", receiver.url, "--fingerprint", other, check=False)
    assert chinese.returncode == 1 and "与派出所给出的指纹不符" in chinese.stderr and "注册码仍可使用" in chinese.stderr
    assert not enrolled(hotel)
    out = dengji("enroll", code, "--platform", receiver.url, "--fingerprint", fingerprint)  # the code was not spent
    assert "device enrolled as" in out.stdout and enrolled(hotel)


@pytest.mark.parametrize("url", ["http://gaj.example.cn", "http://localhost.attacker.example",
                                 "http://localhost@attacker.example"])
def test_an_address_the_rule_refuses_is_refused_before_the_store_is_opened(private_home: Path, url: str) -> None:
    out = dengji("enroll", "AAAA-BBBB-CCCC-DDDD", "--platform", url, "--fingerprint", "3F9A-QK2M-7TXC-0H5R",
                 check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "platform address" in out.stderr
    assert not private_home.exists() or not any(private_home.iterdir())  # nothing was made or opened


def test_a_platform_off_this_machine_needs_the_fingerprint(hotel: Path) -> None:
    """Refused before any network I/O (the name does not even resolve: `.invalid`)."""
    out = dengji("enroll", "AAAA-BBBB-CCCC-DDDD", "--platform", "https://platform.invalid", check=False)
    assert out.returncode == 1 and "Give the platform key fingerprint" in out.stderr
    assert not enrolled(hotel)


def test_doctor_warns_on_a_platform_address_that_is_not_https(hotel: Path) -> None:
    save_config(hotel, replace(load_config(hotel), platform_url="http://gaj.example.cn"))
    out = dengji("doctor", "--json", check=False)
    checks = {c["check"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["platform_address"]["status"] == "WARN"
    assert "must start with https://" in checks["platform_address"]["found"]
    assert "--fingerprint" in checks["platform_address"]["todo"]
    assert "platform" not in checks  # an address the rule refuses is not contacted
