"""The one writer of the audit trail: `audit_record`, called by every service that makes a
staff or automatic state change, as pretix's `log_action` is (explicitly, never from a
signal or a view)."""

import json
import re
from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from .models import AuditEntry

# "trip.cancelled", "ticket_key.rotated": the object's kind, then what happened to it.
ACTION_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
SYSTEM = "system"


def audit_record(
    *,
    actor: Model | str | None,
    action: str,
    target: Model,
    data: dict | None = None,
    company: Model | None = None,
) -> AuditEntry:
    """Write one audit entry: `actor` (the user who acted, or, for an automatic change, the
    name of the process, e.g. "system:charting"; None reads "system") did `action` (a
    dotted code, ACTION_PATTERN) to `target` (a saved model instance), with `data`.

    Writes in the caller's transaction and takes no lock of its own: call it inside the
    `transaction.atomic` block of the change it records, so that a change rolled back
    leaves no entry and an entry never outlives its change.

    `company` scopes the entry for staff; without it, the target's company is taken from
    its model's `company_path` (or its `company_id`), none for objects of no company.

    `data` must be JSON as it is stored: str keys, lists not tuples, money in integer minor
    units, dates and times as ISO 8601 strings. Anything else raises TypeError (before
    writing), as do an action not of the dotted form and an unsaved target (ValueError):
    these are mistakes of the calling code, never of a user's input.
    """
    if not ACTION_PATTERN.fullmatch(action):
        raise ValueError(f"{action!r} is not a dotted audit action such as 'trip.cancelled'.")
    if target is None or target.pk is None:
        raise ValueError("An audit entry needs a saved target.")
    data = {} if data is None else data
    _check_json(data)
    if isinstance(actor, str):
        user, actor_name = None, actor or SYSTEM
    elif actor is None or actor.pk is None:
        user, actor_name = None, SYSTEM
    else:
        user, actor_name = actor, getattr(actor, "email", "") or str(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_name=actor_name[:254],
        action=action,
        target_type=_content_type(target),
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        company_id=company.pk if company is not None else _company_id(target),
        data=data,
    )


def _content_type(target) -> ContentType:
    """The target's content type, read from the table rather than from ContentType's
    per-process cache: a long-lived worker keeps that cache for its whole life, and after
    the table is rebuilt (a database restored from another's dump, the test suite's flush)
    a cached id would name no row."""
    opts = target._meta
    found = ContentType.objects.filter(app_label=opts.app_label, model=opts.model_name).first()
    return found or ContentType.objects.get_for_model(target, for_concrete_model=False)


def _check_json(data: object) -> None:
    if not isinstance(data, dict):
        raise TypeError(f"Audit data is a dict, not {type(data).__name__}.")
    try:
        stored = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Audit data is not JSON: {exc}") from None
    if stored != data:
        raise TypeError(
            "Audit data would not read back as given (tuples or non-str keys): "
            f"{data!r} is stored as {stored!r}."
        )


def _company_id(target: Model) -> int | None:
    """The id of `target`'s company along its model's `company_path` ("pk" for a company,
    "route__company" for a trip), without importing the models that define it."""
    path = getattr(type(target), "company_path", None)
    if path is None:
        return getattr(target, "company_id", None)
    if path == "pk":
        return target.pk
    *hops, last = path.split("__")
    obj = target
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def audit_values(*, instance: Model, fields: list[str]) -> dict:
    """The values of `fields` of `instance` as audit data holds them: related rows by
    primary key, dates and times in ISO 8601, decimals as exact strings."""
    values = {}
    for name in fields:
        value = getattr(instance, instance._meta.get_field(name).attname)
        if isinstance(value, date | datetime | time):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        values[name] = value
    return values


def audit_changes(*, before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value differs (`audit_values` of the
    row before and after the change), as `audit_record`'s data holds a change."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
