"""Which language to speak: Chinese first, English on request.

Messages are written as pairs at the place they are said (`say("已登记", "registered")`): every message
exists in both languages by construction, and a validation `Problem` already carries both. The language
comes from `--lang`, else the config, else the locale (`LANG`/`LC_ALL` starting with `en`), else Chinese.
"""

from __future__ import annotations

import os

LANGS = ("zh", "en")


def detect_lang(explicit: str | None = None, configured: str | None = None) -> str:
    for choice in (explicit, configured):
        if choice in LANGS:
            return choice
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


class Say:
    """Picks the message for the chosen language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "zh"

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else zh
