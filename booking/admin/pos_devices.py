"""POS devices and the audit cases their refused batches open. A company's admins enrol a
device for one of its station agents (pasting the device's base64 Ed25519 public key) and
revoke it with a reason; they resolve audit cases with a note. Both through the services,
audited. Company staff see their companies' rows; platform admins every one."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_scoping import CompanyListFilter, CompanyScopedAdmin
from fleet.models import CompanyMembership
from fleet.selectors import companies_for_user
from ttms.accounts.models import Role, User
from ttms.exceptions import DomainError
from ttms.localtime import local_time

from ..models import Device
from ..models.pos import AuditCase
from ..pos.services.devices import audit_case_resolve, device_enrol, device_revoke

# Only a company's admins enrol and revoke devices and resolve cases; schedulers look.
ADMINS = frozenset({Role.COMPANY_ADMIN})


class DeviceEnrolForm(forms.ModelForm):
    public_key_b64 = forms.CharField(
        label=gettext_lazy("Public key"),
        max_length=200,
        help_text=gettext_lazy("The device's Ed25519 public key: base64 of the raw 32 bytes."),
    )

    class Meta:
        model = Device
        fields = ["company", "agent", "device_id", "name"]

    def clean(self):
        data = super().clean()
        company, agent = data.get("company"), data.get("agent")
        if company and agent:
            is_agent = CompanyMembership.objects.filter(
                user=agent, company=company, role=Role.AGENT
            ).exists()
            if not is_agent:
                raise ValidationError({"agent": _("Not a station agent of this company.")})
        return data


class DeviceRevokeForm(forms.ModelForm):
    revoke_reason = forms.CharField(
        label=gettext_lazy("Revoke, because"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "Fill in to revoke the device: its batches are refused from then on."
        ),
    )

    class Meta:
        model = Device
        fields = []


@admin.register(Device)
class DeviceAdmin(CompanyScopedAdmin):
    editor_roles = ADMINS
    list_display = [
        "device_id",
        "name",
        "agent",
        "company",
        "last_seq",
        "enrolled_local",
        "revoked_local",
    ]
    list_filter = [CompanyListFilter, ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["company", "agent"]
    search_fields = ["device_id", "name", "agent__email", "agent__full_name"]
    search_help_text = gettext_lazy("Search by device id, name or agent.")

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agent":
            # The station agents of the companies the user works for, and no one else's.
            kwargs["queryset"] = User.objects.filter(
                role=Role.AGENT,
                pk__in=CompanyMembership.objects.filter(
                    role=Role.AGENT, company__in=companies_for_user(request.user)
                ).values("user_id"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = DeviceRevokeForm if obj is not None else DeviceEnrolForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["company", "agent", "device_id", "name", "public_key_b64"]
        return [
            "device_id",
            "name",
            "company",
            "agent",
            "enrolled_local",
            "revoked_local",
            "last_seq",
            "last_hash",
            "revoke_reason",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = [f for f in self.get_fields(request, obj) if f != "revoke_reason"]
        return fields + (["revoke_reason"] if obj.revoked else [])

    @admin.display(description=gettext_lazy("enrolled"), ordering="enrolled_at")
    def enrolled_local(self, device: Device) -> str:
        return local_time(device.enrolled_at, device.company.time_zone)

    @admin.display(description=gettext_lazy("revoked"), ordering="revoked_at")
    def revoked_local(self, device: Device) -> str:
        if not device.revoked_at:
            return "—"
        return local_time(device.revoked_at, device.company.time_zone)

    @admin.display(description=gettext_lazy("Revoke, because"))
    def revoke_reason(self, device: Device) -> str:
        return _("Revoked")

    def save_model(self, request, obj, form, change):
        try:
            if not change:
                data = form.cleaned_data
                enrolled = device_enrol(
                    company=data["company"],
                    agent=data["agent"],
                    device_id=data["device_id"],
                    public_key_b64=data["public_key_b64"],
                    name=data.get("name", ""),
                    by=request.user,
                )
                obj.pk = enrolled.pk
                return
            reason = form.cleaned_data.get("revoke_reason", "")
            if reason:
                device_revoke(device=obj, by=request.user, reason=reason)
        except DomainError as error:
            # The form checked the inputs; a race (the id taken meanwhile) ends here.
            self.message_user(request, error.message, level=messages.ERROR)

    def save_related(self, request, form, formsets, change):
        pass


class AuditCaseResolveForm(forms.ModelForm):
    class Meta:
        model = AuditCase
        fields = ["note"]

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError(_("Say what was found: the note is kept with the case."))
        return note


@admin.register(AuditCase)
class AuditCaseAdmin(CompanyScopedAdmin):
    editor_roles = ADMINS
    form = AuditCaseResolveForm
    list_display = [
        "opened_local",
        "reason",
        "device",
        "agent",
        "first_bad_seq",
        "resolved_local",
    ]
    list_filter = [CompanyListFilter, "reason", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["company", "device", "agent"]
    search_fields = ["device__device_id", "agent__email", "agent__full_name"]
    search_help_text = gettext_lazy("Search by device id or agent.")
    fields = [
        "company",
        "device",
        "agent",
        "reason",
        "first_bad_seq",
        "detail",
        "opened_local",
        "resolved_local",
        "resolved_by",
        "note",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fixed = [f for f in self.fields if f != "note"]
        return fixed + (["note"] if obj is not None and obj.resolved_at else [])

    @admin.display(description=gettext_lazy("opened"), ordering="opened_at")
    def opened_local(self, case: AuditCase) -> str:
        return local_time(case.opened_at, case.company.time_zone)

    @admin.display(description=gettext_lazy("resolved"), ordering="resolved_at")
    def resolved_local(self, case: AuditCase) -> str:
        if not case.resolved_at:
            return "—"
        return local_time(case.resolved_at, case.company.time_zone)

    def save_model(self, request, obj, form, change):
        audit_case_resolve(case=obj, by=request.user, note=form.cleaned_data["note"])
