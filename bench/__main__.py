"""Run every benchmark in this folder (`python -m bench`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if not names:
        print("no benchmarks yet")
        return 0
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main(sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
