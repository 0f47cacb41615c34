"""Measurements: turn a photo or an instrument reading into stored numbers, and read them back.

The core (``color``) returns result objects; this service maps them to the response schemas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from api.errors import InvalidRequest, NotFound, UnknownConsentVersion
from api.formulations.schemas import FormulationOut
from api.measurements.analysis_schemas import ComparisonOut, TimelineOut
from api.measurements.compare import compare
from api.measurements.regions import lab_out as lab_out  # noqa: PLC0414 - api.formulations reads it here
from api.measurements.regions import left_right_out, regions_out
from api.measurements.schemas import (
    CalibrationOut,
    InputMode,
    InstrumentInfo,
    InstrumentReadingIn,
    LabHalfWidthsOut,
    MeasurementOut,
    MeasurementPage,
    PhotoResultOut,
    QualityCheckOut,
    SceneWhiteOut,
    SkinIndicesOut,
    SkinToneOut,
)
from api.measurements.timeline import timeline
from api.memory import PhotoBudget
from api.storage.formulations import FormulationRepository
from api.storage.ids import MEASUREMENT_ID_PREFIX, is_valid_id, new_id
from api.storage.measurements import MeasurementRepository
from api.web.metrics import MEASUREMENTS
from color.crops import measure_crops
from color.errors import InvalidColorInput
from color.instrument import Lab_reading_to_D65, check_skin_colour, reflectance_to_Lab_D65
from color.lab_uncertainty import ColourUncertainty, half_widths_95
from color.measure import Measurement, measure_photo
from color.skin_indices import skin_indices_from_Lab
from color.skin_tone import SkinToneDescription, describe_skin_tone


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    """A photo to measure, held in memory only, with the customer's consent and optional hints."""

    photo: bytes
    consent: str
    card: str | None
    regions: Any


@dataclass(frozen=True, slots=True)
class CropsUpload:
    """Crops of one photo cut on the device (the card's, and one per skin region), held in memory only.

    ``crops`` is the parsed document placing them in the frame (``color.crops``); ``parts`` their encoded
    images by part name.
    """

    crops: Any
    parts: dict[str, bytes]
    consent: str
    card: str | None


def skin_indices_out(Lab: Any, uncertainty: ColourUncertainty | None) -> SkinIndicesOut:
    """The melanin and erythema indices of a measured colour, half-widths from its stated uncertainty (if any)."""
    covariance = None if uncertainty is None else uncertainty.covariance(Lab)
    indices = skin_indices_from_Lab(Lab, covariance_Lab=covariance)

    def number(value: Any, digits: int) -> float | None:
        value = float(value)
        return round(value, digits) if math.isfinite(value) else None

    return SkinIndicesOut(
        melanin_od=round(float(indices.melanin_od), 4),
        melanin_od_95=number(indices.melanin_od_95, 4),
        erythema_uM_cm=round(float(indices.blood_uM_cm), 3),
        erythema_uM_cm_95=number(indices.blood_uM_cm_95, 3),
        off_model_dE00=round(float(indices.residual_dE00), 3),
    )


def lab_half_widths_out(Lab: Any, uncertainty: ColourUncertainty) -> LabHalfWidthsOut:
    """Each coordinate's 95 % half-width at the measured colour (``color.lab_uncertainty``)."""
    widths = half_widths_95(Lab, uncertainty.covariance(Lab))
    return LabHalfWidthsOut(
        L=round(widths.L, 2), a=round(widths.a, 2), b=round(widths.b, 2), ita_deg=round(widths.ita_deg, 2)
    )


def skin_tone_out(description: SkinToneDescription) -> SkinToneOut:
    return SkinToneOut(
        ita_deg=round(description.ita_deg, 2),
        ita_class=description.ita_class,
        hue_deg=round(description.hue_deg, 2),
        chroma=round(description.chroma, 2),
        undertone=description.undertone.value,
        monk_tone=description.monk_tone,
        monk_delta_E00=round(description.monk_delta_E00, 2),
    )


