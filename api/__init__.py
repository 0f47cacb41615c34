"""tonematch HTTP layer (Litestar) and command line."""
