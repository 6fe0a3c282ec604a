"""The policy files (templates/policies): each loads, each rule has the day it took effect, and a city's
file falls back on the national rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agent.domain.errors import TemplateError
from agent.domain.policies import RULE_KEYS, _parse, jurisdiction_of_address, jurisdictions, policy


def test_every_shipped_policy_loads_and_national_gives_every_rule() -> None:
    assert jurisdictions()[0] == "national" and "zhengzhou" in jurisdictions()
    national = policy("national")
    assert {rule.key for rule in national.rules} == RULE_KEYS
    for name in jurisdictions():
        for rule in policy(name).rules:
            assert rule.since <= date.today() and rule.source


def test_the_rules_the_issue_names() -> None:
    today = date(2026, 7, 1)
    national, zhengzhou = policy("national"), policy("zhengzhou")
    assert national.duration("register_within", today, "tenancy") == timedelta(days=3)
    assert national.duration("permit_after", today) == timedelta(days=183)
    assert zhengzhou.duration("register_within", today, "tenancy") == timedelta(days=3)
    assert zhengzhou.duration("permit_after", today) == timedelta(days=30)
    assert zhengzhou.duration("permit_apply_within", today) == timedelta(days=7)
    assert zhengzhou.duration("foreigner_report_within", today, "tenancy") == timedelta(hours=24)
    assert national.duration("foreigner_report_within", today, "stay") == timedelta(hours=24)
    assert national.duration("report_within", today, "stay") == timedelta(hours=1)
    # Zhengzhou's rules since 2007-08-01 (order 160), the 2013 measures since 2013-11-01; before either,
    # no permit rule at all (the national one dates from 2016)
    assert zhengzhou.duration("permit_after", date(2007, 7, 31)) is None
    assert zhengzhou.rule("permit_after", date(2007, 8, 1)).source.endswith("(市政府第160号令)")
    assert zhengzhou.rule("permit_after", date(2013, 10, 31)).source.endswith("(市政府第160号令)")
    assert zhengzhou.rule("permit_after", date(2013, 11, 1)).source == "郑州市居住证管理暂行办法"
    assert zhengzhou.duration("permit_after", date(2014, 6, 1)) == timedelta(days=30)
    with pytest.raises(KeyError):
        national.rule("curfew", today)
    with pytest.raises(KeyError):
        policy("atlantis")


def test_a_venue_finds_its_jurisdiction_by_address() -> None:
    assert jurisdiction_of_address("郑州市金水区") == "zhengzhou"
    assert jurisdiction_of_address("上海市") == "national" and jurisdiction_of_address(None) == "national"


@pytest.mark.parametrize("rule", [
    {"key": "curfew", "days": 1, "since": "2020-01-01"},
    {"key": "permit_after", "since": "2020-01-01"},
    {"key": "permit_after", "days": 1, "hours": 2, "since": "2020-01-01"},
    {"key": "permit_after", "days": 1},
    {"key": "permit_after", "days": 1, "since": "2020-13-01"},
    {"key": "permit_after", "days": 1, "since": "2020-01-01", "kinds": ["visit"]},
])
def test_a_broken_rule_names_the_file(rule: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(TemplateError) as raised:
        _parse({"jurisdiction": "x", "name": {"zh": "x", "en": "x"}, "rule": [rule]}, "templates/policies/x.toml")
    assert "templates/policies/x.toml" in raised.value.text("en")
