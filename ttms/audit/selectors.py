"""Reads of the audit trail."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from .models import AuditEntry


def audit_entries_for_target(*, target: Model) -> QuerySet[AuditEntry]:
    """The entries naming `target` (kept after it is deleted), newest first, with their
    actor and company loaded. Reads only; the caller scopes who may see them."""
    return AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
        target_id=str(target.pk),
    ).select_related("actor", "company")


def audit_target_query(*, target: Model) -> dict[str, str]:
    """The change list's query parameters that show the entries of `target`."""
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return {"target_type": str(content_type.pk), "target_id": str(target.pk)}
