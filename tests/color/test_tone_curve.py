"""The tone model: the phone's curve and white balance recovered from neutral patches."""

from __future__ import annotations

import numpy as np
import pytest

from color.tone_curve import fit_tone_model


def test_tone_model_recovers_a_gamma_and_gains() -> None:
    Y = np.array([0.9, 0.6, 0.4, 0.2, 0.1, 0.05, 0.02])
    gains = np.array([0.8, 1.0, 1.25])
    observed = (Y[:, None] * gains) ** (1 / 1.3)  # a phone with a different curve and a colour cast
    model = fit_tone_model(observed, Y, np.ones(len(Y), dtype=bool))
    assert model.apply(observed) == pytest.approx(np.repeat(Y[:, None], 3, axis=1), rel=1e-6)
