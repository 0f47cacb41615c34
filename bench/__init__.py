"""Benchmarks: programs that print tables and ratios measured in one run (`make bench`)."""

import color  # noqa: F401 - imports colour-science with its plotting notice filtered, before anything else does
