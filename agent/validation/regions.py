"""Administrative division codes (GB/T 2260): every code that has ever been in use since 1980.

A resident ID keeps the county code of the place where it was first issued, for life, even after the
county is merged, renamed or abolished. So an ID is checked against the UNION of all historic tables,
not the current one. The table lives in `data/regions.txt` (code, TAB, the latest name it carried),
read once on first use so that importing the validators stays cheap.

>>> name('110105')
'朝阳区'
>>> full_name('110105')
'北京市朝阳区'
>>> is_province('46')
True
"""

from __future__ import annotations

from functools import cache
from importlib import resources

# Names that only group other codes ("市辖区" = the districts under a city) say nothing in a place name.
_GROUPING_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位"})


@cache
def _table() -> dict[str, str]:
    text = resources.files("agent.validation.data").joinpath("regions.txt").read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, _, region = line.partition("\t")
        table[code] = region
    return table


def name(code: str) -> str | None:
    """The name a six-digit code last carried, or None when no table knows the code."""
    return _table().get(code)


def is_known(code: str) -> bool:
    """True when the six-digit code appears in at least one published GB/T 2260 table."""
    return code in _table()


def is_province(prefix: str) -> bool:
    """True when the two digits were ever a province-level code (11 Beijing ... 82 Macau)."""
    return prefix + "0000" in _table()


def full_name(code: str) -> str | None:
    """Province, prefecture and county names joined ('北京市朝阳区'), or None for an unknown code."""
    table = _table()
    if code not in table:
        return None
    parts = []
    for level in (code[:2] + "0000", code[:4] + "00", code):
        part = table.get(level)
        if part and part not in _GROUPING_NAMES and part not in parts:
            parts.append(part)
    return "".join(parts)


_MUNICIPALITIES = ("11", "12", "31", "50")  # 北京, 天津, 上海, 重庆: the city is the province


def city_of_address(address: str | None) -> str | None:
    """The city an address names, as the prefix of the codes within it: four digits for a prefecture-level
    city (`4101` 郑州市), two for a municipality (`11` 北京市); None when it names none. The longest
    name found wins; a city's name is also found without its 市 (`郑州金水路`).

    >>> city_of_address("河南省郑州市金水区花园路 1 号"), city_of_address("北京市朝阳区"), city_of_address("火星")
    ('4101', '11', None)
    """
    if not address:
        return None
    best, length = None, 0
    for name, prefix in _city_names().items():
        if len(name) > length and name in address:
            best, length = prefix, len(name)
    return best


@cache
def _city_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, region in _table().items():
        if region in _GROUPING_NAMES:
            continue
        if code[:2] in _MUNICIPALITIES and code[2:] == "0000":
            prefix = code[:2]
        elif code[2:4] != "00" and code[4:] == "00" and code[:2] not in _MUNICIPALITIES:
            prefix = code[:4]
        else:
            continue
        names.setdefault(region, prefix)
        short = region.removesuffix("市")
        if short != region and len(short) >= 2:
            names.setdefault(short, prefix)
    return names
