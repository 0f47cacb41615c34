"""What a customer gets back when exercising their data rights: everything kept, and what erasure did."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.formulations.schemas import CorrectionOut, FormulationOut
from api.measurements.schemas import MeasurementOut
from api.orders.schemas import OrderOut


class DataExport(BaseModel):
    """Everything kept about the caller."""

    customer_id: str
    exported_at: datetime
    measurements: list[MeasurementOut]
    formulations: list[FormulationOut]
    corrections: list[CorrectionOut]
    orders: list[OrderOut]


class ErasureOut(BaseModel):
    measurements_deleted: int
    formulations_deleted: int
    orders_cancelled: int
    orders_kept_without_personal_data: int
