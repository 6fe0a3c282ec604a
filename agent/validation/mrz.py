"""The machine readable zone of a passport (ICAO Doc 9303 Part 4, TD3: two lines of 44 characters).

A desk scanner "types" the two lines followed by Enter, as if from a keyboard. Every field that
matters carries a check digit (weights 7, 3, 1; digits are their value, A-Z are 10-35, the filler
'<' is 0), plus a composite digit over the whole second line, so a misread character is caught
before it reaches the register.

The specimen from ICAO 9303 Part 4:

>>> passport = parse('''P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<
... L898902C36UTO7408122F1204159ZE184226B<<<<<10''')
>>> passport.number, passport.nationality, passport.name, passport.birth_date.isoformat()
('L898902C3', 'UTO', 'ERIKSSON ANNA MARIA', '1974-08-12')
>>> check_digit('L898902C3')
'6'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from agent.domain import CHINA_TIME, Sex
from agent.domain.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from agent.domain.problems import Problem
from agent.validation.normalise import halfwidth

LINE_LENGTH = 44
# ICAO writes Germany as the single letter D padded with fillers; everywhere else it is ISO alpha-3.
_ICAO_TO_ISO = {"D": "DEU"}


@dataclass(frozen=True)
class MrzPassport:
    """The fields of a TD3 machine readable zone whose check digits all matched."""

    document_code: str  # P, or P plus a letter the issuing state chose
    issuing_state: str
    surname: str
    given_names: str
    number: str
    nationality: str
    birth_date: date
    sex: Sex | None  # None: unspecified ('<' or X)
    expiry_date: date
    optional_data: str

    @property
    def name(self) -> str:
        """Surname then given names, the way the passport prints them."""
        return f"{self.surname} {self.given_names}".strip()


def check_digit(field: str) -> str:
    """The ICAO 9303 check digit of a field: weights 7, 3, 1 repeating, modulo 10."""
    total = 0
    for position, char in enumerate(field):
        if "0" <= char <= "9":
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            value = 0
        total += value * (7, 3, 1)[position % 3]
    return str(total % 10)


def split_lines(text: str) -> tuple[str, str]:
    """The two 44-character lines from what a scanner typed (CR/LF, spaces and case forgiven)."""
    text = halfwidth(text).upper()
    lines = [line.replace(" ", "") for line in text.splitlines()]
    joined = "".join(lines)
    if len(joined) != 2 * LINE_LENGTH:
        raise InvalidLength(Problem(
            "mrz.length",
            f"护照机读码应为两行、每行 44 个字符，读到的是 {len(joined)} 个字符：请重新扫描护照资料页",
            f"a passport's machine readable zone is two lines of 44 characters, {len(joined)} were read: "
            "scan the data page again",
        ))
    first, second = joined[:LINE_LENGTH], joined[LINE_LENGTH:]
    if not re.fullmatch(r"[A-Z0-9<]+", joined):
        raise InvalidFormat(Problem(
            "mrz.format",
            "机读码只含大写字母、数字和“<”：读到了其他字符，请重新扫描",
            "a machine readable zone has only capital letters, digits and '<': other characters were "
            "read, scan again",
        ))
    if first[0] != "P":
        raise InvalidFormat(Problem(
            "mrz.document_code",
            "这不是护照的机读码（第一行应以 P 开头）：请扫描护照资料页，或手工录入证件",
            "this is not a passport's machine readable zone (the first line starts with P): scan the "
            "passport's data page or type the document in",
        ))
    return first, second


def parse(text: str, *, today: date | None = None) -> MrzPassport:
    """The passport's fields from its two MRZ lines; raises an `InvalidDocument` subclass on any fault."""
    first, second = split_lines(text)
    _check(second[0:9], second[9], "number", "证件号码", "document number")
    _check(second[13:19], second[19], "birth_date", "出生日期", "birth date")
    _check(second[21:27], second[27], "expiry_date", "有效期", "expiry date")
    optional = second[28:42]
    if not (optional == "<" * 14 and second[42] in "<0"):
        _check(optional, second[42], "optional_data", "个人号码", "personal number")
    _check(second[0:10] + second[13:20] + second[21:43], second[43], "composite", "整体", "composite")

    today = today or datetime.now(CHINA_TIME).date()
    born = _date(second[13:19], "birth_date", "出生日期", "birth date")
    if born > today:
        born = born.replace(year=born.year - 100)  # YY is the last century when this one is still ahead
    expires = _date(second[21:27], "expiry_date", "有效期", "expiry date")
    if expires.year > today.year + 50:
        expires = expires.replace(year=expires.year - 100)

    surname, _, given = first[5:].partition("<<")
    return MrzPassport(
        document_code=first[0:2].replace("<", ""),
        issuing_state=_state(first[2:5]),
        surname=surname.replace("<", " ").strip(),
        given_names=given.replace("<", " ").strip(),
        number=second[0:9].replace("<", ""),
        nationality=_state(second[10:13]),
        birth_date=born,
        sex={"M": Sex.MALE, "F": Sex.FEMALE}.get(second[20]),
        expiry_date=expires,
        optional_data=optional.replace("<", ""),
    )


def _check(field: str, digit: str, code: str, zh: str, en: str) -> None:
    if digit != check_digit(field):
        # Neither the digit read nor the right one is named: a misread is as often in the field itself.
        raise InvalidChecksum(Problem(
            f"mrz.checksum.{code}",
            f"机读码中{zh}的校验位与该栏不符：扫描可能读错，请重新扫描或手工核对",
            f"the {en} check digit in the machine readable zone does not match its field: the scan may "
            "have misread, scan again or check by hand",
        ))


def _date(digits: str, code: str, zh: str, en: str) -> date:
    try:
        if not re.fullmatch(r"[0-9]{6}", digits):
            raise ValueError(digits)
        return date(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        raise InvalidComponent(Problem(
            f"mrz.{code}",
            f"机读码中的{zh}不是有效日期：请手工录入证件信息",
            f"the {en} in the machine readable zone is not a valid date: type the document in by hand",
        )) from None


def _state(field: str) -> str:
    code = field.replace("<", "")
    return _ICAO_TO_ISO.get(code, code)
