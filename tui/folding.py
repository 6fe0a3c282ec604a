"""Breaking mixed Chinese and English text into lines the way a reader expects.

Rich breaks Chinese between any two characters, so a "。" or a "，" can start a line. Chinese
typesetting (and JIS X 4051's kinsoku for Japanese) never lets closing punctuation begin a line or
opening punctuation end one; English breaks only at spaces. `fold` does both, for the width it is given.

>>> fold("每填一项按 Enter 到下一项。选择框按空格键打开列表。", 12)
['每填一项按', 'Enter 到下一', '项。选择框按', '空格键打开列', '表。']
"""

from __future__ import annotations

import re

from rich.cells import cell_len

NO_LINE_START = frozenset("，。、；：！？）》」』】〕’”…—,.;:!?)]}%")
NO_LINE_END = frozenset("（《「『【〔‘“([{")
_TOKENS = re.compile(r"[\x21-\x7e]+ *| +|[^\x21-\x7e ] *")


def fold(text: str, width: int) -> list[str]:
    """The lines of `text` at `width` cells (its own line breaks kept)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_fold(paragraph, max(width, 4)))
    return lines


def _fold(paragraph: str, width: int) -> list[str]:
    lines: list[list[str]] = [[]]
    for token in _TOKENS.findall(paragraph):
        line = lines[-1]
        if line and cell_len("".join(line) + token.rstrip()) > width:
            carried: list[str] = []
            # Closing punctuation never starts a line, opening punctuation never ends one: take the
            # character before (or the opening mark) down with it.
            while line and len(line) > 1 and (token[0] in NO_LINE_START and not carried or
                                              line[-1].rstrip()[-1:] in NO_LINE_END):
                carried.insert(0, line.pop())
                if carried[0].rstrip()[-1:] not in NO_LINE_END:
                    break
            lines.append([*carried])
            line = lines[-1]
        if not line and cell_len(token.rstrip()) > width:  # longer than a line (a path): cut it
            while cell_len(token.rstrip()) > width:
                cut = width
                while cell_len(token[:cut]) > width:
                    cut -= 1
                lines[-1] = [token[:cut]]
                lines.append([])
                token = token[cut:]
            line = lines[-1]
        if not line and not token.strip():
            continue  # no line starts with spaces
        line.append(token)
    return ["".join(line).rstrip() for line in lines]
