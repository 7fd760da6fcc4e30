"""Stations and their aliases in the admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ttms.audit.admin import AuditHistoryMixin
from ttms.audit.admin_saves import AuditSavesMixin

from ..admin_scoping import CompanyListFilter, CompanyScopedAdmin, CompanyScopedInline
from ..models import Station, StationAlias


class StationAliasInline(CompanyScopedInline, admin.TabularInline):
    model = StationAlias
    fields = ["name"]
    extra = 1


@admin.register(Station)
class StationAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "station"
    list_display = [
        "code",
        "name",
        "city",
        "region",
        "time_zone",
        "latitude",
        "longitude",
        "company",
    ]
    list_filter = [CompanyListFilter, "time_zone"]
    list_select_related = ["company"]
    search_fields = ["code", "name", "search_name", "city"]
    search_help_text = _("Code, name or city.")
    inlines = [StationAliasInline]
    show_full_result_count = False
