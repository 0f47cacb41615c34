"""Measurements: a photo or an instrument reading in, CIELAB (D65, 2°) with its uncertainty out."""
