"""The only room that knows Redis: the client, the key layout, and one repository per kind of record.

Nothing above this package sees a Redis client or spells a key; services get the repositories of a
``Storage`` built once when the app starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.settings import Settings
from api.storage.client import RedisClient, connect, ping
from api.storage.consents import ConsentRepository
from api.storage.customers import CustomerRepository
from api.storage.formulations import FormulationRepository
from api.storage.lab_staff import LabStaffRepository
from api.storage.limits import RateLimits, RevokedTokens
from api.storage.measurements import MeasurementRepository
from api.storage.orders import OrderRepository
from api.storage.outbox import Outboxes
from api.storage.service_keys import ServiceKeyRegistry
from api.storage.shades import ShadeRepository


@dataclass(frozen=True)
class Storage:
    """Every repository over one client."""

    measurements: MeasurementRepository
    formulations: FormulationRepository
    shades: ShadeRepository
    orders: OrderRepository
    outboxes: Outboxes
    customers: CustomerRepository
    consents: ConsentRepository
    service_keys: ServiceKeyRegistry
    rate_limits: RateLimits
    revoked_tokens: RevokedTokens
    lab_staff: LabStaffRepository
    _client: RedisClient

    @classmethod
    def over(cls, client: RedisClient, *, retention_seconds: int | None = None) -> Storage:
        return cls(
            measurements=MeasurementRepository(client, retention_seconds=retention_seconds),
            formulations=FormulationRepository(client),
            shades=ShadeRepository(client),
            orders=OrderRepository(client),
            outboxes=Outboxes(client),
            customers=CustomerRepository(client),
            consents=ConsentRepository(client),
            service_keys=ServiceKeyRegistry(client),
            rate_limits=RateLimits(client),
            revoked_tokens=RevokedTokens(client),
            lab_staff=LabStaffRepository(client),
            _client=client,
        )

    @classmethod
    def open(cls, settings: Settings) -> Storage:
        """Storage for ``settings.redis_url`` (measurements kept for ``settings.retention_days``)."""
        return cls.over(connect(settings), retention_seconds=settings.retention_days * 24 * 3600)

    async def ready(self) -> bool:
        """True when Redis answers."""
        return await ping(self._client)

    async def aclose(self) -> None:
        await self._client.aclose()
