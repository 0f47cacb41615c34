"""Resource ids: a prefix, the creation time in milliseconds (hex) and 64 random bits.

Ids sort lexicographically in creation order, so a customer's history is a Redis sorted set read by
lexical range with the last id as the page cursor.
"""

from __future__ import annotations

import re
import secrets
import time

ID_PATTERN = re.compile(r"^[a-z]{2,5}_[0-9a-f]{12}[0-9a-f]{16}$")


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(8)}"


def is_valid_id(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and ID_PATTERN.fullmatch(value) is not None
