"""Companies and their staff in the admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ttms.accounts.models import Role
from ttms.audit.admin import AuditHistoryMixin
from ttms.audit.admin_saves import AuditSavesMixin
from ttms.exceptions import DomainError
from ttms.localtime import local_datetime

from ..admin_scoping import CompanyListFilter, CompanyScopedAdmin
from ..models import Company, CompanyMembership
from ..refund_policies import percent_text
from ..services import company_save, membership_invitation_resend, operator_invite
from .forms import CompanyInviteForm, CompanySettingsForm


@admin.register(Company)
class CompanyAdmin(AuditHistoryMixin, CompanyScopedAdmin):
    """A platform admin adds an operator by inviting it (`operator_invite`); its company
    admins edit its settings through `CompanySettingsForm`."""

    # Company settings (commission, refunds, quotas) belong to its company admins only.
    editor_roles = frozenset({Role.COMPANY_ADMIN})
    form = CompanySettingsForm
    add_form = CompanyInviteForm
    list_display = [
        "name",
        "slug",
        "kind",
        "currency",
        "time_zone",
        "commission_percent",
        "refund_policy",
        "is_active",
    ]
    list_filter = ["kind", "currency", "is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_local", "fares"]
    add_fieldsets = [
        (None, {"fields": ["name", "kind", "currency", "time_zone", "commission_percent"]}),
        (_("First administrator"), {"fields": ["admin_name", "admin_email"]}),
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "currency", "time_zone", "is_active"]}),
        (
            _("What it sells"),
            {
                "fields": [
                    "quotas",
                    "rac",
                    "charting",
                    ("charting_offset_hours", "charting_offset_mins"),
                    "booking_horizon_days",
                    "max_passengers",
                    "quota_distribution",
                    "swap_upgrades",
                    "positions_public",
                ]
            },
        ),
        (
            _("Money"),
            {"fields": ["commission_percent", "fares", "refund_policy", "refund_tiers"]},
        ),
        (None, {"fields": ["created_local"]}),
    ]

    @admin.display(description=_("created (company's local time)"), ordering="created_at")
    def created_local(self, company: Company) -> str:
        return local_datetime(company.created_at, company.time_zone)

    @admin.display(description=_("commission"), ordering="commission_bp")
    def commission_percent(self, company: Company) -> str:
        return percent_text(company.commission_bp)

    @admin.display(description=_("fares"))
    def fares(self, company: Company) -> str:
        links = []
        for url_name, label, query in (
            ("admin:booking_farerule_changelist", _("Fares: edit"), f"?company={company.pk}"),
            ("admin:booking_stagefare_routes", _("Stage fares by route"), ""),
        ):
            try:
                links.append((reverse(url_name) + query, label))
            except NoReverseMatch:  # booking's admin not installed
                continue
        return format_html_join(" · ", '<a href="{}">{}</a>', links) or "-"

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = [*super().get_readonly_fields(request, obj), "currency"]
        # Its fares, wallets and revenue are in its currency: set once, when invited.
        if not self._scope(request).is_platform:
            # The platform's share and the identity of a company are the platform's to set.
            fields += ["slug", "kind", "commission_percent", "is_active"]
        return fields

    def has_add_permission(self, request):
        return self._is_staff(request) and self._scope(request).is_platform

    def has_delete_permission(self, request, obj=None):
        return self._is_staff(request) and self._scope(request).is_platform

    def save_model(self, request, obj, form, change):
        if change:
            company_save(company=obj, by=request.user)
            return
        data = form.cleaned_data
        try:
            company, _user = operator_invite(
                name=data["name"],
                kind=data["kind"],
                currency=data["currency"],
                time_zone=data["time_zone"],
                commission_percent=data["commission_percent"],
                admin_email=data["admin_email"],
                admin_name=data["admin_name"],
                by=request.user,
            )
        except ValidationError as exc:
            # The form checked these; only a race (the email taken meanwhile) lands here.
            raise PermissionDenied(" ".join(exc.messages)) from exc
        # The admin redirects to, and logs, the row it was handed: make it the new company.
        obj.__dict__.update(company.__dict__)
        self.message_user(
            request,
            _("Invitation sent to %(email)s.") % {"email": data["admin_email"]},
            messages.SUCCESS,
        )


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "membership"
    editor_roles = frozenset({Role.COMPANY_ADMIN})
    list_display = ["user", "company", "role", "created_local"]
    list_filter = ["role", CompanyListFilter]
    list_select_related = ["user", "company"]
    search_fields = ["user__email", "user__full_name", "user__phone"]
    search_help_text = _("The person's email, name or phone.")
    # A raw id, not a list of every account on the platform.
    raw_id_fields = ["user"]
    actions = ["resend_invitation"]

    @admin.action(description=_("Send the invitation again"), permissions=["change"])
    def resend_invitation(self, request, queryset):
        sent = 0
        for membership in queryset.select_related("user", "company").order_by("pk"):
            try:
                membership_invitation_resend(membership=membership, by=request.user)
            except DomainError as exc:
                self.message_user(
                    request,
                    gettext("%(member)s: %(reason)s")
                    % {"member": membership.user, "reason": exc.message},
                    messages.WARNING,
                )
                continue
            sent += 1
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", sent)
                % {"count": sent},
                messages.SUCCESS,
            )

    @admin.display(description=_("since (company's local time)"), ordering="created_at")
    def created_local(self, membership: CompanyMembership) -> str:
        return local_datetime(membership.created_at, membership.company.time_zone)
