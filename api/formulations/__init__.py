"""Formulations: a recipe of pigment bases for a measurement, the nearest shades, the lab's batch sheets."""
