"""Authenticated encryption of personal data at rest (names, shipping addresses): AES-256-GCM with key ids.

A sealed value is ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``. The associated data binds it to the
record it belongs to (an order id), so a sealed address copied onto another order does not open. Rotation:
add a new key and make it current; new values are sealed with it and old ones still open with theirs
(``reseal`` moves a value to the current key). NIST SP 800-38D: 96-bit random nonces, at most 2^32 values
per key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = "v1"
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class SealingError(ValueError):
    """A key set that cannot be used, or a sealed value that does not open."""


class UnknownDataKey(SealingError):
    """A value sealed with a key this process does not hold (a key retired too early, or a reseal to a key the
    running service was not given)."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"sealed with data key {key_id!r}, which this process does not hold")
        self.key_id = key_id


def decode_key(encoded: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as error:
        raise SealingError("a data key must be base64 (URL-safe alphabet)") from error
    if len(key) != KEY_BYTES:
        raise SealingError(f"a data key must be {KEY_BYTES} bytes (AES-256), not {len(key)}")
    return key


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip("=")


class Sealer:
    """Seals with the current key; opens with whichever key a value names."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise SealingError(f"the current data key {current!r} is not among the keys")
        for key_id, key in keys.items():
            if not KEY_ID_PATTERN.fullmatch(key_id) or len(key) != KEY_BYTES:
                raise SealingError(f"data key {key_id!r}: ids are 1-32 of A-Z a-z 0-9 _ -, keys {KEY_BYTES} bytes")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current

    @classmethod
    def from_encoded(cls, keys: dict[str, str], current: str) -> Sealer:
        """A sealer from base64url keys by id, as the settings hold them."""
        return cls({key_id: decode_key(value) for key_id, value in keys.items()}, current)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._ciphers)

    def seal(self, plaintext: bytes, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current].encrypt(nonce, plaintext, context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{FORMAT_VERSION}.{self.current}.{body}"

    def open(self, sealed: str, context: str) -> bytes:
        version, _, rest = sealed.partition(".")
        key_id, _, body = rest.partition(".")
        if version != FORMAT_VERSION:
            raise SealingError(f"sealed in an unknown format ({version!r})")
        if key_id not in self._ciphers:
            raise UnknownDataKey(key_id)
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._ciphers[key_id].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (binascii.Error, ValueError, InvalidTag) as error:
            raise SealingError("the sealed value does not open: altered, or moved from another record") from error

    def reseal(self, sealed: str, context: str) -> str:
        """The same value sealed with the current key (unchanged if it already is)."""
        if sealed.split(".", 2)[1:2] == [self.current]:
            return sealed
        return self.seal(self.open(sealed, context), context)
