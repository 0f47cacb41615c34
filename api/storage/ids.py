"""Resource ids: a prefix, the creation time in milliseconds (hex) and 64 random bits.

Ids sort lexicographically in creation order, so a customer's history is a Redis sorted set read by
lexical range with the last id as the page cursor. Order ids carry their partition in the last two hex digits.
"""

from __future__ import annotations

import re
import secrets
import time

from api.storage.keys import PARTITIONS

ID_PATTERN = re.compile(r"^[a-z]{2,5}_[0-9a-f]{12}[0-9a-f]{16}$")
MEASUREMENT_ID_PREFIX = "msr"
FORMULATION_ID_PREFIX = "fml"
ORDER_ID_PREFIX = "ord"


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(8)}"


def is_valid_id(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and ID_PATTERN.fullmatch(value) is not None


def new_partitioned_id(prefix: str, partition: int) -> str:
    """Like ``new_id`` (time-ordered, 56 random bits) with the partition in the last two hex digits."""
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(7)}{partition:02x}"


def partition_of_id(resource_id: str) -> int | None:
    """The partition an id was made in, or None if its last two hex digits name no partition."""
    try:
        partition = int(resource_id[-2:], 16)
    except ValueError:
        return None
    return partition if partition < PARTITIONS else None


def created_ms(resource_id: str) -> int:
    """The creation time in milliseconds that a valid id carries."""
    return int(resource_id.split("_", 1)[1][:12], 16)


def is_valid_order_id(order_id: str) -> bool:
    return is_valid_id(order_id, ORDER_ID_PREFIX) and partition_of_id(order_id) is not None
