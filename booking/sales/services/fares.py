"""Fares: a company's fare rules and its routes' stage fares, as its admins edit them, each
change audited."""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fleet.models import Route, Station
from ttms.accounts.models import User
from ttms.audit.services import audit_changes, audit_record, audit_values
from ttms.money import MAX_AMOUNT, from_major_string

from ...models import FareRule, StageFare
from ...models.fares import stage_error, stop_sequences

# A stage of a route in one class: (origin station id, destination station id, class code).
StageKey = tuple[int, int, str]

FARE_AUDITED_FIELDS = ["company", "class_code", "rate_per_km", "minimum_fare", "multipliers_bp"]


def fare_rule_save(*, fare_rule: FareRule, by: User | None) -> FareRule:
    """Save `fare_rule` as edited (its form has validated it) and audit it: "fare.created"
    with its values, or "fare.changed" with each changed field's [before, after] (nothing
    when nothing changed). Compares under the rule's row lock, so two saves at once each
    record what they changed. Money in minor units, as the rule holds it."""
    with transaction.atomic():
        old = None
        if fare_rule.pk is not None:
            old = FareRule.objects.select_for_update().filter(pk=fare_rule.pk).first()
        before = old and audit_values(instance=old, fields=FARE_AUDITED_FIELDS)
        fare_rule.save()
        after = audit_values(instance=fare_rule, fields=FARE_AUDITED_FIELDS)
        if before is None:
            audit_record(actor=by, action="fare.created", target=fare_rule, data=after)
        elif changes := audit_changes(before=before, after=after):
            audit_record(actor=by, action="fare.changed", target=fare_rule, data=changes)
    return fare_rule


def fare_rule_delete(*, fare_rule: FareRule, by: User | None) -> None:
    """Delete `fare_rule` (the class goes back to the default fares) and audit it
    ("fare.deleted", with the values it had)."""
    with transaction.atomic():
        audit_record(
            actor=by,
            action="fare.deleted",
            target=fare_rule,
            data=audit_values(instance=fare_rule, fields=FARE_AUDITED_FIELDS),
        )
        fare_rule.delete()


@dataclass(frozen=True)
class StageFaresSaved:
    created: int
    changed: int
    deleted: int


def stage_fares_check(*, route: Route, fares: Mapping[StageKey, int | None]) -> dict:
    """Why each stage of `fares` cannot be saved, as {stage: message}; empty when all can:
    both stations stops of `route`, the origin before the destination, a class code, an
    amount of 1 to MAX_AMOUNT minor units (None: no stage fare). One query."""
    sequences = stop_sequences(route.pk)
    errors = {}
    for key, amount in fares.items():
        origin_id, destination_id, class_code = key
        if origin_id == destination_id:
            error = {"destination": _("A stage ends at another stop than it starts at.")}
        else:
            error = stage_error(sequences, origin_id, destination_id)
        if error:
            errors[key] = str(next(iter(error.values())))
        elif not class_code or len(class_code) > 12:
            errors[key] = _("Give a class code of 1 to 12 characters.")
        elif amount is not None and not 0 < amount <= MAX_AMOUNT:
            errors[key] = _("Give an amount above zero.")
    return errors


def stage_fares_save(
    *, route: Route, fares: Mapping[StageKey, int | None], by: User | str | None
) -> StageFaresSaved:
    """Set the stage fares of `route` given in `fares` (minor units of the company's
    currency; None removes a stage's fare, the journey then costs the class's rate), all in
    one transaction; stages not in `fares` keep theirs. Checks every stage first
    (`stage_fares_check`) and raises ValidationError({stage: [message]}) writing nothing.
    Takes the route's stage fare rows' locks (by pk) before comparing, so two saves at
    once each record what they changed. Audits one "stage_fares.changed" entry on the route
    with each changed stage's [before, after] ("FROM-TO CLASS" by station code), nothing
    when nothing changed."""
    errors = stage_fares_check(route=route, fares=fares)
    if errors:
        raise ValidationError({f"{o}-{d}-{c}": [m] for (o, d, c), m in errors.items()})
    with transaction.atomic():
        existing = {
            (f.origin_id, f.destination_id, f.class_code): f
            for f in StageFare.objects.select_for_update(of=("self",))
            .filter(route=route, class_code__in={key[2] for key in fares})
            .select_related("origin", "destination")
            .order_by("pk")
        }
        new, changed, gone = [], [], []
        for key, amount in fares.items():
            row = existing.get(key)
            if row is None and amount is not None:
                new.append(
                    StageFare(
                        route=route,
                        origin_id=key[0],
                        destination_id=key[1],
                        class_code=key[2],
                        amount=amount,
                    )
                )
            elif row is not None and amount is None:
                gone.append(row)
            elif row is not None and row.amount != amount:
                changed.append((row, row.amount))
                row.amount = amount
        StageFare.objects.bulk_create(new)
        StageFare.objects.bulk_update([row for row, _before in changed], ["amount"])
        StageFare.objects.filter(pk__in=[row.pk for row in gone]).delete()
        if new or changed or gone:
            codes = _station_codes({key[0] for key in fares} | {key[1] for key in fares})
            data = {}
            for row in new:
                data[_label(row, codes)] = [None, row.amount]
            for row, before in changed:
                data[_label(row, codes)] = [before, row.amount]
            for row in gone:
                data[_label(row, codes)] = [row.amount, None]
            audit_record(
                actor=by,
                action="stage_fares.changed",
                target=route,
                data=dict(sorted(data.items())),
            )
    return StageFaresSaved(len(new), len(changed), len(gone))


