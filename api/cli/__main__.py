"""``python -m api.cli``: the same as the ``tonematch`` command (``serve`` starts its worker this way)."""

from api.cli import main

main()
