"""The code tables a registration draws on: ethnic groups, countries, document types, reasons, sex,
relations to a minor, visa types.

The tables are data (`templates/codes/*.toml`, each naming its source in a header comment), read
once with `importlib.resources` so they work from a source tree, a wheel and a frozen app alike.
Each table maps the value we store (a code, or one of our enum values) to its Chinese and English
label; the mappings are read-only because every caller shares them.

>>> ethnic_groups()["01"]
CodeEntry(code='01', zh='汉族', en='Han')
>>> label(countries()["CHN"], "en")
'China'
>>> doc_types()["passport"].code
'414'
>>> sorted(TABLES)
['countries', 'doc_types', 'ethnicity', 'reasons', 'relations', 'sex', 'visa_types']
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Protocol

from agent.domain import DocType


@dataclass(frozen=True)
class CodeEntry:
    """One row of a code table: the code we store and send, and its labels."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class DocTypeEntry:
    """A document type with its GA/T 517 code; `code` is None for a child with no document."""

    doc_type: DocType
    code: str | None
    zh: str
    en: str


class Labelled(Protocol):
    zh: str
    en: str


def label(entry: Labelled, lang: str) -> str:
    """The entry's label in one language (`zh` or `en`; anything else falls back to Chinese).

    >>> label(CodeEntry("1", "男", "Male"), "en")
    'Male'
    """
    return entry.en if lang == "en" else entry.zh


def _rows(file_name: str, array: str) -> list[dict[str, Any]]:
    text = resources.files("templates.codes").joinpath(file_name).read_text(encoding="utf-8")
    return tomllib.loads(text)[array]


def _code_table(file_name: str, array: str) -> Mapping[str, CodeEntry]:
    """A read-only table keyed by each row's `key`, or by its `code` when it has no separate key."""
    entries = {row.get("key", row["code"]): CodeEntry(row["code"], row["zh"], row["en"])
               for row in _rows(file_name, array)}
    return MappingProxyType(entries)


@cache
def ethnic_groups() -> Mapping[str, CodeEntry]:
    """The 56 ethnic groups of GB 3304-91 ("01" 汉族 .. "56" 基诺族), then 97 and 98, in code order.

    97 其他未识别民族 and 98 外国血统中国籍人士 are not in GB 3304-91 but appear on identity cards,
    so their holders can be registered too (see the data file's header).
    """
    return _code_table("ethnic_groups.toml", "group")


@cache
def ethnic_romanisations() -> Mapping[str, tuple[str, str]]:
    """GB 3304-91's romanised spelling and two-letter code per numeric code (the 56 only).

    >>> ethnic_romanisations()["04"]
    ('Zang', 'ZA')
    """
    spellings = {row["code"]: (row["roman"], row["letter"])
                 for row in _rows("ethnic_groups.toml", "group") if "roman" in row}
    return MappingProxyType(spellings)


@cache
def countries() -> Mapping[str, CodeEntry]:
    """ISO 3166-1 alpha-3 codes (including CHN, HKG, MAC and TWN) with Chinese and English names."""
    return _code_table("countries.toml", "country")


@cache
def doc_types() -> Mapping[str, DocTypeEntry]:
    """Every DocType value with its GA/T 517 code and labels, in the order a form offers them."""
    entries = {row["key"]: DocTypeEntry(DocType(row["key"]), row.get("code"), row["zh"], row["en"])
               for row in _rows("doc_types.toml", "doc_type")}
    return MappingProxyType(entries)


@cache
def reasons() -> Mapping[str, CodeEntry]:
    """Reasons for stay (暂住事由), keyed by a stable English key that is also their code."""
    return _code_table("reasons.toml", "reason")


@cache
def sexes() -> Mapping[str, CodeEntry]:
    """Our Sex values (M, F) with their GB/T 2261.1 codes (1, 2)."""
    return _code_table("sex.toml", "sex")


@cache
def relations() -> Mapping[str, CodeEntry]:
    """How someone sharing a minor's room is related to the minor (parent, grandparent, ...)."""
    return _code_table("relations.toml", "relation")


@cache
def visa_types() -> Mapping[str, CodeEntry]:
    """The visa categories (C ... Z), visa-free entry and the residence and stay permits of foreigners."""
    return _code_table("visa_types.toml", "visa_type")


VISA_FREE = "visa_free"  # the one visa type without a document number


TABLES: Mapping[str, Callable[[], Mapping[str, Labelled]]] = {
    "ethnicity": ethnic_groups,
    "countries": countries,
    "doc_types": doc_types,
    "reasons": reasons,
    "sex": sexes,
    "relations": relations,
    "visa_types": visa_types,
}
"""The tables a template's `choices` may name; each maps the stored value to its labelled entry."""


def table(name: str) -> Mapping[str, Labelled]:
    """A code table by the name templates use in `choices`; KeyError for an unknown name.

    >>> label(table("sex")["F"], "zh")
    '女'
    """
    return TABLES[name]()
