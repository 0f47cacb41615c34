"""Lab staff passwords: scrypt (RFC 7914) from the standard library, with the cost stored beside each hash.

N = 2**15, r = 8, p = 1 is OWASP's scrypt setting for password storage (Password Storage Cheat Sheet, 2023): about
32 MiB of memory and a few tens of milliseconds a check on this machine, which makes guessing offline expensive and
is paid once per sign-in. A hash is ``scrypt$N$r$p$salt$key`` (base64url), so the cost can be raised later and old
hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD_CHARS = 12  # NIST SP 800-63B asks for at least 8; lab accounts reach every order, so more
MAX_PASSWORD_CHARS = 256  # bounds the work one sign-in can ask of the server
# scrypt needs 128 * N * r bytes; OpenSSL's default ceiling (32 MiB) is just below that at N = 2**15.
_MAX_MEMORY = 2 * 128 * SCRYPT_N * SCRYPT_R


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_password_rules(password: str) -> None:
    """Refuse a password too short or too long to be a lab password (``ValueError`` saying why)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a lab password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a lab password has at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """A salted scrypt hash of ``password`` in the ``scrypt$N$r$p$salt$key`` form."""
    salt = os.urandom(SALT_BYTES)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES, maxmem=_MAX_MEMORY)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` gives ``stored``; False for a wrong password or a malformed hash."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt" or len(password) > MAX_PASSWORD_CHARS:
            return False
        expected = _unb64(key)
        given = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected),
            maxmem=2 * 128 * int(n) * int(r),
        )  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


# Checked against when the name is unknown, so that a sign-in takes as long whether or not the name exists.
DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + _b64(bytes(KEY_BYTES))
