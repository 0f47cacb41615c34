"""What a customer gets back when exercising their data rights: everything kept, and what erasure did."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.formulations.schemas import CorrectionOut, FormulationOut
from api.measurements.schemas import MeasurementOut
from api.orders.schemas import OrderOut


class DataExport(BaseModel):
    """Everything kept about the caller: measurements, formulations, the lab's corrections of their batches, and
    orders with their addresses."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "cus_demo",
                    "exported_at": "2025-06-04T08:00:00Z",
                    "measurements": [],
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
    formulations: list[FormulationOut]
    corrections: list[CorrectionOut]
    orders: list[OrderOut]


class ErasureOut(BaseModel):
    """What erasure did: measurements and formulations deleted, orders not yet in production cancelled, and
    orders kept (for accounting) without name and address."""

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
