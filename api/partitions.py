"""Redis key partitions: every key of one customer, and that partition's outbox and lab queues, share a hash tag.

Redis Cluster maps a key to a slot by the part of the key inside ``{...}`` (the hash tag), and a transaction or
script may only touch keys of one slot. Customers are spread over ``PARTITIONS`` tags by CRC-32 of their id;
an order's id carries its partition in its last two hex digits, so the lab and the fulfilment partner, who
know only the order id, reach the same slot. The worker reads every partition's outbox.

``PARTITIONS`` is part of the data layout: changing it would move customers to other tags, so it is a
constant, not a setting. Sixteen partitions spread over up to sixteen cluster primaries.
"""

from __future__ import annotations

import secrets
import time
import zlib

KEY_PREFIX = "tm"
PARTITIONS = 16


def partition_of(customer_id: str) -> int:
    return zlib.crc32(customer_id.encode()) % PARTITIONS


def partition_tag(partition: int) -> str:
    """The key prefix of one partition, hash tag included: ``tm:{p07}``."""
    return f"{KEY_PREFIX}:{{p{partition:02d}}}"


def customer_tag(customer_id: str) -> str:
    """The key prefix of one customer's data, inside the customer's partition."""
    return f"{partition_tag(partition_of(customer_id))}:c:{customer_id}"


def new_partitioned_id(prefix: str, partition: int) -> str:
    """Like ``api.ids.new_id`` (time-ordered, 56 random bits) with the partition in the last two hex digits."""
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(7)}{partition:02x}"


def partition_of_id(resource_id: str) -> int | None:
    """The partition an id was made in, or None if its last two hex digits name no partition."""
    try:
        partition = int(resource_id[-2:], 16)
    except ValueError:
        return None
    return partition if partition < PARTITIONS else None