def photo_result(measured: Measurement) -> PhotoResultOut:
    """What a photo measurement says, as the API and the CLI show it."""
    return PhotoResultOut(
        lab=lab_out(measured.Lab_D65),
        uncertainty_dE00=round(measured.uncertainty_dE00_95, 2),
        lab_95=lab_half_widths_out(measured.Lab_D65, measured.uncertainty),
        skin_tone=skin_tone_out(measured.skin_tone),
        calibration=CalibrationOut(
            card_id=measured.card_id,
            card_batch=measured.card_batch,
            model=measured.calibration_method,
            residual_dE00_median=round(measured.calibration_residual_dE00_median, 3),
            loo_dE00_median=round(measured.calibration_loo_dE00_median, 3),
            loo_skin_dE00_rms=round(measured.calibration_loo_skin_dE00_rms, 3),
            models_loo_skin_dE00=measured.candidates_loo_skin_dE00,
            scene_white=SceneWhiteOut(
                as_shot_xy=[round(float(v), 4) for v in measured.as_shot_white_xy],
                as_shot_cct_K=None if measured.as_shot_white_cct_K is None else round(measured.as_shot_white_cct_K),
            ),
            mirrored_photo=measured.mirrored,
        ),
        regions=regions_out(measured.regions, measured.region_analyses),
        left_right=left_right_out(measured.left_right),
        cheek_difference_dE00=round(measured.cheek_difference_dE00, 2),
        quality=[
            QualityCheckOut(check=q.name, passed=q.passed, value=q.value, limit=q.limit, detail=q.detail)
            for q in measured.quality
        ],
    )


