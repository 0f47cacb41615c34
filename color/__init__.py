"""Pure colour science for tonematch: the reference card, calibration and skin tone.

No HTTP, no Redis, no file reads at call time (packaged data is loaded in ``color.data``).
Colours are float64 arrays with the space in their names (``XYZ_D65``, ``Lab``, ``RGB_linear``); CIELAB is
CIE 1976 L*a*b* with the D65 white point and the CIE 1931 2° observer unless a name says otherwise.
"""

import warnings

with warnings.catch_warnings():
    # colour-science warns at import that its plotting API needs Matplotlib, which we do not use.
    warnings.filterwarnings("ignore", message='"Matplotlib" related API features are not available')
    import colour  # noqa: F401
