"""Companies and their staff: a company's settings, saved and audited, and memberships."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ttms.audit.services import audit_changes, audit_record, audit_values

from ..models import Company, CompanyMembership


def membership_set(*, company: Company, user, role: str) -> CompanyMembership:
    """Make `user` staff of `company` in `role` (company admin, scheduler, driver, agent)."""
    if role not in CompanyMembership.STAFF_ROLES:
        raise ValidationError(
            {"role": _("{role!r} is not a staff role of a company.").format(role=role)}
        )
    with transaction.atomic():
        membership, _created = CompanyMembership.objects.update_or_create(
            company=company, user=user, defaults={"role": role}
        )
    return membership


# The company's rules an admin edits (not `created_at`): each change is audited.
COMPANY_AUDITED_FIELDS = [
    "name",
    "slug",
    "kind",
    "currency",
    "time_zone",
    "commission_bp",
    "refund_policy",
    "refund_tiers",
    "quota_distribution",
    "charting_offset_minutes",
    "quotas",
    "rac",
    "charting",
    "booking_horizon_days",
    "max_passengers",
    "swap_upgrades",
    "positions_public",
    "is_active",
]


def company_save(*, company: Company, by) -> Company:
    """Save `company` as edited (its form has validated it) and audit it: "company.created"
    with its values, or "company.changed" with each changed field's [before, after]
    (nothing when nothing changed). Compares under the company row's no-key lock, so two
    saves at once each record what they changed."""
    with transaction.atomic():
        old = None
        if company.pk is not None:
            old = Company.objects.select_for_update(no_key=True).filter(pk=company.pk).first()
        before = old and audit_values(instance=old, fields=COMPANY_AUDITED_FIELDS)
        company.save()
        after = audit_values(instance=company, fields=COMPANY_AUDITED_FIELDS)
        if before is None:
            audit_record(actor=by, action="company.created", target=company, data=after)
        elif changes := audit_changes(before=before, after=after):
            audit_record(actor=by, action="company.changed", target=company, data=changes)
    return company
