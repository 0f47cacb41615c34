"""Why a formulation misses its target: the out-of-gamut explanation of ``catalog.gamut``, as the API gives it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GamutLimitOut(BaseModel):
    """A limit that holds the recipe back from the target: relaxing it by half would bring the colour closer."""

    kind: Literal["base_cap", "load_max", "load_min", "load_fixed", "combined", "resolution", "spectral_shape"] = Field(
        description="`base_cap`: one base at its maximum share; `load_max` / `load_min`: the total pigment at an "
        "end of the coverage's range; `load_fixed`: the coverage's fixed total; `combined`: the active limits "
        "together, none alone; `resolution`: reached before rounding, not after (the dispenser's step is coarse "
        "for this bottle); `spectral_shape`: no amount limit binds, the bases' spectra cannot make the colour "
        "(another pigment is needed)"
    )
    base: str | None = Field(default=None, description="The base at its cap (`base_cap` only)")
    limit_fraction: float | None = Field(
        default=None,
        description="The limit as a mass fraction of the foundation (`resolution`: the dispenser step ÷ the size)",
    )
    gain_dE00: float = Field(
        description="How much closer (CIEDE2000) the recipe gets with the limit relaxed by half, against the same "
        "optimisation with nothing relaxed (`resolution`: what rounding costs)"
    )


class GamutGapOut(BaseModel):
    """Why the target is out of reach: how the nearest reachable colour (`predicted_lab`) differs, and what binds."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lightness_difference": 4.0,
                    "chroma_difference": -5.6,
                    "hue_difference_deg": -8.0,
                    "binding_limits": [{"kind": "spectral_shape", "gain_dE00": 0.0}],
                    "explanation": "nearest reachable colour: 4.0 L* lighter, 5.6 C* duller, 8° redder; held back by "
                    "no amount limit: the bases' spectra cannot make this colour",
                }
            ]
        }
    )

    lightness_difference: float = Field(description="L* of `predicted_lab` minus L* of `target_lab`")
    chroma_difference: float = Field(description="C*ab of `predicted_lab` minus C*ab of `target_lab`")
    hue_difference_deg: float | None = Field(
        description="Hue angle of `predicted_lab` minus that of `target_lab`, degrees, in (−180, 180]; null when "
        "either has a chroma below 3 (its hue means little)"
    )
    binding_limits: list[GamutLimitOut] = Field(description="What holds the recipe back, the largest effect first")
    explanation: str = Field(description="The same in words, for the formulator")
