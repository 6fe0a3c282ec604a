"""An operator's PIN, kept only as an scrypt hash (stdlib `hashlib`, no extra dependency).

A PIN of 4 to 8 digits is weak against a stolen hash, so the hash is deliberately slow (scrypt,
n=2**14) and salted, and guessing at the desk is slowed further by `agent.duties.operators` (a growing wait
after wrong PINs; what a new PIN must be is `agent.validation.pin`). Its job is to keep a passer-by at the front desk out of the register and to tie each
action to the person who did it, not to protect the data at rest (the store's encryption does that).

>>> stored = hash_pin("2468")
>>> stored.startswith("scrypt$16384$8$1$"), verify_pin("2468", stored), verify_pin("1357", stored)
(True, True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N, _R, _P, _LENGTH = 2**14, 8, 1, 32


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash`, base64 parts: everything needed to verify, nothing to recover the PIN."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_pin(pin: str, stored: str) -> bool:
    """Whether `pin` is the one hashed in `stored` (constant-time compare; False for a damaged hash)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
