"""What a customer gets back when exercising their data rights: everything kept, what erasure did, and the consent
to keeping their measurement history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.formulations.schemas import CorrectionOut, FormulationOut
from api.measurements.schemas import ConsentVersion, MeasurementOut
from api.orders.schemas import OrderOut


class HistoryConsentIn(BaseModel):
    """Give or withdraw the consent to keeping the measurement history for progress tracking. Without it only the
    latest measurement is kept; withdrawing it deletes every older one at once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"granted": True, "notice": "2026-01"}, {"granted": False}]},
    )

    granted: bool = Field(description="True to keep the history, false to keep only the latest measurement")
    notice: ConsentVersion | None = Field(
        default=None, description="The privacy notice version shown to the customer; required to grant"
    )

    @model_validator(mode="after")
    def _notice_to_grant(self) -> HistoryConsentIn:
        if self.granted and self.notice is None:
            raise ValueError("`notice` (the privacy notice version accepted) is required to grant the consent")
        return self


class HistoryConsentEventOut(BaseModel):
    """One grant or withdrawal of the history consent, as recorded."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"granted": True, "notice": "2026-01", "updated_at": "2026-03-01T09:30:00Z"}]}
    )

    granted: bool
    notice: str | None = Field(description="The privacy notice version it was given under, if stated")
    updated_at: datetime


class HistoryConsentOut(BaseModel):
    """The customer's consent to keeping their measurement history (optional, separate from the consent each
    measurement is made under). Never given means not granted: only the latest measurement is kept."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"granted": True, "notice": "2026-01", "updated_at": "2026-03-01T09:30:00Z", "measurements_deleted": 0},
                {"granted": False, "notice": None, "updated_at": "2026-06-01T09:30:00Z", "measurements_deleted": 4},
            ]
        }
    )

    granted: bool = Field(description="Whether the measurement history is kept")
    notice: str | None = Field(description="The privacy notice version the consent was given or withdrawn under")
    updated_at: datetime | None = Field(description="When it was last given or withdrawn; null if never")
    measurements_deleted: int = Field(
        default=0, description="Measurements this change deleted (a withdrawal keeps only the latest); 0 on reading"
    )


class DataExport(BaseModel):
    """Everything kept about the caller: measurements (with every per-region metric), the history consent and its
    record, formulations, the lab's corrections of their batches, and orders with their addresses."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cus_demo",
                    "exported_at": "2025-06-04T08:00:00Z",
                    "measurements": [],
                    "history_consent": {"granted": False, "notice": None, "updated_at": None},
                    "history_consent_log": [],
                    "formulations": [],
                    "corrections": [],
                    "orders": [],
                }
            ]
        }
    )

    customer_id: str
    exported_at: datetime
    measurements: list[MeasurementOut]
    history_consent: HistoryConsentOut
    history_consent_log: list[HistoryConsentEventOut] = Field(description="Every grant and withdrawal, oldest first")
    formulations: list[FormulationOut]
    corrections: list[CorrectionOut]
    orders: list[OrderOut]


class ErasureOut(BaseModel):
    """What erasure did: measurements, the history consent and formulations deleted, orders not yet in production
    cancelled, and orders kept (for accounting) without name and address."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "measurements_deleted": 3,
                    "formulations_deleted": 2,
                    "orders_cancelled": 1,
                    "orders_kept_without_personal_data": 2,
                }
            ]
        }
    )

    measurements_deleted: int
    formulations_deleted: int
    orders_cancelled: int = Field(description="Orders not yet in production, cancelled")
    orders_kept_without_personal_data: int = Field(description="Orders kept without name and address")
