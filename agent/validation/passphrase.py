"""What the passphrase that seals a venue's keys must be: at least 10 characters, typed the same twice.

Lose it and the register cannot be read (a backup keeps a copy); a short one is guessed from a stolen
disk. One rule for the key file (`keys.enc`), backups and the key transfer, whoever sets them: the
command line, the TUI, the environment. `RULE_ZH`/`RULE_EN` is the rule as a prompt states it, so no
prompt says it in other words.

>>> check_new_passphrase("short").code
'passphrase.short'
>>> check_new_passphrase("a long enough one", "a long enough 1").code
'passphrase.mismatch'
>>> check_new_passphrase("a long enough one", "a long enough one") is None
True
"""

from __future__ import annotations

from agent.domain.problems import Problem

MIN_LENGTH = 10
RULE_ZH = f"至少 {MIN_LENGTH} 个字符"
RULE_EN = f"at least {MIN_LENGTH} characters"


def check_new_passphrase(passphrase: str, again: str | None = None) -> Problem | None:
    """What is wrong with a passphrase being set (None: it will do)."""
    if len(passphrase) < MIN_LENGTH:
        return Problem("passphrase.short", f"口令{RULE_ZH}", f"the passphrase has {RULE_EN}", "passphrase")
    if again is not None and again != passphrase:
        return Problem("passphrase.mismatch", "两次输入的口令不一致，请重新输入", "the two passphrases differ: type "
                       "them again", "passphrase_again")
    return None
