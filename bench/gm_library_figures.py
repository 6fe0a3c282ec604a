"""Figures behind the choice of the SM2/SM3/SM4 library (docs/protocol.md, "The national suite").

Run it in a scratch virtual environment holding the candidates (they are not dengji's dependencies):

    python3 -m venv /tmp/gm && /tmp/gm/bin/pip install cryptography gmssl-pyx tongsuopy gmssl-fast smcryptopy gmssl
    /tmp/gm/bin/python bench/gm_library_figures.py

Each figure is the best of 5 runs. A candidate that lacks an operation prints "-". It also checks the one
thing the issue insists on: a signature whose Z_A uses the signer ID 1234567812345678, verified by GmSSL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

MB = os.urandom(1 << 20)
MESSAGE = b"dengji signature base " * 20
ID = b"1234567812345678"


def best(work: Callable[[], object], repeat: int) -> float:
    """Seconds per call, best of 5 rounds of `repeat` calls."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            work()
        rounds.append((time.perf_counter() - start) / repeat)
    return min(rounds)


def row(name: str, sign: Callable | None, verify: Callable | None, enc: Callable | None, dec: Callable | None,
        sm3: Callable | None, gcm: Callable | None) -> None:
    cells = []
    for work, repeat, scale, unit in ((sign, 200, 1e6, "µs"), (verify, 200, 1e6, "µs"), (enc, 200, 1e6, "µs"),
                                      (dec, 200, 1e6, "µs"), (sm3, 5, 1e3, "ms"), (gcm, 5, 1e3, "ms")):
        cells.append(f"{best(work, repeat) * scale:.0f} {unit}" if work is not None else "-")
    print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    print("| library | SM2 sign | SM2 verify | SM2 encrypt 16 B | SM2 decrypt | SM3 1 MiB | SM4-GCM 1 MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def c_sm3() -> bytes:
        h = hashes.Hash(hashes.SM3())
        h.update(MB)
        return h.finalize()

    def c_gcm() -> bytes:
        e = Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))).encryptor()
        return e.update(MB) + e.finalize()

    row("cryptography (OpenSSL 3)", None, None, None, None, c_sm3, c_gcm)

    import gmssl_pyx as g
    pub, priv = g.sm2_key_generate()
    sig = g.sm2_sign(priv, pub, MESSAGE, signer_id=ID)
    ct = g.sm2_encrypt(pub, bytes(16))
    row("gmssl-pyx (GmSSL 3.2)", lambda: g.sm2_sign(priv, pub, MESSAGE, signer_id=ID),
        lambda: g.sm2_verify(pub, MESSAGE, sig, signer_id=ID), lambda: g.sm2_encrypt(pub, bytes(16)),
        lambda: g.sm2_decrypt(priv, ct), lambda: g.sm3_hash(MB),
        lambda: g.sm4_gcm_encrypt(bytes(16), bytes(12), b"", MB))

    import gmssl_fast as f
    key = f.SM2.generate()
    fsig = key.sign(MESSAGE)
    fct = key.encrypt(bytes(16))
    row("gmssl-fast 0.1 (GmSSL)", lambda: key.sign(MESSAGE), lambda: key.verify(MESSAGE, fsig),
        lambda: key.encrypt(bytes(16)), lambda: key.decrypt(fct), lambda: f.sm3(MB),
        lambda: f.SM4GCM(bytes(16), bytes(12)).encrypt(MB))

    from tongsuopy.crypto import hashes as th
    from tongsuopy.crypto.asymciphers import ec as tec
    tkey = tec.generate_private_key(tec.SM2())
    tsig = tkey.sign(MESSAGE, tec.ECDSA(th.SM3()))
    row("tongsuopy 1.0.1 (Tongsuo)", lambda: tkey.sign(MESSAGE, tec.ECDSA(th.SM3())),
        lambda: tkey.public_key().verify(tsig, MESSAGE, tec.ECDSA(th.SM3())), None, None, None, None)
    tpub = tkey.public_key().public_numbers()
    tpoint = tpub.x.to_bytes(32, "big") + tpub.y.to_bytes(32, "big")
    print(f"\ntongsuopy's signature verifies with ID 1234567812345678: {g.sm2_verify(tpoint, MESSAGE, tsig, ID)}; "
          f"without Z_A: {g.sm2_verify(tpoint, MESSAGE, tsig, None)}  (it cannot set the ID)")

    from smcryptopy import sm2 as s2
    from smcryptopy import sm3 as s3
    spriv, spub = s2.gen_keypair()
    ssig = s2.sign(b"1234567812345678", MESSAGE, spriv)
    sct = s2.encrypt(bytes(16), spub)
    row("smcryptopy 0.2.1 (Rust)", lambda: s2.sign(b"1234567812345678", MESSAGE, spriv),
        lambda: s2.verify(b"1234567812345678", MESSAGE, ssig, spub), lambda: s2.encrypt(bytes(16), spub),
        lambda: s2.decrypt(sct, spriv), lambda: s3.sm3_hash(MB), None)

    from gmssl import sm2 as p2
    from gmssl import func
    pp = g.sm2_key_generate()
    crypt = p2.CryptSM2(private_key=pp[1].hex(), public_key=pp[0].hex(), mode=1)
    psig = crypt.sign(MESSAGE, func.random_hex(crypt.para_len))
    pct = crypt.encrypt(bytes(16))
    figures = [best(work, 3) * 1e3 for work in (lambda: crypt.sign(MESSAGE, func.random_hex(crypt.para_len)),
                                                 lambda: crypt.verify(psig, MESSAGE),
                                                 lambda: crypt.encrypt(bytes(16)), lambda: crypt.decrypt(pct))]
    print("| gmssl 3.2.2 (pure Python, tests only) | " + " | ".join(f"{f:.0f} ms" for f in figures) + " | | |")


if __name__ == "__main__":
    main()
