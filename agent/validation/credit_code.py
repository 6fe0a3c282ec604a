"""Unified social credit code (统一社会信用代码, GB 32100-2015) of a venue.

Eighteen characters from the 31-character set 0-9 and A-Z without I, O, Z, S and V:

    1      registration authority (9 market regulation, 5 civil affairs, 1 establishment, ...)
    2      organisation type under that authority (91 enterprise, 92 individual business, ...)
    3-8    GB/T 2260 code of the registering office (100000 for national registration)
    9-17   the organisation code (GB 11714), whose 9th character is its own check character
    18     check character: weights 3**i mod 31, the complement of the sum modulo 31

The whole-code check character and the embedded organisation code's check character are errors when
wrong. Authorities and types are added to the standard from time to time (G public security, J housing,
Q overseas Chinese federations since 2015), so an unknown authority is an error but an unknown type
under a known authority is only a warning, as is an office code that no GB/T 2260 table lists.

>>> validate('91110000600037341L')
'91110000600037341L'
>>> validate('9111 0000 6000 3734 1N')  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
agent.domain.errors.InvalidChecksum: ...
>>> calc_check_character('91110000600037341')
'L'
"""

from __future__ import annotations

import re

from agent.domain.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDocument,
    InvalidFormat,
    InvalidLength,
)
from agent.domain.problems import Problem, Severity
from agent.validation import regions
from agent.validation.normalise import compact_number

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = tuple(3**i % 31 for i in range(17))
_ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# GB 32100-2015 annex A with the types added since; authority -> {type: name}.
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                   "5": "仲裁委员会", "6": "商事调解组织", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "4": "村民委员会", "5": "居民委员会",
                 "9": "其他"}),
    "6": ("旅游", {"1": "外国政府旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构",
                 "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "2": "非法人工会组织", "9": "其他"}),
    "9": ("市场监管（工商）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社", "9": "其他"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "G": ("公安", {"1": "境外非政府组织代表机构", "9": "其他"}),
    "J": ("住房城乡建设", {"1": "业主大会", "9": "其他"}),
    "N": ("农业农村", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Q": ("侨联", {"1": "区县级侨联组织", "2": "乡镇级侨联组织", "3": "村级侨联组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}


def compact(number: str) -> str:
    """Strip spaces and dashes, make full-width characters half-width, upper-case."""
    return compact_number(number)


def calc_check_character(body: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(body[:17], _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def calc_org_code_check(body: str) -> str:
    """The GB 11714 check character for the first 8 characters of an organisation code."""
    total = sum(_ORG_CODE_ALPHABET.index(char) * weight for char, weight in zip(body[:8], _ORG_CODE_WEIGHTS))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate(number: str) -> str:
    """The compact code when valid; raises an `InvalidDocument` subclass otherwise."""
    number = compact(number)
    if len(number) != 18:
        raise InvalidLength(Problem(
            "credit_code.length",
            f"统一社会信用代码应为 18 位，现在是 {len(number)} 位：请对照营业执照核对",
            f"a unified social credit code has 18 characters, this one has {len(number)}: "
            "check it against the business licence",
        ))
    wrong = sorted({char for char in number if char not in ALPHABET})
    if wrong:
        hint = "（I、O、Z、S、V 不会出现，可能是 1、0、2、5、U）" if set(wrong) <= set("IOZSV") else ""
        raise InvalidFormat(Problem(
            "credit_code.format",
            f"统一社会信用代码只含数字和除 I、O、Z、S、V 外的大写字母，出现了 {''.join(wrong)}{hint}：请核对",
            f"a unified social credit code has digits and capital letters other than I, O, Z, S and V; "
            f"found {''.join(wrong)}: check it",
        ))
    if not re.fullmatch(r"[0-9]{6}", number[2:8]):
        raise InvalidFormat(Problem(
            "credit_code.region",
            "统一社会信用代码第 3 至 8 位是登记机关的行政区划代码，只含数字：请核对",
            "characters 3 to 8 are the registering office's region code and have only digits: check them",
        ))
    if number[17] != calc_check_character(number):
        # Never naming the right character: the wrong one is as often among the other 17, and a code
        # "fixed" at its end is a valid code of another organisation.
        raise InvalidChecksum(Problem(
            "credit_code.checksum",
            "统一社会信用代码校验位错误：最后一位与前 17 位不符，说明有一位输错了：请对照营业执照逐位核对整个代码",
            "check character is wrong: the last character does not match the first 17, so one is wrong "
            "somewhere: compare the whole code with the business licence character by character",
        ))
    if number[0] not in AUTHORITIES:
        raise InvalidComponent(Problem(
            "credit_code.authority",
            f"统一社会信用代码第 1 位 {number[0]} 不是登记管理部门代码（企业和个体工商户为 9）：请核对",
            f"the first character {number[0]} is not a registration authority code (9 for businesses): check it",
        ))
    if number[16] != calc_org_code_check(number[8:16]):
        raise InvalidChecksum(Problem(
            "credit_code.org_code_checksum",
            "统一社会信用代码第 9 至 17 位（组织机构代码）的校验位与第 9 至 16 位不符：请对照营业执照逐位核对这 9 位",
            "characters 9 to 17 (the organisation code) have a check character that does not match "
            "characters 9 to 16: compare those 9 characters with the business licence",
        ))
    return number


def warnings(number: str) -> list[Problem]:
    """What the operator should know about a valid code: an unlisted type or office code."""
    number = validate(number)
    found = []
    authority, types = AUTHORITIES[number[0]]
    if number[1] not in types:
        found.append(Problem(
            "credit_code.org_type_unknown",
            f"机构类别代码 {number[0:2]} 不在已知的“{authority}”类别中：请核对第 2 位",
            f"organisation type {number[0:2]} is not a known type of this registration authority: "
            "check the second character",
            severity=Severity.WARNING,
        ))
    office = number[2:8]
    if office != "100000" and not regions.is_known(office):
        found.append(Problem(
            "credit_code.region_unknown",
            f"登记机关行政区划代码 {office} 不在行政区划代码表中：请核对第 3 至 8 位",
            f"registering office region code {office} is in no division code table: check characters 3 to 8",
            severity=Severity.WARNING,
        ))
    return found


def is_valid(number: str) -> bool:
    """True when `validate()` accepts the code."""
    try:
        validate(number)
    except InvalidDocument:
        return False
    return True


def format(number: str) -> str:
    """The code as printed on a business licence: 18 characters without separators."""
    return compact(number)
