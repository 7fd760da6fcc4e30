"""Companies and their staff in the admin."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ttms.accounts.models import Role
from ttms.audit.admin import AuditHistoryMixin
from ttms.audit.admin_saves import AuditSavesMixin

from ..admin_scoping import CompanyListFilter, CompanyScopedAdmin
from ..models import BOOKABLE_QUOTA_CHOICES, Company, CompanyMembership
from ..services import company_save


class CompanyForm(forms.ModelForm):
    quotas = forms.TypedMultipleChoiceField(
        choices=BOOKABLE_QUOTA_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The quotas sold; GENERAL is always among them. None ticked: the kind's "
            "default (rail: all five; bus: General only)."
        ),
    )

    class Meta:
        model = Company
        fields = ["quotas"]  # the admin's fieldsets name the rest


@admin.register(Company)
class CompanyAdmin(AuditHistoryMixin, CompanyScopedAdmin):
    # Company settings (commission, refunds, quotas) belong to its company admins only.
    editor_roles = frozenset({Role.COMPANY_ADMIN})
    form = CompanyForm
    list_display = [
        "name",
        "slug",
        "kind",
        "currency",
        "time_zone",
        "commission_bp",
        "refund_policy",
        "is_active",
    ]
    list_filter = ["kind", "currency", "is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "currency", "time_zone", "is_active"]}),
        (
            _("What it sells"),
            {
                "fields": [
                    "quotas",
                    "rac",
                    "charting",
                    "booking_horizon_days",
                    "max_passengers",
                    "quota_distribution",
                    "charting_offset_minutes",
                    "swap_upgrades",
                    "positions_public",
                ]
            },
        ),
        (_("Money"), {"fields": ["commission_bp", "refund_policy", "refund_tiers"]}),
        (None, {"fields": ["created_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Its fares, wallets and revenue are in this currency: set once, when created.
            fields.append("currency")
        if obj is not None and not self._scope(request).is_platform:
            # The platform's share and the identity of a company are the platform's to set.
            fields += ["slug", "kind", "commission_bp", "is_active"]
        return fields

    def has_add_permission(self, request):
        return self._is_staff(request) and self._scope(request).is_platform

    def has_delete_permission(self, request, obj=None):
        return self._is_staff(request) and self._scope(request).is_platform

    def save_model(self, request, obj, form, change):
        company_save(company=obj, by=request.user)


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "membership"
    editor_roles = frozenset({Role.COMPANY_ADMIN})
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role", CompanyListFilter]
    list_select_related = ["user", "company"]
    search_fields = ["user__email", "user__full_name"]
    # A raw id, not a list of every account on the platform.
    raw_id_fields = ["user"]
