"""What the orders domain shares between its services: time stamps, history entries, idempotency keys and their
request fingerprints, cursors of the lab's queue, and the settings' numbers orders follow."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.errors import IdempotencyKeyRequired, InvalidRequest
from api.orders.states import OrderStatus
from api.storage.ids import is_valid_order_id

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
READY_EVENT = "order.ready_to_ship"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def history_entry(actor: str, target: OrderStatus | None = None, note: str | None = None) -> dict[str, Any]:
    """A history entry; the script that applies a transition fills in the status it came from."""
    entry: dict[str, Any] = {"at": now_iso(), "actor": actor}
    if target is not None:
        entry |= {"from_status": None, "to_status": target}
    if note:
        entry["note"] = note
    return entry


def check_idempotency_key(value: str | None) -> str:
    if value is None:
        raise IdempotencyKeyRequired(
            "POST /v1/orders needs an `Idempotency-Key` header: a unique value (a UUID) per order the customer "
            "means to place, sent again unchanged when the request is retried."
        )
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value):
        raise InvalidRequest("The Idempotency-Key must be 1-255 visible ASCII characters.")
    return value


def request_fingerprint(key: bytes, customer_id: str, body: dict[str, Any]) -> str:
    """HMAC-SHA256 of the canonical request: a plain hash of a low-entropy address could be reversed by trial."""
    canonical = json.dumps({"customer": customer_id, "body": body}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    created, _, order_id = cursor.partition(".")
    if not created.isdigit() or not is_valid_order_id(order_id):
        raise InvalidRequest("The cursor is not one this API returned.")
    return int(created), order_id


@dataclass(frozen=True)
class OrderPolicy:
    """The settings' numbers that orders follow."""

    fingerprint_key: bytes  # keys the HMAC of request bodies kept for idempotency (they hold addresses)
    idempotency_seconds: int = 7 * 24 * 3600
    reorder_threshold_dE00: float = 2.0
