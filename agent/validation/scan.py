"""What a desk scanner or card reader "typed": a passport's MRZ, or a resident ID number.

Both kinds of device act as a keyboard: a passport scanner types the two MRZ lines, each followed by
Enter; a resident ID card reader in keyboard mode types the 18-character number and Enter. The form
hands whatever arrived to `read()` and gets the document type, the number and what the document says
about its holder, so the clerk does not pick the document type by hand.

>>> scan = read('11010519491231002X\\r\\n')
>>> scan.doc_type, scan.number, scan.birth_date.isoformat(), scan.sex
(<DocType.RESIDENT_ID: 'resident_id'>, '11010519491231002X', '1949-12-31', <Sex.FEMALE: 'F'>)
>>> read('P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\n'
...      'L898902C36UTO7408122F1204159ZE184226B<<<<<10\\n').name
'ERIKSSON ANNA MARIA'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agent.domain import DocType, Sex
from agent.validation import mrz, resident_id
from agent.validation.normalise import compact_number
from agent.validation.problems import InvalidFormat, Problem


@dataclass(frozen=True)
class ScannedDocument:
    """A document read by a device: enough to fill the form's document and personal fields."""

    doc_type: DocType
    number: str
    nationality: str
    birth_date: date
    sex: Sex | None
    name: str | None = None  # a resident ID reader in keyboard mode sends only the number
    expiry_date: date | None = None


def read(text: str, *, today: date | None = None) -> ScannedDocument:
    """The document in a scanner's keystrokes; raises an `InvalidDocument` subclass when unreadable."""
    if "<" in text:
        passport = mrz.parse(text, today=today)
        return ScannedDocument(DocType.PASSPORT, passport.number, passport.nationality, passport.birth_date,
                               passport.sex, passport.name, passport.expiry_date)
    compacted = compact_number(text)
    if len(compacted) in (15, 18) and compacted[:17].isascii() and compacted[:17].isdigit():
        number = resident_id.validate(compacted, today=today)
        info = resident_id.parse(number, today=today)
        return ScannedDocument(DocType.RESIDENT_ID, number, "CHN", info.birth_date, info.sex)
    raise InvalidFormat(Problem(
        "scan.unreadable",
        "读到的内容既不是护照机读码，也不是身份证号码：请重新扫描，或手工录入",
        "what was read is neither a passport's machine readable zone nor a resident ID number: scan "
        "again or type the document in",
    ))
