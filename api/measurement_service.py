"""Measurements: turn an input into stored numbers. The HTTP layer calls these and returns their result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from api.ids import is_valid_id, new_id
from api.schemas import (
    CalibrationOut,
    InstrumentInfo,
    InstrumentReadingIn,
    LabD65,
    MeasurementOut,
    MeasurementPage,
    QualityCheckOut,
    RegionOut,
    SkinToneOut,
)
from api.store import MeasurementRepository
from color.errors import InvalidColorInput
from color.instrument import Lab_reading_to_D65, reflectance_to_Lab_D65
from color.measure import Measurement, measure_photo
from color.skin_tone import describe_skin_tone

MEASUREMENT_ID_PREFIX = "msr"


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    """A photo to measure, held in memory only, with the customer's consent and optional hints."""

    photo: bytes
    consent: str
    card: str | None
    regions: Any


def _skin_tone(Lab: list[float]) -> SkinToneOut:
    description = describe_skin_tone(Lab)
    return SkinToneOut(
        ita_deg=round(description.ita_deg, 2),
        ita_class=description.ita_class,
        hue_deg=round(description.hue_deg, 2),
        chroma=round(description.chroma, 2),
        undertone=description.undertone.value,
        monk_tone=description.monk_tone,
        monk_delta_E00=round(description.monk_delta_E00, 2),
    )


def _lab_out(Lab: list[float]) -> LabD65:
    return LabD65(L=round(Lab[0], 3), a=round(Lab[1], 3), b=round(Lab[2], 3))


async def record_instrument_reading(
    repository: MeasurementRepository, customer_id: str, reading: InstrumentReadingIn
) -> MeasurementOut:
    """Convert an instrument reading to CIELAB D65/2°, describe it, and store it for the customer."""
    if reading.spectrum is not None:
        converted = reflectance_to_Lab_D65(reading.spectrum.wavelengths_nm, reading.spectrum.reflectance)
        illuminant, observer = None, None
    elif reading.lab is not None:
        converted = Lab_reading_to_D65(
            [reading.lab.L, reading.lab.a, reading.lab.b], reading.illuminant, reading.observer
        )
        illuminant, observer = reading.illuminant, reading.observer
    else:  # InstrumentReadingIn's validator requires exactly one of them
        raise InvalidColorInput("A reading needs `lab` or `spectrum`.")
    Lab = [float(v) for v in converted.Lab_D65]
    measurement = MeasurementOut(
        id=new_id(MEASUREMENT_ID_PREFIX),
        source="instrument",
        created_at=datetime.now(UTC),
        consent=reading.consent,
        lab=_lab_out(Lab),
        skin_tone=_skin_tone(Lab),
        instrument=InstrumentInfo(
            name=reading.instrument, illuminant=illuminant, observer=observer, conversion=converted.method
        ),
    )
    await repository.add(customer_id, measurement.id, measurement.model_dump(mode="json"))
    return measurement


def _photo_measurement(measured: Measurement, consent: str) -> MeasurementOut:
    summary = measured.as_dict()
    return MeasurementOut(
        id=new_id(MEASUREMENT_ID_PREFIX),
        source="photo",
        created_at=datetime.now(UTC),
        consent=consent,
        lab=LabD65.model_validate(summary["lab"]),
        uncertainty_dE00=summary["uncertainty_dE00"],
        skin_tone=SkinToneOut.model_validate(summary["skin_tone"]),
        calibration=CalibrationOut.model_validate(summary["calibration"]),
        regions=[RegionOut.model_validate(r) for r in summary["regions"]],
        cheek_difference_dE00=summary["cheek_difference_dE00"],
        quality=[QualityCheckOut.model_validate(q) for q in summary["quality"]],
    )


async def record_photo_measurement(
    repository: MeasurementRepository,
    customer_id: str,
    upload: PhotoUpload,
    *,
    limiter: anyio.CapacityLimiter,
    face_model: Path | None,
) -> MeasurementOut:
    """Measure the photo in a worker thread (off the event loop), then keep only the numbers."""
    measured = await anyio.to_thread.run_sync(
        partial(measure_photo, upload.photo, card=upload.card, regions=upload.regions, face_model=face_model),
        limiter=limiter,
    )
    measurement = _photo_measurement(measured, upload.consent)
    await repository.add(customer_id, measurement.id, measurement.model_dump(mode="json"))
    return measurement


async def get_measurement(
    repository: MeasurementRepository, customer_id: str, measurement_id: str
) -> MeasurementOut | None:
    if not is_valid_id(measurement_id, MEASUREMENT_ID_PREFIX):
        return None
    record = await repository.get(customer_id, measurement_id)
    return None if record is None else MeasurementOut.model_validate(record)


async def list_measurements(
    repository: MeasurementRepository, customer_id: str, *, limit: int, before: str | None
) -> MeasurementPage:
    records, cursor = await repository.list_page(customer_id, limit=limit, before=before)
    return MeasurementPage(items=[MeasurementOut.model_validate(r) for r in records], next_cursor=cursor)
