"""What the importers share: the report, reading plain or gzipped files, and a bulk
create-or-update by natural key that never queries per row."""

import gzip
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db.models import Model

BATCH = 2000


class ImportFailed(Exception):
    """The source cannot be imported (missing file, unreadable feed); nothing was written."""


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...
    def close(self) -> Any: ...


ProgressFactory = Callable[[int, str], Progress]


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(total: int, desc: str) -> Progress:
    return _NoProgress()


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: Counter = field(default_factory=Counter)

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] += n


@dataclass
class ImportReport:
    """What an import read from its source and what it did, entity by entity."""

    read: dict[str, int] = field(default_factory=dict)
    entities: dict[str, Counts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, entity: str) -> Counts:
        return self.entities.setdefault(entity, Counts())

    @property
    def created(self) -> int:
        return sum(c.created for c in self.entities.values())

    @property
    def changed(self) -> int:
        return sum(c.created + c.updated + c.deleted for c in self.entities.values())

    def lines(self) -> list[str]:
        out = ["Read:"]
        out += [f"  {name}: {value:,}" for name, value in self.read.items()]
        out.append("Result:")
        for name, c in self.entities.items():
            line = (
                f"  {name}: {c.created:,} created, {c.updated:,} updated, {c.unchanged:,} unchanged"
            )
            if c.deleted:
                line += f", {c.deleted:,} deleted"
            skipped = sum(c.skipped.values())
            if skipped:
                line += f", {skipped:,} skipped"
            out.append(line)
            for reason, n in c.skipped.most_common():
                out.append(f"      skipped {n:,}: {reason}")
        out += [f"Note: {note}" for note in self.notes]
        return out


def open_text(path: Path) -> io.TextIOBase:
    """Open `path`, or `path` + '.gz' when only the compressed file exists, as UTF-8 text
    (a byte-order mark is dropped)."""
    if not path.is_file():
        if not path.with_name(path.name + ".gz").is_file():
            raise ImportFailed(f"{path} (or {path.name}.gz) is missing.")
        path = path.with_name(path.name + ".gz")
    # The caller closes the returned stream (and with it the file).
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def sync_rows(
    model: type[Model],
    rows: dict[Any, dict[str, Any]],
    existing: dict[Any, tuple],
    fields: list[str],
    counts: Counts,
    progress: Progress | None = None,
) -> list[Model]:
    """Create the rows of `rows` (natural key -> field values) that `existing` (natural key ->
    (pk, *values of `fields`)) lacks, and update those whose `fields` differ. Returns the
    instances created. Bulk statements only, in batches: no query per row."""
    to_create, to_update = [], []
    for key, values in rows.items():
        current = existing.get(key)
        if current is None:
            to_create.append(model(**values))
        elif tuple(values[name] for name in fields) != tuple(current[1:]):
            to_update.append(model(pk=current[0], **{name: values[name] for name in fields}))
        else:
            counts.unchanged += 1
            if progress:
                progress.update(1)
    created = bulk_create(model, to_create, progress)
    for batch in chunked(to_update):
        model.objects.bulk_update(batch, fields)
        if progress:
            progress.update(len(batch))
    counts.created += len(created)
    counts.updated += len(to_update)
    return created


def bulk_create(
    model: type[Model], objs: list[Model], progress: Progress | None = None
) -> list[Model]:
    created = []
    for start in range(0, len(objs), BATCH):
        created += model.objects.bulk_create(objs[start : start + BATCH])
        if progress:
            progress.update(len(objs[start : start + BATCH]))
    return created


def chunked(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
