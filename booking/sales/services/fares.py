"""Fares: a company's fare rules, as its admins edit them, each change audited."""

from django.db import transaction

from ttms.accounts.models import User
from ttms.audit.services import audit_changes, audit_record, audit_values

from ...models import FareRule

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
