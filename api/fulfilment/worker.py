"""The webhook worker: delivers outbox events (orders ready to ship) to the fulfilment partner.

Outbound, the worker signs each event with ``standardwebhooks`` (``webhook-id`` is the event id, stable across
retries, so the receiver can deduplicate; ``webhook-timestamp`` is the time of the attempt), POSTs it, and
counts any answer but 2xx, a timeout or a connection error as a failed attempt. Retries back off
exponentially with ±20 % jitter up to a cap; after the last attempt the event goes to the dead-letter list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from api.fulfilment.signing import sign
from api.orders.schemas import ShippingAddress
from api.sealing import Sealer
from api.storage import Storage
from api.storage.outbox import Outbox, OutboxEvent

logger = logging.getLogger("tonematch.worker")
LEASE_MS = 60_000
BATCH = 50


@dataclass(frozen=True)
class DeliverySettings:
    url: str | None
    secret: str
    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    timeout_seconds: float


def backoff_seconds(attempts: int, settings: DeliverySettings, rng: random.Random) -> float:
    """Delay before the next attempt after ``attempts`` failures: exponential, capped, jittered ±20 %."""
    delay = min(settings.backoff_seconds * 2 ** max(attempts - 1, 0), settings.backoff_max_seconds)
    return float(delay * rng.uniform(0.8, 1.2))


class DeliveryWorker:
    """Moves outbox entries into the schedule and delivers what is due, for every partition."""

    def __init__(
        self, storage: Storage, sealer: Sealer, settings: DeliverySettings, *, client: httpx.AsyncClient | None = None
    ) -> None:
        self._sealer = sealer
        self._settings = settings
        self._orders = storage.orders
        self._outboxes = storage.outboxes.partitions
        self._client = client or httpx.AsyncClient(timeout=settings.timeout_seconds)
        self._consumer = f"{socket.gethostname()}-{id(self):x}"
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        self._groups_ready = False
        self._warned_no_url = False

    async def aclose(self) -> None:
        await self._client.aclose()

    async def run_once(self) -> int:
        """One pass over every partition; returns the number of delivery attempts made."""
        if not self._groups_ready:
            for outbox in self._outboxes:
                await outbox.ensure_group()
            self._groups_ready = True
        now_ms = int(time.time() * 1000)
        for outbox in self._outboxes:
            await outbox.schedule_new(self._consumer, now_ms)
        if self._settings.url is None:
            if not self._warned_no_url:
                logger.warning("TONEMATCH_FULFILMENT_WEBHOOK_URL is not set: events wait in the outbox")
                self._warned_no_url = True
            return 0
        attempts = []
        for outbox in self._outboxes:
            for event in await outbox.claim_due(now_ms, LEASE_MS, BATCH):
                attempts.append(self._deliver(outbox, event))
        await asyncio.gather(*attempts)
        return len(attempts)

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            try:
                attempted = await self.run_once()
            except Exception:  # Redis away for a moment: log, wait, go on
                logger.exception("worker pass failed; retrying")
                attempted = 0
            if attempted == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_seconds)

    async def _payload(self, event: OutboxEvent) -> str | None:
        stored = await self._orders.get(event.order_id)
        if stored is None or stored.shipping is None:
            return None
        record = stored.record
        ship_to = ShippingAddress.model_validate_json(self._sealer.open(stored.shipping, record["id"]))
        data = {
            "order_id": record["id"],
            "formulation_id": record["formulation_id"],
            "size_g": record["size_g"],
            "quantity": record["quantity"],
            "ship_to": ship_to.model_dump(exclude_none=True),
        }
        return json.dumps({"type": event.type, "timestamp": event.created_at, "data": data}, separators=(",", ":"))

    async def _deliver(self, outbox: Outbox, event: OutboxEvent) -> None:
        assert self._settings.url is not None  # noqa: S101 - run_once checks
        body = await self._payload(event)
        if body is None:
            await outbox.failed(event, "the order or its address no longer exists", None)
            logger.warning(
                "event %s for order %s dead: the order or its address no longer exists", event.id, event.order_id
            )
            return
        error: str | None = None
        try:
            headers = sign(self._settings.secret, event.id, body, datetime.now(UTC))
            response = await self._client.post(self._settings.url, content=body.encode(), headers=headers)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}"
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}"
        if error is None:
            note = f"{event.type} delivered to fulfilment (event {event.id}, attempt {event.attempts + 1})"
            log_entry = {"at": datetime.now(UTC).isoformat(), "actor": "system", "note": note}
            await outbox.delivered(event, log_entry)
            logger.info("event %s (%s) for order %s delivered, attempt %d", event.id, event.type, event.order_id,
                        event.attempts + 1)  # fmt: skip
            return
        attempts = event.attempts + 1
        if attempts >= self._settings.max_attempts:
            await outbox.failed(event, error, None)
            logger.warning("event %s dead after %d attempts (%s)", event.id, attempts, error)
        else:
            delay = backoff_seconds(attempts, self._settings, self._rng)
            await outbox.failed(event, error, int((time.time() + delay) * 1000))
            logger.warning("event %s for order %s failed (%s), attempt %d; next in %.0f s", event.id, event.order_id,
                           error, attempts, delay)  # fmt: skip
