"""The customer's timeline: indices in order, change beyond noise, trend, said plainly; one measurement gives no
trend; another customer's measurements never appear."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import api.measurements.service as service_module
from api.formulations.schemas import FORMULATION_EXAMPLE, FormulationOut
from api.measurements.region_schemas import RegionOut, SpotsOut
from api.measurements.timeline import timeline
from api.web.tokens import Role
from tests.api.measurements.test_compare import measurement
from tests.api.privacy.helpers import grant_history
from tests.api.web.test_problems import READING

URL = "/v1/measurements/timeline"


def test_no_measurement_and_one_measurement_say_so(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth(Role.CUSTOMER, "cus_t1")
    empty = client.get(URL, headers=headers).json()
    assert empty["points"] == []
    assert "no measurement so far" in empty["metrics"][0]["verdict"]
    client.post("/v1/measurements/", json=READING, headers=headers)
    one = client.get(URL, headers=headers).json()
    assert len(one["points"]) == 1
    assert all(m["slope_per_month"] is None and m["change_since_first"] is None for m in one["metrics"])
    assert all("a trend needs three measurements" in m["verdict"].lower() for m in one["metrics"])
    assert one["history_kept"] is False
    assert "PUT /v1/me/history-consent" in one["note"]  # why there is one point at most
    client.post("/v1/measurements/", json=READING, headers=headers)
    assert len(client.get(URL, headers=headers).json()["points"]) == 1  # the older one was not kept


def test_a_redder_skin_over_months_is_a_change_and_a_trend_and_others_do_not_see_it(
    client: TestClient[Litestar], auth: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instrument readings state no uncertainty: the change then cannot be told from noise, said so; the trend
    over five readings a month apart is still computed."""
    headers = auth(Role.CUSTOMER, "cus_t2")
    grant_history(client, headers)
    start = datetime(2026, 1, 5, tzinfo=UTC)

    class Clock(datetime):
        at = start

        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return cls.at

    monkeypatch.setattr(service_module, "datetime", Clock)
    for month in range(5):
        Clock.at = start + timedelta(days=30 * month)
        reading = {**READING, "lab": {"L": 60.0, "a": 10.0 + 1.5 * month, "b": 17.0}}
        assert client.post("/v1/measurements/", json=reading, headers=headers).status_code == 201
    body = client.get(URL, headers=headers).json()
    assert body["history_kept"] is True
    assert body["note"] is None
    assert [p["created_at"][:10] for p in body["points"]] == ["2026-01-05", "2026-02-04", "2026-03-06",
                                                               "2026-04-05", "2026-05-05"]  # fmt: skip
    redness = next(m for m in body["metrics"] if m["metric"] == "erythema_uM_cm")
    assert redness["points"] == 5
    assert redness["change_since_first"] > 1.0
    assert redness["change_combined_95"] is None
    assert "cannot be told" in redness["verdict"]
    assert redness["slope_per_month"] > 0
    assert redness["slope_low_per_month"] > 0
    assert "a steady change" in redness["verdict"]
    other = client.get(URL, headers=auth(Role.CUSTOMER, "cus_other")).json()
    assert other["points"] == []


def test_the_timeline_is_for_customers(client: TestClient[Litestar], auth: Callable[..., dict[str, str]]) -> None:
    assert client.get(URL, headers=auth(Role.LAB)).status_code == 403


