"""The "operate with us" queue, for platform admins only: applications are listed and
filtered, then approved (the company and its first admin are invited) or declined."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ttms.audit.admin import AuditHistoryMixin
from ttms.exceptions import DomainError
from ttms.localtime import local_datetime

from ..admin_scoping import CompanyScopedAdmin
from ..models import OperatorApplication
from ..services import operator_application_approve, operator_application_decline


@admin.register(OperatorApplication)
class OperatorApplicationAdmin(AuditHistoryMixin, CompanyScopedAdmin):
    list_display = [
        "company_name",
        "kind",
        "currency",
        "contact_name",
        "email",
        "fleet_size",
        "status",
        "received_local",
        "company",
    ]
    list_filter = ["status", "kind", "currency"]
    list_select_related = ["company"]
    search_fields = ["company_name", "contact_name", "email"]
    actions = ["approve", "decline"]
    readonly_fields = [
        "company_name",
        "kind",
        "currency",
        "time_zone",
        "contact_name",
        "email",
        "phone",
        "fleet_size",
        "message",
        "status",
        "decided_by",
        "decided_local",
        "company",
        "received_local",
    ]
    fields = readonly_fields

    # Who may sell on the platform is the platform's decision: its admins only.
    def _is_staff(self, request) -> bool:
        return super()._is_staff(request) and self._scope(request).is_platform

    # In the time zone the applicant gave: the day they wrote is the day they know.
    @admin.display(
        description=gettext_lazy("received (applicant's local time)"), ordering="created_at"
    )
    def received_local(self, application: OperatorApplication) -> str:
        return local_datetime(application.created_at, application.time_zone)

    @admin.display(
        description=gettext_lazy("decided (applicant's local time)"), ordering="decided_at"
    )
    def decided_local(self, application: OperatorApplication) -> str:
        return local_datetime(application.decided_at, application.time_zone)

    def has_add_permission(self, request):
        return False  # applications come from the public form

    def has_change_permission(self, request, obj=None):
        return False  # decided through the actions, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Approve and invite"))
    def approve(self, request, queryset):
        approved = 0
        for application in queryset.order_by("pk"):
            try:
                operator_application_approve(application=application, by=request.user)
            except (DomainError, ValidationError) as exc:
                self.message_user(
                    request,
                    _("%(application)s: %(reason)s")
                    % {"application": application, "reason": " ".join(_messages(exc))},
                    messages.ERROR,
                )
                continue
            approved += 1
        if approved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d application approved; its admin is invited by email.",
                    "%(count)d applications approved; their admins are invited by email.",
                    approved,
                )
                % {"count": approved},
                messages.SUCCESS,
            )

    @admin.action(description=gettext_lazy("Decline"))
    def decline(self, request, queryset):
        declined = 0
        for application in queryset.order_by("pk"):
            try:
                operator_application_decline(application=application, by=request.user)
            except DomainError as exc:
                self.message_user(
                    request,
                    _("%(application)s: %(reason)s")
                    % {"application": application, "reason": exc.message},
                    messages.ERROR,
                )
                continue
            declined += 1
        if declined:
            self.message_user(
                request,
                ngettext(
                    "%(count)d application declined.",
                    "%(count)d applications declined.",
                    declined,
                )
                % {"count": declined},
                messages.SUCCESS,
            )


def _messages(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc.message)]
