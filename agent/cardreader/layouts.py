"""The four layouts of a card's 256-byte text, read into an `IdentityCard` (and written, for the
simulated reader).

The text is UCS-2 little-endian, each field padded with spaces (`20 00`; some readers pad with zero
bytes). The type flag at bytes 248-249 tells the layout: a space (or zero bytes) for the resident ID
card, `J` for the residence permit of Hong Kong, Macau and Taiwan residents, `I` for the 2017
foreigner's permanent residence ID card, `Y` for the 2023 one. Field lengths below are in bytes, in the
order of docs/cardreader.md; each table adds up to 256 and puts the flag at 248 (checked on import).

The number goes through the project's validators (`validate_document`), so a misread number is
caught here and the person is never registered with it. Dates are `YYYYMMDD`; a long-term card says
`长期` where the end of validity would be.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

from agent.cardreader import errors
from agent.cardreader.card import DOC_TYPE_OF_LAYOUT, CardLayout, IdentityCard
from agent.domain import DocType, Sex
from agent.domain.errors import InvalidDocument
from agent.domain.problems import Problem, Severity
from agent.validation.documents import document_facts, validate_document

log = logging.getLogger(__name__)

TEXT_LENGTH = 256
FLAG_OFFSET = 248
LONG_TERM = "长期"

FIELDS: dict[CardLayout, tuple[tuple[str, int], ...]] = {
    CardLayout.RESIDENT_ID: (
        ("name", 30), ("sex", 2), ("ethnicity", 4), ("birth_date", 16), ("address", 70), ("doc_number", 36),
        ("issuer", 30), ("valid_from", 16), ("valid_until", 16), ("reserved", 36),
    ),
    CardLayout.HMT_RESIDENCE_PERMIT: (
        ("name", 30), ("sex", 2), ("reserved", 4), ("birth_date", 16), ("address", 70), ("doc_number", 36),
        ("issuer", 30), ("valid_from", 16), ("valid_until", 16), ("travel_permit_number", 18),
        ("times_issued", 4), ("reserved_2", 6), ("type_flag", 2), ("reserved_3", 6),
    ),
    CardLayout.FOREIGN_PERMANENT_2017: (
        ("name_en", 120), ("sex", 2), ("doc_number", 30), ("nationality", 6), ("name", 30), ("valid_from", 16),
        ("valid_until", 16), ("birth_date", 16), ("card_version", 4), ("issuer", 8), ("type_flag", 2),
        ("reserved", 6),
    ),
    CardLayout.FOREIGN_PERMANENT_2023: (
        ("name", 30), ("sex", 2), ("times_renewed", 4), ("birth_date", 16), ("name_en", 70), ("doc_number", 36),
        # Sources call these 30 bytes reserved; they sit where the other layouts keep the issuing
        # authority, and may hold it on some cards: read as the issuer when not blank.
        ("issuer", 30), ("valid_from", 16), ("valid_until", 16), ("name_en_more", 22), ("nationality", 6),
        ("type_flag", 2), ("previous_card", 6),
    ),
}
FLAGS: dict[str, CardLayout] = {
    " ": CardLayout.RESIDENT_ID,
    "\x00": CardLayout.RESIDENT_ID,
    "J": CardLayout.HMT_RESIDENCE_PERMIT,
    "I": CardLayout.FOREIGN_PERMANENT_2017,
    "Y": CardLayout.FOREIGN_PERMANENT_2023,
}
FLAG_OF_LAYOUT = {CardLayout.HMT_RESIDENCE_PERMIT: "J", CardLayout.FOREIGN_PERMANENT_2017: "I",
                  CardLayout.FOREIGN_PERMANENT_2023: "Y"}


def _offsets(layout: CardLayout) -> dict[str, tuple[int, int]]:
    spans, at = {}, 0
    for name, length in FIELDS[layout]:
        spans[name] = (at, at + length)
        at += length
    if at != TEXT_LENGTH:
        raise AssertionError(f"the {layout} layout adds up to {at} bytes, not {TEXT_LENGTH}")
    if "type_flag" in spans and spans["type_flag"][0] != FLAG_OFFSET:
        raise AssertionError(f"the {layout} layout puts its type flag at {spans['type_flag'][0]}")
    return spans


OFFSETS = {layout: _offsets(layout) for layout in CardLayout}

# The region prefixes of residence permit numbers, and the ISO 3166 code of each region.
HMT_NATIONALITY = {"810000": "HKG", "820000": "MAC", "830000": "TWN"}
# GB 3304's 56 groups, plus 97 (other) and 98 (naturalised foreign origin), which ID cards carry.
ETHNICITY_CODES = frozenset([f"{n:02d}" for n in range(1, 57)] + ["97", "98"])
_PADDING = " \x00\u3000"
_SEX = {"1": Sex.MALE, "2": Sex.FEMALE}


def layout_of(text: bytes) -> CardLayout:
    """The layout told by the type flag; raises `CardRejected` for a flag of no known layout."""
    flag = text[FLAG_OFFSET:FLAG_OFFSET + 2]
    try:
        return FLAGS[flag.decode("utf-16-le")]
    except (UnicodeDecodeError, KeyError):
        raise errors.CardRejected(Problem(
            "reader.card_layout",
            f"证件类型标志（0x{flag.hex().upper()}）不是已知的四种证件之一：这张证件目前无法读取，请手工录入",
            f"the card's type flag (0x{flag.hex().upper()}) is none of the four known layouts: this card "
            "cannot be read yet; enter the person by hand",
        )) from None


def parse_card_text(text: bytes | bytearray | memoryview) -> IdentityCard:
    """The card in a 256-byte text; raises `CardUnreadable` or `CardRejected` when it cannot be used.

    The number is validated (with the nationality the card states); the text's birth date and sex are
    compared with what the number says, and a difference is a warning.
    """
    text = bytes(text)
    if len(text) != TEXT_LENGTH:
        raise errors.card_unreadable(f"文字信息长度为 {len(text)} 字节，应为 256",
                                     f"the text is {len(text)} bytes, not 256", "reader.text_length")
    layout = layout_of(text)
    raw = {name: _decode(text[start:end], name) for name, (start, end) in OFFSETS[layout].items()}
    found: list[Problem] = []
    value = {name: raw_value.strip(_PADDING) for name, raw_value in raw.items()}
    doc_type = DOC_TYPE_OF_LAYOUT[layout]

    name_en: str | None = None
    if layout is CardLayout.FOREIGN_PERMANENT_2023:
        # The English name runs on from its first field (35 characters) into the second (11): join the
        # unstripped parts, or a space at the join would be lost.
        name_en = (raw["name_en"] + raw["name_en_more"]).strip(_PADDING) or None
    elif layout is CardLayout.FOREIGN_PERMANENT_2017:
        name_en = value["name_en"] or None

    number = value["doc_number"]
    if layout is CardLayout.RESIDENT_ID:
        nationality = "CHN"
    elif layout is CardLayout.HMT_RESIDENCE_PERMIT:
        nationality = HMT_NATIONALITY.get(number[:6], "")
        if not nationality:
            raise errors.card_unreadable("居住证号码不以 810000、820000 或 830000 开头",
                                         "the permit number starts with none of 810000, 820000, 830000",
                                         "reader.card_number")
    else:
        nationality = value["nationality"].upper()
    try:
        number, doubts = validate_document(doc_type, number, nationality)
    except InvalidDocument as invalid:
        raise errors.card_unreadable(f"证件号码未通过校验：{invalid.problem.zh}",
                                     f"the number failed its check: {invalid.problem.en}",
                                     "reader.card_number") from None
    found.extend(doubts)

    name = value["name"] or name_en
    if not name:
        raise errors.card_unreadable("姓名为空", "the name is empty")
    sex = _SEX.get(value["sex"])
    if sex is None:
        raise errors.card_unreadable("性别代码不是 1 或 2", "the sex code is neither 1 nor 2")
    birth_date = _date(value["birth_date"], "出生日期", "birth date")
    valid_from = _date(value["valid_from"], "有效期起始日", "start of validity")
    valid_until = None if value["valid_until"] == LONG_TERM else _date(value["valid_until"], "有效期截止日",
                                                                         "end of validity")

    ethnicity = None
    if layout is CardLayout.RESIDENT_ID:
        ethnicity = value["ethnicity"] or None
        if ethnicity not in ETHNICITY_CODES:
            found.append(_warning("reader.ethnicity_unknown",
                                  "证件上的民族代码不是 GB 3304 代码：请在表单中选择民族",
                                  "the card's ethnicity code is not a GB 3304 code: choose the ethnicity "
                                  "in the form"))
            ethnicity = None
    address = value.get("address") or None
    issuer = value.get("issuer") or None

    found.extend(_facts_doubts(doc_type, number, birth_date, sex))
    if any(_is_private_use(text_value) for text_value in (name, name_en or "", address or "")):
        found.append(_warning(
            "reader.rare_character",
            "姓名或住址中有读卡器无法显示的生僻字（证件用自造字区存放）：请对照证件手工改正",
            "the name or address holds a rare character the card keeps in a private code area: compare it "
            "with the card and correct it by hand"))
    return IdentityCard(layout=layout, doc_number=number, name=name, name_en=name_en, sex=sex,
                        ethnicity=ethnicity, nationality=nationality, birth_date=birth_date, address=address,
                        issuer=issuer, valid_from=valid_from, valid_until=valid_until, warnings=tuple(found))


def encode_card_text(card: IdentityCard, extras: Mapping[str, str] | None = None) -> bytes:
    """The 256-byte text a reader would read off `card` (for the simulated reader and the tests).

    `extras` fills the fields an `IdentityCard` does not carry (`travel_permit_number`, `times_issued`,
    `card_version`, `times_renewed`, `previous_card`); they are blank otherwise.
    """
    layout = card.layout
    values = dict(extras or {})
    values.update({
        "doc_number": card.doc_number,
        "sex": "1" if card.sex is Sex.MALE else "2",
        "birth_date": card.birth_date.strftime("%Y%m%d"),
        "valid_from": card.valid_from.strftime("%Y%m%d"),
        "valid_until": card.valid_until.strftime("%Y%m%d") if card.valid_until else LONG_TERM,
        "issuer": card.issuer or "",
        "address": card.address or "",
        "ethnicity": card.ethnicity or "",
    })
    chinese_name = "" if card.name_en is not None and card.name == card.name_en else card.name
    values["name"] = chinese_name
    if layout is CardLayout.FOREIGN_PERMANENT_2023:
        english = (card.name_en or "").ljust(46)
        values["name_en"], values["name_en_more"] = english[:35], english[35:]
    else:
        values["name_en"] = card.name_en or ""
    if layout in (CardLayout.FOREIGN_PERMANENT_2017, CardLayout.FOREIGN_PERMANENT_2023):
        values["nationality"] = card.nationality
    if layout in FLAG_OF_LAYOUT:
        values["type_flag"] = FLAG_OF_LAYOUT[layout]
    out = bytearray()
    for name, length in FIELDS[layout]:
        encoded = values.get(name, "").encode("utf-16-le")
        if len(encoded) > length:
            raise ValueError(f"{name} does not fit in {length} bytes")
        out += encoded + " ".encode("utf-16-le") * ((length - len(encoded)) // 2)
    return bytes(out)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-16-le")
    except UnicodeDecodeError:
        log.debug("field %s is not UCS-2", name)
        raise errors.card_unreadable("文字不是 UCS-2 编码", "the text is not UCS-2") from None


def _date(digits: str, zh: str, en: str) -> date:
    if len(digits) == 8 and digits.isascii() and digits.isdigit():
        try:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            pass
    raise errors.card_unreadable(f"{zh}不是有效日期", f"the {en} is not a valid date")


def _facts_doubts(doc_type: DocType, number: str, birth_date: date, sex: Sex) -> list[Problem]:
    """A warning when the text's birth date or sex differs from what the number itself says."""
    facts = document_facts(doc_type, number)
    if (facts.birth_date is not None and facts.birth_date != birth_date) or (facts.sex is not None
                                                                              and facts.sex != sex):
        return [_warning("reader.card_mismatch",
                         "证件上的出生日期或性别与证件号码不一致：请对照证件核对",
                         "the card's birth date or sex differs from what its number says: check the card")]
    return []


def _is_private_use(text: str) -> bool:
    return any("\ue000" <= char <= "\uf8ff" for char in text)


def _warning(code: str, zh: str, en: str) -> Problem:
    return Problem(code, zh, en, severity=Severity.WARNING)