def test_evenness_spots_and_the_formulation_in_use_each_period() -> None:
    """Evenness and spot area are the cheeks' means (forehead left out), their change weighed against their
    half-widths (told without a verdict for measurements kept before they had one); each point names the newest
    formulation made before it, and each formulation until when it was newest."""

    def regions(evenness: float, share: float, half_widths: bool = False) -> list[RegionOut]:
        def one(name: str, value: float, tone: bool) -> RegionOut:
            return RegionOut(
                name=name, lab={"L": 58, "a": 13, "b": 18}, pixels=1, skin_pixels=1, spread_dE00=1.0,
                evenness_dE00=value, in_skin_tone=tone, evenness_dE00_95=0.2 if half_widths else None,
                spots=SpotsOut(count=1, area_share=share, mean_contrast_dE00=3.0, min_area_mm2=0.8,
                               min_contrast_dE00=2.5, area_share_95=0.01 if half_widths else None),
            )  # fmt: skip

        return [one("left_cheek", evenness, True), one("right_cheek", evenness + 0.2, True), one("forehead", 9, False)]

    days = [datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=30 * k) for k in range(3)]
    points = [
        measurement(f"msr_{k}", day, regions=regions(1.5 - 0.2 * k, 0.04 - 0.01 * k)) for k, day in enumerate(days)
    ]
    recipe = FormulationOut.model_validate(FORMULATION_EXAMPLE)
    made = [
        recipe.model_copy(
            update={"id": "fml_1", "measurement_id": "msr_0", "created_at": days[0] + timedelta(hours=1)}
        ),
        recipe.model_copy(
            update={"id": "fml_2", "measurement_id": "msr_1", "created_at": days[1] + timedelta(hours=1)}
        ),
    ]
    found = timeline(points, made[::-1])
    assert [p.evenness_dE00 for p in found.points] == [1.6, 1.4, 1.2]
    assert [p.spot_area_share for p in found.points] == [0.04, 0.03, 0.02]
    assert [p.formulation_id for p in found.points] == [None, "fml_1", "fml_2"]  # made an hour after each
    assert [(f.formulation_id, f.in_use_until) for f in found.formulations] == [
        ("fml_1", made[1].created_at), ("fml_2", None),
    ]  # fmt: skip
    evenness = next(m for m in found.metrics if m.metric == "evenness_dE00")
    assert evenness.change_since_first == pytest.approx(-0.4)
    assert "cannot be told (a measurement made before evenness had a stated uncertainty)" in evenness.verdict
    assert "Trend" in evenness.verdict

    stated = [
        measurement(f"msr_{k}", day, regions=regions(1.5 - 0.05 * k, 0.04 - 0.01 * k, half_widths=True))
        for k, day in enumerate(days)
    ]
    weighed = {m.metric: m for m in timeline(stated, []).metrics}
    assert weighed["evenness_dE00"].change_combined_95 == pytest.approx(0.2 * 2**0.5, abs=1e-3)
    assert "no change you can tell from measurement noise" in weighed["evenness_dE00"].verdict  # 0.1 < 0.28
    assert weighed["spot_area_share"].change_combined_95 == pytest.approx(0.01 * 2**0.5, abs=1e-3)
    assert "down 0.020 since" in weighed["spot_area_share"].verdict  # 0.02 > 0.014: beyond noise
    assert "(±0.014)" in weighed["spot_area_share"].verdict  # a share's noise told to its digits, not as ±0.01
    assert "beyond what measurement noise explains" in weighed["spot_area_share"].verdict


def test_a_consistent_drift_within_the_noise_is_not_a_steady_change() -> None:
    """Four photos whose erythema index creeps up by 0.1 µM·cm a month (half-width 0.5 each): the Theil-Sen
    interval excludes zero, but over three months the trend moves the index by 0.3, less than the first and last
    photos' combined noise (±0.71), so it is no steady change; at 0.5 a month (1.5 over the span) it is one."""
    days = [datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=30 * k) for k in range(4)]

    def redness(per_month: float) -> dict[str, object]:
        points = [measurement(f"msr_{k}", day, a=14.0 + 10 * per_month * k) for k, day in enumerate(days)]
        return next(m for m in timeline(points).metrics if m.metric == "erythema_uM_cm").model_dump()

    creeping = redness(0.1)
    assert creeping["slope_low_per_month"] > 0  # the slope alone would say "a change"
    assert creeping["steady"] is False
    assert "no larger over this time than measurement noise" in creeping["verdict"]
    rising = redness(0.5)
    assert rising["steady"] is True
    assert "a steady change" in rising["verdict"]
