"""Local rules as data: the deadlines and thresholds of one jurisdiction, each with the day it took effect.

The rules differ by city and year (national law: register a stay over 3 days, a residence permit after
six months; Zhengzhou 2013: a permit after 30 days, applied for within 7). They live in
`templates/policies/*.toml`, one file per jurisdiction, shipped beside the forms; a rule a city's file
does not give is the national one. A registration is judged by the rule in force on its arrival day.

>>> from datetime import date
>>> policy("zhengzhou").duration("permit_after", date(2024, 5, 1))
datetime.timedelta(days=30)
>>> policy("national").duration("permit_after", date(2024, 5, 1))
datetime.timedelta(days=183)
>>> policy("national").duration("permit_after", date(2015, 5, 1)) is None  # before 居住证暂行条例
True
>>> policy("zhengzhou").duration("foreigner_report_within", date(2024, 5, 1), "stay")  # the national rule
datetime.timedelta(days=1)
>>> jurisdiction_of_region("410105"), jurisdiction_of_region("110105"), jurisdiction_of_region(None)
('zhengzhou', 'national', 'national')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from agent.domain.errors import TemplateError
from agent.domain.problems import Problem

NATIONAL = "national"
RULE_KEYS = frozenset({"register_within", "foreigner_report_within", "permit_after", "permit_apply_within",
                       "report_within"})
_KINDS = frozenset({"tenancy", "stay", "employment"})


@dataclass(frozen=True)
class Rule:
    """One deadline or threshold: how long, for which registrations, since when, from where."""

    key: str
    length: timedelta
    kinds: frozenset[str] | None  # None: every kind of registration
    since: date
    source: str

    def applies(self, day: date, kind: str | None) -> bool:
        return self.since <= day and (kind is None or self.kinds is None or kind in self.kinds)


@dataclass(frozen=True)
class Policy:
    """The rules of one jurisdiction (the national ones behind a city's)."""

    jurisdiction: str
    zh: str
    en: str
    regions: tuple[str, ...]
    place_names: tuple[str, ...]
    rules: tuple[Rule, ...]

    def rule(self, key: str, day: date, kind: str | None = None) -> Rule | None:
        """The rule `key` in force on `day` for a registration of `kind`: this jurisdiction's latest, else
        the national one; None when none was in force yet."""
        if key not in RULE_KEYS:
            raise KeyError(key)
        found = [r for r in self.rules if r.key == key and r.applies(day, kind)]
        if found:
            return max(found, key=lambda r: r.since)
        if self.jurisdiction != NATIONAL:
            return policy(NATIONAL).rule(key, day, kind)
        return None

    def duration(self, key: str, day: date, kind: str | None = None) -> timedelta | None:
        found = self.rule(key, day, kind)
        return found.length if found is not None else None


def jurisdictions() -> list[str]:
    """The jurisdictions with a policy file, national first."""
    names = sorted(entry.name.removesuffix(".toml") for entry in resources.files("templates.policies").iterdir()
                   if entry.name.endswith(".toml"))
    return [NATIONAL] + [name for name in names if name != NATIONAL]


@cache
def policy(jurisdiction: str) -> Policy:
    """The policy of a jurisdiction; KeyError for one without a file. A broken file raises TemplateError."""
    if jurisdiction not in jurisdictions():
        raise KeyError(jurisdiction)
    name = f"{jurisdiction}.toml"
    text = resources.files("templates.policies").joinpath(name).read_text(encoding="utf-8")
    return _parse(tomllib.loads(text), f"templates/policies/{name}")


def jurisdiction_of_region(region: str | None) -> str:
    """The jurisdiction whose file claims the region code (the longest prefix wins), else national."""
    if region:
        best, length = NATIONAL, 0
        for name in jurisdictions():
            for prefix in policy(name).regions:
                if region.startswith(prefix) and len(prefix) > length:
                    best, length = name, len(prefix)
        return best
    return NATIONAL


def jurisdiction_of_address(address: str | None) -> str:
    """The jurisdiction whose file names a place the address names, else national."""
    if address:
        for name in jurisdictions():
            if any(place in address for place in policy(name).place_names):
                return name
    return NATIONAL


def _parse(raw: dict[str, Any], source: str) -> Policy:
    problems: list[Problem] = []

    def bad(zh: str, en: str) -> None:
        problems.append(Problem("policy.invalid", zh, en))

    name = raw.get("name") or {}
    rules = []
    for index, row in enumerate(raw.get("rule", []), start=1):
        key, since, kinds = row.get("key"), row.get("since"), row.get("kinds")
        hours, days = row.get("hours"), row.get("days")
        if key not in RULE_KEYS:
            bad(f"第 {index} 条规则的 key {key!r} 不认识", f"rule #{index} has an unknown key {key!r}")
            continue
        if (hours is None) == (days is None) or not isinstance(hours if days is None else days, int):
            bad(f"第 {index} 条规则须有 hours 或 days（整数）之一", f"rule #{index} needs hours or days (a whole number)")
            continue
        try:
            day = date.fromisoformat(since)
        except (TypeError, ValueError):
            bad(f"第 {index} 条规则须有生效日期 since（如 2013-01-01）",
                f"rule #{index} needs the day it took effect, since (as 2013-01-01)")
            continue
        if kinds is not None and not (isinstance(kinds, list) and set(kinds) <= _KINDS):
            bad(f"第 {index} 条规则的 kinds 只能是 tenancy、stay、employment",
                f"rule #{index}: kinds are tenancy, stay, employment")
            continue
        length = timedelta(hours=hours) if days is None else timedelta(days=days)
        rules.append(Rule(key, length, frozenset(kinds) if kinds else None, day, str(row.get("source", ""))))
    if not isinstance(raw.get("jurisdiction"), str) or not name.get("zh") or not name.get("en"):
        bad("缺少 jurisdiction 或 name（zh 和 en）", "jurisdiction or name (zh and en) is missing")
    if problems:
        raise TemplateError(source, problems)
    return Policy(raw["jurisdiction"], name["zh"], name["en"], tuple(raw.get("regions", [])),
                  tuple(raw.get("place_names", [])), tuple(rules))
