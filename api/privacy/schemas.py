"""What a customer gets back when exercising their data rights: everything kept, what erasure did, and the consent
to keeping their measurement history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

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


RETAINED_EXAMPLE: JsonDict = {
    "record": "batch_record",
    "id": "fml_0190c5a8e5d07c1e2f3a4b5c6d7e",
    "order_ids": ["ord_0190c5a8f1a2b3c4d5e6f7a8b902"],
    "kept": "the recipe (bases, fractions, grams), library version, coverage, batch corrections and QC results",
    "removed": "the link to you, your skin colour and measurement, the prediction on your skin, the nearest shades",
    "reason": "cosmetics batch traceability: Regulation (EC) No 1223/2009 Art. 8 and Art. 11",
}


class RetainedRecordOut(BaseModel):
    """A record that erasure keeps, without the person: what stays, what goes, and why. Kept records are linked to
    an anonymous id instead of the customer."""

    model_config = ConfigDict(json_schema_extra={"examples": [RETAINED_EXAMPLE]})

    record: Literal["order", "batch_record"] = Field(
        description="`order`: an order (accounting); `batch_record`: a formulation that went into production"
    )
    id: str = Field(description="The order (`ord_…`) or formulation (`fml_…`)")
    order_ids: list[str] = Field(description="The orders it belongs to")
    kept: str = Field(description="What stays")
    removed: str = Field(description="What erasure removes from it")
    reason: str = Field(description="Why it is kept")


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
                    "kept_on_erasure": [RETAINED_EXAMPLE],
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
    kept_on_erasure: list[RetainedRecordOut] = Field(
        description="What erasing now would keep, without the person, and why (every other item above is deleted)"
    )


class ErasureOut(BaseModel):
    """What erasure did: measurements, the history consent and formulations deleted, orders not yet in production
    cancelled, orders kept (for accounting) without name and address, and the batch records of what was made kept;
    everything kept is linked to an anonymous id, no longer to the customer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "measurements_deleted": 3,
                    "formulations_deleted": 2,
                    "orders_cancelled": 1,
                    "orders_kept_without_personal_data": 2,
                    "batch_records_kept": 1,
                    "kept": [RETAINED_EXAMPLE],
                }
            ]
        }
    )

    measurements_deleted: int
    formulations_deleted: int = Field(description="Formulations deleted entirely (those not kept as batch records)")
    orders_cancelled: int = Field(description="Orders not yet in production, cancelled")
    orders_kept_without_personal_data: int = Field(description="Orders kept without name and address")
    batch_records_kept: int = Field(description="Formulations of orders that reached production, kept as batch records")
    kept: list[RetainedRecordOut] = Field(description="Every record kept, what stays of it, and why")
