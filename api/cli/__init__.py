"""The ``tonematch`` command line: ``serve``, ``worker``, ``token``, ``orders``, ``catalog``, ``measure``, ``card``,
``formulate``, ``bases``, ``timeline`` and ``compare``."""

from __future__ import annotations

import sys

import click

from api.cli.admin import orders, token
from api.cli.catalog import catalog
from api.cli.lab_staff import lab_staff
from api.cli.report import report
from api.cli.science import bases, card, formulate, measure
from api.cli.serve import serve, worker
from api.cli.skin import compare, timeline


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """tonematch: skin tone measurement and made-to-order foundation."""


for command in (
    serve,
    worker,
    token,
    orders,
    catalog,
    measure,
    card,
    formulate,
    bases,
    timeline,
    compare,
    report,
    lab_staff,
):
    cli.add_command(command)


def main() -> None:
    sys.exit(cli.main(prog_name="tonematch", standalone_mode=True))


if __name__ == "__main__":
    main()
