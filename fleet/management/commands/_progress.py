"""Shared pieces of the fleet commands: tqdm progress bars (silent at verbosity 0) and the
run-and-report of an importer."""

import sys
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from fleet.importers.base import ImportFailed


def progress_factory(verbosity: int):
    def factory(total: int, desc: str):
        return tqdm(
            total=total,
            desc=desc,
            unit="row",
            file=sys.stderr,
            disable=verbosity < 1,
            leave=verbosity > 1,
            dynamic_ncols=True,
            mininterval=0.5,
        )

    return factory


def run_import(command: BaseCommand, importer: Callable, *, verbosity: int, **kwargs) -> None:
    """Run `importer(progress=..., **kwargs)` and print its report with the time it took;
    an ImportFailed becomes a CommandError (a clear message, exit code 1)."""
    started = time.monotonic()
    try:
        report = importer(progress=progress_factory(verbosity), **kwargs)
    except ImportFailed as exc:
        raise CommandError(str(exc)) from exc
    if verbosity:
        for line in report.lines():
            command.stdout.write(line)
        command.stdout.write(
            command.style.SUCCESS(
                f"Imported in {time.monotonic() - started:.1f} s: {report.created:,} rows "
                f"created, {report.changed - report.created:,} updated or deleted."
            )
        )
