"""Helpers for tests that keep more than one measurement of a customer: the history consent."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

HISTORY_CONSENT_URL = "/v1/me/history-consent"


def grant_history(client: TestClient[Litestar], headers: dict[str, str], notice: str = "2026-01") -> None:
    """Give the customer's consent to keeping their measurement history (else only the latest is kept)."""
    response = client.put(HISTORY_CONSENT_URL, json={"granted": True, "notice": notice}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["granted"] is True
