"""The Redis key layout: partitions and every key the service writes. The layout is a data format: change it here.

Redis Cluster maps a key to a slot by the part of the key inside ``{...}`` (the hash tag), and a transaction or
script may only touch keys of one slot. Customers are spread over ``PARTITIONS`` tags by CRC-32 of their id;
an order's id carries its partition in its last two hex digits (``api.storage.ids``), so the lab and the
fulfilment partner, who know only the order id, reach the same slot. The worker reads every partition's outbox.

``PARTITIONS`` is part of the data layout: changing it would move customers to other tags, so it is a
constant, not a setting. Sixteen partitions spread over up to sixteen cluster primaries.

Keys (``tm:{pNN}`` is a partition's tag, ``c:<customer>`` a customer inside it):

- ``tm:{pNN}:c:<customer>:msr:<id>``: one measurement, JSON; expires after the retention period unless an
  order keeps it; ``...:msrs``: sorted set of the customer's measurement ids (all scores 0, lexical order)
- ``tm:{pNN}:c:<customer>:fml:<id>`` and ``...:fmls``: formulations, the same way; ``...:fml:<id>:corrections``
  (list of the batch corrections, JSON) and ``...:fml:<id>:batches`` (hash batch id → ``<request fingerprint>
  <index in the corrections list>``: one correction per batch id)
- after erasure ``c:<customer>`` is an anonymous id (``anon_…``, chosen in the customer's partition) that holds
  the batch records of orders that reached production: the formulation without the person's data, its
  corrections, and the orders
- ``tm:{pNN}:c:<customer>:history-consent``: JSON of the customer's consent to keeping their measurement history
  (``granted``, ``notice``, ``updated_at``); absent means not given: only the latest measurement is kept.
  ``...:history-consent:log``: list of every grant and withdrawal, JSON
- ``tm:fml-owner:<id>``: the customer of a formulation, for the lab's lookup by id; ``tm:fml-kept:<id>``: the
  anonymous id keeping a formulation's batch record after its customer's erasure
- ``tm:{shades}:sources``: hash of the imported catalogue's sources, name → JSON of its last import;
  ``tm:{shades}:src:<source>``: list of the source's shades, JSON; ``tm:{shades}:staging:<token>``: an import
  being written (renamed onto the source's list when complete, else expires); ``tm:{shades}:lock:<source>``:
  the token of the import under way; ``tm:{shades}:version``: counts changes (caches compare it);
  ``tm:{shades}:list``: the catalogue as stored before sources (read as the source ``legacy``)
- ``tm:{pNN}:ord:<id>``: hash with ``status``, ``updated_at``, ``record`` (JSON of what was ordered),
  ``shipping`` (sealed name and address, ``api.sealing``), and ``shipment`` / ``qc`` once known;
  ``...:ord:<id>:log``: list of transitions, JSON with time, actor, from and to
- ``tm:{pNN}:c:<customer>:ords``: the customer's order ids (lexical = creation order)
- ``tm:{pNN}:c:<customer>:idem:<sha256 of the key>``: ``<request fingerprint> <order id>``
- ``tm:{pNN}:status:<status>``: order ids in that status, scored by creation time (the lab's queue)
- ``tm:{pNN}:outbox``: stream of events written by the same script as the transition that causes them;
  ``...:outbox:events`` (hash id → JSON), ``...:outbox:due`` (schedule), ``...:outbox:dead`` (dead letters)
- ``tm:{pNN}:whin:<sha256 of webhook-id>``: inbound webhook ids already applied
- ``tm:serving:data-key-ids``: JSON of the data key ids (never keys) the service last started with
- ``tm:{pNN}:c:<customer>:rl:<bucket>``: requests in the current rate-limit window (expires with it)
- ``tm:revoked:<sha256 of jti>``: a revoked token, kept until it would have expired
"""

from __future__ import annotations

import hashlib
import zlib

KEY_PREFIX = "tm"
PARTITIONS = 16
SHADES_KEY = f"{KEY_PREFIX}:{{shades}}:list"
SHADES_VERSION_KEY = f"{KEY_PREFIX}:{{shades}}:version"
SHADE_SOURCES_KEY = f"{KEY_PREFIX}:{{shades}}:sources"


