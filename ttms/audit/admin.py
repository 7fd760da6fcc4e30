"""The audit trail in the admin: a read-only, company-scoped list (staff see their
companies' entries, platform admins every entry), and `AuditHistoryMixin`, which makes an
object's "History" show its entries.

The list is scoped by fleet's company scoping (`fleet.admin_scoping`), the one import of
the audit trail from above the ttms core (allowed by the dependency contract): its domain
(models, services, selectors) imports no app, so every app's services may write to it."""

import json
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fleet.admin_display import LocalDayFilter, in_zone
from fleet.admin_scoping import CompanyListFilter, ReadOnlyScopedAdmin
from ttms.localtime import local_datetime

from .models import AuditEntry
from .selectors import audit_target_query

DATA_SUMMARY_LENGTH = 120


def local_time(entry: AuditEntry) -> str:
    """07 Jan 2030 07:35 IST: when `entry` was written, in its company's time zone (UTC for
    entries of no company), the zone named."""
    if entry.company_id:
        return local_datetime(entry.at, entry.company.time_zone)
    return in_zone(entry.at, None)


class AuditDayFilter(LocalDayFilter):
    """The day an entry was written, in its company's zone (UTC for entries of none)."""

    title = _("day (company's local time)")
    parameter_name = "day"
    moment_field = "at"
    zone_field = "company__time_zone"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyScopedAdmin):
    """Read-only for everyone, platform admins included: entries are written by services,
    never added, edited or deleted here."""

    list_display = ["when", "action", "target_repr", "company", "actor_name", "summary"]
    list_filter = [
        "action",
        CompanyListFilter,
        ("actor", admin.RelatedOnlyFieldListFilter),
        AuditDayFilter,
    ]
    list_select_related = ["company", "target_type"]
    search_fields = ["target_repr", "actor_name", "action"]
    fields = [
        "when",
        "action",
        "actor_name",
        "actor",
        "target_type",
        "target_id",
        "target_repr",
        "company",
        "details",
    ]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("when (company's local time; UTC without one)"), ordering="at")
    def when(self, entry: AuditEntry) -> str:
        return local_time(entry)

    @admin.display(description=_("details"))
    def summary(self, entry: AuditEntry) -> str:
        text = json.dumps(entry.data, ensure_ascii=False, sort_keys=True)
        if len(text) > DATA_SUMMARY_LENGTH:
            return text[: DATA_SUMMARY_LENGTH - 1] + "…"
        return text

    @admin.display(description=_("details"))
    def details(self, entry: AuditEntry) -> str:
        return json.dumps(entry.data, ensure_ascii=False, sort_keys=True, indent=2)


class AuditHistoryMixin:
    """Mix into a ModelAdmin (before the admin class): the "History" of an object opens the
    audit trail filtered to that object, instead of the admin's own log, which knows
    nothing of the changes services make. Whoever may view the object is sent there; the
    list shows them only the entries of their companies."""

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        url = reverse("admin:audit_auditentry_changelist")
        return HttpResponseRedirect(f"{url}?{urlencode(audit_target_query(target=obj))}")