class MeasurementService:
    """A customer's measurements. Photos are measured in worker threads, off the event loop, a few at once."""

    def __init__(
        self,
        repository: MeasurementRepository,
        *,
        limiter: anyio.CapacityLimiter,
        face_model: Path | None,
        privacy_notices: tuple[str, ...] = ("2026-01",),
        formulation_records: FormulationRepository | None = None,
    ) -> None:
        self._repository = repository
        self._formulation_records = formulation_records  # read for the timeline: when the recipe changed
        self._limiter = limiter
        self._photos = PhotoBudget(limiter)
        self._face_model = face_model
        self._privacy_notices = privacy_notices

    def check_consent(self, consent: str) -> None:
        """The consent must name a privacy notice this service has published, not any string."""
        if consent not in self._privacy_notices:
            raise UnknownConsentVersion(
                f"Consent to privacy notice {consent!r} cannot be recorded: the notices in force are "
                f"{', '.join(self._privacy_notices)}.",
                hint="Show the customer the current privacy notice and send the version they accepted.",
            )

    async def record_instrument_reading(self, customer_id: str, reading: InstrumentReadingIn) -> MeasurementOut:
        """Convert an instrument reading to CIELAB D65/2°, describe it, and store it for the customer."""
        self.check_consent(reading.consent)
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
        check_skin_colour(converted.Lab_D65)
        measurement = MeasurementOut(
            id=new_id(MEASUREMENT_ID_PREFIX),
            source="instrument",
            created_at=datetime.now(UTC),
            consent=reading.consent,
            lab=lab_out(converted.Lab_D65),
            skin_tone=skin_tone_out(describe_skin_tone(converted.Lab_D65)),
            skin_indices=skin_indices_out(converted.Lab_D65, None),
            instrument=InstrumentInfo(
                name=reading.instrument, illuminant=illuminant, observer=observer, conversion=converted.method
            ),
        )
        await self._repository.add(customer_id, measurement.id, measurement.model_dump(mode="json"))
        MEASUREMENTS.labels(source="instrument", outcome="answered").inc()
        return measurement

    async def record_photo(self, customer_id: str, upload: PhotoUpload) -> MeasurementOut:
        """Measure the photo in a worker thread, then keep only the numbers."""
        self.check_consent(upload.consent)
        measured = await self._photos.run(
            upload.photo,
            partial(measure_photo, upload.photo, card=upload.card, regions=upload.regions, face_model=self._face_model),
        )
        return await self._record_measured(customer_id, measured, consent=upload.consent, input_mode="whole_photo")

    async def record_crops(self, customer_id: str, upload: CropsUpload) -> MeasurementOut:
        """Check and measure the crops of one photo in a worker thread, then keep only the numbers."""
        self.check_consent(upload.consent)
        measured = await anyio.to_thread.run_sync(
            partial(measure_crops, upload.crops, upload.parts, card=upload.card), limiter=self._limiter
        )
        return await self._record_measured(customer_id, measured, consent=upload.consent, input_mode="crops")

    async def _record_measured(
        self, customer_id: str, measured: Measurement, *, consent: str, input_mode: InputMode
    ) -> MeasurementOut:
        result = photo_result(measured)
        measurement = MeasurementOut(
            id=new_id(MEASUREMENT_ID_PREFIX),
            source="photo",
            input_mode=input_mode,
            created_at=datetime.now(UTC),
            consent=consent,
            lab=result.lab,
            uncertainty_dE00=result.uncertainty_dE00,
            lab_95=result.lab_95,
            skin_tone=result.skin_tone,
            skin_indices=skin_indices_out(measured.Lab_D65, measured.uncertainty),
            calibration=result.calibration,
            regions=result.regions,
            cheek_difference_dE00=result.cheek_difference_dE00,
            left_right=result.left_right,
            quality=result.quality,
        )
        await self._repository.add(customer_id, measurement.id, measurement.model_dump(mode="json"))
        MEASUREMENTS.labels(source=input_mode, outcome="answered").inc()
        return measurement

    async def find(self, customer_id: str, measurement_id: str) -> MeasurementOut | None:
        """The customer's measurement, or None (unknown, another's, or expired)."""
        if not is_valid_id(measurement_id, MEASUREMENT_ID_PREFIX):
            return None
        record = await self._repository.get(customer_id, measurement_id)
        return None if record is None else MeasurementOut.model_validate(record)

    async def get(self, customer_id: str, measurement_id: str) -> MeasurementOut:
        """The customer's measurement; 404 otherwise."""
        measurement = await self.find(customer_id, measurement_id)
        if measurement is None:
            raise NotFound(f"No measurement {measurement_id!r}.")
        return measurement

    async def list_page(self, customer_id: str, *, limit: int, cursor: str | None) -> MeasurementPage:
        """A page, newest first, after ``cursor`` (the last id of the page before, as ``next_cursor`` gave it)."""
        if cursor is not None and not is_valid_id(cursor, MEASUREMENT_ID_PREFIX):
            raise InvalidRequest("The cursor is not one this API returned.")
        records, next_cursor = await self._repository.list_page(customer_id, limit=limit, before=cursor)
        return MeasurementPage(items=[MeasurementOut.model_validate(r) for r in records], next_cursor=next_cursor)

    async def all_of(self, customer_id: str) -> list[MeasurementOut]:
        """Every measurement the customer still has, oldest first (expired ones are gone)."""
        found = [await self.find(customer_id, i) for i in await self._repository.ids(customer_id)]
        return [m for m in found if m is not None]

    async def timeline(self, customer_id: str) -> TimelineOut:
        """Every measurement the customer still has, oldest first, with each metric's change and trend, and the
        formulations made meanwhile."""
        formulations = []
        if self._formulation_records is not None:
            for formulation_id in await self._formulation_records.ids(customer_id):
                record = await self._formulation_records.get(customer_id, formulation_id)
                if record is not None:
                    formulations.append(FormulationOut.model_validate(record))
        kept = await self._repository.history_kept(customer_id)
        return timeline(await self.all_of(customer_id), formulations, history_kept=kept)

    async def compare(self, customer_id: str, before_id: str, after_id: str) -> ComparisonOut:
        """Two of the customer's own measurements compared (``api.measurements.compare``); 404 for an id that is
        not theirs, 400 for the same id twice."""
        if before_id == after_id:
            raise InvalidRequest(
                "`before` and `after` are the same measurement: compare two different ones.",
                extra={"errors": [{"key": "after", "message": "must differ from before", "source": "query"}]},
            )
        return compare(await self.get(customer_id, before_id), await self.get(customer_id, after_id))

    async def ids_of(self, customer_id: str) -> list[str]:
        return await self._repository.ids(customer_id)
