"""Pure catalogue and formulation logic: existing shades, pigment bases (Kubelka-Munk) and recipes.

No HTTP, no Redis; packaged data is loaded in one place.
"""