def shade_source_key(source: str) -> str:
    return f"{KEY_PREFIX}:{{shades}}:src:{source}"


def shade_staging_key(token: str) -> str:
    return f"{KEY_PREFIX}:{{shades}}:staging:{token}"


def shade_lock_key(source: str) -> str:
    return f"{KEY_PREFIX}:{{shades}}:lock:{source}"


SERVING_DATA_KEYS_KEY = f"{KEY_PREFIX}:serving:data-key-ids"


def partition_of(customer_id: str) -> int:
    return zlib.crc32(customer_id.encode()) % PARTITIONS


def partition_tag(partition: int) -> str:
    """The key prefix of one partition, hash tag included: ``tm:{p07}``."""
    return f"{KEY_PREFIX}:{{p{partition:02d}}}"


def customer_tag(customer_id: str) -> str:
    """The key prefix of one customer's data, inside the customer's partition."""
    return f"{partition_tag(partition_of(customer_id))}:c:{customer_id}"


def digest(value: str) -> str:
    """SHA-256 hex of a value that becomes part of a key (an idempotency key, a webhook id)."""
    return hashlib.sha256(value.encode()).hexdigest()


# Measurements and formulations of one customer.


def measurement_key(customer_id: str, measurement_id: str) -> str:
    return f"{customer_tag(customer_id)}:msr:{measurement_id}"


def measurement_index_key(customer_id: str) -> str:
    return f"{customer_tag(customer_id)}:msrs"


def history_consent_key(customer_id: str) -> str:
    return f"{customer_tag(customer_id)}:history-consent"


def history_consent_log_key(customer_id: str) -> str:
    return f"{history_consent_key(customer_id)}:log"


def formulation_key(customer_id: str, formulation_id: str) -> str:
    return f"{customer_tag(customer_id)}:fml:{formulation_id}"


def formulation_index_key(customer_id: str) -> str:
    return f"{customer_tag(customer_id)}:fmls"


def corrections_key(customer_id: str, formulation_id: str) -> str:
    return f"{formulation_key(customer_id, formulation_id)}:corrections"


def correction_batches_key(customer_id: str, formulation_id: str) -> str:
    return f"{formulation_key(customer_id, formulation_id)}:batches"


def formulation_owner_key(formulation_id: str) -> str:
    return f"{KEY_PREFIX}:fml-owner:{formulation_id}"


def formulation_kept_key(formulation_id: str) -> str:
    return f"{KEY_PREFIX}:fml-kept:{formulation_id}"


# Orders.


def order_key(partition: int, order_id: str) -> str:
    return f"{partition_tag(partition)}:ord:{order_id}"


def order_log_key(partition: int, order_id: str) -> str:
    return f"{order_key(partition, order_id)}:log"


def customer_orders_key(customer_id: str) -> str:
    return f"{customer_tag(customer_id)}:ords"


def idempotency_record_key(customer_id: str, key: str) -> str:
    return f"{idempotency_records_prefix(customer_id)}{digest(key)}"


def idempotency_records_prefix(customer_id: str) -> str:
    """What every idempotency record of the customer's starts with (erasure finds them by it)."""
    return f"{customer_tag(customer_id)}:idem:"


def status_key(partition: int, status: str) -> str:
    return f"{partition_tag(partition)}:status:{status}"


def webhook_seen_key(partition: int, webhook_id: str) -> str:
    return f"{partition_tag(partition)}:whin:{digest(webhook_id)}"


# The outbox of one partition.


def outbox_key(partition: int) -> str:
    """The stream that transitions append their events to."""
    return f"{partition_tag(partition)}:outbox"


def outbox_events_key(partition: int) -> str:
    return f"{outbox_key(partition)}:events"


def outbox_due_key(partition: int) -> str:
    return f"{outbox_key(partition)}:due"


def outbox_dead_key(partition: int) -> str:
    return f"{outbox_key(partition)}:dead"


def rate_limit_key(customer_id: str, bucket: str) -> str:
    return f"{customer_tag(customer_id)}:rl:{bucket}"


def revoked_token_key(token_id: str) -> str:
    return f"{KEY_PREFIX}:revoked:{digest(token_id)}"