def _station_codes(ids: set[int]) -> dict[int, str]:
    return dict(Station.objects.filter(pk__in=ids).values_list("pk", "code"))


def _label(row: StageFare, codes: dict[int, str]) -> str:
    return f"{codes[row.origin_id]}-{codes[row.destination_id]} {row.class_code}"


CSV_HEADER = ["from", "to", "class", "fare"]


@dataclass(frozen=True)
class StageFaresImported:
    rows: int
    saved: StageFaresSaved
    dry_run: bool


def stage_fares_import(
    *, route: Route, text: str, by: User | str | None, dry_run: bool = False
) -> StageFaresImported:
    """Import stage fares of `route` from CSV `text`: a header `from,to,class,fare`, then
    one stage a line (station codes, class code, fare in major units of the company's
    currency; an empty fare removes the stage's fare). All or nothing: every line is
    checked first, and any error raises ValidationError with one message per bad line
    ("Line 3: ..."), writing nothing. `dry_run` checks and counts what would change, then
    rolls back. Saves through `stage_fares_save` (audited)."""
    currency = route.company.currency
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not lines or [cell.strip().lower() for cell in lines[0]] != CSV_HEADER:
        raise ValidationError(
            _("Line 1: the header must be {header}.").format(header=",".join(CSV_HEADER))
        )
    rows = [(number, line) for number, line in enumerate(lines[1:], start=2) if any(line)]
    codes = {cell.strip().upper() for _n, line in rows for cell in line[:2]}
    stations = dict(Station.objects.filter(code__in=codes).values_list("code", "pk"))
    sequences = stop_sequences(route.pk)
    fares: dict[StageKey, int | None] = {}
    seen: dict[StageKey, int] = {}
    errors = []
    for number, line in rows:
        error, key, amount = _import_line(line, stations, sequences, currency)
        if error is None and key in seen:
            error = _("the stage {origin}-{destination} {class_code} is already on line {line}.")
            error = error.format(
                origin=line[0].strip().upper(),
                destination=line[1].strip().upper(),
                class_code=key[2],
                line=seen[key],
            )
        if error is not None:
            errors.append(_("Line {line}: {error}").format(line=number, error=error))
            continue
        seen[key] = number
        fares[key] = amount
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        saved = stage_fares_save(route=route, fares=fares, by=by)
        if dry_run:
            transaction.set_rollback(True)
    return StageFaresImported(len(fares), saved, dry_run)


def _import_line(line, stations, sequences, currency):
    """(error, stage, amount) of one CSV line: error None when the line is good."""
    if len(line) != len(CSV_HEADER):
        return _("give 4 columns (from, to, class, fare)."), None, None
    origin, destination, class_code, fare = (cell.strip() for cell in line)
    for code in (origin, destination):
        if code.upper() not in stations:
            return _("no station has the code {code!r}.").format(code=code), None, None
    origin_id, destination_id = stations[origin.upper()], stations[destination.upper()]
    if origin_id == destination_id:
        return _("a stage ends at another stop than it starts at."), None, None
    if origin_id not in sequences or destination_id not in sequences:
        missing = origin if origin_id not in sequences else destination
        return _("{code} is not a stop of this route.").format(code=missing.upper()), None, None
    if stage_error(sequences, origin_id, destination_id):
        return (
            _("{destination} comes before {origin} on this route.").format(
                origin=origin.upper(), destination=destination.upper()
            ),
            None,
            None,
        )
    if not class_code or len(class_code) > 12:
        return _("give a class code of 1 to 12 characters."), None, None
    amount = None
    if fare:
        try:
            amount = from_major_string(fare, currency)
        except ValueError:
            amount = None
        if amount is None or not 0 < amount <= MAX_AMOUNT:
            return (
                _("{fare!r} is not a fare in {currency}.").format(fare=fare, currency=currency),
                None,
                None,
            )
    return None, (origin_id, destination_id, class_code.upper()), amount
